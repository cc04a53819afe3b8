import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../src/config/index.js';
import { vrrpSetupFromModel, type InstanceSetup } from '../../../src/vrrp/from-model.js';
import { virtualRouterMac } from '../../../src/vrrp/address-vmacs.js';
import { Engine } from '../../../src/vrrp/engine/engine.js';
import { MemoryHost } from '../config/memory-host.js';

function load(text: string) {
  return loadModel('/k.conf', new MemoryHost({ '/k.conf': text }), { configId: 'n' });
}

function setupOf(text: string, name = 'A'): InstanceSetup {
  const inst = vrrpSetupFromModel(load(text).model).instances.get(name);
  assert.ok(inst, `instance ${name}`);
  return inst;
}

const errors = (text: string): string[] =>
  load(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => d.message);

const instance = (opts: string, vips: string, excluded = '', name = 'A', vrid = 7) => `
vrrp_instance ${name} {
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  ${opts}
  virtual_ipaddress {
    ${vips}
  }
  ${excluded === '' ? '' : `virtual_ipaddress_excluded {\n    ${excluded}\n  }`}
}`;

test('use_vmac_addr: an address on another interface gets a VMAC named vrrp.VRID on it', () => {
  const s = setupOf(instance('use_vmac_addr', '10.0.0.1/24\n    10.0.1.5/24 dev eth1'));
  assert.deepEqual(s.addressVmacs, [
    { name: 'vrrp.7', base: 'eth1', family: 4, vrid: 7, mac: '00:00:5e:00:01:07' },
  ]);
  assert.equal(s.vipDevices.get('10.0.1.5'), 'vrrp.7');
  assert.equal(s.vipDevices.get('10.0.0.1'), 'eth0');
  // the engine sees (and logs) the VMAC as the address's interface
  assert.equal(s.spec.addresses.find((a) => a.address === '10.0.1.5')?.ifname, 'vrrp.7');
  assert.equal(s.spec.addresses.find((a) => a.address === '10.0.0.1')?.ifname, undefined);
});

test('use_vmac on a line: only that address gets a VMAC; without either an address stays on its dev', () => {
  const s = setupOf(instance('', '10.0.1.5/24 dev eth1 use_vmac\n    10.0.2.5/24 dev eth2'));
  assert.deepEqual(
    s.addressVmacs.map((v) => [v.name, v.base]),
    [['vrrp.7', 'eth1']],
  );
  assert.equal(s.vipDevices.get('10.0.2.5'), 'eth2');
  const none = setupOf(instance('', '10.0.1.5/24 dev eth1'));
  assert.deepEqual(none.addressVmacs, []);
  assert.equal(none.vipDevices.get('10.0.1.5'), 'eth1');
});

test('an eVIP of the other family on the instance interface gets an IPv6 VMAC with the :02: MAC', () => {
  const s = setupOf(instance('use_vmac_addr', '10.0.0.1/24', 'fd00::5/64'));
  assert.deepEqual(s.addressVmacs, [
    { name: 'vrrp.7', base: 'eth0', family: 6, vrid: 7, mac: '00:00:5e:00:02:07' },
  ]);
  assert.equal(s.vipDevices.get('fd00::5'), 'vrrp.7');
});

test('one VMAC per VRID, family and base interface, shared by the addresses (and instances) on it', () => {
  const s = setupOf(
    instance('use_vmac_addr', '10.0.1.5/24 dev eth1\n    10.0.1.6/24 dev eth1\n    10.0.2.5/24 dev eth2'),
  );
  assert.deepEqual(
    s.addressVmacs.map((v) => [v.name, v.base]),
    [
      ['vrrp.7', 'eth1'],
      ['vrrp1.7', 'eth2'],
    ],
  );
  assert.equal(s.vipDevices.get('10.0.1.6'), 'vrrp.7');
  // Another instance with the same VRID and family on another interface reuses the VMAC on eth1.
  const two = vrrpSetupFromModel(
    load(
      instance('use_vmac_addr', '10.0.1.5/24 dev eth1') +
        instance('use_vmac_addr', '10.0.1.9/24 dev eth1').replace('eth0', 'eth3').replace('A {', 'B {'),
    ).model,
  );
  assert.equal(two.instances.get('B')?.vipDevices.get('10.0.1.9'), 'vrrp.7');
});

