// keepalived's advert authentication extension (vrrp_auth_hmac.c, keepalived 2.4 `auth_hmac`): a 28-byte
// trailer after the VRRP packet, for v2 and v3, IPv4 and IPv6, unicast and multicast.
//
//   0      ext_type   1 = HMAC-SHA256 truncated to 128 bits
//   1      key_id     which configured key verifies it
//   2..3   reserved   0
//   4..7   sec        UTC seconds since the epoch
//   8..9   subsec     fraction of that second in 1/65536 s
//   10..11 ctr        tie breaker within one timestamp
//   12..27 hmac       first 16 bytes of HMAC-SHA256
// sec|subsec|ctr is one 64-bit sequence. The sender uses max(clock, last + 1); with anti-replay `time` a
// sequence stranded more than the window ahead of the clock (the clock was stepped back) restarts from the
// clock, since receivers would refuse it anyway. The receiver keeps, per sender, the last sequence accepted
// and wants strict growth (RFC 1982 serial order); in `time` mode a mark outside the window expires, so a
// sender whose clock was corrected is heard again. The HMAC covers a 20-byte pseudo-header (family 4|6,
// version, vrid, 0, source address padded to 16 bytes), then the VRRP packet with its checksum field read
// as zero, then the trailer with its HMAC field zero. Neither the IP header nor the checksum is covered:
// over IPv6 the kernel (IPV6_CHECKSUM) fills the checksum over the whole payload after signing, so only a
// zeroed field is the same on both sides. The first published version of the extension covered the
// checksum as sent; we verify such signatures too (a second digest, only when the first one fails).
// With anti-replay `time`, a trailer whose seconds differ from the receiver's clock by more than the window
// is dropped before the (costly) HMAC; `monotonic` relies on the sequence alone.
//
// Modes: `enforce` requires a trailer; `permissive` accepts adverts without one and sends one;
// `receive-only` verifies trailers that arrive, accepts adverts without one, and sends none.

import { createHmac, timingSafeEqual } from 'node:crypto';

import type { IpFamily, VrrpVersion } from '../advert.js';

export const HMAC_TRAILER_LENGTH = 28;
export const HMAC_EXT_TYPE_SHA256 = 1;
export const HMAC_DIGEST_LENGTH = 16;
export const HMAC_PSEUDO_HEADER_LENGTH = 20;
export const HMAC_KEY_MIN = 32;
export const HMAC_KEY_MAX = 64;
export const HMAC_WINDOW_MIN_S = 1;
export const HMAC_WINDOW_MAX_S = 300;
/** Multicast senders remembered per instance for replay protection (least recently used goes first). */
export const HMAC_MULTICAST_SENDERS = 4;

export interface HmacKey {
  /** 0..255. */
  id: number;
  /** 32..64 bytes. */
  key: Uint8Array;
}

export type HmacMode = 'enforce' | 'permissive' | 'receive-only';

export interface HmacConfig {
  keys: HmacKey[];
  /** Key id used when sending. */
  activeKeyId: number;
  antiReplay: 'time' | 'monotonic';
  /** Accepted clock difference in seconds for antiReplay `time`. */
  timeWindowS: number;
  mode: HmacMode;
}

/** The window when none is configured: three advert intervals, at least 5 s (keepalived's floor), at most
 * the 300 s bound. */
export function defaultHmacTimeWindowS(intervalCs: number): number {
  return Math.min(HMAC_WINDOW_MAX_S, Math.max(5, Math.ceil((3 * intervalCs) / 100)));
}

/** True when adverts we send carry a trailer under this config. */
export function hmacSends(config: HmacConfig): boolean {
  return config.mode !== 'receive-only';
}

/** The sender's sequence state: the last 64-bit sequence emitted. */
export interface HmacSendState {
  sequence: bigint;
  /** False until the first advert: then the clock is taken as is (keepalived compares it with 0 in serial
   * order, which picks 1 instead once the clock passes 2^31 seconds, in 2038). */
  started: boolean;
}

export function newHmacSendState(): HmacSendState {
  return { sequence: 0n, started: false };
}

