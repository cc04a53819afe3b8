// When the supervisor restarts a child that died, and when it gives up, as keepalived 2.2.7 does
// (lib/scheduler.c calc_restart_delay and report_child_status): a child that ran for a minute or more is
// restarted at once; within its first minute the first restart is at once too, then 1, 2, 4... seconds, at
// most a minute. A child that exits with a "permanent" status (it could not start: FATAL, CONFIG, missing
// permission) is not restarted: the whole daemon stops with that status.

/** keepalived's exit codes (lib/scheduler.h enum exit_code) a child reports to its parent. */
export const EXIT_FATAL = 1;
export const EXIT_CONFIG = 2;
export const EXIT_MISSING_PERMISSION = 4;
/** A child that crashed (an uncaught exception): restarted, like keepalived after a SIGSEGV. */
export const EXIT_PROGRAM_ERROR = 70;

const RAN_LONG_ENOUGH_MS = 60_000;

/** The restart state of one child: the delay its next early death gets (seconds). */
export interface RespawnState {
  nextDelayS: number;
}

/**
 * The delay (seconds) before restarting a child that lived `livedMs`, and whether the rate limit applied
 * (keepalived then logs the delay, 0 included); updates `state` for the next time.
 */
export function restartDelay(state: RespawnState, livedMs: number): { seconds: number; limited: boolean } {
  if (livedMs >= RAN_LONG_ENOUGH_MS) {
    state.nextDelayS = 0;
    return { seconds: 0, limited: false };
  }
  const seconds = state.nextDelayS;
  state.nextDelayS = seconds === 0 ? 1 : seconds > 30 ? 60 : seconds * 2;
  return { seconds, limited: true };
}

/** keepalived's name for a permanent exit status, or undefined when the child is to be restarted. */
export function permanentExit(code: number | null): string | undefined {
  if (code === EXIT_FATAL) return 'FATAL';
  if (code === EXIT_CONFIG) return 'CONFIG';
  if (code === EXIT_MISSING_PERMISSION) return 'missing permission';
  return undefined;
}
