// The sans-I/O VRRP engine: every instance, tracker and sync group of one router. Time (monotonic ms) and
// events come in through handle(); what the daemon must do comes out as actions. No clocks, no sockets.

import type { AdvertDropReason, ReceivedAdvert } from '../advert.js';
import type { Action, EngineEvent, EngineSnapshot, LogLevel } from './events.js';
import { isAdvertErrorReason, type EngineReport } from './reports.js';
import { GarpScheduler } from './garp.js';
import { Instance } from './instance.js';
import { expiredMasters } from './timer-expired-backup.js';
import type { EngineSpec, InstanceSpec } from './spec.js';
import { newStats } from './stats.js';
import type { StepContext } from './step.js';
import { SyncGroup } from './sync-group.js';
import { DeadlineQueue } from './deadline-queue.js';
import { dispatchBySource } from '../dispatch.js';
import { DUE_TOLERANCE_MS, later } from './timers.js';
import { handoverRefusal } from './handover.js';
import {
  effectivePriority,
  evaluateTrackers,
  resolveTrackers,
  trackerContributions,
  type TrackerContribution,
  TrackerWorld,
  type ScriptStatus,
} from './trackers.js';

export type * from './events.js';
export type * from './reports.js';
export type { VrrpState } from './spec.js';
export { notifyScripts } from './spec.js';

export interface EngineOptions {
  /** How MASTERs' periodic adverts leave. 'send' (the default): a send-advert action at each advert timer.
   * 'arm': arm-periodic-advert / disarm-periodic-advert actions, for a driver that sends them on time
   * itself (a native thread) and reports each with an advert-sent event. Everything else is the same. */
  periodicAdverts?: 'send' | 'arm';
}

/** Safety net: a timer event never loops more than this many times (each round makes progress). */
const MAX_ROUNDS_PER_EVENT = 10_000;
/** The label of a configuration fault among an instance's faults. */
const CONFIG_FAULT = 'config';
const NO_SOURCE_FAULT = 'no source address';

export interface TrackerStates {
  scripts: ReadonlyMap<string, ScriptStatus>;
  files: ReadonlyMap<string, number>;
  bfdsUp: ReadonlySet<string>;
  processesDown: ReadonlySet<string>;
}

export class Engine {
  private readonly options: EngineOptions;
  private world: TrackerWorld;
  private instances: Instance[] = [];
  /** The instances' timers, earliest first (see deadline-queue.ts). */
  private readonly deadlines = new DeadlineQueue<Instance>();
  /** ifname -> (family << 8 | vrid) -> the instances configured there (several only for unicast instances
   * told apart by their peers): adverts find theirs at once. */
  private byAddress = new Map<string, Map<number, Instance[]>>();
  /** Instances by name, for the status listener's per-instance questions. */
  private byName = new Map<string, Instance>();
  private groups: SyncGroup<Instance>[] = [];
  private readonly garp = new GarpScheduler();
  /** Next run of each vrrp_script in use. */
  private readonly scriptDue = new Map<string, number>();
  private started = false;
  private stopped = false;
  /** Warnings from tracker resolution, logged at start. */
  private ignoredTrackers: string[] = [];

  /** vrrp_startup_delay (ms): read at start, not on reload (keepalived delays only its first start). */
  private readonly startupDelayMs: number;
  /** 'arm' mode: instances whose periodic advert may have changed since the driver was last told. */
  private readonly advertsChanged = new Set<Instance>();

  constructor(spec: EngineSpec, options: EngineOptions = {}) {
    this.options = options;
    this.startupDelayMs = spec.startupDelayMs ?? 0;
    this.world = new TrackerWorld(
      spec.scripts,
      spec.trackFiles,
      spec.trackProcesses,
      spec.linksDown,
      spec.processesDown,
      spec.bfds,
      spec.bfdsUp,
    );
    for (const name of spec.withoutSource ?? []) this.world.withoutSource.add(name);
    this.build(spec);
  }

  /** What the last handle() observed (takeovers, split brain), in order; replaced by the next one. */
  private lastReports: EngineReport[] = [];