/** The clock as a sequence with the counter clear: seconds in the top 32 bits, 1/65536 s in the next 16. */
export function clockSequence(nowRealtimeMs: number): bigint {
  const ms = Math.max(0, Math.floor(nowRealtimeMs));
  const seconds = BigInt(Math.floor(ms / 1000) >>> 0);
  const subsec = BigInt(Math.floor(((ms % 1000) * 65536) / 1000));
  return (seconds << 32n) | (subsec << 16n);
}

function serialAfter(a: bigint, b: bigint): boolean {
  return BigInt.asIntN(64, a - b) > 0n;
}

/** Signed difference of the seconds fields of two sequences (a - b), wrap-safe. */
function secondsAhead(a: bigint, b: bigint): number {
  return (Number(BigInt.asUintN(32, a >> 32n)) - Number(BigInt.asUintN(32, b >> 32n))) | 0;
}

/** The sequence for the next advert: the clock, or last + 1 when the clock has not moved past it. With
 * `timeWindowS` (anti-replay `time`), a last sequence more than the window ahead of the clock is abandoned
 * for the clock: receivers would call it stale. */
export function nextHmacSequence(state: HmacSendState, nowRealtimeMs: number, timeWindowS?: number): bigint {
  const clock = clockSequence(nowRealtimeMs);
  const stranded = timeWindowS !== undefined && secondsAhead(state.sequence, clock) > timeWindowS;
  const useClock = !state.started || serialAfter(clock, state.sequence) || stranded;
  state.sequence = useClock ? clock : BigInt.asUintN(64, state.sequence + 1n);
  state.started = true;
  return state.sequence;
}

/** The 20 bytes bound into the HMAC ahead of the packet. */
export function hmacPseudoHeader(
  family: IpFamily,
  version: VrrpVersion,
  vrid: number,
  source: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(HMAC_PSEUDO_HEADER_LENGTH);
  out[0] = family;
  out[1] = version;
  out[2] = vrid & 0xff;
  out.set(source.subarray(0, family === 6 ? 16 : 4), 4);
  return out;
}

/** The HMAC over pseudo-header, packet and trailer head. `coverChecksum` false reads the VRRP checksum
 * field (bytes 6..7) as zero, which is what keepalived signs; true is the first version's input. */
function digest(
  key: Uint8Array,
  pseudo: Uint8Array,
  pdu: Uint8Array,
  trailerHead: Uint8Array,
  coverChecksum = false,
): Uint8Array {
  const h = createHmac('sha256', key);
  h.update(pseudo);
  if (coverChecksum || pdu.length < 8) h.update(pdu);
  else {
    h.update(pdu.subarray(0, 6));
    h.update(ZERO_CHECKSUM);
    h.update(pdu.subarray(8));
  }
  h.update(trailerHead);
  h.update(ZERO_DIGEST);
  return new Uint8Array(h.digest().subarray(0, HMAC_DIGEST_LENGTH));
}

const ZERO_DIGEST = new Uint8Array(HMAC_DIGEST_LENGTH);
const ZERO_CHECKSUM = new Uint8Array(2);

export interface HmacSignInput {
  family: IpFamily;
  version: VrrpVersion;
  vrid: number;
  /** Our source address (4 or 16 bytes) as it will appear in the IP header. */
  source: Uint8Array;
  config: HmacConfig;
  state: HmacSendState;
  nowRealtimeMs: number;
}

/** The trailer for `pdu` (the VRRP packet as it will be sent; its checksum field is not covered, so it may
 * still be zero). A missing active key gives an all-zero HMAC, which every receiver rejects (keepalived does
 * the same). */
