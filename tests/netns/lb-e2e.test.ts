// The load balancer end to end: two balancers running our full daemon (VRRP and checkers) share the VIPs
// of a classic LVS-NAT site (tests/helpers/lb-lab.ts): a client behind a router, nginx and dnsmasq on three
// real servers whose gateway is the back VIP, a sorry server. What the client sees through the VIP must be
// what keepalived's virtual servers promise: each scheduler's spread, persistence, a failed real server
// drained within its checker's timing and back when it recovers, the sorry server when the quorum is lost,
// UDP and IPv6, and new connections served again within the VRRP takeover time when lb1 is lost.
// This kernel has no IPVS: the table is the nftables data plane's (lvs_data_plane nftables).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { netnsExec, netnsRun, netnsSkipReason } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';
import {
  balancerConfig,
  CLIENTS4,
  DNS_NAME,
  LbLab,
  masterDownIntervalMs,
  REAL_SERVERS,
  type RealServer,
  type Slot,
  SORRY_SERVER,
  VIP4,
  VIP6,
} from '../helpers/lb-lab.js';
import { hasAddress, sleep, type VrrpDaemon, waitUntil } from '../helpers/vrrp-lab.js';

const { describe, test, before, after } = gated(netnsSkipReason() ?? missingTools('nft', 'nginx', 'dnsmasq'));

// Checker timing of every real server: a stopped one is out after at most
// delay_loop + retry x delay_before_retry (+ connect_timeout for a probe that hangs).
const DELAY_LOOP = 1;
const RETRY = 1;
const DELAY_BEFORE_RETRY = 1;
const CONNECT_TIMEOUT = 1;
/** What a loaded 2-core machine may add to any protocol bound (scheduling, our log, nft's commit). */
const SLACK_MS = 1500;
const ADVERT_INT = 0.5;
/** From a daemon's launch until each of its checkers has probed once (Node start, 1 s, delay_loop, probe). */
const CHECKER_WARMUP_MS = 1000 + 1000 + DELAY_LOOP * 1000 + 1500;
const PRIORITY = { lb1: 150, lb2: 100 };

const TIMING = [
  `connect_timeout ${CONNECT_TIMEOUT}`,
  `retry ${RETRY}`,
  `delay_before_retry ${DELAY_BEFORE_RETRY}`,
];

type Check = 'TCP' | 'HTTP' | 'DNS_A' | 'DNS_AAAA';

function checkBlock(check: Check): string[] {
  switch (check) {
    case 'TCP':
      return ['TCP_CHECK {', ...TIMING, '}'];
    case 'HTTP':
      return ['HTTP_GET {', 'url {', 'path /', 'status_code 200', '}', ...TIMING, '}'];
    case 'DNS_A':
    case 'DNS_AAAA':
      return ['DNS_CHECK {', `type ${check.slice(4)}`, `name ${DNS_NAME}`, ...TIMING, '}'];
  }
}

interface VsSpec {
  address: string;
  port: number;
  protocol?: 'TCP' | 'UDP';
  scheduler: string;
  check: Check;
  weights?: number[];
  extra?: string[];
}

function virtualServer(vs: VsSpec): string {
  const v6 = vs.address.includes(':');
  const lines = [
    `virtual_server ${vs.address} ${vs.port} {`,
    `delay_loop ${DELAY_LOOP}`,
    `lvs_sched ${vs.scheduler}`,
    'lvs_method NAT',
    `protocol ${vs.protocol ?? 'TCP'}`,
    ...(vs.extra ?? []),
  ];
  const port = vs.protocol === 'UDP' ? 53 : 80;
  REAL_SERVERS.forEach((rs, i) => {
    lines.push(`real_server ${v6 ? rs.v6 : rs.v4} ${port} {`, `weight ${vs.weights?.[i] ?? 1}`);
    lines.push(...checkBlock(vs.check), '}');
  });
  lines.push('}', '');
  return lines.join('\n');
}

const HTTP_RR = { address: VIP4, port: 80 };
const HTTP_WRR = { address: VIP4, port: 81 };
const HTTP_SH = { address: VIP4, port: 82 };
const HTTP_PERSIST = { address: VIP4, port: 83 };
const HTTP_QUORUM = { address: VIP4, port: 84 };
const WRR_WEIGHTS = [1, 2, 3];

const RELOADED_WRR_WEIGHTS = [3, 2, 1];
const HTTP_ADDED = { address: VIP4, port: 85 };

