// Interface addresses (struct ifaddrmsg + IFA_* attributes, linux/if_addr.h): VIPs in and out.

import {
  type AttrSpec,
  type DecodeResult,
  attr,
  attrStr,
  attrU32,
  encodeAttrs,
  findAttr,
  readU32,
  splitFamilyPayload,
  writeU32,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
} from './codec.js';
import { bytesToAddress } from '../../common/inet.js';
import { type AddressFamily, afOf, familyOfAf, parseCidr, AF_UNSPEC } from './ip-text.js';
import {
  type RtnlRequest,
  type ScopeName,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_NEWADDR,
  scopeName,
  scopeNumber,
} from './rtnl-constants.js';

export const IFADDRMSG_LEN = 8;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_CACHEINFO = 6;
export const IFA_FLAGS = 8;

export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_OPTIMISTIC = 0x04;
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_HOMEADDRESS = 0x10;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_MANAGETEMPADDR = 0x100;
export const IFA_F_NOPREFIXROUTE = 0x200;
export const IFA_F_MCAUTOJOIN = 0x400;

/** Lifetime meaning "forever" in ifa_cacheinfo. */
export const INFINITY_LIFETIME = 0xffffffff;

/** An address to add or delete. */
export interface AddressSpec {
  ifindex: number;
  /** "192.168.1.10/24", "2001:db8::1/64"; no "/len" means a host address (/32 or /128), as keepalived does. */
  address: string;
  /** Point-to-point peer (IFA_ADDRESS differs from IFA_LOCAL). */
  peer?: string;
  /** IPv4 only. */
  broadcast?: string;
  /** IPv4 only: "eth0:vip"; must start with the interface name. */
  label?: string;
  scope?: ScopeName | number;
  /** IFA_F_* bits: IFA_F_NODAD for IPv6 VIPs, IFA_F_NOPREFIXROUTE, IFA_F_HOMEADDRESS ... */
  flags?: number;
  /** Seconds; 0 makes an IPv6 address deprecated (never chosen as source). Sent with validLft. */
  preferredLft?: number;
  validLft?: number;
}

/** An address as the kernel reports it. */
export interface AddressInfo {
  family: AddressFamily;
  ifindex: number;
  /** IFA_LOCAL when present (IPv4 and p2p), else IFA_ADDRESS. */
  address: string;
  prefixLen: number;
  peer?: string;
  broadcast?: string;
  label?: string;
  scope: ScopeName | number;
  /** Full IFA_F_* set (IFA_FLAGS when sent, else the 8-bit ifa_flags). */
  flags: number;
  preferredLft?: number;
  validLft?: number;
}

export function encodeIfaddrmsg(f: {
  family: number;
  prefixLen: number;
  flags: number;
  scope: number;
  index: number;
}): Buffer {
  const b = Buffer.alloc(IFADDRMSG_LEN);
  b[0] = f.family;
  b[1] = f.prefixLen;
  b[2] = f.flags & 0xff;
  b[3] = f.scope;
  writeU32(b, f.index, 4);
  return b;
}

export function getAddressesRequest(family?: AddressFamily): RtnlRequest {
  const header = encodeIfaddrmsg({
    family: family ? afOf(family) : AF_UNSPEC,
    prefixLen: 0,
    flags: 0,
    scope: 0,
    index: 0,
  });
  return { type: RTM_GETADDR, flags: NLM_F_REQUEST | NLM_F_DUMP, payload: header };
}

