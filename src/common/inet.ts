// IP address text <-> network-order bytes, shared by every layer (config, vrrp, net). Pure: no node:net
// (it validates but cannot convert) and no Buffer, so the pure layers may import it.
// Parsing is strict: IPv4 is a dotted quad without leading zeros (inet_pton's form: "010" means octal to
// some parsers and decimal to others), IPv6 the RFC 4291 text forms with an optional embedded dotted quad
// and an optional %zone, which is ignored. Formatting is RFC 5952 as inet_ntop prints it: lower case, no
// leading zeros, the longest run of two or more zero groups (the first on a tie) as "::", and IPv4-mapped
// addresses (::ffff:0:0/96) with a dotted-quad tail.

export type IpFamily = 4 | 6;

const DECIMAL = Array.from({ length: 256 }, (_, i) => String(i));

/** IPv4 text to its 32-bit value (unsigned), or -1 when it is not a strict dotted quad. */
export function parseIpv4(text: string): number {
  let value = 0;
  let octet = -1;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1;
      octet = (octet < 0 ? 0 : octet * 10) + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = -1;
      digits = 0;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** IPv6 text to 16 bytes, or undefined. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  const body = zone >= 0 ? text.slice(0, zone) : text;
  if (body.length === 0 || (zone >= 0 && zone === text.length - 1)) return undefined;
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i] >> 8;
    out[i * 2 + 1] = groups[i] & 0xff;
  }
  return out;
}

function parseGroups(s: string): number[] | undefined {
  if (s === '') return [];
  const out: number[] = [];
  const parts = s.split(':');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 < 0) return undefined;
      out.push(Math.floor(v4 / 0x10000), v4 & 0xffff);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) out.push(parseInt(part, 16));
    else return undefined;
  }
  return out;
}

/** The family an address text belongs to, or undefined. */
export function familyOf(text: string): IpFamily | undefined {
  if (parseIpv4(text) >= 0) return 4;
  return parseIpv6(text) ? 6 : undefined;
}

/** Address text to wire bytes (4 or 16): of the given family only, or of whichever family it is. */
export function addressToBytes(text: string, family?: IpFamily): Uint8Array | undefined {
  if (family !== 6) {
    const v = parseIpv4(text);
    if (v >= 0) return new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
    if (family === 4) return undefined;
  }
  return parseIpv6(text);
}

const ipv4Cache = new Map<number, string>();
const IPV4_CACHE_LIMIT = 4096;

/** The 4 bytes at `offset` as a dotted quad. Cached: every decoded advert names the same few addresses. */
export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  // A signed 32-bit key stays a small integer for V8, which hashes much faster than a heap number.
  const key =
    (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
  let text = ipv4Cache.get(key);
  if (text === undefined) {
    text = `${DECIMAL[bytes[offset]]}.${DECIMAL[bytes[offset + 1]]}.${DECIMAL[bytes[offset + 2]]}.${DECIMAL[bytes[offset + 3]]}`;
    // A flood of forged sources must not grow memory without bound: start over when full.
    if (ipv4Cache.size >= IPV4_CACHE_LIMIT) ipv4Cache.clear();
    ipv4Cache.set(key, text);
  }
  return text;
}

/** The 16 bytes at `offset` in RFC 5952 form (see the header). */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + i * 2] << 8) | bytes[offset + i * 2 + 1]);
  let isMapped = groups[5] === 0xffff;
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) isMapped = false;
  if (isMapped) return `::ffff:${formatIpv4(bytes, offset + 12)}`;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Wire bytes at `offset` to text for the family. */
export function formatAddress(bytes: Uint8Array, offset: number, family: IpFamily): string {
  return family === 4 ? formatIpv4(bytes, offset) : formatIpv6(bytes, offset);
}

/** 4 bytes give a dotted quad, 16 give IPv6 text; any other length gives undefined. */
export function bytesToAddress(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return formatIpv4(bytes, 0);
  return bytes.length === 16 ? formatIpv6(bytes, 0) : undefined;
}

/** Canonical text of an address (so "2001:DB8::0:1" and "2001:db8::1" compare equal), or undefined. */
export function canonicalAddress(text: string): string | undefined {
  const bytes = addressToBytes(text);
  return bytes && bytesToAddress(bytes);
}
