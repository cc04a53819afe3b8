// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// The checker's own connections kept out of conntrack (src/lb/nftables/notrack.ts), on the real kernel in
// namespaces (nft-lab.ts): the load balancer's namespace runs the plane (whose NAT turns conntrack on) and
// a second traffic client that connects like the checkers do (connect, read, close; one UDP datagram and
// its answer). The connections to a check target must leave no entry in lb's conntrack table, those to
// anything else must (the control), and load-balanced traffic must still be NATed both ways: from the
// client through the VIP, and from lb itself through the VIP to a real server that is also a check target.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { netnsRun, netnsSkipReason, waitForExit, waitForLine } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';
import type { CheckTarget } from '../../src/lb/nftables/notrack.js';
import type { LbTable } from '../../src/lb/table/types.js';
import {
  Agent,
  CLIENT4,
  destination,
  NAT_PORT,
  type NftLab,
  SERVERS,
  service,
  startNftLab,
  tableChanges,
  tcp,
  UDP_PORT,
  VIP4,
  VIP6,
} from './nft-lab.js';

const { after, before, describe, test } = gated(netnsSkipReason() ?? missingTools('nft'));

const [rs1, rs2, rs3] = SERVERS as [
  (typeof SERVERS)[number],
  (typeof SERVERS)[number],
  (typeof SERVERS)[number],
];
const CHECKS = 40;
const LB_BACK4 = '10.20.0.1';
const LB_FRONT4 = '10.10.0.1';
const TRAFFIC_AGENT = fileURLToPath(new URL('./nft-traffic.agent.js', import.meta.url));

/** A service on the balancer itself (loopback), checked too. */
const LOCAL_TCP_PORT = 9191;
const LOCAL_UDP_PORT = 9192;
/** The same local service on a port no checker connects to: the control. */
const LOCAL_CONTROL_PORT = 9193;

/** rs1 is checked (TCP and UDP, IPv4 and IPv6); rs2 is not: its connections are the control. */
const TARGETS: CheckTarget[] = [
  { family: 'inet', protocol: 'TCP', address: rs1.v4, port: NAT_PORT },
  { family: 'inet', protocol: 'UDP', address: rs1.v4, port: UDP_PORT },
  { family: 'inet6', protocol: 'TCP', address: rs1.v6, port: NAT_PORT },
  { family: 'inet', protocol: 'TCP', address: rs3.v4, port: NAT_PORT },
  { family: 'inet', protocol: 'TCP', address: '127.0.0.1', port: LOCAL_TCP_PORT },
  { family: 'inet', protocol: 'UDP', address: '127.0.0.1', port: LOCAL_UDP_PORT },
  { family: 'inet6', protocol: 'TCP', address: '::1', port: LOCAL_TCP_PORT },
  { family: 'inet', protocol: 'ICMP', address: rs1.v4, port: 0 },
  { family: 'inet6', protocol: 'ICMP', address: rs1.v6, port: 0 },
];

interface Entry {
  line: string;
  /** The original direction's src, dst, dport; the reply direction's src. */
  src: string;
  dst: string;
  dport: string;
  replySrc: string;
}

/** lb's conntrack table (/proc/net/nf_conntrack is per namespace). */
function conntrack(lab: NftLab): Entry[] {
  const text = netnsRun(lab.lb, ['cat', '/proc/net/nf_conntrack']);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const src = [...line.matchAll(/src=(\S+)/g)].map((m) => m[1] as string);
      const dst = [...line.matchAll(/dst=(\S+)/g)].map((m) => m[1] as string);
      const dport = /dport=(\d+)/.exec(line)?.[1] ?? '';
      return { line, src: src[0] ?? '', dst: dst[0] ?? '', dport, replySrc: src[1] ?? '' };
    });
}

/** Entries of connections between lb and `address` (either direction), or with `address` as reply source. */
const touching = (entries: Entry[], address: string, port: number): Entry[] =>
  entries.filter(
    (e) =>
      ((e.dst === address || e.src === address) && e.dport === String(port)) ||
      (e.src === address && e.dst !== VIP4),
  );

