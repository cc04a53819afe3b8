// Where SIGUSR1's data dumps go: keepalived 2.4.3's open_dump_file() rules for state_dump_file,
// data_use_instance and TMPDIR (keepalived/core/global_data.c), and the keyword read into the model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpFile, dumpNaming, tmpFile } from '../../../../src/daemon/process/dump-files.js';
import { loadModel } from '../../../../src/config/index.js';
import { MemoryHost } from '../../config/memory-host.js';

const env = { TMPDIR: '/run/kts-tmp' };
const plain = { useInstance: false };

describe('dump files without state_dump_file', () => {
  test('keepalived.data and the children suffixes in TMPDIR', () => {
    assert.equal(dumpFile('keepalived.data', plain, env), '/run/kts-tmp/keepalived.data');
    assert.equal(dumpFile('keepalived_check.data', plain, env), '/run/kts-tmp/keepalived_check.data');
    assert.equal(dumpFile('keepalived_bfd.data', plain, {}), '/tmp/keepalived_bfd.data');
    // a relative TMPDIR is ignored, as keepalived ignores it
    assert.equal(dumpFile('keepalived.data', plain, { TMPDIR: 'rel' }), '/tmp/keepalived.data');
  });

  test('data_use_instance tags the name with namespace and instance', () => {
    const naming = { useInstance: true, namespace: 'ns1', instance: 'i1' };
    assert.equal(dumpFile('keepalived_check.data', naming, env), '/run/kts-tmp/keepalived_check.ns1_i1.data');
    assert.equal(
      dumpFile('keepalived.data', { useInstance: true, instance: 'i1' }, env),
      '/run/kts-tmp/keepalived.i1.data',
    );
  });

  test('stats and JSON stay in TMPDIR', () => {
    assert.equal(tmpFile('keepalived.stats', env), '/run/kts-tmp/keepalived.stats');
  });
});

describe('dump files with state_dump_file', () => {
  const at = (stateDumpFile: string, name = 'keepalived.data', useInstance = false): string =>
    dumpFile(name, { useInstance, instance: 'i1', stateDumpFile }, env);

  test('an absolute path names directory and file; the suffix goes before the extension', () => {
    assert.equal(at('/var/lib/ka/state.dump'), '/var/lib/ka/state.dump');
    assert.equal(at('/var/lib/ka/state.dump', 'keepalived_check.data'), '/var/lib/ka/state_check.dump');
    assert.equal(at('/var/lib/ka/state.dump', 'keepalived_bfd.data'), '/var/lib/ka/state_bfd.dump');
    assert.equal(
      at('/var/lib/ka/state.dump', 'keepalived_check.data', true),
      '/var/lib/ka/state_check.i1.dump',
    );
  });

  test('a trailing slash names a directory for keepalived.data', () => {
    assert.equal(at('/var/lib/ka/', 'keepalived_check.data'), '/var/lib/ka/keepalived_check.data');
    assert.equal(at('/'), '/keepalived.data');
  });

  test('a relative name keeps TMPDIR and only its last component', () => {
    assert.equal(at('sub/state.txt'), '/run/kts-tmp/state.txt');
    assert.equal(at('sub/'), '/run/kts-tmp/keepalived.data');
  });

  test('a name without extension takes the suffix and tag at its end', () => {
    assert.equal(at('/d/dump', 'keepalived_check.data', true), '/d/dump_check.i1');
    assert.equal(at('/top.dump'), '/top.dump');
  });
});

describe('state_dump_file in global_defs', () => {
  const file = '/etc/keepalived/keepalived.conf';
  const load = (line: string) =>
    loadModel(file, new MemoryHost({ [file]: `global_defs {\n  ${line}\n}\n` })).model.global;

  test('is read, and so is the man page name state_file_location', () => {
    assert.equal(load('state_dump_file /var/run/ka.dump').stateDumpFile, '/var/run/ka.dump');
    assert.equal(load('state_file_location /var/run/kb.dump').stateDumpFile, '/var/run/kb.dump');
    const naming = dumpNaming({}, load('state_dump_file /var/run/ka.dump'));
    assert.equal(dumpFile('keepalived_check.data', naming, env), '/var/run/ka_check.dump');
  });
});
