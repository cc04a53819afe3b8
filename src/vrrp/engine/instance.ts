// One VRRP instance's state machine: INIT, BACKUP, MASTER, FAULT, STOP, with keepalived 2.x's exact
// reactions (vrrp.c / vrrp_scheduler.c): what is sent, added, removed and notified, in that order, and when
// the instance's single timer (keepalived's "sands") fires next. Sync-group coordination lives in
// sync-group.ts; it calls back into the transitions exported here.

import type { Advert, AdvertDropReason, ReceivedAdvert } from '../advert.js';
import { csToMs } from '../../common/units.js';
import type { AddressesAction, LogLevel, SendAdvertAction } from './events.js';
import type { GarpTarget } from './garp.js';
import { notifyScripts } from './spec.js';
import type { InstanceSpec, NotifyCommand, VipSpec, VrrpState } from './spec.js';
import type { StepContext } from './step.js';
import type { SyncGroup } from './sync-group.js';
import { newStats, type VrrpStats } from './stats.js';
import { receiveAdvert, receiveDroppedAdvert } from './advert-reception.js';
import { DUE_TOLERANCE_MS, later, masterDownIntervalMs, ownerDownIntervalMs, skewTimeMs } from './timers.js';
import type { ResolvedTracker } from './trackers.js';
import { InstanceObserver } from './observer.js';
import { InstanceTimers } from './instance-timers.js';
import type { HandoverOutcome } from './handover.js';
import {
  endHandover,
  fireHandoverTimer,
  holdAfterRelease,
  sendReleasingAdvert,
  startHandover,
} from './handover-steps.js';

export class Instance extends InstanceTimers {
  group: SyncGroup<Instance> | undefined;
  trackers: ResolvedTracker[] = [];

  wantState: VrrpState;
  basePriority: number;
  faults: string[] = [];
  initPending = false;
  /**
   * Left in INIT at start-up, waiting for a first script result (its own or a sync group member's).
   * keepalived's vrrp_init_state puts such an instance in FAULT there without a line or a notify, so the
   * first failure later finds it in FAULT already: "Entering FAULT STATE" is not logged (2.2.7, 2.4.3).
   */
  faultedQuietlyAtInit = false;

  /** Master_Adver_Interval in centiseconds (v3 learns it from the master's adverts). */
  masterAdvertIntervalCs: number;
  /** keepalived's ms_down_timer: what the BACKUP timer is (re)armed with. */
  msDownTimerMs = 0;
  preemptTime: number | undefined;
  masterAddress: string | undefined;
  masterPriority: number | undefined;
  /** Source of the last advert dispatched here, which tells apart instances sharing a VRID (dispatch.ts). */
  lastAdvertSource: string | undefined;
  /** owner_ignore_adverts has said it drops adverts: once until the instance enters or leaves MASTER
   * (keepalived's rate-limited log flags). */
  ownerDropLogged = false;
  /** When the last advert left (keepalived's last_advert_sent, for timer_expired_backup). */
  lastAdvertAt: number | undefined;
  /** Takeovers and split brain, for the reports only (observer.ts). */
  readonly observer = new InstanceObserver(this);

  vipSet = false;
  garpRefreshAt: number | undefined;
  /** garp_extra_if: after this, the next advert also announces on the other interfaces (no timer of its own). */
  extraGarpAt: number | undefined;
  counters: VrrpStats = newStats();

  constructor(spec: InstanceSpec) {
    super(spec);
    // keepalived (try_up_instance) honours `state MASTER` only for the address owner; any other instance
    // starts as BACKUP and waits a full master-down interval, as keepalived 2.2.7 is seen to do.
    this.wantState = spec.initialState === 'MASTER' && spec.priority === 255 ? 'MASTER' : 'BACKUP';
    this.basePriority = spec.priority;
    this.masterAdvertIntervalCs = spec.advertIntervalCs;
  }

  get name(): string {
    return this.spec.name;
  }

  get isOwner(): boolean {
    return this.basePriority === 255;
  }

  get advertIntervalMs(): number {
    return csToMs(this.spec.advertIntervalCs);
  }

  skewMs(): number {
    return skewTimeMs(this.spec.version, this.effectivePriority, this.masterAdvertIntervalCs);
  }