export function buildHmacTrailer(pdu: Uint8Array, input: HmacSignInput): Uint8Array {
  const trailer = new Uint8Array(HMAC_TRAILER_LENGTH);
  const window = input.config.antiReplay === 'time' ? input.config.timeWindowS : undefined;
  const seq = nextHmacSequence(input.state, input.nowRealtimeMs, window);
  trailer[0] = HMAC_EXT_TYPE_SHA256;
  trailer[1] = input.config.activeKeyId & 0xff;
  const view = new DataView(trailer.buffer);
  view.setUint32(4, Number(seq >> 32n));
  view.setUint16(8, Number((seq >> 16n) & 0xffffn));
  view.setUint16(10, Number(seq & 0xffffn));
  const key = input.config.keys.find((k) => k.id === input.config.activeKeyId);
  if (key) {
    const pseudo = hmacPseudoHeader(input.family, input.version, input.vrid, input.source);
    trailer.set(digest(key.key, pseudo, pdu, trailer.subarray(0, 12)), 12);
  }
  return trailer;
}

/** `pdu` followed by its trailer. */
export function appendHmacTrailer(pdu: Uint8Array, input: HmacSignInput): Uint8Array {
  const out = new Uint8Array(pdu.length + HMAC_TRAILER_LENGTH);
  out.set(pdu);
  out.set(buildHmacTrailer(pdu, input), pdu.length);
  return out;
}

interface ReplaySlot {
  valid: boolean;
  sequence: bigint;
}

interface MulticastSender extends ReplaySlot {
  /** Source address bytes as a string key. */
  address: string;
  lastUsed: number;
}

/** Per-instance receive state: replay high-water marks per unicast peer and for a few multicast senders. */
export interface HmacReceiveState {
  peers: Map<string, ReplaySlot>;
  senders: MulticastSender[];
  clock: number;
}

export function newHmacReceiveState(): HmacReceiveState {
  return { peers: new Map(), senders: [], clock: 0 };
}

export type HmacVerifyFailure =
  'hmac_malformed' | 'hmac_time_window' | 'hmac_key_unknown' | 'hmac_digest_err' | 'hmac_replay';

export type HmacVerifyResult =
  | { ok: true; sequence: bigint; skewS?: number }
  | { ok: false; reason: HmacVerifyFailure; detail: string; skewS?: number };

export interface HmacVerifyInput {
  family: IpFamily;
  /** The receiving instance's version and vrid (binding them stops splicing between instances). */
  version: VrrpVersion;
  vrid: number;
  /** Source address of the packet (4 or 16 bytes). */
  source: Uint8Array;
  /** Unicast instances keep one replay slot per configured peer (the caller has checked it is a peer). */
  unicast: boolean;
  config: HmacConfig;
  state: HmacReceiveState;
  nowRealtimeMs: number;
}

/** Verifies a received trailer for `pdu` (the VRRP packet as received, without the trailer). Updates the
 * replay state only when the HMAC is good, so forged packets can never move it. */
