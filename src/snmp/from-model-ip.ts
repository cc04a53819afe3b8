// Address, route and rule lines of the config model as the SNMP snapshot wants them: interface indexes
// resolved, table and scope names as numbers, the `ip route` options keepalived shows parsed, and
// keepalived's defaults (routes of protocol keepalived, table main). Pure: interface facts come in.
import type { IpAddressSpec } from '../config/model/static/addresses.js';
import type { RouteSpec } from '../config/model/static/routes.js';
import type { RuleSpec } from '../config/model/static/rules.js';
import { addressToBytes, formatIpv4 } from '../common/inet.js';
import type {
  AddressInfo,
  InterfaceInfo,
  MetricWithLock,
  NexthopInfo,
  RouteInfo,
  RuleInfo,
} from './snapshot.js';
import { RULE_ACTION } from './snapshot.js';

/** How names of the host turn into numbers. */
export interface IpResolvers {
  interfaces: ReadonlyMap<string, InterfaceInfo>;
  /** Named routing tables (/etc/iproute2/rt_tables); numbers and main/local/default are known here. */
  tableNumber?: (name: string) => number | undefined;
}

const SCOPE: Record<string, number> = {
  global: 0,
  universe: 0,
  site: 200,
  link: 253,
  host: 254,
  nowhere: 255,
};
/** /etc/iproute2/rt_protos, as iproute2 ships it. */
const PROTOCOL: Record<string, number> = {
  redirect: 1,
  kernel: 2,
  boot: 3,
  static: 4,
  gated: 8,
  ra: 9,
  mrt: 10,
  zebra: 11,
  bird: 12,
  dnrouted: 13,
  xorp: 14,
  ntk: 15,
  dhcp: 16,
  keepalived: 18,
  babel: 42,
  bgp: 186,
  isis: 187,
  ospf: 188,
  rip: 189,
  eigrp: 192,
};
/** RTPROT_KEEPALIVED: what keepalived marks its routes with unless `protocol` says otherwise. */
const RTPROT_KEEPALIVED = 18;

function number(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t, 16);
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

export function tableNumber(name: string | undefined, r: IpResolvers): number {
  if (name === undefined || name === 'main') return 254;
  if (name === 'local') return 255;
  if (name === 'default') return 253;
  return number(name) ?? r.tableNumber?.(name) ?? 0;
}

/** `realms [FROM/]TO`: FROM in the high 16 bits. */
function realms(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const [a, b] = text.split('/');
  const from = b !== undefined ? number(a) : 0;
  const to = number(b ?? a);
  return from !== undefined && to !== undefined ? ((from << 16) | to) >>> 0 : undefined;
}

/** IPv4 broadcast for `brd +` (host bits set) or `brd -` (cleared). */
function broadcastOf(a: IpAddressSpec): string | undefined {
  if (a.family !== 4 || a.broadcast === undefined) return undefined;
  if (a.broadcast !== '+' && a.broadcast !== '-') return a.broadcast;
  const bytes = addressToBytes(a.address, 4);
  if (!bytes) return undefined;
  const value = new DataView(bytes.buffer).getUint32(0);
  const host = a.prefix >= 32 ? 0 : 0xffffffff >>> a.prefix;
  const brd = a.broadcast === '+' ? (value | host) >>> 0 : (value & ~host) >>> 0;
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, brd);
  return formatIpv4(out);
}

export function addressInfo(a: IpAddressSpec, ifname: string, isSet: boolean, r: IpResolvers): AddressInfo {
  const info: AddressInfo = {
    family: a.family,
    address: a.address,
    prefix: a.prefix,
    scope: SCOPE[a.scope ?? 'global'] ?? 0,
    ifindex: r.interfaces.get(ifname)?.index ?? 0,
    ifname,
    isSet,
  };
  const brd = broadcastOf(a);
  if (brd !== undefined) info.broadcast = brd;
  if (a.label !== undefined) info.label = a.label;
  if (a.peer !== undefined) info.peer = a.peer.address;
  return info;
}

/** `mtu [lock] N`-style values: the number, and whether `lock` came first. */
function lockable(
  text: string | undefined,
  scale: (n: string) => number | undefined = number,
): MetricWithLock | undefined {
  if (text === undefined) return undefined;
  const lock = text.startsWith('lock ');
  const value = scale(lock ? text.slice(5) : text);
  return value === undefined ? undefined : { value, lock };
}

/** rtt, rttvar, rto_min: milliseconds, `Ns` / `Nms` suffixes accepted as iproute2 does. */
function milliseconds(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(s|ms|msec|msecs|sec|secs)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.round(m[2] !== undefined && m[2].startsWith('s') ? n * 1000 : n);
}

