// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// The codec against real keepalived 2.2.7, both directions, in namespaces this test creates:
//  1. keepalived (MASTER) sends v2 IPSEC-AH, v2 PASS and v3 adverts; we capture them with tcpdump and our
//     decoder + validator must accept every one (AH ICV and all).
//  2. We send adverts built by our encoder (priority 200) through a raw socket; keepalived (BACKUP, priority
//     100) must accept them and stay BACKUP. A control instance gets AH with the wrong key and must become
//     MASTER, so the test can tell "accepted" from "never saw anything".
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Advert } from '../../src/vrrp/advert.js';
import { buildIpv4Packet, decodeIpv4Packet } from '../../src/vrrp/wire/packet.js';
import {
  compileExpectations,
  validateAdvert,
  type AdvertExpectations,
} from '../../src/vrrp/wire/validate.js';
import { NetnsLab, netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const KEEPALIVED = '/usr/sbin/keepalived';
const skip =
  netnsSkipReason() ??
  (!existsSync(KEEPALIVED) ? 'keepalived not installed' : undefined) ??
  (!existsSync('/usr/bin/tcpdump') ? 'tcpdump not installed' : undefined) ??
  (!existsSync('/usr/bin/python3') ? 'python3 (raw sender) not installed' : undefined);
const { after, before, describe, test } = gated(skip);

const VIPS = ['10.77.0.100', '10.77.0.101'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function instance(
  name: string,
  vrid: number,
  version: 2 | 3,
  state: string,
  priority: number,
  auth: string,
): string {
  return [
    `vrrp_instance ${name} {`,
    `  state ${state}`,
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    `  priority ${priority}`,
    '  advert_int 1',
    `  version ${version}`,
    auth,
    `  virtual_ipaddress {`,
    ...VIPS.map((v) => `    ${v}/24 dev eth0`),
    '  }',
    '}',
  ].join('\n');
}

const AH = (pass: string): string => `  authentication {\n    auth_type AH\n    auth_pass ${pass}\n  }`;
const PASS = '  authentication {\n    auth_type PASS\n    auth_pass kts-pw12345\n  }';

const expectations: Record<number, AdvertExpectations> = {
  61: { vrid: 61, version: 2, family: 4, authType: 'ah', authPass: 'kts-ahpw', intervalCs: 100, vips: VIPS },
  62: {
    vrid: 62,
    version: 2,
    family: 4,
    authType: 'pass',
    authPass: 'kts-pw12345',
    intervalCs: 100,
    vips: VIPS,
  },
  63: { vrid: 63, version: 3, family: 4, authType: 'none', intervalCs: 100, vips: VIPS },
};

/** IPv4 packets of an Ethernet (linktype 1) pcap file. */
function pcapPackets(file: string): Uint8Array[] {
  const b = readFileSync(file);
  if (b.length < 24) return [];
  const linktype = b.readUInt32LE(20);
  const out: Uint8Array[] = [];
  for (let off = 24; off + 16 <= b.length;) {
    const incl = b.readUInt32LE(off + 8);
    const frame = b.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    out.push(Uint8Array.from(frame.subarray(linktype === 1 ? 14 : 0)));
  }
  return out;
}

describe('codec interop with keepalived 2.2.7', () => {
  const lab = new NetnsLab('h3codec');
  const dir = mkdtempSync(join(tmpdir(), 'kts-h3codec-'));
  let a: LanMember;
  let b: LanMember;
  before(() => {
    [a, b] = lab.routers(['a', 'b'], { ipv4: '10.77.0' }) as [LanMember, LanMember];
  });
  after(() => {
    lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  interface Keepalived {
    child: ReturnType<NetnsLab['spawn']>;
    log: () => string;
  }

  function startKeepalived(name: string, config: string): Keepalived {
    const conf = join(dir, `${name}.conf`);
    writeFileSync(conf, `global_defs {\n  router_id ${name}\n}\n${config}\n`);
    const child = lab.spawn(
      a.ns,
      [
        KEEPALIVED,
        '-n',
        '-l',
        '-D',
        '--vrrp',
        '-f',
        conf,
        '-p',
        join(dir, `${name}.pid`),
        '-r',
        join(dir, `${name}.vrrp.pid`),
        '-c',
        join(dir, `${name}.checkers.pid`),
        '-b',
        join(dir, `${name}.bfd.pid`),
      ],
      { ...process.env, TMPDIR: dir },
    );
    let log = '';
    child.stdout?.on('data', (d: string) => (log += d));
    child.stderr?.on('data', (d: string) => (log += d));
    return { child, log: () => log };
  }

  async function stop(k: Keepalived): Promise<string> {
    if (k.child.exitCode === null) {
      const exited = new Promise<void>((r) => k.child.once('exit', () => r()));
      k.child.kill('SIGTERM');
      await exited;
    }
    return k.log();
  }

  test('keepalived adverts decode and validate, AH included', async () => {
    const capture = join(dir, 'from-keepalived.pcap');
    const tcpdump = lab.spawn(b.ns, [
      'tcpdump',
      '-i',
      'eth0',
      '-U',
      '-w',
      capture,
      'ip proto 112 or ip proto 51',
    ]);
    await sleep(700);
    const ka = startKeepalived(
      'master',
      [
        instance('VI_AH', 61, 2, 'MASTER', 150, AH('kts-ahpw')),
        instance('VI_PASS', 62, 2, 'MASTER', 150, PASS),
        instance('VI_V3', 63, 3, 'MASTER', 150, ''),
      ].join('\n'),
    );
    // All start in BACKUP (keepalived refuses an initial MASTER with AH): master down after ~3.6 s, then
    // one advert a second.
    await sleep(7000);
    const kaLog = await stop(ka);
    await sleep(300);
    tcpdump.kill('SIGTERM');
    await sleep(300);
    const seen = new Map<number, number>();
    const ahState = { sequence: 0 };
    for (const packet of pcapPackets(capture)) {
      const d = decodeIpv4Packet(packet, 'eth0');
      assert.ok(d.ok, d.ok ? '' : `${d.reason}: ${d.detail}`);
      const exp = expectations[d.received.advert.vrid];
      assert.ok(exp, `unexpected vrid ${d.received.advert.vrid}`);
      const verdict = validateAdvert(d.received, d.wire, compileExpectations(exp), { ah: ahState });
      assert.ok(verdict.ok, verdict.ok ? '' : `vrid ${exp.vrid}: ${verdict.reason} ${verdict.detail}`);
      assert.deepEqual(verdict.notes, []);
      assert.deepEqual(d.received.advert.addresses, VIPS);
      assert.equal(d.received.ttl, 255);
      assert.equal(packet[1], 0xc0, 'TOS');
      assert.equal((packet[6] << 8) | packet[7], 0, 'no DF, no fragment offset');
      seen.set(exp.vrid, (seen.get(exp.vrid) ?? 0) + 1);
    }
    for (const vrid of [61, 62, 63]) {
      assert.ok(
        (seen.get(vrid) ?? 0) >= 2,
        `adverts of vrid ${vrid}: ${seen.get(vrid)}; keepalived said:\n${kaLog}`,
      );
    }
    assert.ok(ahState.sequence >= 2);
  });

  test('keepalived accepts our adverts (and refuses AH with the wrong key)', async () => {
    const ka = startKeepalived(
      'backup',
      [
        instance('VI_AH', 61, 2, 'BACKUP', 100, AH('kts-ahpw')),
        instance('VI_PASS', 62, 2, 'BACKUP', 100, PASS),
        instance('VI_V3', 63, 3, 'BACKUP', 100, ''),
        instance('VI_BADKEY', 66, 2, 'BACKUP', 100, AH('kts-ahpw')),
      ].join('\n'),
    );
    const lines: string[] = [];
    for (let i = 1; i <= 8; i++) {
      const advert = (vrid: number, version: 2 | 3, authType: Advert['authType']): Advert => ({
        version,
        vrid,
        priority: 200,
        intervalCs: 100,
        addresses: VIPS,
        authType,
      });
      const common = { source: '10.77.0.2', destination: '224.0.0.18', id: i };
      const ah = { sequence: i, unicast: false };
      lines.push(
        [
          buildIpv4Packet(advert(61, 2, 'ah'), { ...common, authPass: 'kts-ahpw', ah }),
          buildIpv4Packet(advert(62, 2, 'pass'), { ...common, authPass: 'kts-pw12345' }),
          buildIpv4Packet(advert(63, 3, 'none'), common),
          buildIpv4Packet(advert(66, 2, 'ah'), { ...common, authPass: 'wrongkey', ah }),
        ]
          .map((p) => Buffer.from(p).toString('hex'))
          .join(' '),
      );
    }
    const packets = join(dir, 'ours.txt');
    writeFileSync(packets, lines.join('\n'));
    const sender = [
      'import socket, sys, time',
      's = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)',
      "s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'eth0')",
      'for line in open(sys.argv[1]).read().split("\\n"):',
      '    for p in line.split():',
      "        s.sendto(bytes.fromhex(p), ('224.0.0.18', 0))",
      '    time.sleep(0.8)',
    ].join('\n');
    await sleep(300);
    const py = lab.spawn(b.ns, ['python3', '-c', sender, packets]);
    await new Promise<void>((r) => py.once('exit', () => r()));
    const log = await stop(ka);
    const masters = [...log.matchAll(/\((VI_\w+)\) Entering MASTER STATE/g)].map((m) => m[1]);
    assert.deepEqual(masters, ['VI_BADKEY'], log);
    assert.match(log, /IPSEC-AH : invalid IPSEC HMAC-MD5/);
  });
});
