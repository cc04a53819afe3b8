// Every config under tests/corpus/** is read by the real reader (includes, $PARAMS, ~SEQ) and must build
// without errors; some model facts per file prove it was understood, and keepalived 2.2.7's own config
// test (`keepalived -t`) proves the corpus is real keepalived input. Files holding the marker
// `keepalived-2.4-only` use keywords 2.2.7 does not know and skip that last check; files holding
// `kts-corpus: diagnostics expected` are made to provoke warnings or errors (tests/vm/lvs-keepalived.test.ts
// compares what keepalived and keepalived-ts then do) and skip both checks.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FsConfigHost } from '../../../src/daemon/process/fs-config-host.js';
import { loadModel, type Model, printModel } from '../../../src/config/index.js';
import { formatDiagnostic } from '../../../src/config/types.js';
import {
  keepalivedConfigTest,
  keepalivedConfigTestSkipReason,
  oursConfigTest,
} from '../../helpers/keepalived-config-test.js';

const root = new URL('../../../../', import.meta.url).pathname;
const corpusDir = join(root, 'tests', 'corpus');
/** Why keepalived's own config test cannot run here (it runs in a namespace holding eth0, ifb0, ifb1). */
const oracleMissing = keepalivedConfigTestSkipReason();
const ONLY_24 = 'not applicable: uses keepalived 2.4 keywords that 2.2.7 does not know';
const PROVOKES = 'not applicable: made to provoke configuration diagnostics';
const provokes = (file: string): boolean =>
  readFileSync(file, 'utf8').includes('kts-corpus: diagnostics expected');

function confFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...confFiles(p));
    else if (name.endsWith('.conf')) out.push(p);
  }
  return out;
}

const inst = (m: Model, name: string) => {
  const i = m.instances.find((x) => x.name === name);
  assert.ok(i, `instance ${name} exists`);
  return i;
};