  /** The reports of the last handle() call (see reports.ts): observations, never actions. */
  reports(): readonly EngineReport[] {
    return this.lastReports;
  }

  /** Feed one event at monotonic time `now` (ms); returns the actions to perform, in order. */
  handle(now: number, event: EngineEvent): Action[] {
    this.lastReports = [];
    const ctx: StepContext = {
      now,
      out: [],
      garp: this.garp,
      reason: event.type,
      armAdverts: this.options.periodicAdverts === 'arm',
      reports: this.lastReports,
    };
    if (this.stopped) return ctx.out;
    switch (event.type) {
      case 'start':
        this.start(ctx);
        break;
      case 'timer':
        break;
      case 'advert-sent':
        this.onAdvertSent(ctx, event.instance);
        break;
      case 'advert':
        this.onAdvert(ctx, event.received, event.notes ?? []);
        break;
      case 'advert-dropped':
        this.onDropped(ctx, event.ifname, event.family, event.vrid, event.reason, event.source);
        break;
      case 'link':
        if (event.up) this.world.linksDown.delete(event.ifname);
        else this.world.linksDown.add(event.ifname);
        // keepalived's wording: monitoring greps for it.
        if (event.via === undefined)
          this.log(ctx, 'info', `Netlink reports ${event.ifname} ${event.up ? 'up' : 'down'}`);
        this.reevaluate(
          ctx,
          'interface',
          event.ifname,
          `interface ${event.ifname} ${event.up ? 'up' : 'down'}`,
        );
        break;
      case 'timers-late': {
        const late = expiredMasters(this.instances, ctx.now, event.lateMs);
        const us = Math.round(event.lateMs * 1000);
        if (late.length > 0)
          this.log(
            ctx,
            'info',
            `VRRP thread timer expired ${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')} seconds ago`,
          );
        for (const inst of late) {
          ctx.reason = 'timer_expired_backup';
          inst.wantState = 'BACKUP';
          inst.leaveMaster(ctx, false);
        }
        break;
      }
      case 'script-result': {
        const script = this.world.scripts.get(event.name);
        if (!script) break;
        if (script.report(event.ok)) {
          this.log(
            ctx,
            'info',
            script.status === 'ok'
              ? `VRRP_Script(${event.name}) succeeded`
              : `VRRP_Script(${event.name}) failed${event.exitStatus !== undefined ? ` (exited with status ${event.exitStatus})` : ''}`,
          );
          this.reevaluate(ctx, 'script', event.name, `script ${event.name} ${script.status}`);
        }
        break;
      }
      case 'file-value':
        this.world.fileValues.set(event.name, event.value);
        this.reevaluate(ctx, 'file', event.name, `track file ${event.name} = ${event.value}`);
        break;
      case 'process':
        if (event.running) this.world.processesDown.delete(event.name);
        else this.world.processesDown.add(event.name);
        this.reevaluate(
          ctx,
          'process',
          event.name,
          `process ${event.name} ${event.running ? 'running' : 'stopped'}`,
        );
        break;
      case 'bfd':
        if (this.world.bfdsUp.has(event.name) === event.up) break;
        if (event.up) this.world.bfdsUp.add(event.name);
        else this.world.bfdsUp.delete(event.name);
        this.reevaluate(ctx, 'bfd', event.name, `bfd ${event.name} ${event.up ? 'up' : 'down'}`);
        break;
      case 'vip-removed':
        this.onVipRemoved(ctx, event.instance, event.address);
        break;
      case 'source-address':
        this.onSourceAddress(ctx, event.instance, event.present);
        break;
      case 'shutdown':
        for (const inst of this.instances) inst.shutdown(ctx);
        for (const group of this.groups) group.stop(ctx);
        this.scriptDue.clear();
        this.stopped = true;
        this.settleArmedAdverts(ctx);
        return ctx.out;
      case 'reload':
        this.reload(ctx, event.spec);
        break;
      case 'send-garp-now':
        this.instances.find((i) => i.name === event.instance)?.sendLinkUpdate(ctx, 1);
        break;
      case 'handover':
        this.startHandover(ctx, event.instance, event.to, event.holdMs);
        break;
      case 'handover-release':
        for (const m of this.handoverMembers(event.instance))
          m.endHandover(
            ctx,
            m.handover?.phase === 'releasing' ? 'aborted' : 'released',
            'released on request',
          );
        break;
    }
    if (this.started) this.runDue(ctx);
    this.settleArmedAdverts(ctx);
    return ctx.out;
  }

