// Planned handover (issue #13), in VRRP terms only so that keepalived peers take part: the MASTER sends a
// priority-0 advert (RFC 5798 6.4.3: a backup then takes over after Skew_Time) but keeps its VIPs and
// keeps answering for them until it hears the new master's advert ("make before break"), or until the
// longest master-down interval any backup can have, after which it drops them anyway. It then stays
// BACKUP in a hold: it accepts the new master's adverts even when its own priority is higher (no
// preemption back), until released, a reload, or the optional hold time runs out. A held router still
// takes over if the new master goes away (its master-down timer runs as usual): the hold stops
// preemption, not failover.

import type { VrrpVersion } from '../advert.js';
import { masterDownIntervalMs } from './timers.js';

export type HandoverPhase =
  /** MASTER, priority 0 sent, VIPs kept until the new master advertises. */
  | 'releasing'
  /** BACKUP after the handover, not preempting. */
  | 'held';

export interface HandoverState {
  phase: HandoverPhase;
  /** The one peer the priority-0 adverts went to (unicast instances only), else all. */
  to?: string;
  /** Engine time the handover was asked for. */
  requestedAt: number;
  /** releasing: when the VIPs go even if no new master was heard. */
  deadline: number;
  /** How long the hold lasts once it starts (absent: until released or reloaded). */
  holdMs?: number;
  /** held: when the hold ends by itself. */
  holdUntil?: number;
  /** held: the new master heard (absent: the release timed out). */
  newMaster?: string;
}

/** The releasing deadline: the master-down interval of the lowest possible priority (1), the longest any
 * backup waits. A backup that never got the priority-0 advert has timed out by then too. */
export function releasingDeadline(
  now: number,
  version: VrrpVersion,
  advertIntervalCs: number,
  downTimerAdverts: number | undefined,
): number {
  return now + masterDownIntervalMs(version, 1, advertIntervalCs, downTimerAdverts);
}

/** The engine time the handover's own timer fires next, if any. */
export function handoverTimerAt(h: HandoverState | undefined): number | undefined {
  if (h === undefined) return undefined;
  return h.phase === 'releasing' ? h.deadline : h.holdUntil;
}

/** What the engine reports of a handover (reports.ts), for the log, /events and the metrics. */
export type HandoverOutcome =
  /** Asked for: priority 0 sent. */
  | 'started'
  /** The new master advertised: VIPs removed, hold begins. */
  | 'completed'
  /** Nobody advertised within the deadline: VIPs removed anyway, hold begins. */
  | 'timed-out'
  /** Given up while releasing (a fault, a reload, a release, the daemon stopping). */
  | 'aborted'
  /** The hold ended (release, hold time, reload, or this router became MASTER again). */
  | 'released';

/** Why a handover cannot start, or undefined when it can. `peers`: the instance's unicast peers. */
export function handoverRefusal(
  state: string,
  handover: HandoverState | undefined,
  peers: readonly string[],
  to: string | undefined,
): string | undefined {
  if (handover?.phase === 'releasing') return 'a handover is already under way';
  if (state !== 'MASTER') return `not MASTER (${state})`;
  if (to === undefined) return undefined;
  // keepalived 2.2.7 in multicast mode binds its receive socket to the group (so a unicast advert never
  // reaches it) and vrrp_check_packet refuses a unicast packet anyway ("Expected multicast packet"); we do
  // the same. Only with unicast peers can the priority-0 advert go to one of them.
  if (peers.length === 0)
    return '--to needs unicast_peer: a multicast instance (keepalived or keepalived-ts) refuses a unicast advert';
  if (!peers.includes(to)) return `${to} is not one of the unicast peers (${peers.join(', ')})`;
  return undefined;
}
