import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrackFileValue } from '../../../src/system/track-file.js';

describe('track_file values', () => {
  test('the leading integer counts; anything else is 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-tf-'));
    try {
      const f = join(dir, 'v');
      writeFileSync(f, '  -12 trailing\n');
      assert.equal(readTrackFileValue(f), -12);
      writeFileSync(f, '7');
      assert.equal(readTrackFileValue(f), 7);
      writeFileSync(f, 'x7');
      assert.equal(readTrackFileValue(f), 0);
      writeFileSync(f, '');
      assert.equal(readTrackFileValue(f), 0);
      assert.equal(readTrackFileValue(join(dir, 'missing')), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