  /** The earliest time a `timer` event is needed, or undefined when nothing is scheduled. */
  nextDeadline(): number | undefined {
    if (this.stopped || !this.started) return undefined;
    let next = this.garp.nextDeadline();
    const consider = (t: number | undefined): void => {
      if (t !== undefined && (next === undefined || t < next)) next = t;
    };
    consider(this.deadlines.peek()?.at);
    for (const t of this.scriptDue.values()) consider(t);
    return next;
  }

  /** Why a handover of `instance` (and its sync group) cannot start now, or undefined when it can. */
  handoverRefusal(instance: string, to?: string): string | undefined {
    const inst = this.byName.get(instance);
    if (inst === undefined) return `no instance ${instance}`;
    for (const m of this.handoverMembers(instance)) {
      const why = handoverRefusal(m.state, m.handover, m.spec.unicastPeers, to);
      if (why !== undefined) return m === inst ? why : `${m.name} (same sync group): ${why}`;
    }
    return undefined;
  }

  /** Whether `instance` (or its sync group) has a handover under way or held. */
  handoverActive(instance: string): boolean {
    return this.handoverMembers(instance).some((m) => m.handover !== undefined);
  }

  /** The address of the master an instance last accepted an advert from (for skip_check_adv_addr). */
  masterAddress(instance: string): string | undefined {
    return this.instances.find((i) => i.name === instance)?.masterAddress;
  }

  /** keepalived's STATS_CLEAR: every instance's counters back to zero. */
  clearCounters(): void {
    for (const i of this.instances) i.counters = newStats();
  }

  /** What the status listener shows beyond the snapshot: each tracker's part in the effective priority,
   * the instance's one protocol timer (when it fires next) and its master-down interval now. */
  instanceDetail(
    name: string,
  ): { trackers: TrackerContribution[]; timerAt?: number; masterDownIntervalMs: number } | undefined {
    const inst = this.byName.get(name);
    if (inst === undefined) return undefined;
    const sands = inst.sands;
    return {
      trackers: trackerContributions(inst.trackers, this.world),
      ...(sands !== undefined && Number.isFinite(sands) ? { timerAt: sands } : {}),
      masterDownIntervalMs: inst.downTimerMs(),
    };
  }

  /** Effective priority and whether a tracker faults it, for the instances named (cheap: no counters). */
  priorities(names: readonly string[]): Array<{ name: string; effective: number; faulty: boolean }> {
    const out: Array<{ name: string; effective: number; faulty: boolean }> = [];
    for (const name of names) {
      const i = this.byName.get(name);
      if (i !== undefined) out.push({ name, effective: i.effectivePriority, faulty: i.faults.length > 0 });
    }
    return out;
  }

  /** Instances that track `kind:name` (a tracker event's reach). */
  trackedBy(kind: string, name: string): string[] {
    return this.instances
      .filter((i) => i.trackers.some((t) => t.kind === kind && t.name === name))
      .map((i) => i.name);
  }

  snapshot(): EngineSnapshot {
    return {
      instances: this.instances.map((i) => ({
        name: i.name,
        state: i.state,
        wantState: i.wantState,
        basePriority: i.basePriority,
        effectivePriority: i.effectivePriority,
        masterAdvertIntervalCs: i.masterAdvertIntervalCs,
        masterAddress: i.masterAddress,
        masterPriority: i.masterPriority,
        faults: [...i.faults],
        syncGroup: i.group?.name,
        counters: { ...i.counters },
        ...(i.handover !== undefined ? { handover: { ...i.handover } } : {}),
      })),
      groups: this.groups.map((g) => ({
        name: g.name,
        state: g.state,
        members: g.members.map((m) => m.name),
      })),
    };
  }

