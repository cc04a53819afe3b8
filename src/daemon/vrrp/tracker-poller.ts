// Feeds the engine the values of track_file files and the presence of track_process processes, polled
// once a second, reporting only changes (and the first reading). init_file creates or resets a file first.
import { existsSync, writeFileSync } from 'node:fs';
import type { Model } from '../../config/index.js';
import type { EngineEvent } from '../../vrrp/engine/engine.js';
import { countProcesses } from '../../system/processes.js';
import { readTrackFileValue } from '../../system/track-file.js';
import type { ProcessState } from './vrrp-dump.js';

const POLL_MS = 1000;

export class TrackerPoller {
  private readonly fileValues = new Map<string, number>();
  private readonly processUp = new Map<string, boolean>();
  /** How many matching processes the last poll counted (the JSON dump shows it). */
  private readonly processCount = new Map<string, number>();
  /** A change waiting out its fork_delay / terminate_delay. */
  private readonly processPending = new Map<string, { running: boolean; timer: NodeJS.Timeout }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly model: Model,
    private readonly feed: (event: EngineEvent) => void,
  ) {}

  start(): void {
    for (const f of this.model.trackFiles) {
      if (f.file === undefined || f.initFile === undefined) continue;
      if (f.initFile.overwrite || !existsSync(f.file)) {
        try {
          writeFileSync(f.file, `${f.initFile.value}\n`);
        } catch {
          // an unwritable file reads as 0, as keepalived treats it
        }
      }
    }
    if (this.model.trackFiles.length === 0 && this.model.trackProcesses.length === 0) return;
    this.poll();
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const { timer } of this.processPending.values()) clearTimeout(timer);
    this.processPending.clear();
  }

  /** Each track_process's last count, reported quorum and running delay (json_version 2's dump). */
  processStates(): Map<string, ProcessState> {
    const states = new Map<string, ProcessState>();
    for (const p of this.model.trackProcesses) {
      const pending = this.processPending.get(p.name);
      states.set(p.name, {
        current: this.processCount.get(p.name) ?? 0,
        haveQuorum: this.processUp.get(p.name) ?? false,
        forkDelayRunning: pending?.running === true,
        terminateDelayRunning: pending?.running === false,
      });
    }
    return states;
  }

  private poll(): void {
    for (const f of this.model.trackFiles) {
      if (f.file === undefined) continue;
      const value = readTrackFileValue(f.file);
      if (this.fileValues.get(f.name) !== value) {
        this.fileValues.set(f.name, value);
        this.feed({ type: 'file-value', name: f.name, value });
      }
    }
    for (const p of this.model.trackProcesses) {
      const [name, ...params] = p.process;
      if (name === undefined) continue;
      const count = countProcesses({
        process: name,
        fullCommand: p.fullCommand,
        ...(params.length > 0 ? { parameters: params.join(' '), paramMatch: p.paramMatch ?? 'exact' } : {}),
      });
      this.processCount.set(p.name, count);
      this.processReading(p, count >= p.quorum && (p.quorumMax === undefined || count <= p.quorumMax));
    }
  }

  /** keepalived's fork_delay / terminate_delay: a quorum gained (lost) is reported once it has held that
   * long; going back before then cancels it, and nothing is reported. The first reading is at once. */
  private processReading(p: Model['trackProcesses'][number], running: boolean): void {
    const pending = this.processPending.get(p.name);
    if (pending !== undefined) {
      if (pending.running === running) return;
      clearTimeout(pending.timer);
      this.processPending.delete(p.name);
    }
    const reported = this.processUp.get(p.name);
    if (reported === running) return;
    const delayS = reported === undefined ? 0 : running ? p.forkDelay : p.terminateDelay;
    if (delayS <= 0) {
      this.report(p.name, running);
      return;
    }
    const timer = setTimeout(() => {
      this.processPending.delete(p.name);
      this.report(p.name, running);
    }, delayS * 1000);
    this.processPending.set(p.name, { running, timer });
  }

  private report(name: string, running: boolean): void {
    this.processUp.set(name, running);
    this.feed({ type: 'process', name, running });
  }
}
