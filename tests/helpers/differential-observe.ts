// What a user of a VRRP node can observe, reduced to plain comparable values: the node's kernel state
// (addresses, routes, rules as `ip -j` prints them, minus what differs between two identical runs) and
// the frames it sent (VRRP adverts, gratuitous ARP, unsolicited NA) decoded by tshark from a capture on
// the node's own interfaces. The differential harness (differential.ts) compares these between a node
// running Debian's keepalived and the same node running ours.
import { exec } from './netns.js';
import { tsharkAdvert, tsharkRecords, VRRP_FIELDS } from './tshark.js';

// ---------------------------------------------------------------------------------------------------
// Kernel state

export interface KernelState {
  /** One line per address: 'eth0 10.9.0.100/24 scope global label eth0:1 secondary noprefixroute'. */
  addresses: string[];
  /** One line per route (all tables, both families), sorted. */
  routes: string[];
  /** One line per rule (both families), sorted. */
  rules: string[];
}

type Json = Record<string, unknown>;

function ipJson(ns: string, args: string[]): Json[] {
  const r = exec(['ip', '-n', ns, '-j', ...args]);
  if (r.status !== 0 || !r.stdout.trim()) return [];
  return JSON.parse(r.stdout) as Json[];
}

const ADDRESS_FLAGS = ['secondary', 'noprefixroute', 'nodad', 'deprecated', 'tentative', 'home', 'dadfailed'];

/** `ip -j addr` of every interface but lo, one normalised line per address, in kernel order. */
export function addressLines(ns: string): string[] {
  const lines: string[] = [];
  for (const link of ipJson(ns, ['addr', 'show'])) {
    const ifname = String(link.ifname);
    if (ifname === 'lo') continue;
    for (const a of (link.addr_info as Json[] | undefined) ?? []) {
      if (!a.local) continue;
      const parts = [ifname, `${String(a.local)}/${String(a.prefixlen)}`, `scope ${String(a.scope)}`];
      if (a.label && a.label !== ifname) parts.push(`label ${String(a.label)}`);
      if (a.broadcast) parts.push(`brd ${String(a.broadcast)}`);
      for (const flag of ADDRESS_FLAGS) if (a[flag]) parts.push(flag);
      if (a.valid_life_time !== undefined && a.valid_life_time !== 4294967295) parts.push('valid_lft finite');
      if (a.preferred_life_time !== undefined && a.preferred_life_time !== 4294967295)
        parts.push(`preferred_lft ${a.preferred_life_time === 0 ? '0' : 'finite'}`);
      lines.push(parts.join(' '));
    }
  }
  return lines;
}

const ROUTE_KEYS = [
  'type',
  'dst',
  'gateway',
  'dev',
  'table',
  'protocol',
  'scope',
  'prefsrc',
  'metric',
  'pref',
];

function routeLine(family: string, r: Json): string {
  const parts = [family];
  for (const key of ROUTE_KEYS) if (r[key] !== undefined) parts.push(`${key} ${JSON.stringify(r[key])}`);
  const flags = r.flags as string[] | undefined;
  if (flags?.length) parts.push(`flags ${flags.filter((f) => f !== 'linkdown').join(',')}`);
  return parts.join(' ');
}

/** Routes of every table, both families, sorted; IPv6 multicast/link-local housekeeping routes left out. */
export function routeLines(ns: string): string[] {
  const lines: string[] = [];
  for (const family of ['-4', '-6'])
    for (const r of ipJson(ns, [family, 'route', 'show', 'table', 'all'])) {
      const dst = String(r.dst ?? '');
      if (family === '-6' && (dst.startsWith('ff00::') || dst.startsWith('fe80::') || dst === 'multicast'))
        continue;
      if (family === '-6' && r.type === 'multicast') continue;
      lines.push(routeLine(family, r));
    }
  return lines.sort();
}

/** Rules, both families, sorted. */
export function ruleLines(ns: string): string[] {
  const lines: string[] = [];
  for (const family of ['-4', '-6'])
    for (const r of ipJson(ns, [family, 'rule', 'show'])) {
      const copy = { ...r };
      lines.push(`${family} ${JSON.stringify(copy)}`);
    }
  return lines.sort();
}

