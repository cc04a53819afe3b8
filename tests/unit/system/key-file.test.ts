// auth_hmac key files: the file's bytes without one trailing newline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKeyFileBytes } from '../../../src/system/key-file.js';

const ascii = 'an-ascii-key-of-thirty-two-bytes';

test('a key file loses one trailing newline, not other bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-hmac-'));
  try {
    const path = join(dir, 'key');
    writeFileSync(path, `${ascii}\n`);
    assert.equal(Buffer.from(readKeyFileBytes(path)).toString(), ascii);
    writeFileSync(path, `${ascii}\r\n`);
    assert.equal(Buffer.from(readKeyFileBytes(path)).toString(), ascii);
    writeFileSync(path, `${ascii} `);
    assert.equal(readKeyFileBytes(path).length, ascii.length + 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
