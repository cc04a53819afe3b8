// Loaded into every process of the daemon under soak (`node --import dist/bench/soak-probe.js`; the
// supervisor forks its children with the parent's execArgv, so they load it too). Only when
// KTS_SOAK_PROBE_DIR is set: every KTS_SOAK_PROBE_MS (10 s) it writes, atomically, one JSON file
// <dir>/<role>-<pid>.json with the process's V8 heap before and after a forced full GC and its own
// event-loop delay (p99, max) over the last period. RSS and descriptors are read from /proc by the bench:
// they need nothing inside the process.
//
// Why a forced GC: heap used between collections saw-tooths with the allocation rate; what survives a
// full collection is what the process holds, so its trend is the leak signal (bench/soak.ts).
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What one probe file holds. */
export interface ProbeSample {
  pid: number;
  role: string;
  /** Date.now() when taken. */
  t: number;
  heapUsedBytes: number;
  heapAfterGcBytes: number;
  externalBytes: number;
  rssBytes: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  gcMs: number;
}

/** Which process of the daemon this is, from its main module. */
export function roleOf(mainModule: string | undefined): string {
  const m = /\/(vrrp|checker|bfd)\/child\.js$/.exec(mainModule ?? '');
  return m ? (m[1] as string) : 'parent';
}

function start(dir: string): void {
  const periodMs = Number(process.env.KTS_SOAK_PROBE_MS ?? 10_000);
  // set at run time, so that --import is the only flag the daemon is started with; a context created
  // afterwards has gc()
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const role = roleOf(process.argv[1]);
  const file = join(dir, `${role}-${process.pid}.json`);
  const timer = setInterval(() => {
    const before = process.memoryUsage();
    const eventLoopP99Ms = delay.percentile(99) / 1e6;
    const eventLoopMaxMs = delay.max / 1e6;
    const gcStart = performance.now();
    gc();
    const gcMs = performance.now() - gcStart;
    const after = process.memoryUsage();
    // reset after the collection: its pause lands in the next period, as one delayed tick among ~1,000
    delay.reset();
    const sample: ProbeSample = {
      pid: process.pid,
      role,
      t: Date.now(),
      heapUsedBytes: before.heapUsed,
      heapAfterGcBytes: after.heapUsed,
      externalBytes: after.external,
      rssBytes: after.rss,
      eventLoopP99Ms,
      eventLoopMaxMs,
      gcMs,
    };
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(sample));
      renameSync(`${file}.tmp`, file);
    } catch {
      // the bench removed the directory: it is over
    }
  }, periodMs);
  timer.unref();
}

const dir = process.env.KTS_SOAK_PROBE_DIR;
if (dir) start(dir);
