// VRRP advertisements on the wire (RFC 3768 v2, RFC 5798 / 9568 v3) as keepalived writes and reads them.
//
//  v2: |ver 2|type 1| vrid | priority | count | auth type | adver int (s) | checksum | addresses | auth data(8)
//  v3: |ver 3|type 1| vrid | priority | count | rsvd(4)|max adver int (cs, 12 bits) | checksum | addresses
// keepalived's layout choices: v2 over IPv4 always carries the 8 auth-data bytes (the password for PASS,
// zeros otherwise); over IPv6 (v2 is a keepalived extension there) there is no auth data. The checksum
// covers the VRRP packet only for v2; for v3 over IPv4 keepalived adds the IPv4 pseudo-header by default
// (RFC 5798 read literally; `v3_checksum_as_v2` drops it, as RFC 9568 and Cisco do; `old_unicast_checksum`
// uses the multicast group as the pseudo-header destination even for unicast); over IPv6 the kernel
// computes it with the IPv6 pseudo-header. A keepalived 2.4 `auth_hmac` trailer (auth-hmac.ts) may follow.
//
// Decoding never throws: every malformed input comes back as { ok: false, reason }. Encoding throws a
// RangeError only when handed nonsense by our own code (an unparseable address, a vrid of 300).

import type { Advert, AdvertDropReason, AuthType, IpFamily, ReceivedAdvert, VrrpVersion } from '../advert.js';
import { AH_HEADER_LENGTH, AUTH_DATA_LENGTH, authData, signAh, writeAhHeader } from './auth-ah.js';
import { HMAC_TRAILER_LENGTH, type HmacConfig, type HmacSendState, buildHmacTrailer } from './auth-hmac.js';
import { finishChecksum, ipv4PseudoHeaderSum, ipv6PseudoHeaderSum, sumWords } from './checksum.js';
import { addressToBytes, formatIpv4, formatIpv6 } from '../../common/inet.js';
import {
  IPPROTO_AH,
  IPPROTO_VRRP,
  IPV4_HEADER_LENGTH,
  VRRP_TOS,
  VRRP_TTL,
  isIpv4Multicast,
  readIpv4Header,
  writeIpv4Header,
} from './ipv4.js';
import { csToSeconds } from '../../common/units.js';

export const VRRP_HEADER_LENGTH = 8;
export const VRRP_TYPE_ADVERTISEMENT = 1;
export const VRRP_MULTICAST_GROUP4 = '224.0.0.18';
export const VRRP_MULTICAST_GROUP6 = 'ff02::12';
const GROUP4_BYTES = new Uint8Array([224, 0, 0, 18]);

const AUTH_CODES: Record<AuthType, number> = { none: 0, pass: 1, ah: 2 };
const AUTH_TYPES: readonly AuthType[] = ['none', 'pass', 'ah'];

/**
 * How the v3-over-IPv4 checksum is computed:
 * - `rfc`: with the IPv4 pseudo-header (source, actual destination) - keepalived's default (RFC 5798 as read
 *   by keepalived and Wireshark).
 * - `v2-style`: the VRRP packet alone - keepalived `v3_checksum_as_v2`, RFC 9568, Cisco.
 * - `old-unicast`: pseudo-header with the multicast group as destination even when sent unicast - keepalived
 *   `old_unicast_checksum` (what keepalived before 2.0 sent to unicast peers).
 */
export type ChecksumMode = 'rfc' | 'v2-style' | 'old-unicast';

/** Which form a received checksum verified under. `v2` and `ipv6` are the only forms those carry;
 * `unchecked` means the caller said the kernel had verified it; `bad` is kept only on request. */
export type ChecksumForm = ChecksumMode | 'v2' | 'ipv6' | 'unchecked' | 'bad';

