// What a reload may not change (keepalived's parent refuses such a reload; main.c reload_config).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModel } from '../../../../src/config/index.js';
import { unreloadableChanges } from '../../../../src/daemon/process/reload-limits.js';
import { MemoryHost } from '../../config/memory-host.js';

const CONF = '/etc/keepalived/keepalived.conf';
/** The global settings of a configuration whose global_defs holds `lines` (top-level words after it). */
function globals(lines: string[], topLevel: string[] = []) {
  const text = ['global_defs {', ...lines.map((l) => `  ${l}`), '}', ...topLevel, ''].join('\n');
  return loadModel(CONF, new MemoryHost({ [CONF]: text })).model.global;
}

test('each setting keepalived will not change at a reload, named as it logs it', () => {
  const plain = globals(['router_id a']);
  const cases: [string[], string[], string][] = [
    [[], ['net_namespace blue'], 'network namespace'],
    [[], ['net_namespace_ipvs'], 'IPVS network namespace'],
    [[], ['instance one'], 'instance name'],
    [['nftables'], [], 'nftables table name'],
    [['vrrp_iptables'], [], 'nftables table name'],
    [['nftables_ipvs'], [], 'IPVS nftables table name'],
    [['tmp_config_directory /tmp'], [], 'config_directory'],
    [['disable_local_igmp'], [], 'disable_local_igmp'],
  ];
  for (const [lines, top, what] of cases) {
    const changed = globals(['router_id a', ...lines], top);
    assert.deepEqual(unreloadableChanges(plain, changed), [what], lines.concat(top).join(' '));
    assert.deepEqual(unreloadableChanges(changed, plain), [what], `${what}, taken away`);
    assert.deepEqual(unreloadableChanges(changed, changed), []);
  }
});

test('what a reload may change goes through; equal spellings of one table are no change', () => {
  const before = globals(['router_id a', 'nftables', 'nftables_ipvs', 'vrrp_garp_master_delay 5']);
  // other settings change freely; `nftables` and `nftables keepalived` (and vrrp_iptables) name one table
  const after = globals(['router_id b', 'nftables keepalived', 'nftables_ipvs keepalived_ipvs']);
  assert.deepEqual(unreloadableChanges(before, after), []);
  assert.deepEqual(unreloadableChanges(before, globals(['vrrp_iptables', 'nftables_ipvs'])), []);
  assert.deepEqual(unreloadableChanges(before, globals(['nftables other', 'nftables_ipvs'])), [
    'nftables table name',
  ]);
});

test('several at once are each named, in keepalived order; -s fixes the namespace of both readings', () => {
  const before = globals([], ['net_namespace blue']);
  const after = globals(['disable_local_igmp'], ['net_namespace green', 'instance x']);
  assert.deepEqual(unreloadableChanges(before, after), [
    'network namespace',
    'instance name',
    'disable_local_igmp',
  ]);
  assert.deepEqual(unreloadableChanges(before, after, 'red'), ['instance name', 'disable_local_igmp']);
});