export function kernelState(ns: string): KernelState {
  return { addresses: addressLines(ns), routes: routeLines(ns), rules: ruleLines(ns) };
}

// ---------------------------------------------------------------------------------------------------
// Frames on the wire

/** A frame a node sent: a VRRP advert, a gratuitous ARP or an unsolicited NA. */
export interface Frame {
  /** Seconds since the epoch (pcap time). */
  time: number;
  ifname: string;
  srcMac: string;
  kind: 'advert' | 'garp' | 'na';
  /** advert: 'v3 vrid 7 prio 100 int 100 cnt 2 [a,b] 10.9.0.1>224.0.0.18 ttl 255 csum good'. garp/na: target. */
  text: string;
  /** Adverts only: the priority (to split master adverts from priority-0 ones). */
  priority?: number;
  vrid?: number;
}

/** What is read of each frame: VRRP adverts, ARP and neighbour advertisements. */
const FIELDS = [
  'frame.time_epoch',
  ...VRRP_FIELDS,
  'arp.opcode',
  'arp.src.proto_ipv4',
  'arp.dst.proto_ipv4',
  'icmpv6.type',
  'icmpv6.nd.na.target_address',
  'icmpv6.nd.na.flag.o',
];

/** The capture filter: VRRP (plain and in AH), ARP and ICMPv6. */
export const FRAME_FILTER = 'ip proto 112 or ip6 proto 112 or ip proto 51 or ip6 proto 51 or arp or icmp6';

/** The frames sent from `srcMac` in a pcap file of interface `ifname`. */
export function decodeFrames(file: string, ifname: string, srcMac: string): Frame[] {
  const filter = `eth.src == ${srcMac} && (vrrp || arp || icmpv6.type == 136)`;
  const frames: Frame[] = [];
  for (const r of tsharkRecords(file, filter, FIELDS, true)) {
    const at = (name: string): string => r[name] ?? '';
    const base = { time: Number(at('frame.time_epoch')), ifname, srcMac: at('eth.src') };
    if (at('vrrp.version')) {
      const a = tsharkAdvert(r);
      const auth = a.ah ? ' ah' : a.authType !== undefined ? ` auth ${a.authType}` : '';
      const text =
        `v${a.version} type ${a.type} vrid ${a.vrid} prio ${a.priority} ` +
        `int ${a.interval} cnt ${a.addrCount} [${a.addresses.join(',')}] ` +
        `${a.src}>${a.dst} ttl ${a.ttl} csum ${a.checksum}${auth}`;
      frames.push({ ...base, kind: 'advert', text, priority: a.priority, vrid: a.vrid });
    } else if (at('arp.opcode')) {
      const src = at('arp.src.proto_ipv4');
      // announcements are requests (keepalived's and ours); a reply naming itself is the kernel answering
      const gratuitous = src === at('arp.dst.proto_ipv4') && at('arp.opcode') === '1';
      if (gratuitous) frames.push({ ...base, kind: 'garp', text: `${src} op ${at('arp.opcode')}` });
    } else if (at('icmpv6.type') === '136' && at('ipv6.dst').startsWith('ff')) {
      // unsolicited only: the kernel's answers to a peer's solicitations come and go with its cache
      const o = at('icmpv6.nd.na.flag.o');
      const override = o === 'True' || o === '1' ? ' O' : '';
      frames.push({
        ...base,
        kind: 'na',
        text: `${at('icmpv6.nd.na.target_address')} ${at('ipv6.src')}>${at('ipv6.dst')}${override}`,
      });
    }
  }
  return frames;
}

/** Frames grouped by their text: 'text' -> count, in first-appearance order. */
export function countByText(frames: Frame[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of frames)
    counts.set(`${f.ifname} ${f.kind} ${f.text}`, (counts.get(`${f.ifname} ${f.kind} ${f.text}`) ?? 0) + 1);
  return counts;
}
