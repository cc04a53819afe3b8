// Policy routing rules (struct fib_rule_hdr + FRA_* attributes, linux/fib_rules.h): virtual_rules.

import {
  type Attr,
  type AttrSpec,
  type DecodeResult,
  attr,
  attrStr,
  attrU32,
  attrU8,
  encodeAttrs,
  findAttr,
  readU16,
  readU32,
  splitFamilyPayload,
  writeU16,
  writeU32,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REQUEST,
} from './codec.js';
import { type AddressFamily, afOf, familyOfAf, formatCidr, parseCidr, AF_UNSPEC } from './ip-text.js';
import {
  type RtnlRequest,
  RTM_DELRULE,
  RTM_GETRULE,
  RTM_NEWRULE,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
} from './rtnl-constants.js';

export const FIB_RULE_HDR_LEN = 12;

export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_IIFNAME = 3;
export const FRA_GOTO = 4;
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_FLOW = 11;
export const FRA_SUPPRESS_IFGROUP = 13;
export const FRA_SUPPRESS_PREFIXLEN = 14;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FRA_OIFNAME = 17;
export const FRA_L3MDEV = 19;
export const FRA_UID_RANGE = 20;
export const FRA_PROTOCOL = 21;
export const FRA_IP_PROTO = 22;
export const FRA_SPORT_RANGE = 23;
export const FRA_DPORT_RANGE = 24;

export const FIB_RULE_INVERT = 0x2;

export type RuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';
const RULE_ACTIONS: Record<RuleAction, number> = {
  table: 1,
  goto: 2,
  nop: 3,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
};

export interface PortRange {
  start: number;
  end: number;
}

/** A rule to add or delete; keepalived's virtual_rules keywords map one to one. */
export interface RuleSpec {
  /** Needed only when neither from nor to gives it. */
  family?: AddressFamily;
  /** Source prefix, "10.0.0.0/8" ("all" = omit). */
  from?: string;
  to?: string;
  /** preference / priority / order. */
  priority?: number;
  /** Default 'table' (with table main when none is given). */
  action?: RuleAction;
  table?: number;
  /** Target priority for action 'goto'. */
  goto?: number;
  fwmark?: number;
  fwmask?: number;
  iif?: string;
  oif?: string;
  /** tos / dsfield. */
  tos?: number;
  /** The `not` keyword. */
  invert?: boolean;
  suppressPrefixLength?: number;
  suppressIfgroup?: number;
  /** FRA_FLOW realms: (from << 16) | to. */
  realms?: number;
  l3mdev?: boolean;
  uidRange?: PortRange;
  protocol?: number;
  ipProto?: number;
  sport?: PortRange;
  dport?: PortRange;
}

export interface RuleInfo extends Omit<RuleSpec, 'family' | 'action'> {
  family: AddressFamily;
  action: RuleAction | number;
  table: number;
  flags: number;
}

type NumericRuleField = {
  [K in keyof RuleInfo]-?: number extends RuleInfo[K]
    ? RuleInfo[K] extends number | undefined
      ? K
      : never
    : never;
}[keyof RuleInfo];

export function encodeFibRuleHdr(f: {
  family: number;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  action: number;
  flags: number;
}): Buffer {
  const b = Buffer.alloc(FIB_RULE_HDR_LEN);
  b[0] = f.family;
  b[1] = f.dstLen;
  b[2] = f.srcLen;
  b[3] = f.tos;
  b[4] = f.table;
  b[7] = f.action;
  writeU32(b, f.flags, 8);
  return b;
}

export function getRulesRequest(family?: AddressFamily): RtnlRequest {
  const header = encodeFibRuleHdr({
    family: family ? afOf(family) : AF_UNSPEC,
    dstLen: 0,
    srcLen: 0,
    tos: 0,
    table: 0,
    action: 0,
    flags: 0,
  });
  return { type: RTM_GETRULE, flags: NLM_F_REQUEST | NLM_F_DUMP, payload: header };
}

