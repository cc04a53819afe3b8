// reload_check_config: before passing a SIGHUP on, the parent checks the new configuration as keepalived
// 2.4.3 does (main.c start_validate_reload_conf_child): it truncates the log file, runs itself with the same
// command line plus --config-test=LOG (5 s at most), and reloads only when that exits 0; otherwise it logs
// "New config failed validation, see LOG for details" and everything keeps running the old configuration.
import { spawn } from 'node:child_process';
import { statSync, truncateSync } from 'node:fs';
import type { Logger } from './log.js';

/** keepalived gives the config-test child 5 seconds. */
const CHECK_TIMEOUT_MS = 5000;

/** `reload_check_config` without a file name logs to /dev/null (global_parser.c). */
export const DEFAULT_CHECK_LOG = '/dev/null';

function truncateLog(path: string, log: Logger): void {
  try {
    truncateSync(path, 0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    // a character device (/dev/null) cannot be truncated: that is fine
    let isDevice = false;
    try {
      isDevice = statSync(path).isCharacterDevice();
    } catch {
      /* reported below */
    }
    if (!isDevice)
      log.info(`truncate of config check log ${path} failed (${code ?? '?'}) - ${(e as Error).message}`);
  }
}

/**
 * Runs `launcher argv... --config-test=logFile` and resolves whether the configuration passed. `launcher`
 * is this program (node and its entry script), `argv` the daemon's own command line.
 */
export function checkConfigBeforeReload(
  launcher: readonly string[],
  argv: readonly string[],
  logFile: string,
  log: Logger,
): Promise<boolean> {
  truncateLog(logFile, log);
  const [command, ...args] = launcher as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(command, [...args, ...argv, `--config-test=${logFile}`], { stdio: 'ignore' });
    const timer = setTimeout(() => {
      log.info('config check timed out');
      child.kill('SIGKILL');
    }, CHECK_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      log.info(`Could not run config-test (${e.message})`);
      resolve(false);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve(true);
        return;
      }
      if (code !== null) log.info(`New config failed validation, see ${logFile} for details`);
      else log.info(`reload_check child process (${child.pid ?? '?'}) terminated by ${signal ?? 'a signal'}`);
      resolve(false);
    });
  });
}
