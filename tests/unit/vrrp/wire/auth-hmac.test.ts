// auth_hmac against the extension's published vectors and packets computed independently (Python's hmac
// module over the layouts in keepalived's sources), replay protection, and the time window.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Advert } from '../../../../src/vrrp/advert.js';
import {
  appendHmacTrailer,
  clockSequence,
  defaultHmacTimeWindowS,
  hmacConfigProblems,
  newHmacReceiveState,
  newHmacSendState,
  nextHmacSequence,
  verifyHmacTrailer,
  type HmacConfig,
  type HmacVerifyInput,
} from '../../../../src/vrrp/wire/auth-hmac.js';
import { encodeAdvert } from '../../../../src/vrrp/wire/packet.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// The extension's published test vectors (the draft's appendix, as keepalived's auth_hmac_test checks them):
// key 00..1f, VRID 51, priority 200, sequence 0x6800000080000000, signed with the checksum field read as 0.
// IPv4: source 198.51.100.10, VIP 192.0.2.100. IPv6: source fe80::10, VIP fe80::100, the checksum the
// kernel computes towards fe80::20 over the whole payload, trailer included.
const DRAFT_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const DRAFT_IPV4 =
  '3133c80100644402c0000264' + '010100006800000080000000' + '1b84bc4e8e43892dc6d98448f8ee2265';
const DRAFT_IPV6 =
  '3133c8010064a2e9' +
  'fe800000000000000000000000000100' +
  '010100006800000080000000' +
  'c8c56146ebfd66ee10ec4d8186461b78';
const DRAFT_SEQUENCE_MS = 0x68000000 * 1000 + 500;

// The first version of the extension covered the checksum as sent. VRRPv3 vrid 9 prio 100 1 s 10.9.9.9
// from 10.0.0.1, then the trailer: type 1, key 3, sec 1700000000, subsec 0x8000, ctr 0,
// HMAC-SHA256(key 01..20, pseudo(4,3,9,0,10.0.0.1) + packet + head + 16 zeros)[0:16]
const HMAC_GOLDEN =
  '3109 6401 0064 6cef 0a090909' + '01 03 0000 6553f100 8000 0000 ea3c278b57b78440318dec986b187b30';
const key32 = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const hmacConfig: HmacConfig = {
  keys: [{ id: 3, key: key32 }],
  activeKeyId: 3,
  antiReplay: 'time',
  timeWindowS: 10,
  mode: 'enforce',
};
const NOW = 1700000000500;
const v3: Advert = {
  version: 3,
  vrid: 9,
  priority: 100,
  intervalCs: 100,
  addresses: ['10.9.9.9'],
  authType: 'none',
};
const pduOf = (): Uint8Array =>
  encodeAdvert(v3, { family: 4, source: '10.0.0.1', destination: '224.0.0.18' });

function verifyInput(over: Partial<HmacVerifyInput> = {}): HmacVerifyInput {
  return {
    family: 4,
    version: 3,
    vrid: 9,
    source: hex('0a000001'),
    unicast: false,
    config: hmacConfig,
    state: newHmacReceiveState(),
    nowRealtimeMs: NOW,
    ...over,
  };
}

