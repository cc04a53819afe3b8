// The status listener's state in the VRRP child: the event history (state changes with their reasons,
// tracker changes, checker verdicts, BFD sessions), the last BFD states and checker report, the
// Prometheus registry, and the HTTP servers of the current status_http block. It outlives reloads (the
// history and the counters carry on; the servers reopen only when the block changed).
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StatusHttpConfig } from '../../config/model/global/status-http.js';
import { isCheckerReportMessage, type CheckerReport } from '../../api/checker-status.js';
import { EventHistory, type StatusEventBody } from '../../api/events.js';
import {
  type ExpositionFamily,
  expositionPieces,
  SNAPSHOT_FAMILIES,
  SeriesCounter,
  SnapshotSamples,
} from '../../api/metrics.js';
import { takeoverStages } from '../../api/failover.js';
import type { HandoverAnswer, HandoverRequest } from '../../api/handover.js';
import {
  assembleStatus,
  buildStatus,
  statusInstances,
  type InstanceStatus,
  type StatusDocument,
  type StatusInput,
} from '../../api/status.js';
import type { Logger } from '../process/log.js';
import { StatusHttpServer } from './status-http.js';
import type { WireTally } from '../../vrrp/wire/endpoint.js';

/** Requests closer together than this share one answer (its generatedAt says when it was built)... */
const CACHE_MS = 250;
/** ...or than this many times the answer took to build (on the clock: slices included), up to
 * CACHE_MAX_MS: on a crowded host a document of thousands of instances takes seconds to build in slices,
 * and building it back to back fills the young generation with it, whose collections (each a chance
 * for the thread to lose its CPU) then held the loop for 0.3 s at a time (bench/status-load.ts). */
const CACHE_BUILD_FACTOR = 4;
const CACHE_MAX_MS = 2000;

/** How long an answer that took `buildMs` to build is shared. */
const shareFor = (buildMs: number): number =>
  Math.min(CACHE_MAX_MS, Math.max(CACHE_MS, CACHE_BUILD_FACTOR * buildMs));
/** Longest an answer's building holds the event loop before it lets the rest run: the native advert
 * sender's plans are topped up from that loop, a few tens of ms ahead (engine-clock.ts), and on a busy
 * host a few ms of CPU can take several times that on the clock. */
const SLICE_MS = 3;

/** Yields to the event loop once SLICE_MS have passed since the last time. */
class Slicer {
  private since = performance.now();
  async next(): Promise<void> {
    if (performance.now() - this.since < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.since = performance.now();
  }
}

/** What the service reads from the VRRP daemon at each request. */
export interface StatusSource {
  input(): Omit<StatusInput, 'bfd' | 'checker' | 'transitions' | 'generatedAt'>;
  garpDelayS(instance: string): number;
  /** POST /instances/NAME/handover and /release (api/handover.ts). */
  handover?(request: HandoverRequest): HandoverAnswer;
  /** Every VRRP packet read, by family and verdict. */
  wire?(): WireTally;
}

export class StatusService {
  readonly history = new EventHistory();
  private readonly bfd = new Map<string, boolean>();
  private checker: CheckerReport | undefined;
  private server: StatusHttpServer | undefined;
  private opening: Promise<void> = Promise.resolve();
  private readonly registry = new Registry();
  private readonly transitions: Counter;
  /** Ours, not prom-client's: one series per real server, rendered a few hundred at a time. */
  private readonly verdicts = new SeriesCounter(
    'keepalived_checker_verdicts_total',
    'Real server verdicts (in or out of the pool) since the daemon started',
    ['virtual_server', 'real_server', 'up'],
  );
  private readonly requests: Histogram;
  private readonly takeoverSeconds: Histogram;
  private readonly splitBrain: Gauge;
  private readonly splitBrains: Counter;
  private readonly handovers: Counter;
  /** Other masters of the split-brain episodes under way, by instance. */
  private readonly splitBrainOthers = new Map<string, Set<string>>();
  /** Answers shared within CACHE_MS, as bytes: every request writes the same Buffer (no encoding, no copy). */
  private metricsCache:
    { at: number; validMs: number; text: Promise<{ contentType: string; body: Buffer }> } | undefined;
  private statusCache: { at: number; validMs: number; text: Promise<Buffer> } | undefined;

