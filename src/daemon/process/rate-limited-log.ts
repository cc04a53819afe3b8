// A logger's per-packet messages through a LogRateLimiter (common/log-rate-limit.ts): a few of each kind
// a second, then one line with the count left out, written when the kind's window ends (a timer) or
// before its next message, whichever comes first.
import { performance } from 'node:perf_hooks';
import {
  LogRateLimiter,
  PACKET_LOG_LIMIT,
  suppressedLine,
  type LogRateLimit,
} from '../../common/log-rate-limit.js';
import type { Logger, LogLevel } from './log.js';

export class RateLimitedLog {
  private readonly limiter: LogRateLimiter;
  /** The level each kind was logged at, for its summary line. */
  private readonly levels = new Map<string, LogLevel>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    limit: LogRateLimit = PACKET_LOG_LIMIT,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.limiter = new LogRateLimiter(limit);
  }

  /** Logs `message` unless too many of `kind` came this window; `kind` also heads the summary line. */
  write(level: LogLevel, kind: string, message: string): void {
    const admission = this.limiter.admit(kind, this.now());
    if (!admission.log) {
      this.levels.set(kind, level);
      this.arm();
      return;
    }
    if (admission.suppressed > 0) this.log.log(level, suppressedLine(kind, admission.suppressed));
    this.log.log(level, message);
  }

  /** Writes the summaries that are due now (also at exit, so no count is lost). */
  flush(now = this.now()): void {
    for (const { kind, suppressed } of this.limiter.due(now)) {
      this.log.log(this.levels.get(kind) ?? 'info', suppressedLine(kind, suppressed));
      this.levels.delete(kind);
    }
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush(Infinity);
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    const due = this.limiter.nextDue();
    if (due === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.flush();
        this.arm();
      },
      Math.max(0, due - this.now()) + 1,
    );
    // never keeps the process alive on its own
    this.timer.unref();
  }
}
