// The VRRP firewall's pure side: which configurations turn it on (keepalived 2.2.7's rules), which instances
// drop their VIPs' traffic, and the objects the planner builds, in keepalived's order, as instances enter
// and leave MASTER. The kernel side is tests/netns/vrrp-strict-firewall.test.ts (nft list ruleset against
// keepalived's).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, type Model } from '../../../src/config/index.js';
import {
  dropsVipTraffic,
  firewallAddresses,
  firewallSettings,
  type FirewallSettings,
} from '../../../src/vrrp/firewall/settings.js';
import { FirewallPlanner, type FirewallOp } from '../../../src/vrrp/firewall/planner.js';
import { ruleExpressions } from '../../../src/daemon/vrrp/firewall.js';
import { MemoryHost } from '../config/memory-host.js';

function model(global: string, instance = '', vips = '10.0.0.100/24'): Model {
  const text = `global_defs {\n${global}\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n version 3\n${instance}\n virtual_ipaddress {\n${vips}\n }\n}\n`;
  return loadModel('/k.conf', new MemoryHost({ '/k.conf': text }), { configId: 'n' }).model;
}

const SETTINGS: FirewallSettings = {
  table: 'keepalived',
  priority: -1,
  counters: false,
  ifindexForLinkLocal: false,
};

/** One line per operation, for readable expectations. */
function lines(ops: readonly FirewallOp[]): string[] {
  return ops.map((o) => {
    switch (o.op) {
      case 'add-chain':
        return `chain ${o.family} ${o.name}${o.hook ? ` ${o.hook.hook} ${o.hook.priority}` : ''}`;
      case 'add-set':
        return `set ${o.family} ${o.name} ${o.type}${o.constant ? ' constant' : ''}`;
      case 'add-rule':
        return `rule ${o.family} ${o.chain} ${o.rule.match}`;
      case 'add-elements':
      case 'delete-elements':
        return `${o.op} ${o.family} ${o.set} ${JSON.stringify(o.elements)}`;
      case 'delete-stale-tables':
        return `delete-stale ${o.families.join(' ')}`;
      default:
        return `${o.op} ${o.family}`;
    }
  });
}

describe('firewallSettings', () => {
  test("vrrp_strict turns it on with keepalived's defaults, and says why", () => {
    const s = firewallSettings(model('vrrp_strict'));
    assert.deepEqual(s, {
      table: 'keepalived',
      priority: -1,
      counters: false,
      ifindexForLinkLocal: false,
      impliedBy: 'use_vmac or no_accept/strict specified, but no firewall configured - using nftables',
    });
  });
  test('no firewall without strict mode, no_accept, use_vmac or a firewall keyword', () => {
    assert.equal(firewallSettings(model('')), undefined);
  });
  test('no_accept alone turns it on', () => {
    assert.equal(firewallSettings(model('', 'no_accept'))?.table, 'keepalived');
  });
  test('nftables NAME, nftables_priority, nftables_counters, nftables_ifindex', () => {
    const s = firewallSettings(
      model('nftables fw\nnftables_priority -7\nnftables_counters\nnftables_ifindex'),
    );
    assert.deepEqual(s, { table: 'fw', priority: -7, counters: true, ifindexForLinkLocal: true });
  });
  test('vrrp_iptables means nftables with the default table (a build without iptables)', () => {
    assert.equal(firewallSettings(model('vrrp_iptables INPUT OUTPUT'))?.table, 'keepalived');
  });
});

describe('dropsVipTraffic', () => {
  test('strict mode: a non-owner drops, accept keeps it open, the owner never drops', () => {
    assert.equal(dropsVipTraffic(model('vrrp_strict').instances[0]!), true);
    assert.equal(dropsVipTraffic(model('vrrp_strict', 'accept').instances[0]!), false);
    const owner = model('vrrp_strict', 'priority 255\n no_accept').instances[0]!;
    assert.equal(dropsVipTraffic(owner), false);
    assert.equal(dropsVipTraffic(model('').instances[0]!), false);
  });
});

describe('firewallAddresses', () => {
  const v6 = ' fe80::100/64\n fd00::100/64\n fe80::200/64 dev eth1';
  test('link-local VIPs are keyed by index, by name with dont_track_primary on the own device', () => {
    const plain = firewallAddresses(model('vrrp_strict', '', v6).instances[0]!, SETTINGS);
    assert.deepEqual(
      plain.map((a) => [a.address, a.device, a.linkLocal]),
      [
        ['fe80::100', 'eth0', 'ifindex'],
        ['fd00::100', 'eth0', undefined],
        ['fe80::200', 'eth1', 'ifindex'],
      ],
    );
    const dtp = firewallAddresses(model('vrrp_strict', 'dont_track_primary', v6).instances[0]!, SETTINGS);
    assert.deepEqual(
      dtp.map((a) => a.linkLocal),
      ['ifname', undefined, 'ifindex'],
    );
    const forced = firewallAddresses(model('vrrp_strict', 'dont_track_primary', v6).instances[0]!, {
      ifindexForLinkLocal: true,
    });
    assert.deepEqual(
      forced.map((a) => a.linkLocal),
      ['ifindex', undefined, 'ifindex'],
    );
  });
});

