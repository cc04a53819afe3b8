// Routes (struct rtmsg + RTA_* attributes, linux/rtnetlink.h): keepalived's virtual_routes.

import {
  type Attr,
  type AttrSpec,
  type DecodeResult,
  attr,
  attrNested,
  attrU32,
  encodeAttrs,
  findAttr,
  readS32,
  readU16,
  readU32,
  splitFamilyPayload,
  writeS32,
  writeU16,
  writeU32,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
} from './codec.js';
import { bytesToAddress } from '../../common/inet.js';
import {
  type AddressFamily,
  addressBuffer,
  afOf,
  familyOfAf,
  formatCidr,
  parseCidr,
  AF_UNSPEC,
} from './ip-text.js';
import {
  type RtnlRequest,
  type ScopeName,
  RTM_DELROUTE,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
  RTPROT_BOOT,
  scopeName,
  scopeNumber,
} from './rtnl-constants.js';

export const RTMSG_LEN = 12;

export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_IIF = 3;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_METRICS = 8;
export const RTA_MULTIPATH = 9;
export const RTA_TABLE = 15;

export const RTNH_F_ONLINK = 4;
const RTNEXTHOP_LEN = 8;

export type RouteType =
  | 'unspec'
  | 'unicast'
  | 'local'
  | 'broadcast'
  | 'anycast'
  | 'multicast'
  | 'blackhole'
  | 'unreachable'
  | 'prohibit'
  | 'throw'
  | 'nat';
const ROUTE_TYPES: RouteType[] = [
  'unspec',
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
];

/** RTAX_* metric numbers for `metrics` (mtu 2, window 3, rtt 4, ..., advmss 8, hoplimit 10, initcwnd 11). */
export type RouteMetrics = Record<number, number>;

export interface NextHop {
  gateway?: string;
  oif?: number;
  /** 1..256 (sent as rtnh_hops = weight - 1). */
  weight?: number;
  onlink?: boolean;
}

/** A route to add or delete. Family comes from dst (or gateway/src when dst is 'default'). */
export interface RouteSpec {
  /** "10.1.0.0/16", "2001:db8::/64", "default" / "default6". */
  dst: string;
  /** IPv6 source-specific routing prefix (RTA_SRC + rtm_src_len): keepalived's `from`. */
  from?: string;
  /** Preferred source address (RTA_PREFSRC): keepalived's `src`. */
  prefsrc?: string;
  gateway?: string;
  oif?: number;
  /** Defaults to main (254). */
  table?: number;
  /** Metric / preference. */
  priority?: number;
  /** Defaults like ip(8): host for local, link for direct IPv4 unicast, otherwise global. */
  scope?: ScopeName | number;
  /** Defaults to unicast. */
  type?: RouteType;
  /** Defaults to boot (3), as ip(8); keepalived's own mark is RTPROT_KEEPALIVED (18). */
  protocol?: number;
  tos?: number;
  onlink?: boolean;
  metrics?: RouteMetrics;
  nexthops?: NextHop[];
}

export interface RouteInfo {
  family: AddressFamily;
  /** CIDR text, "0.0.0.0/0" / "::/0" for a default route. */
  dst: string;
  from?: string;
  prefsrc?: string;
  gateway?: string;
  oif?: number;
  table: number;
  priority?: number;
  scope: ScopeName | number;
  type: RouteType | number;
  protocol: number;
  tos: number;
  flags: number;
  metrics?: RouteMetrics;
  nexthops?: NextHop[];
}

export function encodeRtmsg(f: {
  family: number;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
}): Buffer {
  const b = Buffer.alloc(RTMSG_LEN);
  b[0] = f.family;
  b[1] = f.dstLen;
  b[2] = f.srcLen;
  b[3] = f.tos;
  b[4] = f.table;
  b[5] = f.protocol;
  b[6] = f.scope;
  b[7] = f.type;
  writeU32(b, f.flags, 8);
  return b;
}

