// Runs the compiled test suite in tiers. Pure tiers (unit, fixtures, sim) run in parallel; tiers that
// drive the real kernel (netns, interop) run one file at a time, since they share the machine's CPU and
// their timing matters. One summary line at the end: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function testFiles(dir) {
  const abs = join(root, 'dist', 'tests', dir);
  if (!existsSync(abs)) return [];
  const out = [];
  for (const name of readdirSync(abs).sort()) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(join(dir, name)));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const only = process.argv[2];
const tiers = [
  { name: 'unit', dirs: ['unit', 'fixtures', 'sim'], concurrency: 2 },
  { name: 'kernel', dirs: ['netns', 'interop'], concurrency: 1 },
  // Debian's kernel under qemu without KVM, for what this machine's kernel lacks (IPVS).
  { name: 'vm', dirs: ['vm'], concurrency: 1 },
];

let passed = 0;
let failed = 0;
let skipped = 0;
for (const tier of tiers) {
  if (only && only !== tier.name) continue;
  const files = tier.dirs.flatMap(testFiles);
  if (files.length === 0) continue;
  console.log(`# tier ${tier.name}: ${files.length} files`);
  const r = spawnSync(
    process.execPath,
    ['--test', `--test-concurrency=${tier.concurrency}`, '--test-reporter=spec', ...files],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 * 1024 * 1024 },
  );
  process.stdout.write(r.stdout);
  const count = (label) => {
    const m = new RegExp(`^\\u2139 ${label} (\\d+)$`, 'm').exec(r.stdout);
    return m ? Number(m[1]) : 0;
  };
  passed += count('pass');
  failed += count('fail') + (r.status !== 0 && count('fail') === 0 ? 1 : 0);
  skipped += count('skipped');
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
