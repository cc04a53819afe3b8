import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { setIpv4Id } from '../../../../src/vrrp/wire/ipv4.js';
import { buildIpv4Packet } from '../../../../src/vrrp/wire/packet.js';
import type { Advert } from '../../../../src/vrrp/advert.js';

// The daemon encodes a periodic advert once and only renumbers it: the bytes must be those a fresh encode
// with the new identification gives, header checksum included.
test('a renumbered packet is byte for byte a fresh encode with that identification', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 1, max: 255 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.constantFrom<2 | 3>(2, 3),
      (priority, vrid, firstId, nextId, version) => {
        const advert: Advert = {
          version,
          vrid,
          priority,
          intervalCs: 100,
          addresses: ['10.0.0.1', `10.1.${vrid}.${priority}`],
          authType: 'none',
        };
        const opts = { source: '192.0.2.7', destination: '224.0.0.18', checksumMode: 'rfc' as const };
        const packet = buildIpv4Packet(advert, { ...opts, id: firstId });
        setIpv4Id(packet, nextId);
        assert.deepEqual(packet, buildIpv4Packet(advert, { ...opts, id: nextId }));
      },
    ),
    { numRuns: 200 },
  );
});
