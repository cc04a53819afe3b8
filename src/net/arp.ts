// Gratuitous ARP frames (RFC 826 over Ethernet II), laid out as keepalived sends them when a VIP moves:
// an ARP *request* broadcast to ff:ff:ff:ff:ff:ff whose sender and target protocol addresses are both the
// VIP, sender hardware address the announcing interface's MAC (the VMAC when one is used), target hardware
// address the broadcast address. 42 bytes, no padding (the driver pads to the 60-byte minimum).
import { bytesToAddress } from '../common/inet.js';
import { addressBuffer, bytesToMac, macToBytes } from './netlink/ip-text.js';

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV4 = 0x0800;
export const ARP_HARDWARE_ETHERNET = 1;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;
export const ETHERNET_HEADER_LENGTH = 14;
export const ARP_FRAME_LENGTH = ETHERNET_HEADER_LENGTH + 28;
export const BROADCAST_MAC = Buffer.alloc(6, 0xff);

/** A MAC given as text ("52:54:00:12:34:56") or 6 bytes. */
export type MacAddress = string | Uint8Array;

export function macBytes(mac: MacAddress): Buffer {
  const bytes = typeof mac === 'string' ? macToBytes(mac) : Buffer.from(mac);
  if (bytes.length !== 6) throw new RangeError(`an Ethernet MAC has 6 bytes, got ${bytes.length}`);
  return bytes;
}

/** The Ethernet frame announcing that `ip` now lives at `senderMac`. */
export function encodeGratuitousArp(senderMac: MacAddress, ip: string): Buffer {
  const mac = macBytes(senderMac);
  const ipBytes = addressBuffer(ip);
  if (ipBytes.length !== 4) throw new RangeError(`gratuitous ARP needs an IPv4 address, got ${ip}`);
  const frame = Buffer.alloc(ARP_FRAME_LENGTH);
  BROADCAST_MAC.copy(frame, 0);
  mac.copy(frame, 6);
  frame.writeUInt16BE(ETHERTYPE_ARP, 12);
  frame.writeUInt16BE(ARP_HARDWARE_ETHERNET, 14);
  frame.writeUInt16BE(ETHERTYPE_IPV4, 16);
  frame[18] = 6; // hardware address length
  frame[19] = 4; // protocol address length
  frame.writeUInt16BE(ARP_OP_REQUEST, 20);
  mac.copy(frame, 22); // sender hardware address
  ipBytes.copy(frame, 28); // sender protocol address
  BROADCAST_MAC.copy(frame, 32); // target hardware address
  ipBytes.copy(frame, 38); // target protocol address
  return frame;
}

/** The fields of an Ethernet/IPv4 ARP frame, MACs as lower-case text. */
export interface ArpFrame {
  destinationMac: string;
  sourceMac: string;
  operation: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/** Decodes an Ethernet II ARP frame for IPv4 over Ethernet; undefined for anything else or too short. */
export function decodeArpFrame(frame: Uint8Array): ArpFrame | undefined {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (b.length < ARP_FRAME_LENGTH || b.readUInt16BE(12) !== ETHERTYPE_ARP) return undefined;
  if (b.readUInt16BE(14) !== ARP_HARDWARE_ETHERNET || b.readUInt16BE(16) !== ETHERTYPE_IPV4) return undefined;
  if (b[18] !== 6 || b[19] !== 4) return undefined;
  return {
    destinationMac: bytesToMac(b.subarray(0, 6)),
    sourceMac: bytesToMac(b.subarray(6, 12)),
    operation: b.readUInt16BE(20),
    senderMac: bytesToMac(b.subarray(22, 28)),
    senderIp: bytesToAddress(b.subarray(28, 32)) as string,
    targetMac: bytesToMac(b.subarray(32, 38)),
    targetIp: bytesToAddress(b.subarray(38, 42)) as string,
  };
}

/** Gratuitous: the sender announces its own address (sender IP equals target IP). */
export function isGratuitousArp(arp: ArpFrame): boolean {
  return arp.senderIp === arp.targetIp;
}
