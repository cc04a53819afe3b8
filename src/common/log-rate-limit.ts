// Repeats of one kind of log message (per instance and reason a packet was dropped) limited to a few per
// window: a stream of bad packets cannot flood the log, the packet counters still count every one, and
// what was left out is reported as a count once its window ends. Pure: the caller passes the time in and
// logs what it is told to.

export interface LogRateLimit {
  /** Messages of one kind logged per window; the rest are counted. */
  burst: number;
  windowMs: number;
}

/** Per-packet messages: 5 a second of each kind. */
export const PACKET_LOG_LIMIT: LogRateLimit = Object.freeze({ burst: 5, windowMs: 1000 });

/** Whether to log a message; when yes, first report `suppressed` messages of its kind left out before it. */
export type LogAdmission = { log: false } | { log: true; suppressed: number };

/** A kind's messages left out during a window that has ended. */
export interface SuppressedMessages {
  kind: string;
  suppressed: number;
}

interface KindWindow {
  start: number;
  logged: number;
  suppressed: number;
}

export class LogRateLimiter {
  private readonly windows = new Map<string, KindWindow>();

  constructor(private readonly limit: LogRateLimit = PACKET_LOG_LIMIT) {}

  /** A message of `kind` at `now` (ms, any monotonic clock): log it, or count it as suppressed. */
  admit(kind: string, now: number): LogAdmission {
    const w = this.windows.get(kind);
    if (w === undefined || now - w.start >= this.limit.windowMs) {
      // a new window; the old one's count (not yet collected by due()) goes with this message
      this.windows.set(kind, { start: now, logged: 1, suppressed: 0 });
      return { log: true, suppressed: w?.suppressed ?? 0 };
    }
    if (w.logged < this.limit.burst) {
      w.logged++;
      return { log: true, suppressed: 0 };
    }
    w.suppressed++;
    return { log: false };
  }

  /** The kinds whose window has ended with messages left out, each reported once; forgets ended windows. */
  due(now: number): SuppressedMessages[] {
    const out: SuppressedMessages[] = [];
    for (const [kind, w] of this.windows) {
      if (now - w.start < this.limit.windowMs) continue;
      if (w.suppressed > 0) out.push({ kind, suppressed: w.suppressed });
      this.windows.delete(kind);
    }
    return out;
  }

  /** When due() will next report something (the earliest end of a window with messages left out). */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const w of this.windows.values())
      if (w.suppressed > 0) next = Math.min(next ?? Infinity, w.start + this.limit.windowMs);
    return next;
  }
}

/** The line that reports messages left out, after the kind they were (e.g. `(VI_1) dropped advert: ...`). */
export function suppressedLine(kind: string, suppressed: number): string {
  return `${kind}: suppressed ${suppressed} similar message${suppressed === 1 ? '' : 's'}`;
}
