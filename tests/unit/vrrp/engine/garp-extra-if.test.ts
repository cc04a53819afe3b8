// garp_extra_if (keepalived's vrrp_send_vmac_update): while MASTER, at the first advert after each interval,
// one gratuitous ARP on every other interface holding one of the instance's addresses, for the first address
// there. Without `all` only the VMACs made for addresses (use_vmac_addr) count.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, type Action } from '../../../../src/vrrp/engine/engine.js';
import { DEFAULT_GARP, instanceSpec } from '../../../../src/vrrp/engine/spec.js';

function engine(all: boolean, eth1IsAddressVmac = false): Engine {
  const vmac = eth1IsAddressVmac ? { addressVmac: true as const } : {};
  const inst = instanceSpec({
    name: 'VI_1',
    vrid: 51,
    priority: 100,
    sourceAddress: '10.0.0.1',
    addresses: [
      { address: '10.0.0.100', prefix: 24 },
      { address: '10.1.0.100', prefix: 24, ifname: 'eth1', ...vmac },
      { address: '10.1.0.101', prefix: 24, ifname: 'eth1', ...vmac },
    ],
    excludedAddresses: [{ address: '10.2.0.100', prefix: 24, ifname: 'eth2' }],
    garp: { ...DEFAULT_GARP, masterDelayMs: 0, masterRepeat: 1, extraIfIntervalMs: 2500, extraIfAll: all },
  });
  return new Engine({ instances: [inst], syncGroups: [], scripts: [], trackFiles: [], trackProcesses: [] });
}

/** Every gratuitous ARP until `until` ms, `time ifname addresses`, from the moment it became MASTER. */
function run(e: Engine, until: number): string[] {
  const sent: string[] = [];
  let master: number | undefined;
  const take = (t: number, out: Action[]): void => {
    if (master === undefined && e.snapshot().instances[0]?.state === 'MASTER') master = t;
    for (const a of out)
      if (a.type === 'send-garp') sent.push(`${t - (master ?? t)} ${a.ifname} ${a.addresses.join(',')}`);
  };
  take(0, e.handle(0, { type: 'start' }));
  for (let t = 10; t <= until; t += 10) take(t, e.handle(t, { type: 'timer' }));
  return sent;
}

void describe('garp_extra_if', () => {
  void test('all: one ARP per other interface at the first advert past each interval', () => {
    const sent = run(engine(true), 12_000);
    assert.deepEqual(sent, [
      '0 eth0 10.0.0.100',
      '0 eth1 10.1.0.100,10.1.0.101',
      '0 eth2 10.2.0.100',
      // adverts every second: 3 s is the first past 2.5 s, then 6 s is the first past 5.5 s
      '3000 eth1 10.1.0.100',
      '3000 eth2 10.2.0.100',
      '6000 eth1 10.1.0.100',
      '6000 eth2 10.2.0.100',
    ]);
  });

  void test('without all: nothing more (no VMAC of a single VIP to announce on)', () => {
    const sent = run(engine(false), 12_000);
    assert.deepEqual(sent, ['0 eth0 10.0.0.100', '0 eth1 10.1.0.100,10.1.0.101', '0 eth2 10.2.0.100']);
  });

  void test('without all, an address VMAC: announced there only', () => {
    const sent = run(engine(false, true), 12_000);
    assert.deepEqual(sent, [
      '0 eth0 10.0.0.100',
      '0 eth1 10.1.0.100,10.1.0.101',
      '0 eth2 10.2.0.100',
      '3000 eth1 10.1.0.100',
      '6000 eth1 10.1.0.100',
    ]);
  });
});
