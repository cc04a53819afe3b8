// BFD's timed transmission (BfdEngineOptions.timedTx): periodic packets are armed for a sender thread and
// reported back. Simulated here on a virtual clock: a's engine arms a sender that goes on sending the armed
// packet (at most `rounds` times) while a's JS thread is held up; b is an ordinary engine. A hold longer
// than the detection time must then leave both ends Up, as long as the sender's rounds cover it; a sender
// of one round (a JS-thread sender) must let b's detection time run out.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BfdEngine, type BfdAction } from '../../../src/bfd/engine.js';
import { decodeControl } from '../../../src/bfd/packet.js';
import { TIMED_REPEAT_FACTOR } from '../../../src/bfd/session.js';
import { spec } from './pair.js';

const TX_US = 100_000;
const MULT = 3;
const DETECT_MS = (TX_US * MULT) / 1000;
const DELAY_MS = 0.2;

type ArmTx = Extract<BfdAction, { type: 'arm-tx' }>;

/** a (timed) and b (ordinary) on a virtual clock; a's JS thread can be held between two instants. */
class TimedPair {
  readonly a = new BfdEngine([spec({ name: 'to-b', neighbor: '10.0.0.2', ...timers() })], {
    random: () => 0.5,
    timedTx: true,
  });
  readonly b = new BfdEngine([spec({ name: 'to-a', neighbor: '10.0.0.1', ...timers() })], {
    random: () => 0.5,
  });
  now = 0;
  /** a's JS thread does nothing in [from, to). */
  hold: { from: number; to: number } | undefined;
  readonly states: { node: 'a' | 'b'; at: number; to: string }[] = [];
  /** When a's packets left (sender thread or JS). */
  readonly aSent: number[] = [];
  private armed: (ArmTx & { left: number; next: number }) | undefined;
  /** Sends a's JS thread has not heard of yet, and packets queued for it (arrival times). */
  private reports: number[] = [];
  private toA: { at: number; data: Uint8Array }[] = [];
  private toB: { at: number; data: Uint8Array }[] = [];
  private aTimer = 0;

  constructor(private readonly rounds: number) {}

  private held(t: number): boolean {
    return this.hold !== undefined && t >= this.hold.from && t < this.hold.to;
  }

  private applyA(actions: BfdAction[]): void {
    for (const x of actions) {
      if (x.type === 'send') this.sendA(x.data);
      else if (x.type === 'arm-tx') this.armed = { ...x, left: this.rounds, next: x.at };
      else if (x.type === 'disarm-tx') this.armed = undefined;
      else if (x.type === 'state') this.states.push({ node: 'a', at: this.now, to: x.to });
    }
  }

  private applyB(actions: BfdAction[]): void {
    for (const x of actions) {
      if (x.type === 'send') this.toA.push({ at: this.now + DELAY_MS, data: x.data });
      else if (x.type === 'state') this.states.push({ node: 'b', at: this.now, to: x.to });
    }
  }

  private sendA(data: Uint8Array): void {
    this.aSent.push(this.now);
    this.toB.push({ at: this.now + DELAY_MS, data });
  }

  private packet(data: Uint8Array, from: string) {
    return { type: 'packet' as const, from, multihop: false, data };
  }

  run(until: number, stepMs = 0.5): void {
    this.applyA(this.a.handle(0, { type: 'start' }));
    this.applyB(this.b.handle(0, { type: 'start' }));
    for (this.now = 0; this.now <= until; this.now += stepMs) {
      // The sender thread: never held.
      const s = this.armed;
      if (s !== undefined && s.left > 0 && s.next <= this.now) {
        this.sendA(s.data);
        this.reports.push(this.now);
        s.left--;
        s.next = this.now + s.periodMs;
      }
      for (const p of this.toB.filter((x) => x.at <= this.now))
        this.applyB(this.b.handle(p.at, this.packet(p.data, '10.0.0.1')));
      this.toB = this.toB.filter((x) => x.at > this.now);
      const bNext = this.b.nextDeadline();
      if (bNext !== undefined && bNext <= this.now) this.applyB(this.b.handle(this.now, { type: 'timer' }));
      if (this.held(this.now)) continue;
      // a's JS thread, as the daemon orders it: the sender's reports, queued packets (at their arrival),
      // then its own deadlines.
      for (const at of this.reports) this.applyA(this.a.handle(at, { type: 'sent', session: 'to-b' }));
      this.reports = [];
      for (const p of this.toA.filter((x) => x.at <= this.now))
        this.applyA(this.a.handle(p.at, this.packet(p.data, '10.0.0.2')));
      this.toA = this.toA.filter((x) => x.at > this.now);
      const aNext = this.a.nextDeadline();
      if (aNext !== undefined && aNext <= this.now) {
        this.aTimer++;
        this.applyA(this.a.handle(this.now, { type: 'timer' }));
      }
    }
  }

