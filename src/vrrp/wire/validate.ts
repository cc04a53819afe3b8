// Per-instance acceptance of a decoded advert, in the order keepalived's vrrp_check_packet applies it:
//   trailer without auth_hmac (length) -> AH presence vs auth type -> TTL 255 (multicast) -> version ->
//   auth_hmac -> v2: auth type, password or AH, interval (a v2 mismatch is dropped: two routers with
//   different intervals in one VRID would both become master) -> checksum form -> multicast vs unicast
//   destination -> [advert_rcvd is counted from here] -> address count and list (counted as addr_list_err
//   but NOT dropped: keepalived only logs them) -> unicast source is a configured peer, and its TTL range.
// v3 interval mismatches are accepted: a backup learns the master's interval (RFC 5798 6.4.2).
// The structural checks (lengths, type, version range, checksum) happened in the decoder.

import type { AdvertDropReason, AuthType, IpFamily, VrrpVersion } from '../advert.js';
import { type AhReceiveState, AUTH_DATA_LENGTH, authData, verifyAh } from './auth-ah.js';
import { type HmacConfig, type HmacReceiveState, verifyHmacTrailer } from './auth-hmac.js';
import { addressToBytes } from '../../common/inet.js';
import { type ChecksumForm, type WireFacts, wirePdu, wireSource, wireTrailer } from './packet.js';
import { VRRP_TTL } from './ipv4.js';
import { csToSeconds } from '../../common/units.js';

export interface UnicastPeerExpectation {
  address: string;
  /** keepalived unicast_peer `min_ttl` / `max_ttl` (checked with check_unicast_src). Default 0..255. */
  minTtl?: number;
  maxTtl?: number;
}

export interface AdvertExpectations {
  vrid: number;
  version: VrrpVersion;
  family: IpFamily;
  authType: AuthType;
  authPass?: string;
  intervalCs: number;
  /** The instance's virtual addresses (virtual_ipaddress, not the excluded ones), as text. */
  vips: string[];
  /** Unicast peers; empty or absent means a multicast instance. */
  unicastPeers?: (string | UnicastPeerExpectation)[];
  /** global vrrp_check_unicast_src or the instance's check_unicast_src. */
  checkUnicastSource?: boolean;
  /** vrrp_skip_check_adv_addr: skip the address list check when the advert is from the same master as the
   * last one (the caller says so through ValidationContext.sameMasterAsLast). */
  skipCheckAdvAddr?: boolean;
  /** vrrp_strict: the address list is always checked. */
  strict?: boolean;
  /** v3_checksum_as_v2: keepalived then ignores v3 checksum errors altogether. */
  v3ChecksumAsV2?: boolean;
  /** auth_hmac. */
  hmac?: HmacConfig;
  /** Addresses of this host: adverts from them are our own, looped back. */
  ownAddresses?: string[];
}

interface CompiledPeer {
  address: Uint8Array;
  minTtl: number;
  maxTtl: number;
}

/** Expectations with every address already in wire bytes, so validation compares bytes, not strings. */
export interface CompiledExpectations {
  source: AdvertExpectations;
  vrid: number;
  version: VrrpVersion;
  family: IpFamily;
  authType: AuthType;
  authCode: number;
  authData: Uint8Array;
  intervalCs: number;
  /** All VIPs back to back, 4 or 16 bytes each. */
  vipBytes: Uint8Array;
  vipCount: number;
  unicast: boolean;
  peers: CompiledPeer[];
  checkUnicastSource: boolean;
  skipCheckAdvAddr: boolean;
  v3ChecksumAsV2: boolean;
  hmac?: HmacConfig;
  own: Uint8Array[];
  /** Configured addresses that did not parse for the family (ignored; the config layer reports them). */
  unparsed: string[];
}

