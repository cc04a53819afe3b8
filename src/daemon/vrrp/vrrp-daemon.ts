// The VRRP child: the pure engine meets the kernel here. Packets from the raw sockets are decoded and
// validated, then fed to the engine with the monotonic time; the engine's actions become adverts on the
// wire, addresses, routes and rules through rtnetlink, gratuitous ARP / NA frames, notify scripts and log
// lines. EngineClock wakes the engine at its next deadline and sends periodic adverts on time.
import { LinkDebounce } from './link-debounce.js';
import { linkDelays, type LinkDelays } from '../../vrrp/link-delays.js';
import { lookupUser } from '../../system/users.js';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { DaemonOptions } from '../process/options.js';
import { ConfigFile } from '../process/config-file.js';
import type { Model } from '../../config/index.js';
import type { IpAddressSpec } from '../../config/model/static/addresses.js';
import type { RouteSpec } from '../../config/model/static/routes.js';
import type { RuleSpec } from '../../config/model/static/rules.js';
import {
  Rtnetlink,
  RtnetlinkError,
  subscribe,
  type ClientAddressSpec,
  type ClientRouteSpec,
  type Subscription,
} from '../../net/netlink/rtnetlink.js';
import type { RuleSpec as NetlinkRule } from '../../net/netlink/rtnl-rule.js';
import { applyInterfaceSettings, writeSysctl, type InterfaceSetting } from '../../net/sysctl.js';
import type { FirewallFamily } from '../../vrrp/firewall/planner.js';
import { monotonicNowNs } from '../../net/precise-timer.js';
import { Engine, type Action, type HandoverReport } from '../../vrrp/engine/engine.js';
import type { HandoverAnswer, HandoverRequest } from '../../api/handover.js';
import { vrrpSetupFromModel, type InstanceSetup, type VrrpSetup } from '../../vrrp/from-model.js';
import type { EngineSpec, NotifySpec } from '../../vrrp/engine/spec.js';
import { nsToMs } from '../../common/units.js';
import { Announcer } from '../../net/announce.js';
import { HostState, type HostChange } from './host-state.js';
import { addressRequest, routeRequest, ruleRequest } from './kernel-objects.js';
import { setUpVmac } from './vmac.js';
import { PromoteSecondaries } from './promote-secondaries.js';
import type { Logger } from '../process/log.js';
import { Notifier, scriptPolicy } from '../process/notifier.js';
import { NotifyFifos, notifyFifoSpecs } from '../process/notify-fifos.js';
import { ProcessControl, processSettings } from '../process/process-settings.js';
import { removePidFile, writePidFile } from '../process/pidfile.js';
import { VrrpSmtpAlerts } from '../alerts/vrrp-alerts.js';
import { RateLimitedLog } from '../process/rate-limited-log.js';
import { AdvertIo } from './advert-io.js';
import { TrackerPoller } from './tracker-poller.js';
import { DATA_FILE, JSON_FILE, STATS_FILE, formatData, formatJson, formatStats } from './vrrp-dump.js';
import { dumpFile, dumpNaming, tmpFile } from '../process/dump-files.js';
import { applyNetlinkBuffers, vrrpNetlinkBuffers } from '../process/netlink-buffers.js';
import { AdvertTrace } from './advert-trace.js';
import { EngineClock } from './engine-clock.js';
import { FailoverReporter, type TransitionTakeover } from './failover-reporter.js';
import { LvsSyncDaemonControl } from '../lb/lvs-sync-daemon.js';
import { dropsVipTraffic, firewallAddresses, firewallSettings } from '../../vrrp/firewall/settings.js';
import { VrrpFirewall } from './firewall.js';
import { VrrpSnmp } from './vrrp-snmp.js';
import { VrrpDbus } from './vrrp-dbus.js';
import { hostInterfaces } from './snmp-interfaces.js';
import { StatusService } from './status-service.js';
import { VERSION } from '../../common/version.js';
import {
  trackerEffects,
  trackerOf,
  type InstancePriority,
  type TrackedObject,
} from '../../api/tracker-events.js';

const SHUTDOWN_SCRIPT_WAIT_MS = 5000;
/** Whether IGMP reports are sent for link-local groups (a per-namespace sysctl). */
const LOCAL_IGMP_REPORTS = '/proc/sys/net/ipv4/igmp_link_local_mcast_reports';

export class VrrpDaemon {
  private model!: Model;
  private setup!: VrrpSetup;
  private engine!: Engine;
  private rtnl!: Rtnetlink;
  private readonly host = new HostState();
  /** interface_up_down_delays between the kernel's link changes and the engine. */
  private readonly links: LinkDebounce;
  private subscription: Subscription | undefined;
  private clock: EngineClock | undefined;
  private io!: AdvertIo;
  private readonly announcer = new Announcer();
  private notifier!: Notifier;
  /** notify_fifo / vrrp_notify_fifo (with their scripts), held open from start to stop. */
  private fifos: NotifyFifos | undefined;
  private smtpAlerts: VrrpSmtpAlerts | undefined;
  private trackers: TrackerPoller | undefined;
  /** vrrp_strict / no_accept / nftables: the drop rules of a MASTER that is not in accept mode. */
  private firewall: VrrpFirewall | undefined;
  private vmacUndo: InterfaceSetting[] = [];
  private createdVmacs: string[] = [];
  /** disable_local_igmp in effect: the sysctl's value before we set it ('' when it was already 0). */
  private localIgmpSaved: string | undefined;
  /** promote_secondaries: the interfaces we switched it on for, switched off at stop. */
  private readonly promoteSecondaries: PromoteSecondaries;
  /** Kernel operations are applied in order, one chain, so that add and remove never race. */
  private kernelQueue: Promise<void> = Promise.resolve();
  private stopping = false;
  private keepVipsOnStop = false;
  /** status_http: the listener and its event history (absent until a configuration has the block). */
  private status: StatusService | undefined;
  private readonly startedAt = new Date().toISOString();
  /** Takeover timing and split brain: the log, and the status listener when there is one. */
  private readonly failover: FailoverReporter;
  /** KTS_ADVERT_TRACE: advert timing diagnostics (bench/vrrp-jitter.ts). */
  private readonly trace = AdvertTrace.fromEnv();

