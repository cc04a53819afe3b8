// keepalived's look at a script before running it (check_script_secure), on real files: found or not,
// executable by its user or not, safe from other users or not; the lines are keepalived's own.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scriptVerdict } from '../../../src/system/script-verdict.js';

const ROOT = { uid: 0, gid: 0 };

void describe('scriptVerdict (keepalived check_script_secure)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kts-verdict-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(join(dir, 'plain.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    writeFileSync(join(dir, 'open.sh'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, 'open.sh'), 0o777);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test('a path that does not exist: not found, with keepalived line', () => {
    const v = scriptVerdict(`${dir}/missing.sh arg`, ROOT, false);
    assert.deepEqual(v, {
      lines: [`Script ${dir}/missing.sh cannot be accessed - No such file or directory`],
      notFound: true,
      inhibited: false,
      runnable: false,
    });
  });

  void test('a bare name not in PATH: not found', () => {
    const v = scriptVerdict('no-such-program-kts', ROOT, false, dir);
    assert.deepEqual(v.lines, ['Cannot find script no-such-program-kts in path - disabling']);
    assert.equal(v.notFound, true);
  });

  void test('a bare name in PATH runs', () => {
    const v = scriptVerdict('run.sh', { uid: 12345, gid: 12345 }, false, `/nonexistent:${dir}`);
    assert.deepEqual(v, { lines: [], notFound: false, inhibited: false, runnable: true });
  });

  void test('no execute bit: not runnable, not "not found"', () => {
    const v = scriptVerdict(`${dir}/plain.sh`, ROOT, false);
    assert.deepEqual(v.lines, [
      `WARNING - script '${dir}/plain.sh' is not executable for uid:gid 0:0 - disabling.`,
    ]);
    assert.deepEqual([v.notFound, v.runnable], [false, false]);
  });

  void test('writable by others, run by root: said; refused only with script security', () => {
    const loose = scriptVerdict(`${dir}/open.sh`, ROOT, false);
    assert.deepEqual(loose.lines, [`Unsafe permissions found for script '${dir}/open.sh'.`]);
    assert.deepEqual([loose.runnable, loose.inhibited], [true, false]);
    const strict = scriptVerdict(`${dir}/open.sh`, ROOT, true);
    assert.deepEqual(strict.lines, [`Unsafe permissions found for script '${dir}/open.sh' - disabling.`]);
    assert.equal(strict.inhibited, true);
  });

  void test("a '</file' test executes nothing: always runnable", () => {
    assert.equal(scriptVerdict('</dev/null', ROOT, true).runnable, true);
    // keepalived splits the command first: a lone '<' is a program name, and none is found
    assert.equal(scriptVerdict('< /dev/null', ROOT, true, dir).notFound, true);
  });
});
