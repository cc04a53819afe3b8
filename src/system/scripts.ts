// Running the external programs a config names (notify scripts, vrrp_script, MISC_CHECK): split the
// command as keepalived does, run it without a shell in its own process group, never block the event
// loop, and kill the whole group when it outlives its timeout.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { splitQuotedEscaped } from '../config/lexical.js';

export interface ScriptResult {
  /** Exit status, or undefined when the script was killed by a signal or could not start. */
  code: number | undefined;
  signal: NodeJS.Signals | undefined;
  timedOut: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES...). */
  error?: string;
}

export interface RunOptions {
  timeoutMs?: number;
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
}

/** The words of a script's command line, split as keepalived splits them (quotes group, backslash
 * escapes); undefined when the quoting is broken. */
export function commandWords(command: string): string[] | undefined {
  const r = splitQuotedEscaped(command);
  return 'words' in r ? r.words : undefined;
}

/** Runs `argv` and resolves when it ends or is killed; never rejects. */
export function runScript(argv: readonly string[], opts: RunOptions = {}): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (file === undefined) {
      resolve({ code: undefined, signal: undefined, timedOut: false, error: 'empty command' });
      return;
    }
    let timedOut = false;
    let settled = false;
    const finish = (r: ScriptResult): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      if (killer !== undefined) clearTimeout(killer);
      resolve(r);
    };
    const child = spawn(file, args, {
      stdio: 'ignore',
      detached: true, // its own process group, so a timeout kills the script's children too
      uid: opts.uid,
      gid: opts.gid,
      env: opts.env ?? process.env,
    });
    let timer: NodeJS.Timeout | undefined;
    let killer: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        // keepalived follows a timed-out script's SIGTERM with SIGKILL if it lingers.
        killer = setTimeout(() => killGroup('SIGKILL'), 1000);
      }, opts.timeoutMs);
    }
    child.on('error', (err: NodeJS.ErrnoException) =>
      finish({ code: undefined, signal: undefined, timedOut: false, error: err.code ?? err.message }),
    );
    child.on('exit', (code, signal) =>
      finish({ code: code ?? undefined, signal: signal ?? undefined, timedOut }),
    );
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
    // Group- or world-writable lets another user replace it; a sticky directory (/tmp) does not.
    if ((st.mode & 0o022) !== 0 && !(st.isDirectory() && (st.mode & 0o1000) !== 0)) {
      return `'${p}' is writable by a non-root user`;
    }
    if (p === '/') return undefined;
    p = dirname(p);
  }
}
