import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredTable, kernelWeight, type ServerHealth } from '../../../../src/lb/table/desired.js';
import type { LbConfig } from '../../../../src/lb/table/resolve.js';
import type { LbTable } from '../../../../src/lb/table/types.js';
import { lbConfig } from './helpers.js';

/** Each service as "key: address:port/method/weight ..." for compact comparisons. */
function show(table: LbTable): string[] {
  return table.services.map((s) => {
    const k = s.key;
    const key = k.kind === 'fwmark' ? `fwm ${k.fwmark}` : `${k.protocol} ${k.address}:${k.port}`;
    const dests = s.destinations.map((d) => `${d.address}:${d.port}/${d.method}/${d.weight}`).join(' ');
    return `${key}: ${dests}`;
  });
}

function table(config: LbConfig, servers: Record<string, ServerHealth>, quorumUp: boolean[] = []): string[] {
  return show(desiredTable(config, { servers: new Map(Object.entries(servers)), quorumUp }));
}

const POOL = lbConfig(`
virtual_server 10.0.0.1 80 {
  protocol TCP
  sorry_server 10.0.9.9 80
  real_server 10.0.1.1 80 { weight 3 }
  real_server 10.0.1.2 80 {
    weight 2
    inhibit_on_failure
  }
  real_server 10.0.1.3 8080 { }
}`);
const A = '10.0.0.1:80/TCP -> 10.0.1.1:80';
const B = '10.0.0.1:80/TCP -> 10.0.1.2:80';
const C = '10.0.0.1:80/TCP -> 10.0.1.3:8080';

test('live servers at their weight, failed ones out, failed ones with inhibit_on_failure at weight 0', () => {
  const up = { up: true, weight: 3 };
  assert.deepEqual(
    table(POOL, { [A]: up, [B]: { up: true, weight: 2 }, [C]: { up: true, weight: 1 } }, [true]),
    ['TCP 10.0.0.1:80: 10.0.1.1:80/NAT/3 10.0.1.2:80/NAT/2 10.0.1.3:8080/NAT/1'],
  );
  assert.deepEqual(
    table(POOL, { [A]: up, [B]: { up: false, weight: 2 }, [C]: { up: false, weight: 1 } }, [true]),
    ['TCP 10.0.0.1:80: 10.0.1.1:80/NAT/3 10.0.1.2:80/NAT/0'],
  );
});

test('quorum down with a sorry server: the sorry server at weight 1, inhibited servers at 0, the others out', () => {
  assert.deepEqual(
    table(
      POOL,
      { [A]: { up: true, weight: 3 }, [B]: { up: true, weight: 2 }, [C]: { up: false, weight: 1 } },
      [false],
    ),
    ['TCP 10.0.0.1:80: 10.0.1.2:80/NAT/0 10.0.9.9:80/NAT/1'],
  );
});

test('quorum down without a sorry server changes nothing in the table', () => {
  const config = lbConfig(`virtual_server 10.0.0.1 80 {
    protocol TCP
    quorum 5
    real_server 10.0.1.1 80 { weight 3 }
    real_server 10.0.1.2 80 { weight 2 }
  }`);
  assert.deepEqual(table(config, {}, [false]), ['TCP 10.0.0.1:80: 10.0.1.1:80/NAT/3 10.0.1.2:80/NAT/2']);
});

test('sorry_server_inhibit keeps the sorry server at weight 0 while the quorum is up', () => {
  const config = lbConfig(`virtual_server 10.0.0.1 80 {
    protocol TCP
    sorry_server 10.0.9.9 80
    sorry_server_inhibit
    real_server 10.0.1.1 80 { }
  }`);
  assert.deepEqual(table(config, {}, [true]), ['TCP 10.0.0.1:80: 10.0.1.1:80/NAT/1 10.0.9.9:80/NAT/0']);
  assert.deepEqual(table(config, {}, [false]), ['TCP 10.0.0.1:80: 10.0.9.9:80/NAT/1']);
});

