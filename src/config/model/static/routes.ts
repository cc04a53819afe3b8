// The route lines shared by static_routes and a vrrp_instance's virtual_routes. Their syntax follows
// `ip route add` (full option names only, as keepalived).
import type { ConfigNode, SourceLocation } from '../../types.js';
import { type Family, formatPrefix, parseIp, parsePrefix } from '../shared/ip.js';
import { bad, lineWords, type PrefixValue, type Scope, SCOPES, toPrefixValue } from '../shared/line-parts.js';
import { type BuildContext, blockChildren } from '../shared/values.js';

export type RouteType =
  'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'local' | 'broadcast';
const ROUTE_TYPES: readonly RouteType[] = [
  'unicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'local',
  'broadcast',
];

export interface Nexthop {
  via?: string;
  dev?: string;
  weight?: number;
  onlink: boolean;
}

export interface RouteSpec {
  location: SourceLocation;
  family: Family;
  type: RouteType;
  destination: PrefixValue;
  /** Preferred source (`src`). */
  src?: string;
  /** Source prefix (`from`, IPv6). */
  from?: PrefixValue;
  via?: string;
  /** keepalived's `or ADDR`: an alternative gateway (multipath without weights). */
  or?: string;
  dev?: string;
  scope?: Scope;
  table?: string;
  /** `table` as a number (route-tables.ts), when the configuration was read with its files. */
  tableId?: number;
  metric?: number;
  onlink: boolean;
  noTrack: boolean;
  trackGroup?: string;
  /** How the route is installed: keepalived's default is prepend. */
  mode: 'prepend' | 'add' | 'append';
  nexthops: Nexthop[];
  /** Remaining `ip route` options in order (mtu, advmss, protocol, tos, realms, ...), value text verbatim. */
  options: Array<[string, string]>;
}

/** `ip route` options taking one value, kept verbatim (a leading `lock` is kept with the value). */
const ROUTE_VALUE_OPTIONS = new Set([
  'mtu',
  'advmss',
  'rtt',
  'rttvar',
  'reordering',
  'window',
  'cwnd',
  'ssthresh',
  'realms',
  'rto_min',
  'initcwnd',
  'initrwnd',
  'hoplimit',
  'quickack',
  'congctl',
  'features',
  'pref',
  'expires',
  'fastopen_no_cookie',
  'tos',
  'dsfield',
  'protocol',
  'proto',
  'vrf',
  'ttl-propagate',
]);
const ROUTE_LOCKABLE = new Set([
  'mtu',
  'advmss',
  'rtt',
  'rttvar',
  'reordering',
  'window',
  'cwnd',
  'ssthresh',
]);

