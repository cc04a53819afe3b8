// Running the external programs a config names (notify scripts, vrrp_script, MISC_CHECK): split the
// command as keepalived does, run it in its own process group, never block the event loop, and kill the
// whole group when it outlives its timeout, with keepalived's one escalation (SIGTERM, then SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { splitQuotedEscaped } from '../config/lexical.js';

export interface ScriptResult {
  /** Exit status, or undefined when the script was killed by a signal or could not start. */
  code: number | undefined;
  signal: NodeJS.Signals | undefined;
  /** Killed because it outlived its timeout. */
  timedOut: boolean;
  /** Stopped because the caller aborted it (the result comes at once; the kill goes on). */
  aborted?: boolean;
  /** Still there after the SIGKILL (stuck in the kernel): given up on. */
  stuck?: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES...). */
  error?: string;
}

export interface RunOptions {
  timeoutMs?: number;
  uid?: number;
  gid?: number;
  /** Supplementary groups (with uid and gid): Node's spawn clears them, so setpriv(1) sets them. */
  groups?: readonly number[];
  env?: NodeJS.ProcessEnv;
  /** Aborting kills the script as a timeout does, and resolves at once. */
  signal?: AbortSignal;
}

/** keepalived's escalation for vrrp_script and MISC_CHECK alike: SIGTERM to the script's process group
 * at its timeout, SIGKILL this much later if it lingers. */
export const KILL_GRACE_MS = 2_000;
/** After the SIGKILL a child that still does not exit (stuck in the kernel) is not waited for. */
const UNKILLABLE_MS = 100;

/** The words of a script's command line, split as keepalived splits them (quotes group, backslash
 * escapes); undefined when the quoting is broken. */
export function commandWords(command: string): string[] | undefined {
  const r = splitQuotedEscaped(command);
  return 'words' in r ? r.words : undefined;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** util-linux's setpriv (always on Debian): sets the ids and the supplementary groups, then execs. */
const SETPRIV = '/usr/bin/setpriv';

function existsQuietly(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function setprivArgs(uid: number, gid: number, groups: readonly number[]): string[] {
  return [`--reuid=${uid}`, `--regid=${gid}`, `--groups=${groups.join(',')}`, '--'];
}

/** Runs `argv` in its own process group and resolves when it ends or is killed; never rejects. */
export function runScript(argv: readonly string[], opts: RunOptions = {}): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (file === undefined) {
      resolve({ code: undefined, signal: undefined, timedOut: false, error: 'empty command' });
      return;
    }
    let timedOut = false;
    let settled = false;
    let timeout: NodeJS.Timeout | undefined;
    let killer: NodeJS.Timeout | undefined;
    let unwatch: (() => void) | undefined;
    const settle = (r: ScriptResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      unwatch?.();
      resolve(r);
    };
    const viaSetpriv = opts.groups !== undefined && opts.uid !== undefined && opts.gid !== undefined;
    // setpriv would report a missing program as its own exit status: say it as spawn does.
    if (viaSetpriv && isAbsolute(file) && !existsQuietly(file)) {
      resolve({ code: undefined, signal: undefined, timedOut: false, error: 'ENOENT' });
      return;
    }
    let child: ChildProcess;
    try {
      child = viaSetpriv
        ? spawn(SETPRIV, [...setprivArgs(opts.uid ?? 0, opts.gid ?? 0, opts.groups ?? []), file, ...args], {
            stdio: 'ignore',
            detached: true,
            env: opts.env ?? process.env,
          })
        : spawn(file, args, {
            stdio: 'ignore',
            detached: true, // its own process group, so a timeout kills the script's children too
            uid: opts.uid,
            gid: opts.gid,
            env: opts.env ?? process.env,
          });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      resolve({ code: undefined, signal: undefined, timedOut: false, error: err.code ?? err.message });
      return;
    }
    const terminate = (): void => {
      if (killer !== undefined) return;
      killGroup(child.pid, 'SIGTERM');
      killer = setTimeout(() => {
        killGroup(child.pid, 'SIGKILL');
        // Never wait on an unkillable child: the verdict is known.
        killer = setTimeout(
          () => settle({ code: undefined, signal: 'SIGKILL', timedOut, stuck: true }),
          UNKILLABLE_MS,
        );
      }, KILL_GRACE_MS);
    };
    if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
      timeout = setTimeout(() => {
        timedOut = true;
        terminate();
      }, opts.timeoutMs);
    }
    const abort = (): void => {
      terminate(); // the kill goes on; the caller has its answer now
      settle({ code: undefined, signal: undefined, timedOut: false, aborted: true });
    };
    if (opts.signal?.aborted) abort();
    else if (opts.signal !== undefined) {
      const signal = opts.signal;
      signal.addEventListener('abort', abort, { once: true });
      unwatch = () => signal.removeEventListener('abort', abort);
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(killer);
      settle({ code: undefined, signal: undefined, timedOut: false, error: err.code ?? err.message });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      // A script that died of SIGTERM: its leftover children die with the group, as keepalived does.
      if (signal === 'SIGTERM') killGroup(child.pid, 'SIGKILL');
      settle({ code: code ?? undefined, signal: signal ?? undefined, timedOut });
    });
  });
}

/** enable_script_security: a script run as root must not be writable by anyone but root, nor may any
 * directory on its path. Returns the reason it is unsafe, or undefined when it is safe. */
export function scriptInsecurity(path: string): string | undefined {
  if (!isAbsolute(path)) return `'${path}' is not an absolute path`;
  let p = path;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch {
      return `'${p}' does not exist`;
    }
    if (st.uid !== 0) return `'${p}' is not owned by root`;
    // Writable by a group other than root's, or by anyone, lets another user replace it (keepalived's
    // check_security); a sticky directory (/tmp) does not.
    const writable = (st.gid !== 0 && (st.mode & 0o020) !== 0) || (st.mode & 0o002) !== 0;
    if (writable && !(st.isDirectory() && (st.mode & 0o1000) !== 0)) {
      return `'${p}' is writable by a non-root user`;
    }
    if (p === '/') return undefined;
    p = dirname(p);
  }
}
