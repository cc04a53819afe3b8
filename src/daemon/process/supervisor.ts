// The supervising parent, as keepalived's: it owns the pid file, starts a VRRP child and a checker
// child, restarts a child that dies (unless -R), and passes signals on: TERM/INT stop everything,
// HUP reloads, USR1/USR2 ask for data and statistics dumps.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DaemonOptions } from './options.js';
import { CHILD_OPTIONS_ENV } from './child.js';
import { CONFIG_SNAPSHOT_FD_ENV } from './config-snapshot.js';
import type { Logger } from './log.js';
import { removePidFile, runningPid, writePidFile } from './pidfile.js';
import { onRawSignals, signalNumber } from './signals.js';
import { sdNotify } from './sd-notify.js';
import { BfdRelay } from '../bfd/relay.js';
import { StatusRelay } from './status-relay.js';
import type { Notifier } from './notifier.js';
import type { ScriptCommand } from '../../config/model/shared/script-command.js';
import { ReloadMonitor } from './reload-monitor.js';
import { isReloadedMessage, ReloadFile } from './reload-file.js';
import { permanentExit, restartDelay, type RespawnState } from './respawn-policy.js';
import { lockedDiscardEnv } from './locked-memory.js';
import { OOM_SCORE_ADJ_ENV, OomWatch, shieldParentFromOom } from './oom.js';

export type ChildKind = 'vrrp' | 'checker' | 'bfd';

const CHILD_MAIN: Record<ChildKind, string> = {
  vrrp: fileURLToPath(new URL('../vrrp/child.js', import.meta.url)),
  checker: fileURLToPath(new URL('../checker/child.js', import.meta.url)),
  bfd: fileURLToPath(new URL('../bfd/child.js', import.meta.url)),
};

/** Node flags per child. The VRRP child allocates little once running, but parsing a large configuration
 * grows V8's young generation to its 16 MB semi-space default, which it then keeps: capped at 1 MB the child
 * of 1,000 instances needs about 30 MB less resident memory, for no measurable CPU (bench/vrrp-scale.ts). */
const CHILD_NODE_FLAGS: Record<ChildKind, string[]> = {
  vrrp: ['--max-semi-space-size=1'],
  checker: [],
  bfd: [],
};

/** How keepalived names each child when it starts it. */
const CHILD_TITLE: Record<ChildKind, string> = { vrrp: 'VRRP', checker: 'Healthcheck', bfd: 'BFD' };

/** keepalived's JSON (SIGRTMIN+2) and STATS_CLEAR (SIGRTMAX-1) signals, passed on like USR2. */
function forwardRealtimeSignals(forward: (signum: number) => void, log: Logger): void {
  const numbers = [signalNumber('JSON'), signalNumber('STATS_CLEAR')].filter(
    (n): n is number => n !== undefined,
  );
  try {
    onRawSignals(numbers, forward);
  } catch (e) {
    log.warn(`cannot handle the JSON and STATS_CLEAR signals: ${(e as Error).message}`);
  }
}

/** What the parent itself takes from global_defs; read again after each reload it passed on. */
export interface ParentSettings {
  /** child_wait_time: how long it waits for its children to stop before SIGKILL (ours 10, keepalived 5). */
  childWaitSeconds: number;
  /** reload_check_config: check a new configuration with -t, logging there, before reloading. */
  reloadCheckLog?: string;
  /** reload_time_file, and whether it stays for the next day (reload_repeat). */
  reloadTimeFile?: string;
  reloadRepeat?: boolean;
  /** reload_file: exists while a reload reads the configuration. */
  reloadFile?: string;
}

/** How long after a reload the parent reads its own settings again. */
const REREAD_DELAY_MS = 1000;

export const DEFAULT_PARENT_SETTINGS: ParentSettings = { childWaitSeconds: 10 };

/** How the parent checks a configuration (reload-check.ts), and reads its settings again. */
export interface ReloadHooks {
  check(logFile: string): Promise<boolean>;
  reread(): ParentSettings | undefined;
  /** Reads the files for a reload before it is passed on: the copy the children read made again, or
   * false when the reload changes what a reload cannot (reload-limits.ts): it then goes no further. */
  prepare?(): boolean;
  /** The copy's descriptor in this process, told to each child started (config-snapshot.ts). */
  copyDescriptor?(): number | undefined;
}

