// The checker's SNMP snapshot from a config (keepalived's LVS defaults and inheritance) and run-time facts
// keyed as the checker keys them, then through the KEEPALIVED-MIB check view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../src/config/index.js';
import { checkerSnapshotFromModel } from '../../../src/snmp/from-model-check.js';
import { buildView } from '../../../src/snmp/mib/serve.js';
import { realServerId, virtualServerLabel } from '../../../src/check/schedule/from-model.js';
import { zeroIpvsStats } from '../../../src/snmp/snapshot.js';
import { MemoryHost } from '../config/memory-host.js';
import { show, valuesOf } from '../../helpers/snmp-snapshot.js';

const CONFIG = `
global_defs {
  router_id lb1
  lvs_timeouts tcp 900 udp 30
}
virtual_server_group VG {
  10.9.0.1-9 443
  fwmark 7
}
virtual_server 10.7.0.100 80 {
  delay_loop 6
  lb_algo rr
  lb_kind DR
  protocol TCP
  persistence_timeout 300
  persistence_granularity 255.255.255.0
  quorum 2
  quorum_up "/bin/echo up"
  sorry_server 10.8.0.9 8080
  real_server 10.8.0.1 80 {
    weight 3
    notify_down "/bin/echo down"
    TCP_CHECK {
      connect_timeout 2
    }
  }
  real_server 10.8.0.2 8080 {
  }
}
virtual_server fwmark 5 {
  lvs_sched sh
  sh-port
  real_server 10.8.0.3 {
  }
}
virtual_server group VG {
  protocol UDP
  real_server 10.8.0.4 53 {
  }
}
`;

test('virtual servers, real servers and groups from the config, runtime facts by checker key', () => {
  const { model, diagnostics } = loadModel('/k.conf', new MemoryHost({ '/k.conf': CONFIG }), {
    configId: 'n',
  });
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
  );
  const vs0 = model.virtualServers[0];
  const rs0 = vs0?.realServers[0];
  assert.ok(vs0 && rs0);
  const snap = checkerSnapshotFromModel(
    model,
    'Keepalived v0 (test)',
    { interfaces: new Map() },
    {
      realServers: new Map([[realServerId(vs0, rs0), { alive: true, weight: 3, failedChecks: 1 }]]),
      virtualServers: new Map([
        [virtualServerLabel(vs0), { quorumUp: false, stats: { ...zeroIpvsStats(), inBytes: 5n << 32n } }],
      ]),
    },
  );
  const c = snap.checker;
  assert.ok(c);
  assert.deepEqual(c.vsGroups[0]?.members, [
    { kind: 'fwmark', fwmark: 7 },
    { kind: 'range', family: 4, first: '10.9.0.1', last: '10.9.0.9', port: 443 },
  ]);
  const [web, mark, group] = c.virtualServers;
  assert.ok(web && mark && group);
  assert.deepEqual(
    [web.scheduler, web.forwarding, web.delayLoopUs, web.persistenceGranularity, web.quorum, web.quorumUp],
    ['rr', 'DR', 6_000_000, 0xffffff00, 2, false],
  );
  assert.deepEqual(web.quorumUpCommand, ['/bin/echo', 'up']);
  // persistence_granularity unset: all ones, as keepalived's SNMP shows it (FF FF FF FF)
  assert.equal(mark.persistenceGranularity, 0xffffffff);
  const [r1, r2] = web.realServers;
  assert.deepEqual(
    [r1?.alive, r1?.weight, r1?.failedChecks, r1?.notifyDown, r1?.forwarding],
    [true, 3, 1, ['/bin/echo', 'down'], 'DR'],
  );
  // No checker: up from the start; real servers alert by default, virtual servers do not.
  assert.deepEqual(
    [r2?.alive, r2?.port, r2?.smtpAlert, web.smtpAlert, r1?.connectTimeoutUs],
    [true, 8080, true, false, 5_000_000],
  );
  assert.deepEqual([web.sorryServer?.address, web.sorryServer?.port], ['10.8.0.9', 8080]);
  assert.deepEqual(
    [mark.kind, mark.fwmark, mark.flags.shPort, mark.flags.mhPort, mark.realServers[0]?.port],
    ['fwmark', 5, true, true, 0],
  );
  assert.deepEqual([group.kind, group.groupName, group.protocol], ['group', 'VG', 'udp']);
  assert.deepEqual(c.lvsTimeouts, { tcp: 900, udp: 30 });

  const v = valuesOf(
    buildView(snap, { global: true, vrrp: false, rfcv2: false, rfcv3: false, checker: true }),
  );
  const K = '.1.3.6.1.4.1.9586.100.5';
  assert.equal(show(v.get(`${K}.1.2.0`)), 'lb1');
  assert.deepEqual(
    [9, 10, 22, 23, 30, 24].map((col) => show(v.get(`${K}.3.3.1.${col}.1`))),
    [1, 2, 2, 2, 5 * 2 ** 32, "'/bin/echo' 'up'"],
  );
  // Real server rows: the sorry server, then the two real servers.
  assert.deepEqual(
    [2, 3].map((row) => show(v.get(`${K}.3.4.1.2.1.${row}`))),
    [1, 1],
  );
  assert.deepEqual([show(v.get(`${K}.3.4.1.2.1.1`)), show(v.get(`${K}.3.4.1.13.1.2`))], [2, 1]);
  assert.deepEqual([show(v.get(`${K}.3.7.1.0`)), show(v.get(`${K}.3.7.3.0`))], [900, 30]);
});
