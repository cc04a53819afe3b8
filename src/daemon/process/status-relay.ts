// The supervisor's part in the status listener: the checker child's report and verdict events go on to the
// VRRP child, which serves /status and /events. The last report is kept, so that a (re)started VRRP child
// asks with `status-sync` and serves real servers at once.
import type { ChildProcess } from 'node:child_process';

function typed(m: unknown, type: string): boolean {
  return typeof m === 'object' && m !== null && (m as Record<string, unknown>).type === type;
}

export class StatusRelay {
  private lastReport: unknown;

  constructor(private readonly vrrpChild: () => ChildProcess | undefined) {}

  /** A message from a child. */
  received(from: 'vrrp' | 'checker' | 'bfd', m: unknown): void {
    if (from === 'checker' && typed(m, 'checker-report')) {
      this.lastReport = m;
      this.deliver(m);
    } else if (from === 'checker' && typed(m, 'checker-event')) this.deliver(m);
    else if (from === 'vrrp' && typed(m, 'status-sync') && this.lastReport !== undefined)
      this.deliver(this.lastReport);
  }

  private deliver(m: unknown): void {
    const child = this.vrrpChild();
    if (child?.connected) child.send(m as object);
  }
}
