// One BFD session's state machine in asynchronous mode (RFC 5880 sections 6.2, 6.8): discriminators,
// timer negotiation with Poll/Final, detection time, slow start while not Up, jittered transmission.
// Pure: time comes in as `now` (ms), randomness from the injected source, actions go out in `out`.
import {
  BFD_MULTIHOP_PORT,
  BFD_SINGLE_HOP_PORT,
  BFD_VERSION,
  BfdDiag,
  BfdState,
  type BfdControlPacket,
  type BfdStateValue,
  encodeControl,
  stateName,
} from './packet.js';
import type { BfdAction, BfdSessionSnapshot, BfdSessionSpec } from './spec.js';

/** A source of uniform numbers in [0, 1). */
export type RandomSource = () => number;

/** RFC 5880 6.8.7: each interval is reduced by 0-25%, or by 10-25% when the multiplier is 1 (so that
 * one late packet cannot take the session down). */
export function jitteredIntervalUs(intervalUs: number, detectMult: number, random: RandomSource): number {
  const minReduction = detectMult === 1 ? 0.1 : 0;
  const reduction = minReduction + (0.25 - minReduction) * random();
  return intervalUs * (1 - reduction);
}

/**
 * Timed transmission: the interval a sender thread repeats an armed packet at until it is armed again
 * (only when the caller is late re-arming): 85% of the transmit interval, inside both RFC 5880 6.8.7
 * ranges (75-100%, and 75-90% with a multiplier of 1). Each re-arm draws a fresh jittered interval.
 */
export const TIMED_REPEAT_FACTOR = 0.85;

export class BfdSession {
  state: BfdStateValue = BfdState.Down;
  remoteState: BfdStateValue = BfdState.Down;
  remoteDiscr = 0;
  localDiag = 0;
  remoteDiag = 0;
  /** RFC 5880 6.8.1: bfd.RemoteMinRxInterval starts at 1 us. */
  remoteMinRxUs = 1;
  remoteMinTxUs = 0;
  remoteDetectMult = 0;
  /** Our Poll Sequence is running: every packet carries P until an F comes back. */
  poll = false;
  /** The next packet answers a Poll with F. */
  final = false;
  txIntervalUs: number;
  detectTimeUs = 0;
  packetsSent = 0;
  packetsReceived = 0;
  /** A passive session stays silent until it hears from the peer, and again after falling Down. */
  private heardFromPeer = false;
  private nextTxAt: number | undefined;
  private detectAt: number | undefined;
  private resetAt: number | undefined;

  constructor(
    readonly spec: BfdSessionSpec,
    readonly localDiscr: number,
    private readonly random: RandomSource,
    /** Periodic packets are armed (arm-tx) for a sender that reports them, not sent by timer(). */
    private readonly timedTx = false,
  ) {
    this.txIntervalUs = spec.idleTxUs;
  }

  get port(): number {
    return this.spec.multihop ? BFD_MULTIHOP_PORT : BFD_SINGLE_HOP_PORT;
  }

  start(now: number, out: BfdAction[]): void {
    if (!this.spec.passive) this.transmit(now, out);
  }