  /** down_timer_adverts x Master_Adver_Interval + Skew_Time, with the current effective priority. */
  downTimerMs(): number {
    return masterDownIntervalMs(
      this.spec.version,
      this.effectivePriority,
      this.masterAdvertIntervalCs,
      this.spec.downTimerAdverts,
    );
  }

  /** End of vrrp_startup_delay, when one was configured. */
  delayedStartUntil: number | undefined;

  /** keepalived's vrrp_init_instance_sands: re-arm the protocol timer for the current state. During
   * vrrp_startup_delay a BACKUP's master-down interval only begins when the delay ends. */
  initSands(now: number): void {
    if (this.state === 'MASTER') this.sands = later(now, this.advertIntervalMs);
    else if (this.state === 'BACKUP') {
      const delayed = this.delayedStartUntil !== undefined && now < this.delayedStartUntil;
      this.sands = later(delayed ? (this.delayedStartUntil as number) : now, this.msDownTimerMs);
    } else this.sands = undefined;
  }

  /** A reload re-runs keepalived's vrrp_init_state + vrrp_init_sands on kept instances: a BACKUP waits a
   * whole new master-down interval (new priority, configured interval) from the reload, a MASTER (keepalived
   * marks it reload_master) advertises at once. */
  rearmAfterReload(now: number): void {
    if (this.state === 'BACKUP') {
      this.masterAdvertIntervalCs = this.spec.advertIntervalCs;
      this.msDownTimerMs = this.downTimerMs();
      this.initSands(now);
    } else if (this.state === 'MASTER') this.sands = now;
  }

  // ---- outputs -------------------------------------------------------------------------------------------

  /** `repeats`: the kind of a message that may come once per received packet (see the log action). */
  log(ctx: StepContext, level: LogLevel, message: string, repeats?: string): void {
    ctx.out.push({
      type: 'log',
      level,
      message: `(${this.name}) ${message}`,
      ...(repeats !== undefined ? { repeats: `(${this.name}) ${repeats}` } : {}),
    });
  }

  advert(priority: number): Advert {
    return {
      version: this.spec.version,
      vrid: this.spec.vrid,
      priority,
      intervalCs: this.spec.advertIntervalCs,
      addresses: this.spec.addresses.map((v) => v.address),
      authType: this.spec.authType,
    };
  }

  sendAdvert(ctx: StepContext, priority: number, to?: string): void {
    this.counters.advert_sent++;
    this.lastAdvertAt = ctx.now;
    if (ctx.sentByDriver === this) {
      ctx.sentByDriver = undefined; // the driver sent this one: the armed periodic advert
      return;
    }
    if (this.armedAt !== undefined) {
      // Our own advert goes now: the driver must not send an older one after it (re-armed after the step).
      ctx.out.push({ type: 'disarm-periodic-advert', instance: this.name });
      this.armedAt = undefined;
      this.armedSend = undefined;
    }
    ctx.out.push(this.advertAction(priority, to));
  }

  /** The advert this instance sends now, with `priority` (to one peer only when `to` is given). */
  advertAction(priority: number, to?: string): SendAdvertAction {
    return {
      type: 'send-advert',
      instance: this.name,
      ifname: this.spec.interface,
      family: this.spec.family,
      source: this.spec.sourceAddress,
      to:
        to !== undefined
          ? [to]
          : this.spec.unicastPeers.length > 0
            ? [...this.spec.unicastPeers]
            : 'multicast',
      advert: this.advert(priority),
    };
  }

  /** The deadline of this MASTER's next periodic advert, or undefined in any other state and before the
   * first advert as MASTER: what 'arm' mode arms the driver with. */
  periodicAdvertAt(): number | undefined {
    if (this.state !== 'MASTER' || !this.vipSet || this.handover?.phase === 'releasing') return undefined;
    return this.sands;
  }

  private setState(ctx: StepContext, to: VrrpState): void {
    const from = this.state;
    this.state = to;
    if (from !== to) {
      if (from === 'MASTER' || to === 'MASTER') this.ownerDropLogged = false;
      ctx.out.push({ type: 'state-change', instance: this.name, from, to, reason: ctx.reason });
      this.observer.transition(ctx, from, to);
    }
  }

  notify(ctx: StepContext): void {
    ctx.out.push({
      type: 'notify',
      name: this.name,
      kind: 'INSTANCE',
      state: this.state,
      priority: this.effectivePriority,
      scripts: notifyScripts(this.spec.notify, this.state),
    });
  }

