// keepalived's scheduler looks at how late its timer fired each time it wakes (lib/scheduler.c): later than
// min_auto_priority_delay, it says so ("A thread timer expired ...") and, with max_auto_priority, raises the
// process one realtime (SCHED_RR) priority step, up to that maximum (lib/process.c,
// increment_process_priority); late past the quickest takeover of a timer_expired_backup instance, the
// engine hears of it (its timers-late event) before the late timer's own event.
import type { GlobalDefs } from '../../config/model/global/global.js';
import { monotonicNowNs } from '../../net/precise-timer.js';
import type { EngineEvent } from '../../vrrp/engine/events.js';
import type { EngineSpec } from '../../vrrp/engine/spec.js';
import { expiryThresholdMs } from '../../vrrp/engine/timer-expired-backup.js';
import type { Logger } from '../process/log.js';

/** sched_get_priority_min(SCHED_RR) on Linux: where a raise starts from normal scheduling. */
const RR_MIN_PRIORITY = 1;

/** "S.UUUUUU" as keepalived prints a delay in microseconds. */
export function secondsText(us: number): string {
  const whole = Math.round(us);
  return `${Math.floor(whole / 1e6)}.${String(whole % 1e6).padStart(6, '0')}`;
}

/** The next realtime priority after `current` (0: normal scheduling), or undefined at or past `max`. */
export function nextRealtimePriority(current: number, max: number): number | undefined {
  if (max <= 0) return undefined;
  if (current === 0) return RR_MIN_PRIORITY;
  return current >= max ? undefined : current + 1;
}

export class LateTimers {
  private minDelayUs = 1_000_000;
  private maxAutoPriority = 0;
  private realtimePriority = 0;
  private expiryMs: number | undefined;

  constructor(
    private readonly log: Logger,
    /** Puts the process at this SCHED_RR priority (the child's other settings kept). */
    private readonly setRealtimePriority: (priority: number) => void,
    private readonly feed: (event: EngineEvent) => void,
  ) {}

  /** The configuration's settings, and the realtime priority the process runs at now (0: none). */
  configure(g: GlobalDefs, spec: EngineSpec, realtimePriority: number): void {
    this.minDelayUs = g.minAutoPriorityDelay;
    this.maxAutoPriority = g.maxAutoPriority ?? 0;
    this.realtimePriority = realtimePriority;
    this.expiryMs = expiryThresholdMs(spec.instances);
  }

  /** A deadline (monotonic ns) passed and is being handled now. */
  check(deadlineNs: bigint): void {
    const lateUs = Number(monotonicNowNs() - deadlineNs) / 1000;
    if (lateUs <= 0) return;
    if (lateUs > this.minDelayUs) {
      this.log.info(`A thread timer expired ${secondsText(lateUs)} seconds ago`);
      this.raise();
    }
    if (this.expiryMs !== undefined && lateUs / 1000 >= this.expiryMs)
      this.feed({ type: 'timers-late', lateMs: lateUs / 1000 });
  }

  private raise(): void {
    const next = nextRealtimePriority(this.realtimePriority, this.maxAutoPriority);
    if (next === undefined) return;
    this.setRealtimePriority(next);
    this.realtimePriority = next;
    this.log.info(`Set realtime priority ${next}`);
  }
}
