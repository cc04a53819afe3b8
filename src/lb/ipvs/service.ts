// A virtual service as IPVS_CMD_ATTR_SERVICE carries it, field by field as linux/ip_vs.h and the
// kernel's ip_vs_genl_parse_service / ip_vs_genl_fill_service read and write it.

import {
  type Attr,
  type AttrSpec,
  type DecodeResult,
  attr,
  attrStr,
  attrU16,
  attrU32,
  decodeAttrs,
  findAttr,
  HOST_LE,
  writeU32,
} from '../../net/netlink/codec.js';
import {
  AF_INET,
  IP_VS_PENAME_MAXLEN,
  IP_VS_SCHEDNAME_MAXLEN,
  IPVS_SVC_ATTR_ADDR,
  IPVS_SVC_ATTR_AF,
  IPVS_SVC_ATTR_FLAGS,
  IPVS_SVC_ATTR_FWMARK,
  IPVS_SVC_ATTR_NETMASK,
  IPVS_SVC_ATTR_PE_NAME,
  IPVS_SVC_ATTR_PORT,
  IPVS_SVC_ATTR_PROTOCOL,
  IPVS_SVC_ATTR_SCHED_NAME,
  IPVS_SVC_ATTR_STATS,
  IPVS_SVC_ATTR_STATS64,
  IPVS_SVC_ATTR_TIMEOUT,
} from './constants.js';
import { type IpvsStats, decodeStats, encodeStats } from './stats.js';
import { attrBe16, be16Attr, checkName, decodeInetAddr, encodeInetAddr } from './wire-common.js';

/** What identifies a service: a firewall mark, or protocol + address + port. */
export type IpvsServiceId =
  { af: number; fwmark: number } | { af: number; protocol: number; address: string; port: number };

export interface IpvsServiceOptions {
  /** Scheduler name ("wlc"): required to add or edit a service. */
  schedName?: string;
  /** Persistence engine ("sip"); absent: none (an edit without it removes the engine). */
  peName?: string;
  /** IP_VS_SVC_F_* bits. */
  flags?: number;
  /** Which bits `flags` sets (struct ip_vs_flags' mask); all of them unless said. */
  flagsMask?: number;
  /** Persistence timeout in seconds. */
  timeout?: number;
  /** Persistence granularity: for IPv4 the mask as a number (0xffffff00), for IPv6 the prefix length. */
  netmask?: number;
  /** Counters, in dumps. */
  stats?: IpvsStats;
  stats64?: IpvsStats;
}

export type IpvsService = IpvsServiceId & IpvsServiceOptions;

export function isFwmarkService(s: IpvsServiceId): s is { af: number; fwmark: number } {
  return 'fwmark' in s && s.fwmark !== 0;
}

/** NETMASK travels as __be32: an IPv4 mask in network order, an IPv6 prefix length as it sits in memory. */
function netmaskAttr(af: number, v: number): AttrSpec {
  const b = Buffer.alloc(4);
  if (af === AF_INET) b.writeUInt32BE(v >>> 0, 0);
  else writeU32(b, v, 0);
  return { type: IPVS_SVC_ATTR_NETMASK, value: b };
}

function readNetmask(af: number, a: Attr | undefined): number | undefined {
  if (!a || a.data.length < 4) return undefined;
  if (af === AF_INET) return a.data.readUInt32BE(0);
  return HOST_LE ? a.data.readUInt32LE(0) : a.data.readUInt32BE(0);
}

/**
 * The nest's content in the order keepalived's libipvs writes it: AF, then FWMARK or PROTOCOL + ADDR +
 * PORT, then whichever of SCHED_NAME, PE_NAME, FLAGS, TIMEOUT, NETMASK are given (and counters, as the
 * kernel writes them in dumps). Throws RangeError on an address or name the kernel could not take.
 */
