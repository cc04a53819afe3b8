// A real server as IPVS_CMD_ATTR_DEST carries it (linux/ip_vs.h; the kernel's ip_vs_genl_parse_dest and
// ip_vs_genl_fill_dest), tunnel attributes of kernels 5.2+ included.

import {
  type Attr,
  type AttrSpec,
  type DecodeResult,
  attr,
  attrU16,
  attrU32,
  attrU8,
  decodeAttrs,
  findAttr,
} from '../../net/netlink/codec.js';
import {
  IPVS_DEST_ATTR_ACTIVE_CONNS,
  IPVS_DEST_ATTR_ADDR,
  IPVS_DEST_ATTR_ADDR_FAMILY,
  IPVS_DEST_ATTR_FWD_METHOD,
  IPVS_DEST_ATTR_INACT_CONNS,
  IPVS_DEST_ATTR_L_THRESH,
  IPVS_DEST_ATTR_PERSIST_CONNS,
  IPVS_DEST_ATTR_PORT,
  IPVS_DEST_ATTR_STATS,
  IPVS_DEST_ATTR_STATS64,
  IPVS_DEST_ATTR_TUN_FLAGS,
  IPVS_DEST_ATTR_TUN_PORT,
  IPVS_DEST_ATTR_TUN_TYPE,
  IPVS_DEST_ATTR_U_THRESH,
  IPVS_DEST_ATTR_WEIGHT,
} from './constants.js';
import { type IpvsStats, decodeStats, encodeStats } from './stats.js';
import { attrBe16, be16Attr, decodeInetAddr, encodeInetAddr } from './wire-common.js';

export interface IpvsDestination {
  /** AF_INET / AF_INET6 of the address (IPVS_DEST_ATTR_ADDR_FAMILY). */
  af: number;
  address: string;
  port: number;
  /** IP_VS_CONN_F_MASQ / TUNNEL / DROUTE; required to add or edit. */
  fwdMethod?: number;
  /** Required to add or edit; 0 keeps the server but sends it no new connections. */
  weight?: number;
  uThreshold?: number;
  lThreshold?: number;
  /** IP_VS_CONN_F_TUNNEL_TYPE_*, only for TUNNEL. */
  tunType?: number;
  /** GUE's UDP port. */
  tunPort?: number;
  /** IP_VS_TUNNEL_ENCAP_FLAG_*. */
  tunFlags?: number;
  // Dumps only.
  activeConns?: number;
  inactConns?: number;
  persistConns?: number;
  stats?: IpvsStats;
  stats64?: IpvsStats;
}

/**
 * The nest's content in keepalived's order (ADDR_FAMILY, ADDR, PORT, FWD_METHOD, WEIGHT, the tunnel
 * attributes, U_THRESH, L_THRESH), then what dumps add. Only the fields given are written.
 */
export function encodeDestinationAttrs(d: IpvsDestination): AttrSpec[] {
  const out: AttrSpec[] = [
    attr.u16(IPVS_DEST_ATTR_ADDR_FAMILY, d.af),
    attr.bytes(IPVS_DEST_ATTR_ADDR, encodeInetAddr(d.af, d.address)),
    be16Attr(IPVS_DEST_ATTR_PORT, d.port),
  ];
  if (d.fwdMethod !== undefined) out.push(attr.u32(IPVS_DEST_ATTR_FWD_METHOD, d.fwdMethod));
  if (d.weight !== undefined) out.push(attr.u32(IPVS_DEST_ATTR_WEIGHT, d.weight));
  if (d.tunType !== undefined) out.push(attr.u8(IPVS_DEST_ATTR_TUN_TYPE, d.tunType));
  if (d.tunPort !== undefined) out.push(be16Attr(IPVS_DEST_ATTR_TUN_PORT, d.tunPort));
  if (d.tunFlags !== undefined) out.push(attr.u16(IPVS_DEST_ATTR_TUN_FLAGS, d.tunFlags));
  if (d.uThreshold !== undefined) out.push(attr.u32(IPVS_DEST_ATTR_U_THRESH, d.uThreshold));
  if (d.lThreshold !== undefined) out.push(attr.u32(IPVS_DEST_ATTR_L_THRESH, d.lThreshold));
  if (d.activeConns !== undefined) out.push(attr.u32(IPVS_DEST_ATTR_ACTIVE_CONNS, d.activeConns));
  if (d.inactConns !== undefined) out.push(attr.u32(IPVS_DEST_ATTR_INACT_CONNS, d.inactConns));
  if (d.persistConns !== undefined) out.push(attr.u32(IPVS_DEST_ATTR_PERSIST_CONNS, d.persistConns));
  if (d.stats) out.push(attr.nested(IPVS_DEST_ATTR_STATS, encodeStats(d.stats, false)));
  if (d.stats64) out.push(attr.nested(IPVS_DEST_ATTR_STATS64, encodeStats(d.stats64, true)));
  return out;
}