/** A few facts per VRRP corpus file (relative to tests/corpus). */
const FACTS: Record<string, (m: Model) => void> = {
  'vrrp/01-master-pass-auth.conf': (m) => {
    const i = inst(m, 'VI_WEB');
    assert.deepEqual([i.state, i.priority, i.virtualRouterId, i.version], ['MASTER', 150, 51, 2]);
    assert.deepEqual(i.authentication && [i.authentication.type, i.authentication.password], [
      'PASS',
      's3cr3t',
    ]);
    assert.equal(i.virtualIpaddresses[0]?.label, 'eth0:web');
    assert.equal(i.notify.master?.command, '/etc/keepalived/notify.sh master');
    assert.deepEqual(m.global.notificationEmail, ['ops@example.com', 'NOC <noc@example.com>']);
    assert.deepEqual(m.global.smtpServer, { host: '127.0.0.1', port: 25 });
    assert.equal(i.smtpAlert, true);
  },
  'vrrp/02-backup-pass-auth.conf': (m) => {
    const i = inst(m, 'VI_WEB');
    assert.deepEqual([i.state, i.priority, i.preempt, i.accept], ['BACKUP', 100, true, true]);
    assert.equal(i.notify.any?.command, '/etc/keepalived/notify-any.sh');
  },
  'vrrp/03-ipv6-v3-master.conf': (m) => {
    const i = inst(m, 'V6');
    assert.deepEqual([i.family, i.version, i.advertInt], [6, 3, 0.5]);
    assert.deepEqual(
      i.virtualIpaddresses.map((a) => `${a.address}/${a.prefix}`),
      ['fe80::60/128', '2001:db8:60::1/64'],
    );
  },
  'vrrp/04-ipv6-v3-backup.conf': (m) => {
    const i = inst(m, 'V6');
    assert.deepEqual([i.version, i.versionSet], [3, true]);
    assert.deepEqual(
      i.virtualIpaddressesExcluded.map((a) => a.family),
      [6, 4],
    );
  },
  'vrrp/05-unicast-master.conf': (m) => {
    const i = inst(m, 'VI_UC');
    assert.equal(i.srcIp, '10.10.0.1');
    assert.deepEqual(i.unicastPeers[0] && [i.unicastPeers[0].minTtl, i.unicastPeers[0].maxTtl], [250, 255]);
    assert.equal(i.checkUnicastSrc, true);
    assert.equal(i.unicastTtl, 255);
  },
  'vrrp/06-unicast-backup.conf': (m) => {
    const i = inst(m, 'VI_UC');
    assert.deepEqual(
      i.unicastPeers.map((p) => p.address),
      ['10.10.0.1', '10.10.0.3'],
    );
    assert.equal(i.unicastFaultNoPeer, true);
  },
  'vrrp/07-sync-group.conf': (m) => {
    const g = m.syncGroups[0];
    assert.equal(g?.name, 'SG_ROUTER');
    assert.deepEqual(
      g?.members.map((x) => x.name),
      ['VI_OUT', 'VI_IN'],
    );
    assert.deepEqual(
      g?.track.interfaces.map((t) => t.name),
      ['ifb1'],
    );
    assert.equal(g?.notify.stop?.command, '/etc/keepalived/sg.sh stop');
  },
  'vrrp/08-trackers.conf': (m) => {
    const s = m.vrrpScripts.find((x) => x.name === 'chk_haproxy');
    assert.deepEqual(s && [s.interval, s.timeout, s.weight, s.rise, s.fall], [2, 3, -20, 2, 3]);
    const b = m.vrrpScripts.find((x) => x.name === 'chk_backend');
    assert.deepEqual(b && [b.weight, b.weightReverse, b.initFail], [10, true, true]);
    assert.deepEqual(m.trackFiles[0]?.initFile, { value: 0, overwrite: true });
    const nginx = m.trackProcesses.find((p) => p.name === 'nginx');
    assert.deepEqual(nginx && [nginx.forkDelay, nginx.terminateDelay, nginx.quorumMax], [0.5, 0.5, 8]);
    const i = inst(m, 'VI_TRACK');
    assert.deepEqual(
      i.track.interfaces.map((t) => [t.name, t.weight, t.reverse]),
      [
        ['ifb0', -30, false],
        ['ifb1', 10, true],
      ],
    );
    assert.equal(i.track.scripts[1]?.weight, 5);
    assert.equal(i.track.scripts[0]?.weight, undefined);
    assert.equal(i.track.processes.length, 2);
  },
  'vrrp/09-vmac.conf': (m) => {
    const i = inst(m, 'VI_VMAC');
    assert.deepEqual(i.useVmac, { name: 'vrrp.90', netlinkNotifyMsg: false });
    assert.equal(i.vmacXmitBase, true);
    assert.deepEqual([i.garpMasterDelay, i.garpMasterRepeat, i.garpMasterRefresh], [2, 2, 60]);
    assert.deepEqual(i.garpExtraIf, { all: true, interval: 120 });
    assert.equal(m.global.vrrpGarpInterval, 0.001);
  },
  'vrrp/10-auth-ah.conf': (m) => {
    const i = inst(m, 'VI_AH');
    assert.equal(i.authentication?.type, 'AH');
    assert.equal(i.advertInt, 3);
    assert.deepEqual(i.virtualIpaddresses[0]?.broadcast, '192.168.100.255');
    assert.equal(i.virtualIpaddresses[0]?.scope, 'global');
  },
  'vrrp/11-strict.conf': (m) => {
    const owner = inst(m, 'VI_OWNER');
    assert.deepEqual(
      [owner.strictMode, owner.version, owner.accept, owner.lowerPrioNoAdvert],
      [true, 3, true, true],
    );
    assert.equal(inst(m, 'VI_STRICT_BACKUP').accept, false);
  },
  'vrrp/12-static.conf': (m) => {
    assert.equal(m.staticAddresses.length, 3);
    assert.equal(m.staticAddresses[2]?.nodad, true);
    assert.deepEqual(
      m.staticRoutes.map((r) => r.type),
      ['unicast', 'unicast', 'blackhole', 'unicast'],
    );
    assert.deepEqual([m.staticRoutes[1]?.table, m.staticRoutes[1]?.metric], ['100', 20]);
    assert.equal(m.staticRules[2]?.family, 6);
    assert.deepEqual(m.trackGroups[0]?.instances, ['VI_S']);
  },
  'vrrp/13-virtual-routes-rules.conf': (m) => {
    const i = inst(m, 'VI_RT');
    assert.equal(i.virtualRoutes[0]?.src, '192.168.130.1');
    assert.equal(i.virtualRoutes[0]?.destination.address, '192.168.140.0');
    assert.equal(i.virtualRoutes[2]?.noTrack, true);
    assert.equal(i.virtualRules[1]?.noTrack, true);
    assert.equal(i.virtualIpaddressesExcluded[1]?.noTrack, true);
  },
  'vrrp/14-includes-vars.conf': (m) => {
    assert.equal(m.global.routerId, 'INC_eth0');
    assert.deepEqual(
      m.instances.map((i) => [i.name, i.interface, i.priority, i.virtualIpaddresses[0]?.address]),
      [
        ['VI_APP', 'eth0', 120, '192.168.214.10'],
        ['VI_DB', 'eth0', 120, '192.168.214.20'],
      ],
    );
  },
  'vrrp/15-seq-generated.conf': (m) => {
    assert.deepEqual(
      m.instances.map((i) => [i.name, i.virtualRouterId, i.virtualIpaddresses[0]?.address]),
      [151, 152, 153, 154].map((n) => [`VI_${n}`, n, `10.150.${n}.1`]),
    );
  },
  'vrrp/16-global-many.conf': (m) => {
    const g = m.global;
    assert.deepEqual(g.smtpServer, { host: 'localhost', port: 2525 });
    assert.deepEqual([g.smtpAlert, g.smtpAlertVrrp], [false, true]);
    assert.deepEqual(g.lvsTimeouts, { tcp: 900, tcpfin: 120, udp: 300 });
    assert.deepEqual([g.vrrpPriority, g.vrrpRtPriority, g.maxAutoPriority], [-10, 50, 20]);
    assert.equal(g.dynamicInterfaces, true);
    const i = inst(m, 'VI_G');
    assert.deepEqual([i.garpMasterRepeat, i.garpLowerPrioDelay, i.higherPrioSendAdvert], [2, 2, true]);
    assert.deepEqual([i.checkUnicastSrc, i.skipCheckAdvAddr, i.smtpAlert], [true, true, true]);
  },
  'vrrp/17-nopreempt-delay.conf': (m) => {
    assert.equal(inst(m, 'VI_NOPREEMPT').preempt, false);
    const d = inst(m, 'VI_DELAY');
    assert.deepEqual([d.preemptDelay, d.downTimerAdverts, d.accept], [300, 5, false]);
  },
  'vrrp/18-multi-interface.conf': (m) => {
    assert.equal(inst(m, 'VI_ETH0').srcIp, '192.168.180.2');
    assert.deepEqual(
      inst(m, 'VI_IFB0').track.interfaces.map((t) => t.name),
      ['ifb0'],
    );
  },
  'vrrp/19-interface-groups.conf': (m) => {
    assert.deepEqual(
      m.linkbeatInterfaces.map((l) => [l.name, l.type]),
      [
        ['eth0', undefined],
        ['ifb0', 'ETHTOOL'],
      ],
    );
    assert.deepEqual(
      m.interfaceUpDownDelays.map((d) => [d.name, d.downDelay, d.upDelay]),
      [
        ['eth0', 0.5, 2],
        ['ifb0', 1, 0],
      ],
    );
    assert.deepEqual(m.garpGroups[0]?.interfaces, ['eth0', 'ifb0']);
  },
  'vrrp/20-auth-hmac.conf': (m) => {
    const h = inst(m, 'VI_HMAC').authHmac;
    assert.deepEqual(h && [h.keys.length, h.activeKey, h.mode, h.timeWindow], [2, 2, 'permissive', 5]);
  },
  'vrrp/21-dynamic-interfaces.conf': (m) => {
    assert.equal(inst(m, 'VI_LATE').interface, 'kts-vlan210');
  },
  'vrrp/22-ipv6-unicast.conf': (m) => {
    const i = inst(m, 'VI_V6UC');
    assert.deepEqual([i.family, i.version, i.unicastPeers[0]?.address], [6, 3, '2001:db8:220::3']);
  },
  'vrrp/23-misc-instance.conf': (m) => {
    const i = inst(m, 'VI_MISC');
    assert.deepEqual(
      [i.mcastDstIp, i.trackSrcIp, i.debug, i.kernelRxBufSize],
      ['224.0.0.88', true, 2, 65536],
    );
    assert.deepEqual([i.dontTrackPrimary, i.promoteSecondaries, i.smtpAlert], [true, true, false]);
    assert.equal(i.virtualIpaddresses[0]?.scope, 'link');
    assert.equal(i.notify.masterRxLowerPri?.command, '/etc/keepalived/lower.sh');
  },
};

