// The BFD control packet (RFC 5880 section 4.1): a fixed 24-byte header, optionally followed by an
// authentication section we do not implement. The decoder never throws: a packet that breaks a rule of
// section 6.8.6 comes back as a drop reason, which the engine counts.

export const BFD_VERSION = 1;
/** RFC 5881: single-hop control packets go to UDP port 3784, from a source port in 49152-65535. */
export const BFD_SINGLE_HOP_PORT = 3784;
/** RFC 5883: multihop control packets go to UDP port 4784. */
export const BFD_MULTIHOP_PORT = 4784;
export const BFD_SOURCE_PORT_MIN = 49152;
export const BFD_SOURCE_PORT_MAX = 65535;
/** Length of the mandatory section. */
export const BFD_HEADER_LENGTH = 24;

/** Session states as numbered on the wire. */
export const BfdState = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;
export type BfdStateName = keyof typeof BfdState;
export type BfdStateValue = (typeof BfdState)[BfdStateName];
const STATE_NAMES: readonly BfdStateName[] = ['AdminDown', 'Down', 'Init', 'Up'];

export function stateName(value: number): BfdStateName {
  return STATE_NAMES[value & 3] ?? 'Down';
}

/** Diagnostic codes (section 4.1); 9-31 are reserved. */
export const BfdDiag = {
  None: 0,
  ControlDetectionTimeExpired: 1,
  EchoFunctionFailed: 2,
  NeighborSignaledSessionDown: 3,
  ForwardingPlaneReset: 4,
  PathDown: 5,
  ConcatenatedPathDown: 6,
  AdministrativelyDown: 7,
  ReverseConcatenatedPathDown: 8,
} as const;
export const MAX_KNOWN_DIAG = 8;

const DIAG_TEXT = [
  'No Diagnostic',
  'Control Detection Time Expired',
  'Echo Function Failed',
  'Neighbor Signaled Session Down',
  'Forwarding Plane Reset',
  'Path Down',
  'Concatenated Path Down',
  'Administratively Down',
  'Reverse Concatenated Path Down',
];

export function diagText(diag: number): string {
  return DIAG_TEXT[diag] ?? `Unknown (${diag})`;
}

export interface BfdControlPacket {
  version: number;
  diag: number;
  state: BfdStateValue;
  poll: boolean;
  final: boolean;
  controlPlaneIndependent: boolean;
  authPresent: boolean;
  demand: boolean;
  multipoint: boolean;
  detectMult: number;
  myDiscriminator: number;
  yourDiscriminator: number;
  /** Microseconds. */
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  requiredMinEchoRxUs: number;
  /** The authentication section as received (type, length, data); kept opaque. */
  auth?: Uint8Array;
}

/** Why a received datagram was not a usable control packet (RFC 5880 6.8.6, plus keepalived's checks). */
export type BfdPacketDropReason =
  | 'too-short'
  | 'bad-version'
  | 'bad-length'
  | 'zero-detect-mult'
  | 'multipoint'
  | 'zero-my-discriminator'
  | 'zero-your-discriminator'
  | 'poll-and-final'
  | 'bad-diag';

export type DecodeResult =
  { ok: true; packet: BfdControlPacket } | { ok: false; reason: BfdPacketDropReason };

/** Encodes a control packet: 24 bytes, or more when an authentication section is given. */
export function encodeControl(p: BfdControlPacket): Uint8Array {
  const auth = p.authPresent ? (p.auth ?? new Uint8Array(0)) : new Uint8Array(0);
  const length = BFD_HEADER_LENGTH + auth.length;
  const buf = new Uint8Array(length);
  const view = new DataView(buf.buffer);
  buf[0] = ((p.version & 7) << 5) | (p.diag & 31);
  buf[1] =
    ((p.state & 3) << 6) |
    (p.poll ? 0x20 : 0) |
    (p.final ? 0x10 : 0) |
    (p.controlPlaneIndependent ? 0x08 : 0) |
    (p.authPresent ? 0x04 : 0) |
    (p.demand ? 0x02 : 0) |
    (p.multipoint ? 0x01 : 0);
  buf[2] = p.detectMult & 0xff;
  buf[3] = length & 0xff;
  view.setUint32(4, p.myDiscriminator >>> 0);
  view.setUint32(8, p.yourDiscriminator >>> 0);
  view.setUint32(12, p.desiredMinTxUs >>> 0);
  view.setUint32(16, p.requiredMinRxUs >>> 0);
  view.setUint32(20, p.requiredMinEchoRxUs >>> 0);
  buf.set(auth, BFD_HEADER_LENGTH);
  return buf;
}

/** Decodes and validates one datagram's payload. Bytes after the Length field's end are ignored. */
export function decodeControl(data: Uint8Array): DecodeResult {
  if (data.length < BFD_HEADER_LENGTH) return { ok: false, reason: 'too-short' };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const b0 = data[0]!;
  const b1 = data[1]!;
  const version = b0 >> 5;
  if (version !== BFD_VERSION) return { ok: false, reason: 'bad-version' };
  const authPresent = (b1 & 0x04) !== 0;
  const length = data[3]!;
  // The Length field covers the header and the authentication section; it may not exceed the datagram.
  if (length < (authPresent ? BFD_HEADER_LENGTH + 2 : BFD_HEADER_LENGTH) || length > data.length)
    return { ok: false, reason: 'bad-length' };
  const packet: BfdControlPacket = {
    version,
    diag: b0 & 31,
    state: ((b1 >> 6) & 3) as BfdStateValue,
    poll: (b1 & 0x20) !== 0,
    final: (b1 & 0x10) !== 0,
    controlPlaneIndependent: (b1 & 0x08) !== 0,
    authPresent,
    demand: (b1 & 0x02) !== 0,
    multipoint: (b1 & 0x01) !== 0,
    detectMult: data[2]!,
    myDiscriminator: view.getUint32(4),
    yourDiscriminator: view.getUint32(8),
    desiredMinTxUs: view.getUint32(12),
    requiredMinRxUs: view.getUint32(16),
    requiredMinEchoRxUs: view.getUint32(20),
  };
  if (authPresent) packet.auth = data.slice(BFD_HEADER_LENGTH, length);
  if (packet.detectMult === 0) return { ok: false, reason: 'zero-detect-mult' };
  if (packet.multipoint) return { ok: false, reason: 'multipoint' };
  if (packet.myDiscriminator === 0) return { ok: false, reason: 'zero-my-discriminator' };
  if (packet.yourDiscriminator === 0 && packet.state !== BfdState.Down && packet.state !== BfdState.AdminDown)
    return { ok: false, reason: 'zero-your-discriminator' };
  // keepalived's extra sanity checks: a packet cannot both ask and answer, and the diag must be known.
  if (packet.poll && packet.final) return { ok: false, reason: 'poll-and-final' };
  if (packet.diag > MAX_KNOWN_DIAG) return { ok: false, reason: 'bad-diag' };
  return { ok: true, packet };
}