  /** One action per interface holding some of `list` (the instance's VIPs, or its eVIPs). */
  private addressActions(
    type: AddressesAction['type'],
    list: VipSpec[],
    excluded: boolean,
  ): AddressesAction[] {
    return [...this.addressesByInterface(list)].map(([ifname, addresses], n) => ({
      type,
      instance: this.name,
      ifname,
      addresses,
      ...(excluded ? { excluded: true as const } : {}),
      ...(n > 0 ? { continued: true as const } : {}),
    }));
  }

  private addressesByInterface(list: VipSpec[]): Map<string, VipSpec[]> {
    const byIf = new Map<string, VipSpec[]>();
    for (const v of list) {
      const ifname = v.ifname ?? this.spec.interface;
      const l = byIf.get(ifname) ?? [];
      l.push(v);
      byIf.set(ifname, l);
    }
    return byIf;
  }

  private garpTargets(): GarpTarget[] {
    return [...this.spec.addresses, ...this.spec.excludedAddresses].map((v) => ({
      address: v.address,
      ifname: v.ifname ?? this.spec.interface,
      ...(v.addressVmac ? { addressVmac: true as const } : {}),
    }));
  }

  /** keepalived's try_up_instance with unicast peers: one gratuitous ARP / unsolicited NA for our own source
   * address, at once, so that the master (which may have dropped us from its neighbour cache while we were
   * down) can send its adverts to us straight away. */
  announceUnicastSource(ctx: StepContext): void {
    const source = this.spec.sourceAddress;
    // without an interface (keepalived 2.4.3) there is no link to announce it on
    if (this.spec.unicastPeers.length === 0 || source === undefined || this.spec.interface === '') return;
    ctx.out.push({
      type: 'send-garp',
      instance: this.name,
      ifname: this.spec.interface,
      family: this.spec.family,
      addresses: [source],
    });
  }

  /** keepalived's vrrp_send_link_update: `repeat` rounds over VIPs and eVIPs, only while they are set. */
  sendLinkUpdate(ctx: StepContext, repeat: number): void {
    if (!this.vipSet) return;
    const targets = this.garpTargets();
    // keepalived's line for each address of a burst (the packets themselves are logged with -D only).
    if (repeat > 0) {
      for (const t of targets) {
        const what = t.address.includes(':') ? 'Unsolicited Neighbour Adverts' : 'gratuitous ARPs';
        this.log(ctx, 'info', `Sending/queueing ${what} on ${t.ifname} for ${t.address}`);
      }
    }
    ctx.out.push(...ctx.garp.burst(ctx.now, this.name, targets, repeat, this.spec.garp));
  }

  // ---- transitions ---------------------------------------------------------------------------------------

  /** Leave INIT for BACKUP (keepalived's vrrp_init_state). Only the address owner can still want MASTER here:
   * it passes through BACKUP silently and times out at once (keepalived arms 1 us); the engine fires that
   * timeout right after every instance is set up. Everything else logs BACKUP (init) and waits out the full
   * master-down interval. */
  initState(ctx: StepContext): void {
    if (this.wantState === 'MASTER') {
      this.setState(ctx, 'BACKUP');
      this.msDownTimerMs = 0;
      this.sands = ctx.now;
      return;
    }
    this.msDownTimerMs = this.downTimerMs();
    this.restoreInterface(ctx, false);
    this.log(ctx, 'info', 'Entering BACKUP STATE (init)');
    this.setState(ctx, 'BACKUP');
    this.notify(ctx);
    this.initSands(ctx.now);
  }

  /** Start in FAULT because a tracker is down from the outset. An instance held there by its configuration
   * goes from INIT to FAULT without this line in keepalived 2.2.7 (vrrp_init_state), its notifies still run. */
  initFault(ctx: StepContext): void {
    if (this.spec.configFault === undefined) this.log(ctx, 'info', 'Entering FAULT STATE (init)');
    this.setState(ctx, 'FAULT');
    this.notify(ctx);
    this.sands = undefined;
  }

