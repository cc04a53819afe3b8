// Removes what an interrupted test run left behind: network namespaces named kts-* whose creating
// process is gone (the tests name them kts-<tag>-<pid>-...), with every process still inside them
// (daemons that detached themselves survive their namespace's deletion otherwise). Namespaces of a run
// still in progress (its pid alive) are left alone, so parallel runs do not disturb each other.
// Run by scripts/run-tests.js before the kernel tier; `node scripts/sweep-test-namespaces.js` by hand.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The pid a suite namespace name carries: its first all-digit segment after `kts-`. */
export function creatorPid(name) {
  if (!name.startsWith('kts-')) return undefined;
  const segment = name
    .slice(4)
    .split('-')
    .find((s) => /^\d+$/.test(s));
  return segment === undefined ? undefined : Number(segment);
}

function alive(pid) {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    // A recycled pid that is not a node process did not create a test namespace.
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('node');
  } catch {
    return false;
  }
}

/** Deletes stale suite namespaces; returns their names. */
export function sweepStaleNamespaces() {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (list.status !== 0) return [];
  const swept = [];
  for (const line of list.stdout.split('\n')) {
    const name = line.split(' ')[0];
    if (!name) continue;
    const pid = creatorPid(name);
    if (pid === undefined || alive(pid)) continue;
    const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '';
    for (const p of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    spawnSync('ip', ['netns', 'del', name]);
    swept.push(name);
  }
  return swept;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const swept = sweepStaleNamespaces();
  console.log(swept.length === 0 ? 'no stale test namespaces' : `removed ${swept.join(', ')}`);
}