describe('nftables plane: the checks stay out of conntrack', { timeout: 120_000 }, () => {
  let lab: NftLab;
  let plane: Agent;
  /** A client in lb's own namespace: the checker's connections, and a local client of the VIP. */
  let local: Agent;
  let table: LbTable = { services: [] };

  before(async () => {
    lab = await startNftLab('ntk');
    plane = lab.startPlane();
    local = new Agent(
      lab.lab.spawn(lab.lb, [process.execPath, TRAFFIC_AGENT], { ...process.env, KTS_NFT_AGENT: 'client' }),
    );
    const localServer = lab.lab.spawn(
      lab.lb,
      [process.execPath, TRAFFIC_AGENT, 'lb', `${LOCAL_TCP_PORT},${LOCAL_CONTROL_PORT}`, `${LOCAL_UDP_PORT}`],
      { ...process.env, KTS_NFT_AGENT: 'server' },
    );
    await waitForLine(localServer, (l) => l === 'ready');
    const next = {
      services: [
        service(
          tcp(VIP4, 80),
          SERVERS.map((s) => destination(s.v4, NAT_PORT)),
        ),
        service(
          tcp(VIP6, 80),
          SERVERS.map((s) => destination(s.v6, NAT_PORT)),
        ),
      ],
    };
    await plane.request({ op: 'checks', targets: TARGETS });
    await plane.request({ op: 'apply', changes: tableChanges(table, next), next });
    table = next;
  });
  after(async () => {
    if (plane) {
      await plane.request({ op: 'close' }).catch(() => undefined);
      await waitForExit(plane.child).catch(() => undefined);
    }
    lab?.lab.cleanup();
  });

  test('nft(8) reads the raw chains back', () => {
    const listing = lab.nft(['list', 'table', 'inet', 'keepalived_ts']);
    assert.match(
      listing,
      /chain raw_output \{\s+type filter hook output priority raw; policy accept;\s+ip daddr \. meta l4proto \. th dport @checked4 update @checks4 \{ ip daddr \. meta l4proto \. th dport \. ip saddr \. th sport \} notrack/,
    );
    assert.match(
      listing,
      /chain raw_prerouting \{\s+type filter hook prerouting priority raw; policy accept;\s+ip saddr \. meta l4proto \. th sport \. ip daddr \. th dport @checks4 notrack/,
    );
    assert.match(listing, new RegExp(`${rs1.v4.replaceAll('.', '\\.')} \\. tcp \\. ${NAT_PORT}`));
    assert.match(listing, new RegExp(`${rs1.v4.replaceAll('.', '\\.')} \\. udp \\. ${UDP_PORT}`));
  });

  test(`${CHECKS} TCP checks of a target leave no conntrack entry; of another server, one each`, async () => {
    const checked = await local.request<string[]>({ op: 'tcp', host: rs1.v4, port: NAT_PORT, count: CHECKS });
    const control = await local.request<string[]>({ op: 'tcp', host: rs2.v4, port: NAT_PORT, count: CHECKS });
    assert.deepEqual(new Set(checked), new Set(['rs1']), 'the checks were answered');
    assert.deepEqual(new Set(control), new Set(['rs2']));
    const entries = conntrack(lab);
    assert.deepEqual(
      touching(entries, rs1.v4, NAT_PORT).map((e) => e.line),
      [],
      'no entry for the checks of rs1',
    );
    const rs2Entries = entries.filter((e) => e.src === LB_BACK4 && e.dst === rs2.v4);
    assert.equal(rs2Entries.length, CHECKS, 'the control: each connection to rs2 tracked');
    // The checks' connections are recorded in the plane's own set meanwhile.
    assert.match(
      lab.nft(['list', 'set', 'inet', 'keepalived_ts', 'checks4']),
      /10\.20\.0\.11 \. tcp \. 8080 \. 10\.20\.0\.1 \. \d+/,
    );
  });

  test('UDP and IPv6 checks leave no entry either', async () => {
    const udp = await local.request<string[]>({ op: 'udp', host: rs1.v4, port: UDP_PORT, count: 10 });
    assert.deepEqual(new Set(udp), new Set(['rs1']));
    const v6 = await local.request<string[]>({ op: 'tcp', host: rs1.v6, port: NAT_PORT, count: 10 });
    assert.deepEqual(new Set(v6), new Set(['rs1']));
    const control = await local.request<string[]>({ op: 'udp', host: rs2.v4, port: UDP_PORT, count: 3 });
    assert.deepEqual(new Set(control), new Set(['rs2']));
    const entries = conntrack(lab);
    assert.deepEqual(
      touching(entries, rs1.v4, UDP_PORT).map((e) => e.line),
      [],
    );
    assert.deepEqual(
      touching(entries, rs1.v6, NAT_PORT).map((e) => e.line),
      [],
    );
    assert.equal(entries.filter((e) => e.dst === rs2.v4 && e.dport === String(UDP_PORT)).length, 3);
  });

  test("PING_CHECKs' echo requests and replies leave no entry; pings of an address not pinged, one each", async () => {
    const v4 = await local.request<string[]>({ op: 'ping', host: rs1.v4, port: 0, count: 5 });
    const v6 = await local.request<string[]>({ op: 'ping', host: rs1.v6, port: 0, count: 5 });
    const control = await local.request<string[]>({ op: 'ping', host: rs2.v4, port: 0, count: 3 });
    for (const answers of [v4, v6, control])
      assert.ok(
        answers.every((a) => a === 'reply'),
        `${answers}`,
      );
    const icmp = netnsRun(lab.lb, ['cat', '/proc/net/nf_conntrack'])
      .split('\n')
      .filter((l) => / icmp(v6)? /.test(l));
    const to = (address: string): string[] => icmp.filter((l) => l.includes(`dst=${address} `));
    assert.deepEqual([...to(rs1.v4), ...to(rs1.v6)], [], 'no entry for the pings of rs1');
    // the control: one entry per echo (each has its own id in the checker's probe)
    assert.ok(to(rs2.v4).length >= 1, `the pings of rs2 tracked:\n${icmp.join('\n')}`);
  });

  test('checks of a service on the balancer itself (it answers from the output hook) leave no entry', async () => {
    const tcp4 = await local.request<string[]>({
      op: 'tcp',
      host: '127.0.0.1',
      port: LOCAL_TCP_PORT,
      count: 10,
    });
    const tcp6 = await local.request<string[]>({ op: 'tcp', host: '::1', port: LOCAL_TCP_PORT, count: 10 });
    const udp = await local.request<string[]>({
      op: 'udp',
      host: '127.0.0.1',
      port: LOCAL_UDP_PORT,
      count: 5,
    });
    for (const names of [tcp4, tcp6, udp]) assert.deepEqual(new Set(names), new Set(['lb']));
    const local4 = conntrack(lab).filter((e) =>
      new RegExp(`port=(${LOCAL_TCP_PORT}|${LOCAL_UDP_PORT})\\b`).test(e.line),
    );
    const local6 = netnsRun(lab.lb, ['cat', '/proc/net/nf_conntrack'])
      .split('\n')
      .filter((l) => l.startsWith('ipv6') && l.includes(`port=${LOCAL_TCP_PORT}`));
    assert.deepEqual([...local4.map((e) => e.line), ...local6], []);
    const control = await local.request<string[]>({
      op: 'tcp',
      host: '127.0.0.1',
      port: LOCAL_CONTROL_PORT,
      count: 4,
    });
    assert.deepEqual(new Set(control), new Set(['lb']));
    const tracked = conntrack(lab).filter((e) => e.dport === String(LOCAL_CONTROL_PORT));
    assert.equal(tracked.length, 4, 'the control: each connection to the other port tracked');
  });

  test('the client through the VIP is still NATed to every server, checked ones included', async () => {
    const names = await lab.client.request<string[]>({ op: 'tcp', host: VIP4, port: 80, count: 6 });
    assert.deepEqual(names, ['rs1', 'rs2', 'rs3', 'rs1', 'rs2', 'rs3']);
    const names6 = await lab.client.request<string[]>({ op: 'tcp', host: VIP6, port: 80, count: 3 });
    assert.deepEqual(names6, ['rs1', 'rs2', 'rs3']);
    // Tracked and translated: the original goes to the VIP, the reply comes from the real server.
    const nated = conntrack(lab).filter((e) => e.src === CLIENT4 && e.dst === VIP4);
    assert.deepEqual(
      [...new Set(nated.map((e) => e.replySrc))].sort(),
      [rs1.v4, rs2.v4, rs3.v4],
      nated.map((e) => e.line).join('\n'),
    );
  });

  test('a client on the balancer itself through the VIP: replies from a checked server are de-NATed', async () => {
    // rs1:8080 is a check target; the local client's connection to the VIP must still be translated back.
    // From lb's front address: the lab's real servers hold the VIP on lo (for DR), so they would answer
    // a connection from the VIP to themselves.
    const names = await local.request<string[]>({
      op: 'tcp',
      host: VIP4,
      port: 80,
      count: 6,
      from: LB_FRONT4,
    });
    assert.deepEqual(names, ['rs1', 'rs2', 'rs3', 'rs1', 'rs2', 'rs3']);
    const nated = conntrack(lab).filter((e) => e.dst === VIP4 && e.src === LB_FRONT4);
    assert.ok(
      nated.some((e) => e.replySrc === rs1.v4),
      `the local client's connection to rs1 through the VIP is tracked:\n${nated.map((e) => e.line).join('\n')}`,
    );
  });

  test('targets removed: their connections are tracked again', async () => {
    await plane.request({ op: 'checks', targets: TARGETS.filter((t) => t.address !== rs1.v4) });
    await local.request<string[]>({ op: 'tcp', host: rs1.v4, port: NAT_PORT, count: 5 });
    const entries = conntrack(lab).filter((e) => e.src === LB_BACK4 && e.dst === rs1.v4);
    assert.equal(entries.length, 5);
    assert.doesNotMatch(
      lab.nft(['list', 'set', 'inet', 'keepalived_ts', 'checked4']),
      /10\.20\.0\.11 \. tcp/,
    );
    assert.match(
      lab.nft(['list', 'set', 'inet', 'keepalived_ts', 'checked4']),
      /10\.20\.0\.13 \. tcp \. 8080/,
    );
  });
});
