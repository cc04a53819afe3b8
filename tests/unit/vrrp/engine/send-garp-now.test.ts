// DBus's SendGarp: one round of gratuitous ARPs for an instance's addresses, only while they are set
// (keepalived's vrrp_send_link_update with one repeat), logged as keepalived logs each address.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, type Action } from '../../../../src/vrrp/engine/engine.js';
import { instanceSpec } from '../../../../src/vrrp/engine/spec.js';

function engine(): Engine {
  const inst = instanceSpec({
    name: 'VI_1',
    vrid: 51,
    priority: 100,
    sourceAddress: '10.0.0.1',
    addresses: [
      { address: '10.0.0.100', prefix: 24 },
      { address: '10.0.0.101', prefix: 24 },
    ],
  });
  return new Engine({ instances: [inst], syncGroups: [], scripts: [], trackFiles: [], trackProcesses: [] });
}

const garps = (actions: Action[]): string[] =>
  actions.flatMap((a) => (a.type === 'send-garp' ? [`${a.ifname} ${a.addresses.join(',')}`] : []));
const logs = (actions: Action[]): string[] =>
  actions.flatMap((a) => (a.type === 'log' && a.message.includes('Sending/queueing') ? [a.message] : []));

void describe('send-garp-now', () => {
  void test('a BACKUP sends nothing: its addresses are not set', () => {
    const e = engine();
    e.handle(0, { type: 'start' });
    assert.deepEqual(garps(e.handle(10, { type: 'send-garp-now', instance: 'VI_1' })), []);
  });

  void test('a MASTER sends one round for each address, logged per address', () => {
    const e = engine();
    e.handle(0, { type: 'start' });
    // no advert heard: MASTER after the master-down interval
    let t = 0;
    while (e.snapshot().instances[0]?.state !== 'MASTER' && t < 10_000)
      e.handle((t += 100), { type: 'timer' });
    assert.equal(e.snapshot().instances[0]?.state, 'MASTER');
    e.handle((t += 5000), { type: 'timer' }); // the entry's own bursts are over
    const out = e.handle(t, { type: 'send-garp-now', instance: 'VI_1' });
    assert.deepEqual(garps(out), ['eth0 10.0.0.100,10.0.0.101']);
    assert.deepEqual(logs(out), [
      '(VI_1) Sending/queueing gratuitous ARPs on eth0 for 10.0.0.100',
      '(VI_1) Sending/queueing gratuitous ARPs on eth0 for 10.0.0.101',
    ]);
    assert.deepEqual(garps(e.handle(t, { type: 'send-garp-now', instance: 'VI_9' })), []);
  });
});