export interface EncodeOptions {
  family: IpFamily;
  /** IP source and destination: needed for the v3-over-IPv4 pseudo-header and for IPv6 checksums. */
  source?: string | Uint8Array;
  destination?: string | Uint8Array;
  /** v3 over IPv4 only. Default `rfc`. */
  checksumMode?: ChecksumMode;
  /** The IPv4 multicast group (keepalived vrrp_mcast_group4) for `old-unicast`. Default 224.0.0.18. */
  multicastGroup4?: string | Uint8Array;
  /** v2 PASS: the password (first 8 bytes are sent). */
  authPass?: string;
}

function bytesOf(
  value: string | Uint8Array | undefined,
  family: IpFamily,
  what: string,
): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    if (value.length !== (family === 4 ? 4 : 16))
      throw new RangeError(`${what}: ${value.length} bytes for IPv${family}`);
    return value;
  }
  const bytes = addressToBytes(value, family);
  if (!bytes) throw new RangeError(`${what}: "${value}" is not an IPv${family} address`);
  return bytes;
}

/** Length of the VRRP packet (no IP header, no AH, no trailer) for a version, family and address count. */
export function vrrpPacketLength(version: VrrpVersion, family: IpFamily, count: number): number {
  const addresses = count * (family === 4 ? 4 : 16);
  return VRRP_HEADER_LENGTH + addresses + (version === 2 && family === 4 ? AUTH_DATA_LENGTH : 0);
}

/** Encodes the VRRP packet (what follows the IP header, or the AH header) with its checksum. For IPv6 the
 * checksum is filled only when source and destination are given (otherwise the kernel's IPV6_CHECKSUM
 * does it). */
export function encodeAdvert(advert: Advert, opts: EncodeOptions): Uint8Array {
  const { family } = opts;
  const { version } = advert;
  if (version !== 2 && version !== 3) throw new RangeError(`VRRP version ${String(version)}`);
  if (!Number.isInteger(advert.vrid) || advert.vrid < 1 || advert.vrid > 255)
    throw new RangeError(`vrid ${advert.vrid}`);
  if (advert.addresses.length > 255)
    throw new RangeError(`${advert.addresses.length} addresses do not fit a count byte`);
  const addressLength = family === 4 ? 4 : 16;
  const length = vrrpPacketLength(version, family, advert.addresses.length);
  const out = new Uint8Array(length);
  out[0] = (version << 4) | VRRP_TYPE_ADVERTISEMENT;
  out[1] = advert.vrid;
  out[2] = advert.priority & 0xff;
  out[3] = advert.addresses.length;
  if (version === 2) {
    out[4] = AUTH_CODES[advert.authType];
    out[5] = Math.min(255, Math.floor(csToSeconds(advert.intervalCs)));
  } else {
    const cs = Math.min(0x0fff, Math.max(0, Math.round(advert.intervalCs)));
    out[4] = cs >> 8;
    out[5] = cs & 0xff;
  }
  for (let i = 0; i < advert.addresses.length; i++) {
    out.set(
      bytesOf(advert.addresses[i], family, 'virtual address') as Uint8Array,
      VRRP_HEADER_LENGTH + i * addressLength,
    );
  }
  if (version === 2 && family === 4 && advert.authType === 'pass')
    out.set(authData(opts.authPass), length - AUTH_DATA_LENGTH);
  const checksum = computeChecksum(out, version, family, opts);
  if (checksum !== undefined) {
    out[6] = checksum >> 8;
    out[7] = checksum & 0xff;
  }
  return out;
}

function computeChecksum(
  pdu: Uint8Array,
  version: VrrpVersion,
  family: IpFamily,
  opts: EncodeOptions,
): number | undefined {
  const source = bytesOf(opts.source, family, 'source');
  const destination = bytesOf(opts.destination, family, 'destination');
  if (family === 6) {
    if (!source || !destination) return undefined;
    return finishChecksum(
      sumWords(pdu, 0, pdu.length, ipv6PseudoHeaderSum(source, 0, destination, 0, IPPROTO_VRRP, pdu.length)),
    );
  }
  const mode = opts.checksumMode ?? 'rfc';
  if (version === 2 || mode === 'v2-style') return finishChecksum(sumWords(pdu, 0, pdu.length));
  const pseudoDestination =
    mode === 'old-unicast' ? (bytesOf(opts.multicastGroup4, 4, 'group') ?? GROUP4_BYTES) : destination;
  if (!source || !pseudoDestination)
    throw new RangeError('v3 over IPv4 needs source and destination for its checksum');
  const pseudo = ipv4PseudoHeaderSum(source, 0, pseudoDestination, 0, IPPROTO_VRRP, pdu.length);
  return finishChecksum(sumWords(pdu, 0, pdu.length, pseudo));
}

