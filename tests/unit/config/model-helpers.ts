// Shared helpers of the model tests: build a model from text, and list its diagnostics as printed.
import { buildModel, type Model } from '../../../src/config/model/index.js';
import type { BuildContext } from '../../../src/config/model/shared/values.js';
import { Diagnostics, formatDiagnostic, type HostFacts } from '../../../src/config/types.js';
import { miniTree } from './mini-tree.js';

export function build(text: string, hostFacts?: HostFacts): { model: Model; messages: string[] } {
  const ctx: BuildContext = { diags: new Diagnostics(), hostFacts };
  const model = buildModel(miniTree(text), ctx);
  return { model, messages: ctx.diags.items.map(formatDiagnostic) };
}

/** Removes every `location` (and LVS `at`), and properties holding undefined, so that models built
 * from different texts (or by hand) compare equal. */
export function stripLocations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripLocations);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      if (k !== 'location' && k !== 'at' && !k.endsWith('Location') && v !== undefined)
        out[k] = stripLocations(v);
    return out;
  }
  return value;
}