export function routeInfo(route: RouteSpec, isSet: boolean, r: IpResolvers): RouteInfo {
  const opt = (k: string): string | undefined => route.options.find(([key]) => key === k)?.[1];
  const iface = (name: string | undefined): InterfaceInfo | undefined =>
    name !== undefined ? r.interfaces.get(name) : undefined;
  const oif = iface(route.dev);
  const protocolText = opt('protocol') ?? opt('proto');
  const hops: NexthopInfo[] = route.nexthops.map((h) => {
    const hop: NexthopInfo = { onlink: h.onlink };
    if (h.via !== undefined) hop.gateway = h.via;
    const dev = iface(h.dev);
    if (h.dev !== undefined) {
      hop.ifname = h.dev;
      if (dev) hop.ifindex = dev.index;
    }
    if (h.weight !== undefined) hop.weight = h.weight;
    return hop;
  });
  // keepalived's `or ADDR` is a second gateway: one more next hop.
  if (route.or !== undefined) hops.push({ gateway: route.or, onlink: false });
  const info: RouteInfo = {
    family: route.family,
    destination: { address: route.destination.address, prefix: route.destination.prefix },
    metric: route.metric ?? 0,
    scope: SCOPE[route.scope ?? 'global'] ?? 0,
    type: route.type,
    table: route.tableId ?? tableNumber(route.table, r),
    isSet,
    protocol:
      protocolText !== undefined ? (number(protocolText) ?? PROTOCOL[protocolText] ?? 0) : RTPROT_KEEPALIVED,
    ecn: (opt('features') ?? '').split(/\s+/).includes('ecn'),
    quickAck: opt('quickack') !== undefined,
    nexthops: hops,
  };
  if (route.via !== undefined) info.gateway = route.via;
  if (route.src !== undefined) info.prefSrc = route.src;
  if (route.from !== undefined) info.from = { address: route.from.address, prefix: route.from.prefix };
  if (route.dev !== undefined) info.oif = { index: oif?.index ?? 0, name: route.dev };
  const tos = number(opt('tos') ?? opt('dsfield'));
  if (tos !== undefined) info.tos = tos;
  const set = <K extends keyof RouteInfo>(k: K, v: RouteInfo[K] | undefined): void => {
    if (v !== undefined) info[k] = v;
  };
  set('expires', number(opt('expires')));
  set('mtu', lockable(opt('mtu')));
  set('hoplimit', number(opt('hoplimit')));
  set('advmss', lockable(opt('advmss')));
  set('rtt', lockable(opt('rtt'), milliseconds));
  set('rttvar', lockable(opt('rttvar'), milliseconds));
  set('reordering', lockable(opt('reordering')));
  set('window', number(opt('window')));
  set('cwnd', lockable(opt('cwnd')));
  set('ssthresh', lockable(opt('ssthresh')));
  set('rtoMin', lockable(opt('rto_min'), milliseconds));
  set('initcwnd', number(opt('initcwnd')));
  set('initrwnd', number(opt('initrwnd')));
  const cc = opt('congctl');
  if (cc !== undefined) info.congctl = cc.replace(/^lock\s+/, '');
  const pref = opt('pref');
  if (pref === 'low' || pref === 'medium' || pref === 'high') info.pref = pref;
  const fastopen = opt('fastopen_no_cookie');
  if (fastopen !== undefined) info.fastopenNoCookie = fastopen !== '0';
  set('realms', realms(opt('realms')));
  return info;
}

export function ruleInfo(rule: RuleSpec, isSet: boolean, r: IpResolvers): RuleInfo {
  const opt = (k: string): string | undefined => rule.options.find(([key]) => key === k)?.[1];
  const flag = (f: string): boolean => rule.flags.includes(f);
  const goto = number(opt('goto'));
  const action = flag('blackhole')
    ? RULE_ACTION.blackhole
    : flag('unreachable')
      ? RULE_ACTION.unreachable
      : flag('prohibit')
        ? RULE_ACTION.prohibit
        : goto !== undefined
          ? RULE_ACTION.goto
          : flag('nop')
            ? RULE_ACTION.nop
            : RULE_ACTION.toTable;
  const info: RuleInfo = {
    family: rule.family,
    action,
    isSet,
    invert: flag('not'),
    tos: number(opt('tos') ?? opt('dsfield')) ?? 0,
  };
  if (rule.from) info.from = { address: rule.from.address, prefix: rule.from.prefix };
  if (rule.to) info.to = { address: rule.to.address, prefix: rule.to.prefix };
  if (action === RULE_ACTION.toTable) info.table = rule.tableId ?? tableNumber(rule.table, r);
  if (goto !== undefined) info.gotoTarget = goto;
  const fwmark = opt('fwmark');
  if (fwmark !== undefined) {
    const [mark, mask] = fwmark.split('/');
    const m = number(mark);
    if (m !== undefined) info.fwmark = m;
    const k = number(mask);
    if (k !== undefined) info.fwmask = k;
  }
  const re = realms(opt('realms'));
  if (re !== undefined) info.realms = re;
  const iif = opt('iif');
  if (iif !== undefined) info.iif = iif;
  const oif = opt('oif');
  if (oif !== undefined) info.oif = oif;
  if (rule.preference !== undefined) info.preference = rule.preference;
  const spl = number(opt('suppress_prefixlength'));
  if (spl !== undefined) info.suppressPrefixLen = spl;
  const sig = opt('suppress_ifgroup');
  if (sig !== undefined) info.suppressGroup = sig;
  const uid = /^(\d+)-(\d+)$/.exec(opt('uidrange') ?? '');
  if (uid) info.uidRange = { start: Number(uid[1]), end: Number(uid[2]) };
  if (flag('l3mdev')) info.l3mdev = true;
  return info;
}