  /** The trackers' states now: each vrrp_script's status, each track_file's value, the BFD sessions up
   * and the track_processes without their quorum (SNMP shows them). */
  trackerStates(): TrackerStates {
    const w = this.world;
    return {
      scripts: new Map([...w.scripts].map(([name, t]) => [name, t.status])),
      files: new Map(w.fileValues),
      bfdsUp: new Set(w.bfdsUp),
      processesDown: new Set(w.processesDown),
    };
  }

  // ---- setup ---------------------------------------------------------------------------------------------

  private build(spec: EngineSpec): void {
    this.setInstances(spec.instances.map((s) => new Instance(s)));
    this.linkGroups(spec);
    this.configureGarp(spec);
  }

  private configureGarp(spec: EngineSpec): void {
    this.garp.configure(
      spec.garpGroups ?? [],
      spec.instances.map((i) => i.name),
    );
  }

  private setInstances(instances: Instance[]): void {
    this.instances = instances;
    this.byAddress = new Map();
    this.byName = new Map(instances.map((i) => [i.name, i]));
    for (const inst of instances) {
      let byVrid = this.byAddress.get(inst.spec.interface);
      if (byVrid === undefined) this.byAddress.set(inst.spec.interface, (byVrid = new Map()));
      const key = (inst.spec.family << 8) | inst.spec.vrid;
      const sharing = byVrid.get(key);
      if (sharing === undefined) byVrid.set(key, [inst]);
      else sharing.push(inst);
      inst.onTimersChanged = (i) => this.deadlines.update(i);
      if (this.options.periodicAdverts === 'arm') {
        inst.onAdvertChanged = (i) => this.advertsChanged.add(i);
        this.advertsChanged.add(inst);
      }
    }
    this.deadlines.reset(instances);
  }

  private linkGroups(spec: EngineSpec): void {
    this.groups = [];
    for (const inst of this.instances) inst.group = undefined;
    for (const g of spec.syncGroups) {
      const group = new SyncGroup<Instance>(g);
      for (const member of g.members) {
        const inst = this.instances.find((i) => i.name === member);
        if (inst && !inst.group) {
          inst.group = group;
          group.members.push(inst);
        }
      }
      if (group.members.length > 0) this.groups.push(group);
    }
    this.ignoredTrackers = [];
    for (const inst of this.instances) {
      const ignored: string[] = [];
      inst.trackers = resolveTrackers(inst.spec, inst.group?.spec, this.world, ignored);
      for (const t of ignored)
        this.ignoredTrackers.push(`(${inst.name}) ignoring tracked ${t} with weights due to SYNC group`);
    }
  }

  /** Scripts some instance tracks; keepalived does not run the others. */
  private scriptsInUse(): string[] {
    const names = new Set<string>();
    for (const inst of this.instances)
      for (const t of inst.trackers) if (t.kind === 'script') names.add(t.name);
    return [...names];
  }

  /** What holds an instance in FAULT: its trackers' faults, no address to speak from, and a configuration
   * fault for good. */
  private faultsOf(inst: Instance, trackerFaults: string[]): string[] {
    const faults = this.world.withoutSource.has(inst.name)
      ? [NO_SOURCE_FAULT, ...trackerFaults]
      : trackerFaults;
    return inst.spec.configFault === undefined ? faults : [CONFIG_FAULT, ...faults];
  }

  private applyVerdict(inst: Instance): void {
    const v = evaluateTrackers(inst.trackers, this.world);
    inst.faults = this.faultsOf(inst, v.faults);
    inst.initPending = v.initPending;
    inst.effectivePriority = effectivePriority(inst.basePriority, v.delta);
  }

