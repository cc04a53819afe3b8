import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeNeighborAdvertFrame,
  encodeUnsolicitedNa,
  icmpv6Checksum,
  NA_FRAME_LENGTH,
} from '../../../src/net/ndp.js';

// Built by hand from RFC 2464 (Ethernet mapping), RFC 8200 (IPv6 header) and RFC 4861 section 4.4 (NA),
// as keepalived's vrrp_ndisc.c fills them. Checksums cross-checked with tshark ("[correct]").
const GOLDEN_NA = [
  '333300000001', // Ethernet destination: 33:33 + low 32 bits of ff02::1
  '525400123456', // Ethernet source
  '86dd', // ethertype IPv6
  '60000000', // version 6, traffic class 0, flow label 0
  '0020', // payload length 32
  '3a', // next header ICMPv6
  'ff', // hop limit 255
  '20010db8000000000000000000000001', // source: the VIP 2001:db8::1
  'ff020000000000000000000000000001', // destination: all-nodes ff02::1
  '88', // type 136 Neighbor Advertisement
  '00', // code 0
  '746f', // checksum
  '20000000', // flags: Override only; reserved
  '20010db8000000000000000000000001', // target address
  '02', // option: Target Link-Layer Address
  '01', // option length 1 (8 bytes)
  '525400123456', // link-layer address
].join('');

const GOLDEN_NA_ROUTER = [
  '333300000001',
  '00005e000207', // VRRP IPv6 VMAC of VRID 7
  '86dd',
  '60000000',
  '0020',
  '3a',
  'ff',
  'fe800000000000000000000000000001', // fe80::1
  'ff020000000000000000000000000001',
  '88',
  '00',
  '7994', // checksum
  'a0000000', // flags: Router + Override
  'fe800000000000000000000000000001',
  '02',
  '01',
  '00005e000207',
].join('');

describe('unsolicited neighbor advertisement', () => {
  test('encodes the golden frame byte for byte', () => {
    const frame = encodeUnsolicitedNa('52:54:00:12:34:56', '2001:db8::1');
    assert.equal(frame.length, NA_FRAME_LENGTH);
    assert.equal(frame.length, 86);
    assert.equal(frame.toString('hex'), GOLDEN_NA);
  });

  test('sets the Router flag on request', () => {
    assert.equal(
      encodeUnsolicitedNa('00:00:5e:00:02:07', 'fe80::1', { router: true }).toString('hex'),
      GOLDEN_NA_ROUTER,
    );
  });

  test('decodes the golden frame and validates its checksum', () => {
    assert.deepEqual(decodeNeighborAdvertFrame(Buffer.from(GOLDEN_NA, 'hex')), {
      destinationMac: '33:33:00:00:00:01',
      sourceMac: '52:54:00:12:34:56',
      sourceIp: '2001:db8::1',
      destinationIp: 'ff02::1',
      hopLimit: 255,
      router: false,
      solicited: false,
      override: true,
      target: '2001:db8::1',
      targetMac: '52:54:00:12:34:56',
      checksumValid: true,
    });
    assert.equal(decodeNeighborAdvertFrame(Buffer.from(GOLDEN_NA_ROUTER, 'hex'))?.router, true);
  });

  test('a flipped bit anywhere in the message or addresses breaks the checksum', () => {
    const golden = Buffer.from(GOLDEN_NA, 'hex');
    for (const offset of [22, 40, 58, 62, 70, 85]) {
      const corrupt = Buffer.from(golden);
      corrupt[offset] = (corrupt[offset] as number) ^ 0x01;
      assert.equal(decodeNeighborAdvertFrame(corrupt)?.checksumValid, false, `offset ${offset}`);
    }
  });

  test('checksum of the RFC pseudo-header sum, computed independently with 32-bit words', () => {
    const src = Buffer.from('20010db8000000000000000000000001', 'hex');
    const dst = Buffer.from('ff020000000000000000000000000001', 'hex');
    const message = Buffer.from(GOLDEN_NA, 'hex').subarray(54);
    const zeroed = Buffer.from(message);
    zeroed.writeUInt16BE(0, 2);
    // Sum in 32-bit words, then fold: a different route to the same ones' complement sum.
    const all = Buffer.concat([src, dst, Buffer.from([0, 0, 0, 32, 0, 0, 0, 58]), zeroed]);
    let sum = 0n;
    for (let i = 0; i < all.length; i += 4) sum += BigInt(all.readUInt32BE(i));
    while (sum > 0xffffn) sum = (sum & 0xffffn) + (sum >> 16n);
    assert.equal(icmpv6Checksum(src, dst, zeroed), Number(~sum & 0xffffn));
    assert.equal(icmpv6Checksum(src, dst, zeroed), 0x746f);
  });

  test('checksum pads an odd-length message with a zero byte', () => {
    const zero = new Uint8Array(16);
    // pseudo-header sum: length 1 + next header 58 = 59; message byte 0xab -> 0xab00.
    assert.equal(icmpv6Checksum(zero, zero, Uint8Array.of(0xab)), ~(59 + 0xab00) & 0xffff);
  });

  test('rejects non-NA frames', () => {
    const golden = Buffer.from(GOLDEN_NA, 'hex');
    const ns = Buffer.from(golden);
    ns[54] = 135;
    assert.equal(decodeNeighborAdvertFrame(ns), undefined);
    assert.equal(decodeNeighborAdvertFrame(golden.subarray(0, 70)), undefined);
    assert.throws(() => encodeUnsolicitedNa('52:54:00:12:34:56', '192.0.2.1'), RangeError);
  });

  test('any MAC and IPv6 address encode to a frame that decodes back with a valid checksum', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.ipV6(),
        fc.boolean(),
        (mac, ip, router) => {
          const na = decodeNeighborAdvertFrame(encodeUnsolicitedNa(mac, ip, { router }));
          assert.ok(na);
          assert.equal(na.checksumValid, true);
          assert.equal(na.router, router);
          assert.equal(na.override, true);
          assert.equal(na.hopLimit, 255);
          assert.equal(na.targetMac, Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':'));
        },
      ),
    );
  });
});
