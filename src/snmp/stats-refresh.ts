// When the checker's SNMP agent reads the IPVS counters again (keepalived's ipvs_vs_update_stats and
// ipvs_rs_update_stats): virtual-server counters at most every snmp_vs_stats_update_interval, real-server
// (and sorry-server) counters at most every snmp_rs_stats_update_interval, which is the virtual-server
// interval when not given. Between two refreshes a GET serves the counters last read. Pure.
import type { GlobalDefs } from '../config/model/global/global.js';

export interface StatsRefreshIntervals {
  vsMs: number;
  rsMs: number;
}

export function statsRefreshIntervals(
  global: Pick<GlobalDefs, 'snmpVsStatsUpdateInterval' | 'snmpRsStatsUpdateInterval'>,
): StatsRefreshIntervals {
  const vsMs = global.snmpVsStatsUpdateInterval * 1000;
  return { vsMs, rsMs: (global.snmpRsStatsUpdateInterval ?? global.snmpVsStatsUpdateInterval) * 1000 };
}

/** Which counters are stale at `now` (ms), given when each was last read. */
export function statsDue(
  now: number,
  last: { vs: number; rs: number },
  intervals: StatsRefreshIntervals,
): { vs: boolean; rs: boolean } {
  return { vs: now - last.vs >= intervals.vsMs, rs: now - last.rs >= intervals.rsMs };
}
