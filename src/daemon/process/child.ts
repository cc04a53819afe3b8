// What every child process (VRRP, checker, BFD) does the same way: take the options the supervisor
// resolved, log under its own ident, stop once on SIGTERM / SIGINT / the supervisor going away (kill -9
// must not leave an orphan holding VIPs), reload on SIGHUP, dump on SIGUSR1, and exit 1 if it cannot start.
import { daemonLogger, type Logger } from './log.js';
import { restoreOomScoreAdj } from './oom.js';
import { restorePreload } from './locked-memory.js';
import type { DaemonOptions } from './options.js';
import { EXIT_FATAL, EXIT_PROGRAM_ERROR } from './respawn-policy.js';
import { RELOADED_MESSAGE } from './reload-file.js';

/** The environment variable the supervisor passes its resolved options in (JSON). */
export const CHILD_OPTIONS_ENV = 'KEEPALIVED_TS_CHILD_OPTIONS';

/** The options a child runs with: the supervisor's, resolved (pid files named). Not passed on to scripts. */
export function childOptions(): DaemonOptions {
  const text = process.env[CHILD_OPTIONS_ENV];
  delete process.env[CHILD_OPTIONS_ENV];
  if (text === undefined) {
    process.stderr.write(`${CHILD_OPTIONS_ENV} is not set: children are started by the supervisor\n`);
    process.exit(2);
  }
  return JSON.parse(text) as DaemonOptions;
}

/** A child that will not run this configuration: says `message` and exits with `exitCode` (a permanent
 * one: the supervisor then stops the daemon, as keepalived's parent does). */
export class StartRefused extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface ChildDaemon {
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
  reload(): void | Promise<void>;
  /** SIGUSR1: keepalived's data dump. */
  dump(): void;
}

/** Runs one child: `make` builds its daemon; resolves once it started. */
export async function runChild<D extends ChildDaemon>(
  ident: string,
  title: string,
  make: (options: DaemonOptions, log: Logger) => D,
  /** More signal handlers, set before start as the common ones are. */
  moreSignals?: (daemon: D, log: Logger) => void,
): Promise<D> {
  const options = childOptions();
  restoreOomScoreAdj();
  restorePreload();
  const log = daemonLogger(options, ident);
  const daemon = make(options, log);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void Promise.resolve()
      .then(() => daemon.stop())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          log.error(`stop failed: ${(e as Error).message}`);
          process.exit(1);
        },
      );
  };
  // A crash is restarted by the supervisor (as keepalived's after a SIGSEGV); Node would exit 1, which the
  // supervisor reads as "cannot start" (keepalived's FATAL) and stops everything for.
  process.on('uncaughtException', (e) => {
    log.error(`${title} child crashed: ${e.stack ?? String(e)}`);
    process.exit(EXIT_PROGRAM_ERROR);
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  // The parent keeps reload_file until each child says its reload is done.
  process.on('SIGHUP', () => {
    void Promise.resolve()
      .then(() => daemon.reload())
      .catch((e: unknown) => log.error(`reload failed: ${(e as Error).message}`))
      .finally(() => {
        if (process.connected) process.send?.({ type: RELOADED_MESSAGE });
      });
  });
  process.on('SIGUSR1', () => daemon.dump());
  moreSignals?.(daemon, log);
  try {
    await daemon.start();
  } catch (e) {
    if (e instanceof StartRefused) {
      log.error(e.message);
      process.exit(e.exitCode);
    }
    log.error(`${title} child failed to start: ${(e as Error).stack ?? String(e)}`);
    process.exit(EXIT_FATAL);
  }
  return daemon;
}
