// Two BFD engines joined by a simulated link with a fixed one-way delay, driven on a virtual clock:
// each step jumps to the earliest due timer or delivery, as the daemon's event loop would.
import { BfdEngine, type BfdAction, type BfdSessionSpec } from '../../../src/bfd/engine.js';
import { Random } from '../../../src/sim/random.js';

export const spec = (over: Partial<BfdSessionSpec> & { name: string; neighbor: string }): BfdSessionSpec => ({
  family: 4,
  multihop: false,
  desiredMinTxUs: 10_000,
  requiredMinRxUs: 10_000,
  idleTxUs: 1_000_000,
  detectMult: 5,
  passive: false,
  ttl: 255,
  maxHops: 0,
  ...over,
});

interface InFlight {
  at: number;
  to: 'a' | 'b';
  from: string;
  data: Uint8Array;
}

export interface Logged {
  at: number;
  node: 'a' | 'b';
  action: BfdAction;
}

export class Pair {
  readonly a: BfdEngine;
  readonly b: BfdEngine;
  now = 0;
  linkUp = true;
  /** Received TTL reported with each delivered packet. */
  ttl = 255;
  readonly log: Logged[] = [];
  private flight: InFlight[] = [];

  constructor(
    aSpec: Partial<BfdSessionSpec> = {},
    bSpec: Partial<BfdSessionSpec> = {},
    seed = 1,
    readonly delayMs = 0.2,
  ) {
    const rnd = new Random(seed);
    const ra = rnd.fork();
    const rb = rnd.fork();
    this.a = new BfdEngine([spec({ name: 'to-b', neighbor: '10.0.0.2', source: '10.0.0.1', ...aSpec })], {
      random: () => ra.next(),
    });
    this.b = new BfdEngine([spec({ name: 'to-a', neighbor: '10.0.0.1', source: '10.0.0.2', ...bSpec })], {
      random: () => rb.next(),
    });
  }

  start(): void {
    this.apply('a', this.a.handle(this.now, { type: 'start' }));
    this.apply('b', this.b.handle(this.now, { type: 'start' }));
  }

  /** Runs the clock up to `until` (ms). */
  runUntil(until: number): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const next = this.nextEventAt();
      if (next === undefined || next > until) break;
      this.now = next;
      const due = this.flight.filter((f) => f.at <= this.now);
      this.flight = this.flight.filter((f) => f.at > this.now);
      for (const f of due) {
        const engine = f.to === 'a' ? this.a : this.b;
        const to = f.to === 'a' ? '10.0.0.1' : '10.0.0.2';
        this.apply(
          f.to,
          engine.handle(this.now, {
            type: 'packet',
            from: f.from,
            to,
            multihop: false,
            ttl: this.ttl,
            data: f.data,
          }),
        );
      }
      for (const [node, engine] of [
        ['a', this.a],
        ['b', this.b],
      ] as const) {
        const d = engine.nextDeadline();
        if (d !== undefined && d <= this.now) this.apply(node, engine.handle(this.now, { type: 'timer' }));
      }
    }
    this.now = until;
  }

  /** Runs until `pred` holds or `limit` ms pass; returns the time it held, or undefined. */
  runUntilTrue(pred: () => boolean, limit: number): number | undefined {
    const end = this.now + limit;
    while (this.now < end) {
      if (pred()) return this.now;
      const next = this.nextEventAt();
      if (next === undefined) return undefined;
      this.runUntil(Math.min(next, end));
    }
    return pred() ? this.now : undefined;
  }

  states(node: 'a' | 'b'): string[] {
    return this.log
      .filter((l) => l.node === node && l.action.type === 'state')
      .map((l) => (l.action.type === 'state' ? l.action.to : ''));
  }

  sent(node: 'a' | 'b'): Logged[] {
    return this.log.filter((l) => l.node === node && l.action.type === 'send');
  }

  private nextEventAt(): number | undefined {
    const times = [this.a.nextDeadline(), this.b.nextDeadline(), ...this.flight.map((f) => f.at)].filter(
      (t): t is number => t !== undefined,
    );
    return times.length > 0 ? Math.max(this.now, Math.min(...times)) : undefined;
  }

  private apply(node: 'a' | 'b', actions: BfdAction[]): void {
    for (const action of actions) {
      this.log.push({ at: this.now, node, action });
      if (action.type === 'send' && this.linkUp)
        this.flight.push({
          at: this.now + this.delayMs,
          to: node === 'a' ? 'b' : 'a',
          from: node === 'a' ? '10.0.0.1' : '10.0.0.2',
          data: action.data,
        });
    }
  }
}