  private readonly config: ConfigFile;
  /** Per-packet log lines (bad adverts), a few of each kind a second. */
  private readonly packetLog: RateLimitedLog;

  constructor(
    private readonly options: DaemonOptions,
    private readonly log: Logger,
  ) {
    this.config = new ConfigFile(options, log);
    this.packetLog = new RateLimitedLog(log);
    this.processControl = new ProcessControl('VRRP', log);
    this.promoteSecondaries = new PromoteSecondaries(log);
    this.links = new LinkDebounce(new Map(), (ifname, up) => this.feed({ type: 'link', ifname, up }), log);
    this.failover = new FailoverReporter(
      log,
      (body) => this.status?.event(body),
      () => this.now(),
    );
  }

  private now(): number {
    return nsToMs(monotonicNowNs());
  }

  private get spec(): EngineSpec {
    return this.setup.engine;
  }

  /** lvs_sync_daemon: the IPVS sync daemon following its VRRP instance. */
  private syncDaemon: LvsSyncDaemonControl | undefined;
  private readonly processControl: ProcessControl;
  /** enable_snmp_vrrp / enable_snmp_rfc* / -x: the AgentX subagent. */
  private snmp: VrrpSnmp | undefined;
  /** enable_dbus: org.keepalived.Vrrp1 on the system bus. */
  private dbus: VrrpDbus | undefined;
  /** The state each instance's last notify announced (tells notify_master_rx_lower_pri's call apart). */
  private readonly lastNotified = new Map<string, string>();

  async start(): Promise<void> {
    writePidFile(this.options.vrrpPidFile);
    this.model = this.config.load();
    this.setup = vrrpSetupFromModel(this.model);
    const g = this.model.global;
    const checkerRunning =
      !this.options.vrrpOnly && (this.model.virtualServers.length > 0 || this.options.runAll);
    this.fifos = new NotifyFifos(notifyFifoSpecs(g, 'vrrp', checkerRunning, this.log), this.log);
    this.notifier = new Notifier(
      this.log,
      scriptPolicy(g.enableScriptSecurity, g.scriptUser, this.log),
      this.fifos,
    );
    this.fifos.start(this.notifier, 'vrrp');
    this.smtpAlerts = new VrrpSmtpAlerts(this.model, this.log);
    this.syncDaemon = LvsSyncDaemonControl.create(
      g.lvsSyncDaemon,
      (name) => this.spec.instances.find((i) => i.name === name)?.vrid,
      this.log,
    );
    this.syncDaemon?.start();

    this.applyProcessSettings();
    this.openFirewall();
    this.rtnl = await Rtnetlink.open();
    await this.host.load(this.rtnl);
    await this.disableLocalIgmp();
    await this.createVmacs();
    await this.promoteSecondaries.apply(this.setup.instances.values());
    await this.host.load(this.rtnl);
    await this.addVmacsToFirewall();
    await this.removeStaleAddresses();
    this.applyStatic(true);

    this.links.setDelays(this.linkDelays());
    this.links.init(this.host.allLinks());
    this.subscription = subscribe((e) => this.onHostChanges(this.host.apply(e)), {
      onError: (err) => this.log.warn(`netlink: ${err.message}`),
    });
    applyNetlinkBuffers({ command: this.rtnl, monitor: this.subscription }, vrrpNetlinkBuffers(g), this.log);
    this.spec.linksDown = this.linksDown();
    this.fillSourceAddresses(this.spec);
    // Periodic adverts are armed: the clock sends them on time (a native thread) and reports each one.
    this.engine = new Engine(this.spec, { periodicAdverts: 'arm' });
    this.io = new AdvertIo(this.host, this.log, this.packetLog, (ev) => this.feed(ev), this.setup);
    this.io.open();
    this.clock = new EngineClock(this.io, {
      onTimer: (deadlineNs) => this.feed({ type: 'timer' }, deadlineNs),
      // an armed advert left: the engine hears of it with the time it left
      onSent: (instance, sentAtNs, send) => {
        const at = this.clock?.eventTime(nsToMs(sentAtNs)) ?? nsToMs(sentAtNs);
        this.handle(at, { type: 'advert-sent', instance }, send?.deadlineNs, sentAtNs);
      },
    });
    this.trackers = new TrackerPoller(this.model, (ev) => this.feed(ev));
    this.trackers.start();
    // keepalived connects its subagent before the first election, so that the first traps leave.
    this.snmp = VrrpSnmp.create(
      this.model,
      this.options,
      {
        engine: () => this.engine?.snapshot(),
        trackers: () => this.engine?.trackerStates(),
        interfaces: () => hostInterfaces(this.host),
      },
      this.log,
    );
    await this.snmp?.start();
    // keepalived starts its DBus thread before the first election; the name is taken in the background.
    this.configureDbus(false);
    // the listener's history starts with the first transitions; its sockets open right after
    this.createStatusService();
    this.feed({ type: 'start' });
    await this.configureStatus();
  }

