// The config's address, route and rule lines turned into rtnetlink requests, with keepalived's choices:
// IPv6 VIPs without DAD, IPv4 VIPs labelled and with their broadcast as written, routes marked with
// keepalived's protocol number so that they are recognisable as ours.
import type { IpAddressSpec } from '../../config/model/static/addresses.js';
import type { RouteSpec as ModelRoute } from '../../config/model/static/routes.js';
import type { RuleSpec as ModelRule } from '../../config/model/static/rules.js';
import {
  IFA_F_HOMEADDRESS,
  IFA_F_MANAGETEMPADDR,
  IFA_F_MCAUTOJOIN,
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
} from '../../net/netlink/rtnl-addr.js';
import {
  RTPROT_KEEPALIVED,
  RT_TABLE_DEFAULT,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
} from '../../net/netlink/rtnl-constants.js';
import type { RuleSpec as NetlinkRule } from '../../net/netlink/rtnl-rule.js';
import type { ClientAddressSpec, ClientRouteSpec } from '../../net/netlink/rtnetlink.js';

export function addressRequest(vip: IpAddressSpec, dev: string): ClientAddressSpec {
  let flags = 0;
  if (vip.family === 6) flags |= IFA_F_NODAD; // keepalived never waits for DAD on a VIP
  if (vip.nodad) flags |= IFA_F_NODAD;
  if (vip.noprefixroute) flags |= IFA_F_NOPREFIXROUTE;
  if (vip.home) flags |= IFA_F_HOMEADDRESS;
  if (vip.mngtmpaddr) flags |= IFA_F_MANAGETEMPADDR;
  if (vip.autojoin) flags |= IFA_F_MCAUTOJOIN;
  const spec: ClientAddressSpec = { dev, address: `${vip.address}/${vip.prefix}`, flags };
  if (vip.family === 4) {
    if (vip.broadcast !== undefined) spec.broadcast = vip.broadcast;
    if (vip.label !== undefined) spec.label = vip.label;
  }
  if (vip.scope !== undefined) spec.scope = vip.scope;
  if (vip.peer !== undefined) spec.peer = vip.peer.address;
  // A host-length IPv6 VIP must not become the source of the host's own traffic (keepalived's default).
  if (vip.family === 6 && vip.prefix === 128) {
    spec.preferredLft = 0;
    spec.validLft = 0xffffffff;
  }
  return spec;
}

export function tableNumber(table: string | undefined): number | undefined {
  if (table === undefined) return undefined;
  if (table === 'main') return RT_TABLE_MAIN;
  if (table === 'local') return RT_TABLE_LOCAL;
  if (table === 'default') return RT_TABLE_DEFAULT;
  const n = Number(table);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function routeRequest(r: ModelRoute, defaultDev: string | undefined): ClientRouteSpec {
  const dst =
    r.destination.hasPrefix || r.destination.address === 'default'
      ? r.destination.address === 'default'
        ? r.family === 6
          ? 'default6'
          : 'default'
        : `${r.destination.address}/${r.destination.prefix}`
      : r.destination.address;
  const spec: ClientRouteSpec = { dst, protocol: RTPROT_KEEPALIVED };
  // the kernel refuses a device on a route that leads nowhere: keepalived adds those without one
  const deviceless =
    r.type === 'blackhole' || r.type === 'unreachable' || r.type === 'prohibit' || r.type === 'throw';
  const dev = r.dev ?? (r.via === undefined && !deviceless ? defaultDev : undefined);
  if (dev !== undefined) spec.dev = dev;
  if (r.via !== undefined) spec.gateway = r.via;
  if (r.src !== undefined) spec.prefsrc = r.src;
  if (r.from !== undefined) spec.from = `${r.from.address}/${r.from.prefix}`;
  const table = r.tableId ?? tableNumber(r.table);
  if (table !== undefined) spec.table = table;
  if (r.metric !== undefined) spec.priority = r.metric;
  if (r.scope !== undefined) spec.scope = r.scope;
  if (r.type !== 'unicast') spec.type = r.type;
  if (r.onlink) spec.onlink = true;
  if (r.nexthops.length > 0) {
    spec.nexthops = r.nexthops.map((n) => ({
      ...(n.via !== undefined ? { gateway: n.via } : {}),
      ...(n.weight !== undefined ? { weight: n.weight } : {}),
      ...(n.onlink ? { onlink: true } : {}),
    })) as ClientRouteSpec['nexthops'];
  }
  return spec;
}

export function ruleRequest(r: ModelRule): NetlinkRule {
  // marked as keepalived marks its rules (ip rule shows "proto keepalived")
  const spec: NetlinkRule = { family: r.family, protocol: RTPROT_KEEPALIVED };
  if (r.from !== undefined) spec.from = `${r.from.address}/${r.from.prefix}`;
  if (r.to !== undefined) spec.to = `${r.to.address}/${r.to.prefix}`;
  if (r.preference !== undefined) spec.priority = r.preference;
  const table = r.tableId ?? tableNumber(r.table);
  if (table !== undefined) spec.table = table;
  for (const f of r.flags) {
    if (f === 'not') spec.invert = true;
    else if (f === 'l3mdev') spec.l3mdev = true;
    else if (f === 'blackhole' || f === 'prohibit' || f === 'unreachable' || f === 'nop') spec.action = f;
  }
  for (const [key, value] of r.options) {
    if (key === 'iif') spec.iif = value;
    else if (key === 'oif') spec.oif = value;
    else if (key === 'tos' || key === 'dsfield') spec.tos = Number(value);
    else if (key === 'goto') {
      spec.action = 'goto';
      spec.goto = Number(value);
    } else if (key === 'fwmark') {
      const [mark, mask] = value.split('/');
      spec.fwmark = Number(mark);
      if (mask !== undefined) spec.fwmask = Number(mask);
    } else if (key === 'suppress_prefixlength') spec.suppressPrefixLength = Number(value);
    else if (key === 'suppress_ifgroup') spec.suppressIfgroup = Number(value);
  }
  return spec;
}