describe('auth_hmac trailer', () => {
  // The vectors' timestamps lie outside any live window: monotonic anti-replay, as keepalived's test does.
  const draftConfig: HmacConfig = {
    ...hmacConfig,
    keys: [{ id: 1, key: DRAFT_KEY }],
    activeKeyId: 1,
    antiReplay: 'monotonic',
  };
  const draftCases = [
    { family: 4 as const, golden: DRAFT_IPV4, length: 12, source: hex('c633640a') },
    { family: 6 as const, golden: DRAFT_IPV6, length: 24, source: hex('fe800000000000000000000000000010') },
  ];
  for (const c of draftCases) {
    test(`IPv${c.family}: verifies the published vector, and signs the same bytes`, () => {
      const golden = hex(c.golden);
      const pdu = golden.subarray(0, c.length);
      const input = {
        family: c.family,
        version: 3 as const,
        vrid: 51,
        source: c.source,
        unicast: false,
        config: draftConfig,
        state: newHmacReceiveState(),
        nowRealtimeMs: 0,
      };
      assert.equal(verifyHmacTrailer(pdu, golden.subarray(c.length), input).ok, true);
      // The checksum is not covered: a changed one still verifies, a changed priority does not.
      const checksum = Uint8Array.from(pdu);
      checksum[6] ^= 1;
      const fresh = { ...input, state: newHmacReceiveState() };
      assert.equal(verifyHmacTrailer(checksum, golden.subarray(c.length), fresh).ok, true);
      const priority = Uint8Array.from(pdu);
      priority[2] ^= 1;
      const r = verifyHmacTrailer(priority, golden.subarray(c.length), {
        ...fresh,
        state: newHmacReceiveState(),
      });
      assert.equal(r.ok ? 'ok' : r.reason, 'hmac_digest_err');
      // Signing at the vector's time (sequence 0x68000000.8000.0000) reproduces its trailer byte for byte.
      const signed = appendHmacTrailer(pdu, {
        family: c.family,
        version: 3,
        vrid: 51,
        source: c.source,
        config: draftConfig,
        state: newHmacSendState(),
        nowRealtimeMs: DRAFT_SEQUENCE_MS,
      });
      assert.equal(toHex(signed.subarray(c.length)), toHex(golden.subarray(c.length)));
    });
  }
  test('a signature of the first version (checksum covered) still verifies', () => {
    const golden = hex(HMAC_GOLDEN);
    const r = verifyHmacTrailer(golden.subarray(0, 12), golden.subarray(12), verifyInput());
    assert.equal(r.ok, true);
    const signedNow = appendHmacTrailer(golden.subarray(0, 12), {
      family: 4,
      version: 3,
      vrid: 9,
      source: hex('0a000001'),
      config: hmacConfig,
      state: newHmacSendState(),
      nowRealtimeMs: NOW,
    });
    // Same sequence, but the HMAC of today's input (checksum read as zero) differs from the first version's.
    assert.equal(toHex(signedNow.subarray(0, 24)), toHex(golden.subarray(0, 24)));
    assert.notEqual(toHex(signedNow.subarray(24)), toHex(golden.subarray(24)));
  });
  test('verifies it, then calls the same sequence a replay', () => {
    const golden = hex(HMAC_GOLDEN);
    const input = verifyInput();
    assert.equal(verifyHmacTrailer(golden.subarray(0, 12), golden.subarray(12), input).ok, true);
    const again = verifyHmacTrailer(golden.subarray(0, 12), golden.subarray(12), input);
    assert.equal(again.ok ? 'ok' : again.reason, 'hmac_replay');
  });
  test('each failure has its reason', () => {
    const golden = hex(HMAC_GOLDEN);
    const pdu = golden.subarray(0, 12);
    const reason = (trailer: Uint8Array, over: Partial<HmacVerifyInput> = {}): string => {
      const r = verifyHmacTrailer(pdu, trailer, verifyInput(over));
      return r.ok ? 'ok' : r.reason;
    };
    const t = (): Uint8Array => Uint8Array.from(golden.subarray(12));
    const badType = t();
    badType[0] = 2;
    assert.equal(reason(badType), 'hmac_malformed');
    const reserved = t();
    reserved[3] = 1;
    assert.equal(reason(reserved), 'hmac_malformed');
    assert.equal(reason(t(), { nowRealtimeMs: NOW + 11_000 }), 'hmac_time_window');
    assert.equal(reason(t(), { nowRealtimeMs: NOW - 11_000 }), 'hmac_time_window');
    assert.equal(reason(t(), { nowRealtimeMs: NOW + 10_000 }), 'ok');
    assert.equal(reason(t(), { nowRealtimeMs: 0, config: { ...hmacConfig, antiReplay: 'monotonic' } }), 'ok');
    const otherKey = t();
    otherKey[1] = 4;
    assert.equal(reason(otherKey), 'hmac_key_unknown');
    const flipped = t();
    flipped[27] ^= 1;
    assert.equal(reason(flipped), 'hmac_digest_err');
    assert.equal(reason(t(), { vrid: 10 }), 'hmac_digest_err');
    assert.equal(reason(t(), { source: hex('0a000002') }), 'hmac_digest_err');
  });
  test('the sequence follows the clock and still grows when the clock stalls or steps back', () => {
    const s = newHmacSendState();
    const a = nextHmacSequence(s, NOW);
    assert.equal(a, clockSequence(NOW));
    const b = nextHmacSequence(s, NOW);
    assert.equal(b, a + 1n);
    const c = nextHmacSequence(s, NOW - 5000);
    assert.equal(c, a + 2n);
    const d = nextHmacSequence(s, NOW + 1000);
    assert.equal(d, clockSequence(NOW + 1000));
  });
  test('time mode: a sequence stranded beyond the window after a clock step back restarts from the clock', () => {
    const s = newHmacSendState();
    nextHmacSequence(s, NOW + 3_600_000, 10);
    assert.equal(nextHmacSequence(s, NOW, 10), clockSequence(NOW));
    // Monotonic mode (no window) keeps growing from the stranded value.
    const m = newHmacSendState();
    const high = nextHmacSequence(m, NOW + 3_600_000);
    assert.equal(nextHmacSequence(m, NOW), high + 1n);
  });
  test('time mode: a replay mark outside the window expires, a mark inside it holds', () => {
    const golden = hex(HMAC_GOLDEN);
    const state = newHmacReceiveState();
    const input = verifyInput({ state });
    assert.equal(verifyHmacTrailer(golden.subarray(0, 12), golden.subarray(12), input).ok, true);
    // A mark far in the future (a sender whose clock was wrong) is forgotten once outside the window.
    const slot = state.senders[0];
    slot.sequence = clockSequence(NOW + 3_600_000);
    assert.equal(verifyHmacTrailer(golden.subarray(0, 12), golden.subarray(12), input).ok, true);
    const again = verifyHmacTrailer(golden.subarray(0, 12), golden.subarray(12), input);
    assert.equal(again.ok ? 'ok' : again.reason, 'hmac_replay');
  });
  test('multicast receivers remember the 4 most recent senders', () => {
    const state = newHmacReceiveState();
    const sign = (src: number, send: ReturnType<typeof newHmacSendState>): Uint8Array =>
      appendHmacTrailer(pduOf(), {
        family: 4,
        version: 3,
        vrid: 9,
        source: Uint8Array.of(10, 0, 0, src),
        config: hmacConfig,
        state: send,
        nowRealtimeMs: NOW,
      });
    const check = (src: number, packet: Uint8Array): boolean =>
      verifyHmacTrailer(
        packet.subarray(0, 12),
        packet.subarray(12),
        verifyInput({ source: Uint8Array.of(10, 0, 0, src), state }),
      ).ok;
    const first = sign(1, newHmacSendState());
    assert.ok(check(1, first));
    assert.equal(check(1, first), false);
    for (let src = 2; src <= 5; src++) assert.ok(check(src, sign(src, newHmacSendState())));
    // sender 1 was the least recently used and has been forgotten: its old packet is accepted again
    assert.ok(check(1, first));
  });
  test('IPv6: a signature made before the kernel filled the checksum verifies with the checksum filled', () => {
    const advert: Advert = {
      version: 3,
      vrid: 9,
      priority: 100,
      intervalCs: 100,
      addresses: ['2001:db8::1'],
      authType: 'none',
    };
    const source = Uint8Array.from(Buffer.from('fe80000000000000000000000000000a', 'hex'));
    const unsigned = encodeAdvert(advert, { family: 6 });
    const signed = appendHmacTrailer(unsigned, {
      family: 6,
      version: 3,
      vrid: 9,
      source,
      config: hmacConfig,
      state: newHmacSendState(),
      nowRealtimeMs: NOW,
    });
    signed.set(encodeAdvert(advert, { family: 6, source, destination: 'ff02::12' }).subarray(6, 8), 6);
    const input = verifyInput({ family: 6, source });
    assert.notEqual(toHex(signed.subarray(6, 8)), '0000');
    assert.equal(verifyHmacTrailer(signed.subarray(0, 24), signed.subarray(24), input).ok, true);
  });
  test('sign then verify holds for any packet, key and time', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 64 }),
        fc.uint8Array({ minLength: 32, maxLength: 64 }),
        fc.nat(255),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (pdu, key, id, now) => {
          const config: HmacConfig = { ...hmacConfig, keys: [{ id, key }], activeKeyId: id };
          const source = Uint8Array.of(192, 0, 2, 1);
          const signed = appendHmacTrailer(pdu, {
            family: 4,
            version: 2,
            vrid: 1,
            source,
            config,
            state: newHmacSendState(),
            nowRealtimeMs: now,
          });
          const r = verifyHmacTrailer(signed.subarray(0, pdu.length), signed.subarray(pdu.length), {
            family: 4,
            version: 2,
            vrid: 1,
            source,
            unicast: true,
            config,
            state: newHmacReceiveState(),
            nowRealtimeMs: now,
          });
          assert.ok(r.ok);
        },
      ),
      { numRuns: 200 },
    );
  });
  test('default time window: 3 intervals, 5 s floor, 300 s cap', () => {
    assert.equal(defaultHmacTimeWindowS(100), 5);
    assert.equal(defaultHmacTimeWindowS(250), 8);
    assert.equal(defaultHmacTimeWindowS(40_000), 300);
  });
  test('config bounds', () => {
    assert.deepEqual(hmacConfigProblems(hmacConfig), []);
    const problems = hmacConfigProblems({
      keys: [
        { id: 1, key: new Uint8Array(16) },
        { id: 1, key: new Uint8Array(32) },
      ],
      activeKeyId: 2,
      antiReplay: 'time',
      timeWindowS: 0,
      mode: 'enforce',
    });
    assert.equal(problems.length, 4);
    assert.deepEqual(hmacConfigProblems({ ...hmacConfig, activeKeyId: 7, mode: 'receive-only' }), []);
  });
});
