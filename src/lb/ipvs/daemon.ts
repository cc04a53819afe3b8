// The connection-sync daemon (IPVS_CMD_ATTR_DAEMON), the connection timeouts (SET/GET_CONFIG) and the
// module's version (GET_INFO): the small messages of linux/ip_vs.h.

import { addressToBytes, formatAddress } from '../../common/inet.js';
import {
  type Attr,
  type AttrSpec,
  type DecodeResult,
  attr,
  attrStr,
  attrU16,
  attrU32,
  attrU8,
  decodeAttrs,
  findAttr,
} from '../../net/netlink/codec.js';
import {
  IP_VS_IFNAME_MAXLEN,
  IPVS_CMD_ATTR_TIMEOUT_TCP,
  IPVS_CMD_ATTR_TIMEOUT_TCP_FIN,
  IPVS_CMD_ATTR_TIMEOUT_UDP,
  IPVS_DAEMON_ATTR_MCAST_GROUP,
  IPVS_DAEMON_ATTR_MCAST_GROUP6,
  IPVS_DAEMON_ATTR_MCAST_IFN,
  IPVS_DAEMON_ATTR_MCAST_PORT,
  IPVS_DAEMON_ATTR_MCAST_TTL,
  IPVS_DAEMON_ATTR_STATE,
  IPVS_DAEMON_ATTR_SYNC_ID,
  IPVS_DAEMON_ATTR_SYNC_MAXLEN,
  IPVS_INFO_ATTR_CONN_TAB_SIZE,
  IPVS_INFO_ATTR_VERSION,
} from './constants.js';
import { checkName } from './wire-common.js';

export interface IpvsDaemon {
  /** IP_VS_STATE_MASTER or IP_VS_STATE_BACKUP. */
  state: number;
  /** Interface the sync messages use; required to start a daemon. */
  mcastIfn?: string;
  /** Sync id; required to start a daemon. */
  syncId?: number;
  /** Largest sync message (UDP payload) in bytes. */
  syncMaxlen?: number;
  /** Multicast group, IPv4 or IPv6 (the kernel's default is 224.0.0.81). */
  mcastGroup?: string;
  /** Base UDP port (the kernel's default is 8848). */
  mcastPort?: number;
  mcastTtl?: number;
}

/**
 * The nest's content in keepalived's order: STATE, MCAST_IFN, SYNC_ID, then SYNC_MAXLEN, MCAST_PORT,
 * MCAST_TTL and the group where given. Stopping a daemon needs STATE only (keepalived adds SYNC_ID).
 */
export function encodeDaemonAttrs(d: IpvsDaemon): AttrSpec[] {
  const out: AttrSpec[] = [attr.u32(IPVS_DAEMON_ATTR_STATE, d.state)];
  if (d.mcastIfn !== undefined) {
    out.push(attr.str(IPVS_DAEMON_ATTR_MCAST_IFN, checkName('interface', d.mcastIfn, IP_VS_IFNAME_MAXLEN)));
  }
  if (d.syncId !== undefined) out.push(attr.u32(IPVS_DAEMON_ATTR_SYNC_ID, d.syncId));
  if (d.syncMaxlen !== undefined) out.push(attr.u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, d.syncMaxlen));
  if (d.mcastPort !== undefined) out.push(attr.u16(IPVS_DAEMON_ATTR_MCAST_PORT, d.mcastPort));
  if (d.mcastTtl !== undefined) out.push(attr.u8(IPVS_DAEMON_ATTR_MCAST_TTL, d.mcastTtl));
  if (d.mcastGroup !== undefined) {
    const bytes = addressToBytes(d.mcastGroup);
    if (!bytes) throw new RangeError(`not an IP address: ${JSON.stringify(d.mcastGroup)}`);
    // Both travel in network order (nla_get_in_addr / nla_get_in6_addr).
    out.push(
      attr.bytes(bytes.length === 4 ? IPVS_DAEMON_ATTR_MCAST_GROUP : IPVS_DAEMON_ATTR_MCAST_GROUP6, bytes),
    );
  }
  return out;
}

