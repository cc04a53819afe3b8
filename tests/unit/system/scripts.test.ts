import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, rmSync, existsSync } from 'node:fs';
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
