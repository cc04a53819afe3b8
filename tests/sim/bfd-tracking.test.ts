// The simulator treats a track_bfd session like any other tracker: `fail NODE SESSION` takes it down.
// Sessions start Up there (the simulated LAN runs no BFD), unlike the daemon where they start down.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../src/sim/cluster.js';
import { instanceSpec, type EngineSpec } from '../../src/vrrp/engine/spec.js';

const spec = (priority: number, trackBfd: boolean): EngineSpec => ({
  instances: [
    instanceSpec({
      name: 'VI',
      vrid: 9,
      priority,
      addresses: [{ address: '10.0.0.100', prefix: 24 }],
      ...(trackBfd ? { trackBfds: [{ name: 'to_core' }] } : {}),
    }),
  ],
  syncGroups: [],
  scripts: [],
  trackFiles: [],
  trackProcesses: [],
  bfds: [{ name: 'to_core', weight: 0, reverse: false }],
});

void describe('BFD trackers in the simulator', () => {
  void test('fail a to_core faults a; recover gives mastership back', () => {
    const c = new Cluster(
      [
        { name: 'a', spec: spec(200, true) },
        { name: 'b', spec: spec(100, false) },
      ],
      { seed: 3 },
    );
    c.startAll();
    c.schedule(10_000, { type: 'tracker', node: 'a', name: 'to_core', ok: false });
    c.schedule(20_000, { type: 'tracker', node: 'a', name: 'to_core', ok: true });
    c.run(9_000);
    assert.deepEqual(c.mastersOf('VI'), ['a']);
    c.run(15_000);
    assert.equal(c.stateOf('a', 'VI'), 'FAULT');
    assert.deepEqual(c.mastersOf('VI'), ['b']);
    c.run(30_000);
    assert.deepEqual(c.mastersOf('VI'), ['a']);
  });
});
