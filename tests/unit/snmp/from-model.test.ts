// The SNMP snapshot from a config: keepalived's clean-ups that change what its agent shows (own-interface
// tracking, weighted trackers of sync group members, unused scripts and files), its defaults (routes of
// protocol keepalived, table main, no broadcast), resolved interfaces and commands, and the engine's state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../src/config/index.js';
import { snapshotFromModel, type VrrpSnapshotInputs } from '../../../src/snmp/from-model.js';
import type { EngineSnapshot } from '../../../src/vrrp/engine/engine.js';
import { newStats } from '../../../src/vrrp/engine/stats.js';
import { MemoryHost } from '../config/memory-host.js';
import { ETH0 } from '../../helpers/snmp-snapshot.js';

const CONFIG = `
global_defs {
  router_id lab1
  smtp_server 10.7.0.9 2525
  notification_email {
    ops@example.com
  }
  lvs_sync_daemon eth1 VI_3
  enable_traps
}
static_ipaddress {
  10.7.1.1/24 dev eth1 brd + label eth1:s
}
vrrp_script used {
  script "/bin/true  'a b'"
  interval 2
  weight -10
}
vrrp_script weighted {
  script /bin/false
  weight 5
}
vrrp_script unused {
  script /bin/false
}
track_file tf {
  file /tmp/tf
  weight 3
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  notify_master "/bin/echo g"
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  nopreempt
  track_interface {
    eth0
    eth1 weight -20
  }
  track_script {
    weighted
    used weight 0
  }
  track_file {
    tf
  }
  virtual_ipaddress {
    10.7.0.100/24
    10.7.0.103/24 dev eth1 scope link
  }
  virtual_ipaddress_excluded {
    10.7.0.200
  }
  virtual_routes {
    10.20.0.0/16 via 10.7.0.254 dev eth0 metric 5 table 100 mtu lock 1400 realms 2/7
    10.21.0.0/16 nexthop via 10.7.0.9 dev eth0 weight 2 nexthop via 10.7.0.10
  }
  virtual_rules {
    from 10.7.0.100 table 100 priority 1000
    to 10.22.0.0/16 goto 2000 priority 1001 not
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  version 3
  advert_int 0.5
  virtual_ipaddress {
    10.7.0.101/24
  }
}
vrrp_instance VI_3 {
  interface eth0
  virtual_router_id 53
  unicast_peer {
    10.7.0.2
  }
  track_script {
    weighted
  }
  virtual_ipaddress {
    10.7.0.105/24
  }
}
`;

function inputs(over: Partial<VrrpSnapshotInputs> = {}): VrrpSnapshotInputs {
  const { model, diagnostics } = loadModel('/k.conf', new MemoryHost({ '/k.conf': CONFIG }), {
    configId: 'n',
  });
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const eth1 = { name: 'eth1', index: 2, mac: Uint8Array.of(2, 0, 0, 0, 0, 1) };
  return {
    model,
    version: 'Keepalived v0 (test)',
    host: {
      interfaces: new Map([
        ['eth0', ETH0],
        ['eth1', eth1],
      ]),
      localName: 'node1',
    },
    startedAtMs: 100,
    nowMs: 500,
    ...over,
  };
}

const ENGINE: EngineSnapshot = {
  instances: [
    {
      name: 'VI_1',
      state: 'MASTER',
      wantState: 'MASTER',
      basePriority: 150,
      effectivePriority: 130,
      masterAdvertIntervalCs: 100,
      faults: [],
      syncGroup: 'G1',
      counters: { ...newStats(), become_master: 2, advert_rcvd: 7, vers_err: 1 },
    },
    {
      name: 'VI_2',
      state: 'BACKUP',
      wantState: 'BACKUP',
      basePriority: 100,
      effectivePriority: 100,
      masterAdvertIntervalCs: 50,
      masterAddress: '10.7.0.2',
      faults: [],
      counters: newStats(),
    },
  ],
  groups: [{ name: 'G1', state: 'MASTER', members: ['VI_1', 'VI_2'] }],
};

test("keepalived's clean-ups: own interface, weighted trackers in a sync group, unused objects", () => {
  const v = snapshotFromModel(inputs()).vrrp;
  assert.ok(v);
  const [vi1, , vi3] = v.instances;
  assert.ok(vi1 && vi3);
  // eth0 is VI_1's own interface; in a sync group without tracking weight, eth1 tracks with weight 0.
  assert.deepEqual(vi1.trackInterfaces, [{ name: 'eth1', weight: 0, reverse: false }]);
  // Weighted scripts and files are dropped there; an explicit weight 0 stays.
  assert.deepEqual(vi1.trackScripts, [{ name: 'used', weight: 0, reverse: false }]);
  assert.deepEqual(vi1.trackFiles, []);
  assert.deepEqual(vi3.trackScripts, [{ name: 'weighted', weight: 5, reverse: false }]);
  assert.deepEqual(
    v.scripts.map((s) => s.name),
    ['used', 'weighted'],
  );
  assert.deepEqual(v.files, []);
});

