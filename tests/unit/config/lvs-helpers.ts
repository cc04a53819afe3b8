// Builds LVS models from text through the real reader (preprocessor + block parser) for the LVS tests.
import { loadModel, type Model } from '../../../src/config/index.js';
import { formatDiagnostic } from '../../../src/config/types.js';
import { MemoryHost } from './memory-host.js';

export const CONF = '/k.conf';

export function lvs(text: string): { model: Model; messages: string[] } {
  const { model, diagnostics } = loadModel(CONF, new MemoryHost({ [CONF]: text }), { configId: 'node1' });
  return { model, messages: diagnostics.map(formatDiagnostic) };
}
