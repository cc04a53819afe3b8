import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GarpScheduler } from '../../../../src/vrrp/engine/garp.js';
import { DEFAULT_GARP } from '../../../../src/vrrp/engine/spec.js';

const targets = [
  { address: '10.0.0.1', ifname: 'eth0' },
  { address: 'fe80::1', ifname: 'eth0' },
  { address: '10.0.1.1', ifname: 'eth1' },
];

void describe('GARP bursts', () => {
  void test('unpaced: one action per round and per interface/family, all at once', () => {
    const g = new GarpScheduler();
    const out = g.burst(0, 'VI', targets, 2, DEFAULT_GARP);
    assert.deepEqual(
      out.map((a) => (a.type === 'send-garp' ? `${a.ifname}/${a.family}:${a.addresses.join(',')}` : a.type)),
      [
        'eth0/4:10.0.0.1',
        'eth0/6:fe80::1',
        'eth1/4:10.0.1.1',
        'eth0/4:10.0.0.1',
        'eth0/6:fe80::1',
        'eth1/4:10.0.1.1',
      ],
    );
    assert.equal(g.nextDeadline(), undefined);
  });
  void test('paced per interface: garp interval for ARP, gna interval for NA', () => {
    const g = new GarpScheduler();
    const garp = { ...DEFAULT_GARP, garpIntervalMs: 10, gnaIntervalMs: 25 };
    const first = g.burst(100, 'VI', targets, 2, garp);
    assert.equal(first.length, 3); // one of each kind right away
    assert.equal(g.nextDeadline(), 110);
    assert.equal(g.due(109).length, 0);
    const at110 = g.due(110);
    assert.deepEqual(
      at110.map((a) => (a.type === 'send-garp' ? a.ifname + a.addresses[0] : '')),
      ['eth010.0.0.1', 'eth110.0.1.1'],
    );
    assert.equal(g.nextDeadline(), 125);
    assert.equal(g.due(125).length, 1);
    assert.equal(g.nextDeadline(), undefined);
  });
  void test('cancel drops what an instance still has queued', () => {
    const g = new GarpScheduler();
    g.burst(0, 'VI', targets.slice(0, 1), 5, { ...DEFAULT_GARP, garpIntervalMs: 10 });
    g.cancel('VI');
    assert.equal(g.due(1000).length, 0);
  });
});