  /** enable_dbus: start, reload (VrrpReloaded) or stop the bus service for the current configuration. */
  private configureDbus(reload: boolean): void {
    if (!this.model.global.enableDbus) {
      if (this.dbus) void this.dbus.close();
      this.dbus = undefined;
      return;
    }
    if (this.dbus && reload) {
      this.dbus.reload(this.model);
      return;
    }
    this.dbus = VrrpDbus.create(
      this.model,
      this.options,
      {
        setup: () => this.setup,
        state: (name) => this.engine?.snapshot().instances.find((i) => i.name === name)?.state,
        printData: () => this.dump('data', 'dbus'),
        printStats: (clear) => this.dump(clear ? 'stats-clear' : 'stats', 'dbus'),
        sendGarp: (instance) => this.feed({ type: 'send-garp-now', instance }),
        // keepalived signals its parent, which reloads every child
        reloadConfig: () => process.kill(process.ppid, 'SIGHUP'),
      },
      this.log,
    );
    this.dbus?.start();
  }

  /** status_http: open, keep or close the listener for the current configuration. */
  private async configureStatus(): Promise<void> {
    this.createStatusService();
    await this.status?.configure(this.model.statusHttp);
  }

  private createStatusService(): void {
    if (this.model.statusHttp !== undefined && this.status === undefined)
      this.status = new StatusService(
        {
          input: () => ({
            snapshot: this.engine.snapshot(),
            specs: new Map([...this.setup.instances].map(([name, i]) => [name, i.spec])),
            detail: (name) => this.engine.instanceDetail(name),
            now: this.now(),
            takeovers: this.failover.takeovers,
            splitBrains: this.failover.splitBrains,
            daemon: {
              implementation: 'keepalived-ts',
              version: VERSION,
              pid: process.pid,
              startedAt: this.startedAt,
              ...(this.model.global.routerId !== undefined ? { routerId: this.model.global.routerId } : {}),
            },
          }),
          garpDelayS: (name) => (this.instance(name)?.spec.garp.masterDelayMs ?? 0) / 1000,
          handover: (r) => this.handoverRequest(r),
          wire: () => this.io.tally,
        },
        this.log,
      );
  }

  /** A BFD session's state (every session, for the status listener). */
  bfdStatus(name: string, up: boolean): void {
    this.status?.bfdState(name, up);
  }

  /** Another IPC message: the checker child's report or verdict events for the status listener. */
  statusMessage(m: unknown): void {
    this.status?.checkerMessage(m);
  }

  /** vrrp_process_name, vrrp_priority, vrrp_rt_priority (SCHED_RR, which keeps advert timing tight on a busy
   * host), vrrp_rlimit_rttime, vrrp_no_swap, vrrp_cpu_affinity, as keepalived applies them to its VRRP child. */
  private applyProcessSettings(): void {
    this.processControl.apply(processSettings(this.model.global, 'vrrp', cpus().length));
  }

  /** An instance without mcast_src_ip / unicast_src_ip speaks from its interface's primary address; the
   * engine needs to know it for the equal-priority tie-break. */
  private fillSourceAddresses(spec: EngineSpec): void {
    this.autoSources.clear();
    for (const inst of spec.instances) {
      if (inst.sourceAddress !== undefined) continue;
      this.autoSources.add(inst.name);
      const vips = new Set(inst.addresses.map((a) => a.address));
      const primary = this.host.primaryAddress(inst.interface, inst.family, vips);
      if (primary !== undefined) inst.sourceAddress = primary;
    }
  }

  /**
   * The interface's address changed: an instance whose adverts come from its primary address (no
   * unicast_src_ip) follows it, as keepalived does, rather than sending from an address the host no
   * longer has. Returns whether any source changed.
   */
  private refreshSourceAddresses(): boolean {
    let changed = false;
    for (const inst of this.spec.instances) {
      if (!this.autoSources.has(inst.name)) continue;
      const current = inst.sourceAddress;
      if (current !== undefined && this.host.hasAddress(inst.interface, current)) continue;
      const vips = new Set(inst.addresses.map((a) => a.address));
      const primary = this.host.primaryAddress(inst.interface, inst.family, vips);
      if (primary === undefined || primary === current) continue;
      inst.sourceAddress = primary;
      this.log.info(`(${inst.name}) adverts now sent from ${primary} (${current ?? 'none'} is gone)`);
      changed = true;
    }
    return changed;
  }

  /** Links that are down (or missing) now, as the engine's starting view. */
  /** interface_up_down_delays, cut to what the instances on each interface allow (logged). */
  private linkDelays(spec: EngineSpec = this.spec): Map<string, LinkDelays> {
    const { delays, messages } = linkDelays(this.model.interfaceUpDownDelays, spec.instances);
    for (const m of messages) this.log.info(m);
    return delays;
  }

