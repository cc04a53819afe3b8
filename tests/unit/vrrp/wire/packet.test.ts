// The VRRP codec against bytes written out by hand from the RFC layouts (checksums computed independently,
// with a separate RFC 1071 implementation), round trips, and decoding arbitrary bytes.
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OutcomeTally } from '../../../helpers/outcome-tally.js';
import type { Advert } from '../../../../src/vrrp/advert.js';
import {
  checksumVerifies,
  internetChecksum,
  ipv4PseudoHeaderSum,
} from '../../../../src/vrrp/wire/checksum.js';
import { formatIpv6, parseIpv6 } from '../../../../src/common/inet.js';
import { ipv4HeaderChecksumOk, nextIpv4Id } from '../../../../src/vrrp/wire/ipv4.js';
import {
  buildIpv4Packet,
  decodeIpv4Packet,
  decodeVrrp,
  encodeAdvert,
  wireAuthData,
  wirePdu,
  wireTrailer,
  type DecodeResult,
} from '../../../../src/vrrp/wire/packet.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** An RFC 1071 checksum written the plain way, to check the codec's against. */
function referenceChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2)
    sum += (bytes[i] << 8) + (i + 1 < bytes.length ? bytes[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ok(r: DecodeResult): Extract<DecodeResult, { ok: true }> {
  if (!r.ok) assert.fail(`expected ok, got ${r.reason}: ${r.detail ?? ''}`);
  return r;
}

// IPv4 | VRRPv2, vrid 51, prio 100, 1 address, auth PASS, 1 s | 192.168.1.100 | "secret\0\0"
const V2_PASS =
  '45c0 0028 0001 0000 ff70 18e0 c0a8010a e0000012' + '2133 6401 0101 7b71 c0a80164 7365637265740000';
// IPv4 | VRRPv3, vrid 51, prio 100, 2 addresses, 100 cs | 192.168.1.100 10.0.0.1, pseudo-header checksum
const V3_RFC = '45c0 0024 0007 0000 ff70 18de c0a8010a e0000012' + '3133 6402 0064 fc12 c0a80164 0a000001';
const V3_PDU_AS_V2 = '3133 6402 0064 9e58 c0a80164 0a000001';
// VRRPv3 over IPv6 from fe80::a to ff02::12: vrid 7, prio 200, 50 cs, 2001:db8::100
const V3_V6_PDU = '3107 c801 0032 d9e3 20010db8000000000000000000000100';

const v2Advert: Advert = {
  version: 2,
  vrid: 51,
  priority: 100,
  intervalCs: 100,
  addresses: ['192.168.1.100'],
  authType: 'pass',
};
const v3Advert: Advert = {
  version: 3,
  vrid: 51,
  priority: 100,
  intervalCs: 100,
  addresses: ['192.168.1.100', '10.0.0.1'],
  authType: 'none',
};

describe('checksum', () => {
  test('RFC 1071 sample IPv4 header gives b861', () => {
    const h = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
    assert.equal(internetChecksum(h), 0xb861);
    h[10] = 0xb8;
    h[11] = 0x61;
    assert.ok(checksumVerifies(h, 0, h.length));
    assert.ok(ipv4HeaderChecksumOk(h));
  });
  test('odd lengths pad with a zero byte, like the reference', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        assert.equal(internetChecksum(b), referenceChecksum(b));
      }),
    );
  });
  test('pseudo-header sum equals summing the spelled-out pseudo-header', () => {
    const src = hex('c0a8010a');
    const dst = hex('e0000012');
    const spelled = hex('c0a8010a e0000012 0070 000c');
    assert.equal(
      internetChecksum(new Uint8Array(0), 0, 0, ipv4PseudoHeaderSum(src, 0, dst, 0, 112, 12)),
      referenceChecksum(spelled),
    );
  });
});

describe('IPv4 identification', () => {
  test('IPv4 identification skips 0', () => {
    assert.equal(nextIpv4Id(0), 1);
    assert.equal(nextIpv4Id(65535), 1);
    assert.equal(nextIpv4Id(41), 42);
  });
});