  /** The protocol timer fired: BACKUP declares the master down, MASTER advertises. */
  timeout(ctx: StepContext): void {
    if (this.state === 'BACKUP') {
      this.wantState = 'MASTER';
      this.gotoMaster(ctx);
    } else if (this.state === 'MASTER') {
      if (this.handover?.phase === 'releasing') sendReleasingAdvert(this, ctx);
      else {
        this.masterTx(ctx);
        this.observer.advertised(ctx);
      }
    }
    this.initSands(ctx.now);
  }

  /** keepalived's vrrp_state_goto_master: a sync group may hold us back while another member wants BACKUP. */
  gotoMaster(ctx: StepContext): void {
    if (this.group && !this.group.canGotoMaster(this, ctx)) {
      this.wantState = 'MASTER';
      return;
    }
    this.setState(ctx, 'MASTER');
    this.initSands(ctx.now);
    this.masterTx(ctx);
  }

  /** Send an advert; on the first one as MASTER take the addresses (the advert goes first so the old
   * master drops them before our gratuitous ARPs); later ones may carry the periodic GARP refresh. */
  masterTx(ctx: StepContext): void {
    this.sendAdvert(ctx, this.effectivePriority);
    if (!this.vipSet) {
      this.log(ctx, 'info', 'Entering MASTER STATE');
      this.becomeMaster(ctx);
      if (this.spec.garp.masterDelayMs > 0) this.garpDelayAt = later(ctx.now, this.spec.garp.masterDelayMs);
    } else if (
      this.spec.garp.masterRefreshMs > 0 &&
      this.garpRefreshAt !== undefined &&
      ctx.now > this.garpRefreshAt
    ) {
      this.sendLinkUpdate(ctx, this.spec.garp.masterRefreshRepeat);
      this.garpRefreshAt = later(ctx.now, this.spec.garp.masterRefreshMs);
    }
    if (this.vipSet && this.extraGarpAt !== undefined && ctx.now > this.extraGarpAt) {
      this.sendExtraIfUpdate(ctx);
      this.extraGarpAt = later(ctx.now, this.spec.garp.extraIfIntervalMs ?? 0);
    }
  }

  /** keepalived's vrrp_send_vmac_update: one announcement per other interface, for the first of the
   * instance's addresses (VIPs, then eVIPs) on it; only on address VMACs unless garp_extra_if `all`. */
  private sendExtraIfUpdate(ctx: StepContext): void {
    const targets = this.garpTargets();
    const all = this.spec.garp.extraIfAll === true;
    const seen = new Set<string>();
    const picked: GarpTarget[] = [];
    const ranks: number[] = [];
    targets.forEach((t, rank) => {
      if (t.ifname === this.spec.interface || seen.has(t.ifname) || !(all || t.addressVmac)) return;
      seen.add(t.ifname);
      picked.push(t);
      ranks.push(rank);
    });
    ctx.out.push(...ctx.garp.burst(ctx.now, this.name, picked, 1, this.spec.garp, ranks));
  }

  /** garp_extra_if applies: an interval, and an address on an address VMAC, or with `all` on any other
   * interface (vrrp_complete_instance: use_extra_vmac, or use_extra_if with VMAC_GARP_ALL_IF). */
  private extraIfEnabled(): boolean {
    const g = this.spec.garp;
    if ((g.extraIfIntervalMs ?? 0) <= 0) return false;
    const all = g.extraIfAll === true;
    return this.garpTargets().some((t) => t.ifname !== this.spec.interface && (all || t.addressVmac));
  }

  private becomeMaster(ctx: StepContext): void {
    if (this.handover !== undefined) this.endHandover(ctx, 'released', 'became MASTER again');
    this.counters.become_master++;
    this.masterAdvertIntervalCs = this.spec.advertIntervalCs;
    ctx.out.push(...this.addressActions('add-addresses', this.spec.addresses, false));
    ctx.out.push(...this.addressActions('add-addresses', this.spec.excludedAddresses, true));
    this.vipSet = true;
    if (this.spec.routes.length > 0)
      ctx.out.push({ type: 'add-routes', instance: this.name, routes: this.spec.routes });
    if (this.spec.rules.length > 0)
      ctx.out.push({ type: 'add-rules', instance: this.name, rules: this.spec.rules });
    this.sendLinkUpdate(ctx, this.spec.garp.masterRepeat);
    if (this.spec.garp.masterRefreshMs > 0)
      this.garpRefreshAt = later(ctx.now, this.spec.garp.masterRefreshMs);
    this.extraGarpAt = this.extraIfEnabled()
      ? later(ctx.now, this.spec.garp.extraIfIntervalMs ?? 0)
      : undefined;
    this.notify(ctx);
  }

