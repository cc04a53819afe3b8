// BFD_CHECK in the checker child: the session states the BFD child reports (through the supervisor),
// a probe that answers from them, and a nudge so that a session's change is judged at once, not at the
// checker's next delay_loop (keepalived's BFD checker acts on the event itself).
import type { Probe } from '../../check/probes/index.js';
import type { CheckerSpec, ProbeResult } from '../../check/schedule/spec.js';

export class BfdCheckStates {
  private readonly up = new Map<string, boolean>();
  /** Checker ids by session name. */
  private watchers = new Map<string, string[]>();

  /** The BFD_CHECK checkers of the current plan. */
  watch(checkers: readonly CheckerSpec[]): void {
    this.watchers = new Map();
    for (const c of checkers) {
      if (c.options.kind !== 'BFD_CHECK') continue;
      const list = this.watchers.get(c.options.session) ?? [];
      list.push(c.id);
      this.watchers.set(c.options.session, list);
    }
  }

  /** Records a report; returns the checkers to probe now. */
  set(session: string, up: boolean): string[] {
    const before = this.up.get(session);
    this.up.set(session, up);
    return before === up ? [] : (this.watchers.get(session) ?? []);
  }

  readonly probe: Probe = (spec): Promise<ProbeResult> => {
    if (spec.options.kind !== 'BFD_CHECK') return Promise.resolve({ ok: false, detail: 'not a BFD_CHECK' });
    const session = spec.options.session;
    const up = this.up.get(session);
    return Promise.resolve(
      up === true
        ? { ok: true, detail: `BFD ${session} is up` }
        : {
            ok: false,
            detail: up === undefined ? `no state yet for BFD ${session}` : `BFD ${session} is down`,
          },
    );
  };
}
