// *_no_swap and V8: a Node process that locked its memory aborts once V8 gives pages back (the kernel
// refuses madvise(MADV_DONTNEED) on locked pages); preloaded as the supervisor preloads it into every child,
// native/src/locked_discard.c lets it run and exit normally, memory still locked. And the environment a
// child's scripts inherit is the user's again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  lockedDiscardEnv,
  PRELOAD_BEFORE_ENV,
  restorePreload,
} from '../../../../src/daemon/process/locked-memory.js';
import { LOCKED_DISCARD_LIBRARY } from '../../../../src/net/native.js';

const nativeModule = fileURLToPath(new URL('../../../../src/net/native.js', import.meta.url));

// Locks, makes garbage for the collector to give back, loads code after the lock, prints VmLck, and
// returns from the event loop (V8 tears its heap down: more discards).
const LOCK_AND_CHURN = `
const { native } = await import(${JSON.stringify(nativeModule)});
const { readFileSync } = await import('node:fs');
native().lockMemory();
for (let round = 0; round < 10; round++) {
  let garbage = [];
  for (let i = 0; i < 20000; i++) garbage.push(new Array(50).fill(i));
  garbage = null;
  globalThis.gc();
  await import('node:zlib');
  await new Promise((r) => setTimeout(r, 2));
}
console.log(/^VmLck:\\s*(\\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
`;

function runLocked(env: NodeJS.ProcessEnv): {
  status: number | null;
  signal: string | null;
  lockedKb: number;
} {
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', LOCK_AND_CHURN], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, signal: r.signal, lockedKb: Number(r.stdout.trim() || -1) };
}

describe('memory locked by *_no_swap', () => {
  test('with the library preloaded a locked process runs and exits 0, its memory locked', (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root: locking all of a process in memory');
      return;
    }
    assert.ok(existsSync(LOCKED_DISCARD_LIBRARY), `built by npm ci: ${LOCKED_DISCARD_LIBRARY}`);
    const bare = runLocked({ ...process.env, LD_PRELOAD: '' });
    // Why the library exists: on this node the same program aborts (SIGTRAP) without it.
    assert.equal(bare.signal, 'SIGTRAP', `without the library: ${JSON.stringify(bare)}`);
    const env: NodeJS.ProcessEnv = { ...process.env, ...lockedDiscardEnv({}) };
    for (let run = 0; run < 3; run++) {
      const r = runLocked(env);
      assert.deepEqual([r.status, r.signal], [0, null], `run ${run}: ${JSON.stringify(r)}`);
      assert.ok(r.lockedKb > 0, `run ${run}: VmLck ${r.lockedKb} kB`);
    }
  });

  test("the library goes first in a child's LD_PRELOAD; the child's scripts get the user's back", () => {
    const none: NodeJS.ProcessEnv = { ...lockedDiscardEnv({}) };
    assert.equal(none.LD_PRELOAD, LOCKED_DISCARD_LIBRARY);
    restorePreload(none);
    assert.deepEqual(none, {});

    const users: NodeJS.ProcessEnv = {
      LD_PRELOAD: '/opt/lib/trace.so',
      ...lockedDiscardEnv({ LD_PRELOAD: '/opt/lib/trace.so' }),
    };
    assert.equal(users.LD_PRELOAD, `${LOCKED_DISCARD_LIBRARY} /opt/lib/trace.so`);
    assert.equal(users[PRELOAD_BEFORE_ENV], '/opt/lib/trace.so');
    restorePreload(users);
    assert.deepEqual(users, { LD_PRELOAD: '/opt/lib/trace.so' });
  });
});
