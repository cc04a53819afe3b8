// Runs checkers-tls.inner.ts inside a network namespace created for the run and deleted afterwards.
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runInnerSuite } from '../helpers/inner-suite.js';
import { NetnsLab, netnsSkipReason } from '../helpers/netns.js';

const inner = [fileURLToPath(new URL('./checkers-tls.inner.js', import.meta.url))];

void test(
  'SSL_GET tls_compliant against a TLS server, inside a network namespace',
  { timeout: 60_000 },
  async (t) => {
    const cannot = netnsSkipReason();
    if (cannot !== undefined) return runInnerSuite(t, { skipped: cannot }, inner);
    const lab = new NetnsLab('tls');
    try {
      await runInnerSuite(t, { ns: lab.namespace('servers') }, inner);
    } finally {
      lab.cleanup();
    }
  },
);
