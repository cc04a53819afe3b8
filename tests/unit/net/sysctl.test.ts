// The sysctl writer against a scratch /proc/sys-shaped tree (the real one is exercised in
// tests/netns/rtnetlink.test.ts, inside a namespace).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyInterfaceSettings, interfaceSysctlPath, vmacSettings } from '../../../src/net/sysctl.js';

void describe('sysctl writer', () => {
  const root = mkdtempSync(join(tmpdir(), 'kts-sysctl-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  const seed = (ifname: string, values: Record<string, string>): void => {
    mkdirSync(join(root, 'net/ipv4/conf', ifname), { recursive: true });
    for (const [k, v] of Object.entries(values))
      writeFileSync(join(root, 'net/ipv4/conf', ifname, k), `${v}\n`);
  };
  const read = (ifname: string, key: string): string =>
    readFileSync(join(root, 'net/ipv4/conf', ifname, key), 'utf8').trim();

  void test('VMAC settings are applied and the returned undo list restores the old values', async () => {
    seed('vrrp.7', { arp_ignore: '0', accept_local: '0', rp_filter: '2', promote_secondaries: '0' });
    seed('eth0', { arp_ignore: '0', arp_filter: '0' });
    const undo = await applyInterfaceSettings(vmacSettings('vrrp.7', 'eth0'), root);
    assert.deepEqual(
      ['arp_ignore', 'accept_local', 'rp_filter', 'promote_secondaries'].map((k) => read('vrrp.7', k)),
      ['1', '1', '0', '1'],
    );
    assert.deepEqual([read('eth0', 'arp_ignore'), read('eth0', 'arp_filter')], ['1', '1']);
    await applyInterfaceSettings(undo, root);
    assert.equal(read('vrrp.7', 'rp_filter'), '2');
    assert.equal(read('eth0', 'arp_filter'), '0');
  });

  void test('names that would leave the interface directory are refused', () => {
    assert.throws(() => interfaceSysctlPath('ipv4', '../../x', 'arp_ignore'), RangeError);
    assert.throws(() => interfaceSysctlPath('ipv4', 'eth0', '..'), RangeError);
    assert.equal(
      interfaceSysctlPath('ipv6', 'eth0', 'disable_ipv6'),
      '/proc/sys/net/ipv6/conf/eth0/disable_ipv6',
    );
  });
});