  constructor(
    private readonly source: StatusSource,
    private readonly log: Logger,
  ) {
    const registers = [this.registry];
    const wire = (): WireTally | undefined => this.source.wire?.();
    new Counter({
      name: 'keepalived_vrrp_packets_received_total',
      help: 'VRRP packets read from the raw sockets, by verdict: accepted, or the reason it was dropped (also those no instance counts: a VRID not run here (vrid_mismatch), too short to name one, a foreign protocol, our own)',
      labelNames: ['family', 'verdict'],
      registers,
      collect(this: Counter): void {
        this.reset();
        const tally = wire();
        if (tally === undefined) return;
        for (const [family, counts] of [
          ['4', tally.ipv4],
          ['6', tally.ipv6],
        ] as const) {
          if (counts.received === 0) continue;
          this.inc({ family, verdict: 'accepted' }, counts.accepted);
          for (const [reason, n] of Object.entries(counts.dropped)) this.inc({ family, verdict: reason }, n);
        }
      },
    });
    this.transitions = new Counter({
      name: 'keepalived_vrrp_transitions_total',
      help: 'State changes of an instance since the daemon started',
      labelNames: ['iname', 'from', 'to'],
      registers,
    });
    this.requests = new Histogram({
      name: 'keepalived_status_http_request_duration_seconds',
      help: "Time the VRRP child's JavaScript thread spent answering a status request",
      labelNames: ['path', 'code'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    });
    this.takeoverSeconds = new Histogram({
      name: 'keepalived_vrrp_takeover_seconds',
      help: 'Takeovers (BACKUP to MASTER): time from the last advert heard from the old master to the decision (stage decided), to the kernel acknowledging the VIPs (vips_installed) and to the first gratuitous ARP / unsolicited NA sent (first_garp)',
      labelNames: ['iname', 'stage'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 3.5, 4, 5, 7.5, 10, 30],
      registers,
    });
    this.splitBrain = new Gauge({
      name: 'keepalived_vrrp_split_brain',
      help: 'Whether this router, MASTER, hears another master for the same VRID (1) or not (0)',
      labelNames: ['iname'],
      registers,
    });
    this.splitBrains = new Counter({
      name: 'keepalived_vrrp_split_brain_total',
      help: 'Split-brain episodes detected since the daemon started',
      labelNames: ['iname'],
      registers,
    });
    this.handovers = new Counter({
      name: 'keepalived_vrrp_handovers_total',
      help: 'Planned handovers by outcome: started, completed (the new master advertised), timed-out (VIPs dropped at the deadline), aborted, released (the hold ended)',
      labelNames: ['iname', 'outcome'],
      registers,
    });
    // process health: CPU, memory, event-loop delay, GC (prom-client's process and nodejs_* metrics)
    collectDefaultMetrics({ register: this.registry });
  }

  /** Opens, keeps or closes the servers for the configuration's status_http block. */
  configure(cfg: StatusHttpConfig | undefined): Promise<void> {
    this.opening = this.opening.then(async () => {
      if (this.server?.sameConfig(cfg)) return;
      await this.server?.close();
      this.server = undefined;
      if (cfg === undefined) return;
      this.server = await StatusHttpServer.open(
        cfg,
        {
          status: () => this.statusText(),
          metrics: () => this.metrics(),
          history: this.history,
          measured: (path, code, seconds) => this.requests.observe({ path, code: String(code) }, seconds),
          ...(this.source.handover !== undefined
            ? { handover: (r: HandoverRequest) => this.source.handover?.(r) as HandoverAnswer }
            : {}),
        },
        this.log,
      );
    });
    return this.opening;
  }

  /** The Prometheus text of this moment: scrapes within CACHE_MS of one another share one rendering (and
   * overlapping ones the same), so that however often clients ask, the work stays bounded. */
  metrics(): Promise<{ contentType: string; body: Buffer }> {
    const now = performance.now();
    if (this.metricsCache !== undefined && now - this.metricsCache.at < this.metricsCache.validMs)
      return this.metricsCache.text;
    const cache = {
      at: now,
      validMs: CACHE_MS,
      text: this.renderMetricsBytes().then((m) => {
        cache.validMs = shareFor(performance.now() - now);
        return m;
      }),
    };
    this.metricsCache = cache;
    cache.text.catch(() => (this.metricsCache = undefined));
    return cache.text;
  }

  /**
   * The Prometheus text rendered now (no cache), in slices of the event loop: the document's samples an
   * instance at a time, then the text SERIES_PER_TURN series at a time (the families of 10,000 real
   * servers each held the loop for tens of ms when prom-client wrote them in one go), the registry's own
   * metrics (counters, histograms, process health) included.
   */
  async renderMetricsBytes(): Promise<{ contentType: string; body: Buffer }> {
    const slicer = new Slicer();
    const { input, instances } = await this.instancesInSlices(slicer);
    const samples = new SnapshotSamples((n) => this.source.garpDelayS(n));
    for (const i of instances) {
      samples.instance(i);
      await slicer.next();
    }
    const doc = assembleStatus(input, []);
    samples.others(doc);
    for (const vs of doc.virtualServers)
      for (const rs of vs.realServers) {
        samples.realServer(vs.name, rs);
        await slicer.next();
      }
    const snapshot = samples.result();
    const families: ExpositionFamily[] = SNAPSHOT_FAMILIES.map((f) => ({
      name: f.name,
      help: f.help,
      type: f.type,
      labelNames: f.labelNames,
      values: snapshot.get(f.name) ?? [],
    }));
    families.push(this.verdicts.family());
    for (const m of this.registry.getMetricsAsArray() as unknown as { get(): Promise<ExpositionFamily> }[]) {
      families.push({ ...(await m.get()), unique: true });
      await slicer.next();
    }
    // Bytes piece by piece: one 5 MB string joined and encoded at the end took 5-10 ms in one turn.
    const parts: Buffer[] = [];
    for (const piece of expositionPieces(families)) {
      parts.push(Buffer.from(piece));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { contentType: this.registry.contentType, body: Buffer.concat(parts) };
  }

  /** renderMetricsBytes() as text (tests). */
  async renderMetrics(): Promise<{ contentType: string; body: string }> {
    const m = await this.renderMetricsBytes();
    return { contentType: m.contentType, body: m.body.toString() };
  }

  /** /status as JSON bytes, shared by the requests of the same CACHE_MS (and overlapping ones). */
  statusText(): Promise<Buffer> {
    const now = performance.now();
    if (this.statusCache === undefined || now - this.statusCache.at >= this.statusCache.validMs) {
      const cache = {
        at: now,
        validMs: CACHE_MS,
        text: this.renderStatus().then((body) => {
          cache.validMs = shareFor(performance.now() - now);
          return body;
        }),
      };
      this.statusCache = cache;
      cache.text.catch(() => (this.statusCache = undefined));
    }
    return this.statusCache.text;
  }

  /** /status built and serialised now (no cache), in slices of the event loop; the same text as
   * JSON.stringify(document()), the instances serialised one by one. */
  async renderStatus(): Promise<Buffer> {
    const slicer = new Slicer();
    const { input, instances } = await this.instancesInSlices(slicer);
    const parts: string[] = [];
    for (const i of instances) {
      parts.push(JSON.stringify(i));
      await slicer.next();
    }
    const { schemaVersion, generatedAt, daemon, instances: _none, ...rest } = assembleStatus(input, []);
    const head = JSON.stringify({ schemaVersion, generatedAt, daemon }).slice(0, -1);
    const tail = JSON.stringify(rest).slice(1);
    return Buffer.from(`${head},"instances":[${parts.join(',')}]${tail === '}' ? '' : ','}${tail}`);
  }

  document(): StatusDocument {
    return buildStatus(this.input());
  }

  private input(): StatusInput {
    return {
      ...this.source.input(),
      generatedAt: new Date().toISOString(),
      bfd: this.bfd,
      ...(this.checker !== undefined ? { checker: this.checker } : {}),
      transitions: this.history.recent('state-change', 50),
    };
  }

  /** The document's instances, built from one snapshot of the engine over as many turns as it takes. */
  private async instancesInSlices(
    slicer: Slicer,
  ): Promise<{ input: StatusInput; instances: InstanceStatus[] }> {
    const input = this.input();
    const instances: InstanceStatus[] = [];
    for (const i of statusInstances(input)) {
      instances.push(i);
      await slicer.next();
    }
    return { input, instances };
  }

  event(body: StatusEventBody): void {
    const e = this.history.push(body, new Date().toISOString());
    // the next request sees the change
    this.statusCache = undefined;
    this.metricsCache = undefined;
    if (body.type === 'state-change')
      this.transitions.inc({ iname: body.instance, from: body.from, to: body.to });
    if (body.type === 'takeover')
      for (const { stage, seconds } of takeoverStages(body.timing))
        this.takeoverSeconds.observe({ iname: body.instance, stage }, seconds);
    if (body.type === 'handover') this.handovers.inc({ iname: body.instance, outcome: body.outcome });
    if (body.type === 'split-brain' || body.type === 'split-brain-healed') {
      // one gauge per instance, however many other masters: 1 while any episode is under way
      let others = this.splitBrainOthers.get(body.instance);
      if (others === undefined) this.splitBrainOthers.set(body.instance, (others = new Set()));
      if (body.type === 'split-brain') {
        others.add(body.other.address);
        this.splitBrains.inc({ iname: body.instance });
      } else others.delete(body.other);
      this.splitBrain.set({ iname: body.instance }, others.size > 0 ? 1 : 0);
    }
    if (body.type === 'checker')
      this.verdicts.inc({
        virtual_server: body.virtualServer,
        real_server: body.realServer,
        up: String(body.up),
      });
    this.server?.publish(e);
  }

  bfdState(name: string, up: boolean): void {
    if (this.bfd.get(name) === up) return;
    const known = this.bfd.has(name);
    this.bfd.set(name, up);
    if (known || !up) this.event({ type: 'bfd', session: name, up });
  }

  /** A message relayed from the checker child (status-reporter.ts). */
  checkerMessage(m: unknown): void {
    if (isCheckerReportMessage(m)) this.checker = m.report;
    else if (
      typeof m === 'object' &&
      m !== null &&
      (m as { type?: unknown }).type === 'checker-event' &&
      typeof (m as { event?: unknown }).event === 'object'
    ) {
      const e = (m as { event: Extract<StatusEventBody, { type: 'checker' }> }).event;
      this.event({
        type: 'checker',
        virtualServer: String(e.virtualServer),
        realServer: String(e.realServer),
        up: e.up === true,
        weight: Number(e.weight),
        reason: String(e.reason),
      });
    }
  }

  async close(): Promise<void> {
    await this.opening;
    await this.server?.close();
    this.server = undefined;
  }
}
