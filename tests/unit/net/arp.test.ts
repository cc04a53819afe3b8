import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeArpFrame, encodeGratuitousArp, isGratuitousArp, macBytes } from '../../../src/net/arp.js';

// Built by hand from RFC 826 over Ethernet II, as keepalived's vrrp_arp.c fills it.
const GOLDEN_GARP = [
  'ffffffffffff', // Ethernet destination: broadcast
  '00005e000133', // Ethernet source: VRRP VMAC of VRID 0x33
  '0806', // ethertype ARP
  '0001', // hardware type Ethernet
  '0800', // protocol type IPv4
  '06', // hardware address length
  '04', // protocol address length
  '0001', // opcode request
  '00005e000133', // sender hardware address
  'c000020a', // sender protocol address 192.0.2.10
  'ffffffffffff', // target hardware address: broadcast
  'c000020a', // target protocol address 192.0.2.10 (gratuitous)
].join('');

describe('gratuitous ARP', () => {
  test('encodes the golden frame byte for byte', () => {
    const frame = encodeGratuitousArp('00:00:5e:00:01:33', '192.0.2.10');
    assert.equal(frame.length, 42);
    assert.equal(frame.toString('hex'), GOLDEN_GARP);
  });

  test('takes the MAC as bytes too', () => {
    const frame = encodeGratuitousArp(Buffer.from('00005e000133', 'hex'), '192.0.2.10');
    assert.equal(frame.toString('hex'), GOLDEN_GARP);
  });

  test('decodes the golden frame', () => {
    const arp = decodeArpFrame(Buffer.from(GOLDEN_GARP, 'hex'));
    assert.deepEqual(arp, {
      destinationMac: 'ff:ff:ff:ff:ff:ff',
      sourceMac: '00:00:5e:00:01:33',
      operation: 1,
      senderMac: '00:00:5e:00:01:33',
      senderIp: '192.0.2.10',
      targetMac: 'ff:ff:ff:ff:ff:ff',
      targetIp: '192.0.2.10',
    });
    assert.ok(arp && isGratuitousArp(arp));
  });

  test('decodes a padded 60-byte frame as received from the wire', () => {
    const padded = Buffer.concat([Buffer.from(GOLDEN_GARP, 'hex'), Buffer.alloc(18)]);
    assert.equal(decodeArpFrame(padded)?.senderIp, '192.0.2.10');
  });

  test('rejects non-ARP, short and non-IPv4 frames', () => {
    const golden = Buffer.from(GOLDEN_GARP, 'hex');
    assert.equal(decodeArpFrame(golden.subarray(0, 41)), undefined);
    const ipv6 = Buffer.from(golden);
    ipv6.writeUInt16BE(0x86dd, 12);
    assert.equal(decodeArpFrame(ipv6), undefined);
    const otherProto = Buffer.from(golden);
    otherProto.writeUInt16BE(0x86dd, 16);
    assert.equal(decodeArpFrame(otherProto), undefined);
  });

  test('a reply for another address is not gratuitous', () => {
    const frame = Buffer.from(GOLDEN_GARP, 'hex');
    frame.writeUInt16BE(2, 20);
    frame.writeUInt8(11, 41);
    const arp = decodeArpFrame(frame);
    assert.equal(arp?.operation, 2);
    assert.equal(arp && isGratuitousArp(arp), false);
  });

  test('refuses IPv6 addresses and malformed MACs', () => {
    assert.throws(() => encodeGratuitousArp('00:00:5e:00:01:33', '2001:db8::1'), RangeError);
    assert.throws(() => encodeGratuitousArp('00:00:5e:00:01', '192.0.2.1'), RangeError);
    assert.throws(() => macBytes(new Uint8Array(5)), RangeError);
  });

  test('round-trips any MAC and IPv4 address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.ipV4(), (mac, ip) => {
        const arp = decodeArpFrame(encodeGratuitousArp(mac, ip));
        const macText = Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
        assert.equal(arp?.senderMac, macText);
        assert.equal(arp?.sourceMac, macText);
        assert.equal(arp?.senderIp, ip);
        assert.equal(arp?.targetIp, ip);
      }),
    );
  });
});
