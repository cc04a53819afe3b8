// Which configuration errors refuse a SIGHUP reload. keepalived skips a line it cannot use (a VIP of the
// other family, say) and runs on, and so does our start; refusing a reload for such an error would refuse
// every reload of that file. So only errors the running configuration did not already have refuse it: a
// broken edit keeps what runs, an old known problem does not block new changes.
import type { Diagnostic } from '../../config/types.js';

const errorKey = (d: Diagnostic): string => `${d.keyword ?? ''}: ${d.message}`;

export class ReloadGuard {
  /** The errors (without file:line, which an edit above them moves) of the configuration running now. */
  private running = new Set<string>();

  /** Records the configuration now running: at start, and after a reload was accepted. */
  accept(diagnostics: readonly Diagnostic[]): void {
    this.running = new Set(diagnostics.filter((d) => d.severity === 'error').map(errorKey));
  }

  /** The errors of a candidate configuration that the running one did not have. */
  newErrors(diagnostics: readonly Diagnostic[]): Diagnostic[] {
    return diagnostics.filter((d) => d.severity === 'error' && !this.running.has(errorKey(d)));
  }
}
