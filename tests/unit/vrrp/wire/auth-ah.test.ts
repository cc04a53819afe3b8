// IPSEC-AH against packets computed independently (Python's hmac module over the layout in keepalived's
// sources), replay protection, and the mutable-field rules.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Advert } from '../../../../src/vrrp/advert.js';
import {
  authData,
  computeAhIcv,
  nextAhSequence,
  verifyAh,
  type AhReceiveState,
} from '../../../../src/vrrp/wire/auth-ah.js';
import { buildIpv4Packet, decodeIpv4Packet } from '../../../../src/vrrp/wire/packet.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// IPv4 (proto 51, id 5) | AH: next 112, len 4, SPI 10.0.0.2, seq 1, ICV | VRRPv2 vrid 52 prio 150 auth AH
// 10.1.1.1; ICV = HMAC-MD5("ahsecret", header with TOS/frag/checksum zeroed + AH with zero ICV + VRRP)[0:12]
const V2_AH =
  '45c0 0040 0005 0000 ff33 d0b1 0a000002 e0000012' +
  '7004 0000 0a000002 00000001 8c3a7bac74afb65867dde934' +
  '2134 9601 0201 3bc7 0a010101 0000000000000000';

const ahAdvert: Advert = {
  version: 2,
  vrid: 52,
  priority: 150,
  intervalCs: 100,
  addresses: ['10.1.1.1'],
  authType: 'ah',
};

describe('IPSEC-AH', () => {
  test('builds the hand-computed packet', () => {
    const p = buildIpv4Packet(ahAdvert, {
      source: '10.0.0.2',
      destination: '224.0.0.18',
      id: 5,
      authPass: 'ahsecret',
      ah: { sequence: 1, unicast: false },
    });
    assert.equal(toHex(p), toHex(hex(V2_AH)));
  });
  test('the key is auth_pass cut or zero padded to 8 bytes', () => {
    assert.equal(toHex(authData('ab')), '6162000000000000');
    assert.equal(toHex(authData('0123456789')), '3031323334353637');
    assert.equal(toHex(authData(undefined)), '0000000000000000');
  });
  test('verifies, then refuses the same sequence again', () => {
    const state: AhReceiveState = { sequence: 0 };
    const key = authData('ahsecret');
    assert.deepEqual(verifyAh(hex(V2_AH), 20, 64, key, false, state), { ok: true, sequence: 1 });
    assert.equal(state.sequence, 1);
    const again = verifyAh(hex(V2_AH), 20, 64, key, false, state);
    assert.equal(again.ok, false);
  });
  test('TOS, fragment word and header checksum are mutable; TTL only for unicast', () => {
    const key = authData('ahsecret');
    const mutated = hex(V2_AH);
    mutated[1] = 0;
    mutated[6] = 0x40;
    mutated[10] = 0x12;
    assert.equal(verifyAh(mutated, 20, 64, key, false, { sequence: 0 }).ok, true);
    const ttl = hex(V2_AH);
    ttl[8] = 64;
    assert.equal(verifyAh(ttl, 20, 64, key, false, { sequence: 0 }).ok, false);
    const uni = buildIpv4Packet(ahAdvert, {
      source: '10.0.0.2',
      destination: '10.0.0.3',
      id: 9,
      ttl: 255,
      authPass: 'ahsecret',
      ah: { sequence: 3, unicast: true },
    });
    uni[8] = 60;
    assert.equal(verifyAh(uni, 20, uni.length, key, true, { sequence: 0 }).ok, true);
  });
  test('wrong key, tampered payload or SPI are refused', () => {
    assert.equal(verifyAh(hex(V2_AH), 20, 64, authData('other'), false, { sequence: 0 }).ok, false);
    const tampered = hex(V2_AH);
    tampered[46] = 151; // priority
    assert.equal(verifyAh(tampered, 20, 64, authData('ahsecret'), false, { sequence: 0 }).ok, false);
    // A different SPI with a matching ICV: rebuild the ICV over the changed SPI.
    const spi = hex(V2_AH);
    spi[27] = 9;
    spi.set(computeAhIcv(spi, 20, authData('ahsecret'), false), 32);
    const r = verifyAh(spi, 20, 64, authData('ahsecret'), false, { sequence: 0 });
    assert.equal(r.ok ? '' : r.detail, 'IPSEC SPI is not the source address');
  });
  test('the sender counts from 1 and stops at keepalived limit', () => {
    const s = { sequence: 0 };
    assert.equal(nextAhSequence(s), 1);
    assert.equal(nextAhSequence(s), 2);
    const high = { sequence: 0xfffffffe };
    assert.equal(nextAhSequence(high), 0xfffffffe);
  });
  test('decoder hands AH packets through with their facts', () => {
    const r = decodeIpv4Packet(hex(V2_AH), 'eth0');
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.wire.ipProtocol, 51);
    assert.equal(r.received.advert.authType, 'ah');
    assert.equal(r.wire.pduLength, 20);
  });
});
