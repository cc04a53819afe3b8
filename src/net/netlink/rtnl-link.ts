// Links (struct ifinfomsg + IFLA_* attributes, linux/if_link.h): listing, up/down, macvlan VMACs.

import {
  type Attr,
  type AttrSpec,
  type DecodeResult,
  attr,
  attrNested,
  attrStr,
  attrU32,
  attrU8,
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
  NLM_F_REQUEST,
} from './codec.js';
import { AF_INET6, AF_UNSPEC, bytesToMac, macToBytes } from './ip-text.js';
import { type RtnlRequest, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK } from './rtnl-constants.js';

export const IFINFOMSG_LEN = 16;

export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_MASTER = 10;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_AF_SPEC = 26;
export const IFLA_CARRIER = 33;

export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;

export const IFLA_MACVLAN_MODE = 1;

export const IFLA_INET6_ADDR_GEN_MODE = 8;
export const IN6_ADDR_GEN_MODE_NONE = 1;

export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_RUNNING = 0x40;
export const IFF_NOARP = 0x80;
export const IFF_MULTICAST = 0x1000;
export const IFF_LOWER_UP = 0x10000;

export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';
const MACVLAN_MODES: Record<MacvlanMode, number> = {
  private: 1,
  vepa: 2,
  bridge: 4,
  passthru: 8,
  source: 16,
};

export type OperState = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';
const OPER_STATES: OperState[] = [
  'unknown',
  'notpresent',
  'down',
  'lowerlayerdown',
  'testing',
  'dormant',
  'up',
];

/** What the kernel says about one link. */
export interface LinkInfo {
  index: number;
  name: string;
  /** ARPHRD_* (1 = Ethernet, 772 = loopback). */
  hwType: number;
  /** IFF_* bits. */
  flags: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Operationally running (IFF_RUNNING): up, with carrier, not dormant. */
  running: boolean;
  /** Physical layer up (IFF_LOWER_UP). IFLA_CARRIER is not used: it reports a down macvlan's parent. */
  carrier: boolean;
  operState: OperState;
  mac?: string;
  mtu?: number;
  /** IFLA_LINK: the lower device of a macvlan/vlan/veth peer (index in its namespace). */
  parentIndex?: number;
  masterIndex?: number;
  /** IFLA_INFO_KIND: 'macvlan', 'veth', 'bridge', ... */
  kind?: string;
  macvlanMode?: MacvlanMode;
}

export function encodeIfinfomsg(f: {
  family?: number;
  index?: number;
  flags?: number;
  change?: number;
}): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b[0] = f.family ?? AF_UNSPEC;
  writeU16(b, 0, 2);
  writeS32(b, f.index ?? 0, 4);
  writeU32(b, f.flags ?? 0, 8);
  writeU32(b, f.change ?? 0, 12);
  return b;
}

function linkRequest(type: number, flags: number, header: Buffer, attrs: AttrSpec[]): RtnlRequest {
  return { type, flags, payload: Buffer.concat([header, encodeAttrs(attrs)]) };
}

export function getLinksRequest(): RtnlRequest {
  return linkRequest(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, encodeIfinfomsg({}), []);
}

/** Set a link administratively up or down (only IFF_UP changes). */
export function setLinkUpRequest(index: number, up: boolean): RtnlRequest {
  const header = encodeIfinfomsg({ index, flags: up ? IFF_UP : 0, change: IFF_UP });
  return linkRequest(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, header, []);
}

export function deleteLinkRequest(target: { index: number } | { name: string }): RtnlRequest {
  const byIndex = 'index' in target;
  const header = encodeIfinfomsg({ index: byIndex ? target.index : 0 });
  const attrs = byIndex ? [] : [attr.str(IFLA_IFNAME, target.name)];
  return linkRequest(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, header, attrs);
}

export interface MacvlanSpec {
  name: string;
  parentIndex: number;
  /** e.g. 00:00:5e:00:01:<vrid> for a VRRP VMAC. */
  mac?: string;
  mode: MacvlanMode;
}

export function createMacvlanRequest(spec: MacvlanSpec): RtnlRequest {
  const attrs: AttrSpec[] = [attr.str(IFLA_IFNAME, spec.name), attr.u32(IFLA_LINK, spec.parentIndex)];
  if (spec.mac) attrs.push(attr.bytes(IFLA_ADDRESS, macToBytes(spec.mac)));
  attrs.push(
    attr.nested(IFLA_LINKINFO, [
      attr.str(IFLA_INFO_KIND, 'macvlan'),
      attr.nested(IFLA_INFO_DATA, [attr.u32(IFLA_MACVLAN_MODE, MACVLAN_MODES[spec.mode])]),
    ]),
  );
  const flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
  return linkRequest(RTM_NEWLINK, flags, encodeIfinfomsg({}), attrs);
}