/** The site's virtual servers; `reloaded`: after the reload test's edit (wrr reweighted, :84 out, :85 in). */
function siteVirtualServers(reloaded = false): string {
  return [
    virtualServer({ ...HTTP_RR, scheduler: 'rr', check: 'HTTP' }),
    virtualServer({
      ...HTTP_WRR,
      scheduler: 'wrr',
      check: 'TCP',
      weights: reloaded ? RELOADED_WRR_WEIGHTS : WRR_WEIGHTS,
    }),
    virtualServer({ ...HTTP_SH, scheduler: 'sh', check: 'TCP' }),
    virtualServer({ ...HTTP_PERSIST, scheduler: 'rr', check: 'TCP', extra: ['persistence_timeout 30'] }),
    reloaded
      ? virtualServer({ ...HTTP_ADDED, scheduler: 'rr', check: 'TCP' })
      : virtualServer({
          ...HTTP_QUORUM,
          scheduler: 'rr',
          check: 'TCP',
          extra: ['quorum 3', `sorry_server ${SORRY_SERVER.v4} 80`],
        }),
    virtualServer({ address: VIP4, port: 53, protocol: 'UDP', scheduler: 'rr', check: 'DNS_A' }),
    virtualServer({ address: VIP6, port: 80, scheduler: 'rr', check: 'TCP' }),
    virtualServer({ address: VIP6, port: 53, protocol: 'UDP', scheduler: 'rr', check: 'DNS_AAAA' }),
  ].join('\n');
}

/** Service names in our nftables table. */
const tcp4 = (port: number): string => `tcp4_${VIP4}_${port}`;
const OTHER_SERVICES = [
  `udp4_${VIP4}_53`,
  `tcp6_${VIP6.replaceAll(':', '-')}_80`,
  `udp6_${VIP6.replaceAll(':', '-')}_53`,
];
const SERVICES = [...[80, 81, 82, 83, 84].map(tcp4), ...OTHER_SERVICES];
const RELOADED_SERVICES = [...[80, 81, 82, 83, 85].map(tcp4), ...OTHER_SERVICES];

const NAMES = REAL_SERVERS.map((s) => s.name);
const WATCH_MS = 6000;

interface Attempt {
  sentAt: number;
  answeredAt?: number;
  body: string;
}