/**
 * The content of an IPVS_CMD_ATTR_DEST nest. `serviceAf` stands in for a missing ADDR_FAMILY (kernels
 * before 4.2 did not send it: the destination then has the service's family).
 */
export function decodeDestination(nest: Attr, serviceAf?: number): DecodeResult<IpvsDestination> {
  const parsed = decodeAttrs(nest.data);
  if (!parsed.ok) return { ok: false, error: `destination: ${parsed.error}` };
  const a = parsed.value;
  const af = attrU16(findAttr(a, IPVS_DEST_ATTR_ADDR_FAMILY)) ?? serviceAf;
  if (af === undefined) return { ok: false, error: 'destination: address family unknown' };
  const addr = findAttr(a, IPVS_DEST_ATTR_ADDR);
  const address = addr && decodeInetAddr(af, addr.data);
  const port = attrBe16(findAttr(a, IPVS_DEST_ATTR_PORT));
  if (address === undefined || port === undefined) {
    return { ok: false, error: 'destination: address or port missing' };
  }
  const out: IpvsDestination = { af, address, port };
  const u32Fields = [
    ['fwdMethod', IPVS_DEST_ATTR_FWD_METHOD],
    ['weight', IPVS_DEST_ATTR_WEIGHT],
    ['uThreshold', IPVS_DEST_ATTR_U_THRESH],
    ['lThreshold', IPVS_DEST_ATTR_L_THRESH],
    ['activeConns', IPVS_DEST_ATTR_ACTIVE_CONNS],
    ['inactConns', IPVS_DEST_ATTR_INACT_CONNS],
    ['persistConns', IPVS_DEST_ATTR_PERSIST_CONNS],
  ] as const;
  for (const [field, type] of u32Fields) {
    const v = attrU32(findAttr(a, type));
    if (v !== undefined) out[field] = v;
  }
  const tunType = attrU8(findAttr(a, IPVS_DEST_ATTR_TUN_TYPE));
  if (tunType !== undefined) out.tunType = tunType;
  const tunPort = attrBe16(findAttr(a, IPVS_DEST_ATTR_TUN_PORT));
  if (tunPort !== undefined) out.tunPort = tunPort;
  const tunFlags = attrU16(findAttr(a, IPVS_DEST_ATTR_TUN_FLAGS));
  if (tunFlags !== undefined) out.tunFlags = tunFlags;
  for (const [type, field] of [
    [IPVS_DEST_ATTR_STATS, 'stats'],
    [IPVS_DEST_ATTR_STATS64, 'stats64'],
  ] as const) {
    const nestAttr = findAttr(a, type);
    if (!nestAttr) continue;
    const stats = decodeStats(nestAttr);
    if (!stats.ok) return { ok: false, error: `destination ${field}: ${stats.error}` };
    out[field] = stats.value;
  }
  return { ok: true, value: out };
}