const files = confFiles(corpusDir);

void describe('config corpus', () => {
  void test('holds at least 18 VRRP configs', () => {
    assert.ok(files.filter((f) => f.includes('/vrrp/')).length >= 18);
  });

  for (const file of files) {
    const rel = relative(corpusDir, file);
    void test(`${rel} builds without errors`, { skip: provokes(file) ? PROVOKES : undefined }, () => {
      const { model, diagnostics } = loadModel(file, new FsConfigHost(), {
        hostFacts: { interfaces: new Set(['lo', 'eth0', 'ifb0', 'ifb1']) },
      });
      const errors = diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
      assert.deepEqual(errors, []);
      FACTS[rel]?.(model);
    });
  }

  void test('every VRRP corpus file has its facts checked', () => {
    const vrrp = files.map((f) => relative(corpusDir, f)).filter((r) => r.startsWith('vrrp/'));
    assert.deepEqual(
      vrrp.filter((r) => FACTS[r] === undefined),
      [],
    );
  });

  for (const file of files) {
    const rel = relative(corpusDir, file);
    const only24 = readFileSync(file, 'utf8').includes('keepalived-2.4-only');
    // keepalived -t checks that interfaces exist and scripts are executable, so the corpus names the
    // config-test namespace's interfaces (eth0, ifb0/ifb1 for tracking) or dynamic_interfaces, and real
    // binaries. Runs start together (each is ~0.1 s of mostly waiting) so the file stays fast.
    const skip = oracleMissing ?? (only24 ? ONLY_24 : provokes(file) ? PROVOKES : undefined);
    const run = skip === undefined ? keepalivedConfigTest(file) : undefined;
    void test(`keepalived 2.2.7 -t accepts ${rel}`, { skip }, async () => {
      const r = await (run as Promise<{ status: number; output: string }>);
      assert.equal(r.status, 0, `keepalived -t failed:\n${r.output}`);
    });
    // Our -t gives the same verdict on the same host (the same interfaces, no IPVS).
    const ours = skip === undefined ? oursConfigTest(file) : undefined;
    void test(`keepalived-ts -t gives keepalived's verdict on ${rel}`, { skip }, async () => {
      const [theirs, mine] = await Promise.all([run, ours] as Array<
        Promise<{ status: number; output: string }>
      >);
      assert.equal(
        mine?.status === 0,
        theirs?.status === 0,
        `keepalived:\n${theirs?.output}\nours:\n${mine?.output}`,
      );
    });
  }
});