  private linksDown(): string[] {
    const names = new Set<string>();
    for (const i of this.spec.instances) {
      names.add(i.interface);
      for (const t of i.trackInterfaces) names.add(t.ifname);
    }
    for (const gr of this.spec.syncGroups) for (const t of gr.trackInterfaces) names.add(t.ifname);
    return [...names].filter((n) => !(this.links.up(n) ?? this.host.link(n)?.up ?? false));
  }

  /** One event in, its actions applied, the timer re-armed. */
  feed(event: Parameters<Engine['handle']>[1], deadlineNs?: bigint): void {
    if (this.engine === undefined) return;
    this.clock?.takeSent(); // adverts the native thread already sent come first
    const now = this.now();
    const tracker = this.status !== undefined ? trackerOf(event) : undefined;
    const before = tracker && this.engine.priorities(this.engine.trackedBy(tracker.kind, tracker.name));
    this.handle(this.clock?.eventTime(now) ?? now, event, deadlineNs);
    if (tracker !== undefined && before !== undefined && before.length > 0)
      this.trackerChanged(tracker, before);
  }

  /** status_http: a tracker event that moved some instance's priority or fault is an event of its own. */
  private trackerChanged(tracker: TrackedObject, before: InstancePriority[]): void {
    const effects = trackerEffects(before, this.engine.priorities(before.map((b) => b.name)));
    if (effects.length > 0)
      this.status?.event({
        type: 'tracker',
        tracker: `${tracker.kind}:${tracker.name}`,
        reason: tracker.reason,
        effects,
      });
  }

  private handle(
    now: number,
    event: Parameters<Engine['handle']>[1],
    deadlineNs?: bigint,
    tracedAt?: bigint,
  ): void {
    const startedAt = this.trace ? (tracedAt ?? monotonicNowNs()) : 0n;
    let actions: Action[];
    try {
      actions = this.engine.handle(now, event);
    } catch (e) {
      // The engine is pure and tested; if it ever throws, keep the daemon and its state alive.
      this.log.error(`engine error on ${event.type}: ${(e as Error).stack ?? String(e)}`);
      return;
    }
    const takeovers = this.failover.step(this.engine.reports());
    for (const r of this.engine.reports())
      if (r.type === 'handover') this.handoverEvent(r);
      else if (r.type === 'advert-error') this.snmp?.advertError(r);
    for (const a of actions) this.apply(a);
    // after the step's addresses and first announcements, in the kernel queue's order
    for (const instance of takeovers)
      this.enqueue(`(${instance}) takeover timing`, () => Promise.resolve(this.failover.settle(instance)));
    this.trace?.event(
      deadlineNs !== undefined && event.type === 'advert-sent' ? 'timer-native' : event.type,
      deadlineNs,
      startedAt,
      monotonicNowNs(),
    );
    this.clock?.schedule(this.engine);
  }

  private apply(a: Action): void {
    switch (a.type) {
      case 'send-advert':
        this.io.send(a);
        return;
      case 'arm-periodic-advert':
      case 'disarm-periodic-advert':
        this.clock?.apply(a);
        return;
      case 'add-addresses':
      case 'remove-addresses':
        if (a.type === 'remove-addresses' && this.keepVipsOnStop) return;
        // keepalived: the drop rules go in before the VIPs, and come out after them
        if (a.type === 'add-addresses') this.changeFirewall(a.instance, a.addresses, true);
        this.log.info(`(${a.instance}) ${a.type === 'add-addresses' ? 'setting' : 'removing'} VIPs.`);
        this.changeAddresses(
          a.instance,
          a.addresses.map((v) => v.address),
          a.type === 'add-addresses',
        );
        if (a.type === 'add-addresses')
          this.enqueue(`(${a.instance}) VIPs`, () =>
            Promise.resolve(this.failover.vipsInstalled(a.instance)),
          );
        if (a.type === 'remove-addresses') this.changeFirewall(a.instance, a.addresses, false);
        return;
      case 'add-routes':
      case 'remove-routes':
        if (a.type === 'remove-routes' && this.keepVipsOnStop) return;
        this.changeRoutes(a.instance, a.routes, a.type === 'add-routes');
        return;
      case 'add-rules':
      case 'remove-rules':
        this.changeRules(a.instance, a.rules, a.type === 'add-rules');
        return;
      case 'send-garp':
        this.sendGarp(a.instance, a.family, a.addresses);
        return;
      case 'notify':
        this.runNotify(a);
        return;
      case 'priority-change':
        // vrrp_notify.c send_instance_priority_notifies: the FIFOs only, no script.
        this.notifier?.writeFifos(
          `INSTANCE "${a.instance}" ${a.state === 'MASTER' ? 'MASTER' : 'BACKUP'}_PRIORITY ${a.priority}\n`,
        );
        return;
      case 'state-change':
        this.syncDaemon?.stateChanged(a.instance, a.to);
        this.status?.event({
          type: 'state-change',
          instance: a.instance,
          from: a.from,
          to: a.to,
          reason: a.reason,
          priority: this.engine.priorities([a.instance])[0]?.effective ?? 0,
          ...this.takeoverDetail(a),
        });
        // The engine logs "Entering X STATE" itself; the reason is detail, except keepalived's own line for
        // a BACKUP that heard no advert (monitoring watches for it).
        if (a.reason === 'master-down timer') this.log.info(`(${a.instance}) Receive advertisement timeout`);
        else if (a.reason !== '') this.log.debug(`(${a.instance}) ${a.from} -> ${a.to}: ${a.reason}`);
        return;
      case 'log': {
        const level = a.level === 'notice' ? 'info' : a.level;
        if (a.repeats !== undefined) this.packetLog.write(level, a.repeats, a.message);
        else this.log.log(level, a.message);
        return;
      }
      case 'run-script':
        this.runTrackScript(a.name, a.timeoutMs);
        return;
    }
  }

