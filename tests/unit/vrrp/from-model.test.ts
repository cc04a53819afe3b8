import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../src/config/index.js';
import { engineSpecFromModel, startupDelayS, vrrpSetupFromModel } from '../../../src/vrrp/from-model.js';
import { MemoryHost } from '../config/memory-host.js';

function engineSpec(text: string) {
  const { model } = loadModel('/k.conf', new MemoryHost({ '/k.conf': text }), { configId: 'n' });
  return engineSpecFromModel(model);
}

const instance = (name: string, vrid: number) => `
vrrp_instance ${name} {
  interface eth0
  virtual_router_id ${vrid}
  priority 100
  virtual_ipaddress {
    10.0.0.${vrid}/24
  }
}`;

test('sync_group_tracking_weight reaches the engine as SyncGroupSpec.trackingWeight', () => {
  const withFlag = engineSpec(`
vrrp_sync_group G {
  group {
    A
    B
  }
  sync_group_tracking_weight
}
${instance('A', 1)}
${instance('B', 2)}`);
  assert.equal(withFlag.syncGroups[0]?.name, 'G');
  assert.deepEqual(withFlag.syncGroups[0]?.members, ['A', 'B']);
  assert.equal(withFlag.syncGroups[0]?.trackingWeight, true);

  const without = engineSpec(`
vrrp_sync_group G {
  group {
    A
    B
  }
}
${instance('A', 1)}
${instance('B', 2)}`);
  assert.equal(without.syncGroups[0]?.trackingWeight, false);
});

test('state MASTER clears nopreempt and preempt_delay, as keepalived does', () => {
  const spec = engineSpec(`
vrrp_instance M {
  state MASTER
  interface eth0
  virtual_router_id 1
  priority 150
  nopreempt
  virtual_ipaddress {
    10.0.0.1/24
  }
}
vrrp_instance D {
  state MASTER
  interface eth0
  virtual_router_id 2
  priority 150
  preempt_delay 30
  virtual_ipaddress {
    10.0.0.2/24
  }
}
vrrp_instance B {
  state BACKUP
  interface eth0
  virtual_router_id 3
  priority 150
  nopreempt
  virtual_ipaddress {
    10.0.0.3/24
  }
}
vrrp_instance P {
  interface eth0
  virtual_router_id 4
  priority 150
  preempt_delay 30
  virtual_ipaddress {
    10.0.0.4/24
  }
}`);
  const byName = new Map(spec.instances.map((i) => [i.name, i]));
  assert.equal(byName.get('M')?.preempt, true);
  assert.equal(byName.get('D')?.preemptDelayMs, 0);
  assert.equal(byName.get('B')?.preempt, false);
  assert.equal(byName.get('P')?.preemptDelayMs, 30_000);
});

test('dont_track_primary and down_timer_adverts reach the engine (found missing by the differential runs)', () => {
  const spec = engineSpec(`
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  priority 100
  dont_track_primary
  down_timer_adverts 5
  virtual_ipaddress {
    10.0.0.1/24
  }
}
${instance('B', 2)}`);
  const [a, b] = spec.instances;
  assert.equal(a?.dontTrackPrimary, true);
  assert.equal(a?.downTimerAdverts, 5);
  assert.equal(b?.dontTrackPrimary, false);
  assert.equal(b?.downTimerAdverts, 3); // keepalived's default, folded in by the model
  const global = engineSpec(`global_defs {\n  vrrp_down_timer_adverts 4\n}\n${instance('B', 2)}`);
  assert.equal(global.instances[0]?.downTimerAdverts, 4);
});

test('garp_group: groups without an interval dropped, an interface kept by its first group', () => {
  const spec = engineSpec(`
garp_group {
  interface eth9
}
garp_group {
  garp_interval 0.25
  interfaces {
    eth0
    eth1
  }
}
garp_group {
  gna_interval 0.000500
  interface eth1
  interface eth2
}
${instance('A', 1)}`);
  assert.deepEqual(spec.garpGroups, [
    { interfaces: ['eth0', 'eth1'], garpIntervalMs: 250 },
    { interfaces: ['eth2'], gnaIntervalMs: 0.5 },
  ]);
  assert.equal(engineSpec(instance('A', 1)).garpGroups, undefined);
  // keepalived reports both (garp_group_end_handler, garp_group_interface_handler)
  const { diagnostics } = loadModel(
    '/k.conf',
    new MemoryHost({
      '/k.conf':
        'garp_group {\n  interface eth9\n}\ngarp_group {\n  garp_interval 1\n  interface eth0\n}\n' +
        'garp_group {\n  garp_interval 2\n  interface eth0\n}\n',
    }),
    { configId: 'n' },
  );
  assert.deepEqual(
    diagnostics.map((d) => `${d.line}: ${d.severity}: ${d.message}`),
    [
      '3: error: garp group 0 does not have any delay set - removing',
      '10: error: garp_group already specified for eth0 - ignoring',
    ],
  );
});

