// Test files whose whole process must live inside a network namespace (*.inner.ts: they bind servers,
// add nftables rules, open raw sockets) are run by a wrapper test with `ip netns exec NS node --test`.
// Each inner test is reported to the outer run as a subtest of the wrapper with its own outcome and
// skip reason, so the suite's totals count every one of them and hide none.
import type { TestContext } from 'node:test';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPORTER = fileURLToPath(new URL('../../../scripts/test-results-reporter.js', import.meta.url));

interface InnerResult {
  file: string;
  name: string;
  outcome: 'pass' | 'fail' | 'skip' | 'todo' | 'cancelled' | 'hidden-skip';
  reason?: string;
  error?: string;
}

/**
 * Runs `files` with node --test inside namespace `ns` and mirrors each of their tests as a subtest of `t`.
 * Fails `t` when the inner run reports nothing or exits abnormally without a failing test to show for it.
 * With `{ skipped: reason }` instead of a namespace (the suite cannot make one here), the files run where
 * we are: outside a suite namespace they register every test as skipped and run nothing (their gate,
 * tests/helpers/namespace-guard.ts), so the skips are counted with `reason`.
 */
export async function runInnerSuite(
  t: TestContext,
  where: { ns: string } | { skipped: string },
  files: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT; // a fresh run: node:test refuses nested runs that inherit its context
  const nodeArgs = ['--test', `--test-reporter=${REPORTER}`, ...files];
  const ns = 'ns' in where ? where.ns : 'this namespace';
  if ('skipped' in where) childEnv.KTS_INNER_SKIP_REASON = where.skipped;
  const child =
    'ns' in where
      ? spawn('ip', ['netns', 'exec', where.ns, process.execPath, ...nodeArgs], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: childEnv,
        })
      : spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const results: InnerResult[] = [];
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const record = JSON.parse(line) as InnerResult | { timing: number };
      if ('timing' in record) continue; // the outer run times the wrapper test itself
      results.push(record);
    } catch {
      // a test's own stdout that happens to start with '{'
    }
  }
  if (results.length === 0)
    throw new Error(`the inner suite in ${ns} reported no test (exit ${code}):\n${err}`);
  for (const r of results) {
    const name = `${r.name}`;
    if (r.outcome === 'skip') {
      await t.test(name, { skip: r.reason ?? true }, () => undefined);
    } else if (r.outcome === 'todo') {
      await t.test(name, { todo: true }, () => undefined);
    } else {
      await t.test(name, () => {
        if (r.outcome === 'hidden-skip')
          throw new Error(
            `a skipped describe() inside ${ns} hides its tests (${r.reason}): gate them one by one`,
          );
        if (r.outcome !== 'pass') throw new Error(`${r.outcome} inside ${ns}: ${r.error ?? ''}`);
      });
    }
  }
  const failed = results.some((r) => ['fail', 'cancelled', 'hidden-skip'].includes(r.outcome));
  if (code !== 0 && !failed) throw new Error(`the inner suite in ${ns} exited ${code}:\n${err}`);
}