/** startup_script / shutdown_script: run by the parent before it starts its children and after they
 * stopped, each waited for up to its timeout (then killed as keepalived kills them). */
export interface LifecycleScripts {
  notifier: Notifier;
  startup?: { script: ScriptCommand; timeoutMs: number };
  shutdown?: { script: ScriptCommand; timeoutMs: number };
}

interface Supervised {
  kind: ChildKind;
  child?: ChildProcess;
  respawn: RespawnState;
  startedAt: number;
}

export class Supervisor {
  private readonly children: Supervised[] = [];
  private stopping = false;
  /** reload_check_config's check is running; another SIGHUP came meanwhile. */
  private checking = false;
  private reloadQueued = false;
  private rereadTimer: NodeJS.Timeout | undefined;
  private reloadMonitor: ReloadMonitor | undefined;
  private reloadFile: ReloadFile | undefined;
  /** BFD session states from the BFD child, passed on to the VRRP and checker children. */
  private readonly bfd = new BfdRelay((kind) => this.children.find((c) => c.kind === kind)?.child);
  /** The checker child's health report and events, passed on to the VRRP child (status_http). */
  private readonly status = new StatusRelay(() => this.children.find((c) => c.kind === 'vrrp')?.child);
  private resolveDone: (() => void) | undefined;
  /** The daemon's exit status: a child's permanent error status, else 0. */
  private exitCode = 0;
  /** The oom_score_adj the children restore once this process has lowered its own (oom.ts). */
  private oomScoreAdj: number | undefined;
  private readonly oom = new OomWatch();

  constructor(
    private readonly options: DaemonOptions,
    private readonly argv: readonly string[],
    private readonly log: Logger,
    kinds: ChildKind[],
    private readonly scripts?: LifecycleScripts,
    private settings: ParentSettings = DEFAULT_PARENT_SETTINGS,
    private readonly reloadHooks?: ReloadHooks,
  ) {
    for (const kind of kinds) this.children.push({ kind, respawn: { nextDelayS: 0 }, startedAt: 0 });
  }

  /** Runs until stopped by a signal; resolves with the exit code. */
  async run(): Promise<number> {
    const other = runningPid(this.options.pidFile);
    if (other !== undefined) {
      // keepalived's wording and exit status (0): run.ts checks this before detaching already.
      this.log.info('daemon is already running');
      return 0;
    }
    writePidFile(this.options.pidFile);
    this.oomScoreAdj = shieldParentFromOom();
    const done = new Promise<void>((resolve) => (this.resolveDone = resolve));
    process.on('SIGTERM', () => this.stop('SIGTERM'));
    if (!this.options.ignoreSigint) process.on('SIGINT', () => this.stop('SIGINT'));
    process.on('SIGHUP', () => this.reload());
    process.on('SIGUSR1', () => this.forward('SIGUSR1'));
    // Only the VRRP child consumes STATS, STATS_CLEAR and JSON (keepalived's propagate_signal).
    process.on('SIGUSR2', () => this.forward('SIGUSR2', 'vrrp'));
    forwardRealtimeSignals((signum) => this.forward(signum, 'vrrp'), this.log);
    await this.runLifecycleScript('startup');
    if (!this.stopping) for (const s of this.children) this.spawn(s);
    // A reload file left by a daemon that did not stop cleanly would say a reload is under way.
    this.currentReloadFile()?.end();
    this.startReloadMonitor();
    // With nothing to run keepalived's parent stays up all the same (until a signal: a reload may bring
    // something); signal handlers alone would not keep Node's event loop alive.
    const idle = this.children.length === 0 ? setInterval(() => undefined, 2 ** 30) : undefined;
    if (idle !== undefined) this.log.info('Warning - keepalived has no configuration to run');
    // Debian's keepalived.service is Type=notify: systemd waits for this.
    sdNotify(`READY=1\nMAINPID=${process.pid}`);
    await done;
    clearInterval(idle);
    this.reloadFile?.end();
    await this.runLifecycleScript('shutdown');
    removePidFile(this.options.pidFile);
    return this.exitCode;
  }

