// The kernel's floor under the checkers bench: bench/native/connect-floor.c, compiled here with the
// system's C compiler, runs the same non-blocking loopback connect + close as TCP_CHECK with no JavaScript
// at all, in a fresh network namespace, and prints its CPU per connect. Set beside `checkers`' figure
// (CPU per probe) it shows what our code adds and what the kernel costs on this machine.
//   node dist/bench/checkers-floor.js [probes=100000] [runs=3]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../../bench/native/connect-floor.c', import.meta.url));
const probes = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'kts-floor-'));
const binary = join(dir, 'connect-floor');
const ns = `kts-floor-${process.pid}`;
try {
  execFileSync('cc', ['-O2', '-o', binary, source], { stdio: 'inherit' });
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  console.log(`loopback TCP connect + close (FIN) in C, ${probes} probes, 256 in flight, ${runs} runs:`);
  for (let i = 0; i < runs; i++) {
    const r = spawnSync('ip', ['netns', 'exec', ns, binary, String(probes)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`connect-floor failed: ${r.stderr}`);
    // x us of CPU per probe at 10,000 probes/s is x % of a core
    const perProbe = Number(/cpu_us_per_probe (\S+)/.exec(r.stdout)?.[1]);
    console.log(`  ${r.stdout.trim()}  => ${perProbe.toFixed(0)} % of a core at 10,000 probes/s`);
  }
} finally {
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
}
