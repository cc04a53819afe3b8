// lbCounters: the IPVS counters summed per virtual and real server as keepalived's SNMP shows them
// (ipvs_update_stats): a group sums every kernel service of its ranges; destinations go to the real
// server with the same address (and port), the sorry server first; other services are not counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  counterKey,
  lbCounters,
  zeroCounters,
  type DestinationCounters,
  type IpvsCounters,
} from '../../../../src/lb/table/counters.js';
import { lbConfig } from './helpers.js';

const CONFIG = `virtual_server_group G {
  10.0.0.1-2 80
}
virtual_server group G {
  lb_kind NAT
  protocol TCP
  sorry_server 10.9.0.9 80
  real_server 10.1.0.1 80 {
  }
  real_server 10.1.0.2 80 {
  }
}
virtual_server 10.0.0.5 443 {
  lb_kind NAT
  protocol TCP
  real_server 10.1.0.1 443 {
  }
}
`;

function counters(n: number): IpvsCounters {
  const c = zeroCounters();
  c.conns = BigInt(n);
  c.inbytes = BigInt(n * 100);
  return c;
}

function dest(address: string, port: number, n: number): DestinationCounters {
  return {
    family: 'inet',
    address,
    port,
    activeConns: n,
    inactConns: 1,
    persistConns: 0,
    stats: counters(n),
  };
}

test('a group sums its services; real and sorry servers get their destinations; other VIPs stay apart', () => {
  const config = lbConfig(CONFIG);
  const [group, single] = config.virtualServers;
  assert.ok(group && single);
  const svc = (address: string, port: number) =>
    counterKey({ kind: 'address', family: 'inet', protocol: 'TCP', address, port });
  const kernel = new Map([
    [
      svc('10.0.0.1', 80),
      { stats: counters(3), destinations: [dest('10.1.0.1', 80, 2), dest('10.1.0.2', 80, 1)] },
    ],
    [
      svc('10.0.0.2', 80),
      { stats: counters(4), destinations: [dest('10.1.0.1', 80, 4), dest('10.9.0.9', 80, 7)] },
    ],
    [svc('10.0.0.5', 443), { stats: counters(5), destinations: [dest('10.1.0.1', 443, 5)] }],
    // someone else's service: counted nowhere
    [svc('10.0.0.9', 80), { stats: counters(50), destinations: [dest('10.1.0.1', 80, 50)] }],
  ]);
  const c = lbCounters(config, kernel);
  assert.equal(c.virtualServers.get(group.modelIndex)?.conns, 7n);
  assert.equal(c.virtualServers.get(group.modelIndex)?.inbytes, 700n);
  assert.equal(c.virtualServers.get(single.modelIndex)?.conns, 5n);
  const [rs1, rs2] = group.realServers;
  assert.ok(rs1 && rs2);
  assert.deepEqual(
    [
      c.realServers.get(rs1.id)?.stats.conns,
      c.realServers.get(rs1.id)?.activeConns,
      c.realServers.get(rs1.id)?.inactConns,
    ],
    [6n, 6, 2],
  );
  assert.equal(c.realServers.get(rs2.id)?.stats.conns, 1n);
  assert.equal(c.sorryServers.get(group.modelIndex)?.stats.conns, 7n);
  assert.equal(c.realServers.get(single.realServers[0]!.id)?.stats.conns, 5n);
  // nothing in the kernel: zeros, not absent
  const empty = lbCounters(config, new Map());
  assert.equal(empty.virtualServers.get(single.modelIndex)?.conns, 0n);
});