describe('FirewallPlanner', () => {
  const ifindex = (dev: string): number | undefined => ({ eth0: 2, eth1: 3 })[dev];
  const v4 = [{ family: 4 as const, address: '10.0.0.100', device: 'eth0' }];
  const v6 = [
    { family: 6 as const, address: 'fe80::100', device: 'eth0', linkLocal: 'ifindex' as const },
    { family: 6 as const, address: 'fd00::100', device: 'eth0' },
  ];

  test("the first IPv4 VIP builds the ip table in keepalived's order, then adds the element", () => {
    const p = new FirewallPlanner(SETTINGS);
    assert.deepEqual(lines(p.add('VI_1', v4, ifindex)), [
      'delete-stale ip ip6',
      'add-table ip',
      'chain ip out output -1',
      'chain ip in input -1',
      'set ip vips ipv4_addr',
      'rule ip in address',
      'rule ip out address',
      'add-elements ip vips [{"address":"10.0.0.100"}]',
    ]);
    // entering MASTER again changes nothing; leaving removes the element and keeps the table
    assert.deepEqual(p.add('VI_1', v4, ifindex), []);
    assert.deepEqual(lines(p.remove('VI_1')), ['delete-elements ip vips [{"address":"10.0.0.100"}]']);
    assert.deepEqual(lines(p.add('VI_1', v4, ifindex)), ['add-elements ip vips [{"address":"10.0.0.100"}]']);
    assert.deepEqual(lines(p.stop()), ['delete-table ip']);
  });

  test('IPv6: chains, neighbour discovery accepted, link-local goto, then the link-local set once', () => {
    const p = new FirewallPlanner(SETTINGS);
    p.add('VI_4', v4, ifindex);
    assert.deepEqual(lines(p.add('VI_6', v6, ifindex)), [
      'add-table ip6',
      'chain ip6 out output -1',
      'chain ip6 in input -1',
      'chain ip6 in_link_local',
      'chain ip6 out_link_local',
      'set ip6 vips ipv6_addr',
      'set ip6 neighbor-discovery icmpv6_type constant',
      'add-elements ip6 neighbor-discovery [{"icmpv6Type":135},{"icmpv6Type":136}]',
      'rule ip6 in icmpv6-type',
      'rule ip6 in link-local',
      'rule ip6 out icmpv6-type',
      'rule ip6 out link-local',
      'rule ip6 in address',
      'rule ip6 out address',
      'set ip6 vips_link_local ipv6_addr . iface_index',
      'rule ip6 in_link_local address-interface',
      'rule ip6 out_link_local address-interface',
      'add-elements ip6 vips [{"address":"fd00::100"}]',
      'add-elements ip6 vips_link_local [{"address":"fe80::100","ifindex":2}]',
    ]);
    assert.deepEqual(lines(p.stop()), ['delete-table ip', 'delete-table ip6']);
  });

  test('a VIP two instances hold leaves the set with the last of them', () => {
    const p = new FirewallPlanner(SETTINGS);
    p.add('A', v4, ifindex);
    assert.deepEqual(p.add('B', v4, ifindex), []);
    assert.deepEqual(p.remove('A'), []);
    assert.equal(lines(p.remove('B')).length, 1);
  });

  test("a VMAC builds the family's table, map and multicast rule before any VIP, as keepalived does", () => {
    const p = new FirewallPlanner(SETTINGS);
    assert.deepEqual(lines(p.addVmac({ ifindex: 7, base: 2, families: ['ip'] })), [
      'delete-stale ip ip6',
      'add-table ip',
      'chain ip out output -1',
      'set ip vmac_map iface_index : iface_index',
      'rule ip out move-multicast-report',
      'add-elements ip vmac_map [{"ifindex":7,"base":2}]',
    ]);
    // the VIP objects come later, after the table's output chain that is already there
    assert.deepEqual(lines(p.add('VI_1', v4, ifindex)).slice(0, 4), [
      'chain ip in input -1',
      'set ip vips ipv4_addr',
      'rule ip in address',
      'rule ip out address',
    ]);
    // an IPv6 VMAC (or an IPv4 one with IPv6 excluded VIPs) also gets the set and router solicitation drop
    assert.deepEqual(lines(p.addVmac({ ifindex: 8, base: 2, families: ['ip6'] })), [
      'add-table ip6',
      'chain ip6 out output -1',
      'set ip6 vmac_map iface_index : iface_index',
      'set ip6 vmac_set iface_index',
      'rule ip6 out move-multicast-report',
      'rule ip6 out vmac-router-solicit',
      'add-elements ip6 vmac_map [{"ifindex":8,"base":2}]',
      'add-elements ip6 vmac_set [{"ifindex":8}]',
    ]);
    assert.deepEqual(lines(p.addVmac({ ifindex: 9, base: 3, families: ['ip'] })), [
      'add-elements ip vmac_map [{"ifindex":9,"base":3}]',
    ]);
    assert.deepEqual(lines(p.removeVmac(8)), [
      'delete-elements ip6 vmac_map [{"ifindex":8,"base":2}]',
      'delete-elements ip6 vmac_set [{"ifindex":8}]',
    ]);
    assert.deepEqual(p.removeVmac(8), []);
    assert.deepEqual(lines(p.stop()), ['delete-table ip', 'delete-table ip6']);
  });

  test('removing some addresses of an instance (a reload) leaves the others', () => {
    const p = new FirewallPlanner(SETTINGS);
    const two = [...v4, { family: 4 as const, address: '10.0.0.101', device: 'eth0' }];
    p.add('VI_1', two, ifindex);
    assert.deepEqual(lines(p.remove('VI_1', [two[1]!])), [
      'delete-elements ip vips [{"address":"10.0.0.101"}]',
    ]);
  });
});

