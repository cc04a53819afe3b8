// The VRRP child: the pure engine meets the kernel here. Packets from the raw sockets are decoded and
// validated, then fed to the engine with the monotonic time; the engine's actions become adverts on the
// wire, addresses, routes and rules through rtnetlink, gratuitous ARP / NA frames, notify scripts and log
// lines. EngineClock wakes the engine at its next deadline and sends periodic adverts on time.
import { LinkDebounce } from './link-debounce.js';
import { linkDelays, type LinkDelays } from '../../vrrp/link-delays.js';
import { systemUptimeS } from '../../system/uptime.js';
import { cpus } from 'node:os';
import type { DaemonOptions } from '../process/options.js';
import { ConfigFile } from '../process/config-file.js';
import type { Model } from '../../config/index.js';
import { withoutInterfaceRefusal } from '../../config/model/vrrp/finalize.js';
import { Rtnetlink, subscribe, type Subscription } from '../../net/netlink/rtnetlink.js';
import type { AddressInfo } from '../../net/netlink/rtnl-addr.js';
import { StartRefused } from '../process/child.js';
import { EXIT_CONFIG } from '../process/respawn-policy.js';
import { monotonicNowNs } from '../../net/precise-timer.js';
import { Engine, type Action } from '../../vrrp/engine/engine.js';
import { vrrpSetupFromModel, type VrrpSetup } from '../../vrrp/from-model.js';
import type { EngineSpec } from '../../vrrp/engine/spec.js';
import { nsToMs } from '../../common/units.js';
import { Announcer } from '../../net/announce.js';
import { HostState, type HostChange } from './host-state.js';
import { PromoteSecondaries } from './promote-secondaries.js';
import type { Logger } from '../process/log.js';
import { Notifier, scriptPolicy, withRunnableScripts } from '../process/notifier.js';
import { NotifyFifos, notifyFifoSpecs } from '../process/notify-fifos.js';
import { ProcessControl, processSettings } from '../process/process-settings.js';
import { removePidFile, writePidFile } from '../process/pidfile.js';
import { VrrpSmtpAlerts } from '../alerts/vrrp-alerts.js';
import { RateLimitedLog } from '../process/rate-limited-log.js';
import { AdvertIo } from './advert-io.js';
import { KernelQueue } from './kernel-queue.js';
import { InstanceKernelObjects } from './instance-kernel-objects.js';
import { AutoSourceAddresses } from './source-addresses.js';
import { StateNotifications } from './state-notifications.js';
import { VmacAndIgmp } from './vmac-and-igmp.js';
import { answerHandover, handoverEventBody } from './handover-requests.js';
import { TrackerPoller } from './tracker-poller.js';
import { applyNetlinkBuffers, vrrpNetlinkBuffers } from '../process/netlink-buffers.js';
import { vrrpDataText, writeVrrpDump, type DumpKind } from './dump-signal.js';
import { ConfigSaves } from '../process/config-save.js';
import { AdvertTrace } from './advert-trace.js';
import { EngineClock } from './engine-clock.js';
import { LateTimers } from './late-timers.js';
import { LinkbeatPoller, polledFromModel, trackedInterfaces } from './linkbeat.js';
import { runTrackScript } from './track-scripts.js';
import { FailoverReporter, type TransitionTakeover } from './failover-reporter.js';
import { LvsSyncDaemonControl } from '../lb/lvs-sync-daemon.js';
import { firewallSettings } from '../../vrrp/firewall/settings.js';
import { VrrpFirewall } from './firewall.js';
import type { VrrpSnmp } from './vrrp-snmp.js';
import { servedMibs, servesAnything, snmpSwitches } from '../../snmp/mib/switches.js';
import type { VrrpDbus } from './vrrp-dbus.js';
import { hostInterfaces } from './snmp-interfaces.js';
import type { StatusService } from './status-service.js';
import { VERSION } from '../../common/version.js';
import {
  trackerEffects,
  trackerOf,
  type InstancePriority,
  type TrackedObject,
} from '../../api/tracker-events.js';

const SHUTDOWN_SCRIPT_WAIT_MS = 5000;

