// Wakes the VRRP engine at its next deadline, and sends periodic adverts exactly on time. Each MASTER
// instance's next periodic advert (Engine.plannedAdverts) is encoded once and handed to a native thread
// (TimedSender, one slot per instance) that sends it at the deadline and then every advert interval,
// whatever the JS thread is busy with. Every send is then fed to the engine as its timer event, with the
// time the advert left; the send-advert actions the engine emits for adverts already sent are recognised
// and not sent twice. Any other deadline (master-down timer, GARP pacing, scripts, and adverts that AH or
// auth_hmac must number as they leave) wakes the JS thread (PreciseTimer) as before.
//
// Ordering: an event is handled at most just before the earliest deadline the thread still holds, since
// the thread may be sending right then; that send's timer event follows, with the time it actually left.
// A slot sends at most ROUNDS_AHEAD_MS (and at least one interval) ahead of JS re-arming it: a JS thread
// starved of CPU for a moment does not delay adverts, one that stopped answering soon stops them.
// The thread runs SCHED_FIFO at priority SENDER_RT_PRIORITY (vrrp_rt_priority + 1, if higher), and at nice SENDER_NICE should that be refused: it needs microseconds per advert, so
// this costs the host nothing, and gets it a CPU promptly when the host is busy, whatever CFS group
// (autogroup, cgroup) the daemon competes in. The JS thread keeps the process's own scheduling.
// KTS_ADVERT_SENDER=js turns the thread off (every advert from the JS thread), for comparison;
// KTS_ADVERT_SENDER_RT=n sets its realtime priority (0: none), KTS_ADVERT_SENDER_NICE=n its niceness
// ('inherit': the process's).
import type { Action, Engine } from '../../vrrp/engine/engine.js';
import { DUE_TOLERANCE_MS } from '../../vrrp/engine/timers.js';
import { PreciseTimer } from '../../net/precise-timer.js';
import {
  TIMED_SENDER_SLOTS,
  TimedSender,
  timedSenderAvailable,
  type TimedDatagram,
  type TimedSend,
} from '../../net/timed-sender.js';
import type { AdvertIo } from './advert-io.js';
import { native } from '../../net/native.js';

type SendAdvert = Extract<Action, { type: 'send-advert' }>;

/** An event handled at or after a held deadline is placed this much (ms) before it: beyond the engine's due
 * tolerance and the thread's microsecond rounding, so the engine does not fire a timer the thread owns. */
const BEFORE_HELD_MS = 0.002;
const ROUNDS_AHEAD_MS = 50;
const SENDER_NICE = -10;
const SENDER_RT_PRIORITY = 1;

/** vrrp_rt_priority makes the JS thread realtime with SCHED_RESET_ON_FORK, which new threads do not
 * inherit: the sender asks for one more itself, so that it preempts its own JS thread too. */
function processRealtimePriority(): number {
  try {
    const main = native().getScheduler();
    return main.policy === 'other' ? -1 : main.priority;
  } catch {
    return -1;
  }
}

function senderScheduling(): { nice?: number; realtimePriority: number } {
  const nice = process.env.KTS_ADVERT_SENDER_NICE;
  const rt = process.env.KTS_ADVERT_SENDER_RT;
  const wanted = rt !== undefined && /^\d+$/.test(rt) ? Number(rt) : SENDER_RT_PRIORITY;
  return {
    ...(nice === 'inherit'
      ? {}
      : { nice: nice !== undefined && /^-?\d+$/.test(nice) ? Number(nice) : SENDER_NICE }),
    realtimePriority: Math.min(99, Math.max(wanted, processRealtimePriority() + 1)),
  };
}

/** One instance's slot in the timed sender. */
interface Slot {
  index: number;
  instance: string;
  armed: boolean;
  /** The thread sent since the plan was armed: re-arm (top up its rounds) at the next schedule. */
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
  action: SendAdvert;
}

export class EngineClock {
  private readonly timer: PreciseTimer;
  private readonly sender: TimedSender | undefined;
  private readonly slots = new Map<string, Slot>();
  private readonly slotsByIndex = new Map<number, Slot>();
  private readonly freeSlots: number[] = [];
  private planSeq = 0;
  /** Adverts the thread sent that the engine has not emitted yet, by instance, oldest first. */
  private readonly sentAhead = new Map<string, SendAdvert[]>();
  /** The earliest deadline the thread held when last asked (or armed since). */
  private heldDeadlineNs: bigint | undefined;
  private hostChanges = 0;
  /** The engine the queued schedule runs for (undefined: none queued). */
  private pending: Engine | undefined;
  /** Something other than advert timers happened since the last schedule: look at every instance. */
  private reviewAll = true;
  private reviewedGeneration = -1;
  private closed = false;

