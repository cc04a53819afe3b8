import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandWords, runScript, scriptInsecurity } from '../../../src/system/scripts.js';

describe('commandWords', () => {
  test('splits on blanks, groups quotes, honours escapes, rejects broken quoting', () => {
    assert.deepEqual(commandWords('/bin/x a  b'), ['/bin/x', 'a', 'b']);
    assert.deepEqual(commandWords(`/bin/x 'a b' "c d" e\\ f`), ['/bin/x', 'a b', 'c d', 'e f']);
    assert.deepEqual(commandWords('   '), []);
    assert.equal(commandWords('/bin/x "open'), undefined);
  });
});

describe('runScript', () => {
  test('reports the exit code', async () => {
    assert.equal((await runScript(['/bin/sh', '-c', 'exit 3'])).code, 3);
    assert.equal((await runScript(['/bin/true'])).code, 0);
  });

  test('supplementary groups (set_supplementary_groups) reach the script; without them it has none', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root: running a script as another user');
      return;
    }
    const ids = async (opts: { uid: number; gid: number; groups?: number[] }): Promise<string> => {
      const dir = mkdtempSync(join(tmpdir(), 'kts-ids-'));
      chmodSync(dir, 0o777);
      try {
        const r = await runScript(['/bin/sh', '-c', `id -G > ${dir}/ids`], opts);
        assert.equal(r.code, 0, JSON.stringify(r));
        return readFileSync(`${dir}/ids`, 'utf8').trim();
      } finally {
        rmSync(dir, { recursive: true });
      }
    };
    assert.equal(await ids({ uid: 65534, gid: 65534 }), '65534');
    assert.equal(await ids({ uid: 65534, gid: 65534, groups: [65534, 4243, 4244] }), '65534 4243 4244');
    // a missing program is still spawn's ENOENT
    const r = await runScript(['/nonexistent/script'], { uid: 65534, gid: 65534, groups: [65534] });
    assert.equal(r.error, 'ENOENT');
  });

  test('a missing program is an error, not an exception', async () => {
    const r = await runScript(['/nonexistent/script']);
    assert.equal(r.code, undefined);
    assert.equal(r.error, 'ENOENT');
  });

  test('a hung script is killed at its timeout, with its children', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-script-'));
    try {
      const marker = join(dir, 'late');
      const t0 = Date.now();
      // The grandchild would create the marker after 2 s unless the whole group is killed.
      const r = await runScript(['/bin/sh', '-c', `(sleep 2; touch ${marker}) & sleep 30`], {
        timeoutMs: 200,
      });
      const took = Date.now() - t0;
      assert.equal(r.timedOut, true);
      assert.equal(r.signal, 'SIGTERM');
      assert.ok(took < 1500, `took ${took} ms`);
      await new Promise((res) => setTimeout(res, 2300));
      assert.equal(existsSync(marker), false, 'the script child survived the timeout');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scriptInsecurity', () => {
  test('world-writable scripts are unsafe, root-owned ones are not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-sec-'));
    try {
      const script = join(dir, 's.sh');
      writeFileSync(script, '#!/bin/sh\n');
      chmodSync(script, 0o777);
      if (process.getuid?.() === 0) {
        assert.equal(scriptInsecurity(script), `'${script}' is writable by a non-root user`);
        chmodSync(script, 0o755);
        assert.equal(scriptInsecurity(script), undefined);
      }
      assert.equal(scriptInsecurity('relative.sh'), "'relative.sh' is not an absolute path");
      assert.equal(scriptInsecurity(join(dir, 'missing')), `'${join(dir, 'missing')}' does not exist`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