  downs(): string[] {
    return this.states.filter((s) => s.to === 'Down').map((s) => `${s.node}@${s.at}`);
  }

  upAt(node: 'a' | 'b'): number | undefined {
    return this.states.find((s) => s.node === node && s.to === 'Up')?.at;
  }
}

function timers() {
  return { desiredMinTxUs: TX_US, requiredMinRxUs: TX_US, idleTxUs: 1_000_000, detectMult: MULT };
}

describe('BFD timed transmission', () => {
  test('periodic packets are armed, not sent; each report re-arms with a fresh time', () => {
    const e = new BfdEngine([spec({ name: 's', neighbor: '10.0.0.2', ...timers() })], {
      random: () => 0,
      timedTx: true,
    });
    const start = e.handle(0, { type: 'start' });
    assert.deepEqual(
      start.map((x) => x.type),
      ['send', 'arm-tx'],
      'the first packet at once, the next armed',
    );
    const arm = start[1] as ArmTx;
    assert.equal(arm.at, 1000, 'idle interval, jitter 0');
    assert.equal(arm.periodMs, 1000 * TIMED_REPEAT_FACTOR);
    assert.equal(decodeControl(arm.data).ok, true);
    assert.equal(e.nextDeadline(), undefined, 'the JS thread has no transmit deadline of its own');
    assert.deepEqual(e.handle(1000, { type: 'timer' }), [], 'the timer sends nothing');
    const after = e.handle(1000.05, { type: 'sent', session: 's' });
    assert.deepEqual(
      after.map((x) => [x.type, (x as ArmTx).at]),
      [['arm-tx', 2000.05]],
    );
    assert.equal(e.snapshot()[0]?.packetsSent, 2);
    assert.deepEqual(e.handle(1500, { type: 'timer' }), [], 'nothing changed: no re-arm');
  });

  test('the session comes Up as with JS sends', () => {
    const p = new TimedPair(100);
    p.run(5000);
    assert.ok(p.upAt('a') !== undefined && p.upAt('b') !== undefined, JSON.stringify(p.states));
    assert.deepEqual(p.downs(), []);
  });

  for (const holdMs of [2 * DETECT_MS, 5 * DETECT_MS]) {
    test(`a's JS thread held ${holdMs} ms (detection ${DETECT_MS} ms): both ends stay Up`, () => {
      const p = new TimedPair(1 + Math.ceil(2000 / ((TX_US / 1000) * TIMED_REPEAT_FACTOR)));
      p.hold = { from: 4000, to: 4000 + holdMs };
      p.run(4000 + holdMs + 3000);
      assert.ok((p.upAt('a') ?? Infinity) < 4000 && (p.upAt('b') ?? Infinity) < 4000);
      assert.deepEqual(p.downs(), []);
      // The sender kept going through the hold, at 85% of the interval at most.
      const inHold = p.aSent.filter((t) => t >= 4000 && t < 4000 + holdMs);
      assert.ok(inHold.length >= holdMs / (TX_US / 1000), `${inHold.length} packets during the hold`);
    });
  }

  test('control: a sender of one round (the JS thread itself) lets b time out', () => {
    const p = new TimedPair(1);
    p.hold = { from: 4000, to: 4000 + 2 * DETECT_MS };
    p.run(7000);
    assert.ok(
      p.downs().some((d) => d.startsWith('b@')),
      `b fell: ${p.downs().join(', ')}`,
    );
  });

  test('a JS thread that hangs stops the packets once the rounds run out: b falls', () => {
    const rounds = 1 + Math.ceil(2000 / ((TX_US / 1000) * TIMED_REPEAT_FACTOR));
    const p = new TimedPair(rounds);
    p.hold = { from: 4000, to: 60_000 };
    p.run(8000);
    const bDown = p.states.find((s) => s.node === 'b' && s.to === 'Down');
    assert.ok(bDown, 'b fell');
    // After the last of the rounds (about 2 s of packets) and b's detection time.
    assert.ok(bDown.at > 4000 + 2000 && bDown.at < 4000 + 2000 + DETECT_MS + 200, `b fell at ${bDown.at}`);
  });
});
