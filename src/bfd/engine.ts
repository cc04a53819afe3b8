// The sans-I/O BFD engine: every session of one router. The daemon feeds it received datagrams (with
// source, destination and received TTL) and timer ticks; it returns packets to send and state changes.
// Packets find their session by Your Discriminator, or by addresses while that is still zero (RFC 5880
// 6.8.6); the TTL rule of RFC 5881 section 5 is keepalived's, widened by max_hops.
import { decodeControl } from './packet.js';
import { BfdSession, type RandomSource } from './session.js';
import type { BfdAction, BfdDropReason, BfdEvent, BfdSessionSnapshot, BfdSessionSpec } from './spec.js';

export type { BfdAction, BfdEvent, BfdSessionSpec, BfdSessionSnapshot, BfdDropReason } from './spec.js';

export interface BfdEngineOptions {
  /** Uniform [0, 1): jitter and discriminators. Tests pass a seeded one. */
  random: RandomSource;
  /**
   * Periodic packets are armed (arm-tx / disarm-tx) for a sender that does not wait for the caller's
   * thread, and reported back with `sent` events; packets due at once (the first, a Poll's answer) are
   * still `send` actions. Default: every packet is a `send` action at its time.
   */
  timedTx?: boolean;
}

/** What a session's sender holds: when, at what period, which bytes. */
interface ArmedTx {
  at: number;
  periodMs: number;
  data: Uint8Array;
}

export class BfdEngine {
  private readonly sessions: BfdSession[] = [];
  private readonly byDiscriminator = new Map<number, BfdSession>();
  /** Datagrams that reached no state machine, by reason. */
  readonly drops = new Map<BfdDropReason, number>();
  /** Timed transmission: what each session's sender was last armed with. */
  private readonly armed = new Map<string, ArmedTx>();

  constructor(
    specs: readonly BfdSessionSpec[],
    private readonly options: BfdEngineOptions,
  ) {
    for (const spec of specs) {
      const session = new BfdSession(spec, this.newDiscriminator(), options.random, options.timedTx);
      this.sessions.push(session);
      this.byDiscriminator.set(session.localDiscr, session);
    }
  }

  handle(now: number, event: BfdEvent): BfdAction[] {
    const out: BfdAction[] = [];
    switch (event.type) {
      case 'start':
        for (const s of this.sessions) s.start(now, out);
        break;
      case 'timer':
        for (const s of this.sessions) s.timer(now, out);
        break;
      case 'packet':
        this.receive(now, event, out);
        break;
      case 'sent':
        this.sessions.find((s) => s.spec.name === event.session)?.sent(now);
        break;
    }
    if (this.options.timedTx) this.arms(out);
    return out;
  }

  /** Timed transmission: an arm-tx for each session whose next periodic packet changed (time, period or
   * bytes), a disarm-tx for each that no longer has one. */
  private arms(out: BfdAction[]): void {
    const live = new Set<string>();
    for (const s of this.sessions) {
      const name = s.spec.name;
      live.add(name);
      const plan = s.timedPlan();
      const held = this.armed.get(name);
      if (plan === undefined) {
        if (held !== undefined) {
          this.armed.delete(name);
          out.push({ type: 'disarm-tx', session: name });
        }
        continue;
      }
      if (
        held !== undefined &&
        held.at === plan.at &&
        held.periodMs === plan.periodMs &&
        Buffer.from(held.data).equals(plan.data)
      )
        continue;
      this.armed.set(name, plan);
      out.push({
        type: 'arm-tx',
        session: name,
        family: s.spec.family,
        to: s.spec.neighbor,
        port: s.port,
        ...plan,
      });
    }
    for (const name of [...this.armed.keys()]) {
      if (live.has(name)) continue;
      this.armed.delete(name);
      out.push({ type: 'disarm-tx', session: name });
    }
  }

  /**
   * A new configuration: sessions whose spec is unchanged keep their state, discriminator and timers
   * (as keepalived's reload keeps them); changed and new ones start Down and, when active, send at once.
   * Returns the actions, and the names of the sessions that started afresh.
   */
  reload(now: number, specs: readonly BfdSessionSpec[]): { actions: BfdAction[]; fresh: string[] } {
    const old = new Map(this.sessions.map((s) => [s.spec.name, s]));
    const out: BfdAction[] = [];
    const fresh: string[] = [];
    this.sessions.length = 0;
    this.byDiscriminator.clear();
    for (const spec of specs) {
      const kept = old.get(spec.name);
      if (kept && sameSpec(kept.spec, spec)) {
        this.sessions.push(kept);
        this.byDiscriminator.set(kept.localDiscr, kept);
        continue;
      }
      const session = new BfdSession(
        spec,
        this.newDiscriminator(),
        this.options.random,
        this.options.timedTx,
      );
      this.sessions.push(session);
      this.byDiscriminator.set(session.localDiscr, session);
      fresh.push(spec.name);
      // A session replaced under the same name: its sender must not go on with the old one's packets.
      if (this.armed.delete(spec.name)) out.push({ type: 'disarm-tx', session: spec.name });
      session.start(now, out);
    }
    if (this.options.timedTx) this.arms(out);
    return { actions: out, fresh };
  }

  /** Timed transmission: the sender lost what it held (its sockets were replaced): the next handle()
   * arms every periodic packet again. */
  forgetArms(): void {
    this.armed.clear();
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const s of this.sessions) {
      const t = s.nextDeadline();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  snapshot(): BfdSessionSnapshot[] {
    return this.sessions.map((s) => s.snapshot());
  }

  session(name: string): BfdSessionSnapshot | undefined {
    return this.sessions.find((s) => s.spec.name === name)?.snapshot();
  }

  private receive(now: number, event: Extract<BfdEvent, { type: 'packet' }>, out: BfdAction[]): void {
    const drop = (reason: BfdDropReason, session?: string): void => {
      this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
      out.push({ type: 'drop', reason, from: event.from, ...(session !== undefined ? { session } : {}) });
    };
    const decoded = decodeControl(event.data);
    if (!decoded.ok) return drop(decoded.reason);
    const p = decoded.packet;
    const session =
      p.yourDiscriminator !== 0 ? this.byDiscriminator.get(p.yourDiscriminator) : this.byAddress(event);
    // A discriminator match must also come from the session's peer and port kind.
    if (!session || session.spec.neighbor !== event.from || session.spec.multihop !== event.multihop)
      return drop('no-session');
    const { ttl, maxHops } = session.spec;
    if (maxHops >= 0 && event.ttl !== undefined && event.ttl + maxHops < ttl)
      return drop('ttl', session.spec.name);
    if (p.authPresent) return drop('auth-unsupported', session.spec.name);
    if (session.state === 0) return drop('admin-down', session.spec.name);
    session.receive(now, p, out);
  }

  private byAddress(event: Extract<BfdEvent, { type: 'packet' }>): BfdSession | undefined {
    return this.sessions.find(
      (s) =>
        s.spec.neighbor === event.from &&
        s.spec.multihop === event.multihop &&
        (s.spec.source === undefined || event.to === undefined || s.spec.source === event.to),
    );
  }

  /** A random non-zero discriminator no other session uses (6.8.1). */
  private newDiscriminator(): number {
    for (;;) {
      const d = Math.floor(this.options.random() * 0xffffffff) + 1;
      if (d <= 0xffffffff && !this.byDiscriminator.has(d)) return d;
    }
  }
}

function sameSpec(a: BfdSessionSpec, b: BfdSessionSpec): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof BfdSessionSpec>;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}