describe('encoding matches the hand-written packets', () => {
  test('v2 PASS over IPv4, whole packet', () => {
    const p = buildIpv4Packet(v2Advert, {
      source: '192.168.1.10',
      destination: '224.0.0.18',
      id: 1,
      authPass: 'secret',
    });
    assert.equal(toHex(p), toHex(hex(V2_PASS)));
  });
  test('v3 over IPv4 with the pseudo-header (keepalived default)', () => {
    const p = buildIpv4Packet(v3Advert, { source: '192.168.1.10', destination: '224.0.0.18', id: 7 });
    assert.equal(toHex(p), toHex(hex(V3_RFC)));
  });
  test('v3 over IPv4 as v2 (v3_checksum_as_v2)', () => {
    const pdu = encodeAdvert(v3Advert, { family: 4, checksumMode: 'v2-style' });
    assert.equal(toHex(pdu), toHex(hex(V3_PDU_AS_V2)));
  });
  test('old_unicast_checksum uses the group as pseudo destination', () => {
    const pdu = encodeAdvert(v3Advert, {
      family: 4,
      source: '192.168.1.10',
      destination: '192.168.1.20',
      checksumMode: 'old-unicast',
    });
    assert.equal(toHex(pdu), toHex(hex(V3_RFC).subarray(20)));
  });
  test('v3 over IPv6 with the IPv6 pseudo-header', () => {
    const advert: Advert = {
      version: 3,
      vrid: 7,
      priority: 200,
      intervalCs: 50,
      addresses: ['2001:db8::100'],
      authType: 'none',
    };
    const pdu = encodeAdvert(advert, { family: 6, source: 'fe80::a', destination: 'ff02::12' });
    assert.equal(toHex(pdu), toHex(hex(V3_V6_PDU)));
    const kernelFills = encodeAdvert(advert, { family: 6 });
    assert.equal(kernelFills[6] | kernelFills[7], 0);
  });
  test('encoding nonsense throws RangeError (caller bug), never a wrong packet', () => {
    assert.throws(
      () => encodeAdvert({ ...v3Advert, addresses: ['nope'] }, { family: 4, checksumMode: 'v2-style' }),
      RangeError,
    );
    assert.throws(
      () => encodeAdvert({ ...v3Advert, vrid: 0 }, { family: 4, checksumMode: 'v2-style' }),
      RangeError,
    );
    assert.throws(() => encodeAdvert(v3Advert, { family: 4 }), RangeError);
  });
});

describe('decoding the hand-written packets', () => {
  test('v2 PASS', () => {
    const r = ok(decodeIpv4Packet(hex(V2_PASS), 'eth0'));
    assert.deepEqual(r.received, {
      advert: v2Advert,
      family: 4,
      source: '192.168.1.10',
      destination: '224.0.0.18',
      ttl: 255,
      ifname: 'eth0',
    });
    assert.equal(r.wire.checksumForm, 'v2');
    assert.equal(Buffer.from(wireAuthData(r.wire) ?? []).toString('latin1'), 'secret\0\0');
    assert.equal(r.wire.destinationIsMulticast, true);
  });
  test('v3 checksum forms are told apart', () => {
    assert.equal(ok(decodeIpv4Packet(hex(V3_RFC), 'eth0')).wire.checksumForm, 'rfc');
    const asV2 = hex(V3_RFC);
    asV2.set(hex(V3_PDU_AS_V2), 20);
    assert.equal(ok(decodeIpv4Packet(asV2, 'eth0')).wire.checksumForm, 'v2-style');
    const unicast = hex(V3_RFC);
    unicast.set(hex('c0a80114'), 16); // destination 192.168.1.20, checksum still over 224.0.0.18
    const r = ok(decodeIpv4Packet(unicast, 'eth0'));
    assert.equal(r.wire.checksumForm, 'old-unicast');
    assert.equal(r.wire.destinationIsMulticast, false);
  });
  test('a bad v3 checksum is dropped, or kept marked when asked', () => {
    const bad = hex(V3_RFC);
    bad[27] ^= 1;
    const r = decodeIpv4Packet(bad, 'eth0');
    assert.equal(r.ok ? 'ok' : r.reason, 'checksum_err');
    assert.equal(ok(decodeIpv4Packet(bad, 'eth0', { keepBadV3Checksum: true })).wire.checksumForm, 'bad');
  });
  test('IPv6 payload with socket facts', () => {
    const r = ok(
      decodeVrrp(hex(V3_V6_PDU), {
        family: 6,
        source: 'fe80::a',
        destination: 'ff02::12',
        ttl: 255,
        ifname: 'eth1',
      }),
    );
    assert.deepEqual(r.received.advert, {
      version: 3,
      vrid: 7,
      priority: 200,
      intervalCs: 50,
      addresses: ['2001:db8::100'],
      authType: 'none',
    });
    assert.equal(r.received.source, 'fe80::a');
    assert.equal(r.wire.checksumForm, 'ipv6');
    const wrongSource = decodeVrrp(hex(V3_V6_PDU), {
      family: 6,
      source: 'fe80::b',
      destination: 'ff02::12',
      ttl: 255,
      ifname: 'x',
    });
    assert.equal(wrongSource.ok ? 'ok' : wrongSource.reason, 'checksum_err');
    const trusted = decodeVrrp(hex(V3_V6_PDU), {
      family: 6,
      source: 'fe80::b',
      destination: 'ff02::12',
      ttl: 255,
      ifname: 'x',
      checksumVerified: true,
    });
    assert.equal(ok(trusted).wire.checksumForm, 'unchecked');
  });
});

