// KEEPALIVED-MIB's vrrpAddressTable, vrrpRouteTable, vrrpRouteNextHopTable and vrrpRuleTable. Rows are
// indexed (owner, position): owner 0 holds the static_ipaddress / static_routes / static_rules, owner N the
// Nth vrrp_instance (its virtual_ipaddress then virtual_ipaddress_excluded for addresses), as keepalived
// 2.2.7's vrrp_header_ar_table walks them. Cells keepalived leaves out when a setting is absent are left
// out here too. Pure.
import { gauge, integer, text, truth, type Oid, type SnmpValue } from '../types.js';
import type { AddressInfo, MetricWithLock, RouteInfo, RuleInfo, VrrpInfo } from '../snapshot.js';
import { RULE_ACTION } from '../snapshot.js';
import { addressValue, inetAddressType, inetScope, KEEPALIVED_OID, ViewBuilder } from './builder.js';
import type { MibView } from '../agentx/responder.js';

const entry = (table: number): Oid => [...KEEPALIVED_OID, 2, table, 1];

/** RTN_* to vrrpRouteType: unicast(1), multipath(2, any route with next hops), blackhole(3), ... */
const ROUTE_TYPE: Record<RouteInfo['type'], number> = {
  unicast: 1,
  local: 1,
  blackhole: 3,
  anycast: 4,
  multicast: 5,
  broadcast: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
  nat: 10,
  xresolve: 11,
};

const PREF = { low: 1, medium: 2, high: 3 } as const;

function addressRow(b: ViewBuilder, a: AddressInfo, index: number[], advertised: boolean): void {
  const col = (n: number, v: SnmpValue | undefined): void => b.cell([...entry(6), n], index, v);
  col(2, inetAddressType(a.family));
  col(3, addressValue(a.address, a.family));
  if (a.family === 4) col(4, addressValue(a.broadcast, 4));
  col(5, gauge(a.prefix));
  col(6, integer(inetScope(a.scope)));
  col(7, integer(a.ifindex));
  col(8, text(a.ifname));
  col(9, a.label !== undefined ? text(a.label) : undefined);
  col(10, truth(a.isSet));
  col(11, truth(advertised));
  col(12, a.peer !== undefined ? addressValue(a.peer, a.family) : undefined);
}

function routeRow(b: ViewBuilder, r: RouteInfo, index: number[]): void {
  const col = (n: number, v: SnmpValue | undefined): void => b.cell([...entry(7), n], index, v);
  const metric = (n: number, m: MetricWithLock | undefined): void => {
    if (m === undefined) return;
    col(n, gauge(m.value));
    col(n + 1, truth(m.lock));
  };
  col(2, inetAddressType(r.family));
  if (r.destination) {
    col(3, addressValue(r.destination.address, r.family));
    col(4, gauge(r.destination.prefix));
  }
  col(5, r.gateway !== undefined ? addressValue(r.gateway, r.family) : undefined);
  // vrrpRouteSecondaryGateway: the gateway of a route with exactly one next hop.
  const only = r.nexthops.length === 1 ? r.nexthops[0] : undefined;
  if (only?.gateway !== undefined) col(6, addressValue(only.gateway, only.family ?? r.family));
  col(7, r.prefSrc !== undefined ? addressValue(r.prefSrc, r.family) : undefined);
  col(8, gauge(r.metric));
  col(9, integer(inetScope(r.scope)));
  col(10, integer(r.nexthops.length > 0 ? 2 : ROUTE_TYPE[r.type]));
  if (r.oif) {
    col(11, integer(r.oif.index));
    col(12, text(r.oif.name));
  }
  col(13, gauge(r.table));
  col(14, truth(r.isSet));
  if (r.from) {
    col(15, addressValue(r.from.address, r.family));
    col(16, gauge(r.from.prefix));
  }
  col(17, r.tos !== undefined ? gauge(r.tos) : undefined);
  // vrrpRouteProtocol is the RTPROT number plus one (the MIB's enumeration starts at 1).
  col(18, r.protocol !== undefined ? integer(r.protocol + 1) : undefined);
  col(19, truth(r.ecn));
  col(20, truth(r.quickAck));
  col(21, r.expires !== undefined ? integer(r.expires) : undefined);
  metric(22, r.mtu);
  col(24, r.hoplimit !== undefined ? gauge(r.hoplimit) : undefined);
  metric(25, r.advmss);
  metric(27, r.rtt);
  metric(29, r.rttvar);
  metric(31, r.reordering);
  col(33, r.window !== undefined ? gauge(r.window) : undefined);
  metric(34, r.cwnd);
  metric(36, r.ssthresh);
  metric(38, r.rtoMin);
  col(40, r.initcwnd !== undefined ? gauge(r.initcwnd) : undefined);
  col(41, r.initrwnd !== undefined ? gauge(r.initrwnd) : undefined);
  col(42, r.congctl !== undefined ? text(r.congctl) : undefined);
  col(43, r.pref !== undefined ? integer(PREF[r.pref]) : undefined);
  if (r.realms) {
    col(44, gauge(r.realms & 0xffff));
    if (r.realms >>> 16) col(45, gauge(r.realms >>> 16));
  }
  col(55, r.fastopenNoCookie !== undefined ? truth(r.fastopenNoCookie) : undefined);
}

