// Runs the compiled test suite in tiers. Pure tiers (unit, fixtures, sim) run in parallel; tiers that
// drive the real kernel (netns, interop) run one file at a time where timing matters (takeover bounds,
// advert gaps, pacing), since they share the machine's CPU. Kernel test files that assert what happened
// and not how fast (their first line says `// Test lane: shared`) run two at a time first: each uses
// namespaces, directories and sockets of its own. The oracle tier runs the daemon tests again with
// keepalived 2.2.7 in place of ours (KTS_DAEMON_IMPL=keepalived): what they expect, keepalived must do too.
//
// Every test is counted (scripts/test-results-reporter.js writes one line per test): the closing lines
// say how many ran, passed, failed and were skipped, and why each skip happened. In CI (CI=true) a skip
// for a missing tool or for want of root is a failure: CI installs everything the suite needs.
//
//   node scripts/run-tests.js [TIER...]      tiers: unit, kernel, vm, oracle (default: all)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepStaleNamespaces } from './sweep-test-namespaces.js';

const root = new URL('..', import.meta.url).pathname;
const reporter = join(root, 'scripts', 'test-results-reporter.js');

function testFiles(dir, match = (name) => name.endsWith('.test.js')) {
  const abs = join(root, 'dist', 'tests', dir);
  if (!existsSync(abs)) return [];
  const out = [];
  for (const name of readdirSync(abs).sort()) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(join(dir, name), match));
    else if (match(name)) out.push(p);
  }
  return out;
}

/** Whether a compiled test file starts with the shared-lane marker (tsc keeps comments). */
function sharedLane(path) {
  return /^\/\/ Test lane: shared\b/.test(readFileSync(path, 'utf8').slice(0, 200));
}

/** A kernel tier as two runs: the shared-lane files two at a time, then the rest one at a time. */
function kernelLanes(name, files, extra = {}) {
  return [
    { name, lane: 'shared', files: () => files().filter(sharedLane), concurrency: 2, ...extra },
    { name, lane: 'serial', files: () => files().filter((f) => !sharedLane(f)), concurrency: 1, ...extra },
  ];
}

const tiers = [
  { name: 'unit', files: () => ['unit', 'fixtures', 'sim'].flatMap((d) => testFiles(d)), concurrency: 2 },
  ...kernelLanes('kernel', () => ['netns', 'interop'].flatMap((d) => testFiles(d)), { before: sweep }),
  // Debian's kernel under qemu without KVM, for what this machine's kernel lacks (IPVS).
  { name: 'vm', files: () => testFiles('vm'), concurrency: 1 },
  // The daemon tests whose expectations are keepalived's to meet (tests/netns/daemon-*.test.ts that
  // honour KTS_DAEMON_IMPL); what keepalived does differently is skipped there with the reason.
  ...kernelLanes(
    'oracle',
    () => testFiles('netns', (n) => n.startsWith('daemon-') && n.endsWith('.test.js')),
    { env: { KTS_DAEMON_IMPL: 'keepalived' }, before: sweep },
  ),
];

function sweep() {
  const swept = sweepStaleNamespaces();
  if (swept.length > 0) console.log(`# removed ${swept.length} stale test namespaces: ${swept.join(' ')}`);
}

const wanted = process.argv.slice(2);
for (const w of wanted)
  if (!tiers.some((t) => t.name === w)) {
    console.error(`unknown tier ${w}; tiers: ${tiers.map((t) => t.name).join(', ')}`);
    process.exit(2);
  }