  /** keepalived's vrrp_restore_interface: optionally a priority-0 advert, then rules, routes, addresses. */
  restoreInterface(ctx: StepContext, sendPriorityZero: boolean): void {
    if (sendPriorityZero) {
      this.sendAdvert(ctx, 0);
      this.counters.pri_zero_sent++;
      this.log(ctx, 'info', 'sent 0 priority');
    }
    if (this.vipSet && this.spec.rules.length > 0)
      ctx.out.push({ type: 'remove-rules', instance: this.name, rules: this.spec.rules });
    if (this.vipSet && this.spec.routes.length > 0)
      ctx.out.push({ type: 'remove-routes', instance: this.name, routes: this.spec.routes });
    ctx.garp.cancel(this.name);
    this.garpDelayAt = undefined;
    this.lowerPrioGarpAt = [];
    this.garpRefreshAt = undefined;
    this.extraGarpAt = undefined;
    if (this.vipSet) {
      ctx.out.push(...this.addressActions('remove-addresses', this.spec.addresses, false));
      ctx.out.push(...this.addressActions('remove-addresses', this.spec.excludedAddresses, true));
      this.vipSet = false;
    }
  }

  /** keepalived's vrrp_state_leave_master, towards wantState (BACKUP or FAULT). Going to FAULT sends a
   * priority-0 advert here and, with `sendPriorityZero`, a second one from restoreInterface, as keepalived does. */
  leaveMaster(ctx: StepContext, sendPriorityZero: boolean): void {
    const to = this.wantState;
    if (to !== 'BACKUP' && to !== 'FAULT') return;
    this.log(ctx, 'info', `Entering ${to} STATE`);
    this.setState(ctx, to);
    if (to === 'BACKUP') this.preemptTime = undefined;
    else this.sendAdvert(ctx, 0);
    this.restoreInterface(ctx, sendPriorityZero);
    if (this.handover?.phase === 'releasing') {
      if (to === 'BACKUP') holdAfterRelease(this, ctx);
      else this.endHandover(ctx, 'aborted', `entering ${to}`);
    }
    this.notify(ctx);
    this.msDownTimerMs = this.downTimerMs();
    this.initSands(ctx.now);
    this.counters.release_master++;
  }

  /** keepalived's vrrp_state_leave_fault: settle into wantState from FAULT/INIT (or go MASTER). */
  leaveFault(ctx: StepContext): void {
    if (this.wantState === 'MASTER') this.gotoMaster(ctx);
    else {
      const to = this.wantState;
      const from = this.state;
      const alreadyFault = from === 'INIT' && to === 'FAULT' && this.faultedQuietlyAtInit;
      if (from !== to && !alreadyFault) this.log(ctx, 'info', `Entering ${to} STATE`);
      this.setState(ctx, to);
      if (to === 'FAULT' && from === 'MASTER') {
        this.sendAdvert(ctx, 0);
        this.restoreInterface(ctx, false);
      }
      if (from !== to) this.notify(ctx);
      if (to === 'BACKUP') this.preemptTime = undefined;
    }
    this.masterAdvertIntervalCs = this.spec.advertIntervalCs;
    this.msDownTimerMs = this.downTimerMs();
    this.initSands(ctx.now);
  }

  /** keepalived's down_instance body: a tracker failed. */
  goDown(ctx: StepContext): void {
    this.wantState = 'FAULT';
    if (this.state === 'MASTER') this.leaveMaster(ctx, true);
    else this.leaveFault(ctx);
  }

  /** First half of keepalived's try_up_instance: pick the state to come back to and arm the timer. */
  prepareUp(): void {
    const ownerMaster = this.wantState === 'MASTER' && this.isOwner;
    if (!ownerMaster) this.wantState = 'BACKUP';
    this.masterAdvertIntervalCs = this.spec.advertIntervalCs;
    this.msDownTimerMs = ownerMaster
      ? ownerDownIntervalMs(this.spec.version, this.effectivePriority, this.masterAdvertIntervalCs)
      : this.downTimerMs();
  }