  /** Leave INIT: trackers first (a fault or an undecided unweighted script decides the start), then state. */
  private startInstances(ctx: StepContext, instances: Instance[]): void {
    for (const inst of instances) {
      if (inst.spec.configFault !== undefined)
        this.log(ctx, 'info', `(${inst.name}) ${inst.spec.configFault}`);
      if (this.world.withoutSource.has(inst.name)) this.logNoSource(ctx, inst);
      this.applyVerdict(inst);
    }
    for (const inst of instances) {
      ctx.reason = 'init';
      const groupFaulty = inst.group !== undefined && inst.group.faultyMembers().length > 0;
      if (inst.faults.length > 0 || groupFaulty) {
        // keepalived's vrrp_init_state: an instance already in FAULT forgets `state MASTER`, so even an
        // address owner comes back up through BACKUP (try_up_instance keeps MASTER only if still wanted).
        inst.wantState = 'FAULT';
        inst.initFault(ctx);
      } else if (!inst.initPending && !(inst.group && inst.group.initPendingMembers().length > 0)) {
        inst.initState(ctx);
      } else inst.faultedQuietlyAtInit = true;
    }
    for (const group of this.groups)
      if (group.members.some((m) => instances.includes(m))) group.initState(ctx);
  }

  private start(ctx: StepContext): void {
    if (this.started) return;
    this.started = true;
    if (this.startupDelayMs > 0) {
      this.log(ctx, 'info', `Delaying startup for ${this.startupDelayMs / 1000} seconds`);
      const until = later(ctx.now, this.startupDelayMs);
      for (const inst of this.instances) inst.delayedStartUntil = until;
    }
    for (const warning of this.ignoredTrackers) this.log(ctx, 'warning', warning);
    this.startInstances(ctx, this.instances);
    for (const name of this.scriptsInUse()) this.scriptDue.set(name, ctx.now);
  }

  // ---- events --------------------------------------------------------------------------------------------

  /** An instance and the rest of its sync group: a handover moves them together. */
  private handoverMembers(name: string): Instance[] {
    const inst = this.byName.get(name);
    if (inst === undefined) return [];
    return inst.group !== undefined ? [...inst.group.members] : [inst];
  }

  private startHandover(ctx: StepContext, name: string, to?: string, holdMs?: number): void {
    if (!this.started) return;
    const why = this.handoverRefusal(name, to);
    if (why !== undefined) {
      this.log(ctx, 'warning', `(${name}) handover refused: ${why}`);
      return;
    }
    ctx.reason = 'planned handover';
    for (const m of this.handoverMembers(name)) m.startHandover(ctx, to, holdMs);
  }

  /** The instance a packet is for; `source` tells apart unicast instances sharing the VRID (dispatch.ts). */
  private findInstance(ifname: string, family: number, vrid: number, source?: string): Instance | undefined {
    const sharing = this.byAddress.get(ifname)?.get((family << 8) | vrid);
    return (
      sharing &&
      dispatchBySource(sharing, source, (i) => ({
        unicastPeers: i.spec.unicastPeers,
        lastSource: i.lastAdvertSource,
      }))
    );
  }

  private onAdvert(ctx: StepContext, received: ReceivedAdvert, notes: readonly AdvertDropReason[]): void {
    if (!this.started) return;
    const inst = this.findInstance(received.ifname, received.family, received.advert.vrid, received.source);
    if (!inst) {
      this.log(
        ctx,
        'debug',
        `Unknown VRID(${received.advert.vrid}) received on interface(${received.ifname}) from ${received.source}. ignoring...`,
      );
      return;
    }
    // keepalived remembers the source of what reaches a BACKUP or MASTER (FAULT and INIT ignore adverts).
    if (inst.state === 'BACKUP' || inst.state === 'MASTER') inst.lastAdvertSource = received.source;
    ctx.reason = `advert from ${received.source} priority ${received.advert.priority}`;
    const previous = inst.state;
    inst.receive(ctx, received, notes);
    inst.group?.afterTransition(inst, previous, ctx);
  }

  /** The driver sent an instance's armed periodic advert: the advert timer's work, without the sending. */
  private onAdvertSent(ctx: StepContext, name: string): void {
    if (!this.started) return;
    const inst = this.instances.find((i) => i.name === name);
    // Disarmed meanwhile (the report of a send that crossed the disarm): nothing armed to account for.
    if (inst === undefined || inst.state !== 'MASTER' || inst.armedAt === undefined) return;
    ctx.reason = 'advert timer';
    ctx.sentByDriver = inst;
    const previous = inst.state;
    inst.timeout(ctx);
    ctx.sentByDriver = undefined;
    inst.group?.afterTransition(inst, previous, ctx);
  }