  /**
   * `onTimer(deadlineNs)`: a JS-side deadline passed; feed the engine a timer event.
   * `onSent(send)`: the thread sent an instance's advert; feed the engine a timer event at send.sentAtNs.
   */
  constructor(
    private readonly io: AdvertIo,
    onTimer: (deadlineNs: bigint) => void,
    private readonly onSent: (send: TimedSend) => void,
  ) {
    this.timer = new PreciseTimer((deadlineNs) => onTimer(deadlineNs));
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
    this.reviewAll = true;
  }

  /** Feeds the engine (onSent) every send the thread made since last asked, in order. Call before handling
   * any event, so that the engine sees those timers before what came after them. */
  takeSent(): void {
    // Nothing armed (a BACKUP-only daemon hearing many adverts): nothing the thread can have sent since;
    // sends of a released slot are ignored anyway, and its own wake-up takes them.
    if (this.slots.size === 0) this.heldDeadlineNs = undefined;
    else this.takeSends();
  }

  private takeSends(): void {
    if (this.sender === undefined) return;
    const { sends, nextDeadlineNs } = this.sender.take();
    this.heldDeadlineNs = nextDeadlineNs;
    const ours: TimedSend[] = [];
    for (const send of sends) {
      const slot = this.slotsByIndex.get(send.slot);
      if (slot === undefined || slot.planId !== send.planId) continue;
      slot.sent = true;
      this.io.sentTimed(slot.instance, send.errno);
      const queue = this.sentAhead.get(slot.instance);
      if (queue === undefined) this.sentAhead.set(slot.instance, [slot.action]);
      else queue.push(slot.action);
      ours.push(send);
    }
    // All of them are known as sent before the first timer event: sends made in one wake-up share their
    // time, and the engine fires every instance due by then at the first.
    for (const send of ours) this.onSent(send);
  }

  /** The engine time (ms) for something that happens at `nowMs`. */
  eventTime(nowMs: number): number {
    if (this.heldDeadlineNs === undefined) return nowMs;
    const limit = Number(this.heldDeadlineNs) / 1e6 - BEFORE_HELD_MS;
    return nowMs > limit ? limit : nowMs;
  }

  /** True when the thread already sent this advert: the caller must not send it again. */
  alreadySent(a: SendAdvert): boolean {
    const queue = this.sentAhead.get(a.instance);
    const sent = queue?.shift();
    if (sent === undefined) return false;
    if (queue?.length === 0) this.sentAhead.delete(a.instance);
    return sent.advert.priority === a.advert.priority && sent.family === a.family;
  }

  /** The JS thread is about to send one of this instance's adverts itself (a priority change, priority 0
   * at shutdown): the thread must not send an older one after it, so its slot waits for the next schedule. */
  beforeJsSend(instance: string): void {
    const slot = this.slots.get(instance);
    if (slot === undefined || !slot.armed) return;
    this.sender?.disarm(slot.index);
    slot.armed = false;
    slot.loaded = false;
  }

  /**
   * After the engine handled an event (`event`, which produced `actions`): hand the thread every MASTER's
   * next advert, and wake JS for the engine's next deadline unless the thread's send will. Runs once per JS
   * turn (a microtask), however many events the turn handled: a socket read of many adverts, or a thread
   * wake-up reporting many sends, costs one plan and at most one timerfd change.
   * An advert timer or a received advert that only made adverts go out moves no plan but those instances'
   * deadlines: then only the instances due by the next deadline are looked at (each slot holds its next
   * round, so it is re-armed in time); anything else (a state or priority change, a script, a reload, no
   * event given) reviews every instance.
   */
  schedule(engine: Engine, event?: { type: string }, actions?: readonly Action[]): void {
    if (
      event === undefined ||
      actions === undefined ||
      (event.type !== 'timer' && event.type !== 'advert' && event.type !== 'advert-dropped') ||
      actions.some((a) => a.type !== 'send-advert')
    )
      this.reviewAll = true;
    if (this.pending !== undefined) return;
    this.pending = engine;
    queueMicrotask(() => {
      const queued = this.pending;
      this.pending = undefined;
      if (queued !== undefined && !this.closed) this.plan(queued);
    });
  }

