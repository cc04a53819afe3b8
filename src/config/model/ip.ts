// IP address text <-> family and canonical text, without node:net (config/ is pure).
// IPv4 is dotted quad only (no 10.1 shorthands, as keepalived's inet_pton); IPv6 is printed RFC 5952 style
// so that two spellings of one address compare equal in the model.

export type Family = 4 | 6;

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

// inet_pton's dotted quad: four parts of one to three digits, no leading zero (so "010" is not
// octal-looking ten). One regex instead of a split and a test per part: this runs for every address
// of a config.
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

function parseIpv4Groups(text: string): number[] | undefined {
  const m = DOTTED_QUAD.exec(text);
  if (!m) return undefined;
  const out = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return out.every((v) => v <= 255) ? out : undefined;
}

/** The 8 16-bit groups of an IPv6 address, or undefined. Accepts an embedded dotted quad at the end. */
function parseIpv6Groups(text: string): number[] | undefined {
  if (text.length === 0 || /[^0-9a-fA-F:.]/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const words = part.split(':');
    for (let i = 0; i < words.length; i++) {
      const w = words[i] ?? '';
      if (i === words.length - 1 && w.includes('.')) {
        const v4 = parseIpv4Groups(w);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return undefined;
      out.push(parseInt(w, 16));
    }
    return out;
  };
  const head = toGroups(halves[0] ?? '');
  if (!head) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const tail = toGroups(halves[1] ?? '');
  if (!tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** RFC 5952: lower case, no leading zeros, the longest run (>= 2) of zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Parses an address without prefix; undefined when it is neither IPv4 nor IPv6. */
export function parseIp(text: string): ParsedIp | undefined {
  // Without leading zeros, a valid dotted quad is already its canonical text.
  if (parseIpv4Groups(text)) return { family: 4, address: text };
  if (!text.includes(':')) return undefined;
  const v6 = parseIpv6Groups(text);
  if (!v6) return undefined;
  return { family: 6, address: formatIpv6(v6) };
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
