// notify_priority_changes (keepalived 2.2.7/2.4.3 vrrp_track.c vrrp_set_effective_priority): each change of
// an instance's effective priority becomes a priority-change action (the daemon writes
// `INSTANCE "VI_1" MASTER_PRIORITY 90` to the notify FIFOs). The instance's own setting wins, else its sync
// group's, else global_defs' vrrp_notify_priority_changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../../src/config/index.js';
import { Engine, type Action } from '../../../../src/vrrp/engine/engine.js';
import { engineSpecFromModel } from '../../../../src/vrrp/from-model.js';
import { MemoryHost } from '../../config/memory-host.js';

function engine(text: string): Engine {
  const { model } = loadModel('/k.conf', new MemoryHost({ '/k.conf': text }), { configId: 'n' });
  return new Engine(engineSpecFromModel(model));
}

const config = (instanceExtra: string, outside = '') => `
${outside}
vrrp_script chk {
  script "/bin/true"
  weight -10
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 5
  priority 100
  ${instanceExtra}
  track_script {
    chk
  }
  virtual_ipaddress {
    10.0.0.1/24
  }
}`;

/** The priority-change actions as the script goes down, then up again. */
function priorityChanges(e: Engine): string[] {
  const out: Action[] = [];
  out.push(...e.handle(0, { type: 'start' }));
  out.push(...e.handle(0, { type: 'script-result', name: 'chk', ok: true }));
  for (let t = 0, d = e.nextDeadline(); d !== undefined && d <= 4000; d = e.nextDeadline()) {
    t = d;
    out.push(...e.handle(t, { type: 'timer' }));
  }
  out.push(...e.handle(4000, { type: 'script-result', name: 'chk', ok: false }));
  out.push(...e.handle(4001, { type: 'script-result', name: 'chk', ok: true }));
  return out.flatMap((a) => (a.type === 'priority-change' ? [`${a.instance} ${a.state} ${a.priority}`] : []));
}

test('notify_priority_changes: one action per change of the effective priority, with the state', () => {
  assert.deepEqual(priorityChanges(engine(config('notify_priority_changes'))), [
    'VI_1 MASTER 90',
    'VI_1 MASTER 100',
  ]);
});

test('without it (and by default) nothing is reported', () => {
  assert.deepEqual(priorityChanges(engine(config(''))), []);
});

test('inherited from vrrp_notify_priority_changes, overridden by the sync group and by the instance', () => {
  const global = 'global_defs {\n  vrrp_notify_priority_changes\n}';
  assert.equal(priorityChanges(engine(config('', global))).length, 2);
  assert.equal(priorityChanges(engine(config('notify_priority_changes false', global))).length, 0);
  const group = (value: string) =>
    `vrrp_sync_group G {\n  group {\n    VI_1\n  }\n  notify_priority_changes ${value}\n  sync_group_tracking_weight\n}`;
  assert.equal(priorityChanges(engine(config('', `${global}\n${group('false')}`))).length, 0);
  assert.equal(priorityChanges(engine(config('', group('true')))).length, 2);
});