export interface Ipv4PacketOptions {
  source: string | Uint8Array;
  destination: string | Uint8Array;
  /** Default 255 (keepalived's unicast_ttl may lower it for unicast). */
  ttl?: number;
  /** IP identification; keepalived counts 1, 2, ... (see nextIpv4Id). Default 0 (the kernel picks one). */
  id?: number;
  /** Default 0xc0. */
  tos?: number;
  checksumMode?: ChecksumMode;
  multicastGroup4?: string | Uint8Array;
  /** v2 PASS password, and the AH key (auth_pass). */
  authPass?: string;
  /** v2 IPSEC-AH: the sequence number for this advert (see nextAhSequence) and whether the instance is unicast
   * (keepalived then also treats the TTL as mutable). Required when advert.authType is 'ah'. */
  ah?: { sequence: number; unicast: boolean };
  /** auth_hmac trailer (its HMAC reads the VRRP checksum field as zero). */
  hmac?: { config: HmacConfig; state: HmacSendState; nowRealtimeMs: number };
  /** Fill in the IP header checksum (the kernel does it anyway for IP_HDRINCL). Default true. */
  ipChecksum?: boolean;
}

/** A complete IPv4 VRRP packet as keepalived sends it through its IP_HDRINCL socket, AH and trailer included. */
export function buildIpv4Packet(advert: Advert, opts: Ipv4PacketOptions): Uint8Array {
  const source = bytesOf(opts.source, 4, 'source') as Uint8Array;
  const destination = bytesOf(opts.destination, 4, 'destination') as Uint8Array;
  const useAh = advert.version === 2 && advert.authType === 'ah';
  if (useAh && !opts.ah) throw new RangeError('authType ah needs the ah option (sequence)');
  const pdu = encodeAdvert(advert, {
    family: 4,
    source,
    destination,
    checksumMode: opts.checksumMode,
    multicastGroup4: opts.multicastGroup4,
    authPass: opts.authPass,
  });
  const trailer = opts.hmac
    ? buildHmacTrailer(pdu, {
        family: 4,
        version: advert.version,
        vrid: advert.vrid,
        source,
        config: opts.hmac.config,
        state: opts.hmac.state,
        nowRealtimeMs: opts.hmac.nowRealtimeMs,
      })
    : undefined;
  const pduOffset = IPV4_HEADER_LENGTH + (useAh ? AH_HEADER_LENGTH : 0);
  const total = pduOffset + pdu.length + (trailer ? HMAC_TRAILER_LENGTH : 0);
  const packet = new Uint8Array(total);
  writeIpv4Header(
    packet,
    0,
    {
      tos: opts.tos ?? VRRP_TOS,
      totalLength: total,
      id: opts.id ?? 0,
      fragment: 0,
      ttl: opts.ttl ?? VRRP_TTL,
      protocol: useAh ? IPPROTO_AH : IPPROTO_VRRP,
      source,
      destination,
    },
    opts.ipChecksum ?? true,
  );
  packet.set(pdu, pduOffset);
  if (trailer) packet.set(trailer, pduOffset + pdu.length);
  if (useAh && opts.ah) {
    writeAhHeader(packet, IPV4_HEADER_LENGTH, opts.ah.sequence);
    signAh(packet, IPV4_HEADER_LENGTH, authData(opts.authPass), opts.ah.unicast);
  }
  return packet;
}

/** What the codec saw beyond the advert itself, as offsets into the buffers read (no copies and no views:
 * creating typed-array views costs more than the rest of decoding). The helpers below make views when an
 * authentication path needs them. */
