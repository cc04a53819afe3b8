// What /events streams: one event per state change, takeover (its timing), split brain (and its end),
// tracker change, checker verdict, BFD session change and planned handover step, each with a sequence number, a wall-clock time
// and its reason. A bounded history keeps the last ones so that a client reconnecting with Last-Event-ID
// gets what it missed (or learns that some is lost).
import type { VrrpState } from '../vrrp/engine/spec.js';
import type { HandoverOutcome } from '../vrrp/engine/handover.js';
import type { SplitBrainStatus, TakeoverTiming } from './failover.js';

/** Events kept for Last-Event-ID resumption. */
export const DEFAULT_HISTORY = 1000;

export interface TrackerEffect {
  instance: string;
  priorityFrom: number;
  priorityTo: number;
  faultFrom: boolean;
  faultTo: boolean;
}

export type StatusEventBody =
  | {
      type: 'state-change';
      instance: string;
      from: VrrpState;
      to: VrrpState;
      /** The engine's reason: "master-down timer", "higher priority advert from 10.0.0.2 (200)", ... */
      reason: string;
      /** Our effective priority at the time. */
      priority: number;
      /** BACKUP -> MASTER: what the decision rests on (the whole timing follows in a `takeover` event once
       * the VIPs are in and the first gratuitous ARP / NA left). */
      takeover?: Pick<TakeoverTiming, 'lastAdvert' | 'masterDownIntervalMs'> & { sinceLastAdvertMs?: number };
    }
  | { type: 'takeover'; instance: string; timing: TakeoverTiming }
  | ({ type: 'split-brain'; instance: string; vrid: number } & Omit<
      SplitBrainStatus,
      'active' | 'healedAt' | 'healedReason'
    >)
  | {
      type: 'split-brain-healed';
      instance: string;
      vrid: number;
      /** The other master of the episode. */
      other: string;
      durationMs: number;
      reason: string;
    }
  | {
      type: 'tracker';
      /** "script:chk_nginx", "interface:eth1", "file:weight", "process:haproxy", "bfd:b1". */
      tracker: string;
      reason: string;
      /** The instances whose priority or fault changed because of it. */
      effects: TrackerEffect[];
    }
  | {
      type: 'checker';
      virtualServer: string;
      realServer: string;
      up: boolean;
      weight: number;
      reason: string;
    }
  | { type: 'bfd'; session: string; up: boolean }
  | {
      /** A planned handover's step (keepalived-ts handover): started, completed (the new master advertised,
       * VIPs removed, hold begins), timed-out (VIPs removed at the deadline), aborted, released (hold over). */
      type: 'handover';
      instance: string;
      outcome: HandoverOutcome;
      to?: string;
      newMaster?: { address: string; priority: number };
      /** completed, timed-out: from the request to the VIPs' removal. */
      durationMs?: number;
      reason: string;
    };

export type StatusEventType = StatusEventBody['type'];

export type StatusEvent = StatusEventBody & {
  seq: number;
  /** Wall-clock time (ISO 8601). */
  at: string;
};

export interface Resumption {
  events: StatusEvent[];
  /** Events after the client's last one were dropped from the history: it missed some. */
  gap: boolean;
}

/** A ring of the last `capacity` events, numbered from 1. */
export class EventHistory {
  private readonly ring: StatusEvent[] = [];
  private start = 0;
  private nextSeq = 1;

  constructor(readonly capacity = DEFAULT_HISTORY) {
    if (!(capacity >= 1)) throw new RangeError('history capacity must be at least 1');
  }

  /** The sequence number of the newest event (0 when none yet). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  push(body: StatusEventBody, at: string): StatusEvent {
    const event = { ...body, seq: this.nextSeq++, at } as StatusEvent;
    if (this.ring.length < this.capacity) this.ring.push(event);
    else {
      this.ring[this.start] = event;
      this.start = (this.start + 1) % this.capacity;
    }
    return event;
  }

  /** Every kept event, oldest first. */
  all(): StatusEvent[] {
    return [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
  }

  /** The events after `lastSeq` (a client's Last-Event-ID). An id from the future (the daemon restarted
   * and numbers again from 1) resumes from the oldest kept event, reported as a gap. */
  since(lastSeq: number): Resumption {
    const all = this.all();
    const oldest = all[0]?.seq ?? this.nextSeq;
    if (lastSeq > this.lastSeq) return { events: all, gap: true };
    return { events: all.filter((e) => e.seq > lastSeq), gap: lastSeq + 1 < oldest };
  }

  /** The last `n` events of one type, oldest first (the recent transitions of /status). */
  recent(type: StatusEventType, n: number): StatusEvent[] {
    const out: StatusEvent[] = [];
    const all = this.all();
    for (let i = all.length - 1; i >= 0 && out.length < n; i--) {
      const e = all[i] as StatusEvent;
      if (e.type === type) out.push(e);
    }
    return out.reverse();
  }
}
