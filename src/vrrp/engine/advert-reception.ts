// What a BACKUP or MASTER does with an advert it receives (keepalived's vrrp_state_backup and
// vrrp_state_master_rx), and with a packet for its VRID dropped before decoding. Functions over the members
// of Instance they use (ReceivingMember), so that instance.ts stays the transitions and this file the
// reactions to the wire.
import type { AdvertDropReason, ReceivedAdvert } from '../advert.js';
import { compareAddresses } from './address-order.js';
import type { LogLevel } from './events.js';
import { releasingReceive, type HandoverMember } from './handover-steps.js';
import type { InstanceObserver } from './observer.js';
import { countAccepted, countDrop } from './stats.js';
import type { StepContext } from './step.js';
import { later } from './timers.js';

/** What reception uses of an instance (instance.ts's Instance). */
export interface ReceivingMember extends HandoverMember {
  readonly group: { readonly members: readonly ReceivingMember[] } | undefined;
  readonly observer: InstanceObserver;
  effectivePriority: number;
  basePriority: number;
  msDownTimerMs: number;
  preemptTime: number | undefined;
  /** owner_ignore_adverts has logged that it drops adverts (reset on entering or leaving MASTER). */
  ownerDropLogged: boolean;
  downTimerMs(): number;
  skewMs(): number;
  lowerPriorityGarp(ctx: StepContext): void;
  /** `repeats`: the kind of a message that may come once per received packet. */
  log(ctx: StepContext, level: LogLevel, message: string, repeats?: string): void;
}

/** An advert for this instance arrived, accepted by the wire layer's validation (vrrp/wire/reception.ts).
 * Returns nothing; state changes show up in `state`. */
export function receiveAdvert(
  m: ReceivingMember,
  ctx: StepContext,
  received: ReceivedAdvert,
  notes: readonly AdvertDropReason[],
): void {
  if (m.state !== 'BACKUP' && m.state !== 'MASTER') return; // FAULT and INIT ignore adverts
  if (m.spec.ownerIgnoreAdverts === true && m.effectivePriority === 255) {
    dropAsOwner(m, ctx, received.source);
    return;
  }
  countAccepted(m.counters, received.advert.priority, notes);
  if (m.state === 'BACKUP') {
    m.observer.heardAsBackup(ctx, received);
    backupReceive(m, ctx, received);
  } else if (m.handover?.phase === 'releasing') releasingReceive(m, ctx, received);
  else if (masterReceive(m, ctx, received)) m.leaveMaster(ctx, false);
  // keepalived re-arms the timer after every packet, except a MASTER with lower_prio_no_advert
  // (which has not just sent an advert).
  if (m.state !== 'MASTER' || !m.spec.lowerPrioNoAdvert) m.initSands(ctx.now);
}

/**
 * keepalived 2.4 owner_ignore_adverts: an address owner drops an advert after the wire checks, before
 * counting it. Like any dropped packet here, it does not move a MASTER's next advert (keepalived 2.4.3
 * re-arms it, so a router advertising as often would hold the owner's adverts back).
 */
function dropAsOwner(m: ReceivingMember, ctx: StepContext, source: string): void {
  if (!m.ownerDropLogged) {
    m.log(ctx, 'info', `Dropping packet(s) from ${source} since we are address owner`);
    m.ownerDropLogged = true;
  }
  if (m.state === 'BACKUP') {
    ignoreAdvert(m, ctx);
    m.initSands(ctx.now);
  }
}

/** A packet dropped before it could be decoded, attributed to this instance. */
export function receiveDroppedAdvert(m: ReceivingMember, ctx: StepContext, reason: AdvertDropReason): void {
  if (m.state !== 'BACKUP' && m.state !== 'MASTER') return;
  countDrop(m.counters, reason);
  // A MASTER answers a dropped packet with nothing, so its next advert stays due when it was. keepalived
  // re-arms it here (now + advert_int), which lets anyone on the LAN hold a MASTER's adverts back with
  // a stream of invalid packets for its VRID until the backups take over (tests/netns/hostile-input).
  if (m.state === 'BACKUP') {
    ignoreAdvert(m, ctx);
    m.initSands(ctx.now);
  }
}

/** Keep the master-down deadline where it is: re-arming will add back exactly the time left. */
function ignoreAdvert(m: ReceivingMember, ctx: StepContext): void {
  m.msDownTimerMs = m.sands === undefined ? 0 : Math.max(0, later(m.sands, -ctx.now));
}