export function verifyHmacTrailer(
  pdu: Uint8Array,
  trailer: Uint8Array,
  input: HmacVerifyInput,
): HmacVerifyResult {
  if (trailer.length !== HMAC_TRAILER_LENGTH)
    return { ok: false, reason: 'hmac_malformed', detail: 'trailer length' };
  if (trailer[0] !== HMAC_EXT_TYPE_SHA256 || trailer[2] !== 0 || trailer[3] !== 0) {
    return { ok: false, reason: 'hmac_malformed', detail: `ext_type ${trailer[0]} or reserved bits set` };
  }
  const sec = ((trailer[4] << 24) | (trailer[5] << 16) | (trailer[6] << 8) | trailer[7]) >>> 0;
  const low = ((trailer[8] << 24) | (trailer[9] << 16) | (trailer[10] << 8) | trailer[11]) >>> 0;
  const sequence = (BigInt(sec) << 32n) | BigInt(low);
  let skewS: number | undefined;
  if (input.config.antiReplay === 'time') {
    // The difference of two 32-bit second counts, read as signed, so the 2106 wrap does not matter.
    const nowS = Math.floor(input.nowRealtimeMs / 1000) >>> 0;
    skewS = (nowS - sec) | 0;
    if (skewS > input.config.timeWindowS || skewS < -input.config.timeWindowS) {
      return {
        ok: false,
        reason: 'hmac_time_window',
        detail: `clock skew ${skewS} s exceeds window ${input.config.timeWindowS} s`,
        skewS,
      };
    }
  }
  const keyId = trailer[1];
  const key = input.config.keys.find((k) => k.id === keyId);
  if (!key) return { ok: false, reason: 'hmac_key_unknown', detail: `unknown key id ${keyId}`, skewS };
  const pseudo = hmacPseudoHeader(input.family, input.version, input.vrid, input.source);
  const received = trailer.subarray(12, HMAC_TRAILER_LENGTH);
  const head = trailer.subarray(0, 12);
  let good = timingSafeEqual(digest(key.key, pseudo, pdu, head), received);
  if (!good && pdu.length >= 8 && (pdu[6] !== 0 || pdu[7] !== 0))
    good = timingSafeEqual(digest(key.key, pseudo, pdu, head, true), received);
  if (!good) return { ok: false, reason: 'hmac_digest_err', detail: 'invalid authentication HMAC', skewS };
  const slot = input.unicast ? peerSlot(input.state, input.source) : multicastSlot(input.state, input.source);
  if (slot.valid && input.config.antiReplay === 'time') {
    // A mark outside the window only orders packets the window refuses anyway: forget it.
    const nowSeq = clockSequence(input.nowRealtimeMs);
    const age = secondsAhead(nowSeq, slot.sequence);
    if (age > input.config.timeWindowS || age < -input.config.timeWindowS) slot.valid = false;
  }
  if (slot.valid && !serialAfter(sequence, slot.sequence)) {
    return { ok: false, reason: 'hmac_replay', detail: 'sequence not above the last one accepted', skewS };
  }
  slot.valid = true;
  slot.sequence = sequence;
  return { ok: true, sequence, skewS };
}

function addressKey(source: Uint8Array): string {
  return Buffer.from(source).toString('hex');
}

function peerSlot(state: HmacReceiveState, source: Uint8Array): ReplaySlot {
  const key = addressKey(source);
  let slot = state.peers.get(key);
  if (!slot) {
    slot = { valid: false, sequence: 0n };
    state.peers.set(key, slot);
  }
  return slot;
}

function multicastSlot(state: HmacReceiveState, source: Uint8Array): ReplaySlot {
  const key = addressKey(source);
  state.clock++;
  const found = state.senders.find((s) => s.address === key);
  if (found) {
    found.lastUsed = state.clock;
    return found;
  }
  const fresh: MulticastSender = { address: key, valid: false, sequence: 0n, lastUsed: state.clock };
  if (state.senders.length < HMAC_MULTICAST_SENDERS) state.senders.push(fresh);
  else {
    let victim = 0;
    for (let i = 1; i < state.senders.length; i++) {
      if (state.senders[i].lastUsed < state.senders[victim].lastUsed) victim = i;
    }
    state.senders[victim] = fresh;
  }
  return fresh;
}

/** Checks a config the way keepalived's parser bounds it; a message per problem. */
export function hmacConfigProblems(config: HmacConfig): string[] {
  const problems: string[] = [];
  const ids = new Set<number>();
  for (const k of config.keys) {
    if (!Number.isInteger(k.id) || k.id < 0 || k.id > 255) problems.push(`key id ${k.id} is not 0..255`);
    if (ids.has(k.id)) problems.push(`key id ${k.id} is given twice`);
    ids.add(k.id);
    if (k.key.length < HMAC_KEY_MIN || k.key.length > HMAC_KEY_MAX) {
      problems.push(`key ${k.id} is ${k.key.length} bytes, not ${HMAC_KEY_MIN}..${HMAC_KEY_MAX}`);
    }
  }
  if (hmacSends(config) && !ids.has(config.activeKeyId))
    problems.push(`active key ${config.activeKeyId} is not configured`);
  if (config.timeWindowS < HMAC_WINDOW_MIN_S || config.timeWindowS > HMAC_WINDOW_MAX_S) {
    problems.push(`time window ${config.timeWindowS} s is not ${HMAC_WINDOW_MIN_S}..${HMAC_WINDOW_MAX_S}`);
  }
  return problems;
}