function range(type: number, r: PortRange, width: 2 | 4): AttrSpec {
  const b = Buffer.alloc(width * 2);
  if (width === 2) {
    writeU16(b, r.start, 0);
    writeU16(b, r.end, 2);
  } else {
    writeU32(b, r.start, 0);
    writeU32(b, r.end, 4);
  }
  return attr.bytes(type, b);
}

function ruleMessage(spec: RuleSpec, type: number, flags: number): RtnlRequest {
  const from = spec.from ? parseCidr(spec.from) : undefined;
  const to = spec.to ? parseCidr(spec.to) : undefined;
  const family = from?.family ?? to?.family ?? spec.family ?? 4;
  if ((from && from.family !== family) || (to && to.family !== family)) {
    throw new RangeError('rule from/to/family disagree');
  }
  const action = spec.action ?? 'table';
  const table = spec.table ?? (action === 'table' ? RT_TABLE_MAIN : RT_TABLE_UNSPEC);
  const header = encodeFibRuleHdr({
    family: afOf(family),
    dstLen: to?.prefixLen ?? 0,
    srcLen: from?.prefixLen ?? 0,
    tos: spec.tos ?? 0,
    table: table < 256 ? table : RT_TABLE_UNSPEC,
    action: RULE_ACTIONS[action],
    flags: spec.invert ? FIB_RULE_INVERT : 0,
  });
  const attrs: AttrSpec[] = [];
  if (table !== RT_TABLE_UNSPEC) attrs.push(attr.u32(FRA_TABLE, table));
  if (from && from.prefixLen > 0) attrs.push(attr.bytes(FRA_SRC, from.bytes));
  if (to && to.prefixLen > 0) attrs.push(attr.bytes(FRA_DST, to.bytes));
  if (spec.priority !== undefined) attrs.push(attr.u32(FRA_PRIORITY, spec.priority));
  if (spec.goto !== undefined) attrs.push(attr.u32(FRA_GOTO, spec.goto));
  if (spec.fwmark !== undefined) attrs.push(attr.u32(FRA_FWMARK, spec.fwmark));
  if (spec.fwmask !== undefined) attrs.push(attr.u32(FRA_FWMASK, spec.fwmask));
  if (spec.iif !== undefined) attrs.push(attr.str(FRA_IIFNAME, spec.iif));
  if (spec.oif !== undefined) attrs.push(attr.str(FRA_OIFNAME, spec.oif));
  if (spec.suppressPrefixLength !== undefined) {
    attrs.push(attr.u32(FRA_SUPPRESS_PREFIXLEN, spec.suppressPrefixLength));
  }
  if (spec.suppressIfgroup !== undefined) attrs.push(attr.u32(FRA_SUPPRESS_IFGROUP, spec.suppressIfgroup));
  if (spec.realms !== undefined) attrs.push(attr.u32(FRA_FLOW, spec.realms));
  if (spec.l3mdev) attrs.push(attr.u8(FRA_L3MDEV, 1));
  if (spec.uidRange) attrs.push(range(FRA_UID_RANGE, spec.uidRange, 4));
  if (spec.protocol !== undefined) attrs.push(attr.u8(FRA_PROTOCOL, spec.protocol));
  if (spec.ipProto !== undefined) attrs.push(attr.u8(FRA_IP_PROTO, spec.ipProto));
  if (spec.sport) attrs.push(range(FRA_SPORT_RANGE, spec.sport, 2));
  if (spec.dport) attrs.push(range(FRA_DPORT_RANGE, spec.dport, 2));
  return { type, flags, payload: Buffer.concat([header, encodeAttrs(attrs)]) };
}

