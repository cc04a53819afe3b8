// Runs inside the IPVS VM, in a network namespace of the VM (IPVS tables are per namespace), for
// tests/vm/ipvs-plane.test.ts: reads steps as JSON on stdin, applies them with IpvsDataPlane (one plane
// for the whole run, as the checker child keeps one) and after each step runs the snapshot commands.
// Prints {"results": [{error?, snapshot: [stdout...], ms}]} on stdout.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { LvsSyncDaemon, LvsTimeouts } from '../../src/config/model/global/global.js';
import { IpvsDataPlane, type SyncDaemonRole } from '../../src/lb/ipvs/plane.js';
import type { IpvsService, IpvsServiceId } from '../../src/lb/ipvs/service.js';
import type { LbChange, LbTable } from '../../src/lb/table/types.js';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';

export type InnerStep =
  | { apply: { changes: LbChange[]; next: LbTable } }
  | { flush: true }
  | { timeouts: LvsTimeouts }
  | { restoreTimeouts: true }
  | { syncDaemon: { role: SyncDaemonRole; config: LvsSyncDaemon } }
  | { stopSyncDaemon: { role: SyncDaemonRole; syncId?: number } }
  | { readTable: true }
  /** The client's GET_SERVICE (one service, with counters) and ZERO. */
  | { getService: IpvsServiceId }
  | { zero: true };

export interface InnerRequest {
  steps: InnerStep[];
  /** Shell commands run after every step (e.g. `ipvsadm-save -n`). */
  snapshot: string[];
  /** net_namespace_ipvs: the namespace (a path) whose IPVS the plane drives; default this one. */
  netNamespace?: string;
}

export interface InnerResult {
  error?: string;
  /** What readTable gave, for a readTable step. */
  table?: LbTable;
  /** What getService gave (counters as decimal strings). */
  service?: IpvsService | null;
  snapshot: string[];
  ms: number;
}

async function main(): Promise<void> {
  refuseOutsideSuiteNamespace('ipvs-plane.inner.js');
  const request = JSON.parse(readFileSync(0, 'utf8')) as InnerRequest;
  const log: string[] = [];
  const plane = await IpvsDataPlane.open({ log: (l) => log.push(l), netNamespace: request.netNamespace });
  const results: InnerResult[] = [];
  try {
    for (const step of request.steps) {
      const t0 = performance.now();
      const result: InnerResult = { snapshot: [], ms: 0 };
      try {
        if ('apply' in step) await plane.apply(step.apply.changes, step.apply.next);
        else if ('flush' in step) await plane.flush();
        else if ('timeouts' in step) await plane.setTimeouts(step.timeouts);
        else if ('restoreTimeouts' in step) await plane.restoreTimeouts();
        else if ('syncDaemon' in step)
          await plane.switchSyncDaemon(step.syncDaemon.role, step.syncDaemon.config);
        else if ('stopSyncDaemon' in step)
          await plane.stopSyncDaemon(step.stopSyncDaemon.role, step.stopSyncDaemon.syncId);
        else if ('readTable' in step) result.table = await plane.readTable();
        else if ('getService' in step)
          result.service = (await plane.client.getService(step.getService)) ?? null;
        else if ('zero' in step) await plane.client.zero();
      } catch (error) {
        result.error = (error as Error).message;
      }
      result.ms = performance.now() - t0;
      for (const cmd of request.snapshot) {
        result.snapshot.push(execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' }));
      }
      results.push(result);
    }
  } finally {
    plane.close();
  }
  const bigintAsText = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);
  process.stdout.write(JSON.stringify({ results, log }, bigintAsText));
}

await main();
