// Tracker events: which tracked object an engine event is about (and the reason given), and which
// instances it moved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trackerEffects, trackerOf } from '../../../src/api/tracker-events.js';

test('trackerOf: the tracked object and the reason of each tracker event; none for the others', () => {
  assert.deepEqual(trackerOf({ type: 'link', ifname: 'eth1', up: false }), {
    kind: 'interface',
    name: 'eth1',
    reason: 'interface eth1 down',
  });
  assert.deepEqual(trackerOf({ type: 'script-result', name: 'chk', ok: false, exitStatus: 3 }), {
    kind: 'script',
    name: 'chk',
    reason: 'script chk failed (exit 3)',
  });
  assert.equal(trackerOf({ type: 'script-result', name: 'chk', ok: true })?.reason, 'script chk succeeded');
  assert.equal(trackerOf({ type: 'file-value', name: 'f', value: -7 })?.reason, 'track file f = -7');
  assert.equal(trackerOf({ type: 'process', name: 'p', running: false })?.reason, 'process p stopped');
  assert.equal(trackerOf({ type: 'bfd', name: 'b', up: true })?.reason, 'bfd b up');
  assert.equal(trackerOf({ type: 'timer' }), undefined);
  assert.equal(trackerOf({ type: 'start' }), undefined);
});

test('trackerEffects: only the instances whose priority or fault changed', () => {
  const before = [
    { name: 'A', effective: 100, faulty: false },
    { name: 'B', effective: 90, faulty: false },
    { name: 'C', effective: 80, faulty: false },
  ];
  const after = [
    { name: 'A', effective: 100, faulty: false },
    { name: 'B', effective: 70, faulty: false },
    { name: 'C', effective: 80, faulty: true },
  ];
  assert.deepEqual(trackerEffects(before, after), [
    { instance: 'B', priorityFrom: 90, priorityTo: 70, faultFrom: false, faultTo: false },
    { instance: 'C', priorityFrom: 80, priorityTo: 80, faultFrom: false, faultTo: true },
  ]);
  assert.deepEqual(trackerEffects(before, before), []);
});
