// Wireshark's VRRP dissector as an independent reader of what we encode: v2 PASS, v2 AH, v3 IPv4 (with the
// pseudo-header checksum, Wireshark's default reading too) and v3 IPv6, written to a pcap (LINKTYPE_RAW).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Advert } from '../../../../src/vrrp/advert.js';
import { parseIpv6 } from '../../../../src/common/inet.js';
import { buildIpv4Packet, encodeAdvert } from '../../../../src/vrrp/wire/packet.js';
import { gated, missingTools, TOOLS } from '../../../helpers/requirements.js';

const TSHARK = TOOLS.tshark.command;
const { describe, test } = gated(missingTools('tshark'));
const LINKTYPE_RAW = 101;

function pcap(packets: Uint8Array[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(LINKTYPE_RAW, 20);
  const records = packets.map((p, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1_700_000_000 + i, 0);
    r.writeUInt32LE(p.length, 8);
    r.writeUInt32LE(p.length, 12);
    return Buffer.concat([r, p]);
  });
  return Buffer.concat([header, ...records]);
}

function ipv6Packet(source: string, destination: string, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(40 + payload.length);
  p[0] = 0x60;
  p[4] = payload.length >> 8;
  p[5] = payload.length & 0xff;
  p[6] = 112;
  p[7] = 255;
  p.set(parseIpv6(source) as Uint8Array, 8);
  p.set(parseIpv6(destination) as Uint8Array, 24);
  p.set(payload, 40);
  return p;
}

type Layers = Record<string, Record<string, unknown>>;

/** Field values of a layer, flattened (tshark nests address lists and checksum details in subtrees). */
function fields(layer: unknown, out: Record<string, string[]> = {}): Record<string, string[]> {
  if (layer && typeof layer === 'object') {
    for (const [k, v] of Object.entries(layer as Record<string, unknown>)) {
      const items: unknown[] = Array.isArray(v) ? v : [v];
      for (const x of items) {
        if (typeof x === 'string') (out[k] ??= []).push(x);
        else fields(x, out);
      }
    }
  }
  return out;
}

describe('tshark reads our adverts', () => {
  test('v2 PASS, v2 AH, v3 IPv4, v3 IPv6', () => {
    const v2pass: Advert = {
      version: 2,
      vrid: 51,
      priority: 100,
      intervalCs: 100,
      addresses: ['192.168.1.100', '192.168.1.101'],
      authType: 'pass',
    };
    const v2ah: Advert = {
      version: 2,
      vrid: 52,
      priority: 150,
      intervalCs: 300,
      addresses: ['10.1.1.1'],
      authType: 'ah',
    };
    const v3v4: Advert = {
      version: 3,
      vrid: 53,
      priority: 254,
      intervalCs: 50,
      addresses: ['172.16.0.1'],
      authType: 'none',
    };
    const v3v6: Advert = {
      version: 3,
      vrid: 54,
      priority: 1,
      intervalCs: 100,
      addresses: ['2001:db8::1', 'fe80::1'],
      authType: 'none',
    };
    const packets = [
      buildIpv4Packet(v2pass, {
        source: '192.168.1.10',
        destination: '224.0.0.18',
        id: 1,
        authPass: 'secret',
      }),
      buildIpv4Packet(v2ah, {
        source: '10.0.0.2',
        destination: '224.0.0.18',
        id: 2,
        authPass: 'k',
        ah: { sequence: 7, unicast: false },
      }),
      buildIpv4Packet(v3v4, { source: '172.16.0.2', destination: '224.0.0.18', id: 3 }),
      ipv6Packet(
        'fe80::a',
        'ff02::12',
        encodeAdvert(v3v6, { family: 6, source: 'fe80::a', destination: 'ff02::12' }),
      ),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'kts-vrrp-'));
    try {
      const file = join(dir, 'adverts.pcap');
      writeFileSync(file, pcap(packets));
      const run = spawnSync(
        TSHARK,
        ['-r', file, '-T', 'json', '--no-duplicate-keys', '-o', 'vrrp.v3_checksum_as_in_v2:FALSE'],
        {
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      assert.equal(run.status, 0, run.stderr);
      const frames = JSON.parse(run.stdout) as { _source: { layers: Layers } }[];
      assert.equal(frames.length, 4);
      const vrrp = frames.map((f) => fields(f._source.layers.vrrp));
      const expect = [
        { version: '2', vrid: '51', prio: '100', count: '2', addrs: ['192.168.1.100', '192.168.1.101'] },
        { version: '2', vrid: '52', prio: '150', count: '1', addrs: ['10.1.1.1'] },
        { version: '3', vrid: '53', prio: '254', count: '1', addrs: ['172.16.0.1'] },
        { version: '3', vrid: '54', prio: '1', count: '2', addrs: ['2001:db8::1', 'fe80::1'] },
      ];
      expect.forEach((e, i) => {
        const f = vrrp[i];
        assert.deepEqual(f['vrrp.version'], [e.version], `frame ${i}`);
        assert.deepEqual(f['vrrp.virt_rtr_id'], [e.vrid], `frame ${i}`);
        assert.deepEqual(f['vrrp.prio'], [e.prio], `frame ${i}`);
        assert.deepEqual(f['vrrp.addr_count'], [e.count], `frame ${i}`);
        assert.deepEqual(f[i < 3 ? 'vrrp.ip_addr' : 'vrrp.ipv6_addr'], e.addrs, `frame ${i}`);
        // Wireshark's checksum status: 0 bad, 1 good, 2 unverified
        assert.deepEqual(f['vrrp.checksum.status'], ['1'], `frame ${i} checksum`);
      });
      assert.deepEqual(vrrp[0]['vrrp.auth_string'], ['secret']);
      assert.deepEqual(vrrp[1]['vrrp.adver_int'], ['3']);
      assert.deepEqual(vrrp[2]['vrrp.short_adver_int'], ['50']);
      const ah = fields(frames[1]._source.layers.ah);
      assert.deepEqual(ah['ah.sequence'], ['7']);
      assert.deepEqual(ah['ah.spi'], ['0x0a000002']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