function backupReceive(m: ReceivingMember, ctx: StepContext, received: ReceivedAdvert): void {
  const a = received.advert;
  if (a.priority === 0) {
    // The master is leaving: take over after Skew_Time only.
    m.msDownTimerMs = m.skewMs();
    return;
  }
  const preemptDelayRunning =
    m.spec.preemptDelayMs > 0 && (m.preemptTime === undefined || m.preemptTime > ctx.now);
  const held = m.handover?.phase === 'held';
  if (!m.spec.preempt || held || a.priority >= m.effectivePriority || preemptDelayRunning) {
    if (m.spec.version === 3) m.masterAdvertIntervalCs = a.intervalCs;
    m.msDownTimerMs = m.downTimerMs();
    m.masterAddress = received.source;
    m.masterPriority = a.priority;
    if (m.spec.preemptDelayMs > 0) {
      if (a.priority >= m.effectivePriority) m.preemptTime = undefined;
      else if (m.preemptTime === undefined) m.preemptTime = later(ctx.now, m.spec.preemptDelayMs);
    }
    // A sync group may have held us in BACKUP wanting MASTER; a live master settles that.
    m.wantState = 'BACKUP';
    return;
  }
  // Preempting: discard the lower-priority advert and let the master-down timer run out.
  m.log(
    ctx,
    'info',
    `received lower priority (${a.priority}) advert from ${received.source} - discarding`,
    'received lower priority advert - discarding',
  );
  m.masterAddress = received.source;
  ignoreAdvert(m, ctx);
}

/** keepalived's vrrp_state_master_rx; true when we must yield to the sender. */
function masterReceive(m: ReceivingMember, ctx: StepContext, received: ReceivedAdvert): boolean {
  const a = received.advert;
  const ours = m.spec.sourceAddress;
  const addrCmp = ours === undefined ? 0 : compareAddresses(received.source, ours);
  const theyWin = a.priority > m.effectivePriority || (a.priority === m.effectivePriority && addrCmp > 0);
  if (a.priority === 0 || (m.spec.higherPrioSendAdvert && theyWin)) {
    m.sendAdvert(ctx, m.effectivePriority);
    if (a.priority === 0) return false;
  }
  if (a.priority === m.effectivePriority) {
    if (addrCmp === 0)
      m.log(
        ctx,
        'warning',
        'WARNING - equal priority advert received from remote host with our IP address.',
        'equal priority advert with our IP address',
      );
    else if (m.effectivePriority === 255) {
      m.log(
        ctx,
        'error',
        'CONFIGURATION ERROR: local and remote instances are both address owner - reducing local priority',
      );
      m.effectivePriority = 254;
      m.basePriority = 254;
    }
  }
  if (a.priority < m.effectivePriority || (a.priority === m.effectivePriority && addrCmp < 0)) {
    m.log(
      ctx,
      'info',
      `Received advert from ${received.source} with lower priority ${a.priority}, ours ${m.effectivePriority}${m.spec.lowerPrioNoAdvert ? '' : ', forcing new election'}`,
      'Received advert with lower priority',
    );
    if (!m.spec.lowerPrioNoAdvert) m.sendAdvert(ctx, m.effectivePriority);
    m.observer.heardAsMaster(ctx, received);
    m.lowerPriorityGarp(ctx);
    if (m.group) for (const other of m.group.members) if (other !== m) other.lowerPriorityGarp(ctx);
    // keepalived's send_event_notify: the script if any, and a MASTER_RX_LOWER_PRI line on the FIFOs.
    const rxLower = m.spec.notify.masterRxLowerPri;
    if (rxLower !== undefined || m.spec.notifyFifo === true)
      ctx.out.push({
        type: 'notify',
        name: m.name,
        kind: 'INSTANCE',
        state: 'MASTER',
        priority: m.effectivePriority,
        scripts: rxLower !== undefined ? [rxLower] : [],
        event: 'MASTER_RX_LOWER_PRI',
      });
    return false;
  }
  if (a.priority > m.effectivePriority || (a.priority === m.effectivePriority && addrCmp > 0)) {
    m.log(
      ctx,
      'info',
      `Master received advert from ${received.source} with higher priority ${a.priority}, ours ${m.effectivePriority}`,
    );
    if (m.spec.version === 3) m.masterAdvertIntervalCs = a.intervalCs;
    m.msDownTimerMs = m.downTimerMs();
    m.masterAddress = received.source;
    m.masterPriority = a.priority;
    m.wantState = 'BACKUP';
    return true;
  }
  return false;
}
