// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// The nftables data plane on the real kernel, in namespaces (nft-lab.ts): a client on its own subnet, a
// load balancer running the plane, three real servers. Traffic must spread as each scheduler says, survive
// table changes it should survive, and our tables must come and go without touching anything else.
import assert from 'node:assert/strict';
import { netnsExec, netnsRun, netnsSkipReason, waitForExit } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';
import type { LbTable, Service, ServiceKey } from '../../src/lb/table/types.js';
import { serviceName } from '../../src/lb/nftables/layout.js';
import {
  type Agent,
  CLIENT4,
  destination,
  DR_PORT,
  EXTRA_CLIENTS,
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

/** Drives a plane agent with whole tables, sending the changes between them. */
class Plane {
  table: LbTable = { services: [] };
  constructor(readonly agent: Agent) {}
  async set(...services: Service[]): Promise<unknown> {
    const next = { services };
    const result = await this.agent.request({ op: 'apply', changes: tableChanges(this.table, next), next });
    this.table = next;
    return result;
  }
  async close(): Promise<void> {
    await this.agent.request({ op: 'close' });
    await waitForExit(this.agent.child);
  }
}

const [rs1, rs2, rs3] = SERVERS as [
  (typeof SERVERS)[number],
  (typeof SERVERS)[number],
  (typeof SERVERS)[number],
];
/** Listing of a persistent service's clients ("10.10.0.21 . 10.20.0.11 . 8080 expires 59s..."). */
const persistSet = (key: ServiceKey): string => `${serviceName(key)}.persist`;
const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const serverNamed = (name: string): (typeof SERVERS)[number] => {
  const s = SERVERS.find((x) => x.name === name);
  assert.ok(s, `no server ${name}`);
  return s;
};
const nat4 = (weight = 1) => SERVERS.map((s) => destination(s.v4, NAT_PORT, { weight }));
const HTTP = tcp(VIP4, 80);

describe('nftables data plane in namespaces', { timeout: 240_000 }, () => {
  let lab: NftLab;
  let plane: Plane;
  const names = (count: number, port = 80, host = VIP4, from?: string): Promise<string[]> =>
    lab.client.request<string[]>({ op: 'tcp', host, port, count, from });

  before(async () => {
    lab = await startNftLab('nft');
    // Someone else's table in the same namespace: we must never touch it.
    netnsRun(lab.lb, ['nft', 'add table inet user_marks']);
    netnsRun(lab.lb, [
      'nft',
      'add chain inet user_marks pre { type filter hook prerouting priority mangle; }',
    ]);
    netnsRun(lab.lb, ['nft', `add rule inet user_marks pre ip daddr ${VIP4} tcp dport 9000 meta mark set 5`]);
    plane = new Plane(lab.startPlane());
  });
  after(() => lab?.lab.cleanup());

  test('rr: new connections go to each real server in turn', async () => {
    await plane.set(service(HTTP, nat4()));
    const got = await names(9);
    assert.deepEqual(got, ['rs1', 'rs2', 'rs3', 'rs1', 'rs2', 'rs3', 'rs1', 'rs2', 'rs3']);
    // nft(8) reads back what we programmed (its own parser as the oracle of our encoding).
    const listing = lab.nft(['list', 'table', 'inet', 'keepalived_ts']);
    assert.match(
      listing,
      /chain prerouting \{\s+type nat hook prerouting priority dstnat; policy accept;\s+jump services/,
    );
    assert.match(listing, /ip daddr \. meta l4proto \. th dport vmap @addr4/);
    assert.match(listing, /elements = \{ 10\.10\.0\.100 \. tcp \. 80 : goto tcp4_10\.10\.0\.100_80 \}/);
    assert.match(listing, /dnat ip to numgen inc mod 3 map @tcp4_10\.10\.0\.100_80\.slots/);
    const slots = JSON.parse(
      lab.nft(['-j', 'list', 'map', 'inet', 'keepalived_ts', 'tcp4_10.10.0.100_80.slots']),
    ) as {
      nftables: { map?: { elem?: [number, { concat: [string, number] }][] } }[];
    };
    const elems = slots.nftables.find((o) => o.map)?.map?.elem ?? [];
    assert.deepEqual(elems.map(([k, v]) => [k, ...v.concat]).sort(), [
      [0, rs1.v4, NAT_PORT],
      [1, rs2.v4, NAT_PORT],
      [2, rs3.v4, NAT_PORT],
    ]);
  });

  test('wrr: connections follow the weights, in IPVS order', async () => {
    const weights = [3, 2, 1];
    await plane.set(
      service(
        HTTP,
        SERVERS.map((s, i) => destination(s.v4, NAT_PORT, { weight: weights[i] })),
        { scheduler: 'wrr' },
      ),
    );
    const got = await names(12);
    assert.deepEqual(got, [
      'rs1',
      'rs1',
      'rs2',
      'rs1',
      'rs2',
      'rs3',
      'rs1',
      'rs1',
      'rs2',
      'rs1',
      'rs2',
      'rs3',
    ]);
  });

  test('sh: each client sticks to one server, and clients spread', async () => {
    await plane.set(service(HTTP, nat4(), { scheduler: 'sh' }));
    const chosen = new Set<string>();
    for (const from of EXTRA_CLIENTS) {
      const got = await names(3, 80, VIP4, from);
      assert.equal(new Set(got).size, 1, `${from}: ${got.join(' ')}`);
      assert.match(got[0] as string, /^rs[123]$/);
      chosen.add(got[0] as string);
    }
    assert.ok(chosen.size >= 2, `8 clients all on ${[...chosen].join(',')}`);
  });

  test('persistence: a client keeps its server; quiescing that server moves it, others keep theirs', async () => {
    const persistent = { persistence: { timeoutS: 60, granularity: '255.255.255.255' } };
    await plane.set(service(HTTP, nat4(), persistent));
    const first: string[] = [];
    for (const from of EXTRA_CLIENTS.slice(0, 3)) {
      const got = await names(4, 80, VIP4, from);
      assert.equal(new Set(got).size, 1, `${from}: ${got.join(' ')}`);
      first.push(got[0] as string);
    }
    // rr picks for new clients in turn.
    assert.deepEqual(first, ['rs1', 'rs2', 'rs3']);
    // Each client is remembered, with a timeout, with the server it went to.
    const remembered = lab.nft(['list', 'set', 'inet', 'keepalived_ts', persistSet(HTTP)]);
    for (const [i, from] of EXTRA_CLIENTS.slice(0, 3).entries()) {
      const server = (SERVERS[i] as (typeof SERVERS)[number]).v4;
      assert.ok(remembered.includes(`${from} . ${server} . ${NAT_PORT} `), remembered);
      assert.equal(remembered.split(`${from} . `).length - 1, 1, remembered);
    }
    // rs1 quiesced (weight 0): its client moves, the others stay.
    await plane.set(
      service(HTTP, [destination(rs1.v4, NAT_PORT, { weight: 0 }), ...nat4().slice(1)], persistent),
    );
    const moved = await names(3, 80, VIP4, EXTRA_CLIENTS[0]);
    assert.equal(new Set(moved).size, 1);
    assert.notEqual(moved[0], 'rs1');
    assert.deepEqual(await names(2, 80, VIP4, EXTRA_CLIENTS[1]), ['rs2', 'rs2']);
    assert.deepEqual(await names(2, 80, VIP4, EXTRA_CLIENTS[2]), ['rs3', 'rs3']);
    // rs1 back: the client it lost stays where it went; removed, then back, the same.
    await plane.set(service(HTTP, nat4(), persistent));
    assert.deepEqual(await names(2, 80, VIP4, EXTRA_CLIENTS[0]), [moved[0], moved[0]]);
    await plane.set(service(HTTP, nat4().slice(1), persistent));
    assert.deepEqual(await names(2, 80, VIP4, EXTRA_CLIENTS[1]), ['rs2', 'rs2']);
    await plane.set(service(HTTP, nat4(), persistent));
    assert.deepEqual(await names(2, 80, VIP4, EXTRA_CLIENTS[0]), [moved[0], moved[0]]);
  });

  test('removing a server stops new connections to it, an established one carries on; adding it back', async () => {
    await plane.set(service(HTTP, nat4()));
    const greeting = await lab.client.request<string>({ op: 'open', conn: 'a', host: VIP4, port: 80 });
    assert.equal(greeting, 'rs1');
    assert.equal(await lab.client.request({ op: 'send', conn: 'a', text: 'one' }), 'rs1:one');
    await plane.set(service(HTTP, nat4().slice(1)));
    const after = await names(6);
    assert.ok(!after.includes('rs1'), after.join(' '));
    assert.deepEqual(new Set(after), new Set(['rs2', 'rs3']));
    assert.equal(await lab.client.request({ op: 'send', conn: 'a', text: 'two' }), 'rs1:two');
    await plane.set(service(HTTP, nat4()));
    assert.ok((await names(6)).includes('rs1'));
    assert.equal(await lab.client.request({ op: 'send', conn: 'a', text: 'three' }), 'rs1:three');
    await lab.client.request({ op: 'end', conn: 'a' });
  });

  test('weight 0: no new connections, established ones continue', async () => {
    await plane.set(service(HTTP, nat4()));
    assert.equal(await lab.client.request({ op: 'open', conn: 'b', host: VIP4, port: 80 }), 'rs1');
    await plane.set(service(HTTP, [destination(rs1.v4, NAT_PORT, { weight: 0 }), ...nat4().slice(1)]));
    const got = await names(6);
    assert.deepEqual(new Set(got), new Set(['rs2', 'rs3']));
    assert.equal(await lab.client.request({ op: 'send', conn: 'b', text: 'x' }), 'rs1:x');
    await lab.client.request({ op: 'end', conn: 'b' });
  });

  test('fo, dh, mh and sh-port', async () => {
    const weighted = [1, 5, 3];
    await plane.set(
      service(
        HTTP,
        SERVERS.map((s, i) => destination(s.v4, NAT_PORT, { weight: weighted[i] })),
        { scheduler: 'fo' },
      ),
    );
    assert.deepEqual(await names(4), ['rs2', 'rs2', 'rs2', 'rs2']);
    await plane.set(service(HTTP, nat4(), { scheduler: 'dh' }));
    const byDestination = await names(4);
    assert.equal(new Set(byDestination).size, 1, byDestination.join(' '));
    await plane.set(service(HTTP, nat4(), { scheduler: 'mh' }));
    const chosen = new Set<string>();
    for (const from of EXTRA_CLIENTS) {
      const got = await names(3, 80, VIP4, from);
      assert.equal(new Set(got).size, 1, `${from}: ${got.join(' ')}`);
      chosen.add(got[0] as string);
    }
    assert.ok(chosen.size >= 2, [...chosen].join(' '));
    await plane.set(service(HTTP, nat4(), { scheduler: 'sh', schedFlags: ['sh-port'] }));
    const byPort = await names(9, 80, VIP4, EXTRA_CLIENTS[0]);
    assert.ok(new Set(byPort).size >= 2, `source ports hash apart: ${byPort.join(' ')}`);
  });

  test('persistence: IPv6 with a /64 granularity; entries expire after the timeout', async () => {
    await plane.set(
      service(
        tcp(VIP6, 80),
        SERVERS.map((s) => destination(s.v6, NAT_PORT)),
        {
          persistence: { timeoutS: 60, granularity: '64' },
        },
      ),
      service(HTTP, nat4(), { persistence: { timeoutS: 1, granularity: '255.255.255.0' } }),
    );
    const v6 = await names(4, 80, VIP6);
    assert.equal(new Set(v6).size, 1, v6.join(' '));
    const v6Server = serverNamed(v6[0] as string);
    assert.match(
      lab.nft(['list', 'set', 'inet', 'keepalived_ts', persistSet(tcp(VIP6, 80))]),
      new RegExp(`fd00:10:: \\. ${escaped(v6Server.v6)} \\. ${NAT_PORT} `),
    );
    // Clients of one /24 share their server.
    const a = await names(2, 80, VIP4, EXTRA_CLIENTS[0]);
    const b = await names(2, 80, VIP4, EXTRA_CLIENTS[5]);
    assert.equal(new Set([...a, ...b]).size, 1, [...a, ...b].join(' '));
    const entry = `10.10.0.0 . ${serverNamed(a[0] as string).v4} . ${NAT_PORT} `;
    assert.ok(lab.nft(['list', 'set', 'inet', 'keepalived_ts', persistSet(HTTP)]).includes(entry));
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(!lab.nft(['list', 'set', 'inet', 'keepalived_ts', persistSet(HTTP)]).includes(entry));
  });

  test('UDP and IPv6', async () => {
    await plane.set(
      service(HTTP, nat4()),
      service(
        { kind: 'address', family: 'inet', protocol: 'UDP', address: VIP4, port: 53 },
        SERVERS.map((s) => destination(s.v4, UDP_PORT)),
      ),
      service(
        tcp(VIP6, 80),
        SERVERS.map((s) => destination(s.v6, NAT_PORT)),
      ),
    );
    assert.deepEqual(await lab.client.request({ op: 'udp', host: VIP4, port: 53, count: 6 }), [
      'rs1',
      'rs2',
      'rs3',
      'rs1',
      'rs2',
      'rs3',
    ]);
    assert.deepEqual(await names(6, 80, VIP6), ['rs1', 'rs2', 'rs3', 'rs1', 'rs2', 'rs3']);
  });

  test('fwmark: packets marked by someone else’s rule go to the fwmark service', async () => {
    await plane.set(
      service({ kind: 'fwmark', family: 'inet', fwmark: 5 }, [
        destination(rs2.v4, NAT_PORT),
        destination(rs3.v4, NAT_PORT),
      ]),
    );
    assert.deepEqual(await names(4, 9000), ['rs2', 'rs3', 'rs2', 'rs3']);
  });

  test('DR: forwarded at layer 2 to servers holding the VIP, IPv4 and IPv6, established flows kept', async () => {
    const dr = (family: 4 | 6) =>
      SERVERS.map((s) => destination(family === 4 ? s.v4 : s.v6, DR_PORT, { method: 'DR' }));
    await plane.set(service(tcp(VIP4, DR_PORT), dr(4)), service(tcp(VIP6, DR_PORT), dr(6)));
    assert.deepEqual(await names(6, DR_PORT), ['rs1', 'rs2', 'rs3', 'rs1', 'rs2', 'rs3']);
    assert.deepEqual(await names(3, DR_PORT, VIP6), ['rs1', 'rs2', 'rs3']);
    const listing = lab.nft(['list', 'chain', 'netdev', 'keepalived_ts', 'ingress']);
    assert.match(listing, /type filter hook ingress/);
    // The connection map carries a flow through a table change, as IPVS's connection table does.
    assert.equal(await lab.client.request({ op: 'open', conn: 'c', host: VIP4, port: DR_PORT }), 'rs1');
    await plane.set(service(tcp(VIP4, DR_PORT), dr(4).slice(1)), service(tcp(VIP6, DR_PORT), dr(6)));
    assert.ok(!(await names(4, DR_PORT)).includes('rs1'));
    assert.equal(await lab.client.request({ op: 'send', conn: 'c', text: 'dr' }), 'rs1:dr');
    // The client's connections with rs1, as the DR connection sets hold them ("10.10.0.2 . 40312 .
    // 10.20.0.11 expires ...").
    const held = (set: 'conns' | 'closing'): number =>
      lab
        .nft(['list', 'set', 'netdev', 'keepalived_ts', `tcp4_10.10.0.100_9080.${set}`])
        .match(new RegExp(`${escaped(CLIENT4)} \\. \\d+ \\. ${escaped(rs1.v4)} `, 'g'))?.length ?? 0;
    assert.equal(held('conns'), 1);
    // Its FIN moves the connection to the short-lived closing map.
    await lab.client.request({ op: 'end', conn: 'c' });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(held('conns'), 0);
    assert.ok(held('closing') >= 1);
    // DR with persistence: each client keeps its server.
    await plane.set(
      service(tcp(VIP4, DR_PORT), dr(4), { persistence: { timeoutS: 60, granularity: '255.255.255.255' } }),
    );
    for (const from of EXTRA_CLIENTS.slice(0, 3)) {
      const got = await names(3, DR_PORT, VIP4, from);
      assert.equal(new Set(got).size, 1, `${from}: ${got.join(' ')}`);
    }
  });

  test('nft(8) lists every kind of service we install, with traffic in its dynamic sets', async () => {
    const udp = (address: string, port: number): ServiceKey => ({
      kind: 'address',
      family: address.includes(':') ? 'inet6' : 'inet',
      protocol: 'UDP',
      address,
      port,
    });
    const v4 = (port: number, extra: Partial<Parameters<typeof destination>[2]> = {}) =>
      SERVERS.map((x) => destination(x.v4, port, extra));
    const v6 = (port: number, extra: Partial<Parameters<typeof destination>[2]> = {}) =>
      SERVERS.map((x) => destination(x.v6, port, extra));
    const dr = { method: 'DR' } as const;
    const slash24 = { persistence: { timeoutS: 60, granularity: '255.255.255.0' } };
    const slash64 = { persistence: { timeoutS: 60, granularity: '64' } };
    const services = [
      service(tcp(VIP4, 80), v4(NAT_PORT)),
      service(tcp(VIP4, 81), v4(NAT_PORT, { weight: 2 }), { scheduler: 'wrr' }),
      service(tcp(VIP4, 82), v4(NAT_PORT), { scheduler: 'sh', schedFlags: ['sh-port'] }),
      service(tcp(VIP4, 83), v4(NAT_PORT), { scheduler: 'dh' }),
      service(tcp(VIP4, 84), v4(NAT_PORT), { scheduler: 'mh' }),
      service(tcp(VIP4, 85), v4(NAT_PORT), { scheduler: 'fo' }),
      service(tcp(VIP4, 86), v4(NAT_PORT), slash24),
      service(tcp(VIP6, 86), v6(NAT_PORT), slash64),
      service(udp(VIP4, 53), v4(UDP_PORT)),
      service({ kind: 'fwmark', family: 'inet', fwmark: 5 }, v4(NAT_PORT)),
      service(tcp(VIP4, DR_PORT), v4(DR_PORT, dr)),
      service(tcp(VIP6, DR_PORT), v6(DR_PORT, dr)),
      service(tcp(VIP4, NAT_PORT), v4(NAT_PORT, dr), slash24),
      service(tcp(VIP6, NAT_PORT), v6(NAT_PORT, dr), slash64),
      service(udp(VIP4, UDP_PORT), v4(UDP_PORT, dr), { scheduler: 'sh' }),
    ];
    await plane.set(...services);

    // Traffic through each, leaving entries in the persistence and connection sets (one DR connection open).
    const answered = (got: string[]): void => assert.match(got.join(' '), /^rs[123]( rs[123])*$/);
    for (const port of [80, 81, 82, 83, 84, 85, 86, DR_PORT, NAT_PORT]) answered(await names(2, port));
    for (const port of [86, DR_PORT, NAT_PORT]) answered(await names(2, port, VIP6));
    answered(await names(2, 9000));
    for (const port of [53, UDP_PORT])
      answered(await lab.client.request<string[]>({ op: 'udp', host: VIP4, port, count: 2 }));
    answered([await lab.client.request<string>({ op: 'open', conn: 'l', host: VIP4, port: NAT_PORT })]);
    // rs3 leaves every service: the rules of a departed server are listed too.
    await plane.set(
      ...services.map((x) => ({
        ...x,
        destinations: x.destinations.filter((d) => d.address !== rs3.v4 && d.address !== rs3.v6),
      })),
    );

    const nft = (args: string[]) => {
      const r = netnsExec(lab.lb, ['nft', ...args]);
      assert.equal(r.status, 0, `nft ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      assert.equal(r.stderr, '', `nft ${args.join(' ')}`);
      return r.stdout;
    };
    const text = nft(['list', 'ruleset']);
    assert.match(text, /^table inet keepalived_ts \{$/m);
    assert.match(text, /^table netdev keepalived_ts \{$/m);
    assert.match(text, /^table inet user_marks \{$/m);
    // The rules name their servers, and the dynamic sets show their entries.
    const rs1To = (key: ServiceKey, port: number) => `${serviceName(key)}.to_${rs1.v4}_${port}`;
    assert.match(
      text,
      new RegExp(
        `chain ${rs1To(tcp(VIP4, 86), NAT_PORT)} \\{\\s+update @\\S+ \\{ [^}]+ \\} dnat ip to ${rs1.v4}:${NAT_PORT}`,
      ),
    );
    assert.ok(text.includes(`fwd ip to ${rs1.v4} device "eth1"`), text);
    assert.ok(text.includes(`fwd ip6 to ${rs1.v6} device "eth1"`), text);
    assert.match(
      text,
      /set tcp4_10\.10\.0\.100_86\.persist \{[^}]+elements = \{ 10\.10\.0\.0 \. 10\.20\.0\.1[123] \. 8080 /,
    );
    assert.match(
      text,
      /set tcp4_10\.10\.0\.100_8080\.conns \{[^}]+elements = \{ 10\.10\.0\.2 \. \d+ \. 10\.20\.0\.1[123] /,
    );

    type NftJson = { nftables: Record<string, { family?: string; table?: string; name?: string }>[] };
    const json = JSON.parse(nft(['-j', 'list', 'ruleset'])) as NftJson;
    const ours = (kind: string) =>
      json.nftables.flatMap((o) => (o[kind]?.table === 'keepalived_ts' ? [o[kind]] : []));
    const tables = json.nftables.flatMap((o) => (o.table?.name === 'keepalived_ts' ? [o.table.family] : []));
    assert.deepEqual(tables.sort(), ['inet', 'netdev']);
    const chains = ours('chain');
    for (const s of services)
      assert.ok(
        chains.some((c) => c?.name === serviceName(s.key)),
        `chain ${serviceName(s.key)} listed`,
      );
    assert.ok(ours('rule').length > 100);
    // Every chain of ours lists on its own, as an operator would look at it.
    for (const c of chains) nft(['list', 'chain', c?.family as string, 'keepalived_ts', c?.name as string]);
    await lab.client.request({ op: 'end', conn: 'l' });
  });

  test('an unsupported service is refused with its reason, and nothing changes', async () => {
    await plane.set(service(HTTP, nat4()));
    const before = lab.nft(['list', 'table', 'inet', 'keepalived_ts']);
    await assert.rejects(plane.set(service(HTTP, nat4(), { scheduler: 'wlc' })), /lb_algo wlc .*use wrr/);
    plane.table = { services: [service(HTTP, nat4())] };
    assert.equal(lab.nft(['list', 'table', 'inet', 'keepalived_ts']), before);
  });

  test('a clean close removes our tables and nothing else; a start after a crash replaces what was left', async () => {
    await plane.close();
    const tables = lab.nft(['list', 'tables']);
    assert.ok(!tables.includes('keepalived_ts'), tables);
    assert.ok(tables.includes('table inet user_marks'), tables);

    // A run that crashes leaves its table behind...
    const crashed = new Plane(lab.startPlane());
    await crashed.set(service(tcp(VIP4, 81), nat4()), service(HTTP, [destination(rs3.v4, NAT_PORT)]));
    crashed.agent.send({ op: 'crash' });
    await waitForExit(crashed.agent.child);
    assert.match(lab.nft(['list', 'tables']), /table inet keepalived_ts/);
    assert.deepEqual(await names(2), ['rs3', 'rs3'], 'the stale table still balances');

    // ...and the next run's first apply replaces it in one transaction.
    plane = new Plane(lab.startPlane());
    await plane.set(service(HTTP, nat4()));
    const listing = lab.nft(['list', 'table', 'inet', 'keepalived_ts']);
    assert.ok(!listing.includes('tcp4_10.10.0.100_81'), listing);
    assert.deepEqual(await names(3), ['rs1', 'rs2', 'rs3']);
    assert.ok(lab.nft(['list', 'tables']).includes('table inet user_marks'));
  });
});