  /** 'arm' mode, at the end of every step: tell the driver about each periodic advert that changed. */
  private settleArmedAdverts(ctx: StepContext): void {
    if (!ctx.armAdverts || this.advertsChanged.size === 0) return;
    for (const inst of this.advertsChanged) {
      const at = this.stopped ? undefined : inst.periodicAdvertAt();
      if (at === undefined) {
        if (inst.armedAt === undefined) continue;
        ctx.out.push({ type: 'disarm-periodic-advert', instance: inst.name });
        inst.armedAt = undefined;
        inst.armedSend = undefined;
        continue;
      }
      const last = inst.armedSend;
      // The same deadline, priority and configuration (a reload replaces the spec): the same advert.
      if (
        inst.armedAt === at &&
        last !== undefined &&
        last.advert.priority === inst.effectivePriority &&
        inst.armedSpec === inst.spec
      )
        continue;
      const send = inst.advertAction(inst.effectivePriority);
      ctx.out.push({
        type: 'arm-periodic-advert',
        instance: inst.name,
        at,
        periodMs: inst.advertIntervalMs,
        send,
      });
      inst.armedSend = send;
      inst.armedSpec = inst.spec;
      inst.armedAt = at;
    }
    this.advertsChanged.clear();
  }

  private onDropped(
    ctx: StepContext,
    ifname: string,
    family: number,
    vrid: number | undefined,
    reason: AdvertDropReason,
    source?: string,
  ): void {
    const inst = vrid === undefined ? undefined : this.findInstance(ifname, family, vrid, source);
    if (!inst || !this.started) {
      ctx.out.push({
        type: 'log',
        level: 'debug',
        message: `dropped packet on ${ifname}: ${reason}`,
        repeats: `dropped packet on ${ifname}: ${reason}`,
      });
      return;
    }
    const listening = inst.state === 'BACKUP' || inst.state === 'MASTER';
    if (source !== undefined && listening) inst.lastAdvertSource = source;
    inst.receiveDropped(ctx, reason);
    if (listening && isAdvertErrorReason(reason))
      ctx.reports?.push({
        type: 'advert-error',
        instance: inst.name,
        reason,
        ...(source !== undefined ? { source } : {}),
        at: ctx.now,
      });
  }

  private log(ctx: StepContext, level: LogLevel, message: string): void {
    ctx.out.push({ type: 'log', level, message });
  }

  /** A tracked object changed: recompute every instance that tracks it. */
  private reevaluate(ctx: StepContext, kind: string, name: string, reason: string): void {
    for (const inst of this.instances) {
      if (!inst.trackers.some((t) => t.kind === kind && t.name === name)) continue;
      if (!this.started) continue;
      ctx.reason = reason;
      this.reevaluateInstance(ctx, inst);
    }
  }

  private reevaluateInstance(ctx: StepContext, inst: Instance): void {
    if (inst.state === 'STOP') return;
    const v = evaluateTrackers(inst.trackers, this.world);
    const wasFaulty = inst.faults.length > 0;
    const wasInitPending = inst.initPending;
    inst.faults = this.faultsOf(inst, v.faults);
    inst.initPending = v.initPending;
    inst.setEffectivePriority(ctx, effectivePriority(inst.basePriority, v.delta));
    const isFaulty = inst.faults.length > 0;
    if (isFaulty && (!wasFaulty || inst.state === 'INIT')) this.goDown(ctx, inst);
    else if (!isFaulty && !v.initPending && (wasFaulty || (wasInitPending && inst.state === 'INIT')))
      this.tryUp(ctx, inst, inst.state === 'INIT');
  }

