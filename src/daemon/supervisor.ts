// The supervising parent, as keepalived's: it owns the pid file, starts a VRRP child and a checker
// child, restarts a child that dies (unless -R), and passes signals on: TERM/INT stop everything,
// HUP reloads, USR1/USR2 ask for data and statistics dumps.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DaemonOptions } from '../cli/options.js';
import type { Logger } from './log.js';
import { removePidFile, runningPid, writePidFile } from './pidfile.js';

export type ChildKind = 'vrrp' | 'checker';

const CHILD_MAIN: Record<ChildKind, string> = {
  vrrp: fileURLToPath(new URL('./vrrp-child.js', import.meta.url)),
  checker: fileURLToPath(new URL('./checker-child.js', import.meta.url)),
};

/** Restart backoff: a child that keeps dying is restarted at most once a second, then less often. */
const RESPAWN_MIN_MS = 1000;
const RESPAWN_MAX_MS = 30_000;
const STOP_GRACE_MS = 10_000;

interface Supervised {
  kind: ChildKind;
  child?: ChildProcess;
  restarts: number;
  startedAt: number;
}

export class Supervisor {
  private readonly children: Supervised[] = [];
  private stopping = false;
  private resolveDone: (() => void) | undefined;

  constructor(
    private readonly options: DaemonOptions,
    private readonly argv: readonly string[],
    private readonly log: Logger,
    kinds: ChildKind[],
  ) {
    for (const kind of kinds) this.children.push({ kind, restarts: 0, startedAt: 0 });
  }

  /** Runs until stopped by a signal; resolves with the exit code. */
  async run(): Promise<number> {
    const other = runningPid(this.options.pidFile);
    if (other !== undefined) {
      this.log.error(`daemon is already running (pid ${other}, ${this.options.pidFile})`);
      return 1;
    }
    writePidFile(this.options.pidFile);
    this.log.info(`Starting keepalived-ts, pid ${process.pid}`);
    for (const s of this.children) this.spawn(s);
    const done = new Promise<void>((resolve) => (this.resolveDone = resolve));
    process.on('SIGTERM', () => this.stop('SIGTERM'));
    process.on('SIGINT', () => this.stop('SIGINT'));
    process.on('SIGHUP', () => this.forward('SIGHUP'));
    process.on('SIGUSR1', () => this.forward('SIGUSR1'));
    process.on('SIGUSR2', () => this.forward('SIGUSR2'));
    if (this.children.length === 0) {
      this.log.info('nothing to run: the configuration has neither VRRP instances nor virtual servers');
    }
    await done;
    removePidFile(this.options.pidFile);
    this.log.info('Stopped keepalived-ts');
    return 0;
  }

  private spawn(s: Supervised): void {
    s.startedAt = Date.now();
    const child = fork(CHILD_MAIN[s.kind], [...this.argv], { stdio: 'inherit', serialization: 'json' });
    s.child = child;
    child.on('exit', (code, signal) => {
      s.child = undefined;
      if (this.stopping) {
        if (this.children.every((c) => c.child === undefined)) this.resolveDone?.();
        return;
      }
      this.log.warn(`${s.kind} child exited (code ${code ?? '-'}, signal ${signal ?? '-'})`);
      if (this.options.dontRespawn) {
        this.log.info('not restarting it (-R); stopping');
        this.stop('SIGTERM');
        return;
      }
      const lived = Date.now() - s.startedAt;
      s.restarts = lived > RESPAWN_MAX_MS ? 0 : s.restarts + 1;
      const delay = Math.min(RESPAWN_MAX_MS, RESPAWN_MIN_MS * 2 ** Math.max(0, s.restarts - 1));
      setTimeout(() => {
        if (!this.stopping) this.spawn(s);
      }, delay);
    });
  }

  private forward(signal: NodeJS.Signals): void {
    for (const s of this.children) s.child?.kill(signal);
  }

  private stop(signal: NodeJS.Signals): void {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info(`Stopping (${signal})`);
    const live = this.children.filter((s) => s.child !== undefined);
    if (live.length === 0) {
      this.resolveDone?.();
      return;
    }
    for (const s of live) s.child?.kill('SIGTERM');
    setTimeout(() => {
      for (const s of this.children) s.child?.kill('SIGKILL');
    }, STOP_GRACE_MS).unref();
  }
}
