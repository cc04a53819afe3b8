// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// keepalived 2.2.7 reads a config with our status_http block as if the block were not there: it complains
// about each of the block's lines ("Unknown keyword") and nothing else changes. The same config with the
// block blanked out (line numbers kept) is the reference.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  keepalivedConfigTestSkipReason,
  keepalivedConfigTestSync,
} from '../../helpers/keepalived-config-test.js';
import { build } from '../../unit/config/model-helpers.js';

const BLOCK = `status_http {
  listen 127.0.0.1 9650
  listen ::1 9650
  token "s3cret token"
  tls_certificate /etc/ssl/kts.pem
  tls_key /etc/ssl/kts.key
}`;
const BLOCK_LINES = new Set([4, 5, 6, 7, 8, 9, 10]);

const config = (block: string): string => `global_defs {
  router_id r1
}
${block}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.0.0.100/24
  }
}
`;

/** keepalived's complaints, one per distinct "(file: Line N) text" (it prints each a few times). */
function complaints(output: string): string[] {
  const seen = new Set<string>();
  for (const m of output.matchAll(/\((?:[^)]*: )?Line (\d+)\) (.*)/g)) seen.add(`${m[1]} ${m[2]}`);
  return [...seen].sort();
}

void test(
  'keepalived 2.2.7 -t skips status_http line by line and reads the rest unchanged',
  { skip: keepalivedConfigTestSkipReason() },
  () => {
    const withBlock = config(BLOCK);
    // ours reads it without a diagnostic
    assert.deepEqual(build(withBlock).messages, []);
    const dir = mkdtempSync(join(tmpdir(), 'kts-status-http-'));
    try {
      const a = join(dir, 'with.conf');
      const b = join(dir, 'without.conf');
      writeFileSync(a, withBlock);
      writeFileSync(b, config(BLOCK.replace(/[^\n]/g, '')));
      const ref = keepalivedConfigTestSync(b);
      assert.equal(ref.status, 0, ref.output);
      const r = keepalivedConfigTestSync(a);
      // 2.2.7's -t exits 5 for any unknown keyword (the README's "Differences")
      assert.ok(r.status === 0 || r.status === 5, `exit ${r.status}\n${r.output}`);
      const found = complaints(r.output);
      assert.ok(found.length > 0, r.output);
      for (const c of found) {
        const line = Number(c.split(' ')[0]);
        assert.ok(BLOCK_LINES.has(line), `a complaint outside the block: ${c}`);
        assert.match(c, /Unknown keyword|Unexpected '\{'/);
      }
      assert.deepEqual(complaints(ref.output), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
