// vrrp_script: the engine's run-script action, run as keepalived runs it (as `user USER [GROUP]` when
// given, killed at its timeout), its exit status fed back as a script-result event.
import type { EngineEvent } from '../../vrrp/engine/events.js';
import type { ScriptSpec } from '../../vrrp/engine/spec.js';
import type { Notifier } from '../process/notifier.js';

export function runTrackScript(
  script: ScriptSpec | undefined,
  name: string,
  timeoutMs: number,
  notifier: Notifier,
  /** Feeds the result (not called once the daemon is stopping). */
  feed: (event: EngineEvent) => void,
): void {
  if (script?.command === undefined) {
    feed({ type: 'script-result', name, ok: false });
    return;
  }
  // `user USER [[:]GROUP]` (the config layer removed the script if they do not exist)
  const [userName, group] = script.user?.split(/\s+/) ?? [];
  const user = userName !== undefined ? notifier.lookupUser(userName, group) : undefined;
  void notifier.run(script.command, [], timeoutMs, user).then((r) => {
    feed({
      type: 'script-result',
      name,
      ok: r.code === 0,
      ...(r.code !== undefined ? { exitStatus: r.code } : {}),
    });
  });
}
