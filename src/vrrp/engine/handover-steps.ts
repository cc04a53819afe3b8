// The steps of a planned handover (handover.ts) on one instance: start, the priority-0 adverts while
// releasing, the new master heard, the hold, its end. Functions over the few members of Instance they use
// (HandoverMember), so that instance.ts stays the state machine and this file the handover.
import type { ReceivedAdvert } from '../advert.js';
import type { LogLevel } from './events.js';
import { handoverTimerAt, releasingDeadline, type HandoverOutcome, type HandoverState } from './handover.js';
import type { HandoverReport } from './reports.js';
import type { InstanceSpec, VrrpState } from './spec.js';
import type { VrrpStats } from './stats.js';
import type { StepContext } from './step.js';
import { DUE_TOLERANCE_MS } from './timers.js';

/** What the handover steps use of an instance (instance.ts's Instance). */
export interface HandoverMember {
  readonly name: string;
  readonly spec: InstanceSpec;
  readonly state: VrrpState;
  handover: HandoverState | undefined;
  wantState: VrrpState;
  masterAdvertIntervalCs: number;
  masterAddress: string | undefined;
  masterPriority: number | undefined;
  sands: number | undefined;
  counters: VrrpStats;
  log(ctx: StepContext, level: LogLevel, message: string): void;
  sendAdvert(ctx: StepContext, priority: number, to?: string): void;
  initSands(now: number): void;
  leaveMaster(ctx: StepContext, sendPriorityZero: boolean): void;
}

/** Begin a handover: priority 0 out (to `to` only, when named), the VIPs stay until the new master speaks. */
export function startHandover(
  m: HandoverMember,
  ctx: StepContext,
  to: string | undefined,
  holdMs: number | undefined,
): void {
  m.handover = {
    phase: 'releasing',
    ...(to !== undefined ? { to } : {}),
    requestedAt: ctx.now,
    deadline: releasingDeadline(ctx.now, m.spec.version, m.spec.advertIntervalCs, m.spec.downTimerAdverts),
    ...(holdMs !== undefined ? { holdMs } : {}),
  };
  m.log(
    ctx,
    'info',
    `planned handover${to !== undefined ? ` to ${to}` : ''}: keeping the VIPs until the new master advertises`,
  );
  sendReleasingAdvert(m, ctx);
  m.initSands(ctx.now);
  report(m, ctx, 'started', 'handover requested');
}

/** While releasing, every advert timer sends priority 0 again (in case the first was lost): a backup that
 * got one takes over within Skew_Time, shorter than the advert interval. */
export function sendReleasingAdvert(m: HandoverMember, ctx: StepContext): void {
  m.sendAdvert(ctx, 0, m.handover?.to);
  m.counters.pri_zero_sent++;
  m.log(ctx, 'info', 'sent 0 priority');
}

/** How long the VIPs stay after the new master's first advert: it sends that advert before its own VIPs
 * are installed and announced (gratuitous ARP / NA), so leaving at once could lose the few packets sent
 * to us in between; for this short while both answer for them ("make before break"). */
export const YIELD_GRACE_MS = 200;

/** An advert while releasing: any router advertising a priority above 0 is the new master; we yield to it
 * once YIELD_GRACE_MS have passed. */
export function releasingReceive(m: HandoverMember, ctx: StepContext, received: ReceivedAdvert): void {
  const a = received.advert;
  if (a.priority === 0 || received.source === m.spec.sourceAddress) return;
  const h = m.handover as HandoverState;
  if (h.newMaster !== undefined) return; // heard already: yielding at the grace's end
  m.log(ctx, 'info', `handover: new master ${received.source} (priority ${a.priority}) advertises`);
  m.handover = { ...h, newMaster: received.source, deadline: Math.min(h.deadline, ctx.now + YIELD_GRACE_MS) };
  if (m.spec.version === 3) m.masterAdvertIntervalCs = a.intervalCs;
  m.masterAddress = received.source;
  m.masterPriority = a.priority;
}

/** The VIPs are gone (new master heard, or the deadline): the hold begins. */
export function holdAfterRelease(m: HandoverMember, ctx: StepContext): void {
  const h = m.handover as HandoverState;
  const holdUntil = h.holdMs !== undefined ? ctx.now + h.holdMs : undefined;
  const { holdUntil: _previous, ...rest } = h;
  m.handover = { ...rest, phase: 'held', ...(holdUntil !== undefined ? { holdUntil } : {}) };
  const heard = h.newMaster !== undefined;
  report(
    m,
    ctx,
    heard ? 'completed' : 'timed-out',
    heard
      ? `new master ${h.newMaster as string} advertised`
      : 'no new master advertised within the master-down interval: VIPs dropped anyway',
    { durationMs: ctx.now - h.requestedAt },
  );
  m.log(
    ctx,
    'info',
    `handover ${heard ? 'done' : 'timed out'}: holding BACKUP without preemption${holdUntil !== undefined ? ` for ${(h.holdMs as number) / 1000} s` : ' until released'}`,
  );
}

/** The handover's deadline or the hold's end came. */
export function fireHandoverTimer(m: HandoverMember, ctx: StepContext): void {
  const h = m.handover;
  const at = handoverTimerAt(h);
  if (h === undefined || at === undefined || at > ctx.now + DUE_TOLERANCE_MS) return;
  if (h.phase === 'held') {
    endHandover(m, ctx, 'released', 'hold time over');
    return;
  }
  if (h.newMaster !== undefined) {
    ctx.reason = `handover to ${h.newMaster}`;
    m.log(ctx, 'info', `handover: yielding to the new master ${h.newMaster}`);
  } else {
    ctx.reason = 'handover deadline';
    m.log(ctx, 'info', 'handover: no new master advertised in time, dropping the VIPs anyway');
  }
  if (m.state !== 'MASTER') {
    endHandover(m, ctx, 'aborted', `no longer MASTER (${m.state})`);
    return;
  }
  m.wantState = 'BACKUP';
  m.leaveMaster(ctx, false);
}

/** Forget the handover (a release, the hold's end, a reload...), reporting why. */
export function endHandover(
  m: HandoverMember,
  ctx: StepContext,
  outcome: HandoverOutcome,
  reason: string,
): void {
  const h = m.handover;
  if (h === undefined) return;
  report(m, ctx, outcome, reason);
  m.handover = undefined;
  m.log(ctx, 'info', `handover ${outcome === 'released' ? 'hold ended' : outcome}: ${reason}`);
  // A MASTER that stops releasing advertises its real priority at once (the backups' skew timers stop).
  if (m.state === 'MASTER' && h.phase === 'releasing') m.sands = ctx.now;
}

function report(
  m: HandoverMember,
  ctx: StepContext,
  outcome: HandoverOutcome,
  reason: string,
  extra: Partial<HandoverReport> = {},
): void {
  const h = m.handover;
  ctx.reports?.push({
    type: 'handover',
    instance: m.name,
    outcome,
    at: ctx.now,
    ...(h?.to !== undefined ? { to: h.to } : {}),
    ...(h?.newMaster !== undefined && m.masterPriority !== undefined
      ? { newMaster: { address: h.newMaster, priority: m.masterPriority } }
      : {}),
    ...(h?.holdUntil !== undefined ? { holdUntil: h.holdUntil } : {}),
    reason,
    ...extra,
  });
}