  /** POST /instances/NAME/handover or /release: checked against the engine, then fed to it. */
  private handoverRequest(r: HandoverRequest): HandoverAnswer {
    if (r.action === 'release') {
      if (!this.engine.handoverActive(r.instance))
        return { code: 409, body: { error: `no handover under way or held for ${r.instance}` } };
      this.feed({ type: 'handover-release', instance: r.instance });
      return { code: 200, body: { instance: r.instance, released: true } };
    }
    const why = this.engine.handoverRefusal(r.instance, r.to);
    if (why !== undefined) return { code: why.startsWith('no instance') ? 404 : 409, body: { error: why } };
    this.log.info(
      `(${r.instance}) planned handover requested${r.to !== undefined ? ` to ${r.to}` : ''}${r.holdMs !== undefined ? `, hold ${r.holdMs / 1000} s` : ''}`,
    );
    this.feed({
      type: 'handover',
      instance: r.instance,
      ...(r.to !== undefined ? { to: r.to } : {}),
      ...(r.holdMs !== undefined ? { holdMs: r.holdMs } : {}),
    });
    const snap = this.engine.snapshot().instances.find((i) => i.name === r.instance);
    const h = snap?.handover;
    return {
      code: 202,
      body: {
        instance: r.instance,
        phase: h?.phase ?? 'unknown',
        ...(snap?.syncGroup !== undefined ? { syncGroup: snap.syncGroup } : {}),
        ...(h !== undefined ? { deadlineInMs: Math.round(h.deadline - h.requestedAt) } : {}),
      },
    };
  }

  /** A handover step the engine reported: /events and the counter (the engine logged it already). */
  private handoverEvent(r: HandoverReport): void {
    this.status?.event({
      type: 'handover',
      instance: r.instance,
      outcome: r.outcome,
      ...(r.to !== undefined ? { to: r.to } : {}),
      ...(r.newMaster !== undefined ? { newMaster: r.newMaster } : {}),
      ...(r.durationMs !== undefined ? { durationMs: Math.round(r.durationMs * 1000) / 1000 } : {}),
      reason: r.reason,
    });
  }

  private takeoverDetail(a: Extract<Action, { type: 'state-change' }>): { takeover?: TransitionTakeover } {
    const takeover =
      a.from === 'BACKUP' && a.to === 'MASTER' ? this.failover.transitionDetail(a.instance) : undefined;
    return takeover !== undefined ? { takeover } : {};
  }

  /** Instances whose advert source is the interface's primary address (no unicast_src_ip). */
  private readonly autoSources = new Set<string>();

  /** The instances of the configuration before the last reload: what a reload removes (a VIP, a route,
   * a whole instance) is described there only. */
  private retired: ReadonlyMap<string, InstanceSetup> = new Map();

  private instance(name: string): InstanceSetup | undefined {
    return this.setup.instances.get(name);
  }

  /** Where an instance's VIPs live: the address's own dev, else the VMAC, else the interface. */
  private vipDevice(inst: InstanceSetup, vip: IpAddressSpec): string {
    return vip.dev ?? inst.vmacName ?? inst.spec.interface;
  }

  private enqueue(what: string, op: () => Promise<void>): void {
    this.kernelQueue = this.kernelQueue.then(op).catch((e: unknown) => {
      this.log.error(`${what}: ${(e as Error).message}`);
    });
  }

  private changeAddresses(instance: string, addresses: string[], add: boolean): void {
    // A reload that drops a VIP (or a whole instance) removes what only the old configuration describes.
    const places = [this.instance(instance), add ? undefined : this.retired.get(instance)];
    const left = new Set(addresses);
    for (const inst of places) {
      if (inst === undefined) continue;
      const vips = [...inst.vips, ...inst.excluded].filter((v) => left.has(v.address));
      for (const vip of vips) {
        const req = addressRequest(vip, this.vipDevice(inst, vip));
        this.address(add, req, `(${instance}) ${add ? 'adding' : 'removing'} ${req.address}`);
      }
      for (const vip of vips) left.delete(vip.address);
    }
  }

  /** The firewall of the configuration, if it asks for one (vrrp/firewall/settings.ts). */
  private openFirewall(): void {
    const settings = firewallSettings(this.model);
    if (settings === undefined) return;
    if (settings.impliedBy !== undefined) this.log.info(settings.impliedBy);
    try {
      this.firewall = VrrpFirewall.open(settings, this.log);
    } catch (e) {
      this.log.error(`nftables: cannot open the netfilter socket: ${(e as Error).message}`);
    }
  }

  /** Adds or removes an instance's VIPs in the firewall's drop sets (none for an owner or accept mode). */
  private changeFirewall(instance: string, vips: readonly { address: string }[], add: boolean): void {
    const firewall = this.firewall;
    const modelInstance = this.model.instances.find((i) => i.name === instance);
    if (firewall === undefined || modelInstance === undefined || !dropsVipTraffic(modelInstance)) return;
    const wanted = new Set(vips.map((v) => v.address));
    const addresses = firewallAddresses(
      modelInstance,
      firewall.settings,
      this.instance(instance)?.vmacName,
    ).filter((f) => wanted.has(f.address));
    this.log.debug(`(${instance}) ${add ? 'setting' : 'removing'} firewall drop rule`);
    this.enqueue(`(${instance}) nftables`, () =>
      add
        ? firewall.add(instance, addresses, (dev) => this.host.link(dev)?.index)
        : firewall.remove(instance, addresses),
    );
  }

