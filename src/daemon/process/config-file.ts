// The configuration file as every daemon process reads it (from disk, with -i and -e), its diagnostics in
// the log, and the one reload rule. Which configuration errors refuse a SIGHUP reload: keepalived skips a
// line it cannot use (a VIP of the other family, say) and runs on, and so does our start; refusing a reload
// for such an error would refuse every reload of that file. So only errors the running configuration did
// not already have refuse it: a broken edit keeps what runs, an old known problem does not block new changes.
import { resolve } from 'node:path';
import {
  type ConfigSnapshot,
  loadModel,
  type Model,
  SnapshotConfigHost,
  snapshotConfig,
} from '../../config/index.js';
import { formatDiagnostic, type Diagnostic } from '../../config/types.js';
import { userFacts } from '../../system/users.js';
import { inheritedConfigSnapshot } from './config-snapshot.js';
import { FsConfigHost } from './fs-config-host.js';
import type { Logger } from './log.js';
import type { DaemonOptions } from './options.js';

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

type ReadOptions = Pick<DaemonOptions, 'configFile' | 'configId' | 'allConfig'>;

/** What reading the configuration file the options name takes from the files (the parent's copy). */
export function snapshotConfigFile(options: ReadOptions): ConfigSnapshot {
  return snapshotConfig(resolve(options.configFile), new FsConfigHost(), { configId: options.configId });
}

/** Reads the configuration file the options name (`-f`, `-i`, `-e`): from `snapshot` when given (the
 * parent's copy, config-snapshot.ts), else from the files. */
export function readConfigFile(
  options: ReadOptions,
  snapshot?: ConfigSnapshot,
): {
  model: Model;
  diagnostics: Diagnostic[];
} {
  const files = new FsConfigHost();
  const host = snapshot === undefined ? files : new SnapshotConfigHost(snapshot, files);
  return loadModel(resolve(options.configFile), host, {
    configId: options.configId,
    allConfig: options.allConfig,
    // keepalived's processes drop a script whose user cannot be set as they read, as -t does
    hostFacts: userFacts(),
  });
}

/** A child's configuration: read at start and on every SIGHUP, each diagnostic logged, reloads judged by
 * the ReloadGuard. */
export class ConfigFile {
  private readonly guard = new ReloadGuard();

  constructor(
    private readonly options: DaemonOptions,
    private readonly log: Logger,
    /** What this process makes of a configuration it will run, on this host (its scripts looked at). */
    private readonly prepare: (model: Model) => Model = (model) => model,
  ) {}

  /** The configuration at start: whatever it says, it runs. */
  load(): Model {
    const { model, diagnostics } = this.read();
    this.guard.accept(diagnostics);
    return this.prepare(model);
  }

  /** The configuration for a reload, or undefined when it has new errors (the running one stays). */
  reload(): Model | undefined {
    const { model, diagnostics } = this.read();
    const errors = this.guard.newErrors(diagnostics);
    if (errors.length > 0) {
      // A broken edit must not take the running cluster down: keep what runs, say where the problem is.
      this.log.error(`configuration has ${errors.length} new error(s); keeping the running configuration`);
      return undefined;
    }
    this.guard.accept(diagnostics);
    this.log.info('Reloading configuration');
    return this.prepare(model);
  }

  private read(): { model: Model; diagnostics: Diagnostic[] } {
    // the parent's copy when it made one: every process reads the same configuration
    const loaded = readConfigFile(this.options, inheritedConfigSnapshot(this.log));
    for (const d of loaded.diagnostics)
      this.log.log(d.severity === 'note' ? 'notice' : d.severity, formatDiagnostic(d));
    return loaded;
  }
}
