// Datagrams sent at absolute CLOCK_MONOTONIC deadlines by a native thread (native/src/timed_sender.c):
// the send does not wait for the JS thread, which may be collecting garbage, running another callback or
// waiting for a CPU when the deadline comes. Plans live in numbered slots; a slot sends at its deadline,
// then again `period` after each send, `rounds` times in all unless re-armed. JS hears about every send
// afterwards (onFired, then take()) and does its bookkeeping with the time the datagrams actually left.
// Knows nothing of what the bytes mean.
import { native, type Inet6Addr, type InetAddr, type NativeAddon } from './native.js';

/** One datagram of a plan: written to `fd` (a non-blocking socket) with sendmsg. */
export interface TimedDatagram {
  fd: number;
  data: Uint8Array;
  to: InetAddr | Inet6Addr;
  /** IP_PKTINFO / IPV6_PKTINFO: outgoing interface and source address. */
  ifindex?: number;
  source?: string;
}

/** One send by the thread: which slot and plan, when it was due, when it went, the first errno (0: sent). */
export interface TimedSend {
  slot: number;
  planId: number;
  deadlineNs: bigint;
  sentAtNs: bigint;
  errno: number;
}

export interface TimedPlan {
  /** Caller's tag, returned with each send of this plan. */
  planId: number;
  deadlineNs: bigint;
  /** After each send the next one is due this much later (rounded up to the microsecond); 0n: once. */
  periodNs: bigint;
  /** Sends at most this many times before the caller must re-arm (>= 1). */
  rounds: number;
  /** undefined: a renewal, the slot sends the datagrams of its last plan again (it must have had one, and
   * not been disarmed since); saves handing the same bytes over once per send. */
  datagrams: TimedDatagram[] | undefined;
}

/** Slots a sender has (the native MAX_SLOTS). */
export const TIMED_SENDER_SLOTS = 4096;

type SenderHandle = { readonly __brand: 'TimedSender' };
type RawSend = [slot: number, planId: number, deadlineNs: bigint, sentAtNs: bigint, errno: number];

interface TimedSenderAddon {
  timedSenderCreate(onFired: () => void, nice?: number, rtPriority?: number): SenderHandle;
  timedSenderArm(
    h: SenderHandle,
    slot: number,
    planId: number,
    deadlineNs: bigint,
    periodNs: bigint,
    rounds: number,
    datagrams: TimedDatagram[] | null,
  ): boolean;
  timedSenderDisarm(h: SenderHandle, slot: number): void;
  timedSenderTake(h: SenderHandle): { records: RawSend[]; nextDeadlineNs: bigint | null };
  timedSenderClose(h: SenderHandle): void;
}

/** The addon with the timed sender's entry points, which an older build may lack. */
function addonWithSender(): Partial<TimedSenderAddon> {
  return native() as NativeAddon & Partial<TimedSenderAddon>;
}

function addon(): TimedSenderAddon {
  return addonWithSender() as TimedSenderAddon;
}

/** Whether the loaded addon has the timed sender (an older build may not). */
export function timedSenderAvailable(): boolean {
  return typeof addonWithSender().timedSenderTake === 'function';
}

export class TimedSender {
  private handle: SenderHandle | undefined;

  /**
   * `onFired` runs on the JS thread after sends happened; call take() there (or any time before).
   * `nice`: the thread's niceness, when lower than the one it inherits; `realtimePriority` (1..99): the
   * thread runs SCHED_FIFO at it, unless it inherited a realtime one at least as high (threads do not inherit
   * a policy set with SCHED_RESET_ON_FORK). Both best effort (CAP_SYS_NICE).
   */
  constructor(onFired: () => void, options: { nice?: number; realtimePriority?: number } = {}) {
    this.handle = addon().timedSenderCreate(onFired, options.nice, options.realtimePriority);
  }

  /** Replaces the slot's plan; false (nothing changed) when the slot sent since the last take(). */
  arm(slot: number, plan: TimedPlan): boolean {
    const h = this.open();
    const deadline = plan.deadlineNs > 0n ? plan.deadlineNs : 1n;
    const datagrams = plan.datagrams ?? null;
    return addon().timedSenderArm(h, slot, plan.planId, deadline, plan.periodNs, plan.rounds, datagrams);
  }

  disarm(slot: number): void {
    addon().timedSenderDisarm(this.open(), slot);
  }

  /** The sends since the last take, in order, and the earliest deadline still armed at that instant. */
  take(): { sends: TimedSend[]; nextDeadlineNs: bigint | undefined } {
    if (this.handle === undefined) return { sends: [], nextDeadlineNs: undefined };
    const raw = addon().timedSenderTake(this.handle);
    return {
      sends: raw.records.map(([slot, planId, deadlineNs, sentAtNs, errno]) => ({
        slot,
        planId,
        deadlineNs,
        sentAtNs,
        errno,
      })),
      nextDeadlineNs: raw.nextDeadlineNs ?? undefined,
    };
  }

  close(): void {
    if (this.handle === undefined) return;
    addon().timedSenderClose(this.handle);
    this.handle = undefined;
  }

  private open(): SenderHandle {
    if (this.handle === undefined) throw new Error('timed sender is closed');
    return this.handle;
  }
}
