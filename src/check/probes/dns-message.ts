// The two DNS messages DNS_CHECK needs: a one-question query (RD set, class IN) and the few header
// fields of a reply that decide the verdict. Pure.
import type { DnsQueryType } from '../schedule/spec.js';

export const DNS_TYPE_CODES: Record<DnsQueryType, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  RRSIG: 46,
  DNSKEY: 48,
};

/** Encodes "example.test" (or "." for the root) as DNS labels. */
function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.split('.')) {
    if (label === '') continue;
    const bytes = Buffer.from(label, 'latin1');
    if (bytes.length > 63) throw new Error(`DNS label too long: ${label}`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export function encodeDnsQuery(id: number, name: string, type: DnsQueryType): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD: recursion desired, as keepalived sets it
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(DNS_TYPE_CODES[type], 0);
  tail.writeUInt16BE(1, 2); // class IN
  return Buffer.concat([header, encodeName(name), tail]);
}

export interface DnsReplyHeader {
  id: number;
  isResponse: boolean;
  rcode: number;
  answers: number;
}

/** The header of a datagram, or undefined when it is too short to be DNS. */
export function decodeDnsHeader(data: Uint8Array): DnsReplyHeader | undefined {
  if (data.length < 12) return undefined;
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const flags = view.readUInt16BE(2);
  return {
    id: view.readUInt16BE(0),
    isResponse: (flags & 0x8000) !== 0,
    rcode: flags & 0x000f,
    answers: view.readUInt16BE(6),
  };
}