  private changeRoutes(instance: string, routes: readonly RouteSpec[], add: boolean): void {
    const inst = this.instance(instance) ?? (add ? undefined : this.retired.get(instance));
    if (inst === undefined) return;
    for (const r of routes) {
      const req = routeRequest(r, inst.vmacName ?? inst.spec.interface);
      this.route(add, req, `(${instance}) ${add ? 'adding' : 'removing'} route ${req.dst}`);
    }
  }

  private changeRules(instance: string, rules: readonly RuleSpec[], add: boolean): void {
    for (const r of rules) {
      this.rule(add, ruleRequest(r), `(${instance}) ${add ? 'adding' : 'removing'} rule`);
    }
  }

  private sendGarp(instance: string, family: 4 | 6, addresses: string[]): void {
    const inst = this.instance(instance);
    if (inst === undefined) return;
    // Announce after the addresses are in place, from the device (and MAC) that holds each of them.
    this.enqueue(`(${instance}) announcing`, async () => {
      for (const address of addresses) {
        // excluded addresses are announced too, from their own device
        const vip = [...inst.vips, ...inst.excluded].find((v) => v.address === address);
        const link = this.host.link(vip ? this.vipDevice(inst, vip) : inst.spec.interface);
        if (link === undefined || link.mac === undefined || !link.up) continue;
        try {
          this.announcer.announce(link.index, link.mac, family, [address]);
          this.failover.announced(instance);
          this.log.debug(
            family === 4
              ? `Sending gratuitous ARP on ${link.name} for ${address}`
              : `Sending unsolicited Neighbour Advert on ${link.name} for ${address}`,
          );
        } catch (e) {
          this.log.warn(
            `(${instance}) gratuitous ${family === 4 ? 'ARP' : 'NA'} for ${address}: ${(e as Error).message}`,
          );
        }
      }
    });
  }

  private notifySpec(name: string, kind: 'INSTANCE' | 'GROUP'): NotifySpec | undefined {
    if (kind === 'INSTANCE') return this.instance(name)?.spec.notify;
    return this.spec.syncGroups.find((g) => g.name === name)?.notify;
  }

  /** notify_master_rx_lower_pri's call is no state change: keepalived runs only that script for it. */
  private isRxLowerPriNotify(a: Extract<Action, { type: 'notify' }>): boolean {
    const script = this.instance(a.name)?.spec.notify.masterRxLowerPri;
    return (
      script !== undefined &&
      a.state === 'MASTER' &&
      a.scripts.length === 1 &&
      a.scripts[0] === script &&
      this.lastNotified.get(a.name) === 'MASTER'
    );
  }

  private runNotify(a: Extract<Action, { type: 'notify' }>): void {
    if (a.event !== undefined) {
      for (const script of a.scripts) void this.notifier.run(script);
      this.notifier.writeFifos(`${a.kind} "${a.name}" ${a.event} ${a.priority}\n`);
      return;
    }
    this.smtpAlerts?.notify(a.kind, a.name, a.state);
    this.snmp?.stateChanged(a.kind, a.name, a.state);
    if (a.kind === 'INSTANCE' && !this.isRxLowerPriNotify(a)) {
      this.lastNotified.set(a.name, a.state);
      this.dbus?.stateChanged(a.name, a.state);
    }
    const n = this.notifySpec(a.name, a.kind);
    if (n === undefined) return;
    const specific =
      a.state === 'MASTER'
        ? n.master
        : a.state === 'BACKUP'
          ? n.backup
          : a.state === 'FAULT'
            ? n.fault
            : a.state === 'STOP'
              ? n.stop
              : undefined;
    this.notifier.notify(a.kind, a.name, a.state, a.priority, specific, n.generic);
  }

  private runTrackScript(name: string, timeoutMs: number): void {
    const script = this.spec.scripts.find((s) => s.name === name);
    if (script?.command === undefined) {
      this.feed({ type: 'script-result', name, ok: false });
      return;
    }
    // `user USER [GROUP]` (the config layer removed the script if they do not exist)
    const [userName, group] = script.user?.split(/\s+/) ?? [];
    const user = userName !== undefined ? lookupUser(userName, group) : undefined;
    void this.notifier.run(script.command, [], timeoutMs, user).then((r) => {
      if (this.stopping) return;
      this.feed({
        type: 'script-result',
        name,
        ok: r.code === 0,
        ...(r.code !== undefined ? { exitStatus: r.code } : {}),
      });
    });
  }

  private onHostChanges(changes: HostChange[]): void {
    if (changes.length > 0 && this.refreshSourceAddresses()) this.io.sourcesChanged();
    if (changes.length > 0) this.clock?.invalidate();
    if (changes.some((c) => c.kind === 'link')) this.io.refreshSockets();
    for (const c of changes) {
      if (c.kind === 'link') this.links.change(c.name, c.up);
      else if (c.kind === 'address-removed') this.reinstate(c.ifname, c.address);
      else if (c.kind === 'resync') {
        void this.host.load(this.rtnl).then(() => {
          for (const l of this.host.allLinks()) this.links.change(l.name, l.up);
        });
      }
    }
  }

