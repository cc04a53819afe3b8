// Runs the health-checker tests (checkers-*.inner.ts) inside a network namespace created for the run and
// deleted afterwards, so the real servers they start (nginx, dnsmasq, smtpd) and the nftables rules
// they add never touch the host's network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const NETNS = `kts-chk-${process.pid}`;
const inner = ['checkers-net.inner.js', 'checkers-http.inner.js'].map((f) =>
  fileURLToPath(new URL(`./${f}`, import.meta.url)),
);

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for network namespaces';
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'iproute2 absent';
  return undefined;
}

test('health checkers against real servers, inside a network namespace', { timeout: 180_000 }, async (t) => {
  const why = skipReason();
  if (why !== undefined) return t.skip(why);
  const add = spawnSync('ip', ['netns', 'add', NETNS]);
  assert.equal(add.status, 0, add.stderr.toString());
  try {
    assert.equal(spawnSync('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']).status, 0);
    // A fresh test run, not a child of ours: node:test refuses nested runs that inherit its context.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(
      'ip',
      ['netns', 'exec', NETNS, process.execPath, '--test', '--test-reporter=tap', ...inner],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    for (const line of out.split('\n')) {
      if (/^(not ok|# (tests|pass|fail|skipped) )/.test(line.trim())) t.diagnostic(line.trim());
    }
    assert.equal(code, 0, `checker tests failed inside ${NETNS}:\n${out}`);
    const passed = Number(/^# pass (\d+)/m.exec(out)?.[1] ?? 0);
    assert.ok(passed >= 40, `expected the inner suite to run (passed: ${passed})`);
  } finally {
    spawnSync('ip', ['netns', 'del', NETNS]);
  }
});
