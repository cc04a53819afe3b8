// VMAC names as keepalived 2.2.7/2.4.3 picks them (vrrp.c create_vmac_name): vmac_prefix, the IFNAMSIZ cut,
// and the numbered fallbacks when a name is taken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../src/config/index.js';
import { vrrpSetupFromModel } from '../../../src/vrrp/from-model.js';
import { assignVmacNames } from '../../../src/vrrp/vmac-names.js';
import { MemoryHost } from '../config/memory-host.js';

function vmacNames(text: string): Record<string, string | undefined> {
  const { model, diagnostics } = loadModel('/k.conf', new MemoryHost({ '/k.conf': text }), { configId: 'n' });
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
  );
  const out: Record<string, string | undefined> = {};
  for (const [name, setup] of vrrpSetupFromModel(model).instances) out[name] = setup.vmacName;
  return out;
}

const instance = (name: string, vrid: number, vip: string, vmac = 'use_vmac') => `
vrrp_instance ${name} {
  interface eth0
  ${vmac}
  virtual_router_id ${vrid}
  priority 100
  virtual_ipaddress {
    ${vip}
  }
}`;

test('without vmac_prefix the VMAC is vrrp.VRID', () => {
  assert.deepEqual(vmacNames(instance('A', 7, '10.0.0.1/24')), { A: 'vrrp.7' });
});

test('vmac_prefix names the VMAC PREFIX.VRID; the first vmac_prefix wins, a second is reported', () => {
  const text = `global_defs {\n  vmac_prefix vm\n  vmac_prefix other\n}\n${instance('A', 7, '10.0.0.1/24')}`;
  assert.deepEqual(vmacNames(text), { A: 'vm.7' });
  const { diagnostics } = loadModel('/k.conf', new MemoryHost({ '/k.conf': text }), { configId: 'n' });
  const said = diagnostics.find((d) => d.keyword === 'vmac_prefix' && d.line === 3);
  assert.equal(said?.severity, 'warning');
  assert.equal(said?.line, 3);
  assert.match(said?.message ?? '', /already been specified - ignoring other/);
});

test('an IPv4 and an IPv6 instance with the same VRID: the IPv6 one takes PREFIX6.VRID', () => {
  const text = `${instance('A', 9, '10.0.0.1/24')}\n${instance('B', 9, 'fd00::9/64')}`;
  assert.deepEqual(vmacNames(text), { A: 'vrrp.9', B: 'vrrp6.9' });
});

test('a name use_vmac gives is kept and reserved before generated names', () => {
  const text = `${instance('A', 3, '10.0.0.1/24')}\n${instance('B', 4, '10.0.0.2/24', 'use_vmac vrrp.3')}`;
  assert.deepEqual(vmacNames(text), { A: 'vrrp1.3', B: 'vrrp.3' });
});

test('long prefixes are cut so the name fits 15 characters', () => {
  assert.deepEqual(assignVmacNames([{ vrid: 255, family: 4 }], 'abcdefghijklmnop'), ['abcdefghijk.255']);
  assert.deepEqual(assignVmacNames([{ vrid: 255, family: 4 }], 'abcdefghijklmnop', ['abcdefghijk.255']), [
    'abcdefghij1.255',
  ]);
});

test('IPv6 fallbacks go 6, 1, 2, 3, 4, 5, 7; IPv4 ones 1, 2, 3', () => {
  const taken = ['v.1', 'v6.1', 'v1.1', 'v2.1', 'v3.1', 'v4.1', 'v5.1'];
  assert.deepEqual(assignVmacNames([{ vrid: 1, family: 6 }], 'v', taken), ['v7.1']);
  assert.deepEqual(assignVmacNames([{ vrid: 1, family: 4 }], 'v', ['v.1', 'v1.1']), ['v2.1']);
});