  private async runLifecycleScript(which: 'startup' | 'shutdown'): Promise<void> {
    const script = this.scripts?.[which];
    if (script === undefined || this.scripts === undefined) return;
    const { command, user, group } = script.script;
    this.log.debug(`Running ${which} script ${command}`);
    const notifier = this.scripts.notifier;
    const ids = user === undefined ? undefined : notifier.lookupUser(user, group);
    if (user !== undefined && ids === undefined) {
      this.log.info(`Invalid user/group for ${which} script ${command} - ignoring`);
      return;
    }
    const r = await notifier.run(command, [], script.timeoutMs, ids);
    // keepalived's wording ("<type> script failed", its type being "startup script").
    if (r.code !== undefined && r.code !== 0)
      this.log.info(`${which} script script failed, status ${r.code}`);
    else if (r.timedOut) this.log.info(`${which} script timed out`);
    else if (r.code === 0) this.log.debug(`${which} script script succeeded`);
  }

  /** Where a child finds the configuration copy (none: it reads the files). */
  private copyEnv(): Record<string, string> {
    const fd = this.reloadHooks?.copyDescriptor?.();
    return fd === undefined ? {} : { [CONFIG_SNAPSHOT_FD_ENV]: String(fd) };
  }

  private spawn(s: Supervised): void {
    s.startedAt = Date.now();
    const child = fork(CHILD_MAIN[s.kind], [...this.argv], {
      stdio: 'inherit',
      serialization: 'json',
      execArgv: [...process.execArgv, ...CHILD_NODE_FLAGS[s.kind]],
      // The children run with the options this process resolved (pid files named); argv is for ps only.
      env: {
        ...process.env,
        [CHILD_OPTIONS_ENV]: JSON.stringify(this.options),
        ...this.copyEnv(),
        ...lockedDiscardEnv(),
        ...(this.oomScoreAdj === undefined ? {} : { [OOM_SCORE_ADJ_ENV]: String(this.oomScoreAdj) }),
      },
    });
    s.child = child;
    child.on('message', (m: unknown) => {
      if (isReloadedMessage(m)) {
        this.reloadFile?.answered(s.kind);
        return;
      }
      this.bfd.received(s.kind, m);
      this.status.received(s.kind, m);
    });
    this.log.info(`Starting ${CHILD_TITLE[s.kind]} child process, pid=${child.pid ?? '?'}`);
    child.on('exit', (code, signal) => {
      s.child = undefined;
      this.reloadFile?.answered(s.kind, true);
      if (this.stopping) {
        if (this.children.every((c) => c.child === undefined)) this.resolveDone?.();
        return;
      }
      const title = CHILD_TITLE[s.kind];
      const permanent = permanentExit(code);
      if (permanent !== undefined) {
        // It could not start (no descriptors, no memory, no permission...): restarting would not help.
        this.log.info(
          `${title} child process(${child.pid ?? '?'}) exited with permanent error ${permanent}. Terminating`,
        );
        this.exitCode = code ?? 1;
        this.stop('SIGTERM');
        return;
      }
      if (code !== null && code !== 0)
        this.log.info(`${title} child process(${child.pid ?? '?'}) exited with status ${code}`);
      if (this.options.dontRespawn) {
        this.log.warn(`${title} child process(${child.pid ?? '?'}) died: Exiting`);
        this.stop('SIGTERM');
        return;
      }
      if (signal !== null) {
        const oom = signal === 'SIGKILL' ? this.oom.explainKill() : undefined;
        if (oom !== undefined) this.log.error(`${title} child process(${child.pid ?? '?'}) ${oom}`);
        else this.log.info(`${title} child process(${child.pid ?? '?'}) killed by ${signal}`);
      }
      this.log.warn(`${title} child process(${child.pid ?? '?'}) died: Respawning`);
      const delay = restartDelay(s.respawn, Date.now() - s.startedAt);
      if (delay.limited)
        this.log.info(`Restart of ${title} process delayed ${delay.seconds} seconds to limit respawn rate`);
      setTimeout(() => {
        if (!this.stopping) this.spawn(s);
      }, delay.seconds * 1000);
    });
  }