test('garp_extra_if: the instance inherits vrrp_garp_extra_if, and its own wins', () => {
  const spec = engineSpec(`
global_defs {
  vrrp_garp_extra_if all 10
}
${instance('A', 1)}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
  priority 100
  garp_extra_if 3
  virtual_ipaddress {
    10.0.0.2/24
  }
}`);
  const [a, b] = spec.instances;
  assert.equal(a?.garp.extraIfIntervalMs, 10_000);
  assert.equal(a?.garp.extraIfAll, true);
  assert.equal(b?.garp.extraIfIntervalMs, 3000);
  assert.equal(b?.garp.extraIfAll, false);
});

test('unicast_fault_no_peer without peers is a configuration fault; with a peer it is none', () => {
  const withExtra = (extra: string) =>
    engineSpec(instance('VI_1', 7).replace('  priority 100', `  priority 100\n${extra}`)).instances[0];
  assert.equal(
    withExtra('  unicast_src_ip 10.0.0.1\n  unicast_fault_no_peer')?.configFault,
    'Cannot use unicast without any peers - going to fault state',
  );
  assert.equal(
    withExtra('  unicast_fault_no_peer\n  unicast_peer {\n    10.0.0.2\n  }')?.configFault,
    undefined,
  );
  assert.equal(withExtra('  unicast_src_ip 10.0.0.1')?.configFault, undefined);
});

test('owner_ignore_adverts: unset, an owner ignores in strict mode or with vrrp_owner_ignore_adverts', () => {
  const ignores = (globals: string, extra: string) =>
    engineSpec(
      `global_defs {\n${globals}\n}\n` +
        instance('VI_1', 7).replace(
          '  priority 100',
          extra === '' ? '  priority 255' : `  priority 255\n${extra}`,
        ),
    ).instances[0]?.ownerIgnoreAdverts === true;
  assert.equal(ignores('', ''), false);
  assert.equal(ignores('  vrrp_owner_ignore_adverts', ''), true);
  assert.equal(ignores('  vrrp_owner_ignore_adverts false', ''), false);
  assert.equal(ignores('', '  strict_mode'), true);
  assert.equal(ignores('  vrrp_owner_ignore_adverts', '  owner_ignore_adverts false'), true, 'forced on');
  assert.equal(ignores('', '  owner_ignore_adverts'), true);
  const nonOwner = engineSpec(`global_defs {\n  vrrp_owner_ignore_adverts\n}\n` + instance('VI_1', 7))
    .instances[0];
  assert.equal(nonOwner?.ownerIgnoreAdverts, undefined);
});

test('vrrp_delay_after_boot: what is left of it after the uptime delays the start, the longer delay wins', () => {
  const model = (globals: string) =>
    loadModel('/k.conf', new MemoryHost({ '/k.conf': `global_defs {\n${globals}\n}\n${instance('A', 1)}` }), {
      configId: 'n',
    }).model;
  const boot = model('  vrrp_delay_after_boot 100');
  assert.equal(boot.global.vrrpDelayAfterBoot, 100);
  // up 40 s: 60 s are left
  assert.equal(vrrpSetupFromModel(boot, { uptimeS: 40 }).engine.startupDelayMs, 60000);
  // up longer than the delay, or uptime unknown: no delay
  assert.equal(vrrpSetupFromModel(boot, { uptimeS: 150 }).engine.startupDelayMs, undefined);
  assert.equal(vrrpSetupFromModel(boot).engine.startupDelayMs, undefined);
  // with vrrp_startup_delay, in either order: the longer one
  const both = model('  vrrp_startup_delay 30\n  vrrp_delay_after_boot 100');
  assert.equal(vrrpSetupFromModel(both, { uptimeS: 90 }).engine.startupDelayMs, 30000);
  assert.equal(vrrpSetupFromModel(both, { uptimeS: 20 }).engine.startupDelayMs, 80000);
  const reversed = model('  vrrp_delay_after_boot 100\n  vrrp_startup_delay 30');
  assert.equal(vrrpSetupFromModel(reversed, { uptimeS: 20 }).engine.startupDelayMs, 80000);
  assert.equal(startupDelayS(reversed.global, { uptimeS: 99.5 }), 30);
});
