// The configuration language end to end: files -> logical lines -> keyword tree.
import { type ConfigHost, type ConfigNode, Diagnostics } from './types.js';
import { preprocessEach, type PreprocessOptions } from './preprocess.js';
import { BlockParser } from './blocks.js';

/** Reads `mainFile` (and its includes) through `host` into the keyword tree, reporting into `diags`. */
export function readConfig(
  mainFile: string,
  host: ConfigHost,
  opts: PreprocessOptions,
  diags: Diagnostics,
): ConfigNode[] {
  // Each logical line goes to the block parser as soon as it is made, rather than all lines being
  // collected first: for a large config that list was a large share of the memory and GC time.
  // The parser's diagnostics are held back so that they still follow all of the preprocessor's.
  const blockDiags = new Diagnostics();
  const parser = new BlockParser(blockDiags);
  preprocessEach(mainFile, host, opts, diags, (line) => parser.addLine(line));
  const nodes = parser.finish();
  for (const d of blockDiags.items) diags.items.push(d);
  return nodes;
}