test('a sorry server that is also a real server replaces it while the quorum is down', () => {
  const config = lbConfig(`virtual_server 10.0.0.1 80 {
    protocol TCP
    quorum 2
    sorry_server 10.0.1.2 80
    sorry_server_lvs_method DR
    real_server 10.0.1.1 80 { weight 2 }
    real_server 10.0.1.2 80 { weight 5 }
  }`);
  const r1 = '10.0.0.1:80/TCP -> 10.0.1.1:80';
  const r2 = '10.0.0.1:80/TCP -> 10.0.1.2:80';
  assert.deepEqual(table(config, { [r1]: { up: true, weight: 2 }, [r2]: { up: true, weight: 5 } }, [true]), [
    'TCP 10.0.0.1:80: 10.0.1.1:80/NAT/2 10.0.1.2:80/NAT/5',
  ]);
  assert.deepEqual(
    table(config, { [r1]: { up: false, weight: 2 }, [r2]: { up: true, weight: 5 } }, [false]),
    ['TCP 10.0.0.1:80: 10.0.1.2:80/DR/1'],
  );
});

test('dynamic weights: the effective weight as the kernel gets it, clamped to 0..INT32_MAX', () => {
  assert.equal(kernelWeight(-4), 0);
  assert.equal(kernelWeight(2 ** 40), 2147483647);
  assert.deepEqual(
    table(
      POOL,
      { [A]: { up: true, weight: 253 }, [B]: { up: true, weight: -1 }, [C]: { up: true, weight: 0 } },
      [true],
    ),
    ['TCP 10.0.0.1:80: 10.0.1.1:80/NAT/253 10.0.1.2:80/NAT/0 10.0.1.3:8080/NAT/0'],
  );
});

test('servers not reported start as configured: alpha ones down', () => {
  const config = lbConfig(`virtual_server 10.0.0.1 80 {
    protocol TCP
    real_server 10.0.1.1 80 { weight 4 }
    real_server 10.0.1.2 80 {
      alpha
      TCP_CHECK { }
    }
  }`);
  assert.deepEqual(table(config, {}), ['TCP 10.0.0.1:80: 10.0.1.1:80/NAT/4']);
});

test('thresholds and tunnels reach the destinations', () => {
  const config = lbConfig(`virtual_server 10.0.0.1 80 {
    protocol TCP
    real_server 10.0.1.1 80 {
      lvs_method TUN type gue port 5555 remcsum
      uthreshold 200
      lthreshold 20
    }
  }`);
  const t = desiredTable(config, { servers: new Map(), quorumUp: [true] });
  assert.deepEqual(t.services[0]?.destinations[0], {
    family: 'inet',
    address: '10.0.1.1',
    port: 80,
    method: 'TUN',
    tunnel: { type: 'gue', port: 5555, checksum: 'remcsum' },
    weight: 1,
    upperThreshold: 200,
    lowerThreshold: 20,
  });
});

test('groups: DR servers take each entry port, NAT servers their own, fwmark DR port 0; shared fwmarks merge', () => {
  const config = lbConfig(`
  virtual_server_group G {
    10.0.0.1-2 80
    fwmark 7
  }
  virtual_server group G {
    protocol TCP
    lvs_method DR
    real_server 10.9.0.1 { }
    real_server 10.9.0.2 8080 { lvs_method NAT }
  }
  virtual_server group G {
    protocol UDP
    lvs_method DR
    real_server 10.9.0.1 { }
    real_server 10.9.0.3 { }
  }`);
  assert.deepEqual(table(config, {}), [
    'TCP 10.0.0.1:80: 10.9.0.1:80/DR/1 10.9.0.2:8080/NAT/1',
    'TCP 10.0.0.2:80: 10.9.0.1:80/DR/1 10.9.0.2:8080/NAT/1',
    'fwm 7: 10.9.0.1:0/DR/1 10.9.0.2:8080/NAT/1 10.9.0.3:0/DR/1',
    'UDP 10.0.0.1:80: 10.9.0.1:80/DR/1 10.9.0.3:80/DR/1',
    'UDP 10.0.0.2:80: 10.9.0.1:80/DR/1 10.9.0.3:80/DR/1',
  ]);
});

test('IPv6 services and destinations', () => {
  const config = lbConfig(`virtual_server 2001:db8::1 443 {
    protocol SCTP
    lvs_sched mh
    mh-port
    persistence_timeout 30
    persistence_granularity 64
    real_server 2001:db8::10 443 { }
  }`);
  const t = desiredTable(config, { servers: new Map(), quorumUp: [] });
  const s = t.services[0];
  assert.deepEqual(s?.key, {
    kind: 'address',
    family: 'inet6',
    protocol: 'SCTP',
    address: '2001:db8::1',
    port: 443,
  });
  assert.deepEqual(
    [s?.scheduler, s?.schedFlags, s?.persistence],
    ['mh', ['mh-port'], { timeoutS: 30, granularity: '64' }],
  );
  assert.equal(s?.destinations[0]?.family, 'inet6');
});