export function encodeServiceAttrs(s: IpvsService): AttrSpec[] {
  const out: AttrSpec[] = [attr.u16(IPVS_SVC_ATTR_AF, s.af)];
  if (isFwmarkService(s)) {
    out.push(attr.u32(IPVS_SVC_ATTR_FWMARK, s.fwmark));
  } else if ('address' in s) {
    out.push(
      attr.u16(IPVS_SVC_ATTR_PROTOCOL, s.protocol),
      attr.bytes(IPVS_SVC_ATTR_ADDR, encodeInetAddr(s.af, s.address)),
      be16Attr(IPVS_SVC_ATTR_PORT, s.port),
    );
  } else {
    throw new RangeError('an IPVS service needs a firewall mark or protocol, address and port');
  }
  if (s.schedName !== undefined) {
    out.push(attr.str(IPVS_SVC_ATTR_SCHED_NAME, checkName('scheduler', s.schedName, IP_VS_SCHEDNAME_MAXLEN)));
  }
  if (s.peName !== undefined) {
    out.push(attr.str(IPVS_SVC_ATTR_PE_NAME, checkName('persistence engine', s.peName, IP_VS_PENAME_MAXLEN)));
  }
  if (s.flags !== undefined) {
    const flags = Buffer.alloc(8);
    writeU32(flags, s.flags, 0);
    writeU32(flags, s.flagsMask ?? 0xffffffff, 4);
    out.push(attr.bytes(IPVS_SVC_ATTR_FLAGS, flags));
  }
  if (s.timeout !== undefined) out.push(attr.u32(IPVS_SVC_ATTR_TIMEOUT, s.timeout));
  if (s.netmask !== undefined) out.push(netmaskAttr(s.af, s.netmask));
  if (s.stats) out.push(attr.nested(IPVS_SVC_ATTR_STATS, encodeStats(s.stats, false)));
  if (s.stats64) out.push(attr.nested(IPVS_SVC_ATTR_STATS64, encodeStats(s.stats64, true)));
  return out;
}

/** The content of an IPVS_CMD_ATTR_SERVICE nest. AF and the identifying fields are required. */
export function decodeService(nest: Attr): DecodeResult<IpvsService> {
  const parsed = decodeAttrs(nest.data);
  if (!parsed.ok) return { ok: false, error: `service: ${parsed.error}` };
  const a = parsed.value;
  const af = attrU16(findAttr(a, IPVS_SVC_ATTR_AF));
  if (af === undefined) return { ok: false, error: 'service: address family missing' };
  let id: IpvsServiceId;
  const fwmark = attrU32(findAttr(a, IPVS_SVC_ATTR_FWMARK));
  if (fwmark !== undefined) {
    id = { af, fwmark };
  } else {
    const protocol = attrU16(findAttr(a, IPVS_SVC_ATTR_PROTOCOL));
    const addr = findAttr(a, IPVS_SVC_ATTR_ADDR);
    const address = addr && decodeInetAddr(af, addr.data);
    const port = attrBe16(findAttr(a, IPVS_SVC_ATTR_PORT));
    if (protocol === undefined || address === undefined || port === undefined) {
      return { ok: false, error: 'service: neither a firewall mark nor protocol, address and port' };
    }
    id = { af, protocol, address, port };
  }
  const out: IpvsService = { ...id };
  const schedName = attrStr(findAttr(a, IPVS_SVC_ATTR_SCHED_NAME));
  if (schedName !== undefined) out.schedName = schedName;
  const peName = attrStr(findAttr(a, IPVS_SVC_ATTR_PE_NAME));
  if (peName !== undefined) out.peName = peName;
  const flags = findAttr(a, IPVS_SVC_ATTR_FLAGS);
  if (flags) {
    if (flags.data.length < 8)
      return { ok: false, error: `service: flags are ${flags.data.length} bytes, not 8` };
    out.flags = attrU32(flags);
    out.flagsMask = attrU32({ ...flags, data: flags.data.subarray(4) });
  }
  const timeout = attrU32(findAttr(a, IPVS_SVC_ATTR_TIMEOUT));
  if (timeout !== undefined) out.timeout = timeout;
  const netmask = readNetmask(af, findAttr(a, IPVS_SVC_ATTR_NETMASK));
  if (netmask !== undefined) out.netmask = netmask;
  for (const [type, field] of [
    [IPVS_SVC_ATTR_STATS, 'stats'],
    [IPVS_SVC_ATTR_STATS64, 'stats64'],
  ] as const) {
    const nestAttr = findAttr(a, type);
    if (!nestAttr) continue;
    const stats = decodeStats(nestAttr);
    if (!stats.ok) return { ok: false, error: `service ${field}: ${stats.error}` };
    out[field] = stats.value;
  }
  return { ok: true, value: out };
}

/** Only the identifying fields of a service (what GET_DEST, DEL_SERVICE and ZERO need). */
export function serviceId(s: IpvsServiceId): IpvsServiceId {
  if ('address' in s && !isFwmarkService(s)) {
    return { af: s.af, protocol: s.protocol, address: s.address, port: s.port };
  }
  return { af: s.af, fwmark: 'fwmark' in s ? s.fwmark : 0 };
}
