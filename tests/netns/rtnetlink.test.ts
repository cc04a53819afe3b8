// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// The rtnetlink client against the real kernel, inside a namespace this test creates: an agent process
// (rtnetlink-agent.ts) runs the client there; every change it makes is checked with `ip -j` from outside.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NetnsLab, netnsSkipReason, run, waitForLine, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const agentScript = fileURLToPath(new URL('./rtnetlink.agent.js', import.meta.url));
const skipReason = netnsSkipReason();
const { after, before, describe, test } = gated(skipReason);

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  code?: string;
  message?: string;
}

interface IpAddr {
  family: string;
  local: string;
  prefixlen: number;
  broadcast?: string;
  label?: string;
  nodad?: boolean;
  tentative?: boolean;
  preferred_life_time?: number;
}

void describe('rtnetlink client in a network namespace', () => {
  let lab: NetnsLab;
  let member: LanMember;
  let agent: ChildProcess;
  let nextId = 1;
  // Notifications the agent printed, in order, since it subscribed.
  const events: Record<string, unknown>[] = [];

  const ip = (...args: string[]): unknown => JSON.parse(run(['ip', '-n', member.ns, '-j', ...args]) || '[]');
  const ipAddrs = (): IpAddr[] =>
    (ip('addr', 'show', 'dev', 'eth0') as { addr_info: IpAddr[] }[])[0]?.addr_info ?? [];

  /** Sends one command to the agent and waits for its answer (notifications seen meanwhile are kept). */
  async function call(op: string, args?: unknown): Promise<Reply> {
    const id = nextId++;
    agent.stdin?.write(`${JSON.stringify({ id, op, args })}\n`);
    let reply: Reply | undefined;
    await waitForLine(agent, (line) => {
      const parsed = JSON.parse(line) as Reply & { event?: Record<string, unknown> };
      if (parsed.event) events.push(parsed.event);
      else if (parsed.id === id) reply = parsed;
      return reply !== undefined;
    });
    return reply as Reply;
  }

  async function ok(op: string, args?: unknown): Promise<unknown> {
    const r = await call(op, args);
    assert.equal(r.ok, true, `${op} failed: ${r.code} ${r.message}`);
    return r.result;
  }

  /** Waits until a notification satisfying `match` has arrived. */
  async function event(match: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const seen = events.find(match);
    if (seen) return seen;
    let found: Record<string, unknown> | undefined;
    await waitForLine(
      agent,
      (line) => {
        const parsed = JSON.parse(line) as { event?: Record<string, unknown> };
        if (parsed.event) {
          events.push(parsed.event);
          if (match(parsed.event)) found = parsed.event;
        }
        return found !== undefined;
      },
      5000,
    );
    return found as Record<string, unknown>;
  }

  before(async () => {
    lab = new NetnsLab('nl');
    [member] = lab.lan(['a']) as [LanMember];
    agent = lab.spawn(member.ns, [process.execPath, agentScript], {
      ...process.env,
    });
    await waitForLine(agent, (l) => l === '"ready"');
  });
  after(() => {
    agent?.stdin?.end();
    lab?.cleanup();
  });

  void test('lists links with the kernel’s view of eth0', async () => {
    const links = (await ok('listLinks')) as {
      name: string;
      index: number;
      mac: string;
      up: boolean;
      carrier: boolean;
    }[];
    const eth0 = links.find((l) => l.name === 'eth0');
    assert.ok(eth0);
    assert.equal(eth0.index, member.ifindex);
    assert.equal(eth0.mac, member.mac);
    assert.equal(eth0.up, true);
    assert.equal(eth0.carrier, true);
    assert.ok(links.some((l) => l.name === 'lo'));
  });

  void test('IPv4 VIP with label and broadcast: add, EEXIST, list, delete, EADDRNOTAVAIL', async () => {
    const vip = { dev: 'eth0', address: '192.0.2.10/24', broadcast: '192.0.2.255', label: 'eth0:vip' };
    await ok('addAddress', vip);
    const seen = ipAddrs().find((a) => a.local === '192.0.2.10');
    assert.deepEqual(
      { prefixlen: seen?.prefixlen, broadcast: seen?.broadcast, label: seen?.label },
      { prefixlen: 24, broadcast: '192.0.2.255', label: 'eth0:vip' },
    );
    assert.equal((await call('addAddress', vip)).code, 'EEXIST');
    const listed = (await ok('listAddresses')) as { address: string; label?: string; ifindex: number }[];
    const mine = listed.find((a) => a.address === '192.0.2.10');
    assert.equal(mine?.label, 'eth0:vip');
    assert.equal(mine?.ifindex, member.ifindex);
    await ok('deleteAddress', { dev: 'eth0', address: '192.0.2.10/24' });
    assert.equal(
      ipAddrs().some((a) => a.local === '192.0.2.10'),
      false,
    );
    assert.equal(
      (await call('deleteAddress', { dev: 'eth0', address: '192.0.2.10/24' })).code,
      'EADDRNOTAVAIL',
    );
  });

  void test('IPv6 VIP with nodad and preferred_lft 0', async () => {
    const lab6 = { dev: 'eth0', address: '2001:db8::10/64', flags: 0x02 /* IFA_F_NODAD */, preferredLft: 0 };
    await ok('addAddress', lab6);
    const seen = ipAddrs().find((a) => a.local === '2001:db8::10');
    assert.ok(seen, 'address present');
    assert.equal(seen.nodad, true);
    assert.equal(seen.tentative, undefined);
    assert.equal(seen.preferred_life_time, 0);
    await ok('deleteAddress', lab6);
    assert.equal(
      ipAddrs().some((a) => a.local === '2001:db8::10'),
      false,
    );
  });

  void test('routes: via gateway with metric and protocol in a table, blackhole, IPv6; delete; ESRCH', async () => {
    await ok('addAddress', { dev: 'eth0', address: '192.0.2.2/24' });
    const viaGw = {
      dev: 'eth0',
      dst: '198.51.100.0/24',
      gateway: '192.0.2.1',
      table: 100,
      priority: 50,
      protocol: 18,
    };
    await ok('addRoute', viaGw);
    await ok('addRoute', { dst: '203.0.113.0/24', type: 'blackhole', table: 100 });
    await ok('addAddress', { dev: 'eth0', address: '2001:db8::2/64', flags: 0x02 });
    await ok('addRoute', { dev: 'eth0', dst: '2001:db8:1::/48', gateway: '2001:db8::1', table: 100 });
    const routes = ip('route', 'show', 'table', '100') as Record<string, unknown>[];
    const gw = routes.find((r) => r.dst === '198.51.100.0/24');
    assert.deepEqual(
      { gateway: gw?.gateway, dev: gw?.dev, metric: gw?.metric, protocol: gw?.protocol },
      { gateway: '192.0.2.1', dev: 'eth0', metric: 50, protocol: 'keepalived' },
    );
    assert.equal(routes.find((r) => r.dst === '203.0.113.0/24')?.type, 'blackhole');
    const routes6 = ip('-6', 'route', 'show', 'table', '100') as Record<string, unknown>[];
    assert.equal(routes6.find((r) => r.dst === '2001:db8:1::/48')?.gateway, '2001:db8::1');
    const listed = (await ok('listRoutes')) as {
      dst: string;
      table: number;
      gateway?: string;
      priority?: number;
    }[];
    assert.deepEqual(
      listed
        .filter((r) => r.table === 100)
        .map((r) => r.dst)
        .sort(),
      ['198.51.100.0/24', '2001:db8:1::/48', '203.0.113.0/24'],
    );
    await ok('deleteRoute', viaGw);
    await ok('deleteRoute', { dst: '203.0.113.0/24', type: 'blackhole', table: 100 });
    assert.deepEqual(ip('route', 'show', 'table', '100'), []);
    assert.equal((await call('deleteRoute', viaGw)).code, 'ESRCH');
  });

  void test('rules: from/fwmark/mask to a table, goto; delete; ENOENT', async () => {
    const rule = { from: '192.0.2.0/24', table: 100, priority: 1000, fwmark: 5, fwmask: 0xff };
    await ok('addRule', rule);
    await ok('addRule', { to: '10.9.0.0/16', priority: 900, action: 'goto', goto: 1000 });
    const rules = ip('rule', 'show') as Record<string, unknown>[];
    const r1 = rules.find((r) => r.priority === 1000);
    assert.deepEqual(
      { src: r1?.src, srclen: r1?.srclen, fwmark: r1?.fwmark, fwmask: r1?.fwmask, table: r1?.table },
      { src: '192.0.2.0', srclen: 24, fwmark: '0x5', fwmask: '0xff', table: '100' },
    );
    const r2 = rules.find((r) => r.priority === 900);
    assert.deepEqual(
      [r2?.dst, r2?.dstlen, r2?.goto, 'unresolved' in (r2 ?? {})],
      ['10.9.0.0', 16, 1000, false],
    );
    const listed = (await ok('listRules')) as { priority?: number; action: string; goto?: number }[];
    assert.deepEqual(
      listed.find((r) => r.priority === 900),
      { family: 4, action: 'goto', table: 0, flags: 0, to: '10.9.0.0/16', priority: 900, goto: 1000 },
    );
    await ok('deleteRule', rule);
    await ok('deleteRule', { priority: 900, action: 'goto', goto: 1000, to: '10.9.0.0/16' });
    const left = ip('rule', 'show') as Record<string, unknown>[];
    assert.equal(
      left.some((r) => r.priority === 1000 || r.priority === 900),
      false,
    );
    assert.equal((await call('deleteRule', rule)).code, 'ENOENT');
  });

  void test('VMAC: macvlan in private mode with 00:00:5e:00:01:VRID, up, sysctls, delete', async () => {
    const created = (await ok('createMacvlan', {
      name: 'vrrp.51',
      parent: 'eth0',
      mac: '00:00:5e:00:01:33',
      mode: 'private',
    })) as { name: string; kind: string; macvlanMode: string; parentIndex: number };
    assert.deepEqual(
      { kind: created.kind, mode: created.macvlanMode, parent: created.parentIndex },
      { kind: 'macvlan', mode: 'private', parent: member.ifindex },
    );
    await ok('setLinkUp', { dev: 'vrrp.51', up: true });
    const [link] = ip('-d', 'link', 'show', 'dev', 'vrrp.51') as {
      address: string;
      link: string;
      flags: string[];
      linkinfo: { info_kind: string; info_data: { mode: string } };
    }[];
    assert.equal(link?.address, '00:00:5e:00:01:33');
    assert.equal(link?.link, 'eth0');
    assert.ok(link?.flags.includes('UP'));
    assert.deepEqual([link?.linkinfo.info_kind, link?.linkinfo.info_data.mode], ['macvlan', 'private']);

    const undo = (await ok('vmacSysctls', { vmac: 'vrrp.51', parent: 'eth0' })) as { key: string }[];
    const sysctl = (key: string): string =>
      run(['ip', 'netns', 'exec', member.ns, 'sysctl', '-n', key]).trim();
    assert.equal(sysctl('net.ipv4.conf.vrrp/51.arp_ignore'), '1');
    assert.equal(sysctl('net.ipv4.conf.vrrp/51.accept_local'), '1');
    assert.equal(sysctl('net.ipv4.conf.eth0.arp_filter'), '1');
    assert.equal(undo.length, 6);

    // Like keepalived's VMACs: no kernel-generated IPv6 link-local (IFLA_AF_SPEC addr_gen_mode none).
    await ok('createMacvlan', { name: 'vrrp.52', parent: 'eth0', mode: 'bridge', noIpv6AddrGen: true });
    const [second] = ip('-d', 'link', 'show', 'dev', 'vrrp.52') as {
      inet6_addr_gen_mode: string;
      linkinfo: { info_data: { mode: string } };
    }[];
    assert.deepEqual([second?.inet6_addr_gen_mode, second?.linkinfo.info_data.mode], ['none', 'bridge']);
    await ok('deleteLink', { dev: 'vrrp.52' });

    await ok('deleteLink', { dev: 'vrrp.51' });
    assert.equal((await call('getLink', { dev: 'vrrp.51' })).code, 'ENODEV');
  });

  void test('notifications: link down/up with carrier, address removed behind our back', async () => {
    await ok('subscribe');
    await ok('addAddress', { dev: 'eth0', address: '192.0.2.77/32' });
    await event((e) => e.kind === 'address' && (e.address as { address: string }).address === '192.0.2.77');
    run(['ip', '-n', member.ns, 'addr', 'del', '192.0.2.77/32', 'dev', 'eth0']);
    const removed = await event(
      (e) =>
        e.kind === 'address' &&
        e.removed === true &&
        (e.address as { address: string }).address === '192.0.2.77',
    );
    assert.equal((removed.address as { ifindex: number }).ifindex, member.ifindex);

    run(['ip', '-n', member.ns, 'link', 'set', 'eth0', 'down']);
    const down = await event(
      (e) => e.kind === 'link' && (e.link as { name: string; up: boolean }).up === false,
    );
    assert.equal((down.link as { name: string }).name, 'eth0');
    assert.equal((down.link as { carrier: boolean }).carrier, false);
    run(['ip', '-n', member.ns, 'link', 'set', 'eth0', 'up']);
    await event((e) => e.kind === 'link' && (e.link as { up: boolean; carrier: boolean }).carrier === true);
  });
});