  /** Earliest time something is due, or undefined (timed transmission: the sender keeps nextTxAt). */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const t of [this.timedTx ? undefined : this.nextTxAt, this.detectAt, this.resetAt])
      if (t !== undefined && (next === undefined || t < next)) next = t;
    return next;
  }

  timer(now: number, out: BfdAction[]): void {
    if (this.detectAt !== undefined && this.detectAt <= now) {
      this.detectAt = undefined;
      // RFC 5880 6.8.1: no valid packet for a Detection Time: forget the peer's discriminator.
      this.remoteDiscr = 0;
      this.fall(now, BfdDiag.ControlDetectionTimeExpired, out);
    }
    if (this.resetAt !== undefined && this.resetAt <= now) {
      this.resetAt = undefined;
      this.resetRemote();
    }
    if (!this.timedTx && this.nextTxAt !== undefined && this.nextTxAt <= now) {
      this.nextTxAt = undefined;
      this.transmit(now, out);
    }
  }

  /** Timed transmission: the armed periodic packet left at `now`; the next one is due a jittered
   * interval later. */
  sent(now: number): void {
    if (this.nextTxAt === undefined) return; // disarmed meanwhile: a late report
    this.packetsSent++;
    this.scheduleTx(now, false);
  }

  /** Timed transmission: what to arm, or undefined when nothing periodic is due. */
  timedPlan(): { at: number; periodMs: number; data: Uint8Array } | undefined {
    if (this.nextTxAt === undefined) return undefined;
    // Never a Final: a packet answering a Poll is sent at once (transmit), which clears it.
    return {
      at: this.nextTxAt,
      periodMs: (this.txIntervalUs * TIMED_REPEAT_FACTOR) / 1000,
      data: encodeControl(this.buildPacket()),
    };
  }

  /** A validated packet addressed to this session (section 6.8.6 after the generic checks). */
  receive(now: number, p: BfdControlPacket, out: BfdAction[]): void {
    this.packetsReceived++;
    this.heardFromPeer = true;
    this.remoteDiscr = p.myDiscriminator;
    this.remoteState = p.state;
    this.remoteDiag = p.diag;
    this.remoteMinRxUs = p.requiredMinRxUs;
    this.remoteMinTxUs = p.desiredMinTxUs;
    this.remoteDetectMult = p.detectMult;
    if (p.final) this.poll = false;

    const oldTx = this.txIntervalUs;
    const oldDetect = this.detectTimeUs;
    // While Up the intervals change only through a Poll Sequence (6.8.3); otherwise follow the peer.
    if (this.state !== BfdState.Up || p.poll || p.final) this.negotiate();
    this.detectTimeUs = this.remoteDetectMult * Math.max(this.spec.requiredMinRxUs, this.remoteMinTxUs);

    this.step(now, p.state, out);

    if (this.txIntervalUs !== oldTx || this.detectTimeUs !== oldDetect)
      out.push({
        type: 'timers',
        session: this.spec.name,
        txIntervalUs: this.txIntervalUs,
        detectTimeUs: this.detectTimeUs,
      });
    // A faster rate applies now, not after the slow interval already scheduled.
    if (this.txIntervalUs < oldTx && this.nextTxAt !== undefined) this.scheduleTx(now, true);

    this.lastRx(now);
    if (p.poll) {
      this.final = true;
      this.transmit(now, out);
    } else if (this.nextTxAt === undefined || this.remoteMinRxUs === 0) this.scheduleTx(now, false);
  }

  snapshot(): BfdSessionSnapshot {
    return {
      name: this.spec.name,
      state: stateName(this.state),
      remoteState: stateName(this.remoteState),
      localDiscriminator: this.localDiscr,
      remoteDiscriminator: this.remoteDiscr,
      localDiag: this.localDiag,
      remoteDiag: this.remoteDiag,
      txIntervalUs: this.txIntervalUs,
      detectTimeUs: this.detectTimeUs,
      remoteMinRxUs: this.remoteMinRxUs,
      remoteMinTxUs: this.remoteMinTxUs,
      remoteDetectMult: this.remoteDetectMult,
      packetsSent: this.packetsSent,
      packetsReceived: this.packetsReceived,
    };
  }

  /** The packet we would send now. */
  buildPacket(): BfdControlPacket {
    const up = this.state === BfdState.Up;
    return {
      version: BFD_VERSION,
      diag: this.localDiag,
      state: this.state,
      // A packet answering a Poll carries our new parameters too; it cannot also ask (6.5).
      poll: this.poll && !this.final,
      final: this.final,
      controlPlaneIndependent: false,
      authPresent: false,
      demand: false,
      multipoint: false,
      detectMult: this.spec.detectMult,
      myDiscriminator: this.localDiscr,
      yourDiscriminator: this.remoteDiscr,
      desiredMinTxUs: up ? this.spec.desiredMinTxUs : this.spec.idleTxUs,
      requiredMinRxUs: this.spec.requiredMinRxUs,
      requiredMinEchoRxUs: 0,
    };
  }

  private negotiate(): void {
    // The fast rate once both ends agree the session is coming up; the slow one otherwise (6.8.3).
    const fast =
      this.remoteState === BfdState.Up && (this.state === BfdState.Init || this.state === BfdState.Up);
    const desired = fast ? this.spec.desiredMinTxUs : this.spec.idleTxUs;
    this.txIntervalUs = Math.max(desired, this.remoteMinRxUs);
  }

  /** The table of section 6.8.6 for a packet in state `remote`. */
  private step(now: number, remote: BfdStateValue, out: BfdAction[]): void {
    if (remote === BfdState.AdminDown) {
      if (this.state !== BfdState.Down) this.fall(now, BfdDiag.NeighborSignaledSessionDown, out);
      return;
    }
    switch (this.state) {
      case BfdState.Down:
        if (remote === BfdState.Down) this.rise(BfdState.Init, out);
        else if (remote === BfdState.Init) this.rise(BfdState.Up, out);
        break;
      case BfdState.Init:
        if (remote === BfdState.Init || remote === BfdState.Up) this.rise(BfdState.Up, out);
        break;
      case BfdState.Up:
        if (remote === BfdState.Down) this.fall(now, BfdDiag.NeighborSignaledSessionDown, out);
        break;
    }
  }

  private rise(to: BfdStateValue, out: BfdAction[]): void {
    const from = this.state;
    this.state = to;
    this.localDiag = BfdDiag.None;
    this.resetAt = undefined;
    if (to === BfdState.Up) {
      // Going Up changes our DesiredMinTxInterval from the idle rate: announce it with a Poll (6.8.3).
      if (this.spec.desiredMinTxUs !== this.spec.idleTxUs) this.poll = true;
      this.negotiate();
    }
    out.push(this.transition(from, to, to === BfdState.Up));
  }

  private fall(now: number, diag: number, out: BfdAction[]): void {
    const from = this.state;
    this.state = BfdState.Down;
    this.localDiag = diag;
    this.detectAt = undefined;
    this.poll = false;
    this.txIntervalUs = Math.max(this.spec.idleTxUs, this.remoteMinRxUs);
    // keepalived forgets the peer's parameters one Detection Time after falling Down.
    this.resetAt = now + Math.max(this.detectTimeUs, this.spec.idleTxUs) / 1000;
    if (this.spec.passive) {
      this.heardFromPeer = false;
      this.nextTxAt = undefined;
    }
    // keepalived does not report a session its peer took AdminDown: that is not a path failure.
    const notify = from === BfdState.Up && this.remoteState !== BfdState.AdminDown;
    out.push(this.transition(from, BfdState.Down, notify));
  }

  private transition(from: BfdStateValue, to: BfdStateValue, notify: boolean): BfdAction {
    return {
      type: 'state',
      session: this.spec.name,
      from: stateName(from),
      to: stateName(to),
      diag: this.localDiag,
      remoteDiag: this.remoteDiag,
      notify,
    };
  }

  private resetRemote(): void {
    this.remoteDiscr = 0;
    this.remoteState = BfdState.Down;
    this.remoteDiag = 0;
    this.poll = false;
    this.final = false;
    this.txIntervalUs = Math.max(this.spec.idleTxUs, this.remoteMinRxUs);
  }

  private lastRx(now: number): void {
    if (this.state === BfdState.Init || this.state === BfdState.Up)
      this.detectAt = now + this.detectTimeUs / 1000;
    else if (this.state === BfdState.Down)
      this.resetAt = now + Math.max(this.detectTimeUs, this.spec.idleTxUs) / 1000;
  }

  private mayTransmit(): boolean {
    return !this.spec.passive || this.heardFromPeer;
  }

  private transmit(now: number, out: BfdAction[]): void {
    if (!this.mayTransmit()) return;
    out.push({
      type: 'send',
      session: this.spec.name,
      family: this.spec.family,
      to: this.spec.neighbor,
      port: this.port,
      data: encodeControl(this.buildPacket()),
    });
    this.packetsSent++;
    this.final = false;
    this.scheduleTx(now, false);
  }

  /** The next periodic packet; none while the peer asks for none (RequiredMinRxInterval 0, 6.8.3). */
  private scheduleTx(now: number, sooner: boolean): void {
    if (!this.mayTransmit() || (this.remoteMinRxUs === 0 && this.packetsReceived > 0)) {
      this.nextTxAt = undefined;
      return;
    }
    const at = now + jitteredIntervalUs(this.txIntervalUs, this.spec.detectMult, this.random) / 1000;
    if (!sooner || this.nextTxAt === undefined || at < this.nextTxAt) this.nextTxAt = at;
  }
}