export type IpvlanFlags = 'bridge' | 'private' | 'vepa';
// linux/if_link.h: IFLA_IPVLAN_MODE (IPVLAN_MODE_L2 = 0) and IFLA_IPVLAN_FLAGS.
const IFLA_IPVLAN_MODE = 1;
const IFLA_IPVLAN_FLAGS = 2;
const IPVLAN_MODE_L2 = 0;
const IPVLAN_FLAGS: Record<IpvlanFlags, number> = { bridge: 0, private: 1, vepa: 2 };

export interface IpvlanSpec {
  name: string;
  parentIndex: number;
  flags: IpvlanFlags;
}

/** An L2 ipvlan on the parent, created up (keepalived's netlink_link_add_ipvlan). */
export function createIpvlanRequest(spec: IpvlanSpec): RtnlRequest {
  const attrs: AttrSpec[] = [
    attr.u32(IFLA_LINK, spec.parentIndex),
    attr.str(IFLA_IFNAME, spec.name),
    attr.nested(IFLA_LINKINFO, [
      attr.str(IFLA_INFO_KIND, 'ipvlan'),
      attr.nested(IFLA_INFO_DATA, [
        attr.u16(IFLA_IPVLAN_MODE, IPVLAN_MODE_L2),
        attr.u16(IFLA_IPVLAN_FLAGS, IPVLAN_FLAGS[spec.flags]),
      ]),
    ]),
  ];
  const flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
  return linkRequest(RTM_NEWLINK, flags, encodeIfinfomsg({ flags: IFF_UP, change: IFF_UP }), attrs);
}

/**
 * Stop (or restore, eui64 = 0) the kernel generating an IPv6 link-local address on a link. Only valid on
 * an existing link: the kernel refuses IFLA_AF_SPEC for AF_INET6 in the request that creates it.
 */
export function setIpv6AddrGenModeRequest(index: number, none: boolean): RtnlRequest {
  const mode = none ? IN6_ADDR_GEN_MODE_NONE : 0;
  const attrs = [
    attr.nested(IFLA_AF_SPEC, [attr.nested(AF_INET6, [attr.u8(IFLA_INET6_ADDR_GEN_MODE, mode)])]),
  ];
  return linkRequest(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, encodeIfinfomsg({ index }), attrs);
}

function macvlanModeName(n: number | undefined): MacvlanMode | undefined {
  for (const [name, num] of Object.entries(MACVLAN_MODES)) if (num === n) return name as MacvlanMode;
  return undefined;
}

function decodeLinkInfoAttr(a: Attr | undefined): { kind?: string; macvlanMode?: MacvlanMode } {
  const inner = attrNested(a);
  if (!inner) return {};
  const kind = attrStr(findAttr(inner, IFLA_INFO_KIND));
  const out: { kind?: string; macvlanMode?: MacvlanMode } = {};
  if (kind !== undefined) out.kind = kind;
  if (kind === 'macvlan') {
    const data = attrNested(findAttr(inner, IFLA_INFO_DATA));
    const mode = macvlanModeName(data ? attrU32(findAttr(data, IFLA_MACVLAN_MODE)) : undefined);
    if (mode) out.macvlanMode = mode;
  }
  return out;
}

/** Payload of RTM_NEWLINK / RTM_DELLINK. */
export function decodeLink(payload: Buffer): DecodeResult<LinkInfo> {
  const split = splitFamilyPayload(payload, IFINFOMSG_LEN);
  if (!split.ok) return split;
  const { fixed, attrs } = split.value;
  const flags = readU32(fixed, 8);
  const operNum = attrU8(findAttr(attrs, IFLA_OPERSTATE)) ?? 0;
  const link: LinkInfo = {
    index: readS32(fixed, 4),
    name: attrStr(findAttr(attrs, IFLA_IFNAME)) ?? '',
    hwType: readU16(fixed, 2),
    flags,
    up: (flags & IFF_UP) !== 0,
    running: (flags & IFF_RUNNING) !== 0,
    carrier: (flags & IFF_LOWER_UP) !== 0,
    operState: OPER_STATES[operNum] ?? 'unknown',
  };
  const mac = findAttr(attrs, IFLA_ADDRESS);
  if (mac && mac.data.length === 6) link.mac = bytesToMac(mac.data);
  const mtu = attrU32(findAttr(attrs, IFLA_MTU));
  if (mtu !== undefined) link.mtu = mtu;
  const parent = attrU32(findAttr(attrs, IFLA_LINK));
  if (parent !== undefined) link.parentIndex = parent;
  const master = attrU32(findAttr(attrs, IFLA_MASTER));
  if (master !== undefined) link.masterIndex = master;
  Object.assign(link, decodeLinkInfoAttr(findAttr(attrs, IFLA_LINKINFO)));
  return { ok: true, value: link };
}
