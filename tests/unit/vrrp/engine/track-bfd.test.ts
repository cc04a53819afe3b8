// track_bfd in the VRRP engine: a session counts as down until the BFD child reports it Up; weight 0
// faults the instance, a weight moves its priority (reverse flips it), as keepalived's vrrp_track.c.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../../../src/vrrp/engine/engine.js';
import { engineSpecFromModel } from '../../../../src/vrrp/from-model.js';
import { instanceSpec, type EngineSpec, type InstanceSpec } from '../../../../src/vrrp/engine/spec.js';
import { build } from '../../config/model-helpers.js';

const spec = (inst: Partial<InstanceSpec>, bfdWeight = 0): EngineSpec => ({
  instances: [
    instanceSpec({
      name: 'VI',
      vrid: 1,
      addresses: [{ address: '10.0.0.100', prefix: 24 }],
      ...inst,
    }),
  ],
  syncGroups: [],
  scripts: [],
  trackFiles: [],
  trackProcesses: [],
  bfds: [{ name: 'b1', weight: bfdWeight, reverse: false }],
});

const state = (e: Engine) => e.snapshot().instances[0]!;

void describe('track_bfd', () => {
  void test('weight 0: FAULT until the session is Up, FAULT again when it falls', () => {
    const e = new Engine(spec({ trackBfds: [{ name: 'b1' }] }));
    e.handle(0, { type: 'start' });
    assert.equal(state(e).state, 'FAULT');
    e.handle(10, { type: 'bfd', name: 'b1', up: true });
    assert.equal(state(e).state, 'BACKUP');
    e.handle(20, { type: 'bfd', name: 'b1', up: false });
    assert.equal(state(e).state, 'FAULT');
  });

  void test('a weight moves the priority; the bfd_instance weight is the default; reverse flips it', () => {
    const own = new Engine(spec({ trackBfds: [{ name: 'b1', weight: 20 }] }));
    own.handle(0, { type: 'start' });
    assert.equal(state(own).effectivePriority, 100);
    own.handle(1, { type: 'bfd', name: 'b1', up: true });
    assert.equal(state(own).effectivePriority, 120);
    const inherited = new Engine(spec({ trackBfds: [{ name: 'b1' }] }, -30));
    inherited.handle(0, { type: 'start' });
    assert.equal(state(inherited).effectivePriority, 70);
    inherited.handle(1, { type: 'bfd', name: 'b1', up: true });
    assert.equal(state(inherited).effectivePriority, 100);
    const reversed = new Engine(spec({ trackBfds: [{ name: 'b1', weight: 20, reverse: true }] }));
    reversed.handle(0, { type: 'start' });
    reversed.handle(1, { type: 'bfd', name: 'b1', up: true });
    assert.equal(state(reversed).effectivePriority, 80);
  });

  void test('from the config: track_bfd weights and bfd_instance defaults reach the engine', () => {
    const { model, messages } = build(`bfd_instance b1 {
  neighbor_ip 10.0.0.2
  weight -15
}
vrrp_instance VI {
  interface eth0
  virtual_router_id 7
  priority 100
  virtual_ipaddress {
    10.0.0.100/24
  }
  track_bfd {
    b1
  }
}
`);
    assert.deepEqual(messages, []);
    const s = engineSpecFromModel(model);
    assert.deepEqual(s.bfds, [{ name: 'b1', weight: -15, reverse: false }]);
    assert.deepEqual(s.instances[0]!.trackBfds, [{ name: 'b1', reverse: false }]);
    const e = new Engine(s);
    e.handle(0, { type: 'start' });
    assert.equal(state(e).effectivePriority, 85);
    e.handle(1, { type: 'bfd', name: 'b1', up: true });
    assert.equal(state(e).effectivePriority, 100);
  });
});