describe('IPv6 checksum as the kernel computes it', () => {
  test('covers an auth_hmac trailer too (the whole payload)', () => {
    const pdu = hex(V3_V6_PDU);
    pdu[6] = 0;
    pdu[7] = 0;
    const payload = new Uint8Array(pdu.length + 28);
    payload.set(pdu);
    payload.fill(0x5a, pdu.length);
    // The IPv6 pseudo-header spelled out: source, destination, upper-layer length, 3 zero bytes, next header.
    const pseudo = new Uint8Array(40);
    pseudo.set(parseIpv6('fe80::a') as Uint8Array, 0);
    pseudo.set(parseIpv6('ff02::12') as Uint8Array, 16);
    pseudo[35] = payload.length;
    pseudo[39] = 112;
    const sum = referenceChecksum(new Uint8Array([...pseudo, ...payload]));
    payload[6] = sum >> 8;
    payload[7] = sum & 0xff;
    const meta = { family: 6 as const, source: 'fe80::a', destination: 'ff02::12', ttl: 255, ifname: 'e' };
    const r = ok(decodeVrrp(payload, meta));
    assert.equal(r.wire.checksumForm, 'ipv6');
    assert.equal(r.wire.trailerOffset, 24);
  });
});

describe('structural drops', () => {
  const reason = (r: DecodeResult): string => (r.ok ? 'ok' : r.reason);
  const patched = (base: string, at: number, bytes: number[]): Uint8Array => {
    const b = hex(base);
    b.set(bytes, at);
    return b;
  };
  test('lengths', () => {
    assert.equal(reason(decodeIpv4Packet(new Uint8Array(10), 'e')), 'packet_len_err');
    assert.equal(reason(decodeIpv4Packet(hex(V2_PASS).subarray(0, 30), 'e')), 'packet_len_err');
    // count says 2 addresses but only one is there
    assert.equal(reason(decodeIpv4Packet(patched(V2_PASS, 23, [2]), 'e')), 'packet_len_err');
    // IP total length disagrees with what was read
    assert.equal(reason(decodeIpv4Packet(patched(V2_PASS, 2, [0, 0x29]), 'e')), 'packet_len_err');
    assert.equal(
      reason(
        decodeVrrp(new Uint8Array(7), {
          family: 6,
          source: '::1',
          destination: '::1',
          ttl: 255,
          ifname: 'e',
        }),
      ),
      'packet_len_err',
    );
  });
  test('Ethernet padding to 46 bytes is allowed, other trailing bytes are not', () => {
    const padded = new Uint8Array(46);
    padded.set(hex(V3_RFC));
    assert.equal(reason(decodeIpv4Packet(padded, 'e')), 'ok');
    const odd = new Uint8Array(hex(V3_RFC).length + 4);
    odd.set(hex(V3_RFC));
    assert.equal(reason(decodeIpv4Packet(odd, 'e')), 'packet_len_err');
  });
  test('version, type, auth type, protocol', () => {
    assert.equal(reason(decodeIpv4Packet(patched(V2_PASS, 20, [0x41]), 'e')), 'version_err');
    assert.equal(reason(decodeIpv4Packet(patched(V2_PASS, 20, [0x22]), 'e')), 'invalid_type_rcvd');
    assert.equal(reason(decodeIpv4Packet(patched(V2_PASS, 24, [3]), 'e')), 'invalid_authtype');
    assert.equal(reason(decodeIpv4Packet(patched(V2_PASS, 9, [6]), 'e')), 'not_vrrp');
    assert.equal(reason(decodeIpv4Packet(patched(V2_PASS, 0, [0x65]), 'e')), 'packet_len_err');
  });
  test('a trailer-sized tail is recognised as an auth_hmac trailer', () => {
    const base = hex(V3_RFC);
    const withTail = new Uint8Array(base.length + 28);
    withTail.set(base);
    withTail[3] = withTail.length;
    const r = ok(decodeIpv4Packet(withTail, 'e'));
    assert.equal(wireTrailer(r.wire)?.length, 28);
    assert.equal(wirePdu(r.wire).length, 16);
  });
});

