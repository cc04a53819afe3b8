// The VRRP engine's clock: wakes the engine at its next deadline, and carries out the periodic adverts the
// engine arms (arm-periodic-advert / disarm-periodic-advert, EngineOptions.periodicAdverts 'arm'). An armed
// advert is encoded once and handed to a native thread (TimedSender, one slot per instance) that sends it at
// its deadline and then every advert interval, whatever the JS thread is busy with; each send is then
// reported to the engine (advert-sent) with the time the advert left. Adverts the thread cannot send (AH and
// auth_hmac number or sign each packet as it leaves, no free slot, no sender) are sent by the JS thread at
// their deadline (PreciseTimer), and reported the same way. Nothing the engine asks for is dropped.
//
// Ordering: an event is handled at most just before the earliest deadline the thread still holds, since
// the thread may be sending right then; that send's report follows, with the time it actually left.
// A slot sends at most ROUNDS_AHEAD_MS (and at least one interval) ahead of JS re-arming it: a JS thread
// starved of CPU for a moment does not delay adverts, one that stopped answering soon stops them. The
// moment is 250 ms: a JS thread kept busy (a status listener polled flat out) on a host with many more
// runnable threads than cores waits tens of ms between its slices, and at 50 ms the adverts of 0.01 s
// instances stopped for 50-250 ms at a time (bench/status-load.ts); a hung or dead daemon still falls
// silent within a quarter of a second (KTS_ADVERT_AHEAD_MS=n sets it, for comparison).
// The thread runs SCHED_FIFO at priority SENDER_RT_PRIORITY (vrrp_rt_priority + 1, if higher), and at nice
// SENDER_NICE should that be refused: it needs microseconds per advert, so this costs the host nothing, and
// gets it a CPU promptly when the host is busy, whatever CFS group (autogroup, cgroup) the daemon competes
// in. The JS thread keeps the process's own scheduling.
// KTS_ADVERT_SENDER=js turns the thread off (every advert from the JS thread), for comparison;
// KTS_ADVERT_SENDER_RT=n sets its realtime priority (0: none), KTS_ADVERT_SENDER_NICE=n its niceness
// ('inherit': the process's).
import type { Engine } from '../../vrrp/engine/engine.js';
import type { ArmPeriodicAdvertAction, SendAdvertAction } from '../../vrrp/engine/events.js';
import { DUE_TOLERANCE_MS } from '../../vrrp/engine/timers.js';
import { msToNs, nsToMs } from '../../common/units.js';
import { PreciseTimer } from '../../net/precise-timer.js';
import {
  TIMED_SENDER_SLOTS,
  TimedSender,
  timedSenderAvailable,
  type TimedDatagram,
  type TimedSend,
} from '../../net/timed-sender.js';
import { native } from '../../net/native.js';
import { SENDER_NICE, SENDER_RT_PRIORITY, senderRealtimePriority } from '../process/sender-scheduling.js';
import type { AdvertIo } from './advert-io.js';

/** An event handled at or after a held deadline is placed this much (ms) before it: beyond the engine's due
 * tolerance and the thread's microsecond rounding, so the engine does not see it after a send it has not
 * heard of. */
const BEFORE_HELD_MS = 0.002;
const ROUNDS_AHEAD_MS = Number(process.env.KTS_ADVERT_AHEAD_MS ?? 250) || 250;

function senderScheduling(): { nice?: number; realtimePriority: number } {
  const nice = process.env.KTS_ADVERT_SENDER_NICE;
  const rt = process.env.KTS_ADVERT_SENDER_RT;
  const wanted = rt !== undefined && /^\d+$/.test(rt) ? Number(rt) : SENDER_RT_PRIORITY;
  return {
    ...(nice === 'inherit'
      ? {}
      : { nice: nice !== undefined && /^-?\d+$/.test(nice) ? Number(nice) : SENDER_NICE }),
    realtimePriority: senderRealtimePriority(wanted),
  };
}

/** One instance's slot in the timed sender. */
interface Slot {
  index: number;
  instance: string;
  armed: boolean;
  /** The thread sent since the plan was armed: re-arm (top up its rounds) at the next arm. */
  sent: boolean;
  planId: number;
  /** The armed deadline (engine ms). */
  at: number;
  periodMs: number;
  /** What the datagrams were encoded from: the same key means the same bytes. */
  key: string;
  datagrams: TimedDatagram[];
  /** The thread has these datagrams (armed with them, not disarmed since): a re-arm need not pass them. */
  loaded: boolean;
}