export function addRuleRequest(spec: RuleSpec): RtnlRequest {
  return ruleMessage(spec, RTM_NEWRULE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
}

/** Deletes the first rule matching every field given. */
export function deleteRuleRequest(spec: RuleSpec): RtnlRequest {
  return ruleMessage(spec, RTM_DELRULE, NLM_F_REQUEST | NLM_F_ACK);
}

function decodeRange(a: Attr | undefined, width: 2 | 4): PortRange | undefined {
  if (!a || a.data.length < width * 2) return undefined;
  return width === 2
    ? { start: readU16(a.data, 0), end: readU16(a.data, 2) }
    : { start: readU32(a.data, 0), end: readU32(a.data, 4) };
}

/** Payload of RTM_NEWRULE / RTM_DELRULE. */
export function decodeRule(payload: Buffer): DecodeResult<RuleInfo> {
  const split = splitFamilyPayload(payload, FIB_RULE_HDR_LEN);
  if (!split.ok) return split;
  const { fixed, attrs } = split.value;
  const family = familyOfAf(fixed[0] as number);
  if (!family) return { ok: false, error: `fib_rule_hdr family ${fixed[0]} is not IPv4/IPv6` };
  const actionNum = fixed[7] as number;
  const actionName = (Object.keys(RULE_ACTIONS) as RuleAction[]).find((k) => RULE_ACTIONS[k] === actionNum);
  const flags = readU32(fixed, 8);
  const info: RuleInfo = {
    family,
    action: actionName ?? actionNum,
    table: attrU32(findAttr(attrs, FRA_TABLE)) ?? (fixed[4] as number),
    flags,
  };
  const src = findAttr(attrs, FRA_SRC);
  if (src) info.from = formatCidr(src.data, fixed[2] as number);
  const dst = findAttr(attrs, FRA_DST);
  if (dst) info.to = formatCidr(dst.data, fixed[1] as number);
  if (fixed[3]) info.tos = fixed[3] as number;
  if (flags & FIB_RULE_INVERT) info.invert = true;
  /** The rule's numeric fields, each read from one u32 attribute. */
  const u32s: [NumericRuleField, number][] = [
    ['priority', FRA_PRIORITY],
    ['goto', FRA_GOTO],
    ['fwmark', FRA_FWMARK],
    ['fwmask', FRA_FWMASK],
    ['suppressPrefixLength', FRA_SUPPRESS_PREFIXLEN],
    ['suppressIfgroup', FRA_SUPPRESS_IFGROUP],
    ['realms', FRA_FLOW],
  ];
  for (const [key, type] of u32s) {
    const v = attrU32(findAttr(attrs, type));
    // The kernel reports unset suppress_* as -1.
    const unset = v === 0xffffffff && (type === FRA_SUPPRESS_PREFIXLEN || type === FRA_SUPPRESS_IFGROUP);
    if (v !== undefined && !unset) info[key] = v;
  }
  const iif = attrStr(findAttr(attrs, FRA_IIFNAME));
  if (iif !== undefined) info.iif = iif;
  const oif = attrStr(findAttr(attrs, FRA_OIFNAME));
  if (oif !== undefined) info.oif = oif;
  if (attrU8(findAttr(attrs, FRA_L3MDEV))) info.l3mdev = true;
  const protocol = attrU8(findAttr(attrs, FRA_PROTOCOL));
  if (protocol) info.protocol = protocol; // 0 (unspec) is what every rule without one reports
  const ipProto = attrU8(findAttr(attrs, FRA_IP_PROTO));
  if (ipProto !== undefined) info.ipProto = ipProto;
  const uid = decodeRange(findAttr(attrs, FRA_UID_RANGE), 4);
  if (uid) info.uidRange = uid;
  const sport = decodeRange(findAttr(attrs, FRA_SPORT_RANGE), 2);
  if (sport) info.sport = sport;
  const dport = decodeRange(findAttr(attrs, FRA_DPORT_RANGE), 2);
  if (dport) info.dport = dport;
  return { ok: true, value: info };
}