export interface WireFacts {
  /** The bytes the VRRP packet sits in: the whole IPv4 packet, or the IPv6 payload. */
  buffer: Uint8Array;
  /** The VRRP packet (header, addresses, v2 auth data) is buffer[pduOffset, pduOffset + pduLength). */
  pduOffset: number;
  pduLength: number;
  /** `count` addresses of 4 or 16 bytes start here. */
  addressesOffset: number;
  count: number;
  /** v2 auth type code as received (0 for v3). */
  authTypeCode: number;
  /** The 8 v2 auth-data bytes, or -1 when the packet has none. */
  authDataOffset: number;
  /** The 28-byte auth_hmac trailer, or -1 when the length says there is none. */
  trailerOffset: number;
  /** 112, or 51 when an AH header wraps the advert (IPv4 only). */
  ipProtocol: number;
  /** IPv4 header length (0 for IPv6). */
  ipHeaderLength: number;
  /** Length of the IP packet per its header (IPv4), which the AH ICV covers; link padding excluded. */
  ipTotalLength: number;
  checksumForm: ChecksumForm;
  /** Source and destination addresses: 4 or 16 bytes at the offsets. */
  sourceBytes: Uint8Array;
  sourceOffset: number;
  destinationBytes: Uint8Array;
  destinationOffset: number;
  destinationIsMulticast: boolean;
}

/** The VRRP packet as a view. */
export function wirePdu(w: WireFacts): Uint8Array {
  return w.buffer.subarray(w.pduOffset, w.pduOffset + w.pduLength);
}

/** The auth_hmac trailer as a view, if there is one. */
export function wireTrailer(w: WireFacts): Uint8Array | undefined {
  return w.trailerOffset < 0
    ? undefined
    : w.buffer.subarray(w.trailerOffset, w.trailerOffset + HMAC_TRAILER_LENGTH);
}

/** The v2 auth data (8 bytes) as a view, if there is any. */
export function wireAuthData(w: WireFacts): Uint8Array | undefined {
  return w.authDataOffset < 0
    ? undefined
    : w.buffer.subarray(w.authDataOffset, w.authDataOffset + AUTH_DATA_LENGTH);
}

/** The source address as a view (4 or 16 bytes). */
export function wireSource(w: WireFacts, family: IpFamily): Uint8Array {
  return w.sourceBytes.subarray(w.sourceOffset, w.sourceOffset + (family === 4 ? 4 : 16));
}

export type DecodeResult =
  | { ok: true; received: ReceivedAdvert; wire: WireFacts }
  | { ok: false; reason: AdvertDropReason; detail?: string; vrid?: number };

export interface DecodeOptions {
  /** The IPv4 group for the `old-unicast` checksum form. Default 224.0.0.18. */
  multicastGroup4?: Uint8Array;
  /** Return v3-over-IPv4 adverts whose checksum verifies under no form, marked `bad`, instead of dropping
   * them: keepalived with `v3_checksum_as_v2` ignores checksum errors altogether. */
  keepBadV3Checksum?: boolean;
}

/** Facts the IPv6 socket gives alongside the payload (recvmsg source, IPV6_PKTINFO destination,
 * IPV6_HOPLIMIT). */
export interface Ipv6Meta {
  family: 6;
  source: string | Uint8Array;
  destination: string | Uint8Array;
  /** Hop limit, or -1 when unknown. */
  ttl: number;
  ifname: string;
  /** The socket has IPV6_CHECKSUM set, so the kernel verified the checksum already. */
  checksumVerified?: boolean;
}

/** Padding a short Ethernet frame may leave after the packet: the frame minus its 14-byte header is 46
 * bytes, less 4 per stripped VLAN tag, so the excess is 2 modulo 4 (keepalived allows exactly this). */
function isLinkPadding(expected: number, received: number): boolean {
  return expected < 46 && expected < received && received <= 46 && (received - expected) % 4 === 2;
}

function fail(reason: AdvertDropReason, detail: string, vrid?: number): DecodeResult {
  return { ok: false, reason, detail, vrid };
}

