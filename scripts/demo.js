// The main job on a built-in default: check the two example configs with -t, then run them as a
// simulated two-router cluster through a failing track script, a crash and a restart.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/keepalived-ts`;
const run = (args) => {
  console.log(`\n$ keepalived-ts ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, stdio: 'inherit' });
  return r.status ?? 1;
};

let failed = 0;
for (const f of ['examples/lb1.conf', 'examples/lb2.conf']) {
  const ok = run(['-t', '-f', f]) === 0;
  console.log(ok ? 'configuration OK (exit 0)' : 'configuration has errors');
  failed += ok ? 0 : 1;
}
failed +=
  run([
    'simulate',
    '-f',
    'examples/lb1.conf',
    '-f',
    'examples/lb2.conf',
    '--duration',
    '60',
    '--event',
    '10 fail lb1 chk_haproxy',
    '--event',
    '25 recover lb1 chk_haproxy',
    '--event',
    '35 crash lb2',
    '--event',
    '45 start lb2',
  ]) === 0
    ? 0
    : 1;
process.exit(failed === 0 ? 0 : 1);
