// MISC_CHECK: run misc_path in its own process group; exit 0 is healthy, with misc_dynamic 2..255 is
// healthy too (the scheduler turns the code into a weight), anything else fails. Past misc_timeout the
// whole group gets SIGTERM, and SIGKILL 2 s later if it lingers (keepalived's escalation); a script
// killed that way counts as timed out.
import { spawn } from 'node:child_process';
import type { CheckerSpec, MiscCheckOptions, ProbeResult } from '../schedule/spec.js';
import { errorText, watchAbort } from './common.js';

const KILL_GRACE_MS = 2_000;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function miscProbe(spec: CheckerSpec, signal?: AbortSignal): Promise<ProbeResult> {
  const options = spec.options as MiscCheckOptions;
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    let timedOut = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let unwatch: () => void = () => undefined;
    const settle = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      unwatch();
      resolve(result);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn('/bin/sh', ['-c', options.command], {
        detached: true, // own process group, so the timeout can kill the script's children too
        stdio: 'ignore',
        uid: options.uid,
        gid: options.gid,
      });
    } catch (e) {
      resolve({ ok: false, detail: `cannot run ${options.command}: ${errorText(e)}` });
      return;
    }
    const pid = child.pid;
    const terminate = (): void => {
      if (pid === undefined) return;
      killGroup(pid, 'SIGTERM');
      graceTimer = setTimeout(() => {
        killGroup(pid, 'SIGKILL');
        // Never wait on an unkillable child: the verdict is already known.
        graceTimer = setTimeout(() => settle({ ok: false, detail: 'timed out (killed)' }), 100);
      }, KILL_GRACE_MS);
    };
    const timer = setTimeout(
      () => {
        timedOut = true;
        terminate();
      },
      Math.max(1, options.timeoutMs),
    );
    const onAbort = (): void => {
      terminate();
      settle({ ok: false, detail: 'aborted' });
    };
    if (signal?.aborted) onAbort();
    else if (signal !== undefined) unwatch = watchAbort(signal, onAbort);

    child.once('error', (e) =>
      settle({ ok: false, detail: `cannot run ${options.command}: ${errorText(e)}` }),
    );
    child.once('exit', (code, sig) => {
      // Leftover grandchildren of a finished script die with the group, as keepalived does on SIGTERM.
      if (pid !== undefined && sig === 'SIGTERM') killGroup(pid, 'SIGKILL');
      if (timedOut) return settle({ ok: false, detail: `timed out after ${options.timeoutMs} ms` });
      if (code === null) return settle({ ok: false, detail: `killed by ${sig ?? 'a signal'}` });
      const healthy = code === 0 || (options.dynamic && code >= 2 && code <= 255);
      settle({ ok: healthy, detail: `exited with status ${code}`, exitCode: code });
    });
  });
}