test('instance facts: state from the engine, config settings, addresses, routes, rules', () => {
  const v = snapshotFromModel(inputs({ engine: ENGINE })).vrrp;
  assert.ok(v);
  const [vi1, vi2, vi3] = v.instances;
  assert.ok(vi1 && vi2 && vi3);
  assert.deepEqual(
    [vi1.state, vi1.configuredState, vi1.effectivePriority, vi1.vipsSet, vi1.syncGroup, vi1.preempt],
    ['MASTER', 'MASTER', 130, true, 'G1', true],
  );
  assert.deepEqual(
    [vi1.counters.becomeMaster, vi1.counters.advertRcvd, vi1.counters.versErr, vi1.masterReason],
    [2, 7, 1, 3],
  );
  assert.deepEqual(
    [vi2.state, vi2.masterAddress, vi2.vipsSet, vi2.masterReason, vi2.advertIntervalCs],
    ['BACKUP', '10.7.0.2', false, 0, 50],
  );
  // Instances the engine does not know yet are INIT; unicast ones have no multicast group.
  assert.deepEqual([vi3.state, vi3.multicastGroup, vi1.multicastGroup], ['INIT', undefined, '224.0.0.18']);
  assert.equal(vi3.lvsSyncInterface, 'eth1');
  assert.deepEqual([vi1.sourceAddress, vi1.upSinceMs], ['10.7.0.1', 100]);
  assert.deepEqual(
    vi1.vips.map((a) => [a.address, a.ifindex, a.ifname, a.scope, a.isSet]),
    [
      ['10.7.0.100', 3, 'eth0', 0, true],
      ['10.7.0.103', 2, 'eth1', 253, true],
    ],
  );
  assert.deepEqual(
    vi1.excludedVips.map((a) => [a.address, a.prefix]),
    [['10.7.0.200', 32]],
  );
  const [r1, r2] = vi1.routes;
  assert.ok(r1 && r2);
  assert.deepEqual(
    [r1.table, r1.metric, r1.protocol, r1.mtu, r1.realms, r1.oif, r1.gateway],
    [100, 5, 18, { value: 1400, lock: true }, (2 << 16) | 7, { index: 3, name: 'eth0' }, '10.7.0.254'],
  );
  assert.deepEqual(
    [r2.table, r2.nexthops.map((h) => [h.gateway, h.ifindex, h.weight])],
    [
      254,
      [
        ['10.7.0.9', 3, 2],
        ['10.7.0.10', undefined, undefined],
      ],
    ],
  );
  const [u1, u2] = vi1.rules;
  assert.ok(u1 && u2);
  assert.deepEqual([u1.action, u1.table, u1.preference, u1.invert], [1, 100, 1000, false]);
  assert.deepEqual([u2.action, u2.gotoTarget, u2.table, u2.invert], [2, 2000, undefined, true]);
  const [s] = v.staticAddresses;
  assert.deepEqual([s?.ifname, s?.ifindex, s?.broadcast, s?.label], ['eth1', 2, '10.7.1.255', 'eth1:s']);
});

test('global facts, commands resolved and quoted words kept, group state and notify', () => {
  const resolveCommand = (w: string[]): string[] => [
    w[0]?.replace('/bin/', '/usr/bin/') ?? '',
    ...w.slice(1),
  ];
  const snap = snapshotFromModel(inputs({ engine: ENGINE, resolveCommand }));
  assert.deepEqual(
    [snap.global.routerId, snap.global.smtpServer, snap.global.smtpConnectTimeoutS, snap.global.emailFrom],
    ['lab1', { family: 4, address: '10.7.0.9', port: 2525 }, 30, 'root@node1'],
  );
  assert.equal(snap.global.trapsEnabled, true);
  const v = snap.vrrp;
  assert.ok(v);
  assert.deepEqual(v.scripts[0]?.command, ['/usr/bin/true', 'a b']);
  const g = v.syncGroups[0];
  assert.deepEqual([g?.state, g?.notifyExec, g?.notify.master], ['MASTER', true, ['/usr/bin/echo', 'g']]);
  assert.equal(v.instances[0]?.notifyExec, false);
});
