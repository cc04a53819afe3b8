// Runs the TCP prober's kernel tests (tcp-prober.inner.ts) inside two network namespaces created for the
// run and deleted afterwards: the probes' own namespace (loopback, nftables drops) and a peer joined to
// it by a veth pair with IPv6 link-local addresses only, for bind_if / scope tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const NETNS = `kts-tcpp-${process.pid}`;
const PEER = `kts-tcpq-${process.pid}`;
const inner = fileURLToPath(new URL('./tcp-prober.inner.js', import.meta.url));

function ip(...args: string[]): void {
  const r = spawnSync('ip', args);
  assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr.toString()}`);
}

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for network namespaces';
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'iproute2 absent';
  return undefined;
}

test('TCP prober against the kernel, inside network namespaces', { timeout: 120_000 }, async (t) => {
  const why = skipReason();
  if (why !== undefined) return t.skip(why);
  ip('netns', 'add', NETNS);
  try {
    ip('netns', 'add', PEER);
    ip('-n', NETNS, 'link', 'set', 'lo', 'up');
    ip('-n', PEER, 'link', 'set', 'lo', 'up');
    ip('-n', NETNS, 'link', 'add', 'ktp0', 'type', 'veth', 'peer', 'name', 'ktp1', 'netns', PEER);
    ip('-n', NETNS, 'addr', 'add', 'fe80::1/64', 'dev', 'ktp0', 'nodad');
    ip('-n', PEER, 'addr', 'add', 'fe80::2/64', 'dev', 'ktp1', 'nodad');
    ip('-n', NETNS, 'link', 'set', 'ktp0', 'up');
    ip('-n', PEER, 'link', 'set', 'ktp1', 'up');
    const env: NodeJS.ProcessEnv = { ...process.env, KTS_PEER_NETNS: PEER };
    delete env.NODE_TEST_CONTEXT; // a fresh run: node:test refuses nested runs that inherit its context
    const child = spawn(
      'ip',
      ['netns', 'exec', NETNS, process.execPath, '--test', '--test-reporter=tap', inner],
      { stdio: ['ignore', 'pipe', 'pipe'], env },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    for (const line of out.split('\n')) {
      if (/^(not ok|# (tests|pass|fail|skipped) )/.test(line.trim())) t.diagnostic(line.trim());
    }
    assert.equal(code, 0, `TCP prober tests failed inside ${NETNS}:\n${out}`);
    const passed = Number(/^# pass (\d+)/m.exec(out)?.[1] ?? 0);
    assert.ok(passed >= 10, `expected the inner suite to run (passed: ${passed})`);
  } finally {
    spawnSync('ip', ['netns', 'del', PEER]);
    spawnSync('ip', ['netns', 'del', NETNS]);
  }
});