function nexthopRows(b: ViewBuilder, r: RouteInfo, owner: number, route: number): void {
  r.nexthops.forEach((nh, k) => {
    const col = (n: number, v: SnmpValue | undefined): void =>
      b.cell([...entry(11), n], [owner, route, k + 1], v);
    if (nh.gateway !== undefined) {
      const family = nh.family ?? r.family;
      col(2, inetAddressType(family));
      col(3, addressValue(nh.gateway, family));
    }
    if (nh.ifindex !== undefined) col(4, integer(nh.ifindex));
    if (nh.ifname !== undefined) col(5, text(nh.ifname));
    col(6, nh.weight !== undefined ? gauge(nh.weight) : undefined);
    col(7, truth(nh.onlink));
    if (nh.realms) {
      col(8, gauge(nh.realms & 0xffff));
      if (nh.realms >>> 16) col(9, gauge(nh.realms >>> 16));
    }
  });
}

function ruleRow(b: ViewBuilder, r: RuleInfo, index: number[]): void {
  const col = (n: number, v: SnmpValue | undefined): void => b.cell([...entry(8), n], index, v);
  // The obsolete direction columns describe `to` when there is one, else `from`.
  col(2, text(r.to ? (r.from ? 'both' : 'to') : r.from ? 'from' : ''));
  const main = r.to ?? r.from;
  if (main) {
    col(3, inetAddressType(r.family));
    col(4, addressValue(main.address, r.family));
    col(5, gauge(main.prefix));
  }
  const toTable = r.action === RULE_ACTION.toTable;
  col(6, toTable && r.table !== undefined ? gauge(r.table) : undefined);
  col(7, truth(r.isSet));
  col(8, truth(r.invert));
  if (r.to) {
    col(9, inetAddressType(r.family));
    col(10, addressValue(r.to.address, r.family));
    col(11, gauge(r.to.prefix));
  }
  if (r.from) {
    col(12, inetAddressType(r.family));
    col(13, addressValue(r.from.address, r.family));
    col(14, gauge(r.from.prefix));
  }
  col(15, gauge(r.tos));
  col(16, r.fwmark !== undefined ? gauge(r.fwmark) : undefined);
  col(17, r.fwmask !== undefined ? gauge(r.fwmask) : undefined);
  if (r.realms) {
    col(18, gauge(r.realms & 0xffff));
    if (r.realms >>> 16) col(19, gauge(r.realms >>> 16));
  }
  col(20, r.iif !== undefined ? text(r.iif) : undefined);
  col(21, r.oif !== undefined ? text(r.oif) : undefined);
  col(22, r.action === RULE_ACTION.goto && r.gotoTarget !== undefined ? gauge(r.gotoTarget) : undefined);
  col(23, integer(r.action));
  col(24, toTable && r.table !== undefined ? gauge(r.table) : undefined);
  col(25, r.preference ? gauge(r.preference) : undefined);
  col(26, r.suppressPrefixLen !== undefined ? gauge(r.suppressPrefixLen) : undefined);
  col(27, r.suppressGroup !== undefined ? text(r.suppressGroup) : undefined);
  if (r.tunnelId) {
    col(28, gauge(Number(r.tunnelId >> 32n)));
    col(29, gauge(Number(r.tunnelId & 0xffffffffn)));
  }
  if (r.uidRange) {
    col(30, gauge(r.uidRange.start));
    col(31, gauge(r.uidRange.end));
  }
  col(32, r.l3mdev ? integer(1) : undefined);
}

export function vrrpIpTables(v: VrrpInfo): MibView {
  const b = new ViewBuilder();
  b.define(entry(6), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  b.define(
    entry(7),
    Array.from({ length: 54 }, (_, k) => k + 2),
  );
  b.define(
    entry(8),
    Array.from({ length: 31 }, (_, k) => k + 2),
  );
  b.define(
    entry(11),
    Array.from({ length: 17 }, (_, k) => k + 2),
  );

  v.staticAddresses.forEach((a, k) => addressRow(b, a, [0, k + 1], false));
  v.staticRoutes.forEach((r, k) => {
    routeRow(b, r, [0, k + 1]);
    nexthopRows(b, r, 0, k + 1);
  });
  v.staticRules.forEach((r, k) => ruleRow(b, r, [0, k + 1]));
  v.instances.forEach((inst, i) => {
    const owner = i + 1;
    inst.vips.forEach((a, k) => addressRow(b, a, [owner, k + 1], true));
    inst.excludedVips.forEach((a, k) => addressRow(b, a, [owner, inst.vips.length + k + 1], false));
    inst.routes.forEach((r, k) => {
      routeRow(b, r, [owner, k + 1]);
      nexthopRows(b, r, owner, k + 1);
    });
    inst.rules.forEach((r, k) => ruleRow(b, r, [owner, k + 1]));
  });
  return b.view();
}