// Loaded only when a configuration asks for them: dbus-next and prom-client weigh about half of this
// child's start-up (module loading), which every start and respawn pays.
let dbusModule: typeof import('./vrrp-dbus.js') | undefined;
let statusModule: typeof import('./status-service.js') | undefined;
let snmpModule: typeof import('./vrrp-snmp.js') | undefined;
async function loadOptionalParts(model: Model, snmpOption?: boolean): Promise<void> {
  if (model.global.enableDbus) dbusModule ??= await import('./vrrp-dbus.js');
  if (model.statusHttp !== undefined) statusModule ??= await import('./status-service.js');
  // the subagent is started once (keepalived's too): only the start asks
  if (
    snmpOption !== undefined &&
    servesAnything(servedMibs(snmpSwitches(model.global, snmpOption), 'vrrp', false))
  )
    snmpModule ??= await import('./vrrp-snmp.js');
}
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
  /** use_vmac and disable_local_igmp: what is set up before the first election and undone at stop. */
  private hostSetup!: VmacAndIgmp;
  /** promote_secondaries: the interfaces we switched it on for, switched off at stop. */
  private readonly promoteSecondaries: PromoteSecondaries;
  /** Kernel operations are applied in order, one chain, so that add and remove never race. */
  private kernel!: KernelQueue;
  /** The kernel side of the engine's actions: VIPs, routes, rules, GARP, static objects. */
  private objects!: InstanceKernelObjects;
  private stopping = false;
  private readonly configSaves: ConfigSaves;
  private keepVipsOnStop = false;
  /** status_http: the listener and its event history (absent until a configuration has the block). */
  private status: StatusService | undefined;
  private readonly startedAt = new Date().toISOString();
  /** Takeover timing and split brain: the log, and the status listener when there is one. */
  private readonly failover: FailoverReporter;
  /** Instances whose advert source is the interface's primary address (no unicast_src_ip). */
  private readonly autoSources: AutoSourceAddresses;
  /** KTS_ADVERT_TRACE: advert timing diagnostics (bench/vrrp-jitter.ts). */
  private readonly trace = AdvertTrace.fromEnv();

  private readonly config: ConfigFile;
  /** Per-packet log lines (bad adverts), a few of each kind a second. */
  private readonly packetLog: RateLimitedLog;

  constructor(
    private readonly options: DaemonOptions,
    private readonly log: Logger,
  ) {
    this.config = new ConfigFile(options, log, withRunnableScripts('vrrp', log));
    this.packetLog = new RateLimitedLog(log);
    this.processControl = new ProcessControl('VRRP', log);
    this.promoteSecondaries = new PromoteSecondaries(log);
    this.autoSources = new AutoSourceAddresses(this.host, log, (instance, present) =>
      this.feed({ type: 'source-address', instance, present }),
    );
    this.lateTimers = new LateTimers(
      log,
      (priority) => this.raiseRealtime(priority),
      (ev) => this.feed(ev),
    );
    this.configSaves = new ConfigSaves('vrrp', log);
    this.links = new LinkDebounce(
      new Map(),
      (ifname, up) => {
        this.feed({ type: 'link', ifname, up, ...(this.linkbeat?.polls(ifname) ? { via: 'linkbeat' } : {}) });
        if (up && !this.stopping) this.objects.reinstateStatic(ifname);
      },
      log,
    );
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
  private readonly notifications = new StateNotifications({
    setup: () => this.setup,
    notifier: () => this.notifier,
    smtpAlerts: () => this.smtpAlerts,
    snmp: () => this.snmp,
    dbus: () => this.dbus,
  });

  async start(): Promise<void> {
    this.model = this.config.load();
    // keepalived (vrrp.c chk_min_cfg) runs an instance without an interface only with unicast peers and
    // unicast_src_ip: otherwise its VRRP child exits with a configuration error, and the daemon with it.
    const refusal = this.model.instances.map(withoutInterfaceRefusal).find((r) => r !== undefined);
    if (refusal !== undefined) throw new StartRefused(refusal, EXIT_CONFIG);
    writePidFile(this.options.vrrpPidFile);
    // vrrp_delay_after_boot counts from boot: what is left of it is known only now
    this.setup = vrrpSetupFromModel(this.model, { uptimeS: systemUptimeS() });
    const g = this.model.global;
    const checkerRunning =
      !this.options.vrrpOnly && (this.model.virtualServers.length > 0 || this.options.runAll);
    this.fifos = new NotifyFifos(notifyFifoSpecs(g, 'vrrp', checkerRunning, this.log), this.log);
    this.notifier = new Notifier(this.log, scriptPolicy(g), this.fifos);
    this.fifos.start(this.notifier, 'vrrp');
    this.smtpAlerts = new VrrpSmtpAlerts(this.model, this.log);
    this.syncDaemon = LvsSyncDaemonControl.create(
      g.lvsSyncDaemon,
      (name) => this.spec.instances.find((i) => i.name === name)?.vrid,
      this.log,
      g.netNamespaceIpvs,
    );
    this.syncDaemon?.start();

    this.applyProcessSettings();
    this.openFirewall();
    this.rtnl = await Rtnetlink.open();
    this.kernel = new KernelQueue(this.rtnl, this.log);
    this.hostSetup = new VmacAndIgmp(this.rtnl, this.host, this.log);
    this.objects = new InstanceKernelObjects({
      model: () => this.model,
      setup: () => this.setup,
      firewall: () => this.firewall,
      kernel: this.kernel,
      rtnl: this.rtnl,
      host: this.host,
      announcer: this.announcer,
      failover: this.failover,
      log: this.log,
    });
    await this.host.load(this.rtnl);
    if (this.options.addressMonitoring) await this.reportAddresses();
    if (g.disableLocalIgmp) await this.hostSetup.disableLocalIgmp();
    await this.hostSetup.createVmacs(this.setup.instances.values());
    await this.promoteSecondaries.apply(this.setup.instances.values());
    await this.host.load(this.rtnl);
    await this.hostSetup.addVmacsToFirewall(this.firewall, this.setup.instances.values());
    await this.objects.removeStaleAddresses();
    this.objects.applyStatic(true);

    this.links.setDelays(this.linkDelays());
    this.links.init(this.host.allLinks());
    this.subscription = subscribe(
      (e) => {
        if (this.options.addressMonitoring && e.kind === 'address' && e.origin !== this.rtnl.portId)
          this.reportAddress(e.address, !e.removed);
        this.onHostChanges(this.host.apply(e));
      },
      {
        onError: (err) => this.log.warn(`netlink: ${err.message}`),
      },
    );
    applyNetlinkBuffers({ command: this.rtnl, monitor: this.subscription }, vrrpNetlinkBuffers(g), this.log);
    this.spec.linksDown = this.linksDown();
    this.reportMissingInterfaces(this.spec);
    this.autoSources.fill(this.spec);
    this.linkbeat = new LinkbeatPoller(this.rtnl, this.log, (ifname, up) => this.links.change(ifname, up));
    this.configureLinkbeat(this.spec);
    // Periodic adverts are armed: the clock sends them on time (a native thread) and reports each one.
    this.engine = new Engine(this.spec, { periodicAdverts: 'arm' });
    this.io = new AdvertIo(this.host, this.log, this.packetLog, (ev) => this.feed(ev), this.setup);
    this.io.open();
    this.clock = new EngineClock(this.io, {
      onTimer: (deadlineNs) => {
        this.lateTimers.check(deadlineNs);
        this.feed({ type: 'timer' }, deadlineNs);
      },
      // an armed advert left: the engine hears of it with the time it left
      onSent: (instance, sentAtNs, send) => {
        if (send !== undefined) this.lateTimers.check(send.deadlineNs);
        const at = this.clock?.eventTime(nsToMs(sentAtNs)) ?? nsToMs(sentAtNs);
        this.handle(at, { type: 'advert-sent', instance }, send?.deadlineNs, sentAtNs);
      },
    });
    this.trackers = new TrackerPoller(this.model, (ev) => this.feed(ev));
    this.trackers.start();
    await loadOptionalParts(this.model, this.options.snmp);
    // keepalived connects its subagent before the first election, so that the first traps leave.
    this.snmp = snmpModule?.VrrpSnmp.create(
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
    this.dbus = dbusModule?.VrrpDbus.create(
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
    if (this.model.statusHttp !== undefined && this.status === undefined && statusModule !== undefined)
      this.status = new statusModule.StatusService(
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
          garpDelayS: (name) => (this.objects.instance(name)?.spec.garp.masterDelayMs ?? 0) / 1000,
          handover: (r) => answerHandover(this.engine, (ev) => this.feed(ev), this.log, r),
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
    const settings = processSettings(this.model.global, 'vrrp', cpus().length);
    this.processControl.apply(settings);
    // max_auto_priority raises the realtime priority from there
    this.lateTimers.configure(this.model.global, this.spec, settings.realtimePriority ?? 0);
    this.raiseRealtime = (priority) => this.processControl.apply({ ...settings, realtimePriority: priority });
  }
  /** Late timers (min_auto_priority_delay, max_auto_priority, timer_expired_backup): late-timers.ts. */
  private readonly lateTimers: LateTimers;
  /** linkbeat: links polled rather than followed through netlink. */
  private linkbeat: LinkbeatPoller | undefined;
  private raiseRealtime: (priority: number) => void = () => undefined;

  /** interface_up_down_delays, cut to what the instances on each interface allow (logged). */
  private linkDelays(spec: EngineSpec = this.spec): Map<string, LinkDelays> {
    const { delays, messages } = linkDelays(this.model.interfaceUpDownDelays, spec.instances);
    for (const m of messages) this.log.info(m);
    return delays;
  }

  /** linkbeat_interfaces / linkbeat_use_polling: which links are polled (linkbeat.ts). */
  private configureLinkbeat(spec: EngineSpec): void {
    const { polled, messages } = polledFromModel(this.model, spec);
    for (const m of messages) this.log.info(m);
    this.linkbeat?.configure(polled, (n) => this.links.up(n) ?? this.host.link(n)?.up ?? false);
  }

  /**
   * Interfaces an instance needs or tracks that this host does not have: the instance waits for them
   * (as with keepalived's dynamic_interfaces; without it keepalived 2.2.7 refuses to run): say so, or
   * the FAULT (or the lower priority) has no reason in the log.
   */
  private reportMissingInterfaces(spec: EngineSpec): void {
    for (const i of spec.instances) {
      if (i.interface !== '' && this.host.link(i.interface) === undefined)
        this.log.warn(
          `(${i.name}) interface ${i.interface} does not exist on this host: FAULT until it appears`,
        );
      for (const name of new Set(i.addressInterfaces))
        if (name !== i.interface && this.host.link(name) === undefined)
          this.log.warn(
            `(${i.name}) interface ${name} of its addresses does not exist on this host: FAULT until it appears`,
          );
      for (const name of new Set(i.trackInterfaces.map((t) => t.ifname)))
        if (name !== i.interface && this.host.link(name) === undefined)
          this.log.warn(
            `(${i.name}) tracked interface ${name} does not exist on this host: down until it appears`,
          );
    }
  }

  /** Links that are down (or missing) now, as the engine's starting view. */
  private linksDown(): string[] {
    const names = trackedInterfaces(this.spec);
    return [...names].filter((n) => !(this.links.up(n) ?? this.host.link(n)?.up ?? false));
  }

  /** One event in, its actions applied, the timer re-armed. */
  feed(event: Parameters<Engine['handle']>[1], deadlineNs?: bigint): void {
    if (this.engine === undefined) return;
    // adverts the native thread already sent come first; a late-timers verdict comes before the JS thread
    // sends the adverts that fell due while it was late (timer_expired_backup may disarm them)
    if (event.type !== 'timers-late') this.clock?.takeSent();
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
    // The step's adverts (and the periodic sender's arming, whose order with them matters) go first, in
    // their order: keepalived sends a new master's advert before anything else, and the rest of a step
    // here (log lines, the status event, scripts started) takes milliseconds, more on a cold path.
    const wire = (a: Action): boolean =>
      a.type === 'send-advert' || a.type === 'arm-periodic-advert' || a.type === 'disarm-periodic-advert';
    for (const a of actions) if (wire(a)) this.apply(a);
    const takeovers = this.failover.step(this.engine.reports());
    for (const r of this.engine.reports())
      if (r.type === 'handover') this.status?.event(handoverEventBody(r));
      else if (r.type === 'advert-error') this.snmp?.advertError(r);
    for (const a of actions) if (!wire(a)) this.apply(a);
    // after the step's addresses and first announcements, in the kernel queue's order
    for (const instance of takeovers)
      this.kernel.enqueue(`(${instance}) takeover timing`, () =>
        Promise.resolve(this.failover.settle(instance)),
      );
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
        if (a.type === 'add-addresses') this.objects.changeFirewall(a.instance, a.addresses, true);
        if (a.continued !== true)
          this.log.info(
            `(${a.instance}) ${a.type === 'add-addresses' ? 'setting' : 'removing'} ${a.excluded ? 'E-VIPs' : 'VIPs'}.`,
          );
        this.objects.changeAddresses(
          a.instance,
          a.addresses.map((v) => v.address),
          a.type === 'add-addresses',
        );
        if (a.type === 'add-addresses')
          this.kernel.enqueue(`(${a.instance}) VIPs`, () =>
            Promise.resolve(this.failover.vipsInstalled(a.instance)),
          );
        if (a.type === 'remove-addresses') this.objects.changeFirewall(a.instance, a.addresses, false);
        return;
      case 'add-routes':
      case 'remove-routes':
        if (a.type === 'remove-routes' && this.keepVipsOnStop) return;
        this.objects.changeRoutes(a.instance, a.routes, a.type === 'add-routes');
        return;
      case 'add-rules':
      case 'remove-rules':
        this.objects.changeRules(a.instance, a.rules, a.type === 'add-rules');
        return;
      case 'send-garp':
        this.objects.sendGarp(a.instance, a.family, a.addresses);
        return;
      case 'notify':
        this.notifications.run(a);
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
        runTrackScript(
          this.spec.scripts.find((s) => s.name === a.name),
          a.name,
          a.timeoutMs,
          this.notifier,
          (ev) => {
            if (!this.stopping) this.feed(ev);
          },
        );
        return;
    }
  }

  private takeoverDetail(a: Extract<Action, { type: 'state-change' }>): { takeover?: TransitionTakeover } {
    const takeover =
      a.from === 'BACKUP' && a.to === 'MASTER' ? this.failover.transitionDetail(a.instance) : undefined;
    return takeover !== undefined ? { takeover } : {};
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

  private onHostChanges(changes: HostChange[]): void {
    // addresses only added (our own VIPs, mostly) change no prepared advert unless a source appeared
    const onlyAdded = changes.every((c) => c.kind === 'address-added');
    const moved = changes.length > 0 && this.autoSources.refresh(this.spec, onlyAdded);
    if (moved) this.io.sourcesChanged();
    if (moved || (changes.length > 0 && !onlyAdded)) this.clock?.invalidate();
    if (changes.some((c) => c.kind === 'link')) this.io.refreshSockets();
    for (const c of changes) {
      if (c.kind === 'link') {
        if (!this.linkbeat?.polls(c.name)) this.links.change(c.name, c.up);
      } else if (c.kind === 'address-removed') this.reinstate(c.ifname, c.address);
      else if (c.kind === 'resync') {
        void this.host.load(this.rtnl).then(() => {
          for (const l of this.host.allLinks())
            if (!this.linkbeat?.polls(l.name)) this.links.change(l.name, l.up);
        });
      }
    }
  }

  /** Someone deleted a VIP a MASTER holds: the engine leaves MASTER and comes back at once, as keepalived
   * does (set_vrrp_backup), unless the address line says no_track. */
  private reinstate(ifname: string, address: string): void {
    if (this.stopping) return;
    this.objects.reinstateDeletedStatic(ifname, address);
    const snap = this.engine.snapshot();
    for (const inst of this.setup.instances.values()) {
      const name = inst.spec.name;
      if (snap.instances.find((s) => s.name === name)?.state !== 'MASTER') continue;
      const vip = inst.vips.find((v) => v.address === address && this.objects.vipDevice(inst, v) === ifname);
      if (vip === undefined || vip.noTrack) continue;
      this.feed({ type: 'vip-removed', instance: name, address });
    }
  }

  /** keepalived's DATA, STATS, STATS_CLEAR and JSON signals: /tmp/keepalived.{data,stats,json}. */
  dump(kind: DumpKind = 'data', via: 'signal' | 'dbus' = 'signal'): void {
    if (this.engine === undefined) return;
    writeVrrpDump(kind, via, this.engine.snapshot(), this.setup, this.model, this.options, this.log, {
      processStates: this.trackers?.processStates(),
    });
    if (kind === 'stats-clear') this.engine.clearCounters();
  }

  /** -a: the addresses this host has at start, as keepalived's first address dump reports them. */
  private async reportAddresses(): Promise<void> {
    for (const a of await this.rtnl.listAddresses()) this.reportAddress(a, true);
  }

  /** -a: an address change someone else made (the changes this process asks for are not reported, as
   * keepalived's reflector skips its own command channel's). */
  private reportAddress(a: AddressInfo, added: boolean): void {
    const link = this.host.linkByIndex(a.ifindex);
    if (link === undefined) return;
    this.log.info(
      `Netlink reflector reports IP ${a.address} ${added ? 'added to' : 'removed from'} ${link.name}`,
    );
  }

  async reload(): Promise<void> {
    // keepalived reloads with normal scheduling: a long parse must not hit RLIMIT_RTTIME.
    this.processControl.reset();
    this.saveConfig('before');
    const model = this.config.reload();
    if (model === undefined) {
      this.processControl.reapply();
      return;
    }
    const setup = vrrpSetupFromModel(model);
    const before = model.global.fifoWriteVrrpStatesOnReload ? this.engine?.snapshot() : undefined;
    this.model = model;
    const sockets = { command: this.rtnl, monitor: this.subscription };
    applyNetlinkBuffers(sockets, vrrpNetlinkBuffers(model.global), this.log);
    this.notifier.setPolicy(scriptPolicy(model.global));
    this.smtpAlerts?.reload(this.model);
    this.snmp?.reload(this.model);
    this.links.setDelays(this.linkDelays(setup.engine));
    setup.engine.linksDown = this.linksDown();
    this.reportMissingInterfaces(setup.engine);
    this.autoSources.fill(setup.engine);
    this.configureLinkbeat(setup.engine);
    this.objects.retire(this.setup.instances);
    this.setup = setup;
    // VMACs the new configuration adds are there before its sockets and addresses need them
    await this.hostSetup.createVmacs(this.setup.instances.values());
    await this.host.load(this.rtnl);
    this.io.reconfigure(this.setup);
    await this.promoteSecondaries.apply(this.setup.instances.values());
    this.trackers?.stop();
    this.trackers = new TrackerPoller(this.model, (ev) => this.feed(ev));
    this.trackers.start();
    this.feed({ type: 'reload', spec: this.spec });
    // after the addresses the reload removes (queued by the engine's actions) are gone
    const instances = [...this.setup.instances.values()];
    this.kernel.enqueue('unused VMACs', () => this.hostSetup.removeUnused(instances));
    if (before !== undefined && this.engine !== undefined)
      this.notifications.statesAfterReload(before, this.engine.snapshot());
    await loadOptionalParts(this.model);
    this.configureDbus(true);
    await this.configureStatus();
    this.applyProcessSettings();
    this.saveConfig('after');
  }

  /** config_save_dir: the DATA dump of the running configuration, before and after a reload. */
  private saveConfig(when: 'before' | 'after'): void {
    if (this.engine === undefined) return;
    const engine = this.engine;
    this.configSaves[when](this.model.global.configSaveDir, () =>
      vrrpDataText(engine.snapshot(), this.setup, this.model),
    );
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
    this.linkbeat?.stop();
    this.links.close();
    this.objects.applyStatic(false);
    await this.kernel.idle();
    this.firewall?.close();
    await this.syncDaemon?.stop();
    await this.notifier.drain(SHUTDOWN_SCRIPT_WAIT_MS);
    this.fifos?.close();
    await mails;
    await this.snmp?.close();
    await this.dbus?.close();
    await listener;
    await this.hostSetup.undo();
    await this.promoteSecondaries.restore();
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