const results = [];
const timings = [];
const problems = [];
let fileCount = 0;
const work = mkdtempSync(join(tmpdir(), 'kts-test-results-'));
try {
  for (const tier of tiers) {
    if (wanted.length > 0 && !wanted.includes(tier.name)) continue;
    const files = tier.files();
    if (files.length === 0) {
      problems.push(`tier ${tier.name}: no test files (is dist/ built?)`);
      continue;
    }
    fileCount += files.length;
    tier.before?.();
    const label = tier.lane ? `${tier.name} (${tier.lane} lane, ${tier.concurrency} at a time)` : tier.name;
    const t0 = Date.now();
    console.log(`# tier ${label}: ${files.length} files`);
    const lines = join(work, `${tier.name}-${tier.lane ?? 'all'}.jsonl`);
    const r = spawnSync(
      process.execPath,
      [
        '--test',
        `--test-concurrency=${tier.concurrency}`,
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        `--test-reporter=${reporter}`,
        `--test-reporter-destination=${lines}`,
        ...files,
      ],
      { cwd: root, stdio: 'inherit', env: { ...process.env, ...tier.env } },
    );
    const tierResults = existsSync(lines)
      ? readFileSync(lines, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => ({ ...JSON.parse(l), tier: tier.name }))
      : [];
    results.push(...tierResults.filter((x) => x.timing === undefined));
    timings.push(...tierResults.filter((x) => x.timing !== undefined));
    console.log(`# tier ${label}: ${Math.round((Date.now() - t0) / 1000)} s`);
    const failedHere = tierResults.some((x) => x.outcome === 'fail' || x.outcome === 'cancelled');
    if (r.status !== 0 && !failedHere) problems.push(`tier ${tier.name}: node --test exited ${r.status}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const count = (outcome) => results.filter((x) => x.outcome === outcome).length;
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const skips = new Map();
for (const x of results.filter((x) => x.outcome === 'skip' || x.outcome === 'hidden-skip')) {
  const reason = `${x.tier}: ${x.outcome === 'hidden-skip' ? 'a skipped describe() hides its tests' : x.reason}`;
  skips.set(reason, (skips.get(reason) ?? 0) + 1);
  if (x.outcome === 'hidden-skip')
    problems.push(`${x.file}: describe('${x.name}') is skipped as a whole; gate its tests one by one`);
  else if (inCi && /^(missing tool|needs root)/.test(x.reason))
    problems.push(`CI must run ${x.file} › ${x.name}, skipped: ${x.reason}`);
}

// Where the time went, so that CI's duration can be kept in hand: the slowest files of each tier.
const perFile = new Map();
for (const x of timings) {
  const key = `${x.tier}: ${x.file.replace(/^.*\/dist\/tests\//, '')}`;
  perFile.set(key, (perFile.get(key) ?? 0) + x.timing);
}
console.log('');
console.log('# slowest files (sum of their top-level tests):');
for (const [key, ms] of [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 25))
  console.log(`#   ${String(Math.round(ms / 1000)).padStart(5)} s  ${key}`);

console.log('');
for (const [reason, n] of [...skips].sort((a, b) => b[1] - a[1])) console.log(`  skipped ${n}: ${reason}`);
// The first lines of each failure's message come last, so that a log cut to its tail still says why.
for (const x of results.filter((x) => x.outcome === 'fail' || x.outcome === 'cancelled')) {
  console.log(`  ${x.outcome === 'fail' ? 'FAILED' : 'CANCELLED'}: ${x.tier}: ${x.file} › ${x.name}`);
  // The message's head says what failed; a daemon log appended to it ends with what led there.
  const all = String(x.error ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const why =
    all.length <= 40 ? all : [...all.slice(0, 6), `... (${all.length - 40} lines)`, ...all.slice(-34)];
  for (const l of why) console.log(`      ${l.slice(0, 320)}`);
}
for (const p of problems) console.log(`  PROBLEM: ${p}`);
const failed = count('fail') + count('cancelled');
const skipped = count('skip') + count('hidden-skip');
console.log(
  `${results.length} tests in ${fileCount} files: ${count('pass')} passed, ${failed} failed, ` +
    `${skipped} skipped${count('todo') ? `, ${count('todo')} todo` : ''}`,
);
process.exit(failed > 0 || problems.length > 0 ? 1 : 0);