export function parseRouteLine(
  node: ConfigNode,
  ctx: BuildContext,
  blockName: string,
): RouteSpec | undefined {
  const words = lineWords(node);
  let family: Family | undefined;
  const setFamily = (f: Family, what: string): boolean => {
    if (family !== undefined && family !== f) {
      bad(node, ctx, blockName, `${what} is not of the route's address family`);
      return false;
    }
    family = f;
    return true;
  };
  const route: Partial<RouteSpec> & { nexthops: Nexthop[]; options: Array<[string, string]> } = {
    location: { file: node.file, line: node.line },
    type: 'unicast',
    onlink: false,
    noTrack: false,
    mode: 'prepend',
    nexthops: [],
    options: [],
  };
  let currentHop: Nexthop | undefined;
  let skippedAfterFamily: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    const next = words[i + 1];
    const value = (): string | undefined => {
      if (next === undefined) bad(node, ctx, blockName, `'${w}' needs a value`);
      i++;
      return next;
    };
    const addr = (): string | undefined => {
      const v = value();
      if (v === undefined) return undefined;
      const ip = parseIp(v);
      if (!ip) return bad(node, ctx, blockName, `'${v}' is not a valid IP address`);
      return setFamily(ip.family, `'${v}'`) ? ip.address : undefined;
    };
    const prefix = (): PrefixValue | undefined => {
      const v = value();
      if (v === undefined) return undefined;
      const p = parsePrefix(v);
      if (!p) return bad(node, ctx, blockName, `'${v}' is not a valid IP prefix`);
      return setFamily(p.family, `'${v}'`) ? toPrefixValue(p) : undefined;
    };
    if (currentHop) {
      if (w === 'via' || w === 'gw') {
        if (w === 'gw') ctx.diags.warn(node, 'gw', "deprecated in routes, use 'via'");
        const a = addr();
        if (a === undefined) return undefined;
        currentHop.via = a;
        continue;
      }
      if (w === 'dev') {
        const v = value();
        if (v === undefined) return undefined;
        currentHop.dev = v;
        continue;
      }
      if (w === 'weight') {
        const v = value();
        if (v === undefined || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 256)
          return bad(node, ctx, blockName, `invalid nexthop weight '${v ?? ''}' (1..256)`);
        currentHop.weight = Number(v);
        continue;
      }
      if (w === 'onlink') {
        currentHop.onlink = true;
        continue;
      }
    }
    switch (w) {
      case 'nexthop':
        currentHop = { onlink: false };
        route.nexthops.push(currentHop);
        break;
      case 'src': {
        const a = addr();
        if (a === undefined) return undefined;
        route.src = a;
        break;
      }
      case 'from': {
        const p = prefix();
        if (p === undefined) return undefined;
        route.from = p;
        break;
      }
      case 'to': {
        const p = prefix();
        if (p === undefined) return undefined;
        route.destination = p;
        break;
      }
      case 'via':
      case 'gw': {
        if (w === 'gw') ctx.diags.warn(node, 'gw', "deprecated in routes, use 'via'");
        const a = addr();
        if (a === undefined) return undefined;
        route.via = a;
        break;
      }
      case 'or': {
        ctx.diags.warn(node, 'or', "deprecated in routes, use 'nexthop'");
        const a = addr();
        if (a === undefined) return undefined;
        route.or = a;
        break;
      }
      case 'dev':
      case 'oif': {
        const v = value();
        if (v === undefined) return undefined;
        route.dev = v;
        break;
      }
      case 'scope': {
        const v = value();
        if (v === undefined) return undefined;
        const s = SCOPES.find((x) => x === v);
        if (!s) return bad(node, ctx, blockName, `invalid scope '${v}' (${SCOPES.join(', ')})`);
        route.scope = s;
        break;
      }
      case 'table': {
        const v = value();
        if (v === undefined) return undefined;
        route.table = v;
        break;
      }
      case 'metric':
      case 'priority':
      case 'preference': {
        const v = value();
        if (v === undefined || !/^\d+$/.test(v) || Number(v) > 4294967295)
          return bad(node, ctx, blockName, `invalid metric '${v ?? ''}'`);
        route.metric = Number(v);
        break;
      }
      case 'onlink':
        route.onlink = true;
        break;
      case 'no_track':
        route.noTrack = true;
        break;
      case 'track_group': {
        const v = value();
        if (v === undefined) return undefined;
        route.trackGroup = v;
        break;
      }
      case 'inet6':
      case 'inet':
        if (!setFamily(w === 'inet6' ? 6 : 4, w)) return undefined;
        // keepalived (2.2.7 and 2.4) steps over the word after a route's inet/inet6 as well: routes that
        // start `inet6 PREFIX ...` lose their destination there. Read them as keepalived does.
        if (!currentHop && next !== undefined) {
          skippedAfterFamily = next;
          i++;
        }
        break;
      case 'add':
      case 'append':
      case 'prepend':
        route.mode = w;
        break;
      default: {
        const type = ROUTE_TYPES.find((t) => t === w);
        if (type) {
          route.type = type;
          break;
        }
        if (ROUTE_VALUE_OPTIONS.has(w)) {
          let v = value();
          if (v === undefined) return undefined;
          if (v === 'lock' && ROUTE_LOCKABLE.has(w)) {
            const locked = words[i + 1];
            if (locked === undefined) return bad(node, ctx, blockName, `'${w} lock' needs a value`);
            i++;
            v = `lock ${locked}`;
          }
          route.options.push([w, v]);
          break;
        }
        // The destination may be written without `to`.
        if (route.destination === undefined) {
          const p = parsePrefix(w);
          if (p) {
            if (!setFamily(p.family, `'${w}'`)) return undefined;
            route.destination = toPrefixValue(p);
            break;
          }
          if (w === 'default') {
            route.destination = { address: 'default', prefix: 0, hasPrefix: false };
            break;
          }
        }
        return bad(node, ctx, blockName, `unknown route option '${w}'`);
      }
    }
  }
  if (route.destination === undefined)
    return bad(
      node,
      ctx,
      blockName,
      skippedAfterFamily === undefined
        ? 'route has no destination'
        : `route has no destination: keepalived skips the word after inet/inet6 ('${skippedAfterFamily}'); put inet6 at the end of the line`,
    );
  if (route.destination.address === 'default') {
    const f = family ?? 4;
    route.destination = { address: f === 4 ? '0.0.0.0' : '::', prefix: 0, hasPrefix: true };
  }
  return { ...route, family: family ?? 4 } as RouteSpec;
}

export function formatRouteLine(r: RouteSpec): string {
  const parts: string[] = [];
  if (r.type !== 'unicast') parts.push(r.type);
  if (r.src !== undefined) parts.push('src', r.src);
  parts.push(formatPrefix(r.destination));
  if (r.from !== undefined) parts.push('from', formatPrefix(r.from));
  if (r.via !== undefined) parts.push('via', r.via);
  if (r.or !== undefined) parts.push('or', r.or);
  if (r.dev !== undefined) parts.push('dev', r.dev);
  if (r.scope !== undefined) parts.push('scope', r.scope);
  if (r.table !== undefined) parts.push('table', r.table);
  if (r.metric !== undefined) parts.push('metric', String(r.metric));
  if (r.onlink) parts.push('onlink');
  for (const [k, v] of r.options) parts.push(k, v);
  if (r.family === 6 && !r.destination.address.includes(':')) parts.push('inet6');
  for (const h of r.nexthops) {
    parts.push('nexthop');
    if (h.via !== undefined) parts.push('via', h.via);
    if (h.dev !== undefined) parts.push('dev', h.dev);
    if (h.weight !== undefined) parts.push('weight', String(h.weight));
    if (h.onlink) parts.push('onlink');
  }
  if (r.noTrack) parts.push('no_track');
  if (r.trackGroup !== undefined) parts.push('track_group', r.trackGroup);
  if (r.mode !== 'prepend') parts.push(r.mode);
  return parts.join(' ');
}

export function readRouteBlock(node: ConfigNode, ctx: BuildContext): RouteSpec[] {
  const out: RouteSpec[] = [];
  for (const child of blockChildren(node, ctx)) {
    const r = parseRouteLine(child, ctx, node.keyword);
    if (r) out.push(r);
  }
  return out;
}