export function compileExpectations(e: AdvertExpectations): CompiledExpectations {
  const width = e.family === 4 ? 4 : 16;
  const unparsed: string[] = [];
  const parse = (text: string): Uint8Array | undefined => {
    const bytes = addressToBytes(text, e.family);
    if (!bytes) unparsed.push(text);
    return bytes;
  };
  const vips = e.vips.map(parse).filter((b): b is Uint8Array => b !== undefined);
  const vipBytes = new Uint8Array(vips.length * width);
  vips.forEach((b, i) => vipBytes.set(b, i * width));
  const peers: CompiledPeer[] = [];
  for (const p of e.unicastPeers ?? []) {
    const spec = typeof p === 'string' ? { address: p } : p;
    const address = parse(spec.address);
    if (address) peers.push({ address, minTtl: spec.minTtl ?? 0, maxTtl: spec.maxTtl ?? 255 });
  }
  return {
    source: e,
    vrid: e.vrid,
    version: e.version,
    family: e.family,
    authType: e.authType,
    authCode: e.authType === 'none' ? 0 : e.authType === 'pass' ? 1 : 2,
    authData: authData(e.authPass),
    intervalCs: e.intervalCs,
    vipBytes,
    vipCount: vips.length,
    unicast: (e.unicastPeers ?? []).length > 0,
    peers,
    checkUnicastSource: e.checkUnicastSource ?? false,
    skipCheckAdvAddr: (e.skipCheckAdvAddr ?? false) && !(e.strict ?? false),
    v3ChecksumAsV2: e.v3ChecksumAsV2 ?? false,
    hmac: e.hmac,
    own: (e.ownAddresses ?? []).map(parse).filter((b): b is Uint8Array => b !== undefined),
    unparsed,
  };
}

/** Mutable per-instance receive state and the facts validation needs from outside the packet. */
export interface ValidationContext {
  /** IPSEC-AH replay guard (required for AH instances). */
  ah?: AhReceiveState;
  /** auth_hmac replay state (required when hmac is configured). */
  hmac?: HmacReceiveState;
  /** Wall clock (ms since the epoch) for the auth_hmac time window. */
  nowRealtimeMs?: number;
  /** The advert comes from the same master as the previous one (for skip_check_adv_addr). */
  sameMasterAsLast?: boolean;
}

export type ValidationResult =
  | {
      ok: true;
      /** Problems keepalived counts (addr_list_err) but accepts the advert anyway. */
      notes: readonly AdvertDropReason[];
      /** v3: the master advertises another interval (logged by keepalived; the backup adopts it). */
      intervalMismatch: boolean;
      checksumForm: ChecksumForm;
      /** auth_hmac accepted an advert without a trailer (permissive or receive-only mode). */
      unauthenticated?: boolean;
    }
  | { ok: false; reason: AdvertDropReason; detail: string };

const NO_NOTES: readonly AdvertDropReason[] = Object.freeze([]);
const ADDR_LIST_NOTE: readonly AdvertDropReason[] = Object.freeze(['addr_list_err' as const]);

function drop(reason: AdvertDropReason, detail: string): ValidationResult {
  return { ok: false, reason, detail };
}

function equalAt(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
  return true;
}

function contains(
  list: Uint8Array,
  listOffset: number,
  count: number,
  width: number,
  needle: Uint8Array,
  needleOffset: number,
): boolean {
  for (let i = 0; i < count; i++)
    if (equalAt(list, listOffset + i * width, needle, needleOffset, width)) return true;
  return false;
}

/** Fields of the received advert validation reads (a DecodeResult's `received` covers them). */
export interface ReceivedFacts {
  advert: { version: VrrpVersion; vrid: number; intervalCs: number };
  family: IpFamily;
  ttl: number;
}

