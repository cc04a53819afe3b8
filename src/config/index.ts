// The config layer's front door: file name in, typed model and every diagnostic (file:line) out.
import { buildModel, type Model } from './model/index.js';
import type { PreprocessOptions } from './preprocess.js';
import { readConfig } from './read.js';
import { type ConfigSnapshot, RecordingConfigHost } from './snapshot-host.js';
import { type ConfigHost, type Diagnostic, Diagnostics, type HostFacts } from './types.js';

export type { Model } from './model/index.js';
export { buildModel } from './model/index.js';
export { printModel } from './model/print.js';
export { type ConfigSnapshot, isConfigSnapshot, SnapshotConfigHost } from './snapshot-host.js';

export interface LoadOptions extends PreprocessOptions {
  /** Facts about this host (interfaces present) for the checks that need them; omitted: skipped. */
  hostFacts?: HostFacts;
  /** keepalived's --all; the model always holds every subsystem, so it changes nothing here. */
  allConfig?: boolean;
}

/** Reads `mainFile` (with includes, parameters, conditionals, ~SEQ) through `host` and builds the model. */
export function loadModel(
  mainFile: string,
  host: ConfigHost,
  opts: LoadOptions = {},
): { model: Model; diagnostics: Diagnostic[] } {
  const diags = new Diagnostics();
  const nodes = readConfig(mainFile, host, opts, diags);
  const model = buildModel(nodes, { diags, hostFacts: opts.hostFacts, files: host });
  return { model, diagnostics: diags.items };
}

/** What reading `mainFile` takes from the files (includes and their globs), for the other processes to
 * read the same configuration (SnapshotConfigHost). Diagnostics are left to the full reads. */
export function snapshotConfig(
  mainFile: string,
  host: ConfigHost,
  opts: PreprocessOptions = {},
): ConfigSnapshot {
  const recorder = new RecordingConfigHost(host);
  readConfig(mainFile, recorder, opts, new Diagnostics());
  return recorder.snapshot();
}