const ipv4Text = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const ipv6Text = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6(b));

function advertArb(family: 4 | 6): fc.Arbitrary<Advert> {
  return fc
    .record({
      version: fc.constantFrom<2 | 3>(2, 3),
      vrid: fc.integer({ min: 1, max: 255 }),
      priority: fc.nat(255),
      seconds: fc.integer({ min: 1, max: 255 }),
      cs: fc.integer({ min: 1, max: 4095 }),
      addresses: fc.array(family === 4 ? ipv4Text : ipv6Text, { maxLength: 12 }),
      auth: fc.constantFrom<'none' | 'pass'>('none', 'pass'),
    })
    .map((r) => ({
      version: r.version,
      vrid: r.vrid,
      priority: r.priority,
      intervalCs: r.version === 2 ? r.seconds * 100 : r.cs,
      addresses: r.addresses,
      authType: r.version === 2 ? r.auth : 'none',
    }));
}

describe('round trips', () => {
  test('IPv4: build then decode gives the advert back', () => {
    fc.assert(
      fc.property(
        advertArb(4),
        ipv4Text,
        ipv4Text,
        fc.constantFrom('rfc', 'v2-style', 'old-unicast'),
        (advert, src, dst, mode) => {
          const packet = buildIpv4Packet(advert, {
            source: src,
            destination: dst,
            authPass: 'pw',
            checksumMode: mode as 'rfc',
          });
          const r = ok(decodeIpv4Packet(packet, 'eth0'));
          assert.deepEqual(r.received.advert, advert);
          assert.equal(r.received.source, src);
          assert.equal(r.received.destination, dst);
          assert.ok(ipv4HeaderChecksumOk(packet));
        },
      ),
      { numRuns: 150 },
    );
  });
  test('IPv6: encode then decode gives the advert back', () => {
    fc.assert(
      fc.property(advertArb(6), ipv6Text, ipv6Text, (advert, src, dst) => {
        const pdu = encodeAdvert(advert, { family: 6, source: src, destination: dst });
        const r = ok(decodeVrrp(pdu, { family: 6, source: src, destination: dst, ttl: 255, ifname: 'e' }));
        assert.deepEqual(r.received.advert, advert);
      }),
      { numRuns: 100 },
    );
  });
});