/** Accepts or drops a decoded advert for one instance. Never throws; updates AH / auth_hmac replay state. */
export function validateAdvert(
  received: ReceivedFacts,
  wire: WireFacts,
  exp: CompiledExpectations,
  ctx: ValidationContext = {},
): ValidationResult {
  const { advert } = received;
  const width = exp.family === 4 ? 4 : 16;
  if (received.family !== exp.family)
    return drop('packet_len_err', `IPv${received.family} advert for an IPv${exp.family} instance`);
  if (advert.vrid !== exp.vrid) return drop('vrid_mismatch', `vrid ${advert.vrid}, expected ${exp.vrid}`);
  const src = wire.sourceBytes;
  const srcAt = wire.sourceOffset;
  for (const own of exp.own)
    if (equalAt(own, 0, src, srcAt, width)) return drop('own_packet', 'advert from our own address');

  const hasTrailer = wire.trailerOffset >= 0;
  if (hasTrailer && !exp.hmac)
    return drop('packet_len_err', 'authentication trailer but auth_hmac is not configured');
  if (exp.family === 4 && (wire.ipProtocol === 51) !== (exp.authType === 'ah' && exp.version === 2)) {
    return drop(
      'authtype_mismatch',
      wire.ipProtocol === 51 ? 'AH header but auth type is not AH' : 'no AH header but auth type is AH',
    );
  }
  if (!exp.unicast && received.ttl !== -1 && received.ttl !== VRRP_TTL) {
    return drop('ip_ttl_err', `TTL/hop limit ${received.ttl}, expected ${VRRP_TTL}`);
  }
  if (advert.version !== exp.version)
    return drop('version_err', `version ${advert.version}, expected ${exp.version}`);

  let unauthenticated = false;
  if (exp.hmac) {
    if (!hasTrailer) {
      if (exp.hmac.mode === 'enforce') return drop('hmac_missing', 'missing authentication trailer');
      unauthenticated = true;
    } else {
      if (exp.unicast && !exp.peers.some((p) => equalAt(p.address, 0, src, srcAt, width))) {
        return drop('unicast_peer_unknown', 'unicast source is not a unicast peer');
      }
      if (!ctx.hmac) return drop('hmac_digest_err', 'no auth_hmac receive state supplied');
      const verdict = verifyHmacTrailer(wirePdu(wire), wireTrailer(wire) as Uint8Array, {
        family: exp.family,
        version: exp.version,
        vrid: exp.vrid,
        source: wireSource(wire, exp.family),
        unicast: exp.unicast,
        config: exp.hmac,
        state: ctx.hmac,
        nowRealtimeMs: ctx.nowRealtimeMs ?? 0,
      });
      if (!verdict.ok) return drop(verdict.reason, verdict.detail);
    }
  }

  if (exp.version === 2) {
    if (wire.authTypeCode !== exp.authCode) {
      return drop('authtype_mismatch', `auth type ${wire.authTypeCode}, expected ${exp.authCode}`);
    }
    if (exp.authType === 'pass' && wire.authDataOffset >= 0) {
      let diff = 0;
      for (let i = 0; i < AUTH_DATA_LENGTH; i++)
        diff |= wire.buffer[wire.authDataOffset + i] ^ exp.authData[i];
      if (diff !== 0) return drop('auth_failure', 'invalid password');
    } else if (exp.authType === 'ah' && exp.family === 4) {
      if (!ctx.ah) return drop('auth_failure', 'no AH receive state supplied');
      const check = verifyAh(
        wire.buffer,
        wire.ipHeaderLength,
        wire.ipTotalLength,
        exp.authData,
        exp.unicast,
        ctx.ah,
      );
      if (!check.ok) return drop('auth_failure', check.detail);
    }
    if (advert.intervalCs !== Math.floor(csToSeconds(exp.intervalCs)) * 100) {
      return drop(
        'advert_interval_err',
        `interval ${csToSeconds(advert.intervalCs)} s, ours ${Math.floor(csToSeconds(exp.intervalCs))} s`,
      );
    }
  }

  const form = wire.checksumForm;
  if (exp.family === 4 && exp.version === 3 && !exp.v3ChecksumAsV2) {
    const acceptable = form === 'rfc' || (form === 'old-unicast' && exp.unicast);
    if (!acceptable) return drop('checksum_err', `VRRPv3 checksum only verifies as ${form}`);
  }

  if (wire.destinationIsMulticast === exp.unicast) {
    return drop(
      'addr_list_err',
      exp.unicast
        ? 'expected unicast packet but received multicast'
        : 'expected multicast packet but received unicast',
    );
  }

  let notes = NO_NOTES;
  const count = wire.count;
  if (count !== exp.vipCount) notes = ADDR_LIST_NOTE;
  else if (!exp.skipCheckAdvAddr || !ctx.sameMasterAsLast) {
    for (let i = 0; i < exp.vipCount; i++) {
      if (!contains(wire.buffer, wire.addressesOffset, count, width, exp.vipBytes, i * width)) {
        notes = ADDR_LIST_NOTE;
        break;
      }
    }
  }

  if (exp.unicast && exp.checkUnicastSource) {
    const peer = exp.peers.find((p) => equalAt(p.address, 0, src, srcAt, width));
    if (!peer) return drop('unicast_peer_unknown', 'unicast source address is not a unicast peer');
    if (received.ttl !== -1 && (received.ttl < peer.minTtl || received.ttl > peer.maxTtl)) {
      return drop('ip_ttl_err', `TTL/hop limit ${received.ttl} not in [${peer.minTtl}, ${peer.maxTtl}]`);
    }
  }

  const intervalMismatch = exp.version === 3 && advert.intervalCs !== exp.intervalCs;
  return unauthenticated
    ? { ok: true, notes, intervalMismatch, checksumForm: form, unauthenticated }
    : { ok: true, notes, intervalMismatch, checksumForm: form };
}
