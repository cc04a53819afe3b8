// What the engine observes beside its actions: takeovers with their timing, and split brain. Reports
// change nothing the engine does (its actions are the same with or without anyone reading them); the daemon
// reads a step's reports after the step and adds what only it knows (when the kernel acknowledged the VIPs,
// when the first gratuitous ARP left).

import type { AdvertDropReason } from '../advert.js';
import type { HandoverOutcome } from './handover.js';

/** An advert as the engine last heard it from the master, before a takeover. */
export interface HeardAdvert {
  /** Engine time (monotonic ms) the advert was handled at. */
  at: number;
  from: string;
  priority: number;
  /** When the kernel received it (same clock), when the daemon knows. */
  arrivedAt?: number;
}

/** BACKUP -> MASTER. */
export interface TakeoverReport {
  type: 'takeover';
  instance: string;
  /** Engine time (monotonic ms) of the decision: the step that made us MASTER. */
  decidedAt: number;
  /** Why: "master-down timer", a priority-0 advert's skew timer, a sync group... */
  reason: string;
  /** The last advert heard from a master while BACKUP (absent: none since we became BACKUP). */
  lastAdvert?: HeardAdvert;
  /** The master-down interval in force when the decision was taken. */
  masterDownIntervalMs: number;
}

/** One side of a split brain: a router and the priority it advertises. */
export interface SplitBrainRouter {
  /** Our source address when known (else absent), the other master's source address. */
  address?: string;
  priority: number;
  addresses: readonly string[];
}

export type SplitBrainCause =
  /** Another MASTER kept advertising for a master-down interval while we stayed MASTER. */
  | 'other-master'
  /** A master with our priority and another VIP set: the two configurations disagree. */
  | 'vip-set-differs';

export interface SplitBrainReport {
  type: 'split-brain';
  instance: string;
  vrid: number;
  cause: SplitBrainCause;
  /** Engine time the other master was first heard in this episode, and the time of detection. */
  since: number;
  at: number;
  us: SplitBrainRouter;
  other: SplitBrainRouter & { address: string };
}

export interface SplitBrainHealedReport {
  type: 'split-brain-healed';
  instance: string;
  vrid: number;
  /** The other master of the episode that ended. */
  other: string;
  at: number;
  /** How long the episode lasted (from the first advert heard to the end). */
  durationMs: number;
  /** "not heard for a master-down interval", or our leaving MASTER ("we left MASTER for BACKUP"). */
  reason: string;
}

/** A planned handover's progress (handover.ts). */
export interface HandoverReport {
  type: 'handover';
  instance: string;
  outcome: HandoverOutcome;
  /** Engine time (monotonic ms) of this step. */
  at: number;
  /** The one peer the priority-0 adverts went to, when named. */
  to?: string;
  /** completed: the new master's address and priority. */
  newMaster?: { address: string; priority: number };
  /** completed, timed-out: ms from the request to the VIPs' removal. */
  durationMs?: number;
  /** The hold's end (engine time), when it has one. */
  holdUntil?: number;
  reason: string;
}

/** An advert for a BACKUP or MASTER instance dropped for one of the reasons keepalived notifies over SNMP:
 * an authentication error (RFC 2787's vrrpTrapAuthFailure) or a protocol error (RFC 6527's
 * vrrpv3NotifyProtoError). */
export interface AdvertErrorReport {
  type: 'advert-error';
  instance: string;
  reason: AdvertErrorReason;
  /** The packet's source, when it was read. */
  source?: string;
  at: number;
}

export const ADVERT_ERROR_REASONS = [
  'invalid_authtype',
  'authtype_mismatch',
  'auth_failure',
  'ip_ttl_err',
  'version_err',
  'checksum_err',
] as const satisfies readonly AdvertDropReason[];
export type AdvertErrorReason = (typeof ADVERT_ERROR_REASONS)[number];

export const isAdvertErrorReason = (r: AdvertDropReason): r is AdvertErrorReason =>
  (ADVERT_ERROR_REASONS as readonly string[]).includes(r);

export type EngineReport =
  TakeoverReport | SplitBrainReport | SplitBrainHealedReport | HandoverReport | AdvertErrorReport;
