// BFD control packets from the native timed sender (net/timed-sender.ts), as the VRRP child's adverts
// (engine-clock.ts): the engine arms each session's next periodic packet (arm-tx, encoded in TypeScript)
// and a native thread sends it at its time, then again every 85% of the transmit interval, whatever the
// JS thread is doing; each send is reported back (a `sent` event), and the engine re-arms the next packet
// at a freshly jittered time. So a JS thread held up by a collection, a long callback or a busy host no
// longer lets the peer's detection time run out.
// A slot sends at most ROUNDS_AHEAD_MS (and at least two intervals) ahead of JS re-arming it, so that a
// JS thread that stopped answering stops the session's packets soon and the peer sees the session fall:
// 2 s by default (KTS_BFD_AHEAD_MS=n), longer than the JS stalls of the soak (finding 4 of
// docs/reliability.md: about 1 s) and still a bound on how long a hung child looks alive.
// The thread runs as the VRRP sender's (SCHED_FIFO 1, or one above bfd_rt_priority's, else nice -10;
// best effort).
// KTS_BFD_SENDER=js turns it off: every packet from the JS thread, as before, for comparison.
import type { BfdAction } from '../../bfd/spec.js';
import { msToNs, nsToMs } from '../../common/units.js';
import { SENDER_NICE, senderRealtimePriority } from '../process/sender-scheduling.js';
import {
  TIMED_SENDER_SLOTS,
  TimedSender,
  timedSenderAvailable,
  type TimedDatagram,
} from '../../net/timed-sender.js';

const ROUNDS_AHEAD_MS = Number(process.env.KTS_BFD_AHEAD_MS ?? 2000) || 2000;

type ArmTx = Extract<BfdAction, { type: 'arm-tx' }>;

interface Slot {
  index: number;
  planId: number;
}

/** Where a session's packets leave from: its sending socket's descriptor. */
export type SessionSocket = (session: string) => number | undefined;

export class BfdTxClock {
  private readonly sender: TimedSender;
  private readonly slots = new Map<string, Slot>();
  private readonly bySlot = new Map<number, string>();
  private readonly free: number[] = [];
  private planSeq = 0;
  private readonly failing = new Set<string>();

  /** A thread-backed clock, or undefined where the addon has no timed sender (or KTS_BFD_SENDER=js). */
  static open(
    socketOf: SessionSocket,
    onSent: (session: string, sentAtMs: number) => void,
    onError: (message: string) => void,
  ): BfdTxClock | undefined {
    if (process.env.KTS_BFD_SENDER === 'js' || !timedSenderAvailable()) return undefined;
    return new BfdTxClock(socketOf, onSent, onError);
  }

  private constructor(
    private readonly socketOf: SessionSocket,
    private readonly onSent: (session: string, sentAtMs: number) => void,
    private readonly onError: (message: string) => void,
  ) {
    this.sender = new TimedSender(() => this.takeSends(), {
      nice: SENDER_NICE,
      realtimePriority: senderRealtimePriority(),
    });
    for (let i = TIMED_SENDER_SLOTS - 1; i >= 0; i--) this.free.push(i);
  }

  /** Reports the sends since last asked (call before handling any other event, so the engine sees them
   * first). */
  takeSends(): void {
    for (const send of this.sender.take().sends) {
      const session = this.bySlot.get(send.slot);
      if (session === undefined || this.slots.get(session)?.planId !== send.planId) continue;
      if (send.errno !== 0) {
        if (!this.failing.has(session)) {
          this.onError(`(${session}) Error sending packet: errno ${-send.errno}`);
          this.failing.add(session);
        }
      } else this.failing.delete(session);
      this.onSent(session, nsToMs(send.sentAtNs));
    }
  }

  /** Arms the session's slot; false when the thread cannot send it (no socket, no slot left). */
  arm(a: ArmTx): boolean {
    const fd = this.socketOf(a.session);
    if (fd === undefined) return false;
    let slot = this.slots.get(a.session);
    if (slot === undefined) {
      const index = this.free.pop();
      if (index === undefined) return false;
      slot = { index, planId: 0 };
      this.slots.set(a.session, slot);
      this.bySlot.set(index, a.session);
    }
    const datagram: TimedDatagram = {
      fd,
      data: a.data,
      to:
        a.family === 4
          ? { family: 'inet', address: a.to, port: a.port }
          : { family: 'inet6', address: a.to, port: a.port },
    };
    const planId = ++this.planSeq & 0x7fffffff;
    const ok = this.sender.arm(slot.index, {
      planId,
      deadlineNs: msToNs(a.at),
      periodNs: msToNs(a.periodMs),
      rounds: 1 + Math.max(2, Math.ceil(ROUNDS_AHEAD_MS / a.periodMs)),
      datagrams: [datagram],
    });
    // Not ok: the slot sent since its sends were last taken; that report is on its way and re-arms.
    if (ok) slot.planId = planId;
    return true;
  }

  disarm(session: string): void {
    const slot = this.slots.get(session);
    if (slot === undefined) return;
    this.sender.disarm(slot.index);
    this.slots.delete(session);
    this.bySlot.delete(slot.index);
    this.free.push(slot.index);
  }

  disarmAll(): void {
    for (const session of [...this.slots.keys()]) this.disarm(session);
  }

  close(): void {
    this.sender.close();
  }
}
