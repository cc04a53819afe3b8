// The health-check scheduler: when each checker probes next, what a probe result means for the checker
// and for its real server. Pure: time comes in as `now` (ms, any monotonic origin), randomness as an
// injected function, and everything that should happen goes out as actions.
//
// Counting follows keepalived 2.x's checker epilogues (check_udp.c / check_dns.c / check_misc.c):
// - at start every checker's retry counter is already exhausted, so the FIRST failure marks it DOWN
//   at once (and, with alpha, the checker starts DOWN and the first success brings it UP);
// - afterwards, while the checker is UP, a failure is retried `retry` times `delay_before_retry`
//   apart; the (retry+1)-th consecutive failure marks it DOWN and the loop goes back to delay_loop;
// - while DOWN, failures are not retried: one probe per delay_loop, and one success brings it UP;
// - the next probe is due delay_loop (or delay_before_retry) after the probe finished, except for
//   MISC_CHECK whose period runs from the script's start (keepalived's `last_ran`).
// A real server is alive while all of its checkers are UP.
import type { CheckerSpec, ProbeResult, RealServerSpec } from './spec.js';
import { DueQueue } from './due-queue.js';
import { httpEpilog } from './http-epilog.js';

/** keepalived delays every checker's first run by this before adding the warmup share. */
const BOOTSTRAP_DELAY_MS = 1_000;

export type CheckAction =
  /** Run the checker's probe now and report back with probeResult(); for HTTP_GET / SSL_GET only the
   * url at index `url` (keepalived fetches one url per probe, see http-epilog.ts). */
  | { type: 'start-probe'; checker: string; url?: number }
  /** The real server's desired state: in the pool or not, and at which weight. */
  | { type: 'server-state'; server: string; up: boolean; weight: number }
  /** Run a notify script (notify_up / notify_down of the real server). */
  | { type: 'notify'; server: string; event: 'up' | 'down'; script: string }
  | { type: 'log'; message: string };

/** A random number in [0, 1); the daemon passes a seeded generator so runs can be replayed. */
export type RandomSource = () => number;

interface CheckerState {
  spec: CheckerSpec;
  isUp: boolean;
  hasRun: boolean;
  /** keepalived's retry_it: failures already retried in the current streak. */
  retryIt: number;
  inFlight: boolean;
  startedAt: number;
  /** MISC_CHECK misc_dynamic: last exit code that set the weight. */
  lastExitCode?: number;
  /** FILE_CHECK: this checker's contribution to the server weight. */
  weightOffset: number;
  /** HTTP_GET / SSL_GET: the url the next probe fetches, and the one that failed (http-epilog.ts). */
  urlIt: number;
  failedUrl: number | undefined;
}

interface ServerState {
  spec: RealServerSpec;
  checkers: CheckerState[];
  alive: boolean;
  /** misc_dynamic weight, when a script set one. */
  dynamicWeight?: number;
  /** What we last announced, to emit only changes. */
  announcedUp?: boolean;
  announcedWeight?: number;
}

export interface CheckerSnapshot {
  id: string;
  server: string;
  up: boolean;
  hasRun: boolean;
  retryIt: number;
  inFlight: boolean;
  nextDueMs: number | undefined;
}

export class CheckScheduler {
  private readonly checkers = new Map<string, CheckerState>();
  private readonly servers = new Map<string, ServerState>();
  private readonly queue = new DueQueue();
  private readonly dueAt = new Map<string, number>();
  private stopped = false;

  constructor(
    servers: readonly RealServerSpec[],
    checkers: readonly CheckerSpec[],
    private readonly random: RandomSource,
  ) {
    for (const spec of servers) {
      this.servers.set(spec.id, { spec, checkers: [], alive: true });
    }
    for (const spec of checkers) {
      const server = this.servers.get(spec.server);
      if (server === undefined) throw new Error(`checker ${spec.id}: unknown real server ${spec.server}`);
      if (this.checkers.has(spec.id)) throw new Error(`duplicate checker id ${spec.id}`);
      const state: CheckerState = {
        spec,
        // With alpha the checker counts as failed until its first success.
        isUp: !spec.timing.alpha,
        hasRun: false,
        // keepalived sets retry_it = retry at start: one failure is enough initially.
        retryIt: spec.timing.retry,
        inFlight: false,
        startedAt: 0,
        weightOffset: 0,
        urlIt: 0,
        failedUrl: undefined,
      };
      this.checkers.set(spec.id, state);
      server.checkers.push(state);
    }
    for (const server of this.servers.values()) server.alive = server.checkers.every((c) => c.isUp);
  }