export function getRoutesRequest(family?: AddressFamily): RtnlRequest {
  const header = encodeRtmsg({
    family: family ? afOf(family) : AF_UNSPEC,
    dstLen: 0,
    srcLen: 0,
    tos: 0,
    table: 0,
    protocol: 0,
    scope: 0,
    type: 0,
    flags: 0,
  });
  return { type: RTM_GETROUTE, flags: NLM_F_REQUEST | NLM_F_DUMP, payload: header };
}

function routeFamily(spec: RouteSpec): AddressFamily {
  if (spec.dst === 'default6') return 6;
  if (spec.dst !== 'default') return parseCidr(spec.dst).family;
  const hint = spec.gateway ?? spec.prefsrc ?? spec.nexthops?.find((n) => n.gateway)?.gateway ?? spec.from;
  return hint ? parseCidr(hint).family : 4;
}

function encodeMultipath(hops: NextHop[]): Buffer {
  const parts: Buffer[] = [];
  for (const hop of hops) {
    const inner = hop.gateway
      ? encodeAttrs([attr.bytes(RTA_GATEWAY, addressBuffer(hop.gateway))])
      : Buffer.alloc(0);
    const b = Buffer.alloc(RTNEXTHOP_LEN);
    writeU16(b, RTNEXTHOP_LEN + inner.length, 0);
    b[2] = hop.onlink ? RTNH_F_ONLINK : 0;
    b[3] = Math.max(0, Math.min(255, (hop.weight ?? 1) - 1));
    writeS32(b, hop.oif ?? 0, 4);
    parts.push(b, inner);
  }
  return Buffer.concat(parts);
}

function routeMessage(spec: RouteSpec, type: number, flags: number): RtnlRequest {
  const family = routeFamily(spec);
  const dst = parseCidr(spec.dst, family);
  const from = spec.from ? parseCidr(spec.from) : undefined;
  const routeType = spec.type ?? 'unicast';
  const table = spec.table ?? RT_TABLE_MAIN;
  const direct = !spec.gateway && !spec.nexthops?.length;
  let scope = RT_SCOPE_UNIVERSE;
  if (spec.scope !== undefined) scope = scopeNumber(spec.scope);
  else if (routeType === 'local') scope = RT_SCOPE_HOST;
  else if (routeType === 'unicast' && direct && family === 4) scope = RT_SCOPE_LINK;
  const header = encodeRtmsg({
    family: afOf(family),
    dstLen: dst.prefixLen,
    srcLen: from?.prefixLen ?? 0,
    tos: spec.tos ?? 0,
    // rtm_table is 8 bits: larger ids travel in RTA_TABLE only.
    table: table < 256 ? table : RT_TABLE_UNSPEC,
    protocol: spec.protocol ?? RTPROT_BOOT,
    scope,
    type: ROUTE_TYPES.indexOf(routeType),
    flags: spec.onlink ? RTNH_F_ONLINK : 0,
  });
  const attrs: AttrSpec[] = [attr.u32(RTA_TABLE, table)];
  if (dst.prefixLen > 0) attrs.push(attr.bytes(RTA_DST, dst.bytes));
  if (from && from.prefixLen > 0) attrs.push(attr.bytes(RTA_SRC, from.bytes));
  if (spec.prefsrc) attrs.push(attr.bytes(RTA_PREFSRC, addressBuffer(spec.prefsrc)));
  if (spec.gateway) attrs.push(attr.bytes(RTA_GATEWAY, addressBuffer(spec.gateway)));
  if (spec.oif !== undefined) attrs.push(attr.u32(RTA_OIF, spec.oif));
  if (spec.priority !== undefined) attrs.push(attr.u32(RTA_PRIORITY, spec.priority));
  if (spec.metrics && Object.keys(spec.metrics).length) {
    const inner = Object.entries(spec.metrics).map(([k, v]) => attr.u32(Number(k), v));
    attrs.push(attr.nested(RTA_METRICS, inner));
  }
  if (spec.nexthops?.length) attrs.push(attr.bytes(RTA_MULTIPATH, encodeMultipath(spec.nexthops)));
  return { type, flags, payload: Buffer.concat([header, encodeAttrs(attrs)]) };
}

