// No address to speak from (no unicast_src_ip / mcast_src_ip, none of the instance's family on its
// interface): keepalived 2.2.7 logs "(VI_1) entering FAULT state (no IPv4 address for interface)" and
// holds the instance in FAULT until an address appears (set_vrrp_src_addr, keepalived_netlink.c); losing
// the last address takes it down the same way. The daemon reports both (daemon/vrrp/source-addresses.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, type Action } from '../../../../src/vrrp/engine/engine.js';
import { instanceSpec, type EngineSpec, type InstanceSpec } from '../../../../src/vrrp/engine/spec.js';

function spec(withoutSource: string[], ...instances: InstanceSpec[]): EngineSpec {
  return { instances, syncGroups: [], scripts: [], trackFiles: [], trackProcesses: [], withoutSource };
}

const vi = (name: string, vrid: number): InstanceSpec =>
  instanceSpec({ name, vrid, priority: 200, addresses: [{ address: `10.7.0.${vrid}`, prefix: 24 }] });

const logs = (out: Action[]): string[] => out.flatMap((a) => (a.type === 'log' ? [a.message] : []));
const state = (e: Engine, name: string): string | undefined =>
  e.snapshot().instances.find((i) => i.name === name)?.state;

void describe('no source address', () => {
  test('starts in FAULT with keepalived line; the other instance is not held', () => {
    const e = new Engine(spec(['VI_1'], vi('VI_1', 71), { ...vi('VI_2', 72), sourceAddress: '10.7.0.1' }));
    const out = e.handle(0, { type: 'start' });
    assert.ok(
      logs(out).includes('(VI_1) entering FAULT state (no IPv4 address for interface)'),
      logs(out).join('\n'),
    );
    assert.equal(state(e, 'VI_1'), 'FAULT');
    assert.equal(state(e, 'VI_2'), 'BACKUP');
    assert.ok(!out.some((a) => a.type === 'send-advert' && a.instance === 'VI_1'));
  });

  test('an address appearing brings it up; the last one going takes it down again', () => {
    const e = new Engine(spec(['VI_1'], vi('VI_1', 71)));
    e.handle(0, { type: 'start' });
    e.handle(100, { type: 'source-address', instance: 'VI_1', present: true });
    assert.equal(state(e, 'VI_1'), 'BACKUP');
    // alone on its LAN: master after the master-down interval
    let now = 100;
    while (state(e, 'VI_1') !== 'MASTER' && now < 10_000) e.handle((now += 100), { type: 'timer' });
    assert.equal(state(e, 'VI_1'), 'MASTER');
    const down = e.handle(now + 100, { type: 'source-address', instance: 'VI_1', present: false });
    assert.equal(state(e, 'VI_1'), 'FAULT');
    assert.ok(logs(down).includes('(VI_1) entering FAULT state (no IPv4 address for interface)'));
    assert.ok(down.some((a) => a.type === 'remove-addresses' && a.instance === 'VI_1'));
  });
});
