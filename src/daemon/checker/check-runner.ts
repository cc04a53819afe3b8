// The I/O driver around the pure scheduler: one timer armed for the earliest due probe, probes run as
// promises, their results fed back with the monotonic time they finished. Everything the scheduler
// decides other than starting probes (server state, notify scripts, logs) goes to `onAction`.
import {
  CheckScheduler,
  type CheckAction,
  type CheckerSnapshot,
  type RandomSource,
} from '../../check/schedule/scheduler.js';
import { PROBES, type Probe } from '../../check/probes/index.js';
import type { CheckerKind, CheckerSpec, ProbeResult, RealServerSpec } from '../../check/schedule/spec.js';
import { errorText } from '../../check/probes/common.js';

export interface CheckRunnerOptions {
  servers: readonly RealServerSpec[];
  checkers: readonly CheckerSpec[];
  onAction: (action: Exclude<CheckAction, { type: 'start-probe' }>) => void;
  /** Seeded randomness for warmup; Math.random by default. */
  random?: RandomSource;
  /** Override probes (the simulator plugs in its own). */
  probes?: Partial<Record<CheckerKind, Probe>>;
  /** Monotonic clock in ms; performance.now by default. */
  now?: () => number;
}

export class CheckRunner {
  private readonly scheduler: CheckScheduler;
  private readonly specs = new Map<string, CheckerSpec>();
  /** Probes started and not yet reported; stop() waits for them to settle. */
  private inFlight = 0;
  private onDrained: (() => void) | undefined;
  /** One controller for every probe of this run: stop() aborts them all at once. */
  private abort = new AbortController();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private armedFor: number | undefined;
  private running = false;
  /** When each probe in flight started (monotonic ms), and each checker's last result, for /status. */
  private readonly startedAt = new Map<string, number>();
  readonly lastResults = new Map<string, ProbeResult & { durationMs: number; finishedAt: number }>();

  constructor(private readonly options: CheckRunnerOptions) {
    this.scheduler = new CheckScheduler(options.servers, options.checkers, options.random ?? Math.random);
    for (const spec of options.checkers) this.specs.set(spec.id, spec);
    this.now = options.now ?? (() => performance.now());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.apply(this.scheduler.start(this.now()));
    this.arm();
  }

  /**
   * Stops probing, aborts probes in flight and waits for them; omega notify_down actions are emitted.
   * A stopped runner stays stopped: a reload builds a new one.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.apply(this.scheduler.shutdown());
    const drained =
      this.inFlight === 0 ? undefined : new Promise<void>((resolve) => (this.onDrained = resolve));
    this.abort.abort();
    await drained;
  }

  /** Probes `checkerId` as soon as possible (BFD_CHECK after its session changed state). */
  probeNow(checkerId: string): void {
    if (!this.running) return;
    this.scheduler.probeNow(this.now(), checkerId);
    this.arm();
  }

  setEnabled(checkerId: string, enabled: boolean): void {
    this.scheduler.setEnabled(checkerId, enabled);
  }

  snapshot(): CheckerSnapshot[] {
    return this.scheduler.snapshot();
  }

  serverUp(serverId: string): boolean | undefined {
    return this.scheduler.serverUp(serverId);
  }

  private arm(): void {
    if (!this.running) return;
    const next = this.scheduler.nextDue();
    if (next === undefined) return;
    if (this.timer !== undefined && this.armedFor !== undefined && this.armedFor <= next) return;
    clearTimeout(this.timer);
    this.armedFor = next;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, next - this.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    this.armedFor = undefined;
    if (!this.running) return;
    this.apply(this.scheduler.tick(this.now()));
    this.arm();
  }

  private apply(actions: CheckAction[]): void {
    for (const action of actions) {
      if (action.type === 'start-probe') this.launch(action.checker, action.url);
      else this.options.onAction(action);
    }
  }

  private launch(id: string, url?: number): void {
    const whole = this.specs.get(id);
    if (whole === undefined) return;
    // HTTP_GET / SSL_GET: the scheduler names the one url this probe fetches
    const spec =
      url !== undefined && (whole.options.kind === 'HTTP_GET' || whole.options.kind === 'SSL_GET')
        ? { ...whole, options: { ...whole.options, urls: whole.options.urls.slice(url, url + 1) } }
        : whole;
    const probe = this.options.probes?.[spec.options.kind] ?? PROBES[spec.options.kind];
    let started: Promise<ProbeResult>;
    try {
      started = probe(spec, this.abort.signal);
    } catch (e) {
      started = Promise.reject(e);
    }
    this.inFlight++;
    this.startedAt.set(id, this.now());
    // One reaction per probe (not a catch/then chain): thousands of probes settle every second.
    started.then(
      (result) => this.settled(id, result),
      (e: unknown) => this.settled(id, { ok: false, detail: `probe error: ${errorText(e)}` }),
    );
  }

  private settled(id: string, result: ProbeResult): void {
    if (--this.inFlight === 0 && this.onDrained !== undefined) {
      this.onDrained();
      this.onDrained = undefined;
    }
    if (!this.running) return;
    const now = this.now();
    const began = this.startedAt.get(id);
    this.lastResults.set(id, {
      ...result,
      durationMs: began === undefined ? 0 : now - began,
      finishedAt: Date.now(),
    });
    this.apply(this.scheduler.probeResult(now, id, result));
    this.arm();
  }
}
