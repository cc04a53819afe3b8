import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  effectivePriority,
  evaluateTrackers,
  resolveTrackers,
  ScriptTracker,
  TrackerWorld,
} from '../../../../src/vrrp/engine/trackers.js';
import type { ScriptSpec } from '../../../../src/vrrp/engine/spec.js';
import { instanceSpec } from '../../../../src/vrrp/engine/spec.js';

const script = (over: Partial<ScriptSpec> = {}): ScriptSpec => ({
  name: 's',
  intervalMs: 1000,
  timeoutMs: 1000,
  rise: 1,
  fall: 1,
  weight: 0,
  reverse: false,
  ...over,
});

void describe('vrrp_script rise/fall', () => {
  void test('the first result decides at once', () => {
    const ok = new ScriptTracker(script({ rise: 3, fall: 3 }));
    assert.equal(ok.status, 'init');
    assert.equal(ok.report(true), true);
    assert.equal(ok.status, 'ok');
    const bad = new ScriptTracker(script({ rise: 3, fall: 3 }));
    assert.equal(bad.report(false), true);
    assert.equal(bad.status, 'failed');
  });
  void test('fall failures in a row to fail, rise successes in a row to recover', () => {
    const t = new ScriptTracker(script({ rise: 2, fall: 3 }));
    t.report(true);
    assert.deepEqual([t.report(false), t.report(false)], [false, false]);
    assert.equal(t.status, 'ok');
    assert.equal(t.report(false), true);
    assert.equal(t.status, 'failed');
    assert.equal(t.report(true), false);
    assert.equal(t.report(true), true);
    assert.equal(t.status, 'ok');
  });
  void test('a success in between restarts the failure count', () => {
    const t = new ScriptTracker(script({ rise: 1, fall: 2 }));
    t.report(true);
    t.report(false);
    t.report(true);
    t.report(false);
    assert.equal(t.status, 'ok');
  });
  void test('init_fail starts failed and needs rise successes', () => {
    const t = new ScriptTracker(script({ rise: 2, fall: 1, initFail: true }));
    assert.equal(t.status, 'failed');
    assert.equal(t.report(false), false);
    t.report(true);
    assert.equal(t.status, 'failed');
    t.report(true);
    assert.equal(t.status, 'ok');
  });
  void test('property: status flips only after rise/fall consecutive results', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.boolean()),
        (rise, fall, runs) => {
          const t = new ScriptTracker(script({ rise, fall }));
          let streak = 0;
          let last: boolean | undefined;
          for (const ok of runs) {
            streak = ok === last ? streak + 1 : 1;
            last = ok;
            const before = t.status;
            const changed = t.report(ok);
            assert.equal(changed, before !== t.status);
            if (changed && before !== 'init') assert.ok(streak >= (ok ? rise : fall));
          }
        },
      ),
    );
  });
});

void describe('tracker weights', () => {
  const world = (): TrackerWorld =>
    new TrackerWorld(
      [script({ name: 'up', weight: 20 }), script({ name: 'down', weight: -30 }), script({ name: 'hard' })],
      [{ name: 'f', weight: 5, reverse: false }],
      [{ name: 'p', weight: 0, reverse: true }],
    );
  const spec = instanceSpec({
    name: 'VI',
    vrid: 1,
    interface: 'eth0',
    trackInterfaces: [{ ifname: 'eth1', weight: -10, reverse: false }],
    trackScripts: [{ name: 'up' }, { name: 'down' }, { name: 'hard' }, { name: 'missing' }],
    trackFiles: [{ name: 'f' }],
    trackProcesses: [{ name: 'p' }],
  });

  void test('resolution: own interface unweighted first, unknown names skipped', () => {
    const w = world();
    const t = resolveTrackers(spec, undefined, w);
    assert.deepEqual(
      t.map((x) => `${x.kind}:${x.name}:${x.weight}`),
      [
        'interface:eth0:0',
        'interface:eth1:-10',
        'script:up:20',
        'script:down:-30',
        'script:hard:0',
        'file:f:5',
        'process:p:0',
      ],
    );
    assert.equal(resolveTrackers({ ...spec, dontTrackPrimary: true }, undefined, w)[0]?.name, 'eth1');
  });

  void test('positive weights count while good, negative while bad; unweighted faults', () => {
    const w = world();
    const t = resolveTrackers(spec, undefined, w);
    // reverse process tracker with weight 0 faults while the process RUNS.
    assert.deepEqual(evaluateTrackers(t, w), { faults: ['process:p'], initPending: true, delta: 0 });
    w.processesDown.add('p');
    w.scripts.get('up')?.report(true);
    w.scripts.get('down')?.report(false);
    w.scripts.get('hard')?.report(true);
    w.fileValues.set('f', 4);
    w.linksDown.add('eth1');
    assert.deepEqual(evaluateTrackers(t, w), { faults: [], initPending: false, delta: 20 - 30 + 20 - 10 });
    w.linksDown.add('eth0');
    assert.deepEqual(evaluateTrackers(t, w).faults, ['interface:eth0']);
  });

  void test('effective priority clamps to 1..254, owner stays 255', () => {
    assert.equal(effectivePriority(100, 200), 254);
    assert.equal(effectivePriority(100, -200), 1);
    assert.equal(effectivePriority(100, -20), 80);
    assert.equal(effectivePriority(255, -100), 255);
  });

  void test('sync group members ignore weights unless sync_group_tracking_weight', () => {
    const w = world();
    const group = {
      name: 'G',
      members: ['VI'],
      notify: {},
      trackInterfaces: [{ ifname: 'eth9', weight: 5, reverse: false }],
      trackScripts: [{ name: 'hard' }],
      trackFiles: [],
      trackProcesses: [],
    };
    const ignored: string[] = [];
    const t = resolveTrackers(spec, group, w, ignored);
    assert.deepEqual(
      t.map((x) => `${x.kind}:${x.name}:${x.weight}`),
      ['interface:eth0:0', 'interface:eth1:0', 'script:hard:0', 'process:p:0', 'interface:eth9:0'],
    );
    assert.deepEqual(ignored, ['script:up', 'script:down', 'file:f']);
    const weighted = resolveTrackers(spec, { ...group, trackingWeight: true }, w);
    assert.equal(weighted.find((x) => x.name === 'eth9')?.weight, 5);
  });
});