  /** A SIGHUP: passed on at once, or once reload_check_config's check passed (one check at a time; a
   * SIGHUP during a check asks for one more after it, as keepalived queues a reload). */
  private reload(): void {
    if (this.checking) {
      this.reloadQueued = true;
      return;
    }
    const logFile = this.settings.reloadCheckLog;
    if (logFile === undefined || this.reloadHooks === undefined) {
      this.passReload();
      return;
    }
    this.checking = true;
    // keepalived's reload file also marks its check's reading of the files.
    const marking = this.currentReloadFile();
    marking?.create();
    void this.reloadHooks.check(logFile).then((ok) => {
      this.checking = false;
      if (ok && !this.stopping) this.passReload();
      else if (marking !== undefined && !marking.waiting) marking.end();
      if (this.reloadQueued) {
        this.reloadQueued = false;
        this.reload();
      }
    });
  }

  /** reload_time_file's watch, (re)started with the settings of the configuration now running. */
  private startReloadMonitor(): void {
    this.reloadMonitor?.stop();
    this.reloadMonitor = undefined;
    const file = this.settings.reloadTimeFile;
    if (file === undefined || this.stopping) return;
    // keepalived signals itself: the reload goes the way of a SIGHUP (reload_check_config included)
    this.reloadMonitor = new ReloadMonitor(file, this.settings.reloadRepeat === true, this.log, () =>
      process.kill(process.pid, 'SIGHUP'),
    );
    this.reloadMonitor.start();
  }

  /** The reload file of the settings now running (the previous one removed when the name changed). */
  private currentReloadFile(): ReloadFile | undefined {
    const path = this.settings.reloadFile;
    if (this.reloadFile !== undefined && this.reloadFile.path !== path) {
      this.reloadFile.end();
      this.reloadFile = undefined;
    }
    if (path !== undefined && this.reloadFile === undefined) this.reloadFile = new ReloadFile(path, this.log);
    return this.reloadFile;
  }

  private passReload(): void {
    // the reload file is there while the parent reads the files too
    const marking = this.currentReloadFile();
    marking?.create();
    if (this.reloadHooks?.prepare?.() === false) {
      // the running configuration stays, as keepalived's does; so does its reload_time_file watch
      if (marking !== undefined && !marking.waiting) marking.end();
      return;
    }
    this.reloadMonitor?.stop();
    sdNotify('RELOADING=1');
    marking?.begin(this.children.filter((c) => c.child !== undefined).map((c) => c.kind));
    this.forward('SIGHUP');
    sdNotify('READY=1');
    // Read once a burst of SIGHUPs is over (a large configuration takes a while to parse); stop() reads
    // at once if it is still due.
    if (this.reloadHooks === undefined) return;
    clearTimeout(this.rereadTimer);
    this.rereadTimer = setTimeout(() => this.rereadSettings(), REREAD_DELAY_MS);
    this.rereadTimer.unref();
  }

  private rereadSettings(): void {
    clearTimeout(this.rereadTimer);
    this.rereadTimer = undefined;
    this.settings = this.reloadHooks?.reread() ?? this.settings;
    this.startReloadMonitor();
  }

  private forward(signal: NodeJS.Signals | number, only?: ChildKind): void {
    for (const s of this.children) {
      if (only !== undefined && s.kind !== only) continue;
      const pid = s.child?.pid;
      // ChildProcess.kill() refuses signal numbers without a name (the realtime ones): use process.kill.
      try {
        if (pid !== undefined) process.kill(pid, signal);
      } catch {
        // it just exited: the exit handler restarts it
      }
    }
  }

  private stop(_signal: NodeJS.Signals): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.rereadTimer !== undefined) this.rereadSettings();
    this.reloadMonitor?.stop();
    this.log.info('Stopping');
    sdNotify('STOPPING=1');
    const live = this.children.filter((s) => s.child !== undefined);
    if (live.length === 0) {
      this.resolveDone?.();
      return;
    }
    for (const s of live) s.child?.kill('SIGTERM');
    setTimeout(() => {
      for (const s of this.children) {
        if (s.child === undefined) continue;
        // keepalived's wording, with its short child names (vrrp, checker, bfd)
        this.log.info(`${s.kind} process failed to die - forcing termination`);
        s.child.kill('SIGKILL');
      }
    }, this.settings.childWaitSeconds * 1000).unref();
  }
}
