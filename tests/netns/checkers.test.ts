// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// Runs the health-checker tests (checkers-*.inner.ts) inside a network namespace created for the run and
// deleted afterwards, so the real servers they start (nginx, dnsmasq, smtpd) and the nftables rules
// they add never touch the host's network. Each inner test is reported here as a subtest.
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runInnerSuite } from '../helpers/inner-suite.js';
import { NetnsLab, netnsSkipReason } from '../helpers/netns.js';

const inner = ['checkers-net.inner.js', 'checkers-http.inner.js'].map((f) =>
  fileURLToPath(new URL(`./${f}`, import.meta.url)),
);

void test(
  'health checkers against real servers, inside a network namespace',
  { timeout: 180_000 },
  async (t) => {
    const cannot = netnsSkipReason();
    if (cannot !== undefined) return runInnerSuite(t, { skipped: cannot }, inner);
    const lab = new NetnsLab('chk');
    try {
      await runInnerSuite(t, { ns: lab.namespace('servers') }, inner);
    } finally {
      lab.cleanup();
    }
  },
);
