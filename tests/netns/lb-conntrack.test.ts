// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// Finding 1 of docs/reliability.md end to end: our full daemon on the nftables data plane
// (tests/helpers/lb-lab.ts, one balancer) checks three real servers with HTTP_GET, DNS_CHECK (UDP) and
// TCP_CHECK over IPv6 every second; after some seconds of checks the balancer's conntrack table must hold
// no entry of them, while the client's requests through the VIPs are still NATed (and tracked).
import assert from 'node:assert/strict';
import { netnsRun, netnsSkipReason } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';
import { CLIENT4, DNS_NAME, LbLab, REAL_SERVERS, VIP4, VIP6 } from '../helpers/lb-lab.js';
import { sleep, type VrrpDaemon, waitUntil } from '../helpers/vrrp-lab.js';

const { describe, test, before, after } = gated(netnsSkipReason() ?? missingTools('nft', 'nginx', 'dnsmasq'));

const CHECK_SECONDS = 8;
const TIMING = ['connect_timeout 1', 'retry 1', 'delay_before_retry 1'];

function virtualServer(address: string, port: number, protocol: 'TCP' | 'UDP', check: string[]): string {
  const v6 = address.includes(':');
  return [
    `virtual_server ${address} ${port} {`,
    'delay_loop 1',
    'lvs_sched rr',
    'lvs_method NAT',
    `protocol ${protocol}`,
    ...REAL_SERVERS.flatMap((rs) => [
      `real_server ${v6 ? rs.v6 : rs.v4} ${port} {`,
      ...check,
      ...TIMING,
      '}',
      '}',
    ]),
    '}',
    '',
  ].join('\n');
}

const SITE = [
  virtualServer(VIP4, 80, 'TCP', ['HTTP_GET {', 'url {', 'path /', 'status_code 200', '}']),
  virtualServer(VIP4, 53, 'UDP', ['DNS_CHECK {', 'type A', `name ${DNS_NAME}`]),
  virtualServer(VIP6, 80, 'TCP', ['TCP_CHECK {']),
].join('\n');

const SERVER_ADDRESSES = new Set(REAL_SERVERS.flatMap((rs) => [rs.v4, rs.v6]));

describe('nftables plane: the daemon keeps its checks out of conntrack', { timeout: 120_000 }, () => {
  let lab: LbLab;
  let lb1: VrrpDaemon;

  before(async () => {
    lab = await LbLab.start('lbct', { balancers: 1 });
    lb1 = lab.startBalancer({ index: 1, priority: 150, advertInt: 0.5, virtualServers: SITE });
    await lb1.waitForState('VI_FRONT', 'MASTER', 20_000);
    await waitUntil(
      () => lab.slots(1, `tcp4_${VIP4}_80`).length === 3,
      () => `every real server in lb1's table\n${lb1.log()}`,
      20_000,
    );
  });
  after(async () => {
    await lb1?.stop().catch(() => undefined);
    await lab?.cleanup();
  });

  test(`${CHECK_SECONDS} s of checks leave no conntrack entry; the VIPs are still NATed`, async () => {
    await sleep(CHECK_SECONDS * 1000);
    const ns = lab.balancerNs[0] as string;
    const entries = netnsRun(ns, ['cat', '/proc/net/nf_conntrack']).split('\n').filter(Boolean);
    // An entry of a check: original direction from the balancer to a real server (src= the balancer,
    // dst= the server); the client's entries go to a VIP.
    const checks = entries.filter((l) => {
      const dst = /dst=(\S+)/.exec(l)?.[1];
      return dst !== undefined && SERVER_ADDRESSES.has(dst);
    });
    assert.deepEqual(checks, [], 'no entry from the balancer to a real server');
    // The checks did run: their connections are in the plane's own sets.
    const sets = netnsRun(ns, ['nft', 'list', 'table', 'inet', 'keepalived_ts']);
    assert.match(sets, /set checks4 \{[^}]*elements = \{[^}]*10\.3\.0\.1[123] \. tcp \. 80 \./s);
    assert.match(sets, /set checks4 \{[^}]*elements = \{[^}]*10\.3\.0\.1[123] \. udp \. 53 \./s);
    assert.match(sets, /set checks6 \{[^}]*elements = \{[^}]*fd00:3::1[123] \. tcp \. 80 \./s);

    const names = await lab.client.request<string[]>({ op: 'http', host: VIP4, port: 80, count: 6 });
    assert.deepEqual([...new Set(names)].sort(), REAL_SERVERS.map((s) => s.name).sort());
    const dns = await lab.client.request<string[]>({
      op: 'dns',
      host: VIP4,
      port: 53,
      name: DNS_NAME,
      type: 'A',
      count: 3,
    });
    assert.deepEqual([...dns].sort(), REAL_SERVERS.map((s) => s.v4).sort());
    const nated = netnsRun(ns, ['cat', '/proc/net/nf_conntrack'])
      .split('\n')
      .filter((l) => l.includes(`src=${CLIENT4} dst=${VIP4}`));
    assert.ok(nated.length >= 9, `the client's connections tracked and NATed:\n${nated.join('\n')}`);
    console.log(
      `lb1 after ${CHECK_SECONDS} s of checks: ${entries.length} conntrack entries, none of a check; ` +
        `${nated.length} of the client through the VIP`,
    );
  });
});