/** waitUntil for an asynchronous condition. */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe('load balancing end to end: two balancers, VRRP, checkers, nftables', { timeout: 240_000 }, () => {
  let lab: LbLab;
  let lb1: VrrpDaemon;
  let lb2: VrrpDaemon;

  const http = (port: number, count: number, from?: string, host = VIP4): Promise<string[]> =>
    lab.client.request<string[]>({ op: 'http', host, port, count, from });
  const dns = (host: string, type: 'A' | 'AAAA', count: number): Promise<string[]> =>
    lab.client.request<string[]>({ op: 'dns', host, port: 53, name: DNS_NAME, type, count });
  /** The services each balancer holds (lb1's change at the reload test). */
  const services: Record<1 | 2, string[]> = { 1: SERVICES, 2: SERVICES };
  const servesEveryone = (lbIndex: 1 | 2): boolean =>
    services[lbIndex].every((s) => {
      const slots = lab.slots(lbIndex, s);
      const addresses = new Set(slots.map((x) => x.address));
      return addresses.size === 3 && !addresses.has(SORRY_SERVER.v4);
    });
  /** Each client address's server on the persistent VS :83. */
  const persistentOf = async (): Promise<Map<string, string>> => {
    const m = new Map<string, string>();
    for (const from of CLIENTS4) m.set(from, (await http(HTTP_PERSIST.port, 1, from))[0] as string);
    return m;
  };
  const slotsText = (lbIndex: 1 | 2): string =>
    services[lbIndex]
      .map((s) => `${s}: ${JSON.stringify(lab.slots(lbIndex, s).map((x) => x.address))}`)
      .join('\n');

  before(async () => {
    lab = await LbLab.start('lbe2e');
    const spec = { advertInt: ADVERT_INT, virtualServers: siteVirtualServers() };
    lb1 = lab.startBalancer({ ...spec, index: 1, priority: PRIORITY.lb1 });
    lb2 = lab.startBalancer({ ...spec, index: 2, priority: PRIORITY.lb2 });
    await lb1.waitForState('VI_FRONT', 'MASTER', 20_000);
    await lb1.waitForState('VI_BACK', 'MASTER', 5000);
    await lb2.waitForState('VI_FRONT', 'BACKUP', 5000);
    // keepalived's checkers start with their retries spent (the first failure before a first success is
    // final): give every checker its first probe, 1 s + up to delay_loop after its start, before any test
    // stops a server.
    await sleep(lb2.startedAt + CHECKER_WARMUP_MS - Date.now());
    for (const i of [1, 2] as const)
      await waitUntil(
        () => servesEveryone(i),
        () => `lb${i}'s table with every real server:\n${slotsText(i)}`,
      );
    // The router learns the VIP's address from lb1's gratuitous ARP / NA.
    await until(async () => (await http(80, 1))[0]?.startsWith('rs') ?? false, 'the VIP answering');
  });
  after(async () => {
    await lab?.cleanup();
  });

  /** Asserts that `names` go to each real server in turn: every window of 3 holds all three. */
  const assertInTurn = (names: string[], servers: string[] = NAMES): void => {
    for (let i = 0; i + 3 <= names.length; i++)
      assert.deepEqual(
        [...names.slice(i, i + 3)].sort(),
        [...servers].sort(),
        `not in turn: ${names.join(' ')}`,
      );
  };

  test('rr: new connections go to each real server in turn', async () => {
    const names = await http(80, 12);
    assertInTurn(names);
    // The order is the table's order, slot after slot.
    for (let i = 3; i < names.length; i++) assert.equal(names[i], names[i - 3]);
  });

  test('wrr: new connections follow the weights 1:2:3, cycle after cycle', async () => {
    const names = await http(HTTP_WRR.port, 60);
    const count = (n: string): number => names.filter((x) => x === n).length;
    assert.deepEqual(
      NAMES.map(count),
      WRR_WEIGHTS.map((w) => w * 10),
      names.join(' '),
    );
    for (let i = 6; i < names.length; i++) assert.equal(names[i], names[i - 6], 'one cycle is 6 connections');
  });

  test('sh: each client always reaches the same real server; clients spread', async () => {
    const seen = new Map<string, string[]>();
    for (const from of CLIENTS4) seen.set(from, await http(HTTP_SH.port, 4, from));
    for (const [from, names] of seen) {
      assert.ok(names[0]?.startsWith('rs'), `${from}: ${names.join(' ')}`);
      assert.deepEqual(new Set(names).size, 1, `${from} moved between servers: ${names.join(' ')}`);
    }
    const used = new Set([...seen.values()].map((n) => n[0]));
    assert.ok(used.size >= 2, `8 clients all hashed to ${[...used].join(' ')}`);
  });

  test('persistence_timeout: a client stays on its server across connections (rr would move it)', async () => {
    const seen = new Map<string, string[]>();
    for (const from of CLIENTS4) seen.set(from, await http(HTTP_PERSIST.port, 4, from));
    for (const [from, names] of seen) {
      assert.ok(names[0]?.startsWith('rs'), `${from}: ${names.join(' ')}`);
      assert.equal(new Set(names).size, 1, `${from} moved between servers: ${names.join(' ')}`);
    }
    // New clients are still scheduled rr: 8 of them in a row use every server.
    assert.deepEqual(new Set([...seen.values()].map((n) => n[0])), new Set(NAMES));
    // Without persistence, the same client moves at every connection.
    assert.equal(new Set(await http(HTTP_RR.port, 3, CLIENTS4[0])).size, 3);
  });

  test('UDP: DNS queries through the VIP go to each dnsmasq in turn', async () => {
    const answers = await dns(VIP4, 'A', 9);
    assertInTurn(
      answers,
      REAL_SERVERS.map((s) => s.v4),
    );
  });

  test('IPv6: HTTP and DNS through the IPv6 VIP', async () => {
    assertInTurn(await http(80, 9, undefined, VIP6));
    assertInTurn(
      await dns(VIP6, 'AAAA', 9),
      REAL_SERVERS.map((s) => s.v6),
    );
  });

  test('a stopped real server is drained within its checker timing and returns when it comes back', async () => {
    // A connection kept open to one server must outlive another server's removal.
    const kept = await lab.client.request<string>({ op: 'hold', conn: 'kept', host: VIP4, port: 80 });
    const victim = REAL_SERVERS.find((s) => s.name !== kept) as RealServer;
    const inSlots = (): boolean => lab.slots(1, tcp4(80)).some((s: Slot) => s.address === victim.v4);
    assert.ok(inSlots());
    // Persistent clients (VS :83) of the victim must move to another server, and then stay there.
    const before = await persistentOf();
    const moving = CLIENTS4.filter((c) => before.get(c) === victim.name);
    assert.ok(moving.length > 0, `no persistent client on ${victim.name}: ${[...before.values()].join(' ')}`);

    let drainedMs = 0;
    let moved = new Map<string, string>();
    const stoppedAt = Date.now();
    await lab.stopNginx(victim.name);
    // Whatever happens, the next tests need the server back.
    try {
      const boundMs = (DELAY_LOOP + RETRY * DELAY_BEFORE_RETRY + CONNECT_TIMEOUT) * 1000 + SLACK_MS;
      await waitUntil(() => !inSlots(), `${victim.name} out of lb1's table`, boundMs + 5000, 20);
      drainedMs = Date.now() - stoppedAt;
      await lb1.waitForLog(
        new RegExp(`Removing service \\[${victim.v4}\\]:tcp:80 from VS \\[${VIP4}\\]:tcp:80`),
      );
      // Two failed probes delay_before_retry apart, at most delay_loop after the stop.
      assert.ok(
        drainedMs >= RETRY * DELAY_BEFORE_RETRY * 1000 - 200,
        `drained after ${drainedMs} ms: sooner than retry x delay_before_retry`,
      );
      assert.ok(drainedMs <= boundMs, `drained after ${drainedMs} ms (bound ${boundMs} ms)`);
      const after = await http(80, 8);
      assert.ok(
        after.every((n) => n !== victim.name && n.startsWith('rs')),
        `after the drain: ${after.join(' ')}`,
      );
      assert.equal(new Set(after).size, 2);
      assert.equal(
        await lab.client.request({ op: 'again', conn: 'kept' }),
        kept,
        'the open connection survives',
      );
      // lb2's checkers judge the same.
      await waitUntil(
        () => !lab.slots(2, tcp4(80)).some((s) => s.address === victim.v4),
        `${victim.name} out of lb2's table`,
      );
      await waitUntil(
        () => !lab.slots(1, tcp4(HTTP_PERSIST.port)).some((s) => s.address === victim.v4),
        `${victim.name} out of VS :83`,
      );
      moved = await persistentOf();
      for (const c of CLIENTS4) {
        const now = moved.get(c) as string;
        if (moving.includes(c)) assert.ok(now !== victim.name && now.startsWith('rs'), `${c} went to ${now}`);
        else assert.equal(now, before.get(c), `${c} moved though its server is up`);
      }
    } catch (error) {
      lab.startNginx(victim.name);
      throw error;
    }

    lab.startNginx(victim.name);
    const startedAt = Date.now();
    // HTTP_GET recovers as keepalived's does: the failed url passes (at most delay_loop after it listens),
    // then a whole round of urls a delay_loop later puts it back (check/schedule/http-epilog.ts).
    const backBoundMs = (2 * DELAY_LOOP + CONNECT_TIMEOUT) * 1000 + SLACK_MS;
    await waitUntil(inSlots, `${victim.name} back in lb1's table`, backBoundMs + 5000, 20);
    const backMs = Date.now() - startedAt;
    assert.ok(backMs <= backBoundMs, `back after ${backMs} ms (bound ${backBoundMs} ms)`);
    assertInTurn(await http(80, 6));
    assert.deepEqual(await persistentOf(), moved, 'persistent clients stay where they are');
    await lab.client.request({ op: 'drop', conn: 'kept' });
    for (const i of [1, 2] as const)
      await waitUntil(
        () => servesEveryone(i),
        () => `lb${i}'s table whole again:\n${slotsText(i)}`,
      );
    console.log(`# ${victim.name} drained in ${drainedMs} ms, back in ${backMs} ms`);
  });

  test('quorum lost: the sorry server takes the traffic; quorum back: the real servers again', async () => {
    const sorryOnly = (): boolean => {
      const slots = lab.slots(1, tcp4(HTTP_QUORUM.port));
      return slots.length > 0 && slots.every((s) => s.address === SORRY_SERVER.v4);
    };
    assertInTurn(await http(HTTP_QUORUM.port, 3));
    const victim = REAL_SERVERS[1] as RealServer;
    const vsName = `VS \\[${VIP4.replaceAll('.', '\\.')}\\]:tcp:${HTTP_QUORUM.port}`;
    const mark = lb1.mark();
    await lab.stopNginx(victim.name);
    try {
      await waitUntil(sorryOnly, () => `only the sorry server in VS :84:\n${slotsText(1)}`, 10_000);
      await lb1.waitForLog(new RegExp(`Lost quorum 3-0=3 > 2 for ${vsName}`), 5000, mark);
      assert.deepEqual(await http(HTTP_QUORUM.port, 4), Array(4).fill(SORRY_SERVER.name));
      // A virtual server without a quorum just loses the server.
      await waitUntil(
        () => !lab.slots(1, tcp4(80)).some((s) => s.address === victim.v4),
        `${victim.name} out of VS :80`,
      );
      assert.ok((await http(80, 4)).every((n) => n !== victim.name && n.startsWith('rs')));
    } finally {
      lab.startNginx(victim.name);
    }
    await waitUntil(
      () => servesEveryone(1),
      () => `quorum back:\n${slotsText(1)}`,
      10_000,
    );
    await lb1.waitForLog(new RegExp(`Gained quorum 3\\+0=3 <= 3 for ${vsName}`), 5000, mark);
    assertInTurn(await http(HTTP_QUORUM.port, 6));
    await waitUntil(
      () => servesEveryone(2),
      () => `lb2 whole again:\n${slotsText(2)}`,
    );
  });

  test('reload (SIGHUP): an edited, a removed and an added virtual server; the others untouched', async () => {
    const lb1Ns = lab.balancerNs[0] as string;
    const chainOf = (port: number): string =>
      netnsRun(lb1Ns, ['nft', '-a', 'list', 'chain', 'inet', 'keepalived_ts', tcp4(port)]);
    const untouched = [chainOf(HTTP_RR.port), chainOf(HTTP_SH.port)];
    const kept = await lab.client.request<string>({ op: 'hold', conn: 'reload', host: VIP4, port: 80 });
    const persistent = await persistentOf();
    const mark = lb1.mark();
    writeFileSync(
      lb1.files.config,
      balancerConfig({
        index: 1,
        priority: PRIORITY.lb1,
        advertInt: ADVERT_INT,
        virtualServers: siteVirtualServers(true),
      }),
    );
    services[1] = RELOADED_SERVICES;
    process.kill(Number(readFileSync(lb1.files.pid, 'utf8').trim()), 'SIGHUP');
    await lb1.waitForLog(/Reloading configuration/, 10_000, mark);
    const perServer = (slots: Slot[]): number[] =>
      REAL_SERVERS.map((rs) => slots.filter((x) => x.address === rs.v4).length);
    await waitUntil(
      () =>
        lab.slots(1, tcp4(HTTP_ADDED.port)).length === 3 &&
        lab.slots(1, tcp4(HTTP_QUORUM.port)).length === 0 &&
        perServer(lab.slots(1, tcp4(HTTP_WRR.port))).join() === RELOADED_WRR_WEIGHTS.join(),
      () => `lb1's table after the reload:\n${slotsText(1)}`,
    );
    const names = await http(HTTP_WRR.port, 60);
    assert.deepEqual(
      NAMES.map((n) => names.filter((x) => x === n).length),
      RELOADED_WRR_WEIGHTS.map((w) => w * 10),
    );
    assertInTurn(await http(HTTP_ADDED.port, 6));
    // The removed service's port is no longer translated: the VIP itself refuses it.
    assert.deepEqual(await http(HTTP_QUORUM.port, 1), ['ERR ECONNREFUSED']);
    assert.equal(
      await lab.client.request({ op: 'again', conn: 'reload' }),
      kept,
      'the open connection survives',
    );
    await lab.client.request({ op: 'drop', conn: 'reload' });
    // Unchanged services keep their very rules (same handles): nothing rebuilt.
    assert.deepEqual([chainOf(HTTP_RR.port), chainOf(HTTP_SH.port)], untouched);
    assert.deepEqual(await persistentOf(), persistent, 'persistent clients keep their servers');
    assert.ok(servesEveryone(1), slotsText(1));
    const transitions = lb1.lines.slice(mark).filter((l) => /Entering \w+ STATE/i.test(l));
    assert.deepEqual(transitions, [], 'the reload moved no VRRP instance');
  });

  test("an operator's `nft list ruleset` (and -j) on the balancer works with our table in it", () => {
    for (const args of [
      ['list', 'ruleset'],
      ['-j', 'list', 'ruleset'],
    ]) {
      const r = netnsExec(lab.balancerNs[0] as string, ['nft', ...args]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /keepalived_ts/);
    }
  });

  /**
   * Watches new connections to the VIP (one every 50 ms) while `act` runs: the longest time without an
   * answer, from the last answer before it to the first after it; every attempt after that must be answered.
   */
  const outage = async (
    act: () => void | Promise<unknown>,
  ): Promise<{ gapMs: number; resumedAt: number }> => {
    const watching = lab.client.request<Attempt[]>(
      { op: 'watch', host: VIP4, port: 80, everyMs: 50, timeoutMs: 400, durationMs: WATCH_MS },
      WATCH_MS + 10_000,
    );
    await sleep(500);
    await act();
    const attempts = await watching;
    const answered = attempts
      .flatMap((a) => (a.answeredAt !== undefined ? [a.answeredAt] : []))
      .sort((x, y) => x - y);
    let gapMs = 0;
    let resumedAt = 0;
    for (let i = 1; i < answered.length; i++) {
      const gap = (answered[i] as number) - (answered[i - 1] as number);
      if (gap > gapMs) [gapMs, resumedAt] = [gap, answered[i] as number];
    }
    const failedAfter = attempts.filter((a) => a.sentAt > resumedAt && a.answeredAt === undefined);
    assert.deepEqual(failedAfter, [], 'new connections fail again after the takeover');
    assert.ok(
      answered.length > 0 && (answered.at(-1) as number) > resumedAt,
      'nothing answered after the gap',
    );
    return { gapMs, resumedAt };
  };

  test('failover: lb1 cut off, lb2 serves new connections within the master-down interval', async () => {
    const mark = lb2.mark();
    let cutAt = 0;
    const { gapMs, resumedAt } = await outage(() => {
      lab.setCables(1, false);
      cutAt = Date.now();
    });
    try {
      const master = await lb2.waitForState('VI_FRONT', 'MASTER', 5000, mark);
      await lb2.waitForState('VI_BACK', 'MASTER', 5000, mark);
      const mdi = masterDownIntervalMs(ADVERT_INT, PRIORITY.lb2);
      console.log(
        `# cut lb1: lb2 MASTER ${master.at - cutAt} ms after the cut; new connections unanswered for ${gapMs} ms, ` +
          `served again ${resumedAt - cutAt} ms after the cut (master-down interval ${mdi} ms)`,
      );
      // lb1's last advert left at most one advert interval before the cut.
      assert.ok(
        resumedAt - cutAt >= mdi - ADVERT_INT * 1000 - 100,
        `served again too soon: ${resumedAt - cutAt} ms`,
      );
      assert.ok(
        gapMs <= mdi + SLACK_MS,
        `no new connection served for ${gapMs} ms (master-down interval ${mdi} ms)`,
      );
      assert.ok(hasAddress(lab.balancerNs[1] as string, VIP4, 'eth0'));
      assertInTurn(await http(80, 6));
      assertInTurn(await http(80, 6, undefined, VIP6));
    } catch (error) {
      lab.setCables(1, true);
      throw error;
    }

    // lb1 back: it takes the VIPs again (higher priority).
    const mark1 = lb1.mark();
    lab.setCables(1, true);
    await lb1.waitForState('VI_FRONT', 'MASTER', 10_000, mark1);
    await waitUntil(
      () => servesEveryone(1),
      () => `lb1's table after the cut:\n${slotsText(1)}`,
      10_000,
    );
    await until(
      async () => (await http(80, 1))[0]?.startsWith('rs') ?? false,
      'the VIP served through lb1 again',
    );
  });

  test('failover: lb1 stopped (priority 0 advert), lb2 serves at once; lb1 leaves no table behind', async () => {
    const mark = lb2.mark();
    let exitCode: number | null = null;
    const { gapMs } = await outage(async () => {
      exitCode = await lb1.stop('SIGTERM');
    });
    await lb2.waitForState('VI_FRONT', 'MASTER', 5000, mark);
    // RFC 5798: a backup hearing priority 0 takes over after its skew time.
    const skewMs = Math.floor(((256 - PRIORITY.lb2) * ADVERT_INT * 100) / 256) * 10;
    console.log(`# stop lb1: new connections unanswered for ${gapMs} ms (skew time ${skewMs} ms)`);
    assert.ok(
      gapMs <= skewMs + SLACK_MS,
      `no new connection served for ${gapMs} ms (skew time ${skewMs} ms)`,
    );
    assert.equal(exitCode, 0);
    assert.doesNotMatch(netnsRun(lab.balancerNs[0] as string, ['nft', 'list', 'tables']), /keepalived_ts/);
    assertInTurn(await http(80, 6));
  });
});
