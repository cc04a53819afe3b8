// The daemon's half of takeover timing and split-brain reporting. The engine reports a takeover when it
// decides (with the last advert it heard) and split brain as it sees it (vrrp/engine/reports.ts); this adds
// when the kernel acknowledged the VIPs and when the first gratuitous ARP / unsolicited NA left, and tells
// the log, /status, /metrics and /events. It only observes: nothing here delays or changes what is sent.
import { performance } from 'node:perf_hooks';
import {
  lastAdvertOf,
  splitBrainHealedLogLine,
  splitBrainLogLine,
  splitBrainStatus,
  takeoverLogLine,
  takeoverTiming,
  type SplitBrainStatus,
  type TakeoverObserved,
  type TakeoverTiming,
} from '../../api/failover.js';
import type { StatusEventBody } from '../../api/events.js';
import type { EngineReport, TakeoverReport } from '../../vrrp/engine/reports.js';
import type { Logger } from '../process/log.js';

/** The takeover part of a BACKUP -> MASTER transition event. */
export type TransitionTakeover = NonNullable<Extract<StatusEventBody, { type: 'state-change' }>['takeover']>;

export class FailoverReporter {
  /** Takeovers decided whose VIPs and first announcement are still on their way. */
  private readonly pending = new Map<string, { report: TakeoverReport; seen: TakeoverObserved }>();
  /** Each instance's last takeover and split brain, for /status (kept across reloads). */
  readonly takeovers = new Map<string, TakeoverTiming>();
  readonly splitBrains = new Map<string, SplitBrainStatus>();

  constructor(
    private readonly log: Logger,
    /** Where events go (the status listener, when configured). */
    private readonly publish: (body: StatusEventBody) => void,
    /** The engine's clock (monotonic ms). */
    private readonly now: () => number,
  ) {}

  /** Monotonic ms -> wall clock, through the offset between the two clocks now. */
  readonly wall = (monotonicMs: number): string =>
    new Date(performance.timeOrigin + performance.now() - (this.now() - monotonicMs)).toISOString();

  /** A step's reports (Engine.reports()), before its actions are applied. Returns the takeovers decided. */
  step(reports: readonly EngineReport[]): string[] {
    const decided: string[] = [];
    for (const r of reports) {
      if (r.type === 'takeover') {
        this.pending.set(r.instance, { report: r, seen: {} });
        decided.push(r.instance);
      } else if (r.type === 'split-brain') {
        this.log.warn(splitBrainLogLine(r));
        const status = splitBrainStatus(r, this.wall);
        this.splitBrains.set(r.instance, status);
        const { active: _active, ...episode } = status;
        this.publish({ type: 'split-brain', instance: r.instance, vrid: r.vrid, ...episode });
      } else if (r.type === 'split-brain-healed') {
        this.log.info(splitBrainHealedLogLine(r));
        const last = this.splitBrains.get(r.instance);
        if (last !== undefined && last.other.address === r.other)
          this.splitBrains.set(r.instance, {
            ...last,
            active: false,
            healedAt: this.wall(r.at),
            healedReason: r.reason,
          });
        this.publish({
          type: 'split-brain-healed',
          instance: r.instance,
          vrid: r.vrid,
          other: r.other,
          durationMs: Math.round(r.durationMs * 1000) / 1000,
          reason: r.reason,
        });
      }
    }
    return decided;
  }

  /** What the transition event carries of a takeover just decided. */
  transitionDetail(instance: string): TransitionTakeover | undefined {
    const r = this.pending.get(instance)?.report;
    if (r === undefined) return undefined;
    const last = lastAdvertOf(r, this.wall);
    return {
      masterDownIntervalMs: r.masterDownIntervalMs,
      ...(last !== undefined
        ? {
            lastAdvert: last.advert,
            sinceLastAdvertMs: Math.round((r.decidedAt - last.start) * 1000) / 1000,
          }
        : {}),
    };
  }

  /** The kernel acknowledged an instance's VIPs (every add queued before this point). */
  vipsInstalled(instance: string): void {
    const p = this.pending.get(instance);
    if (p !== undefined && p.seen.firstGarpAt === undefined) p.seen.vipsInstalledAt = this.now();
  }

  /** A gratuitous ARP / unsolicited NA of the instance left. */
  announced(instance: string): void {
    const p = this.pending.get(instance);
    if (p !== undefined && p.seen.firstGarpAt === undefined) p.seen.firstGarpAt = this.now();
  }

  /** Everything the takeover's step queued is done: report it with what was seen. */
  settle(instance: string): void {
    const p = this.pending.get(instance);
    if (p === undefined) return;
    this.pending.delete(instance);
    const timing = takeoverTiming(p.report, p.seen, this.wall);
    this.takeovers.set(instance, timing);
    this.log.info(takeoverLogLine(instance, timing));
    this.publish({ type: 'takeover', instance, timing });
  }
}
