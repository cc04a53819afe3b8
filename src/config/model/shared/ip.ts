// Addresses and prefixes as the config model keeps them: canonical text (common/inet.ts parses and prints),
// so that two spellings of one address compare equal in the model. IPv4 is dotted quad only (no 10.1
// shorthands, as keepalived's inet_pton).
import { formatIpv6, parseIpv4, parseIpv6, type IpFamily } from '../../../common/inet.js';

export type Family = IpFamily;

export interface ParsedIp {
  family: Family;
  /** Canonical text: dotted quad, or RFC 5952 compressed lower-case IPv6. */
  address: string;
}

export interface ParsedPrefix extends ParsedIp {
  /** Prefix length; when the text had none, the full length (32 or 128). */
  prefix: number;
  /** Whether the text carried an explicit `/len`. */
  hasPrefix: boolean;
}

/** Parses an address without prefix; undefined when it is neither IPv4 nor IPv6 (a %zone is refused). */
export function parseIp(text: string): ParsedIp | undefined {
  // Without leading zeros, a valid dotted quad is already its canonical text.
  if (parseIpv4(text) >= 0) return { family: 4, address: text };
  if (!text.includes(':') || text.includes('%')) return undefined;
  const v6 = parseIpv6(text);
  return v6 ? { family: 6, address: formatIpv6(v6) } : undefined;
}

/** Parses `addr` or `addr/len`; undefined when malformed or the length is out of range for the family. */
export function parsePrefix(text: string): ParsedPrefix | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  // Fields spelled out: an object spread here was the slowest step of reading an address.
  if (slash < 0) return { family: ip.family, address: ip.address, prefix: max, hasPrefix: false };
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const prefix = Number(lenText);
  if (prefix > max) return undefined;
  return { family: ip.family, address: ip.address, prefix, hasPrefix: true };
}

/** IPv6 link-local (fe80::/10). */
export function isLinkLocal6(address: string): boolean {
  const first = parseInt(address.split(':')[0] ?? '', 16);
  return address.includes(':') && (first & 0xffc0) === 0xfe80;
}

/** IPv4 224.0.0.0/4 or IPv6 ff00::/8. */
export function isMulticast(ip: ParsedIp): boolean {
  if (ip.family === 4) {
    const first = Number(ip.address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return ip.address.startsWith('ff');
}

/** Text of an address with its prefix, omitting the prefix when it was not given. */
export function formatPrefix(p: { address: string; prefix: number; hasPrefix: boolean }): string {
  return p.hasPrefix ? `${p.address}/${p.prefix}` : p.address;
}
