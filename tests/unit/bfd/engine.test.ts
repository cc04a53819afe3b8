// The session state machine, two engines back to back on a virtual clock: three-way handshake,
// negotiated timers through Poll/Final, detection time on a cut link, slow start, passive role, the
// received-TTL rule, a peer going AdminDown, and jitter bounds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BfdEngine } from '../../../src/bfd/engine.js';
import { BfdState, decodeControl, encodeControl } from '../../../src/bfd/packet.js';
import { jitteredIntervalUs } from '../../../src/bfd/session.js';
import { Pair, spec } from './pair.js';

const bothUp = (p: Pair) => () => p.a.session('to-b')?.state === 'Up' && p.b.session('to-a')?.state === 'Up';

void describe('BFD sessions', () => {
  void test('two active peers: Down -> Init -> Up within two slow-start intervals', () => {
    const p = new Pair();
    p.start();
    const at = p.runUntilTrue(bothUp(p), 5000);
    assert.ok(at !== undefined && at <= 2000, `Up at ${at}`);
    assert.deepEqual(p.states('a'), ['Init', 'Up']);
    assert.deepEqual(p.states('b'), ['Init', 'Up']);
    // While not Up, packets go at the 1 s idle rate, minus at most 25% jitter.
    const early = p.sent('a').filter((l) => l.at < at);
    for (let i = 1; i < early.length; i++) {
      const gap = early[i]!.at - early[i - 1]!.at;
      assert.ok(gap >= 750 && gap <= 1000, `slow start gap ${gap}`);
    }
  });

  void test('Up: timers negotiated through Poll/Final, 10 ms tx and 5 x 10 ms detection', () => {
    const p = new Pair();
    p.start();
    p.runUntilTrue(bothUp(p), 5000);
    p.runUntil(p.now + 200);
    const a = p.a.session('to-b')!;
    assert.equal(a.txIntervalUs, 10_000);
    assert.equal(a.detectTimeUs, 50_000);
    assert.equal(a.remoteMinRxUs, 10_000);
    assert.equal(a.remoteMinTxUs, 10_000);
    // The Poll that announced the fast rate was answered with a Final and is over.
    const packets = p
      .sent('a')
      .map((l) => (l.action.type === 'send' ? decodeControl(l.action.data) : undefined));
    const polls = packets.filter((r) => r?.ok && r.packet.poll);
    assert.ok(polls.length >= 1);
    const lastTwo = packets.slice(-2);
    for (const r of lastTwo) assert.ok(r?.ok && !r.packet.poll && r.packet.state === BfdState.Up);
    const finals = p
      .sent('b')
      .map((l) => (l.action.type === 'send' ? decodeControl(l.action.data) : undefined))
      .filter((r) => r?.ok && r.packet.final);
    assert.ok(finals.length >= 1, 'B answered a Poll with Final');
    // Steady state: 7.5-10 ms between packets.
    const recent = p.sent('a').slice(-10);
    for (let i = 1; i < recent.length; i++) {
      const gap = recent[i]!.at - recent[i - 1]!.at;
      assert.ok(gap >= 7.5 - 1e-9 && gap <= 10 + 1e-9, `gap ${gap}`);
    }
  });

  void test('a cut link takes both sides Down within the detection time, and back Up after', () => {
    const p = new Pair();
    p.start();
    p.runUntilTrue(bothUp(p), 5000);
    p.runUntil(p.now + 100);
    const cut = p.now;
    p.linkUp = false;
    const down = p.runUntilTrue(() => p.a.session('to-b')?.state === 'Down', 1000);
    assert.ok(down !== undefined);
    // The last packet arrived at most one tx interval (plus the link delay) before the cut.
    assert.ok(
      down - cut <= 50 + 1e-9 && down - cut >= 50 - 10 - p.delayMs - 1e-9,
      `Down after ${down - cut} ms`,
    );
    const fall = p.log.filter((l) => l.node === 'a' && l.action.type === 'state').at(-1)!.action;
    assert.deepEqual(fall.type === 'state' && [fall.from, fall.to, fall.diag, fall.notify], [
      'Up',
      'Down',
      1,
      true,
    ]);
    assert.equal(p.a.session('to-b')!.remoteDiscriminator, 0);
    // Down again means slow start: the next packets go at the idle rate.
    p.runUntil(p.now + 3000);
    const idle = p.sent('a').filter((l) => l.at > down + 1);
    for (let i = 1; i < idle.length; i++) assert.ok(idle[i]!.at - idle[i - 1]!.at >= 750);
    p.linkUp = true;
    assert.ok(p.runUntilTrue(bothUp(p), 5000) !== undefined);
  });

  void test('timers follow the slower side: tx = max(our min_tx, their min_rx), detect = their mult x max(our min_rx, their min_tx)', () => {
    const p = new Pair(
      { requiredMinRxUs: 100_000, detectMult: 3 },
      { desiredMinTxUs: 20_000, detectMult: 4 },
    );
    p.start();
    p.runUntilTrue(bothUp(p), 5000);
    p.runUntil(p.now + 1000);
    const a = p.a.session('to-b')!;
    const b = p.b.session('to-a')!;
    assert.equal(b.txIntervalUs, 100_000);
    assert.equal(a.detectTimeUs, 4 * 100_000);
    assert.equal(a.txIntervalUs, 10_000);
    assert.equal(b.detectTimeUs, 3 * 10_000);
    assert.equal(b.remoteMinTxUs, 10_000);
  });

  void test('same seed, same run; the jitter comes only from the injected source', () => {
    const run = () => {
      const p = new Pair({}, {}, 42);
      p.start();
      p.runUntil(3000);
      return p.log.map((l) => [l.at, l.node, l.action.type]);
    };
    assert.deepEqual(run(), run());
  });

  void test('received TTL must be 255 on a single hop, or ttl - max_hops', () => {
    const p = new Pair();
    p.ttl = 254;
    p.start();
    assert.equal(p.runUntilTrue(bothUp(p), 4000), undefined);
    assert.ok((p.a.drops.get('ttl') ?? 0) > 0);
    const q = new Pair({ maxHops: 1 }, { maxHops: 1 });
    q.ttl = 254;
    q.start();
    assert.ok(q.runUntilTrue(bothUp(q), 4000) !== undefined);
    const r = new Pair({ maxHops: -1 }, { maxHops: -1 });
    r.ttl = 3;
    r.start();
    assert.ok(r.runUntilTrue(bothUp(r), 4000) !== undefined);
  });

  void test('passive: silent until the peer speaks; two passive ends never come up', () => {
    const p = new Pair({ passive: true }, { passive: true });
    p.start();
    p.runUntil(5000);
    assert.equal(p.sent('a').length + p.sent('b').length, 0);
    const q = new Pair({ passive: true });
    q.start();
    assert.equal(q.sent('a').length, 0);
    assert.ok(q.runUntilTrue(bothUp(q), 4000) !== undefined);
  });

  void test('a peer going AdminDown takes us Down with diag 3, not reported as a failure', () => {
    const p = new Pair();
    p.start();
    p.runUntilTrue(bothUp(p), 5000);
    const a = p.a.session('to-b')!;
    const admin = encodeControl({
      version: 1,
      diag: 7,
      state: BfdState.AdminDown,
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      authPresent: false,
      demand: false,
      multipoint: false,
      detectMult: 5,
      myDiscriminator: a.remoteDiscriminator,
      yourDiscriminator: a.localDiscriminator,
      desiredMinTxUs: 1_000_000,
      requiredMinRxUs: 10_000,
      requiredMinEchoRxUs: 0,
    });
    const out = p.a.handle(p.now, {
      type: 'packet',
      from: '10.0.0.2',
      to: '10.0.0.1',
      multihop: false,
      ttl: 255,
      data: admin,
    });
    const st = out.find((x) => x.type === 'state');
    assert.deepEqual(st?.type === 'state' && [st.from, st.to, st.diag, st.notify], ['Up', 'Down', 3, false]);
  });

  void test('packets that match no session are dropped and counted', () => {
    const e = new BfdEngine([spec({ name: 's', neighbor: '10.0.0.2' })], { random: () => 0.5 });
    const pkt = (your: number, state: number = BfdState.Down) =>
      encodeControl({
        version: 1,
        diag: 0,
        state: state as 0 | 1 | 2 | 3,
        poll: false,
        final: false,
        controlPlaneIndependent: false,
        authPresent: false,
        demand: false,
        multipoint: false,
        detectMult: 3,
        myDiscriminator: 7,
        yourDiscriminator: your,
        desiredMinTxUs: 1_000_000,
        requiredMinRxUs: 1_000_000,
        requiredMinEchoRxUs: 0,
      });
    const reasons = (ev: Parameters<BfdEngine['handle']>[1]) =>
      e.handle(0, ev).flatMap((x) => (x.type === 'drop' ? [x.reason] : x.type === 'state' ? [x.to] : []));
    assert.deepEqual(reasons({ type: 'packet', from: '10.0.0.9', multihop: false, data: pkt(0) }), [
      'no-session',
    ]);
    assert.deepEqual(reasons({ type: 'packet', from: '10.0.0.2', multihop: true, data: pkt(0) }), [
      'no-session',
    ]);
    assert.deepEqual(reasons({ type: 'packet', from: '10.0.0.2', multihop: false, data: pkt(12345, 2) }), [
      'no-session',
    ]);
    assert.deepEqual(
      reasons({ type: 'packet', from: '10.0.0.2', multihop: false, data: new Uint8Array(3) }),
      ['too-short'],
    );
    assert.deepEqual(reasons({ type: 'packet', from: '10.0.0.2', multihop: false, data: pkt(0) }), ['Init']);
    assert.equal(e.drops.get('no-session'), 3);
    assert.equal(e.drops.get('too-short'), 1);
  });

  void test('jitter: 0-25% off each interval, 10-25% with multiplier 1 (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 10_000_000 }),
        fc.integer({ min: 1, max: 255 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (interval, mult, r) => {
          const v = jitteredIntervalUs(interval, mult, () => r);
          assert.ok(v <= interval * (mult === 1 ? 0.9 : 1) + 1e-6);
          assert.ok(v > interval * 0.75 - 1e-6);
        },
      ),
    );
  });

  void test('any order of packets and cuts keeps the state machine within its rules (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 400 })), { minLength: 1, maxLength: 12 }),
        (seed, plan) => {
          const p = new Pair({}, {}, seed);
          p.start();
          for (const [up, ms] of plan) {
            p.linkUp = up;
            p.runUntil(p.now + ms);
          }
          for (const node of ['a', 'b'] as const) {
            const transitions = p.log.filter((l) => l.node === node && l.action.type === 'state');
            for (const t of transitions) {
              if (t.action.type !== 'state') continue;
              // RFC 5880 6.8.6: Init never falls back to Down by packet, only by expiry; Up is entered from Down or Init.
              assert.ok(!(t.action.from === 'Up' && t.action.to === 'Init'));
              assert.ok(t.action.from !== t.action.to);
              assert.equal(
                t.action.notify,
                t.action.to === 'Up' || (t.action.from === 'Up' && t.action.to === 'Down'),
              );
            }
          }
          // Whatever happened, a healthy link brings the session back Up.
          p.linkUp = true;
          assert.ok(p.runUntilTrue(bothUp(p), 6000) !== undefined);
        },
      ),
      { numRuns: 40 },
    );
  });

  void test('the engine never throws on arbitrary datagrams, and counts every drop (property)', () => {
    const e = new BfdEngine([spec({ name: 's', neighbor: '10.0.0.2' })], { random: () => 0.25 });
    let dropped = 0;
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 48 }),
        fc.option(fc.integer({ min: 0, max: 255 })),
        (data, ttl) => {
          const out = e.handle(1, {
            type: 'packet',
            from: '10.0.0.2',
            multihop: false,
            ...(ttl !== null ? { ttl } : {}),
            data,
          });
          dropped += out.filter((a) => a.type === 'drop').length;
        },
      ),
      { numRuns: 1000 },
    );
    const counted = [...e.drops.values()].reduce((x, y) => x + y, 0);
    assert.equal(counted, dropped);
    assert.ok(counted > 900);
  });

  void test('a peer asking for RequiredMinRxInterval 0 gets no periodic packets (6.8.3)', () => {
    const e = new BfdEngine([spec({ name: 's', neighbor: '10.0.0.2' })], { random: () => 0 });
    e.handle(0, { type: 'start' });
    const discr = e.session('s')!.localDiscriminator;
    const silent = encodeControl({
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
      myDiscriminator: 99,
      yourDiscriminator: discr,
      desiredMinTxUs: 1_000_000,
      requiredMinRxUs: 0,
      requiredMinEchoRxUs: 0,
    });
    const out = e.handle(5, { type: 'packet', from: '10.0.0.2', multihop: false, ttl: 255, data: silent });
    assert.deepEqual(
      out.map((a) => a.type),
      ['state', 'timers'],
    );
    const later: string[] = [];
    for (let t = 100; t < 5000; t += 100) later.push(...e.handle(t, { type: 'timer' }).map((a) => a.type));
    assert.equal(later.includes('send'), false);
  });

  void test('reload keeps unchanged sessions Up and restarts changed ones', () => {
    const p = new Pair();
    p.start();
    p.runUntilTrue(bothUp(p), 5000);
    const before = p.a.session('to-b')!;
    const same = spec({ name: 'to-b', neighbor: '10.0.0.2', source: '10.0.0.1' });
    const kept = p.a.reload(p.now, [same]);
    assert.deepEqual(kept, { actions: [], fresh: [] });
    assert.equal(p.a.session('to-b')!.state, 'Up');
    assert.equal(p.a.session('to-b')!.localDiscriminator, before.localDiscriminator);
    const changed = p.a.reload(p.now, [{ ...same, detectMult: 7 }]);
    assert.deepEqual(changed.fresh, ['to-b']);
    assert.deepEqual(
      changed.actions.map((a) => a.type),
      ['send'],
    );
    assert.equal(p.a.session('to-b')!.state, 'Down');
    // The peer sees a new discriminator in a Down packet, falls, and both come back Up.
    assert.ok(p.runUntilTrue(bothUp(p), 5000) !== undefined);
    assert.equal(p.a.session('to-b')!.remoteDetectMult, 5);
    assert.equal(p.b.session('to-a')!.remoteDetectMult, 7);
  });
});
