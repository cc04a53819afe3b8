// The control packet codec: round trip, every validation rule of RFC 5880 6.8.6 as a counted reason,
// and a decoder that never throws whatever the bytes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type BfdControlPacket,
  BfdState,
  type BfdStateValue,
  decodeControl,
  diagText,
  encodeControl,
  stateName,
} from '../../../src/bfd/packet.js';
import { OutcomeTally } from '../../helpers/outcome-tally.js';

const base: BfdControlPacket = {
  version: 1,
  diag: 0,
  state: BfdState.Down,
  poll: false,
  final: false,
  controlPlaneIndependent: false,
  authPresent: false,
  demand: false,
  multipoint: false,
  detectMult: 3,
  myDiscriminator: 0x11223344,
  yourDiscriminator: 0,
  desiredMinTxUs: 1_000_000,
  requiredMinRxUs: 10_000,
  requiredMinEchoRxUs: 0,
};

const validPacket = fc
  .record({
    diag: fc.integer({ min: 0, max: 8 }),
    state: fc.constantFrom<BfdStateValue>(0, 1, 2, 3),
    pf: fc.constantFrom('none', 'poll', 'final'),
    controlPlaneIndependent: fc.boolean(),
    demand: fc.boolean(),
    detectMult: fc.integer({ min: 1, max: 255 }),
    myDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
    yourDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
    desiredMinTxUs: fc.integer({ min: 0, max: 0xffffffff }),
    requiredMinRxUs: fc.integer({ min: 0, max: 0xffffffff }),
    requiredMinEchoRxUs: fc.integer({ min: 0, max: 0xffffffff }),
    auth: fc.option(fc.uint8Array({ minLength: 2, maxLength: 28 }), { nil: undefined }),
  })
  .map((r): BfdControlPacket => ({
    version: 1,
    diag: r.diag,
    state: r.state,
    poll: r.pf === 'poll',
    final: r.pf === 'final',
    controlPlaneIndependent: r.controlPlaneIndependent,
    authPresent: r.auth !== undefined,
    demand: r.demand,
    multipoint: false,
    detectMult: r.detectMult,
    myDiscriminator: r.myDiscriminator,
    yourDiscriminator: r.yourDiscriminator,
    desiredMinTxUs: r.desiredMinTxUs,
    requiredMinRxUs: r.requiredMinRxUs,
    requiredMinEchoRxUs: r.requiredMinEchoRxUs,
    ...(r.auth !== undefined ? { auth: r.auth } : {}),
  }));

void describe('BFD control packet codec', () => {
  void test('the wire layout of RFC 5880 4.1', () => {
    const bytes = encodeControl({ ...base, diag: 3, state: BfdState.Up, poll: true, demand: true });
    assert.deepEqual(
      Buffer.from(bytes).toString('hex'),
      // vers 1 diag 3 | Up, P, D | mult 3 | len 24 | my | your | tx 1 s | rx 10 ms | echo 0
      '23e20318' + '11223344' + '00000000' + '000f4240' + '00002710' + '00000000',
    );
  });

  void test('encode then decode gives the same packet (property)', () => {
    fc.assert(
      fc.property(validPacket, (p) => {
        const r = decodeControl(encodeControl(p));
        assert.ok(r.ok);
        assert.deepEqual(r.packet, p);
      }),
      { numRuns: 500 },
    );
  });

  void test('the decoder never throws and says why it refuses (property)', () => {
    // Random bytes, and random bytes with the version and length fields right, so that the later rules
    // of RFC 5880 6.8.6 are reached too.
    const shaped = fc.uint8Array({ minLength: 24, maxLength: 24 }).map((b) => {
      b[0] = (1 << 5) | (b[0]! & 0x1f);
      b[3] = 24;
      return b;
    });
    const tally = new OutcomeTally();
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), shaped), (bytes) => {
        const r = decodeControl(bytes);
        if (r.ok) assert.deepEqual(decodeControl(encodeControl(r.packet)), r);
        else assert.equal(typeof r.reason, 'string');
        tally.add(r.ok ? 'ok' : r.reason);
      }),
      { numRuns: 2000 },
    );
    tally.distinct(5);
    tally.atLeast('ok', 20);
  });

  void test('each rule of 6.8.6 has its drop reason', () => {
    const enc = (p: Partial<BfdControlPacket>) => encodeControl({ ...base, ...p });
    const reason = (bytes: Uint8Array) => {
      const r = decodeControl(bytes);
      return r.ok ? 'ok' : r.reason;
    };
    assert.equal(reason(enc({}).subarray(0, 23)), 'too-short');
    assert.equal(reason(enc({ version: 0 })), 'bad-version');
    assert.equal(reason(enc({ version: 2 })), 'bad-version');
    const long = enc({});
    long[3] = 30;
    assert.equal(reason(long), 'bad-length');
    const short = enc({});
    short[3] = 20;
    assert.equal(reason(short), 'bad-length');
    // The A bit with no room for an authentication section.
    const authNoRoom = enc({});
    authNoRoom[1] = authNoRoom[1]! | 0x04;
    assert.equal(reason(authNoRoom), 'bad-length');
    assert.equal(reason(enc({ detectMult: 0 })), 'zero-detect-mult');
    assert.equal(reason(enc({ multipoint: true })), 'multipoint');
    assert.equal(reason(enc({ myDiscriminator: 0 })), 'zero-my-discriminator');
    assert.equal(reason(enc({ state: BfdState.Up })), 'zero-your-discriminator');
    assert.equal(reason(enc({ state: BfdState.Init })), 'zero-your-discriminator');
    assert.equal(reason(enc({ state: BfdState.AdminDown })), 'ok');
    assert.equal(reason(enc({ poll: true, final: true })), 'poll-and-final');
    assert.equal(reason(enc({ diag: 9 })), 'bad-diag');
    // Trailing bytes past the Length field are ignored.
    const padded = new Uint8Array(32);
    padded.set(enc({}));
    assert.equal(reason(padded), 'ok');
  });

  void test('names', () => {
    assert.equal(stateName(BfdState.Init), 'Init');
    assert.equal(diagText(1), 'Control Detection Time Expired');
    assert.equal(diagText(12), 'Unknown (12)');
  });
});
