// snmp_vs_stats_update_interval / snmp_rs_stats_update_interval: how often the checker's SNMP agent reads
// the IPVS counters again (keepalived 2.4.3 ipvswrapper.c; the real-server interval defaults to the
// virtual-server one, which defaults to 5 s).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statsDue, statsRefreshIntervals } from '../../../src/snmp/stats-refresh.js';
import { loadModel } from '../../../src/config/index.js';
import { MemoryHost } from '../config/memory-host.js';

const FILE = '/etc/keepalived/keepalived.conf';
const globalOf = (text: string) => loadModel(FILE, new MemoryHost({ [FILE]: text })).model.global;

describe('SNMP IPVS counter refresh', () => {
  test('defaults: both 5 s', () => {
    assert.deepEqual(statsRefreshIntervals(globalOf('global_defs {\n}\n')), { vsMs: 5000, rsMs: 5000 });
  });

  test('the real-server interval follows the virtual-server one unless given', () => {
    assert.deepEqual(
      statsRefreshIntervals(globalOf('global_defs {\n  snmp_vs_stats_update_interval 1.5\n}\n')),
      { vsMs: 1500, rsMs: 1500 },
    );
    assert.deepEqual(
      statsRefreshIntervals(
        globalOf(
          'global_defs {\n  snmp_vs_stats_update_interval 2\n  snmp_rs_stats_update_interval 0.25\n}\n',
        ),
      ),
      { vsMs: 2000, rsMs: 250 },
    );
  });

  test('each set of counters is read again once its own interval has passed', () => {
    const intervals = { vsMs: 2000, rsMs: 250 };
    assert.deepEqual(statsDue(0, { vs: -Infinity, rs: -Infinity }, intervals), { vs: true, rs: true });
    assert.deepEqual(statsDue(249, { vs: 0, rs: 0 }, intervals), { vs: false, rs: false });
    assert.deepEqual(statsDue(250, { vs: 0, rs: 0 }, intervals), { vs: false, rs: true });
    assert.deepEqual(statsDue(2000, { vs: 0, rs: 1900 }, intervals), { vs: true, rs: false });
  });
});