export function addRouteRequest(spec: RouteSpec, replace = false): RtnlRequest {
  const flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
  return routeMessage(spec, RTM_NEWROUTE, flags);
}

export function deleteRouteRequest(spec: RouteSpec): RtnlRequest {
  return routeMessage(spec, RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK);
}

function decodeMultipath(data: Buffer): NextHop[] {
  const hops: NextHop[] = [];
  let off = 0;
  while (data.length - off >= RTNEXTHOP_LEN) {
    const len = readU16(data, off);
    if (len < RTNEXTHOP_LEN || len > data.length - off) break;
    const hop: NextHop = { weight: (data[off + 3] as number) + 1, oif: readS32(data, off + 4) };
    if ((data[off + 2] as number) & RTNH_F_ONLINK) hop.onlink = true;
    const inner = attrNested({ type: 0, nested: true, data: data.subarray(off + RTNEXTHOP_LEN, off + len) });
    const gw = inner ? findAttr(inner, RTA_GATEWAY) : undefined;
    if (gw) {
      const text = bytesToAddress(gw.data);
      if (text) hop.gateway = text;
    }
    hops.push(hop);
    off += (len + 3) & ~3;
  }
  return hops;
}

function addressAttr(attrs: Attr[], type: number): string | undefined {
  const a = findAttr(attrs, type);
  return a ? bytesToAddress(a.data) : undefined;
}

/** Payload of RTM_NEWROUTE / RTM_DELROUTE. */
export function decodeRoute(payload: Buffer): DecodeResult<RouteInfo> {
  const split = splitFamilyPayload(payload, RTMSG_LEN);
  if (!split.ok) return split;
  const { fixed, attrs } = split.value;
  const family = familyOfAf(fixed[0] as number);
  if (!family) return { ok: false, error: `rtmsg family ${fixed[0]} is not IPv4/IPv6` };
  const zero = Buffer.alloc(family === 4 ? 4 : 16);
  const dstBytes = findAttr(attrs, RTA_DST)?.data ?? zero;
  const typeNum = fixed[7] as number;
  const info: RouteInfo = {
    family,
    dst: formatCidr(dstBytes, fixed[1] as number),
    table: attrU32(findAttr(attrs, RTA_TABLE)) ?? (fixed[4] as number),
    scope: scopeName(fixed[6] as number),
    type: ROUTE_TYPES[typeNum] ?? typeNum,
    protocol: fixed[5] as number,
    tos: fixed[3] as number,
    flags: readU32(fixed, 8),
  };
  const src = findAttr(attrs, RTA_SRC);
  if (src) info.from = formatCidr(src.data, fixed[2] as number);
  const prefsrc = addressAttr(attrs, RTA_PREFSRC);
  if (prefsrc) info.prefsrc = prefsrc;
  const gateway = addressAttr(attrs, RTA_GATEWAY);
  if (gateway) info.gateway = gateway;
  const oif = attrU32(findAttr(attrs, RTA_OIF));
  if (oif !== undefined) info.oif = oif;
  const priority = attrU32(findAttr(attrs, RTA_PRIORITY));
  if (priority !== undefined) info.priority = priority;
  const metrics = attrNested(findAttr(attrs, RTA_METRICS));
  if (metrics?.length) {
    info.metrics = {};
    for (const m of metrics) {
      const v = attrU32(m);
      if (v !== undefined) info.metrics[m.type] = v;
    }
  }
  const mp = findAttr(attrs, RTA_MULTIPATH);
  if (mp) info.nexthops = decodeMultipath(mp.data);
  return { ok: true, value: info };
}
