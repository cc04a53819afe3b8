// Field encodings IPVS attributes share: addresses as union nf_inet_addr (16 bytes, network order,
// IPv4 in the first 4), ports in network order (nla_put_be16), 64-bit counters in host order.

import { addressToBytes, formatAddress } from '../../common/inet.js';
import { type Attr, type AttrSpec, HOST_LE } from '../../net/netlink/codec.js';
import { AF_INET, AF_INET6, NF_INET_ADDR_LEN } from './constants.js';

/** Address text of family `af` as the 16 bytes of union nf_inet_addr; throws RangeError otherwise. */
export function encodeInetAddr(af: number, text: string): Buffer {
  const bytes = addressToBytes(text, af === AF_INET6 ? 6 : 4);
  if (!bytes || (af !== AF_INET && af !== AF_INET6)) {
    throw new RangeError(`not an address of family ${af}: ${JSON.stringify(text)}`);
  }
  const out = Buffer.alloc(NF_INET_ADDR_LEN);
  out.set(bytes, 0);
  return out;
}

/** union nf_inet_addr (or a bare 4/16-byte address) of family `af` to text; undefined if too short. */
export function decodeInetAddr(af: number, data: Buffer): string | undefined {
  if (af === AF_INET && data.length >= 4) return formatAddress(data, 0, 4);
  if (af === AF_INET6 && data.length >= 16) return formatAddress(data, 0, 6);
  return undefined;
}

export function be16Attr(type: number, v: number): AttrSpec {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff, 0);
  return { type, value: b };
}

export function attrBe16(a: Attr | undefined): number | undefined {
  return a && a.data.length >= 2 ? a.data.readUInt16BE(0) : undefined;
}

export function u64Attr(type: number, v: bigint): AttrSpec {
  const b = Buffer.alloc(8);
  if (HOST_LE) b.writeBigUInt64LE(BigInt.asUintN(64, v), 0);
  else b.writeBigUInt64BE(BigInt.asUintN(64, v), 0);
  return { type, value: b };
}

/** A counter of 8 bytes (u64) or 4 bytes (u32), as a bigint. */
export function attrCounter(a: Attr | undefined): bigint | undefined {
  if (!a) return undefined;
  if (a.data.length >= 8) return HOST_LE ? a.data.readBigUInt64LE(0) : a.data.readBigUInt64BE(0);
  if (a.data.length >= 4) return BigInt(HOST_LE ? a.data.readUInt32LE(0) : a.data.readUInt32BE(0));
  return undefined;
}

/** NUL-terminated string attribute value, refused when it does not fit a kernel name of `maxLen`. */
export function checkName(what: string, name: string, maxLen: number): string {
  if (Buffer.byteLength(name) >= maxLen || name.includes('\0')) {
    throw new RangeError(`${what} ${JSON.stringify(name)} longer than ${maxLen - 1} bytes`);
  }
  return name;
}
