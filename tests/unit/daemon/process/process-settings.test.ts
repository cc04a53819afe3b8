// Which settings each child takes from global_defs, read as keepalived reads them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultGlobalDefs, type GlobalDefs } from '../../../../src/config/model/global/global.js';
import {
  parentProcessName,
  parseCpuList,
  processSettings,
} from '../../../../src/daemon/process/process-settings.js';

function globals(over: Partial<GlobalDefs>): GlobalDefs {
  return { ...defaultGlobalDefs(), ...over };
}

describe('processSettings', () => {
  test("nothing configured: keepalived's name, no nice, no realtime, nothing locked, any CPU", () => {
    const s = processSettings(globals({}), 'vrrp', 4);
    assert.deepEqual(s, { name: 'keepalived', noSwap: false, rlimitRttime: 10000 });
    // a child without a name of its own has the parent's, as keepalived's inherit it
    assert.equal(processSettings(globals({ processName: 'lb_parent' }), 'checker', 4).name, 'lb_parent');
  });

  test('process_names gives keepalived names; a specific name wins; names keep 15 bytes', () => {
    const g = globals({ processNames: true, bfdProcessName: 'my_bfd_process_name' });
    assert.equal(processSettings(g, 'vrrp', 4).name, 'keepalived_vrrp');
    assert.equal(processSettings(g, 'checker', 4).name, 'keepalived_lvs');
    assert.equal(processSettings(g, 'bfd', 4).name, 'my_bfd_process_');
    assert.equal(parentProcessName(globals({ processName: 'parent_process_name' })), 'parent_process_');
    assert.equal(parentProcessName(g), 'keepalived');
  });

  test("each child reads its own keywords; nice 0 is keepalived's unset", () => {
    const g = globals({
      checkerPriority: 5,
      checkerRtPriority: 7,
      checkerRlimitRttime: 50000,
      checkerNoSwap: true,
      checkerCpuAffinity: ['1', '3'],
      vrrpPriority: 0,
    });
    assert.deepEqual(processSettings(g, 'checker', 4), {
      name: 'keepalived',
      nice: 5,
      realtimePriority: 7,
      rlimitRttime: 50000,
      noSwap: true,
      cpus: [1, 3],
    });
    assert.equal(processSettings(g, 'vrrp', 4).nice, undefined);
    assert.equal(processSettings(g, 'bfd', 4).realtimePriority, undefined);
  });

  test('*_cpu_affinity: a CPU beyond the online ones, or not a number, drops the whole set', () => {
    assert.deepEqual(parseCpuList(['0', '1', '1'], 2), [0, 1]);
    assert.equal(parseCpuList(['0', '2'], 2), undefined);
    assert.equal(parseCpuList(['x'], 2), undefined);
    assert.equal(parseCpuList([], 2), undefined);
  });
});