  /** Schedules every checker's first probe and announces the initial server states. */
  start(now: number): CheckAction[] {
    const actions: CheckAction[] = [];
    for (const checker of this.checkers.values()) {
      const warmup = checker.spec.timing.warmupMs;
      const jitter = warmup > 0 ? Math.floor(warmup * this.random()) : 0;
      this.setDue(checker.spec.id, now + BOOTSTRAP_DELAY_MS + jitter);
    }
    for (const server of this.servers.values()) this.announce(server, actions);
    return actions;
  }

  /** The next time something is due, or undefined when idle; the driver sets one timer for it. */
  nextDue(): number | undefined {
    return this.stopped ? undefined : this.queue.peekTime();
  }

  /** Starts every probe due at or before `now`. */
  tick(now: number): CheckAction[] {
    if (this.stopped) return [];
    const actions: CheckAction[] = [];
    for (const id of this.queue.popDue(now)) {
      this.dueAt.delete(id);
      const checker = this.checkers.get(id);
      if (checker === undefined) continue;
      if (!checker.spec.enabled) {
        // Suspended checkers keep their slot and look again a delay_loop later.
        this.setDue(id, now + checker.spec.timing.delayLoopMs);
        continue;
      }
      checker.inFlight = true;
      checker.startedAt = now;
      const kind = checker.spec.options.kind;
      actions.push(
        kind === 'HTTP_GET' || kind === 'SSL_GET'
          ? { type: 'start-probe', checker: id, url: checker.urlIt }
          : { type: 'start-probe', checker: id },
      );
    }
    return actions;
  }

  /** Makes a checker due now unless its probe is running: a BFD_CHECK whose session just changed. */
  probeNow(now: number, id: string): void {
    const checker = this.checkers.get(id);
    if (checker === undefined || checker.inFlight || this.stopped) return;
    this.setDue(id, now);
  }

  /** Feeds the result of a probe started by tick(); stale or unknown results are ignored. */
  probeResult(now: number, id: string, result: ProbeResult): CheckAction[] {
    const checker = this.checkers.get(id);
    if (checker === undefined || !checker.inFlight || this.stopped) return [];
    checker.inFlight = false;
    const server = this.servers.get(checker.spec.server) as ServerState;
    const actions: CheckAction[] = [];
    const { retry, delayLoopMs, delayBeforeRetryMs } = checker.spec.timing;
    // built only for a log line: a healthy probe (the common case) allocates no strings
    const name = (): string => `${checker.spec.options.kind} ${checker.spec.id}`;

    const options = checker.spec.options;
    if (options.kind === 'HTTP_GET' || options.kind === 'SSL_GET') {
      const wasUp = checker.isUp;
      if (!result.ok && wasUp && checker.spec.timing.logAllFailures === true)
        actions.push({
          type: 'log',
          message: `${name()} on ${server.spec.id} failed (${result.detail}), attempt ${checker.retryIt + 1} of ${retry + 1}`,
        });
      const { delayMs, change } = httpEpilog(
        checker,
        result.ok,
        options.urls.length,
        checker.spec.timing,
        options.fastRecovery === true,
      );
      if (change === 'up') actions.push({ type: 'log', message: `${name()} on ${server.spec.id} succeeded` });
      if (change === 'down') {
        const after = retry > 0 ? ` after ${retry} retries` : '';
        actions.push({
          type: 'log',
          message: `${name()} on ${server.spec.id} failed${after} (${result.detail})`,
        });
      }
      this.setDue(id, now + delayMs);
      server.alive = server.checkers.every((c) => c.isUp);
      this.announce(server, actions);
      return actions;
    }

    if (result.weightOffset !== undefined) checker.weightOffset = result.weightOffset;
    if (result.ok) {
      this.applyDynamicWeight(checker, server, result);
      checker.retryIt = 0;
      if (!checker.isUp || !checker.hasRun) {
        if (!checker.isUp) actions.push({ type: 'log', message: `${name()} on ${server.spec.id} succeeded` });
        checker.isUp = true;
      }
    } else if (checker.isUp || !checker.hasRun) {
      // keepalived says each failed attempt of an UP checker only with log_all_failures.
      if (checker.spec.timing.logAllFailures === true && checker.isUp)
        actions.push({
          type: 'log',
          message: `${name()} on ${server.spec.id} failed (${result.detail}), attempt ${checker.retryIt + 1} of ${retry + 1}`,
        });
      if (checker.retryIt < retry) {
        checker.retryIt++;
      } else {
        checker.retryIt = 0;
        this.dropDynamicWeight(checker, server, result);
        const after = checker.hasRun && retry > 0 ? ` after ${retry} retries` : '';
        actions.push({
          type: 'log',
          message: `${name()} on ${server.spec.id} failed${after} (${result.detail})`,
        });
        checker.isUp = false;
      }
    }
    checker.hasRun = true;

    const delay = checker.retryIt > 0 ? delayBeforeRetryMs : delayLoopMs;
    // MISC_CHECK's period runs from the script's start; the others' from the probe's end.
    const from = checker.spec.options.kind === 'MISC_CHECK' ? checker.startedAt : now;
    this.setDue(id, Math.max(from + delay, now));

    server.alive = server.checkers.every((c) => c.isUp);
    this.announce(server, actions);
    return actions;
  }