// print.ts output is real keepalived input too (it serves --dump-config): every printable corpus model,
// printed, passes keepalived 2.2.7's config test.
void describe('printed corpus models', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-h2a-print-'));
  for (const file of files) {
    const rel = relative(corpusDir, file);
    if (!rel.startsWith('vrrp/')) continue;
    const skip =
      oracleMissing ?? (readFileSync(file, 'utf8').includes('keepalived-2.4-only') ? ONLY_24 : undefined);
    const { model } = loadModel(file, new FsConfigHost(), {});
    const printed = join(dir, rel.replace(/\W+/g, '-'));
    writeFileSync(printed, printModel(model));
    const run = skip === undefined ? keepalivedConfigTest(printed) : undefined;
    void test(`keepalived 2.2.7 -t accepts printed ${rel}`, { skip }, async () => {
      const r = await (run as Promise<{ status: number; output: string }>);
      assert.equal(r.status, 0, `keepalived -t failed:\n${r.output}\n${printModel(model)}`);
    });
  }
  void test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});

// Tricky inputs: keepalived -t (which exits non-zero on any config report, warning or error) and our
// model must agree on whether there is something to report at all.
const BASE = '  interface eth0\n  virtual_router_id 51\n  priority 100';
const vip = (a: string) => `  virtual_ipaddress {\n    ${a}\n  }`;
const inst1 = (body: string, name = 'A') => `vrrp_instance ${name} {\n${BASE}\n${body}\n}\n`;
const TRICKY: Record<string, string> = {
  clean: inst1(vip('10.0.0.1')),
  'missing interface': `vrrp_instance A {\n  interface kts-none9\n  virtual_router_id 51\n${vip('10.0.0.1')}\n}\n`,
  'duplicate VRID': inst1(vip('10.0.0.1')) + inst1(vip('10.0.0.2'), 'B'),
  'undefined track_script': inst1(`  track_script {\n    nosuch\n  }\n${vip('10.0.0.1')}`),
  'peer of the other family': inst1(`  unicast_peer {\n    2001:db8::1\n  }\n${vip('10.0.0.1')}`),
  'malformed VIP': inst1(vip('10.0.0.300')),
  'auth_pass too long': inst1(
    `  authentication {\n    auth_type PASS\n    auth_pass 123456789\n  }\n${vip('10.0.0.1')}`,
  ),
  'sync group member missing':
    inst1(vip('10.0.0.1')) + 'vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n}\n',
  'strict MASTER not owner':
    'global_defs {\n  vrrp_strict\n}\n' + inst1(`  state MASTER\n${vip('10.0.0.1')}`),
  'strict BACKUP with priority 255':
    'global_defs {\n  vrrp_strict\n}\n' + inst1(`  state BACKUP\n  priority 255\n${vip('10.0.0.1')}`),
  'VRID out of range': inst1(vip('10.0.0.1')).replace('virtual_router_id 51', 'virtual_router_id 256'),
  'VRRPv3 advert_int too long': inst1(`  version 3\n  advert_int 50\n${vip('10.0.0.1')}`),
  'VRRPv2 fractional advert_int': inst1(`  advert_int 1.5\n${vip('10.0.0.1')}`),
  'nopreempt on the address owner': inst1(`  nopreempt\n  priority 255\n${vip('10.0.0.1')}`),
  'IPv6 VRRPv2 outside strict mode': inst1(`  version 2\n${vip('2001:db8::1/64')}`),
  'multicast and unicast share a VRID':
    inst1(vip('10.0.0.1')) + inst1(`  unicast_peer {\n    10.0.0.9\n  }\n${vip('10.0.0.2')}`, 'B'),
};

void describe('agreement with keepalived -t on tricky inputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-h2a-'));
  for (const [name, text] of Object.entries(TRICKY)) {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.conf`);
    writeFileSync(file, text);
    const run = oracleMissing === undefined ? keepalivedConfigTest(file) : undefined;
    void test(name, { skip: oracleMissing }, async () => {
      const r = await (run as Promise<{ status: number; output: string }>);
      const { diagnostics } = loadModel(file, new FsConfigHost(), {
        hostFacts: { interfaces: new Set(['lo', 'eth0', 'ifb0', 'ifb1']) },
      });
      const ours = diagnostics.map(formatDiagnostic);
      assert.equal(
        r.status === 0,
        ours.length === 0,
        `keepalived exit ${r.status}; ours: ${ours.join('\n')}`,
      );
    });
  }
  void test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});