  /**
   * keepalived's set_vrrp_backup: a VIP of a MASTER was deleted by someone else. The instance (and every
   * MASTER of its sync group) leaves MASTER as usual (priority 0, addresses removed, notify BACKUP) with its
   * down timer cut to the skew time, so that it takes over again at once, setting every VIP anew with its
   * gratuitous ARPs; a backup of higher priority may win meanwhile, as with keepalived.
   */
  private onVipRemoved(ctx: StepContext, name: string, address: string): void {
    const inst = this.instances.find((i) => i.name === name);
    if (inst === undefined || inst.state !== 'MASTER') return;
    this.log(ctx, 'info', `(${name}) virtual address ${address} was removed: leaving MASTER to set it again`);
    const leaving = inst.group ? inst.group.members.filter((m) => m.state === 'MASTER') : [inst];
    for (const m of leaving) {
      m.wantState = 'BACKUP';
      m.leaveMaster(ctx, true);
      m.msDownTimerMs = m.skewMs();
      m.initSands(ctx.now);
    }
    if (inst.group) inst.group.state = 'BACKUP';
  }

  /** keepalived's set_vrrp_src_addr / netlink address handling: an instance with no address of its family
   * on its interface (and none configured) is in FAULT until one appears. */
  private onSourceAddress(ctx: StepContext, name: string, present: boolean): void {
    const inst = this.byName.get(name);
    if (inst === undefined || this.world.withoutSource.has(name) !== present) return;
    if (present) this.world.withoutSource.delete(name);
    else {
      this.world.withoutSource.add(name);
      this.logNoSource(ctx, inst);
    }
    if (!this.started) return;
    ctx.reason = present ? 'source address present' : 'no source address';
    this.reevaluateInstance(ctx, inst);
  }

  /** keepalived's line for an instance with nothing to speak from (vrrp_track.c). */
  private logNoSource(ctx: StepContext, inst: Instance): void {
    this.log(
      ctx,
      'info',
      `(${inst.name}) entering FAULT state (no IPv${inst.spec.family} address for interface)`,
    );
  }

  /** keepalived's down_instance, with the sync group following into FAULT. */
  private goDown(ctx: StepContext, inst: Instance): void {
    inst.goDown(ctx);
    if (inst.group && inst.group.state !== 'FAULT') inst.group.syncFault(inst, ctx);
  }

  /** keepalived's try_up_instance: come back once nothing faults us nor (for a group member) the group. */
  private tryUp(ctx: StepContext, inst: Instance, leavingInit: boolean): void {
    const group = inst.group;
    inst.prepareUp();
    if (group) {
      const othersDown =
        group.faultyMembers().some((m) => m !== inst) || group.initPendingMembers().length > 0;
      if (othersDown) return;
    }
    const want = inst.wantState;
    if (group && want === 'MASTER' && !group.canGotoMaster(inst, ctx)) inst.wantState = 'BACKUP';
    if (leavingInit && inst.wantState !== 'MASTER') {
      inst.initState(ctx);
    } else inst.leaveFault(ctx);
    inst.announceUnicastSource(ctx);
    inst.wantState = want;
    if (group) {
      if (inst.state === 'MASTER') group.syncMaster(inst, ctx);
      else group.syncBackup(inst, ctx);
    }
  }

  /** Fire everything due at ctx.now: GARP pacing, scripts, instance timers (earliest first). */
  private runDue(ctx: StepContext): void {
    const now = ctx.now;
    const dueBy = now + DUE_TOLERANCE_MS;
    for (let round = 0; round < MAX_ROUNDS_PER_EVENT; round++) {
      ctx.out.push(...this.garp.due(now, DUE_TOLERANCE_MS));
      for (const [name, at] of this.scriptDue) {
        if (at > dueBy) continue;
        const script = this.world.scripts.get(name);
        if (!script) continue;
        ctx.out.push({ type: 'run-script', name, timeoutMs: script.spec.timeoutMs });
        this.scriptDue.set(name, later(now, script.spec.intervalMs));
      }
      const next = this.deadlines.peek();
      if (next === undefined || next.at > dueBy) return;
      const due = next.item;
      due.fireGarpTimers(ctx);
      const beforeHandover = due.state;
      due.fireHandoverTimer(ctx);
      due.group?.afterTransition(due, beforeHandover, ctx);
      if (due.sands !== undefined && due.sands <= dueBy && !due.advertTimedByDriver) {
        ctx.reason = due.state === 'BACKUP' ? 'master-down timer' : 'advert timer';
        const previous = due.state;
        due.timeout(ctx);
        due.group?.afterTransition(due, previous, ctx);
      }
    }
    this.log(ctx, 'error', 'engine: timer processing did not settle');
  }

