import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GarpScheduler } from '../../../../src/vrrp/engine/garp.js';
import type { Action } from '../../../../src/vrrp/engine/events.js';
import { DEFAULT_GARP } from '../../../../src/vrrp/engine/spec.js';

const targets = [
  { address: '10.0.0.1', ifname: 'eth0' },
  { address: 'fe80::1', ifname: 'eth0' },
  { address: '10.0.1.1', ifname: 'eth1' },
];

const show = (out: Action[]): string[] =>
  out.map((a) => (a.type === 'send-garp' ? `${a.ifname}/${a.family}:${a.addresses.join(',')}` : a.type));

/** Every packet of a scheduler run until nothing is pending: `time packet`. */
function drain(g: GarpScheduler, first: Action[], start: number): string[] {
  const sent = show(first).map((p) => `${start} ${p}`);
  for (let guard = 0; guard < 100; guard++) {
    const at = g.nextDeadline();
    if (at === undefined) return sent;
    sent.push(...show(g.due(at)).map((p) => `${at} ${p}`));
  }
  throw new Error('pacing never ends');
}

void describe('GARP bursts', () => {
  void test('unpaced: one action per round and per interface/family, all at once', () => {
    const g = new GarpScheduler();
    const out = g.burst(0, 'VI', targets, 2, DEFAULT_GARP);
    assert.deepEqual(show(out), [
      'eth0/4:10.0.0.1',
      'eth0/6:fe80::1',
      'eth1/4:10.0.1.1',
      'eth0/4:10.0.0.1',
      'eth0/6:fe80::1',
      'eth1/4:10.0.1.1',
    ]);
    assert.equal(g.nextDeadline(), undefined);
  });

  void test('paced (keepalived 2.2.7): an address waits once however many rounds ask for it', () => {
    const g = new GarpScheduler();
    const garp = { ...DEFAULT_GARP, garpIntervalMs: 10, gnaIntervalMs: 25 };
    const two = [
      { address: '10.0.0.1', ifname: 'eth0' },
      { address: '10.0.0.2', ifname: 'eth0' },
    ];
    // 5 rounds: .1 goes at once, then .1 and .2 are pending once each, sent in address order.
    assert.deepEqual(drain(g, g.burst(100, 'VI', two, 5, garp), 100), [
      '100 eth0/4:10.0.0.1',
      '110 eth0/4:10.0.0.1',
      '120 eth0/4:10.0.0.2',
    ]);
  });

  void test('paced per interface and family: garp interval for ARP, gna interval for NA', () => {
    const g = new GarpScheduler();
    const garp = { ...DEFAULT_GARP, garpIntervalMs: 10, gnaIntervalMs: 25 };
    assert.deepEqual(drain(g, g.burst(100, 'VI', targets, 2, garp), 100), [
      '100 eth0/4:10.0.0.1',
      '100 eth0/6:fe80::1',
      '100 eth1/4:10.0.1.1',
      '110 eth0/4:10.0.0.1',
      '110 eth1/4:10.0.1.1',
      '125 eth0/6:fe80::1',
    ]);
  });

  void test('a garp_group overrides the globals and its interfaces share one spacing', () => {
    const g = new GarpScheduler();
    g.configure([{ interfaces: ['eth0', 'eth1'], garpIntervalMs: 50 }], ['VI']);
    // The global NA interval does not apply on a grouped interface whose group sets no gna_interval.
    const garp = { ...DEFAULT_GARP, garpIntervalMs: 10, gnaIntervalMs: 25 };
    assert.deepEqual(drain(g, g.burst(0, 'VI', targets, 1, garp), 0), [
      '0 eth0/4:10.0.0.1',
      '0 eth0/6:fe80::1',
      '50 eth1/4:10.0.1.1',
    ]);
    // An interface outside every group keeps the global interval.
    const h = new GarpScheduler();
    h.configure([{ interfaces: ['eth1'], garpIntervalMs: 50 }], ['VI']);
    const other = [
      { address: '10.0.0.1', ifname: 'eth0' },
      { address: '10.0.0.2', ifname: 'eth0' },
      { address: '10.0.1.1', ifname: 'eth1' },
      { address: '10.0.1.2', ifname: 'eth1' },
    ];
    assert.deepEqual(drain(h, h.burst(0, 'VI', other, 1, garp), 0), [
      '0 eth0/4:10.0.0.1',
      '0 eth1/4:10.0.1.1',
      '10 eth0/4:10.0.0.2',
      '50 eth1/4:10.0.1.2',
    ]);
  });

  void test('pending addresses go instance by instance in configuration order', () => {
    const g = new GarpScheduler();
    g.configure([], ['VI_1', 'VI_2']);
    const garp = { ...DEFAULT_GARP, garpIntervalMs: 10 };
    const first = g.burst(0, 'VI_2', [{ address: '10.0.0.2', ifname: 'eth0' }], 2, garp);
    const second = g.burst(1, 'VI_1', [{ address: '10.0.0.1', ifname: 'eth0' }], 1, garp);
    assert.deepEqual(show([...first, ...second]), ['eth0/4:10.0.0.2']);
    assert.deepEqual(show(g.due(10)), ['eth0/4:10.0.0.1']);
    assert.deepEqual(show(g.due(20)), ['eth0/4:10.0.0.2']);
  });

  void test('cancel drops what an instance still has pending', () => {
    const g = new GarpScheduler();
    g.burst(0, 'VI', targets.slice(0, 1), 5, { ...DEFAULT_GARP, garpIntervalMs: 10 });
    g.cancel('VI');
    assert.equal(g.nextDeadline(), undefined);
    assert.equal(g.due(1000).length, 0);
  });
});