test('names: vmac_addr_prefix, else vmac_prefix; the instance VMAC is named first; IPv6 tries PREFIX6', () => {
  const prefixed = setupOf(
    `global_defs {\n  vmac_addr_prefix vaddr\n}\n${instance('use_vmac_addr', '10.0.1.5/24 dev eth1')}`,
  );
  assert.equal(prefixed.addressVmacs[0]?.name, 'vaddr.7');
  const vmacPrefix = setupOf(
    `global_defs {\n  vmac_prefix vm\n}\n${instance('use_vmac_addr', '10.0.1.5/24 dev eth1')}`,
  );
  assert.equal(vmacPrefix.addressVmacs[0]?.name, 'vm.7');
  const both = setupOf(
    instance('use_vmac\n  use_vmac_addr', '10.0.0.1/24\n    10.0.1.5/24 dev eth1', 'fd00::5/64'),
  );
  assert.equal(both.vmacName, 'vrrp.7');
  assert.equal(both.vipDevices.get('10.0.0.1'), 'vrrp.7');
  assert.deepEqual(
    both.addressVmacs.map((v) => [v.name, v.base, v.family]),
    [
      ['vrrp1.7', 'eth1', 4],
      ['vrrp6.7', 'eth0', 6],
    ],
  );
});

test('use_vmac: a VIP with dev set to the instance interface goes on the instance VMAC, as keepalived', () => {
  const s = setupOf(instance('use_vmac', '10.0.0.1/24 dev eth0'));
  assert.equal(s.vipDevices.get('10.0.0.1'), 'vrrp.7');
  assert.deepEqual(s.addressVmacs, []);
});

test("keepalived's config errors for a use_vmac line that adds nothing, which then gets no VMAC of its own", () => {
  const text = instance(
    'use_vmac\n  use_vmac_addr',
    '10.0.0.5/24 use_vmac\n    10.0.1.5/24 dev eth1 use_vmac\n    10.0.2.5 dev eth2 use_vmac\n    10.0.0.9/32 dev eth0 use_vmac',
    'fd00::5/64 use_vmac',
  );
  assert.deepEqual(errors(text), [
    '(A) use_vmac specified for VIP/eVIP 10.0.0.5/24 and vrrp instance',
    '(A) use_vmac_addr specified and use_vmac specified for VIP/eVIP 10.0.1.5/24',
    '(A) use_vmac_addr specified and use_vmac specified for VIP/eVIP 10.0.2.5',
    '(A) use_vmac specified for VIP/eVIP 10.0.0.9 and vrrp instance',
    '(A) use_vmac_addr specified and use_vmac specified for VIP/eVIP fd00::5/64',
  ]);
  // use_vmac_addr still gives them their VMACs
  const s = setupOf(text);
  assert.equal(s.vipDevices.get('10.0.1.5'), 'vrrp1.7');
  assert.equal(s.vipDevices.get('10.0.0.5'), 'vrrp.7');
  assert.equal(s.vipDevices.get('fd00::5'), 'vrrp6.7');
  assert.deepEqual(errors(instance('', '10.0.1.5/24 dev eth1 use_vmac')), []);
});

test('virtualRouterMac', () => {
  assert.equal(virtualRouterMac(4, 255), '00:00:5e:00:01:ff');
  assert.equal(virtualRouterMac(6, 1), '00:00:5e:00:02:01');
});

test('the instance tracks its address VMACs (keepalived TRACK_ADDR) unless every address there has no_track', () => {
  const s = setupOf(instance('use_vmac_addr', '10.0.1.5/24 dev eth1\n    10.0.2.5/24 dev eth2 no_track'));
  assert.deepEqual(s.spec.addressInterfaces, ['vrrp.7']);
  assert.equal(
    setupOf(instance('use_vmac_addr', '10.0.1.5/24 dev eth1 no_track')).spec.addressInterfaces,
    undefined,
  );
});

test('a VIP on another interface (dev) makes it tracked; not with no_track, not the own ones', () => {
  const plain = setupOf(instance('', '10.0.0.1/24\n    10.0.1.5/24 dev eth1', '10.0.3.5/24 dev eth3'));
  assert.deepEqual(plain.spec.addressInterfaces, ['eth1', 'eth3']);
  assert.equal(setupOf(instance('', '10.0.1.5/24 dev eth1 no_track')).spec.addressInterfaces, undefined);
  assert.equal(setupOf(instance('use_vmac', '10.0.0.5/24 dev eth0')).spec.addressInterfaces, undefined);
  assert.equal(
    setupOf(instance('dont_track_primary', '10.0.0.5/24 dev eth0')).spec.addressInterfaces,
    undefined,
  );
});

test('a down address VMAC faults the instance, back to BACKUP when it comes up', () => {
  const setup = vrrpSetupFromModel(load(instance('use_vmac_addr', '10.0.1.5/24 dev eth1')).model);
  const engine = new Engine(setup.engine);
  const state = (): string | undefined => engine.snapshot().instances[0]?.state;
  engine.handle(0, { type: 'start' });
  engine.handle(5000, { type: 'timer' });
  assert.equal(state(), 'MASTER');
  engine.handle(5100, { type: 'link', ifname: 'vrrp.7', up: false });
  assert.equal(state(), 'FAULT');
  engine.handle(5200, { type: 'link', ifname: 'vrrp.7', up: true });
  assert.equal(state(), 'BACKUP');
});
