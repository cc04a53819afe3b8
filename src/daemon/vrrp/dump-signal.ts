// keepalived's DATA, STATS, STATS_CLEAR and JSON signals (and DBus's PrintData / PrintStats): the engine's
// snapshot formatted by vrrp-dump.ts, written where keepalived writes it.
import { writeFileSync } from 'node:fs';
import type { Model } from '../../config/index.js';
import type { EngineSnapshot } from '../../vrrp/engine/engine.js';
import type { VrrpSetup } from '../../vrrp/from-model.js';
import { dumpFile, dumpNaming, tmpFile } from '../process/dump-files.js';
import type { Logger } from '../process/log.js';
import type { DaemonOptions } from '../process/options.js';
import type { TrackerPoller } from './tracker-poller.js';
import { DATA_FILE, JSON_FILE, STATS_FILE, formatData, formatJson, formatStats } from './vrrp-dump.js';

export type DumpKind = 'data' | 'stats' | 'stats-clear' | 'json';

/** What the DATA signal writes (config_save_dir's copies around a reload too). */
export function vrrpDataText(snap: EngineSnapshot, setup: VrrpSetup, model: Model): string {
  const g = model.global;
  return formatData(snap, setup, { routerId: g.routerId, defaultInterface: g.defaultInterface });
}

/** Writes one dump file; the caller clears the counters for 'stats-clear'. */
export function writeVrrpDump(
  kind: DumpKind,
  via: 'signal' | 'dbus',
  snap: EngineSnapshot,
  setup: VrrpSetup,
  model: Model,
  options: DaemonOptions,
  log: Logger,
  live: { processStates?: ReturnType<TrackerPoller['processStates']> } = {},
): void {
  // a DBus request has its own log line
  if (via === 'signal')
    log.info(
      kind === 'data'
        ? `Printing VRRP data for process(${process.pid}) on signal`
        : kind === 'json'
          ? `Printing VRRP as json for process(${process.pid}) on signal`
          : `Printing ${kind === 'stats-clear' ? 'and clearing ' : ''}VRRP stats for process(${process.pid}) on signal`,
    );
  const g = model.global;
  const naming = dumpNaming(options, g);
  const [path, text] =
    kind === 'data'
      ? [dumpFile(DATA_FILE, naming), vrrpDataText(snap, setup, model)]
      : kind === 'json'
        ? [
            tmpFile(JSON_FILE),
            formatJson(snap, setup, {
              version: g.jsonVersion,
              trackProcesses: model.trackProcesses,
              processStates: live.processStates,
            }),
          ]
        : [tmpFile(STATS_FILE), formatStats(snap, setup)];
  try {
    // keepalived creates these 0600 (its umask 0177): they show the configuration.
    writeFileSync(path, text, { mode: 0o600 });
  } catch (e) {
    log.error(`cannot write ${path}: ${(e as Error).message}`);
  }
}