/** Decodes a full IPv4 packet as read from a raw socket (IP header, optional AH, VRRP, optional trailer). */
export function decodeIpv4Packet(packet: Uint8Array, ifname: string, opts?: DecodeOptions): DecodeResult {
  const ip = readIpv4Header(packet);
  if (typeof ip === 'string') return fail('packet_len_err', ip);
  let pduOffset = ip.headerLength;
  if (ip.protocol === IPPROTO_AH) {
    if (packet.length < pduOffset + AH_HEADER_LENGTH + VRRP_HEADER_LENGTH) {
      return fail('packet_len_err', `${packet.length} bytes is too short for IP, AH and VRRP headers`);
    }
    if (packet[pduOffset] !== IPPROTO_VRRP) return fail('not_vrrp', `AH next header ${packet[pduOffset]}`);
    pduOffset += AH_HEADER_LENGTH;
  } else if (ip.protocol !== IPPROTO_VRRP) return fail('not_vrrp', `IP protocol ${ip.protocol}`);
  else if (packet.length < pduOffset + VRRP_HEADER_LENGTH) {
    return fail('packet_len_err', `${packet.length} bytes is too short for IP and VRRP headers`);
  }
  return decodeCommon(
    packet,
    pduOffset,
    4,
    packet,
    ip.sourceOffset,
    packet,
    ip.destinationOffset,
    ip.ttl,
    ifname,
    ip.protocol,
    ip.headerLength,
    ip.totalLength,
    false,
    opts,
  );
}

/** Decodes the VRRP payload of an IPv6 packet (the kernel strips the IPv6 header) with the socket's facts. */
export function decodeVrrp(payload: Uint8Array, meta: Ipv6Meta, opts?: DecodeOptions): DecodeResult {
  if (payload.length < VRRP_HEADER_LENGTH)
    return fail('packet_len_err', `${payload.length} bytes is shorter than a VRRP header`);
  const source = typeof meta.source === 'string' ? addressToBytes(meta.source, 6) : meta.source;
  const destination =
    typeof meta.destination === 'string' ? addressToBytes(meta.destination, 6) : meta.destination;
  if (!source || source.length !== 16 || !destination || destination.length !== 16) {
    return fail('packet_len_err', 'source or destination is not an IPv6 address');
  }
  return decodeCommon(
    payload,
    0,
    6,
    source,
    0,
    destination,
    0,
    meta.ttl,
    meta.ifname,
    IPPROTO_VRRP,
    0,
    payload.length,
    meta.checksumVerified === true,
    opts,
  );
}

