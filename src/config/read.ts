// The configuration language end to end: files -> logical lines -> keyword tree.
import type { ConfigHost, ConfigNode, Diagnostics } from './types.js';
import { preprocess, type PreprocessOptions } from './preprocess.js';
import { parseBlocks } from './blocks.js';

/** Reads `mainFile` (and its includes) through `host` into the keyword tree, reporting into `diags`. */
export function readConfig(
  mainFile: string,
  host: ConfigHost,
  opts: PreprocessOptions,
  diags: Diagnostics,
): ConfigNode[] {
  return parseBlocks(preprocess(mainFile, host, opts, diags), diags);
}
