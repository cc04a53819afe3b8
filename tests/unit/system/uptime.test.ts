import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemUptimeS } from '../../../src/system/uptime.js';

test('systemUptimeS reads /proc/uptime the way keepalived does (first figure), undefined when unreadable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-uptime-'));
  try {
    const file = join(dir, 'uptime');
    writeFileSync(file, '50887.76 47206.17\n');
    assert.equal(systemUptimeS(file), 50887.76);
    writeFileSync(file, 'garbage\n');
    assert.equal(systemUptimeS(file), undefined);
    assert.equal(systemUptimeS(join(dir, 'missing')), undefined);
    // the real one: a positive number
    assert.ok((systemUptimeS() ?? 0) > 0);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