describe('decoding never throws', () => {
  let tally = new OutcomeTally();
  const check = (r: DecodeResult): void => {
    assert.equal(typeof r.ok, 'boolean');
    if (!r.ok) assert.equal(typeof r.reason, 'string');
    tally.add(r.ok ? 'ok' : r.reason);
  };
  beforeEach(() => (tally = new OutcomeTally()));
  test('arbitrary bytes as an IPv4 packet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => check(decodeIpv4Packet(b, 'e'))),
      { numRuns: 600 },
    );
    // Random bytes are refused, nearly all at the first length check (the shaped cases below go deeper).
    assert.equal(tally.count('ok'), 0, `${tally}`);
  });
  test('arbitrary bytes that look like IPv4 VRRP', () => {
    // Random headers and payloads, but shaped so that many get past the length checks: the IP header's
    // length fields and VRRP's address count mostly agree with the bytes, the rest is random.
    const packet = fc
      .record({
        ihl: fc.constantFrom(5, 5, 5, 6, 4),
        proto: fc.constantFrom(112, 112, 112, 51),
        versionType: fc.constantFrom(0x21, 0x31, 0x31, 0x32, 0x11, 0x41),
        count: fc.integer({ min: 0, max: 3 }),
        slack: fc.constantFrom(0, 0, 0, 0, 1, -1, 20),
        totalLengthLies: fc.boolean(),
        rest: fc.uint8Array({ minLength: 64, maxLength: 64 }),
      })
      .map(({ ihl, proto, versionType, count, slack, totalLengthLies, rest }) => {
        const header = Math.max(ihl, 5) * 4;
        const version = versionType >> 4;
        const pdu = 8 + 4 * count + (version === 2 ? 8 : 0);
        const ah = proto === 51 ? 24 : 0;
        const length = Math.max(header + 1, header + ah + pdu + slack);
        const b = new Uint8Array(length);
        b.set(rest.subarray(0, Math.min(rest.length, length)), 0);
        b[0] = 0x40 | ihl;
        b[2] = (totalLengthLies ? length + 4 : length) >> 8;
        b[3] = (totalLengthLies ? length + 4 : length) & 0xff;
        b[8] = 255;
        b[9] = proto;
        if (ah > 0 && header < length) b[header] = 112;
        const at = header + ah;
        if (at + 4 <= length) {
          b[at] = versionType;
          b[at + 3] = count;
        }
        return b;
      });
    fc.assert(
      fc.property(packet, (b) => check(decodeIpv4Packet(b, 'e'))),
      { numRuns: 800 },
    );
    // Refused by VRRP's own checks, far past the IP header (version, type, length, checksum, auth...).
    tally.distinct(5);
    for (const deep of ['checksum_err', 'invalid_type_rcvd', 'version_err'])
      assert.ok(tally.count(deep) >= 20, `too few cases reached ${deep}: ${tally}`);
  });
  test('valid packets with bytes flipped', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(V2_PASS, V3_RFC),
        fc.array(fc.tuple(fc.nat(60), fc.nat(255)), { maxLength: 4 }),
        (base, flips) => {
          const b = hex(base);
          for (const [at, v] of flips) if (at < b.length) b[at] = v;
          check(decodeIpv4Packet(b, 'e'));
        },
      ),
      { numRuns: 400 },
    );
    // Up to 4 flipped bytes of ~50: many packets stay whole (or flip only padding) and decode.
    tally.atLeast('ok', 20);
    tally.distinct(4);
  });
  test('arbitrary IPv6 payloads', () => {
    // VRRP over IPv6 is the payload alone; shaped so the address count mostly matches the length.
    const payload = fc
      .record({
        versionType: fc.constantFrom(0x31, 0x31, 0x32, 0x21, 0x51),
        count: fc.integer({ min: 0, max: 2 }),
        slack: fc.constantFrom(0, 0, 0, 1, -3, 16),
        rest: fc.uint8Array({ minLength: 64, maxLength: 64 }),
      })
      .map(({ versionType, count, slack, rest }) => {
        const b = new Uint8Array(Math.max(0, 8 + 16 * count + slack));
        b.set(rest.subarray(0, b.length));
        if (b.length >= 4) {
          b[0] = versionType;
          b[3] = count;
        }
        return b;
      });
    fc.assert(
      fc.property(payload, (b) =>
        check(
          decodeVrrp(b, { family: 6, source: 'fe80::1', destination: 'ff02::12', ttl: 255, ifname: 'e' }),
        ),
      ),
      { numRuns: 600 },
    );
    tally.distinct(4);
    for (const deep of ['checksum_err', 'invalid_type_rcvd'])
      assert.ok(tally.count(deep) >= 20, `too few cases reached ${deep}: ${tally}`);
  });
});
