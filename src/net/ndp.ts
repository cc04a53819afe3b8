// Unsolicited IPv6 Neighbor Advertisements (RFC 4861 section 4.4 and 7.2.6), laid out as keepalived sends
// them when a VIP moves: a whole Ethernet frame to 33:33:00:00:00:01 (RFC 2464 mapping of ff02::1), IPv6
// source the VIP itself, destination ff02::1, hop limit 255, Override set, Router set when the interface
// forwards IPv6, Solicited clear, target the VIP, and a Target Link-Layer Address option with the MAC.
//
// Why a packet socket and our own IPv6 header rather than a raw ICMPv6 socket: the frame must carry the VIP
// as source and the (possibly virtual) MAC as Ethernet source the instant the address moves, even while the
// kernel still holds the VIP tentative or has not picked it as a usable source; a raw ICMPv6 socket would
// let the kernel choose or refuse those. The cost is computing the ICMPv6 checksum here.
import { bytesToAddress } from '../common/inet.js';
import { addressBuffer, bytesToMac } from './netlink/ip-text.js';
import { ETHERNET_HEADER_LENGTH, macBytes, type MacAddress } from './arp.js';

export const ETHERTYPE_IPV6 = 0x86dd;
export const IPPROTO_ICMPV6 = 58;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
export const ND_OPTION_TARGET_LINK_LAYER_ADDRESS = 2;
export const NA_FLAG_ROUTER = 0x80;
export const NA_FLAG_SOLICITED = 0x40;
export const NA_FLAG_OVERRIDE = 0x20;
export const ALL_NODES = 'ff02::1';
export const ALL_NODES_MAC = Buffer.from([0x33, 0x33, 0, 0, 0, 1]);
export const IPV6_HEADER_LENGTH = 40;
/** ICMPv6 NA (24 bytes) plus one 8-byte link-layer address option. */
export const NA_MESSAGE_LENGTH = 32;
export const NA_FRAME_LENGTH = ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH + NA_MESSAGE_LENGTH;

/** RFC 4443 section 2.3: ones' complement sum over the IPv6 pseudo-header and the ICMPv6 message. */
export function icmpv6Checksum(source: Uint8Array, destination: Uint8Array, message: Uint8Array): number {
  const pseudo = Buffer.alloc(40);
  Buffer.from(source).copy(pseudo, 0);
  Buffer.from(destination).copy(pseudo, 16);
  pseudo.writeUInt32BE(message.length, 32);
  pseudo[39] = IPPROTO_ICMPV6;
  let sum = 0;
  const add = (bytes: Uint8Array): void => {
    for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] ?? 0);
  };
  add(pseudo);
  add(message);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface UnsolicitedNaOptions {
  /** Set the Router flag (keepalived does when IPv6 forwarding is on for the interface). */
  router?: boolean;
}

/** The Ethernet frame announcing that IPv6 address `ip` now lives at `mac`. */
export function encodeUnsolicitedNa(mac: MacAddress, ip: string, options: UnsolicitedNaOptions = {}): Buffer {
  const hw = macBytes(mac);
  const target = addressBuffer(ip);
  if (target.length !== 16) throw new RangeError(`a neighbor advertisement needs an IPv6 address, got ${ip}`);
  const allNodes = addressBuffer(ALL_NODES);
  const frame = Buffer.alloc(NA_FRAME_LENGTH);
  ALL_NODES_MAC.copy(frame, 0);
  hw.copy(frame, 6);
  frame.writeUInt16BE(ETHERTYPE_IPV6, 12);

  const ip6 = ETHERNET_HEADER_LENGTH;
  frame.writeUInt32BE(0x60000000, ip6); // version 6, traffic class 0, flow label 0
  frame.writeUInt16BE(NA_MESSAGE_LENGTH, ip6 + 4);
  frame[ip6 + 6] = IPPROTO_ICMPV6;
  frame[ip6 + 7] = 255; // RFC 4861: receivers drop ND with any other hop limit
  target.copy(frame, ip6 + 8);
  allNodes.copy(frame, ip6 + 24);

  const icmp = ip6 + IPV6_HEADER_LENGTH;
  frame[icmp] = ICMPV6_NEIGHBOR_ADVERTISEMENT;
  frame[icmp + 1] = 0; // code
  frame[icmp + 4] = NA_FLAG_OVERRIDE | (options.router ? NA_FLAG_ROUTER : 0);
  target.copy(frame, icmp + 8);
  frame[icmp + 24] = ND_OPTION_TARGET_LINK_LAYER_ADDRESS;
  frame[icmp + 25] = 1; // option length in units of 8 bytes
  hw.copy(frame, icmp + 26);
  const message = frame.subarray(icmp);
  frame.writeUInt16BE(icmpv6Checksum(target, allNodes, message), icmp + 2);
  return frame;
}

export interface NeighborAdvertFrame {
  destinationMac: string;
  sourceMac: string;
  sourceIp: string;
  destinationIp: string;
  hopLimit: number;
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: string;
  /** From the Target Link-Layer Address option, when present. */
  targetMac?: string;
  checksumValid: boolean;
}

/** Decodes an Ethernet frame carrying an ICMPv6 Neighbor Advertisement (no extension headers). */
export function decodeNeighborAdvertFrame(frame: Uint8Array): NeighborAdvertFrame | undefined {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const ip6 = ETHERNET_HEADER_LENGTH;
  const icmp = ip6 + IPV6_HEADER_LENGTH;
  if (b.length < icmp + 24 || b.readUInt16BE(12) !== ETHERTYPE_IPV6 || (b[ip6] as number) >> 4 !== 6) {
    return undefined;
  }
  if (b[ip6 + 6] !== IPPROTO_ICMPV6 || b[icmp] !== ICMPV6_NEIGHBOR_ADVERTISEMENT) return undefined;
  const payloadLength = b.readUInt16BE(ip6 + 4);
  if (payloadLength < 24 || icmp + payloadLength > b.length) return undefined;
  const message = b.subarray(icmp, icmp + payloadLength);
  const flags = message[4] as number;
  const decoded: NeighborAdvertFrame = {
    destinationMac: bytesToMac(b.subarray(0, 6)),
    sourceMac: bytesToMac(b.subarray(6, 12)),
    sourceIp: bytesToAddress(b.subarray(ip6 + 8, ip6 + 24)) as string,
    destinationIp: bytesToAddress(b.subarray(ip6 + 24, ip6 + 40)) as string,
    hopLimit: b[ip6 + 7] as number,
    router: (flags & NA_FLAG_ROUTER) !== 0,
    solicited: (flags & NA_FLAG_SOLICITED) !== 0,
    override: (flags & NA_FLAG_OVERRIDE) !== 0,
    target: bytesToAddress(message.subarray(8, 24)) as string,
    // A correct checksum makes the sum over pseudo-header and message (checksum included) come out zero.
    checksumValid:
      icmpv6Checksum(b.subarray(ip6 + 8, ip6 + 24), b.subarray(ip6 + 24, ip6 + 40), message) === 0,
  };
  for (let o = 24; o + 8 <= message.length;) {
    const type = message[o] as number;
    const units = message[o + 1] as number;
    if (units === 0) break; // RFC 4861: a zero-length option makes the packet invalid; stop here
    if (type === ND_OPTION_TARGET_LINK_LAYER_ADDRESS)
      decoded.targetMac = bytesToMac(message.subarray(o + 2, o + 8));
    o += units * 8;
  }
  return decoded;
}
