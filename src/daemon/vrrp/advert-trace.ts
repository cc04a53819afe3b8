// Diagnostics for advert timing, off unless KTS_ADVERT_TRACE names a file: every engine event with its
// start and end on CLOCK_MONOTONIC (timer events also with the deadline they were armed for), and every
// V8 garbage collection, so that a late advert can be matched with what the loop was doing instead.
// Written as JSON when the daemon stops; bench/vrrp-jitter.ts reads it back.
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { monotonicNowNs } from '../../net/precise-timer.js';
import { NS_PER_MS } from '../../common/units.js';

/** One engine event: kind, armed deadline (timer events, else 0), start and end, all ns. */
export type TracedEvent = [kind: string, deadlineNs: number, startNs: number, endNs: number];

/** One garbage collection: V8's kind (1 scavenge, 2 mark-sweep, 4 incremental, 8 weak callbacks), start, end. */
export type TracedGc = [kind: number, startNs: number, endNs: number];

export interface AdvertTraceFile {
  events: TracedEvent[];
  gcs: TracedGc[];
}

const MAX_RECORDS = 500_000;

export class AdvertTrace {
  private readonly events: TracedEvent[] = [];
  private readonly gcs: TracedGc[] = [];
  private readonly observer: PerformanceObserver;
  /** CLOCK_MONOTONIC ns at performance.now() = 0 (node's performance clock is CLOCK_MONOTONIC too). */
  private readonly originNs: number;

  private constructor(private readonly file: string) {
    this.originNs = Number(monotonicNowNs()) - performance.now() * NS_PER_MS;
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (this.gcs.length >= MAX_RECORDS) return;
        // gc entries carry detail.kind, which @types/node 20's PerformanceEntry does not declare
        const detail = Reflect.get(e, 'detail') as { kind?: number } | undefined;
        const kind = detail?.kind ?? 0;
        const start = this.originNs + e.startTime * NS_PER_MS;
        this.gcs.push([kind, Math.round(start), Math.round(start + e.duration * NS_PER_MS)]);
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** The trace KTS_ADVERT_TRACE asks for, or undefined (the usual case: no cost at all). */
  static fromEnv(): AdvertTrace | undefined {
    const file = process.env.KTS_ADVERT_TRACE;
    return file ? new AdvertTrace(file) : undefined;
  }

  event(kind: string, deadlineNs: bigint | undefined, startNs: bigint, endNs: bigint): void {
    if (this.events.length >= MAX_RECORDS) return;
    this.events.push([kind, Number(deadlineNs ?? 0n), Number(startNs), Number(endNs)]);
  }

  write(): void {
    this.observer.disconnect();
    const body: AdvertTraceFile = { events: this.events, gcs: this.gcs };
    writeFileSync(this.file, JSON.stringify(body));
  }
}