  // ---- reload --------------------------------------------------------------------------------------------

  /** Swap in a new configuration. Instances are matched by name; kept ones keep their state and take the
   * new settings (a MASTER adds and removes the addresses that changed), removed ones release and stop,
   * new ones start as at boot. */
  private reload(ctx: StepContext, spec: EngineSpec): void {
    const oldWorld = this.world;
    const world = new TrackerWorld(spec.scripts, spec.trackFiles, spec.trackProcesses, [], [], spec.bfds);
    for (const b of oldWorld.bfdsUp) world.bfdsUp.add(b);
    for (const l of oldWorld.linksDown) world.linksDown.add(l);
    for (const p of oldWorld.processesDown) world.processesDown.add(p);
    // the daemon looked again for the new configuration
    for (const name of spec.withoutSource ?? []) world.withoutSource.add(name);
    for (const [name, value] of oldWorld.fileValues)
      if (world.fileValues.has(name)) world.fileValues.set(name, value);
    for (const [name, tracker] of world.scripts) {
      const old = oldWorld.scripts.get(name);
      if (old) tracker.adopt(old);
    }
    this.world = world;
    ctx.reason = 'reload';

    const kept: Instance[] = [];
    const added: Instance[] = [];
    for (const s of spec.instances) {
      const old = this.instances.find((i) => i.name === s.name);
      if (
        old &&
        old.spec.vrid === s.vrid &&
        old.spec.interface === s.interface &&
        old.spec.family === s.family
      ) {
        this.updateInstance(ctx, old, s);
        kept.push(old);
      } else added.push(new Instance(s));
    }
    for (const old of this.instances) {
      if (kept.includes(old)) continue;
      this.log(ctx, 'info', `(${old.name}) removed by reload`);
      old.removeByReload(ctx);
    }
    for (const old of this.instances) if (!kept.includes(old)) old.onTimersChanged = undefined;
    this.setInstances([...kept, ...added]);
    this.linkGroups(spec);
    this.configureGarp(spec);
    for (const g of this.groups) {
      const states = new Set(g.members.map((m) => m.state));
      if (states.size === 1) g.state = g.members[0]?.state ?? 'INIT';
    }
    for (const name of this.scriptsInUse()) if (!this.scriptDue.has(name)) this.scriptDue.set(name, ctx.now);
    for (const name of [...this.scriptDue.keys()])
      if (!this.scriptsInUse().includes(name)) this.scriptDue.delete(name);
    if (!this.started) return;
    for (const inst of kept) {
      if (inst.handover !== undefined)
        inst.endHandover(ctx, inst.handover.phase === 'releasing' ? 'aborted' : 'released', 'reload');
      const before = inst.state;
      this.reevaluateInstance(ctx, inst);
      if (inst.state === before) inst.rearmAfterReload(ctx.now);
    }
    this.startInstances(ctx, added);
  }

  private updateInstance(ctx: StepContext, inst: Instance, spec: InstanceSpec): void {
    const old = inst.spec;
    if (inst.state === 'MASTER' && inst.vipSet) {
      const newSet = new Set(spec.addresses.map((v) => v.address));
      const oldSet = new Set(old.addresses.map((v) => v.address));
      const removed = old.addresses.filter((v) => !newSet.has(v.address));
      const addedVips = spec.addresses.filter((v) => !oldSet.has(v.address));
      if (removed.length > 0)
        ctx.out.push({
          type: 'remove-addresses',
          instance: inst.name,
          ifname: spec.interface,
          addresses: removed,
        });
      if (addedVips.length > 0)
        ctx.out.push({
          type: 'add-addresses',
          instance: inst.name,
          ifname: spec.interface,
          addresses: addedVips,
        });
    }
    inst.spec = spec;
    if (inst.basePriority !== spec.priority) inst.basePriority = spec.priority;
    if (spec.priority === 255) inst.effectivePriority = 255;
  }
}