describe("ruleExpressions (keepalived's registers and offsets)", () => {
  test('ip daddr @vips drop, with and without a counter', () => {
    const rule = { match: 'address', direction: 'in', set: 'vips', verdict: 'drop' } as const;
    assert.deepEqual(ruleExpressions('ip', rule, false), [
      { kind: 'payload', base: 'network', offset: 16, len: 4, dreg: 1 },
      { kind: 'lookup', set: 'vips', sreg: 1 },
      { kind: 'verdict', verdict: { code: 'drop' } },
    ]);
    assert.deepEqual(
      ruleExpressions('ip', rule, true).map((e) => e.kind),
      ['payload', 'lookup', 'counter', 'verdict'],
    );
  });
  test('ip protocol igmp meta oifkind "macvlan" dup to ip daddr device oif map @vmac_map drop', () => {
    const kind = Buffer.alloc(16);
    kind.write('macvlan');
    assert.deepEqual(
      ruleExpressions('ip', { match: 'move-multicast-report', map: 'vmac_map', verdict: 'drop' }, false),
      [
        { kind: 'payload', base: 'network', offset: 9, len: 1, dreg: 1 },
        { kind: 'cmp', sreg: 1, op: 'eq', data: Buffer.from([2]) },
        { kind: 'payload', base: 'network', offset: 16, len: 4, dreg: 1 },
        { kind: 'meta', key: 'oifkind', dreg: 2 },
        { kind: 'cmp', sreg: 2, op: 'eq', data: kind },
        { kind: 'meta', key: 'oif', dreg: 2 },
        { kind: 'lookup', set: 'vmac_map', sreg: 2, dreg: 2 },
        { kind: 'dup', addrReg: 1, devReg: 2 },
        { kind: 'verdict', verdict: { code: 'drop' } },
      ],
    );
  });
  test('icmpv6 type nd-router-solicit meta oifkind "macvlan" oif @vmac_set drop', () => {
    const exprs = ruleExpressions(
      'ip6',
      { match: 'vmac-router-solicit', set: 'vmac_set', verdict: 'drop' },
      true,
    );
    assert.deepEqual(exprs[3], { kind: 'cmp', sreg: 1, op: 'eq', data: Buffer.from([133]) });
    assert.deepEqual(
      exprs.map((e) => e.kind),
      ['meta', 'cmp', 'payload', 'cmp', 'meta', 'cmp', 'meta', 'lookup', 'counter', 'verdict'],
    );
  });
  test('ip6 saddr . oifname @vips_link_local_name drop reads the address into reg 1, the name into reg 2', () => {
    const exprs = ruleExpressions(
      'ip6',
      {
        match: 'address-interface',
        direction: 'out',
        set: 'vips_link_local_name',
        byName: true,
        verdict: 'drop',
      },
      false,
    );
    assert.deepEqual(exprs.slice(0, 2), [
      { kind: 'payload', base: 'network', offset: 8, len: 16, dreg: 1 },
      { kind: 'meta', key: 'oifname', dreg: 2 },
    ]);
  });
});
