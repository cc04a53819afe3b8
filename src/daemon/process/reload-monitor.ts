// reload_time_file: the parent watches that file and reloads at the time written in it, as keepalived
// 2.4.3's reload_monitor.c does: the file is read whenever it is written, created or moved in; deleting it
// (or writing nothing, or a bad time) cancels the reload scheduled. When the time comes the file is removed
// (kept with reload_repeat, unless it named a date) and the parent reloads as on SIGHUP.
import { type FSWatcher, readFileSync, unlinkSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from './log.js';
import { formatLocalTime, parseReloadTime } from './reload-time.js';

/** Writes come in several events: read once they settled. */
const SETTLE_MS = 50;

export class ReloadMonitor {
  private watcher: FSWatcher | undefined;
  private settle: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scheduled: { timeMs: number; dateSpecified: boolean } | undefined;

  constructor(
    private readonly file: string,
    private readonly repeat: boolean,
    private readonly log: Logger,
    private readonly reload: () => void,
  ) {}

  start(): void {
    const dir = this.file.includes('/') ? dirname(this.file) : '/';
    const name = basename(this.file);
    try {
      this.watcher = watch(dir, { persistent: false }, (_event, changed) => {
        if (changed !== null && changed.toString() !== name) return;
        clearTimeout(this.settle);
        this.settle = setTimeout(() => this.readFile(), SETTLE_MS);
        this.settle.unref();
      });
      this.watcher.on('error', () => {
        this.cancel(true);
        this.log.info('Directory of reload timer file has disappeared. Monitoring stopped.');
        this.stop();
      });
    } catch {
      this.log.info(`Unable to monitor reload timer file directory ${dir}- ignoring`);
      return;
    }
    this.readFile();
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    clearTimeout(this.settle);
    this.cancel(false);
  }

  private cancel(log: boolean): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (log && this.scheduled !== undefined)
      this.log.info(`Cancelling reload scheduled for ${formatLocalTime(this.scheduled.timeMs)}`);
    this.scheduled = undefined;
  }

  private readFile(): void {
    let line: string;
    try {
      line = (readFileSync(this.file, 'utf8').split('\n')[0] ?? '').slice(0, 20);
    } catch {
      this.cancel(true);
      return;
    }
    if (line === '') {
      this.cancel(true);
      return;
    }
    const t = parseReloadTime(line, Date.now());
    if (t.kind !== 'at') {
      if (t.kind === 'invalid') {
        this.log.info(t.message);
        this.log.info(`Invalid reload time '${line}' specified - ignoring`);
      } else {
        this.log.info(`Reload time ${line} is in the past - ignoring`);
        this.log.info('Reload date/time is in the past - ignoring');
      }
      this.cancel(true);
      return;
    }
    if (this.scheduled?.timeMs === t.timeMs) return;
    const previous = this.scheduled;
    if (previous !== undefined && this.timer !== undefined)
      this.log.info(
        `Reload time updated from ${formatLocalTime(previous.timeMs)} to ${formatLocalTime(t.timeMs)}`,
      );
    else this.log.info(`Scheduling reload for ${formatLocalTime(t.timeMs)}`);
    clearTimeout(this.timer);
    this.scheduled = { timeMs: t.timeMs, dateSpecified: t.dateSpecified };
    // setTimeout takes at most 2^31-1 ms (24.8 days): a later time is re-armed from there.
    const arm = (): void => {
      const left = t.timeMs - Date.now();
      this.timer = setTimeout(
        left > 0x7fffffff ? arm : () => this.fire(),
        Math.min(Math.max(left, 0), 0x7fffffff),
      );
      this.timer.unref();
    };
    arm();
  }

  private fire(): void {
    const dated = this.scheduled?.dateSpecified === true;
    this.timer = undefined;
    this.scheduled = undefined;
    // keepalived stops watching first: the removal below is not a cancellation
    this.watcher?.close();
    this.watcher = undefined;
    if (!this.repeat || dated) {
      try {
        unlinkSync(this.file);
      } catch {
        /* gone already */
      }
    }
    this.reload();
  }
}
