// `table NAME` in routes and rules, resolved from iproute2's name files as keepalived 2.4.3 reads them
// (lib/rttables.c): etc before usr, rt_tables.d/*.conf, the default names, and iproute_etc_dir /
// iproute_usr_dir moving all of it; an unknown name is keepalived's config error.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../../../src/config/index.js';
import { parseNameFile, readNameTables } from '../../../../../src/config/model/static/route-tables.js';
import { MemoryHost } from '../../memory-host.js';

const CONF = '/etc/keepalived/keepalived.conf';

describe('iproute2 name files', () => {
  test('NUMBER NAME lines; comments, odd lines and out-of-range numbers skipped; 0x and 0 prefixes', () => {
    const text =
      '# comment\n100 foo\n0x65 hexa # trailing\n010 octal\nbad line here\n-1 neg\n4294967296 big\n';
    assert.deepEqual(parseNameFile(text), [
      [100, 'foo'],
      [101, 'hexa'],
      [8, 'octal'],
    ]);
  });

  test('etc wins over usr for rt_tables; .d files from both unless etc has the same name', () => {
    const host = new MemoryHost({
      '/etc/ipr/rt_tables': '100 etcmain\n',
      '/usr/ipr/rt_tables': '101 usrmain\n',
      '/usr/ipr/rt_tables.d/a.conf': '102 usr_a\n',
      '/usr/ipr/rt_tables.d/b.conf': '103 usr_b\n',
      '/etc/ipr/rt_tables.d/b.conf': '104 etc_b\n',
      '/etc/ipr/rt_tables.d/c.txt': '105 ignored\n',
    });
    assert.deepEqual(readNameTables(host, '/etc/ipr', '/usr/ipr'), [
      [100, 'etcmain'],
      [102, 'usr_a'],
      [104, 'etc_b'],
      [253, 'default'],
      [254, 'main'],
      [255, 'local'],
    ]);
  });
});

describe('route and rule tables in the model', () => {
  const conf = (globals: string) => `global_defs {
${globals}
}
static_routes {
  10.1.0.0/16 dev eth0 table foo
  10.2.0.0/16 dev eth0 table 0x10
  10.3.0.0/16 dev eth0 table nosuch
  10.4.0.0/16 dev eth0 table local
}
static_rules {
  from 10.5.0.0/16 table bar
}
`;
  const files = {
    '/srv/ipr/rt_tables': '200 foo\n',
    '/srv/ipr/rt_tables.d/x.conf': '201 bar\n',
    '/etc/iproute2/rt_tables': '50 foo\n',
  };

  test('iproute_etc_dir moves the lookup; unknown names are errors and their lines dropped', () => {
    const host = new MemoryHost({
      [CONF]: conf('  iproute_etc_dir /srv/ipr\n  iproute_usr_dir /none'),
      ...files,
    });
    const { model, diagnostics } = loadModel(CONF, host);
    assert.deepEqual(
      model.staticRoutes.map((r) => [r.table, r.tableId]),
      [
        ['foo', 200],
        ['0x10', 16],
        ['local', 255],
      ],
    );
    assert.deepEqual(
      model.staticRules.map((r) => [r.table, r.tableId]),
      [['bar', 201]],
    );
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === 'error').map((d) => [d.line, d.message]),
      [[8, 'Routing table nosuch not found for route']],
    );
  });

  test('by default /etc/iproute2 is read', () => {
    const { model } = loadModel(CONF, new MemoryHost({ [CONF]: conf(''), ...files }));
    assert.equal(model.staticRoutes[0]?.tableId, 50);
  });
});
