// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// What our LVS printer writes is real keepalived input: every LVS corpus file (except the 2.4-only one)
// is read, printed back, and handed to keepalived 2.2.7's own config test, which must pass.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printVirtualServers } from '../../../src/config/model/lvs/print.js';
import { printTrackFile } from '../../../src/config/model/vrrp/script.js';
import { lvs } from '../../unit/config/lvs-helpers.js';
import {
  keepalivedConfigTestSkipReason,
  keepalivedConfigTestSync,
} from '../../helpers/keepalived-config-test.js';

const corpusDir = new URL('../../../../tests/corpus/lvs/', import.meta.url).pathname;
const files = existsSync(corpusDir) ? readdirSync(corpusDir).filter((f) => f.endsWith('.conf')) : [];

void test(
  'printed LVS corpus is accepted by keepalived 2.2.7 -t',
  { skip: keepalivedConfigTestSkipReason() },
  () => {
    assert.ok(files.length >= 12);
    const dir = mkdtempSync(join(tmpdir(), 'kts-lvs-print-'));
    try {
      for (const name of files) {
        const source = readFileSync(join(corpusDir, name), 'utf8');
        if (source.includes('keepalived-2.4-only')) continue;
        const { model } = lvs(source);
        // FILE_CHECKs need their track_file blocks; scripts run only with script security on.
        const trackFiles = model.trackFiles.flatMap(printTrackFile).join('\n');
        const lvsText = printVirtualServers(model.virtualServerGroups, model.virtualServers);
        const text = `global_defs {\n  script_user root\n  enable_script_security\n}\n${trackFiles}\n${lvsText}`;
        const file = join(dir, name);
        writeFileSync(file, text);
        const r = keepalivedConfigTestSync(file);
        assert.equal(r.status, 0, `${name}:\n${r.output}\n${text}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
