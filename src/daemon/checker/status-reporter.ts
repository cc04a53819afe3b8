// The checker side of the status listener (status_http): the VRRP child serves /status, so this child
// sends it, through the supervisor, a report of every real server's health and each checker's last result
// (a bounded message, checker-status.ts), soon after a change and every few seconds for fresh probe
// results; and one event per real server verdict, with the checker result that decided it. Only runs
// when the configuration has a status_http block.
import { buildCheckerReport, type CheckerStatus } from '../../api/checker-status.js';
import type { StatusEventBody } from '../../api/events.js';
import type { VirtualServer } from '../../config/model/lvs/types.js';
import type { CheckerSpec } from '../../check/schedule/spec.js';
import { realServerId, virtualServerLabel } from '../../check/schedule/from-model.js';
import type { CheckRunner } from './check-runner.js';

/** A change is reported after this long, so that a burst of verdicts makes one message. */
const CHANGE_DELAY_MS = 200;
/** Probe results refresh /status at least this often. */
const REFRESH_MS = 5000;

export type CheckerStatusMessage =
  | { type: 'checker-report'; report: ReturnType<typeof buildCheckerReport> }
  | { type: 'checker-event'; event: Extract<StatusEventBody, { type: 'checker' }> };

export class CheckerStatusReporter {
  private changeTimer: NodeJS.Timeout | undefined;
  private readonly refresh: NodeJS.Timeout;
  private readonly state = new Map<string, { up: boolean; weight: number }>();
  private readonly checkersOf = new Map<string, CheckerSpec[]>();
  private readonly names = new Map<string, { virtualServer: string; realServer: string }>();

  constructor(
    private readonly virtualServers: readonly VirtualServer[],
    checkers: readonly CheckerSpec[],
    private readonly runner: () => CheckRunner | undefined,
    private readonly send: (m: CheckerStatusMessage) => void,
  ) {
    for (const c of checkers) this.checkersOf.set(c.server, [...(this.checkersOf.get(c.server) ?? []), c]);
    for (const vs of virtualServers)
      for (const rs of vs.realServers) {
        const port = rs.port ?? (vs.key.kind === 'address' ? (vs.key.port ?? 0) : 0);
        const address = rs.address.includes(':') ? `[${rs.address}]` : rs.address;
        this.names.set(realServerId(vs, rs), {
          virtualServer: virtualServerLabel(vs),
          realServer: `${address}:${port}`,
        });
      }
    this.refresh = setInterval(() => this.report(), REFRESH_MS);
    this.refresh.unref();
  }

  /** A real server's new verdict (the scheduler's server-state action). */
  verdict(server: string, up: boolean, weight: number): void {
    const before = this.state.get(server);
    this.state.set(server, { up, weight });
    if (before !== undefined && before.up === up && before.weight === weight) return;
    // a server's first verdict is only news when it is not the pool's starting assumption (up)
    if (before === undefined && up) {
      this.changed();
      return;
    }
    const names = this.names.get(server) ?? { virtualServer: '', realServer: server };
    this.send({
      type: 'checker-event',
      event: { type: 'checker', ...names, up, weight, reason: this.reason(server, up) },
    });
    this.changed();
  }

  changed(): void {
    if (this.changeTimer !== undefined) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      this.report();
    }, CHANGE_DELAY_MS);
  }

  report(): void {
    const runner = this.runner();
    const verdicts = new Map((runner?.snapshot() ?? []).map((c) => [c.id, c.up]));
    const report = buildCheckerReport(
      this.virtualServers,
      {
        server: (id) => this.state.get(id),
        checkers: (id) =>
          (this.checkersOf.get(id) ?? []).map((c): CheckerStatus => {
            const last = runner?.lastResults.get(c.id);
            return {
              id: c.id,
              kind: c.options.kind,
              up: verdicts.get(c.id) ?? false,
              ...(last !== undefined
                ? {
                    last: {
                      ok: last.ok,
                      detail: last.detail,
                      durationMs: Math.round(last.durationMs * 1000) / 1000,
                      at: new Date(last.finishedAt).toISOString(),
                    },
                  }
                : {}),
            };
          }),
      },
      new Date().toISOString(),
    );
    this.send({ type: 'checker-report', report });
  }

  /** The checker result behind a verdict: the latest result of the server's checkers that agrees with it. */
  private reason(server: string, up: boolean): string {
    const runner = this.runner();
    let best: { at: number; text: string } | undefined;
    for (const c of this.checkersOf.get(server) ?? []) {
      const r = runner?.lastResults.get(c.id);
      if (r === undefined || r.ok !== up) continue;
      if (best === undefined || r.finishedAt > best.at)
        best = { at: r.finishedAt, text: `${c.options.kind}: ${r.detail}` };
    }
    return best?.text ?? (up ? 'up' : 'down');
  }

  close(): void {
    clearInterval(this.refresh);
    clearTimeout(this.changeTimer);
  }
}
