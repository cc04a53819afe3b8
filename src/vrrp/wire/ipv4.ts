// The IPv4 header (RFC 791) as keepalived writes it for VRRP over a raw IP_HDRINCL socket, and as a raw
// socket hands it back. keepalived's choices (vrrp_build_ip4 / vrrp_update_pkt): TOS 0xc0 (internetwork
// control), no fragmentation flags at all (frag_off 0, so no DF), TTL 255 (unicast_ttl may lower it for
// unicast), protocol 112 or 51 when IPSEC-AH wraps the advert, checksum left 0 for the kernel to fill, and an
// identification that counts up per advert and skips 0 (the kernel would otherwise pick one, and with AH the
// ICV covers it).

import { finishChecksum, sumWords } from './checksum.js';

export const IPV4_HEADER_LENGTH = 20;
export const IPPROTO_VRRP = 112;
export const IPPROTO_AH = 51;
export const VRRP_TTL = 255;
/** keepalived's TOS for adverts: precedence 6, internetwork control. */
export const VRRP_TOS = 0xc0;

export interface Ipv4HeaderFields {
  tos: number;
  /** Whole packet length, header included. */
  totalLength: number;
  id: number;
  /** The 16-bit flags + fragment offset word. keepalived sends 0. */
  fragment: number;
  ttl: number;
  protocol: number;
  /** 4 bytes each. */
  source: Uint8Array;
  destination: Uint8Array;
}

/** Writes a 20-byte header (no options) at `offset`. `withChecksum` false leaves the field 0 (the kernel fills
 * it for IP_HDRINCL sockets; keepalived does the same). */
export function writeIpv4Header(
  out: Uint8Array,
  offset: number,
  h: Ipv4HeaderFields,
  withChecksum = true,
): void {
  out[offset] = 0x45;
  out[offset + 1] = h.tos & 0xff;
  out[offset + 2] = (h.totalLength >>> 8) & 0xff;
  out[offset + 3] = h.totalLength & 0xff;
  out[offset + 4] = (h.id >>> 8) & 0xff;
  out[offset + 5] = h.id & 0xff;
  out[offset + 6] = (h.fragment >>> 8) & 0xff;
  out[offset + 7] = h.fragment & 0xff;
  out[offset + 8] = h.ttl & 0xff;
  out[offset + 9] = h.protocol & 0xff;
  out[offset + 10] = 0;
  out[offset + 11] = 0;
  out.set(h.source.subarray(0, 4), offset + 12);
  out.set(h.destination.subarray(0, 4), offset + 16);
  if (withChecksum) {
    const sum = finishChecksum(sumWords(out, offset, offset + IPV4_HEADER_LENGTH));
    out[offset + 10] = sum >>> 8;
    out[offset + 11] = sum & 0xff;
  }
}

/** Where things are in a received IPv4 packet; offsets index the packet itself. */
export interface Ipv4HeaderView {
  headerLength: number;
  totalLength: number;
  ttl: number;
  protocol: number;
  sourceOffset: number;
  destinationOffset: number;
}

/** Reads the header of a packet from a raw socket; a string names what is wrong with it. Never throws. */
export function readIpv4Header(packet: Uint8Array): Ipv4HeaderView | string {
  if (packet.length < IPV4_HEADER_LENGTH) return `${packet.length} bytes is shorter than an IPv4 header`;
  const versionIhl = packet[0];
  if (versionIhl >> 4 !== 4) return `IP version ${versionIhl >> 4}, not 4`;
  const headerLength = (versionIhl & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) return `IPv4 header length ${headerLength} is below 20`;
  if (headerLength > packet.length)
    return `IPv4 header length ${headerLength} exceeds the ${packet.length} bytes read`;
  return {
    headerLength,
    totalLength: (packet[2] << 8) | packet[3],
    ttl: packet[8],
    protocol: packet[9],
    sourceOffset: 12,
    destinationOffset: 16,
  };
}

/** True when the header checksum of the packet's IPv4 header verifies. (The kernel already drops packets
 * whose header checksum fails before a raw socket sees them; this is for captures and tests.) */
export function ipv4HeaderChecksumOk(packet: Uint8Array): boolean {
  const view = readIpv4Header(packet);
  if (typeof view === 'string') return false;
  return finishChecksum(sumWords(packet, 0, view.headerLength)) === 0;
}

/** True for 224.0.0.0/4. */
export function isIpv4Multicast(bytes: Uint8Array, offset = 0): boolean {
  return (bytes[offset] & 0xf0) === 0xe0;
}

/** The next identification after `previous`, wrapping from 65535 to 1 (keepalived never sends id 0). */
export function nextIpv4Id(previous: number): number {
  const next = (previous + 1) & 0xffff;
  return next === 0 ? 1 : next;
}

/** Gives an encoded packet (header at offset 0, built with its checksum) a new identification, and its
 * header checksum to match: the rest of a periodic advert does not change from one send to the next. */
export function setIpv4Id(packet: Uint8Array, id: number): void {
  packet[4] = (id >>> 8) & 0xff;
  packet[5] = id & 0xff;
  packet[10] = 0;
  packet[11] = 0;
  const sum = finishChecksum(sumWords(packet, 0, IPV4_HEADER_LENGTH));
  packet[10] = sum >>> 8;
  packet[11] = sum & 0xff;
}
