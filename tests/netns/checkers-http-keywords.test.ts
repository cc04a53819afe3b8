// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// Runs the HTTP checker keyword tests (tls_compliant, fast_recovery and keepalived's one-url-per-probe
// rounds) inside a network namespace created for the run and deleted afterwards.
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runInnerSuite } from '../helpers/inner-suite.js';
import { NetnsLab, netnsSkipReason } from '../helpers/netns.js';

const inner = ['checkers-tls.inner.js', 'checkers-http-rounds.inner.js'].map((f) =>
  fileURLToPath(new URL(`./${f}`, import.meta.url)),
);

void test(
  'HTTP_GET / SSL_GET keywords against real servers, inside a network namespace',
  { timeout: 90_000 },
  async (t) => {
    const cannot = netnsSkipReason();
    if (cannot !== undefined) return runInnerSuite(t, { skipped: cannot }, inner);
    const lab = new NetnsLab('httpkw');
    try {
      await runInnerSuite(t, { ns: lab.namespace('servers') }, inner);
    } finally {
      lab.cleanup();
    }
  },
);
