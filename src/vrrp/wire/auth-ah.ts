// VRRPv2 IPSEC-AH authentication the way keepalived does it (RFC 2402 layout, keepalived's own keying):
//   IP header (protocol 51) | AH: next header 112, payload len 4, reserved 0, SPI, sequence, 12-byte ICV | VRRP
// - SPI is the sender's IPv4 source address (there is no SA negotiation; the address is unique enough).
// - ICV is HMAC-MD5-96 keyed with the 8-byte auth_data (auth_pass truncated or zero padded to 8 bytes), over
//   the IP header with TOS, flags/fragment and header checksum zeroed (and TTL too when the instance is
//   unicast), then the AH header with its ICV zeroed, then the VRRP packet.
// - The sender's sequence starts at 0 and is incremented before every advert (first advert carries 1).
//   The receiver keeps the highest sequence seen and drops anything not strictly above it.

import { createHmac, timingSafeEqual } from 'node:crypto';

import { IPPROTO_VRRP } from './ipv4.js';

export const AH_HEADER_LENGTH = 24;
export const AH_ICV_LENGTH = 12;
/** AH length in 32-bit words minus 2: (12 fixed + 12 ICV) / 4 - 2. */
export const AH_PAYLOAD_LEN = 4;
/** VRRPv2 auth data length: the password field and the AH key. */
export const AUTH_DATA_LENGTH = 8;
/** keepalived stops counting here (and would rather give up mastership than wrap). */
export const AH_SEQUENCE_LIMIT = 0xfffffffd;

/** auth_pass as the 8 bytes keepalived puts on the wire (PASS) or keys the HMAC with (AH). */
export function authData(pass: string | undefined): Uint8Array {
  const out = new Uint8Array(AUTH_DATA_LENGTH);
  if (pass) out.set(Buffer.from(pass, 'utf8').subarray(0, AUTH_DATA_LENGTH));
  return out;
}

/** Writes the AH header at `ahOffset` (ICV zero) with SPI taken from the packet's IPv4 source address. */
export function writeAhHeader(packet: Uint8Array, ahOffset: number, sequence: number): void {
  packet[ahOffset] = IPPROTO_VRRP;
  packet[ahOffset + 1] = AH_PAYLOAD_LEN;
  packet[ahOffset + 2] = 0;
  packet[ahOffset + 3] = 0;
  packet.copyWithin(ahOffset + 4, 12, 16);
  packet[ahOffset + 8] = (sequence >>> 24) & 0xff;
  packet[ahOffset + 9] = (sequence >>> 16) & 0xff;
  packet[ahOffset + 10] = (sequence >>> 8) & 0xff;
  packet[ahOffset + 11] = sequence & 0xff;
  packet.fill(0, ahOffset + 12, ahOffset + AH_HEADER_LENGTH);
}

/** The 12-byte ICV of an IPv4 packet carrying AH right after its header, computed as keepalived does.
 * `end` is where the authenticated data stops (the packet length, without link-layer padding). */
export function computeAhIcv(
  packet: Uint8Array,
  ipHeaderLength: number,
  key: Uint8Array,
  unicast: boolean,
  end = packet.length,
): Uint8Array {
  const ahOffset = ipHeaderLength;
  const head = Uint8Array.from(packet.subarray(0, ahOffset + AH_HEADER_LENGTH));
  head[1] = 0; // TOS
  head[6] = 0; // flags + fragment offset
  head[7] = 0;
  head[10] = 0; // header checksum
  head[11] = 0;
  if (unicast) head[8] = 0; // TTL: keepalived only treats it as mutable for unicast
  head.fill(0, ahOffset + 12, ahOffset + AH_HEADER_LENGTH);
  const hmac = createHmac('md5', key);
  hmac.update(head);
  hmac.update(packet.subarray(ahOffset + AH_HEADER_LENGTH, end));
  return new Uint8Array(hmac.digest().subarray(0, AH_ICV_LENGTH));
}

/** Fills in the ICV of a packet whose AH header is already written. */
export function signAh(packet: Uint8Array, ipHeaderLength: number, key: Uint8Array, unicast: boolean): void {
  packet.set(computeAhIcv(packet, ipHeaderLength, key, unicast), ipHeaderLength + 12);
}

/** The sender's counter: the sequence of the last advert sent (0 before the first). */
export interface AhSendState {
  sequence: number;
}

/** The sequence for the next advert, advancing the state; keepalived stops at AH_SEQUENCE_LIMIT. */
export function nextAhSequence(state: AhSendState): number {
  if (state.sequence <= AH_SEQUENCE_LIMIT) state.sequence++;
  return state.sequence;
}

/** The receiver's replay guard: the highest sequence accepted so far (0 before the first). */
export interface AhReceiveState {
  sequence: number;
}

export type AhCheck = { ok: true; sequence: number } | { ok: false; detail: string };

/** keepalived's vrrp_in_chk_ipsecah: ICV first (nothing in the packet is trustworthy before it), then SPI
 * equals the source address, then a strictly increasing sequence, which updates `state`. */
export function verifyAh(
  packet: Uint8Array,
  ipHeaderLength: number,
  end: number,
  key: Uint8Array,
  unicast: boolean,
  state: AhReceiveState,
): AhCheck {
  const ahOffset = ipHeaderLength;
  if (end < ahOffset + AH_HEADER_LENGTH || end > packet.length)
    return { ok: false, detail: 'truncated AH header' };
  const expected = computeAhIcv(packet, ipHeaderLength, key, unicast, end);
  const received = packet.subarray(ahOffset + 12, ahOffset + AH_HEADER_LENGTH);
  if (!timingSafeEqual(expected, received)) return { ok: false, detail: 'invalid IPSEC HMAC-MD5 value' };
  for (let i = 0; i < 4; i++) {
    if (packet[ahOffset + 4 + i] !== packet[12 + i])
      return { ok: false, detail: 'IPSEC SPI is not the source address' };
  }
  const sequence =
    ((packet[ahOffset + 8] << 24) |
      (packet[ahOffset + 9] << 16) |
      (packet[ahOffset + 10] << 8) |
      packet[ahOffset + 11]) >>>
    0;
  if (sequence <= state.sequence) {
    return { ok: false, detail: `IPSEC-AH sequence ${sequence} already processed (last ${state.sequence})` };
  }
  state.sequence = sequence;
  return { ok: true, sequence };
}