function decodeCommon(
  buf: Uint8Array,
  pduOffset: number,
  family: IpFamily,
  source: Uint8Array,
  sourceOffset: number,
  destination: Uint8Array,
  destinationOffset: number,
  ttl: number,
  ifname: string,
  ipProtocol: number,
  ipHeaderLength: number,
  ipTotalLength: number,
  checksumVerified: boolean,
  opts: DecodeOptions | undefined,
): DecodeResult {
  const versionType = buf[pduOffset];
  const version = versionType >> 4;
  const vrid = buf[pduOffset + 1];
  if (version !== 2 && version !== 3) return fail('version_err', `VRRP version ${version}`, vrid);
  const count = buf[pduOffset + 3];
  const pduLength = vrrpPacketLength(version, family, count);
  const expected = pduOffset + pduLength;
  const received = buf.length;
  let trailerOffset = -1;
  if (received === expected + HMAC_TRAILER_LENGTH) trailerOffset = expected;
  else if (received !== expected && !isLinkPadding(expected, received)) {
    return fail('packet_len_err', `${received} bytes, expected ${expected} for ${count} addresses`, vrid);
  }
  if ((versionType & 0x0f) !== VRRP_TYPE_ADVERTISEMENT)
    return fail('invalid_type_rcvd', `type ${versionType & 0x0f}`, vrid);
  if (
    family === 4 &&
    ipTotalLength !== received &&
    !(ipTotalLength < received && isLinkPadding(ipTotalLength, received))
  ) {
    return fail('packet_len_err', `IP total length ${ipTotalLength} but ${received} bytes received`, vrid);
  }
  const pduEnd = pduOffset + pduLength;
  let authTypeCode = 0;
  let authType: AuthType = 'none';
  let intervalCs: number;
  if (version === 2) {
    authTypeCode = buf[pduOffset + 4];
    if (authTypeCode > 2) return fail('invalid_authtype', `auth type ${authTypeCode}`, vrid);
    authType = AUTH_TYPES[authTypeCode];
    intervalCs = buf[pduOffset + 5] * 100;
  } else intervalCs = ((buf[pduOffset + 4] & 0x0f) << 8) | buf[pduOffset + 5];

  let checksumForm: ChecksumForm;
  // IPv6: the kernel (IPV6_CHECKSUM) sums the whole payload, so a trailer is covered there; IPv4 sums
  // keepalived computes cover the VRRP packet only.
  const sumEnd = family === 6 ? received : pduEnd;
  const body = sumWords(buf, pduOffset, sumEnd);
  if (family === 6) {
    const pseudo = ipv6PseudoHeaderSum(
      source,
      sourceOffset,
      destination,
      destinationOffset,
      IPPROTO_VRRP,
      sumEnd,
    );
    if (checksumVerified) checksumForm = 'unchecked';
    else if (finishChecksum(body + pseudo) === 0) checksumForm = 'ipv6';
    else return fail('checksum_err', 'invalid VRRP checksum (IPv6 pseudo-header)', vrid);
  } else if (version === 2) {
    if (finishChecksum(body) !== 0) return fail('checksum_err', 'invalid VRRPv2 checksum', vrid);
    checksumForm = 'v2';
  } else {
    const group = opts?.multicastGroup4 ?? GROUP4_BYTES;
    if (
      finishChecksum(
        body +
          ipv4PseudoHeaderSum(source, sourceOffset, destination, destinationOffset, IPPROTO_VRRP, pduLength),
      ) === 0
    ) {
      checksumForm = 'rfc';
    } else if (finishChecksum(body) === 0) checksumForm = 'v2-style';
    else if (
      finishChecksum(body + ipv4PseudoHeaderSum(source, sourceOffset, group, 0, IPPROTO_VRRP, pduLength)) ===
      0
    ) {
      checksumForm = 'old-unicast';
    } else if (opts?.keepBadV3Checksum) checksumForm = 'bad';
    else return fail('checksum_err', 'invalid VRRPv3 checksum', vrid);
  }

  const addressLength = family === 4 ? 4 : 16;
  const addressStart = pduOffset + VRRP_HEADER_LENGTH;
  const addresses = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const at = addressStart + i * addressLength;
    addresses[i] = family === 4 ? formatIpv4(buf, at) : formatIpv6(buf, at);
  }
  const advert: Advert = { version, vrid, priority: buf[pduOffset + 2], intervalCs, addresses, authType };
  const receivedAdvert: ReceivedAdvert = {
    advert,
    family,
    source: family === 4 ? formatIpv4(source, sourceOffset) : formatIpv6(source, sourceOffset),
    destination:
      family === 4 ? formatIpv4(destination, destinationOffset) : formatIpv6(destination, destinationOffset),
    ttl,
    ifname,
  };
  const wire: WireFacts = {
    buffer: buf,
    pduOffset,
    pduLength,
    addressesOffset: addressStart,
    count,
    authTypeCode,
    authDataOffset: version === 2 && family === 4 ? pduEnd - AUTH_DATA_LENGTH : -1,
    trailerOffset,
    ipProtocol,
    ipHeaderLength,
    ipTotalLength,
    checksumForm,
    sourceBytes: source,
    sourceOffset,
    destinationBytes: destination,
    destinationOffset,
    destinationIsMulticast:
      family === 4
        ? isIpv4Multicast(destination, destinationOffset)
        : destination[destinationOffset] === 0xff,
  };
  return { ok: true, received: receivedAdvert, wire };
}
