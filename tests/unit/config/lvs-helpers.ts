// Builds LVS models from text through the real reader (preprocessor + block parser) for the LVS tests.
import { loadModel, type Model } from '../../../src/config/index.js';
import { formatDiagnostic } from '../../../src/config/types.js';
import { MemoryHost } from './memory-host.js';

export const CONF = '/k.conf';

/** keepalived's reports of a defaulted scheduler or forwarding method: most test configs leave both out on
 * purpose, so these are dropped unless asked for (real-world-verdicts.test.ts checks them). */
const DEFAULTED = /: no (scheduler|forwarding method) set, setting default /;

export function lvs(text: string, keepDefaulted = false): { model: Model; messages: string[] } {
  const { model, diagnostics } = loadModel(CONF, new MemoryHost({ [CONF]: text }), { configId: 'node1' });
  const messages = diagnostics.map(formatDiagnostic);
  return { model, messages: keepDefaulted ? messages : messages.filter((m) => !DEFAULTED.test(m)) };
}
