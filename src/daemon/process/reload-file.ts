// reload_file: a file that exists while a reload reads the configuration, so that a program changing the
// files can wait for it to go (keepalived 2.4 creates it while its parent reads and copies them, and while
// reload_check_config's check runs). Our children each read the files themselves after the SIGHUP, so the
// file stays until every child that was sent the signal says it has reloaded (or exited), with a bound.
import { chmodSync, closeSync, openSync, unlinkSync } from 'node:fs';
import type { Logger } from './log.js';

/** keepalived's default name: /run/keepalived.reload, in /run/keepalived/ with use_pid_dir or an instance. */
export function defaultReloadFile(instance: string | undefined, usePidDir: boolean): string {
  if (instance !== undefined) return `/run/keepalived/keepalived_${instance}.reload`;
  return usePidDir ? '/run/keepalived/keepalived.reload' : '/run/keepalived.reload';
}

/** A child that never answers does not keep the file for ever. */
const LONGEST_RELOAD_MS = 120_000;

export class ReloadFile {
  /** SIGHUPs each child was sent and has not answered. */
  private readonly pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {}

  /** Created (rw-r--r-- whatever the umask, as keepalived makes it) before `children` are signalled. */
  begin(children: readonly string[]): void {
    this.create();
    for (const c of children) this.pending.set(c, (this.pending.get(c) ?? 0) + 1);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.end(), LONGEST_RELOAD_MS);
    this.timer.unref();
    if (children.length === 0) this.end();
  }

  /** Created for reload_check_config's check; removed after it unless a reload follows. */
  create(): void {
    try {
      closeSync(openSync(this.path, 'w', 0o644));
      chmodSync(this.path, 0o644);
    } catch (e) {
      this.log.info(`Failed to create reload file (${this.path}) - ${(e as Error).message}`);
    }
  }

  /** A child finished reloading (or is gone: `all`). */
  answered(child: string, all = false): void {
    const left = all ? 0 : Math.max(0, (this.pending.get(child) ?? 0) - 1);
    if (left === 0) this.pending.delete(child);
    else this.pending.set(child, left);
    if (this.pending.size === 0) this.end();
  }

  /** Whether a reload is still waited for. */
  get waiting(): boolean {
    return this.pending.size > 0;
  }

  end(): void {
    this.pending.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      unlinkSync(this.path);
    } catch {
      // not there
    }
  }
}

/** The message a child sends its parent once a SIGHUP's reload is done. */
export const RELOADED_MESSAGE = 'reloaded';

export function isReloadedMessage(m: unknown): boolean {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === RELOADED_MESSAGE;
}