  /** ha_suspend: enable or suspend a checker (a suspended one keeps its state and skips probes). */
  setEnabled(id: string, enabled: boolean): void {
    const checker = this.checkers.get(id);
    if (checker !== undefined) checker.spec = { ...checker.spec, enabled };
  }

  /** Stops scheduling; with omega, live servers get their notify_down run. */
  shutdown(): CheckAction[] {
    this.stopped = true;
    const actions: CheckAction[] = [];
    for (const server of this.servers.values()) {
      if (server.spec.omega && server.alive && server.spec.notifyDown !== undefined) {
        actions.push({
          type: 'notify',
          server: server.spec.id,
          event: 'down',
          script: server.spec.notifyDown,
        });
      }
    }
    return actions;
  }

  snapshot(): CheckerSnapshot[] {
    return [...this.checkers.values()].map((c) => ({
      id: c.spec.id,
      server: c.spec.server,
      up: c.isUp,
      hasRun: c.hasRun,
      retryIt: c.retryIt,
      inFlight: c.inFlight,
      nextDueMs: this.dueAt.get(c.spec.id),
    }));
  }

  serverUp(id: string): boolean | undefined {
    return this.servers.get(id)?.alive;
  }

  private setDue(id: string, at: number): void {
    this.dueAt.set(id, at);
    this.queue.schedule(id, at);
  }

  /** misc_dynamic: exit 2..255 sets weight code-2; exit 0 restores the configured weight. */
  private applyDynamicWeight(checker: CheckerState, server: ServerState, result: ProbeResult): void {
    const options = checker.spec.options;
    if (options.kind !== 'MISC_CHECK' || !options.dynamic || result.exitCode === undefined) return;
    if (result.exitCode === checker.lastExitCode) return;
    checker.lastExitCode = result.exitCode;
    server.dynamicWeight = result.exitCode >= 2 ? result.exitCode - 2 : undefined;
  }

  /**
   * misc_dynamic: a script's final failure takes back the weight it had set, with the server's fall
   * (keepalived's check_misc.c does it then, without a line), and is remembered as the last exit code:
   * a later exit 0 finds the configured weight already in place.
   */
  private dropDynamicWeight(checker: CheckerState, server: ServerState, result: ProbeResult): void {
    const options = checker.spec.options;
    if (options.kind !== 'MISC_CHECK' || !options.dynamic || result.exitCode === undefined) return;
    checker.lastExitCode = result.exitCode;
    server.dynamicWeight = undefined;
  }

  private effectiveWeight(server: ServerState): number {
    const base = server.dynamicWeight ?? server.spec.weight;
    const offsets = server.checkers.reduce((sum, c) => sum + c.weightOffset, 0);
    return Math.max(0, base + offsets);
  }

  private announce(server: ServerState, actions: CheckAction[]): void {
    const weight = this.effectiveWeight(server);
    const changedUp = server.announcedUp !== server.alive;
    if (!changedUp && server.announcedWeight === weight) return;
    const first = server.announcedUp === undefined;
    server.announcedUp = server.alive;
    server.announcedWeight = weight;
    actions.push({ type: 'server-state', server: server.spec.id, up: server.alive, weight });
    if (!changedUp || first) return;
    actions.push({ type: 'log', message: `real server ${server.spec.id} ${server.alive ? 'UP' : 'DOWN'}` });
    const script = server.alive ? server.spec.notifyUp : server.spec.notifyDown;
    if (script !== undefined) {
      actions.push({ type: 'notify', server: server.spec.id, event: server.alive ? 'up' : 'down', script });
    }
  }
}