/** The engine's latest arm of an instance, and whether it was carried out yet. */
interface ArmRequest {
  arm: ArmPeriodicAdvertAction;
  pending: boolean;
}

export interface EngineClockDriver {
  /** A deadline of the engine's own passed: feed it a timer event. */
  onTimer(deadlineNs: bigint): void;
  /** An armed advert left (`sentAtNs`; `send` when the thread sent it): feed the engine advert-sent. */
  onSent(instance: string, sentAtNs: bigint, send?: TimedSend): void;
}

export class EngineClock {
  private readonly timer: PreciseTimer;
  private readonly sender: TimedSender | undefined;
  private readonly slots = new Map<string, Slot>();
  private readonly slotsByIndex = new Map<number, Slot>();
  private readonly freeSlots: number[] = [];
  private planSeq = 0;
  /** What the engine armed, by instance. */
  private readonly requests = new Map<string, ArmRequest>();
  /** Armed adverts the JS thread sends at their deadline, by instance. */
  private readonly jsArmed = new Map<string, ArmPeriodicAdvertAction>();
  /** The earliest deadline the thread held when last asked (or armed since). */
  private heldDeadlineNs: bigint | undefined;
  private hostChanges = 0;
  /** The engine the queued plan runs for (undefined: none queued). */
  private pending: Engine | undefined;
  private closed = false;

  constructor(
    private readonly io: AdvertIo,
    private readonly driver: EngineClockDriver,
  ) {
    this.timer = new PreciseTimer((deadlineNs) => driver.onTimer(deadlineNs));
    const wanted = process.env.KTS_ADVERT_SENDER !== 'js';
    this.sender =
      wanted && timedSenderAvailable()
        ? new TimedSender(() => this.takeSends(), senderScheduling())
        : undefined;
    for (let i = TIMED_SENDER_SLOTS - 1; i >= 0; i--) this.freeSlots.push(i);
  }

  /** Host addresses changed: a prepared advert's source address may be stale. */
  invalidate(): void {
    this.hostChanges++;
    for (const r of this.requests.values()) r.pending = true;
  }

  /** An arm or disarm action of the engine. A disarm takes effect at once (the JS thread is about to send
   * the instance's own advert, and the thread must not send an older one after it); arms are carried out
   * once the JS turn has handled its events (schedule). */
  apply(a: ArmPeriodicAdvertAction | { type: 'disarm-periodic-advert'; instance: string }): void {
    if (a.type === 'arm-periodic-advert') {
      this.requests.set(a.instance, { arm: a, pending: true });
      return;
    }
    this.requests.delete(a.instance);
    this.jsArmed.delete(a.instance);
    const slot = this.slots.get(a.instance);
    if (slot !== undefined) this.release(a.instance, slot);
  }

  /** Reports every armed advert that left since last asked, in order: the thread's sends, then the JS
   * thread's own that are due (it sends them now). Call before handling any event, so that the engine sees
   * those adverts before what came after them. */
  takeSent(): void {
    // Nothing armed in the thread (a BACKUP-only daemon hearing many adverts): nothing it can have sent
    // since; sends of a released slot are ignored anyway, and its own wake-up takes them.
    if (this.slots.size === 0) this.heldDeadlineNs = undefined;
    else this.takeSends();
    if (this.jsArmed.size > 0) this.sendJsArmed();
  }

  private takeSends(): void {
    if (this.sender === undefined) return;
    const { sends, nextDeadlineNs } = this.sender.take();
    this.heldDeadlineNs = nextDeadlineNs;
    const ours: [string, TimedSend][] = [];
    for (const send of sends) {
      const slot = this.slotsByIndex.get(send.slot);
      if (slot === undefined || slot.planId !== send.planId) continue;
      slot.sent = true;
      this.io.sentTimed(slot.instance, send.errno);
      ours.push([slot.instance, send]);
    }
    // All of them are known as sent before the first report: sends made in one wake-up share their time.
    for (const [instance, send] of ours) this.driver.onSent(instance, send.sentAtNs, send);
  }

  /** The JS-timed armed adverts that are due: sent now, and reported. */
  private sendJsArmed(): void {
    const dueBy = nsToMs(native().monotonicNow()) + DUE_TOLERANCE_MS;
    const due = [...this.jsArmed.values()].filter((a) => a.at <= dueBy).sort((x, y) => x.at - y.at);
    for (const a of due) {
      // One send per arm: the engine re-arms the next one when it hears of this one.
      this.jsArmed.delete(a.instance);
      this.io.send(a.send);
      this.driver.onSent(a.instance, native().monotonicNow());
    }
  }