  private plan(engine: Engine): void {
    const deadline = engine.nextDeadline();
    const all = this.reviewAll || this.reviewedGeneration !== this.io.generation;
    this.reviewAll = false;
    this.reviewedGeneration = this.io.generation;
    let planned: ReturnType<Engine['plannedAdverts']> = [];
    if (this.sender !== undefined && (all || deadline !== undefined))
      planned = engine.plannedAdverts(all ? Infinity : (deadline as number) + DUE_TOLERANCE_MS);
    const covered = new Set<string>();
    for (const p of planned) if (this.hold(p.at, p.action)) covered.add(p.action.instance);
    // no longer a MASTER's periodic advert (or not one the thread can send): take it back
    if (all) {
      for (const [instance, slot] of this.slots) if (!covered.has(instance)) this.release(instance, slot);
    } else {
      for (const p of planned) {
        const slot = this.slots.get(p.action.instance);
        if (slot !== undefined && !covered.has(p.action.instance)) this.release(p.action.instance, slot);
      }
    }
    if (deadline === undefined) {
      if (this.timer.armedAt !== undefined) this.timer.disarm();
      return;
    }
    const heldByThread = planned.some(
      (p) => covered.has(p.action.instance) && Math.abs(p.at - deadline) <= DUE_TOLERANCE_MS,
    );
    const wanted = BigInt(Math.round(deadline * 1e6));
    if (heldByThread) {
      if (this.timer.armedAt !== undefined) this.timer.disarm();
    } else if (this.timer.armedAt !== wanted) this.timer.armAt(wanted);
  }

  private release(instance: string, slot: Slot): void {
    this.sender?.disarm(slot.index);
    this.slots.delete(instance);
    this.slotsByIndex.delete(slot.index);
    this.freeSlots.push(slot.index);
    this.sentAhead.delete(instance);
  }

  /** Arms (or keeps) the instance's slot for its advert at `at`; false when the thread cannot send it.
   * Runs for every MASTER once per advert: it allocates nothing that outlives the call unless the advert's
   * bytes changed (what a slot keeps would otherwise be garbage surviving into the old generation). */
  private hold(at: number, action: SendAdvert): boolean {
    const sender = this.sender as TimedSender;
    const key = `${action.advert.priority}/${action.family}/${this.io.generation}/${this.hostChanges}`;
    let slot = this.slots.get(action.instance);
    if (slot?.armed && !slot.sent && slot.key === key && slot.at === at) return true;
    // The thread sent an advert the engine has not handled yet: the engine's `at` is that one's, already
    // sent; the slot goes on by itself, and is re-armed once the engine caught up.
    if (slot?.armed && (this.sentAhead.get(action.instance)?.length ?? 0) > 0) return true;
    if (slot === undefined && this.freeSlots.length === 0) return false; // not worth encoding
    const sameBytes = slot?.key === key;
    const datagrams = sameBytes ? (slot as Slot).datagrams : this.io.prepareTimed(action);
    if (datagrams === undefined) return false;
    if (slot === undefined) {
      const index = this.freeSlots.pop();
      if (index === undefined) return false;
      slot = {
        index,
        instance: action.instance,
        armed: false,
        sent: false,
        planId: 0,
        at,
        periodMs: 0,
        key,
        datagrams,
        loaded: false,
        action,
      };
      this.slots.set(action.instance, slot);
      this.slotsByIndex.set(index, slot);
    }
    const periodMs = action.advert.intervalCs * 10;
    const renewal = sameBytes && slot.loaded && slot.periodMs === periodMs;
    const planId = ++this.planSeq & 0x7fffffff;
    const deadlineNs = BigInt(Math.round(at * 1e6));
    const ok = sender.arm(slot.index, {
      planId,
      deadlineNs,
      periodNs: BigInt(Math.round(periodMs * 1e6)),
      rounds: 1 + Math.max(1, Math.ceil(ROUNDS_AHEAD_MS / periodMs)),
      datagrams: renewal ? undefined : datagrams,
    });
    // not ok: the thread sent since we last took its sends; their wake-up is on the way and re-plans
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
      slot.action = action;
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
