// MISC_CHECK: run misc_path (through /bin/sh -c, so that the line may use the shell) with the daemon's one
// script runner (system/scripts.ts): its own process group, SIGTERM at misc_timeout and SIGKILL 2 s later
// if it lingers, as keepalived escalates; a script killed that way counts as timed out. Exit 0 is healthy,
// with misc_dynamic 2..255 is healthy too (the scheduler turns the code into a weight), anything else fails.
import type { CheckerSpec, MiscCheckOptions, ProbeResult } from '../schedule/spec.js';
import { runScript } from '../../system/scripts.js';

export async function miscProbe(spec: CheckerSpec, signal?: AbortSignal): Promise<ProbeResult> {
  const options = spec.options as MiscCheckOptions;
  const r = await runScript(['/bin/sh', '-c', options.command], {
    timeoutMs: Math.max(1, options.timeoutMs),
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
    ...(options.groups !== undefined ? { groups: options.groups } : {}),
    ...(signal !== undefined ? { signal } : {}),
  });
  if (r.error !== undefined) return { ok: false, detail: `cannot run ${options.command}: ${r.error}` };
  if (r.aborted) return { ok: false, detail: 'aborted' };
  if (r.stuck) return { ok: false, detail: 'timed out (killed)' };
  if (r.timedOut) return { ok: false, detail: `timed out after ${options.timeoutMs} ms` };
  if (r.code === undefined) return { ok: false, detail: `killed by ${r.signal ?? 'a signal'}` };
  const healthy = r.code === 0 || (options.dynamic && r.code >= 2 && r.code <= 255);
  return { ok: healthy, detail: `exited with status ${r.code}`, exitCode: r.code };
}
