// What the BFD engine is given (one spec per session), what it takes in (events) and what it asks the
// daemon to do (actions). Times: `now` is monotonic milliseconds (fractions allowed), intervals are
// microseconds as on the wire.
import type { BfdPacketDropReason, BfdStateName } from './packet.js';

export interface BfdSessionSpec {
  /** The bfd_instance name. */
  name: string;
  family: 4 | 6;
  neighbor: string;
  /** Local address to send from (and expect packets to); any when undefined. */
  source?: string;
  /** RFC 5883 port 4784 instead of RFC 5881 port 3784. */
  multihop: boolean;
  /** bfd.DesiredMinTxInterval while Up. */
  desiredMinTxUs: number;
  /** bfd.RequiredMinRxInterval. */
  requiredMinRxUs: number;
  /** bfd.DesiredMinTxInterval while not Up (slow start, RFC 5880 6.8.3: at least one second). */
  idleTxUs: number;
  detectMult: number;
  /** Do not send before the peer has sent something (RFC 5880 6.1 passive role). */
  passive: boolean;
  /** TTL / hop limit sent. */
  ttl: number;
  /** A received packet's TTL must be at least ttl - maxHops; -1 disables the check. */
  maxHops: number;
}

/** Why a datagram did not reach a session's state machine. */
export type BfdDropReason = BfdPacketDropReason | 'no-session' | 'ttl' | 'auth-unsupported' | 'admin-down';

export type BfdEvent =
  /** Begin: active sessions send their first packet. */
  | { type: 'start' }
  /** Fire whatever is due at `now`. */
  | { type: 'timer' }
  /** One UDP payload received on the BFD port. `to` is the local address it was sent to, `ttl` the
   * received TTL / hop limit when the socket reported it. */
  | { type: 'packet'; from: string; to?: string; multihop: boolean; ttl?: number; data: Uint8Array }
  /** Timed transmission (BfdEngineOptions.timedTx): the session's armed periodic packet left at `now`. */
  | { type: 'sent'; session: string };

export type BfdAction =
  | { type: 'send'; session: string; family: 4 | 6; to: string; port: number; data: Uint8Array }
  /** A state transition. `notify`: the session went Up, or fell from Up for a reason other than the
   * peer going AdminDown; keepalived forwards exactly these to the VRRP and checker processes. */
  | {
      type: 'state';
      session: string;
      from: BfdStateName;
      to: BfdStateName;
      diag: number;
      remoteDiag: number;
      notify: boolean;
    }
  /** Negotiated timers changed: what the session now sends at and how long it waits before Down. */
  | { type: 'timers'; session: string; txIntervalUs: number; detectTimeUs: number }
  | { type: 'drop'; reason: BfdDropReason; from: string; session?: string }
  /**
   * Timed transmission: the session's next periodic packet, to be sent at `at` (ms) by something that does
   * not wait for the caller (a sender thread), then every `periodMs` until armed again or disarmed; the
   * caller reports each send with a `sent` event. Replaces the previous arm of the session.
   */
  | {
      type: 'arm-tx';
      session: string;
      family: 4 | 6;
      to: string;
      port: number;
      data: Uint8Array;
      at: number;
      periodMs: number;
    }
  /** Timed transmission: the session sends nothing periodic any more (passive, or asked for none). */
  | { type: 'disarm-tx'; session: string };

export interface BfdSessionSnapshot {
  name: string;
  state: BfdStateName;
  remoteState: BfdStateName;
  localDiscriminator: number;
  remoteDiscriminator: number;
  localDiag: number;
  remoteDiag: number;
  txIntervalUs: number;
  detectTimeUs: number;
  remoteMinRxUs: number;
  remoteMinTxUs: number;
  remoteDetectMult: number;
  packetsSent: number;
  packetsReceived: number;
}