/** The content of an IPVS_CMD_ATTR_DAEMON nest (a GET_DAEMON dump gives one per running daemon). */
export function decodeDaemon(nest: Attr): DecodeResult<IpvsDaemon> {
  const parsed = decodeAttrs(nest.data);
  if (!parsed.ok) return { ok: false, error: `daemon: ${parsed.error}` };
  const a = parsed.value;
  const state = attrU32(findAttr(a, IPVS_DAEMON_ATTR_STATE));
  if (state === undefined) return { ok: false, error: 'daemon: state missing' };
  const out: IpvsDaemon = { state };
  const ifn = attrStr(findAttr(a, IPVS_DAEMON_ATTR_MCAST_IFN));
  if (ifn !== undefined) out.mcastIfn = ifn;
  const syncId = attrU32(findAttr(a, IPVS_DAEMON_ATTR_SYNC_ID));
  if (syncId !== undefined) out.syncId = syncId;
  const maxlen = attrU16(findAttr(a, IPVS_DAEMON_ATTR_SYNC_MAXLEN));
  if (maxlen !== undefined) out.syncMaxlen = maxlen;
  const port = attrU16(findAttr(a, IPVS_DAEMON_ATTR_MCAST_PORT));
  if (port !== undefined) out.mcastPort = port;
  const ttl = attrU8(findAttr(a, IPVS_DAEMON_ATTR_MCAST_TTL));
  if (ttl !== undefined) out.mcastTtl = ttl;
  const group4 = findAttr(a, IPVS_DAEMON_ATTR_MCAST_GROUP);
  const group6 = findAttr(a, IPVS_DAEMON_ATTR_MCAST_GROUP6);
  if (group6 && group6.data.length >= 16) out.mcastGroup = formatAddress(group6.data, 0, 6);
  else if (group4 && group4.data.length >= 4) out.mcastGroup = formatAddress(group4.data, 0, 4);
  return { ok: true, value: out };
}

/** Connection timeouts in seconds (`lvs_timeouts`, `ipvsadm --set`); 0 or absent: unchanged. */
export interface IpvsTimeouts {
  tcp?: number;
  tcpFin?: number;
  udp?: number;
}

/** First-level attributes of SET_CONFIG and of the GET_CONFIG answer. */
export function encodeTimeoutAttrs(t: IpvsTimeouts): AttrSpec[] {
  const out: AttrSpec[] = [];
  if (t.tcp !== undefined) out.push(attr.u32(IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp));
  if (t.tcpFin !== undefined) out.push(attr.u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcpFin));
  if (t.udp !== undefined) out.push(attr.u32(IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp));
  return out;
}

export function decodeTimeouts(attrs: readonly Attr[]): IpvsTimeouts {
  const out: IpvsTimeouts = {};
  const tcp = attrU32(findAttr(attrs, IPVS_CMD_ATTR_TIMEOUT_TCP));
  if (tcp !== undefined) out.tcp = tcp;
  const tcpFin = attrU32(findAttr(attrs, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN));
  if (tcpFin !== undefined) out.tcpFin = tcpFin;
  const udp = attrU32(findAttr(attrs, IPVS_CMD_ATTR_TIMEOUT_UDP));
  if (udp !== undefined) out.udp = udp;
  return out;
}

export interface IpvsInfo {
  /** IP_VS_VERSION_CODE: 0x010201 is "1.2.1". */
  version: number;
  connTabSize: number;
}

export function encodeInfoAttrs(i: IpvsInfo): AttrSpec[] {
  return [attr.u32(IPVS_INFO_ATTR_VERSION, i.version), attr.u32(IPVS_INFO_ATTR_CONN_TAB_SIZE, i.connTabSize)];
}

export function decodeInfo(attrs: readonly Attr[]): DecodeResult<IpvsInfo> {
  const version = attrU32(findAttr(attrs, IPVS_INFO_ATTR_VERSION));
  const connTabSize = attrU32(findAttr(attrs, IPVS_INFO_ATTR_CONN_TAB_SIZE));
  if (version === undefined || connTabSize === undefined) {
    return { ok: false, error: 'info: version or connection table size missing' };
  }
  return { ok: true, value: { version, connTabSize } };
}

/** "1.2.1" from IP_VS_VERSION_CODE. */
export function formatIpvsVersion(code: number): string {
  return `${(code >> 16) & 0xff}.${(code >> 8) & 0xff}.${code & 0xff}`;
}
