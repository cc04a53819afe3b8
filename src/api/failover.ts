// Takeover timing and split brain as the status listener and the log show them: the engine's reports
// (vrrp/engine/reports.ts) completed by what the daemon saw (the kernel acknowledging the VIPs, the first
// gratuitous ARP / unsolicited NA leaving). Pure: times come in as monotonic ms plus a way to name them on
// the wall clock.
import type { SplitBrainHealedReport, SplitBrainReport, TakeoverReport } from '../vrrp/engine/reports.js';

/** Monotonic ms -> wall-clock ISO 8601. */
export type WallClock = (monotonicMs: number) => string;

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

export interface LastAdvert {
  at: string;
  from: string;
  priority: number;
  handledAfterMs?: number;
}

/** The last advert of a takeover report for the status listener; `start` is where the timing starts. */
export function lastAdvertOf(
  r: TakeoverReport,
  wall: WallClock,
): { advert: LastAdvert; start: number } | undefined {
  const last = r.lastAdvert;
  if (last === undefined) return undefined;
  const start = last.arrivedAt ?? last.at;
  return {
    start,
    advert: {
      at: wall(start),
      from: last.from,
      priority: last.priority,
      ...(last.arrivedAt !== undefined ? { handledAfterMs: round3(last.at - last.arrivedAt) } : {}),
    },
  };
}

/** One takeover (BACKUP -> MASTER), the last of each instance in /status, and the `takeover` event. */
export interface TakeoverTiming {
  /** When the instance decided to become MASTER (wall clock). */
  decidedAt: string;
  reason: string;
  masterDownIntervalMs: number;
  /** The last advert heard from the old master, absent when none was heard (a start, a lone router): when
   * the kernel received it (else when the daemon handled it), and how long the daemon took to handle it. */
  lastAdvert?: LastAdvert;
  /** From the last advert heard: to the decision, to the kernel acknowledging the VIPs, to the first
   * gratuitous ARP / unsolicited NA sent. */
  sinceLastAdvertMs?: { decided: number; vipsInstalled?: number; firstGarp?: number };
  /** From the decision. */
  sinceDecisionMs: { vipsInstalled?: number; firstGarp?: number };
}

/** What the daemon adds to the engine's takeover report (monotonic ms, the engine's clock). */
export interface TakeoverObserved {
  vipsInstalledAt?: number;
  firstGarpAt?: number;
}

export function takeoverTiming(r: TakeoverReport, seen: TakeoverObserved, wall: WallClock): TakeoverTiming {
  const since = (from: number): { vipsInstalled?: number; firstGarp?: number } => ({
    ...(seen.vipsInstalledAt !== undefined ? { vipsInstalled: round3(seen.vipsInstalledAt - from) } : {}),
    ...(seen.firstGarpAt !== undefined ? { firstGarp: round3(seen.firstGarpAt - from) } : {}),
  });
  const last = lastAdvertOf(r, wall);
  return {
    decidedAt: wall(r.decidedAt),
    reason: r.reason,
    masterDownIntervalMs: r.masterDownIntervalMs,
    ...(last !== undefined
      ? {
          lastAdvert: last.advert,
          sinceLastAdvertMs: { decided: round3(r.decidedAt - last.start), ...since(last.start) },
        }
      : {}),
    sinceDecisionMs: since(r.decidedAt),
  };
}

/** The takeover's stages (histogram keepalived_vrrp_takeover_seconds{stage}), in seconds from the last
 * advert heard; none when no advert was heard. */
export function takeoverStages(t: TakeoverTiming): Array<{ stage: string; seconds: number }> {
  const s = t.sinceLastAdvertMs;
  if (s === undefined) return [];
  const out = [{ stage: 'decided', seconds: s.decided / 1000 }];
  if (s.vipsInstalled !== undefined) out.push({ stage: 'vips_installed', seconds: s.vipsInstalled / 1000 });
  if (s.firstGarp !== undefined) out.push({ stage: 'first_garp', seconds: s.firstGarp / 1000 });
  return out;
}

/** The log line of a takeover (one per takeover). */
export function takeoverLogLine(instance: string, t: TakeoverTiming): string {
  const ms = (x: number | undefined): string => (x === undefined ? 'n/a' : `${x.toFixed(1)} ms`);
  const d = t.sinceDecisionMs;
  const head =
    t.lastAdvert === undefined
      ? `(${instance}) takeover (${t.reason}): no advert heard before`
      : `(${instance}) takeover (${t.reason}): last advert from ${t.lastAdvert.from} priority ${t.lastAdvert.priority}, decided after ${ms(t.sinceLastAdvertMs?.decided)}`;
  const tail =
    t.sinceLastAdvertMs === undefined
      ? ''
      : `; from the last advert: VIPs ${ms(t.sinceLastAdvertMs.vipsInstalled)}, first gratuitous ARP/NA ${ms(t.sinceLastAdvertMs.firstGarp)}`;
  return `${head}; VIPs installed +${ms(d.vipsInstalled)}, first gratuitous ARP/NA +${ms(d.firstGarp)}${tail}`;
}

/** An instance's split brain in /status: the episode under way, or the last one. */
export interface SplitBrainStatus {
  active: boolean;
  cause: SplitBrainReport['cause'];
  since: string;
  detectedAt: string;
  us: { address?: string; priority: number };
  other: { address: string; priority: number; vips: string[] };
  healedAt?: string;
  healedReason?: string;
}

export function splitBrainStatus(r: SplitBrainReport, wall: WallClock): SplitBrainStatus {
  return {
    active: true,
    cause: r.cause,
    since: wall(r.since),
    detectedAt: wall(r.at),
    us: { ...(r.us.address !== undefined ? { address: r.us.address } : {}), priority: r.us.priority },
    other: { address: r.other.address, priority: r.other.priority, vips: [...r.other.addresses] },
  };
}

export function splitBrainLogLine(r: SplitBrainReport): string {
  const why =
    r.cause === 'vip-set-differs'
      ? `with our priority and another VIP set (${r.other.addresses.join(' ') || 'none'})`
      : `for ${((r.at - r.since) / 1000).toFixed(1)} s while we are MASTER`;
  return `(${r.instance}) SPLIT BRAIN on VRID ${r.vrid}: ${r.other.address} priority ${r.other.priority} advertises as MASTER ${why}; we are ${r.us.address ?? 'MASTER'} priority ${r.us.priority}`;
}

export function splitBrainHealedLogLine(r: SplitBrainHealedReport): string {
  return `(${r.instance}) split brain on VRID ${r.vrid} with ${r.other} healed after ${(r.durationMs / 1000).toFixed(1)} s: ${r.reason}`;
}