  /** keepalived's vrrp_set_effective_priority: a BACKUP's timer moves by the change in its down interval. */
  setEffectivePriority(ctx: StepContext, priority: number): void {
    if (this.isOwner || priority === this.effectivePriority) return;
    this.log(ctx, 'info', `Changing effective priority from ${this.effectivePriority} to ${priority}`);
    this.effectivePriority = priority;
    const old = this.msDownTimerMs;
    this.msDownTimerMs = this.downTimerMs();
    if (this.state === 'BACKUP' && this.sands !== undefined)
      this.sands = later(this.sands, this.msDownTimerMs - old);
    if (this.spec.notifyPriorityChanges === true)
      ctx.out.push({ type: 'priority-change', instance: this.name, state: this.state, priority });
  }

  /** Fire the instance's delayed GARP bursts that are due. */
  fireGarpTimers(ctx: StepContext): void {
    const dueBy = ctx.now + DUE_TOLERANCE_MS;
    if (this.garpDelayAt !== undefined && this.garpDelayAt <= dueBy) {
      this.garpDelayAt = undefined;
      this.sendLinkUpdate(ctx, this.spec.garp.masterRepeat);
    }
    const due = this.lowerPrioGarpAt.filter((t) => t <= dueBy);
    if (due.length > 0) {
      this.lowerPrioGarpAt = this.lowerPrioGarpAt.filter((t) => t > dueBy);
      for (let i = 0; i < due.length; i++) this.sendLinkUpdate(ctx, this.spec.garp.lowerPrioRepeat);
    }
  }

  /** The lower-priority-advert GARP reaction (also run for the other members of our sync group). */
  lowerPriorityGarp(ctx: StepContext): void {
    const g = this.spec.garp;
    if (g.lowerPrioRepeat <= 0) return;
    this.sendLinkUpdate(ctx, g.lowerPrioRepeat);
    if (g.lowerPrioDelayMs > 0)
      this.lowerPrioGarpAt = [...this.lowerPrioGarpAt, later(ctx.now, g.lowerPrioDelayMs)];
  }

  // ---- reception -----------------------------------------------------------------------------------------

  /** An advert for this instance arrived, accepted by the wire layer's validation (vrrp/wire/reception.ts);
   * what it does is in advert-reception.ts. State changes show up in `state`. */
  receive(ctx: StepContext, received: ReceivedAdvert, notes: readonly AdvertDropReason[] = []): void {
    receiveAdvert(this, ctx, received, notes);
  }

  /** A packet dropped before it could be decoded, attributed to this instance. */
  receiveDropped(ctx: StepContext, reason: AdvertDropReason): void {
    receiveDroppedAdvert(this, ctx, reason);
  }

  // ---- planned handover (handover-steps.ts) --------------------------------------------------------------

  startHandover(ctx: StepContext, to: string | undefined, holdMs: number | undefined): void {
    startHandover(this, ctx, to, holdMs);
  }

  fireHandoverTimer(ctx: StepContext): void {
    fireHandoverTimer(this, ctx);
  }

  endHandover(ctx: StepContext, outcome: HandoverOutcome, reason: string): void {
    endHandover(this, ctx, outcome, reason);
  }

  /** Removed from the configuration by a reload: release like a shutdown, notify with notify_deleted. */
  removeByReload(ctx: StepContext): void {
    const wasMaster = this.state === 'MASTER';
    this.wantState = 'STOP';
    this.setState(ctx, 'STOP');
    if (wasMaster) this.restoreInterface(ctx, true);
    ctx.garp.cancel(this.name);
    this.sands = undefined;
    const scripts = [this.spec.notify.deleted, this.spec.notify.generic].filter(
      (x): x is NotifyCommand => x !== undefined,
    );
    ctx.out.push({
      type: 'notify',
      name: this.name,
      kind: 'INSTANCE',
      state: 'STOP',
      priority: this.effectivePriority,
      scripts,
    });
  }

  /** Daemon stopping: a MASTER gives up with priority 0 and releases everything; all report STOP. */
  shutdown(ctx: StepContext): void {
    const wasMaster = this.state === 'MASTER';
    this.wantState = 'STOP';
    this.setState(ctx, 'STOP');
    if (wasMaster) this.restoreInterface(ctx, true);
    else {
      ctx.garp.cancel(this.name);
      this.garpDelayAt = undefined;
      this.lowerPrioGarpAt = [];
    }
    this.notify(ctx);
    this.sands = undefined;
  }
}
