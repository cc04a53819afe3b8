// keepalived 2.4 owner_ignore_adverts: an address owner (effective priority 255) drops every advert it
// receives, before counting it, saying so once until it enters or leaves MASTER again. keepalived 2.2.7
// has no such keyword: the comparison with a running keepalived is gated in
// tests/netns/daemon-keywords-vrrp.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, type Action } from '../../../../src/vrrp/engine/engine.js';
import type { ReceivedAdvert } from '../../../../src/vrrp/advert.js';
import { instanceSpec, type EngineSpec, type InstanceSpec } from '../../../../src/vrrp/engine/spec.js';

const spec = (i: InstanceSpec): EngineSpec => ({
  instances: [i],
  syncGroups: [],
  scripts: [],
  trackFiles: [],
  trackProcesses: [],
});

const owner = (ownerIgnoreAdverts: boolean): InstanceSpec =>
  instanceSpec({
    name: 'VI_1',
    vrid: 10,
    priority: 255,
    initialState: 'MASTER',
    sourceAddress: '10.0.0.1',
    addresses: [{ address: '10.0.0.100', prefix: 24 }],
    ...(ownerIgnoreAdverts ? { ownerIgnoreAdverts } : {}),
  });

/** An advert from another address owner, whose higher address would win a tie. */
const rival: ReceivedAdvert = {
  advert: {
    version: 2,
    vrid: 10,
    priority: 255,
    intervalCs: 100,
    addresses: ['10.0.0.100'],
    authType: 'none',
  },
  family: 4,
  source: '10.0.0.2',
  destination: '224.0.0.18',
  ttl: 255,
  ifname: 'eth0',
};

const logs = (out: Action[]): string[] => out.flatMap((a) => (a.type === 'log' ? [a.message] : []));

function master(ownerIgnoreAdverts: boolean): Engine {
  const e = new Engine(spec(owner(ownerIgnoreAdverts)));
  e.handle(0, { type: 'start' });
  for (let t = 1; t < 50 && e.snapshot().instances[0]?.state !== 'MASTER'; t++)
    e.handle(t, { type: 'timer' });
  assert.equal(e.snapshot().instances[0]?.state, 'MASTER');
  return e;
}

void describe('owner_ignore_adverts', () => {
  void test('the owner drops adverts uncounted, says so once, and its next advert stays due', () => {
    const e = master(true);
    const due = e.nextDeadline();
    const first = e.handle(100, { type: 'advert', received: rival });
    assert.deepEqual(logs(first), ['(VI_1) Dropping packet(s) from 10.0.0.2 since we are address owner']);
    assert.ok(!first.some((a) => a.type === 'send-advert' || a.type === 'state-change'));
    assert.deepEqual(logs(e.handle(200, { type: 'advert', received: { ...rival, source: '10.0.0.3' } })), []);
    const [inst] = e.snapshot().instances;
    assert.equal(inst?.state, 'MASTER');
    assert.equal(inst?.counters.advert_rcvd, 0);
    assert.equal(e.nextDeadline(), due);
  });

  void test('without it the same advert is counted and heard: two owners, the lower address yields', () => {
    const e = master(false);
    const out = e.handle(100, { type: 'advert', received: rival });
    assert.equal(e.snapshot().instances[0]?.counters.advert_rcvd, 1);
    assert.equal(e.snapshot().instances[0]?.state, 'BACKUP');
    assert.ok(!logs(out).some((l) => l.startsWith('(VI_1) Dropping')));
  });

  void test('the line comes again once the instance has left MASTER and come back', () => {
    const e = master(true);
    e.handle(100, { type: 'advert', received: rival });
    e.handle(200, { type: 'link', ifname: 'eth0', up: false });
    assert.equal(e.snapshot().instances[0]?.state, 'FAULT');
    e.handle(300, { type: 'link', ifname: 'eth0', up: true });
    const takeover = e.nextDeadline() ?? 0;
    e.handle(takeover, { type: 'timer' });
    assert.equal(e.snapshot().instances[0]?.state, 'MASTER');
    assert.deepEqual(logs(e.handle(takeover + 100, { type: 'advert', received: rival })), [
      '(VI_1) Dropping packet(s) from 10.0.0.2 since we are address owner',
    ]);
  });
});
