import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsConfigHost } from '../../../../src/daemon/process/fs-config-host.js';
import { readConfig } from '../../../../src/config/read.js';
import { Diagnostics, formatDiagnostic } from '../../../../src/config/types.js';

void describe('FsConfigHost on a real directory', () => {
  let dir = '';
  const host = new FsConfigHost();

  void before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kts-fshost-'));
    mkdirSync(join(dir, 'conf.d'));
    mkdirSync(join(dir, 'conf.d', 'sub.conf'));
    writeFileSync(join(dir, 'conf.d', 'b.conf'), 'vrrp_instance B {\n}\n');
    writeFileSync(join(dir, 'conf.d', 'a.conf'), 'vrrp_instance A {\n  priority ${_RANDOM 7 7}\n}\n');
    writeFileSync(join(dir, 'conf.d', '.hidden.conf'), 'hidden\n');
    writeFileSync(join(dir, 'conf.d', 'x1.cfg'), 'x1\n');
    writeFileSync(join(dir, 'main.conf'), 'global_defs {\n  router_id r1\n}\ninclude conf.d/*.conf\n');
  });

  void after(() => rmSync(dir, { recursive: true, force: true }));

  void test('glob matches within a segment, skips dot files, marks directories, sorts', () => {
    assert.deepEqual(host.glob(join(dir, 'conf.d', '*.conf')), [
      join(dir, 'conf.d', 'a.conf'),
      join(dir, 'conf.d', 'b.conf'),
      join(dir, 'conf.d', 'sub.conf') + '/',
    ]);
    assert.deepEqual(host.glob(join(dir, 'conf.d', '.h*')), [join(dir, 'conf.d', '.hidden.conf')]);
    assert.deepEqual(host.glob(join(dir, '*', 'x[0-9].cfg')), [join(dir, 'conf.d', 'x1.cfg')]);
    assert.deepEqual(host.glob(join(dir, 'conf.d', '{b,a}.conf')), [
      join(dir, 'conf.d', 'a.conf'),
      join(dir, 'conf.d', 'b.conf'),
    ]);
    assert.deepEqual(host.glob(join(dir, 'nothing', '*.conf')), []);
    assert.deepEqual(host.glob(join(dir, 'main.conf')), [join(dir, 'main.conf')]);
    assert.deepEqual(host.glob(join(dir, 'missing.conf')), []);
  });

  void test('readFile returns text, or undefined for what cannot be read', () => {
    assert.equal(host.readFile(join(dir, 'conf.d', 'x1.cfg')), 'x1\n');
    assert.equal(host.readFile(join(dir, 'nope')), undefined);
    assert.equal(host.readFile(join(dir, 'conf.d')), undefined);
  });

  void test('random stays in range', () => {
    for (let i = 0; i < 50; i++) {
      const v = host.random(3, 5);
      assert.ok(Number.isInteger(v) && v >= 3 && v <= 5, String(v));
    }
  });

  void test('readConfig through the real host follows includes and reports the directory match', () => {
    const diags = new Diagnostics();
    const nodes = readConfig(join(dir, 'main.conf'), host, {}, diags);
    assert.deepEqual(
      nodes.map((n) => `${n.keyword} ${n.args.join(' ')}`),
      ['global_defs ', 'vrrp_instance A', 'vrrp_instance B'],
    );
    assert.deepEqual(nodes[1].children?.[0].args, ['7']);
    assert.deepEqual(diags.items.map(formatDiagnostic), [
      `${join(dir, 'main.conf')}:4: warning: include: '${join(dir, 'conf.d', 'sub.conf')}/' is a directory - skipping`,
    ]);
  });
});