function addressAttrs(spec: AddressSpec, forAdd: boolean): { header: Buffer; attrs: AttrSpec[] } {
  const local = parseCidr(spec.address);
  const flags = spec.flags ?? 0;
  const header = encodeIfaddrmsg({
    family: afOf(local.family),
    prefixLen: local.prefixLen,
    flags,
    scope: spec.scope === undefined ? 0 : scopeNumber(spec.scope),
    index: spec.ifindex,
  });
  const peer = spec.peer ? parseCidr(spec.peer).bytes : local.bytes;
  const attrs: AttrSpec[] = [attr.bytes(IFA_LOCAL, local.bytes), attr.bytes(IFA_ADDRESS, peer)];
  if (!forAdd) return { header, attrs };
  if (spec.broadcast !== undefined) {
    if (local.family !== 4) throw new RangeError('broadcast is IPv4 only');
    attrs.push(attr.bytes(IFA_BROADCAST, parseCidr(spec.broadcast).bytes));
  }
  if (spec.label !== undefined) {
    if (local.family !== 4) throw new RangeError('label is IPv4 only');
    attrs.push(attr.str(IFA_LABEL, spec.label));
  }
  // ifa_flags is 8 bits; IFA_FLAGS carries the rest (NOPREFIXROUTE and up).
  if (flags !== 0) attrs.push(attr.u32(IFA_FLAGS, flags));
  if (spec.preferredLft !== undefined || spec.validLft !== undefined) {
    const ci = Buffer.alloc(16);
    writeU32(ci, spec.preferredLft ?? INFINITY_LIFETIME, 0);
    writeU32(ci, spec.validLft ?? INFINITY_LIFETIME, 4);
    attrs.push(attr.bytes(IFA_CACHEINFO, ci));
  }
  return { header, attrs };
}

/**
 * Add an address. `replace` updates an existing one (NLM_F_REPLACE, like `ip addr replace`);
 * otherwise an existing address fails with EEXIST.
 */
export function addAddressRequest(spec: AddressSpec, replace = false): RtnlRequest {
  const { header, attrs } = addressAttrs(spec, true);
  const flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
  return { type: RTM_NEWADDR, flags, payload: Buffer.concat([header, encodeAttrs(attrs)]) };
}

/** Delete an address (matched on interface, address and prefix length). */
export function deleteAddressRequest(spec: AddressSpec): RtnlRequest {
  const { header, attrs } = addressAttrs(spec, false);
  return {
    type: RTM_DELADDR,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    payload: Buffer.concat([header, encodeAttrs(attrs)]),
  };
}

/** Payload of RTM_NEWADDR / RTM_DELADDR. */
export function decodeAddress(payload: Buffer): DecodeResult<AddressInfo> {
  const split = splitFamilyPayload(payload, IFADDRMSG_LEN);
  if (!split.ok) return split;
  const { fixed, attrs } = split.value;
  const family = familyOfAf(fixed[0] as number);
  if (!family) return { ok: false, error: `ifaddrmsg family ${fixed[0]} is not IPv4/IPv6` };
  const local = findAttr(attrs, IFA_LOCAL);
  const addr = findAttr(attrs, IFA_ADDRESS);
  const text = bytesToAddress((local ?? addr)?.data ?? Buffer.alloc(0));
  if (text === undefined)
    return { ok: false, error: 'address message without a usable IFA_LOCAL/IFA_ADDRESS' };
  const info: AddressInfo = {
    family,
    ifindex: readU32(fixed, 4),
    address: text,
    prefixLen: fixed[1] as number,
    scope: scopeName(fixed[3] as number),
    flags: attrU32(findAttr(attrs, IFA_FLAGS)) ?? (fixed[2] as number),
  };
  if (local && addr && !local.data.equals(addr.data)) {
    const peer = bytesToAddress(addr.data);
    if (peer) info.peer = peer;
  }
  const brd = findAttr(attrs, IFA_BROADCAST);
  if (brd) {
    const b = bytesToAddress(brd.data);
    if (b) info.broadcast = b;
  }
  const label = attrStr(findAttr(attrs, IFA_LABEL));
  if (label !== undefined) info.label = label;
  const ci = findAttr(attrs, IFA_CACHEINFO);
  if (ci && ci.data.length >= 8) {
    info.preferredLft = readU32(ci.data, 0);
    info.validLft = readU32(ci.data, 4);
  }
  return { ok: true, value: info };
}