  /** Someone deleted a VIP a MASTER holds: the engine leaves MASTER and comes back at once, as keepalived
   * does (set_vrrp_backup), unless the address line says no_track. */
  private reinstate(ifname: string, address: string): void {
    if (this.stopping) return;
    const snap = this.engine.snapshot();
    for (const inst of this.setup.instances.values()) {
      const name = inst.spec.name;
      if (snap.instances.find((s) => s.name === name)?.state !== 'MASTER') continue;
      const vip = inst.vips.find((v) => v.address === address && this.vipDevice(inst, v) === ifname);
      if (vip === undefined || vip.noTrack) continue;
      this.feed({ type: 'vip-removed', instance: name, address });
    }
  }

  /** keepalived's use_vmac: a private-mode macvlan with the virtual router MAC holds the VIPs (vmac.ts). */
  private async createVmacs(): Promise<void> {
    for (const inst of this.setup.instances.values()) {
      const name = inst.vmacName;
      if (name === undefined) continue;
      try {
        const { created, undo } = await setUpVmac(this.rtnl, this.host, inst);
        if (created) this.createdVmacs.push(name);
        this.vmacUndo.push(...undo);
      } catch (e) {
        this.log.error(
          `(${inst.spec.name}) cannot create VMAC ${name} on ${inst.spec.interface}: ${(e as Error).message}`,
        );
      }
    }
  }

  /** The firewall's VMAC objects (multicast reports out of the base interface, router solicitations
   * dropped), for each VMAC, in the families it serves: its own, and the other one when it has excluded
   * VIPs of it; none for IPv4 with disable_local_igmp (vrrp_vmac.c, netlink_link_add_vmac). */
  private async addVmacsToFirewall(): Promise<void> {
    const firewall = this.firewall;
    if (firewall === undefined) return;
    for (const inst of this.setup.instances.values()) {
      const vmac = inst.vmacName === undefined ? undefined : this.host.link(inst.vmacName);
      const base = this.host.link(inst.spec.interface);
      if (vmac === undefined || base === undefined) continue;
      if (inst.spec.family === 4 && this.localIgmpSaved !== undefined) continue;
      const own: FirewallFamily = inst.spec.family === 4 ? 'ip' : 'ip6';
      const other: FirewallFamily = own === 'ip' ? 'ip6' : 'ip';
      const families = inst.excluded.some((a) => a.family !== inst.spec.family) ? [own, other] : [own];
      // before the first state is entered, as keepalived creates them with the VMAC
      await firewall.addVmac({ ifindex: vmac.index, base: base.index, families }).catch((e: unknown) => {
        this.log.error(`(${inst.spec.name}) nftables VMAC: ${(e as Error).message}`);
      });
    }
  }

  /** disable_local_igmp: no IGMP reports for link-local groups (the VRRP group among them) while we run;
   * the sysctl is put back at stop if we changed it (vrrp_daemon.c, set_disable_local_igmp). */
  private async disableLocalIgmp(): Promise<void> {
    if (!this.model.global.disableLocalIgmp) return;
    try {
      const previous = await writeSysctl(LOCAL_IGMP_REPORTS, 0);
      if (previous === '1') this.localIgmpSaved = previous;
      else this.localIgmpSaved = '';
    } catch (e) {
      this.log.info(`Unable to write ${LOCAL_IGMP_REPORTS} - ${(e as Error).message}`);
    }
  }

  /** static_ipaddress / static_routes / static_rules: set at start whatever the VRRP state, removed at stop. */
  private applyStatic(add: boolean): void {
    const g = this.model.global;
    for (const a of this.model.staticAddresses) {
      const req = addressRequest(a, a.dev ?? g.defaultInterface);
      this.address(add, req, `static address ${req.address}`);
    }
    for (const r of this.model.staticRoutes) {
      const req = routeRequest(r, g.defaultInterface);
      this.route(add, req, `static route ${req.dst}`);
    }
    for (const r of this.model.staticRules) this.rule(add, ruleRequest(r), 'static rule');
  }

  /** Adds or removes one address; "already there" / "already gone" is the state we wanted. */
  private address(add: boolean, req: ClientAddressSpec, what: string): void {
    this.enqueue(what, async () => {
      try {
        if (add) await this.rtnl.addAddress(req);
        else await this.rtnl.deleteAddress(req);
      } catch (e) {
        if (e instanceof RtnetlinkError && (e.code === 'EEXIST' || e.code === 'EADDRNOTAVAIL')) return;
        throw e;
      }
    });
  }

  private route(add: boolean, req: ClientRouteSpec, what: string): void {
    this.enqueue(what, async () => {
      try {
        if (add) await this.rtnl.addRoute(req, { replace: true });
        else await this.rtnl.deleteRoute(req);
      } catch (e) {
        if (e instanceof RtnetlinkError && (e.code === 'EEXIST' || e.code === 'ESRCH')) return;
        throw e;
      }
    });
  }

  private rule(add: boolean, req: NetlinkRule, what: string): void {
    this.enqueue(what, async () => {
      try {
        if (add) await this.rtnl.addRule(req);
        else await this.rtnl.deleteRule(req);
      } catch (e) {
        if (e instanceof RtnetlinkError && (e.code === 'EEXIST' || e.code === 'ENOENT')) return;
        throw e;
      }
    });
  }