  /** The engine time (ms) for something that happens at `nowMs`. */
  eventTime(nowMs: number): number {
    if (this.heldDeadlineNs === undefined) return nowMs;
    const limit = nsToMs(this.heldDeadlineNs) - BEFORE_HELD_MS;
    return nowMs > limit ? limit : nowMs;
  }

  /**
   * After the engine handled an event: carry out the arms it asked for, and wake JS for the engine's next
   * deadline or the next JS-timed advert. Runs once per JS turn (a microtask), however many events the turn
   * handled: a socket read of many adverts, or a thread wake-up reporting many sends, costs one plan and at
   * most one timerfd change.
   */
  schedule(engine: Engine): void {
    if (this.pending !== undefined) return;
    this.pending = engine;
    queueMicrotask(() => {
      const queued = this.pending;
      this.pending = undefined;
      if (queued !== undefined && !this.closed) this.plan(queued);
    });
  }

  private plan(engine: Engine): void {
    for (const [instance, request] of this.requests) {
      if (!request.pending) continue;
      request.pending = false;
      if (this.sender !== undefined && this.hold(request.arm)) {
        this.jsArmed.delete(instance);
        continue;
      }
      // The thread cannot send it: the JS thread will, at its deadline.
      const slot = this.slots.get(instance);
      if (slot !== undefined) this.release(instance, slot);
      this.jsArmed.set(instance, request.arm);
    }
    let wake = engine.nextDeadline();
    for (const a of this.jsArmed.values()) if (wake === undefined || a.at < wake) wake = a.at;
    if (wake === undefined) {
      if (this.timer.armedAt !== undefined) this.timer.disarm();
      return;
    }
    const wanted = msToNs(wake);
    if (this.timer.armedAt !== wanted) this.timer.armAt(wanted);
  }

  private release(instance: string, slot: Slot): void {
    this.sender?.disarm(slot.index);
    this.slots.delete(instance);
    this.slotsByIndex.delete(slot.index);
    this.freeSlots.push(slot.index);
  }

  /** Arms (or keeps) the instance's slot for the armed advert; false when the thread cannot send it.
   * Runs for every MASTER once per advert: it allocates nothing that outlives the call unless the advert's
   * bytes changed (what a slot keeps would otherwise be garbage surviving into the old generation). */
  private hold(arm: ArmPeriodicAdvertAction): boolean {
    const sender = this.sender as TimedSender;
    const { send, at, periodMs } = arm;
    const key = `${send.advert.priority}/${send.family}/${this.io.generation}/${this.hostChanges}`;
    let slot = this.slots.get(arm.instance);
    if (slot?.armed && !slot.sent && slot.key === key && slot.at === at) return true;
    if (slot === undefined && this.freeSlots.length === 0) return false; // not worth encoding
    const sameBytes = slot?.key === key;
    const datagrams = sameBytes ? (slot as Slot).datagrams : this.io.prepareTimed(send);
    if (datagrams === undefined) return false;
    if (slot === undefined) {
      const index = this.freeSlots.pop();
      if (index === undefined) return false;
      slot = {
        index,
        instance: arm.instance,
        armed: false,
        sent: false,
        planId: 0,
        at,
        periodMs: 0,
        key,
        datagrams,
        loaded: false,
      };
      this.slots.set(arm.instance, slot);
      this.slotsByIndex.set(index, slot);
    }
    const renewal = sameBytes && slot.loaded && slot.periodMs === periodMs;
    const planId = ++this.planSeq & 0x7fffffff;
    const deadlineNs = msToNs(at);
    const ok = sender.arm(slot.index, {
      planId,
      deadlineNs,
      periodNs: msToNs(periodMs),
      rounds: 1 + Math.max(1, Math.ceil(ROUNDS_AHEAD_MS / periodMs)),
      datagrams: renewal ? undefined : datagrams,
    });
    // not ok: the thread sent since we last took its sends; their report is on the way and re-arms
    if (!ok) return slot.armed;
    slot.armed = true;
    slot.sent = false;
    slot.planId = planId;
    slot.at = at;
    slot.periodMs = periodMs;
    slot.loaded = true;
    if (!sameBytes) {
      slot.key = key;
      slot.datagrams = datagrams;
    }
    if (this.heldDeadlineNs === undefined || deadlineNs < this.heldDeadlineNs)
      this.heldDeadlineNs = deadlineNs;
    return true;
  }

  close(): void {
    this.closed = true;
    this.timer.close();
    this.sender?.close();
  }
}

export type { SendAdvertAction };
