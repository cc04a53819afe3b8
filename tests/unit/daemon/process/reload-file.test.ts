// reload_file: keepalived's default names, and the file kept until every child signalled has answered
// (tests/netns/daemon-global-defs.test.ts watches it during a real reload, against keepalived 2.2.7 too).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultReloadFile,
  isReloadedMessage,
  ReloadFile,
} from '../../../../src/daemon/process/reload-file.js';
import { Logger } from '../../../../src/daemon/process/log.js';

function withFile(body: (file: ReloadFile, path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'kts-reload-file-'));
  const log = new Logger({ console: false, syslog: false, facility: 'daemon', detail: false, ident: 'T' });
  const path = join(dir, 'keepalived.reload');
  try {
    body(new ReloadFile(path, log), path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('reload_file', () => {
  test("keepalived's default names (global_data.c)", () => {
    assert.equal(defaultReloadFile(undefined, false), '/run/keepalived.reload');
    assert.equal(defaultReloadFile(undefined, true), '/run/keepalived/keepalived.reload');
    assert.equal(defaultReloadFile('lb1', false), '/run/keepalived/keepalived_lb1.reload');
  });

  test('kept until each child sent the signal answered once per signal; rw-r--r-- whatever the umask', () =>
    withFile((file, path) => {
      const old = process.umask(0o077);
      try {
        file.begin(['vrrp', 'checker']);
      } finally {
        process.umask(old);
      }
      assert.equal(statSync(path).mode & 0o777, 0o644);
      file.begin(['vrrp', 'checker']); // a second SIGHUP before the first was answered
      file.answered('vrrp');
      file.answered('checker');
      file.answered('vrrp');
      assert.ok(existsSync(path), 'the checker has not answered the second SIGHUP');
      file.answered('checker');
      assert.ok(!existsSync(path));
      assert.equal(file.waiting, false);
    }));

  test('a child that exits counts as answered; no child at all ends it at once', () =>
    withFile((file, path) => {
      file.begin(['vrrp', 'bfd']);
      file.answered('bfd', true);
      assert.ok(existsSync(path));
      file.answered('vrrp', true);
      assert.ok(!existsSync(path));
      file.begin([]);
      assert.ok(!existsSync(path));
    }));

  test('the message a child sends', () => {
    assert.ok(isReloadedMessage({ type: 'reloaded' }));
    assert.ok(!isReloadedMessage({ type: 'bfd-sync' }));
    assert.ok(!isReloadedMessage('reloaded'));
  });
});
