// The checker side's part of /status: every virtual server with its real servers, their health and each
// checker's last verdict. The checker child builds it (from its model, the scheduler and the last probe
// results) and sends it to the VRRP child, which serves it; a bounded message (MAX_REAL_SERVERS).
import { realServerId, virtualServerLabel } from '../check/schedule/from-model.js';
import { effectiveWeight } from '../config/model/lvs/defaults.js';
import type { VirtualServer } from '../config/model/lvs/types.js';

/** Above this many real servers the report is cut (and says so): one IPC message stays bounded. */
export const MAX_REAL_SERVERS = 10_000;

export interface CheckerResult {
  ok: boolean;
  /** The probe's own words ("connection refused", "status 503"...). */
  detail: string;
  durationMs: number;
  /** Wall-clock time the probe finished (ISO 8601). */
  at: string;
}

export interface CheckerStatus {
  id: string;
  kind: string;
  up: boolean;
  last?: CheckerResult;
}

export interface RealServerStatus {
  address: string;
  port: number;
  /** In the pool (the checkers' verdict; a server without checkers is up). */
  up: boolean;
  weight: number;
  checkers: CheckerStatus[];
}

export interface VirtualServerStatus {
  name: string;
  realServers: RealServerStatus[];
}

export interface CheckerReport {
  /** When the checker child built it (ISO 8601). */
  at: string;
  virtualServers: VirtualServerStatus[];
  /** Real servers left out to keep the message bounded. */
  truncated: number;
}

export interface CheckerFacts {
  /** The server states announced so far (absent: not decided yet, shown as the configured start). */
  server(id: string): { up: boolean; weight: number } | undefined;
  /** Checkers of a real server, with their current verdict and last result. */
  checkers(serverId: string): CheckerStatus[];
}

export function buildCheckerReport(
  virtualServers: readonly VirtualServer[],
  facts: CheckerFacts,
  at: string,
): CheckerReport {
  let budget = MAX_REAL_SERVERS;
  let truncated = 0;
  const out: VirtualServerStatus[] = [];
  for (const vs of virtualServers) {
    const realServers: RealServerStatus[] = [];
    for (const rs of vs.realServers) {
      if (budget === 0) {
        truncated++;
        continue;
      }
      budget--;
      const id = realServerId(vs, rs);
      const state = facts.server(id);
      const checkers = facts.checkers(id);
      realServers.push({
        address: rs.address,
        port: rs.port ?? (vs.key.kind === 'address' ? (vs.key.port ?? 0) : 0),
        // keepalived starts a server with checkers down (alpha) or up; before the first verdict we say
        // what the checkers say, and a server without checkers is in the pool.
        up: state?.up ?? (checkers.length === 0 || checkers.every((c) => c.up)),
        weight: state?.weight ?? effectiveWeight(vs, rs),
        checkers,
      });
    }
    out.push({ name: virtualServerLabel(vs), realServers });
  }
  return { at, virtualServers: out, truncated };
}

export function isCheckerReportMessage(m: unknown): m is { type: 'checker-report'; report: CheckerReport } {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return r.type === 'checker-report' && typeof r.report === 'object' && r.report !== null;
}