  /** A previous run that crashed may have left VIPs behind: remove them before the first election. */
  private async removeStaleAddresses(): Promise<void> {
    for (const inst of this.setup.instances.values()) {
      for (const vip of inst.vips) {
        const dev = this.vipDevice(inst, vip);
        if (!this.host.hasAddress(dev, vip.address)) continue;
        this.log.info(`(${inst.spec.name}) removing stale address ${vip.address} from ${dev}`);
        try {
          await this.rtnl.deleteAddress(addressRequest(vip, dev));
        } catch (e) {
          this.log.warn(`(${inst.spec.name}) cannot remove stale ${vip.address}: ${(e as Error).message}`);
        }
      }
    }
  }

  /** keepalived's DATA, STATS, STATS_CLEAR and JSON signals: /tmp/keepalived.{data,stats,json}. */
  dump(kind: 'data' | 'stats' | 'stats-clear' | 'json' = 'data', via: 'signal' | 'dbus' = 'signal'): void {
    if (this.engine === undefined) return;
    // a DBus request has its own log line
    if (via === 'signal')
      this.log.info(
        kind === 'data'
          ? `Printing VRRP data for process(${process.pid}) on signal`
          : kind === 'json'
            ? `Printing VRRP as json for process(${process.pid}) on signal`
            : `Printing ${kind === 'stats-clear' ? 'and clearing ' : ''}VRRP stats for process(${process.pid}) on signal`,
      );
    const snap = this.engine.snapshot();
    const g = this.model.global;
    const naming = dumpNaming(this.options, g);
    const [path, text] =
      kind === 'data'
        ? [
            dumpFile(DATA_FILE, naming),
            formatData(snap, this.setup, { routerId: g.routerId, defaultInterface: g.defaultInterface }),
          ]
        : kind === 'json'
          ? [
              tmpFile(JSON_FILE),
              formatJson(snap, this.setup, {
                version: g.jsonVersion,
                trackProcesses: this.model.trackProcesses,
                processStates: this.trackers?.processStates(),
              }),
            ]
          : [tmpFile(STATS_FILE), formatStats(snap, this.setup)];
    try {
      // keepalived creates these 0600 (its umask 0177): they show the configuration.
      writeFileSync(path, text, { mode: 0o600 });
    } catch (e) {
      this.log.error(`cannot write ${path}: ${(e as Error).message}`);
    }
    if (kind === 'stats-clear') this.engine.clearCounters();
  }

  async reload(): Promise<void> {
    // keepalived reloads with normal scheduling: a long parse must not hit RLIMIT_RTTIME.
    this.processControl.reset();
    const model = this.config.reload();
    if (model === undefined) {
      this.processControl.reapply();
      return;
    }
    const setup = vrrpSetupFromModel(model);
    this.model = model;
    const sockets = { command: this.rtnl, monitor: this.subscription };
    applyNetlinkBuffers(sockets, vrrpNetlinkBuffers(model.global), this.log);
    this.smtpAlerts?.reload(this.model);
    this.snmp?.reload(this.model);
    this.links.setDelays(this.linkDelays(setup.engine));
    setup.engine.linksDown = this.linksDown();
    this.fillSourceAddresses(setup.engine);
    this.retired = this.setup.instances;
    this.setup = setup;
    this.io.reconfigure(this.setup);
    await this.promoteSecondaries.apply(this.setup.instances.values());
    this.trackers?.stop();
    this.trackers = new TrackerPoller(this.model, (ev) => this.feed(ev));
    this.trackers.start();
    this.feed({ type: 'reload', spec: this.spec });
    this.configureDbus(true);
    await this.configureStatus();
    this.applyProcessSettings();
  }

  /** SIGTERM: priority-0 adverts, VIPs released, notify_stop, then everything closed. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    // keepalived's STOP alerts never leave (it exits first): refuse new ones, give queued ones a second.
    const mails = this.smtpAlerts?.close(1000);
    const listener = this.status?.close();
    // -V / --dont-release-vrrp: the VIPs stay where they are when the daemon stops.
    this.keepVipsOnStop = this.options.dontReleaseVrrp;
    this.feed({ type: 'shutdown' });
    this.stopping = true;
    this.trackers?.stop();
    this.links.close();
    this.applyStatic(false);
    await this.kernelQueue;
    this.firewall?.close();
    await this.syncDaemon?.stop();
    await this.notifier.drain(SHUTDOWN_SCRIPT_WAIT_MS);
    this.fifos?.close();
    await mails;
    await this.snmp?.close();
    await this.dbus?.close();
    await listener;
    for (const name of this.createdVmacs) await this.rtnl.deleteLink(name).catch(() => undefined);
    await applyInterfaceSettings(this.vmacUndo).catch(() => undefined);
    await this.promoteSecondaries.restore();
    if (this.localIgmpSaved === '1')
      await writeSysctl(LOCAL_IGMP_REPORTS, 1).catch((e: unknown) => {
        this.log.info(`Unable to write ${LOCAL_IGMP_REPORTS} - ${(e as Error).message}`);
      });
    this.clock?.close();
    this.trace?.write();
    this.io.close();
    this.packetLog.close();
    this.announcer.closeAll();
    this.subscription?.close();
    this.rtnl.close();
    removePidFile(this.options.vrrpPidFile);
  }
}
