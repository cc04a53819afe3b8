// promote_secondaries against a scratch /proc/sys-shaped tree (the real sysctl, compared with keepalived
// 2.2.7, is in tests/netns/daemon-keywords-vrrp.test.ts).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PromoteSecondaries } from '../../../../src/daemon/vrrp/promote-secondaries.js';
import type { InstanceSetup } from '../../../../src/vrrp/from-model.js';
import { instanceSpec } from '../../../../src/vrrp/engine/spec.js';
import { defaultWireSettings } from '../../../../src/vrrp/wire/datagram.js';

function setup(name: string, ifname: string, promoteSecondaries: boolean): InstanceSetup {
  return {
    spec: instanceSpec({ name, vrid: 1, interface: ifname }),
    wire: defaultWireSettings(4),
    vips: [],
    excluded: [],
    vmacXmitBase: false,
    vipDevices: new Map(),
    addressVmacs: [],
    promoteSecondaries,
  };
}

void describe('promote_secondaries', () => {
  const root = mkdtempSync(join(tmpdir(), 'kts-promote-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const file = (ifname: string): string => join(root, 'net/ipv4/conf', ifname, 'promote_secondaries');
  const seed = (ifname: string, value: string): void => {
    mkdirSync(join(root, 'net/ipv4/conf', ifname), { recursive: true });
    writeFileSync(file(ifname), `${value}\n`);
  };
  const read = (ifname: string): string => readFileSync(file(ifname), 'utf8').trim();
  const logged: string[] = [];
  const log = { info: (m: string) => void logged.push(m) };

  void test('switched on once per interface while running, off at stop; one already on is left alone', async () => {
    seed('eth0', '0');
    seed('eth1', '1');
    seed('eth2', '0');
    const p = new PromoteSecondaries(log, root);
    await p.apply([
      setup('A', 'eth0', true),
      setup('B', 'eth0', true),
      setup('C', 'eth1', true),
      setup('D', 'eth2', false),
    ]);
    assert.deepEqual([read('eth0'), read('eth1'), read('eth2')], ['1', '1', '0']);
    assert.deepEqual(p.held, ['eth0']);
    // a reload with a new instance on eth2: switched on too; eth0 stays held
    await p.apply([setup('A', 'eth0', false), setup('E', 'eth2', true)]);
    assert.deepEqual(p.held, ['eth0', 'eth2']);
    await p.restore();
    assert.deepEqual([read('eth0'), read('eth1'), read('eth2')], ['0', '1', '0']);
    assert.deepEqual(p.held, []);
    assert.deepEqual(logged, []);
  });

  void test('a missing interface is logged and not held', async () => {
    const p = new PromoteSecondaries(log, root);
    await p.apply([setup('X', 'nosuch0', true)]);
    assert.deepEqual(p.held, []);
    assert.match(logged.at(-1) ?? '', /^\(X\) unable to set promote_secondaries on nosuch0 - /);
  });
});
