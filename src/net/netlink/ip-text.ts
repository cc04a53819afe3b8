// IP addresses as text <-> network-order bytes, for netlink attributes.
// Own small implementation (node:net validates but cannot convert), formatting IPv6 per RFC 5952.

export type AddressFamily = 4 | 6;

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

/** Family of a textual address, or undefined if it is neither valid IPv4 nor IPv6. */
export function familyOfText(text: string): AddressFamily | undefined {
  if (parseIPv4(text)) return 4;
  if (parseIPv6(text)) return 6;
  return undefined;
}

function parseIPv4(text: string): Buffer | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIPv6(text: string): Buffer | undefined {
  const zoneless = text;
  if (zoneless.includes('%')) return undefined;
  const doubleColon = zoneless.indexOf('::');
  if (doubleColon !== -1 && zoneless.indexOf('::', doubleColon + 1) !== -1) return undefined;
  const toGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups: number[] = [];
    const pieces = s.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (!v4) return undefined;
        groups.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        groups.push(parseInt(piece, 16));
      }
    }
    return groups;
  };
  let groups: number[];
  if (doubleColon === -1) {
    const all = toGroups(zoneless);
    if (!all || all.length !== 8) return undefined;
    groups = all;
  } else {
    const head = toGroups(zoneless.slice(0, doubleColon));
    const tail = toGroups(zoneless.slice(doubleColon + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** Text to network-order bytes (4 or 16 of them); throws RangeError on anything else. */
export function addressToBytes(text: string): Buffer {
  const bytes = parseIPv4(text) ?? parseIPv6(text);
  if (!bytes) throw new RangeError(`not an IP address: ${JSON.stringify(text)}`);
  return bytes;
}

/** Network-order bytes to text: 4 bytes give dotted quad, 16 give RFC 5952 IPv6; else undefined. */
export function bytesToAddress(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) return undefined;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number): string => g.toString(16);
  // IPv4-mapped addresses keep their dotted tail, as inet_ntop prints them.
  if (bestStart === 0 && bestLen === 5 && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  if (bestStart === -1) return groups.map(hex).join(':');
  const head = groups.slice(0, bestStart).map(hex).join(':');
  const tail = groups
    .slice(bestStart + bestLen)
    .map(hex)
    .join(':');
  return `${head}::${tail}`;
}

/** Canonical text form (lower case, compressed), or undefined when not an address. */
export function canonicalAddress(text: string): string | undefined {
  const bytes = parseIPv4(text) ?? parseIPv6(text);
  return bytes ? bytesToAddress(bytes) : undefined;
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
  const bytes = addressToBytes(slash === -1 ? text : text.slice(0, slash));
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
