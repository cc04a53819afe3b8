// Netlink's view of addresses: AF_* numbers, Buffers, CIDRs and MAC addresses. Address text itself is
// parsed and printed by common/inet.ts.
import { addressToBytes as parseAddress, bytesToAddress, type IpFamily } from '../../common/inet.js';

export type AddressFamily = IpFamily;

/** Linux address family numbers as they appear in netlink headers. */
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

export function afOf(family: AddressFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

export function familyOfAf(af: number): AddressFamily | undefined {
  if (af === AF_INET) return 4;
  if (af === AF_INET6) return 6;
  return undefined;
}

/** Address text as the Buffer of network-order bytes (4 or 16) netlink attributes and socket options take;
 * throws RangeError on anything else (common/inet.ts's addressToBytes says undefined instead). */
export function addressBuffer(text: string): Buffer {
  const bytes = parseAddress(text);
  if (!bytes) throw new RangeError(`not an IP address: ${JSON.stringify(text)}`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** MAC address "aa:bb:cc:dd:ee:ff" <-> 6 bytes. */
export function macToBytes(text: string): Buffer {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new RangeError(`not a MAC address: ${JSON.stringify(text)}`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function bytesToMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** "10.0.0.0/8", "fe80::1" (full length when no "/len"), "default"/"default6" (length 0). */
export interface Cidr {
  family: AddressFamily;
  bytes: Buffer;
  prefixLen: number;
}

export function parseCidr(text: string, familyForDefault: AddressFamily = 4): Cidr {
  if (text === 'default' || text === 'default6') {
    const family: AddressFamily = text === 'default6' ? 6 : familyForDefault;
    return { family, bytes: Buffer.alloc(family === 4 ? 4 : 16), prefixLen: 0 };
  }
  const slash = text.indexOf('/');
  const bytes = addressBuffer(slash === -1 ? text : text.slice(0, slash));
  const family: AddressFamily = bytes.length === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  const lenText = slash === -1 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) {
    throw new RangeError(`bad prefix length in ${JSON.stringify(text)}`);
  }
  return { family, bytes, prefixLen: Number(lenText) };
}

export function formatCidr(bytes: Uint8Array, prefixLen: number): string {
  return `${bytesToAddress(bytes) ?? '?'}/${prefixLen}`;
}
