// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// Runs the TCP prober's kernel tests (tcp-prober.inner.ts) inside two network namespaces created for the
// run and deleted afterwards: the probes' own namespace (loopback, nftables drops) and a peer joined to
// it by a veth pair with IPv6 link-local addresses only, for bind_if / scope tests. Each inner test is
// reported here as a subtest.
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runInnerSuite } from '../helpers/inner-suite.js';
import { NetnsLab, netnsSkipReason, run } from '../helpers/netns.js';

const inner = fileURLToPath(new URL('./tcp-prober.inner.js', import.meta.url));

void test('TCP prober against the kernel, inside network namespaces', { timeout: 120_000 }, async (t) => {
  const cannot = netnsSkipReason();
  if (cannot !== undefined) return runInnerSuite(t, { skipped: cannot }, [inner]);
  const lab = new NetnsLab('tcpp');
  try {
    const ns = lab.namespace('probes');
    const peer = lab.namespace('peer');
    run(['ip', '-n', ns, 'link', 'add', 'ktp0', 'type', 'veth', 'peer', 'name', 'ktp1', 'netns', peer]);
    run(['ip', '-n', ns, 'addr', 'add', 'fe80::1/64', 'dev', 'ktp0', 'nodad']);
    run(['ip', '-n', peer, 'addr', 'add', 'fe80::2/64', 'dev', 'ktp1', 'nodad']);
    run(['ip', '-n', ns, 'link', 'set', 'ktp0', 'up']);
    run(['ip', '-n', peer, 'link', 'set', 'ktp1', 'up']);
    await runInnerSuite(t, { ns }, [inner], { KTS_PEER_NETNS: peer });
  } finally {
    lab.cleanup();
  }
});
