// The checker child: keepalived's health checkers against the real servers of every virtual server, and
// the load-balancing table they keep. The pure scheduler decides, the probes do the I/O (check-runner.ts);
// each real server's verdict goes to the load balancer (daemon/lb/load-balancer.ts: lb/table's tracker and
// a kernel data plane), which says what keepalived says and runs: log lines, notify and quorum scripts,
// FIFO lines.
import { cpus } from 'node:os';
import { ProcessControl, processSettings } from '../process/process-settings.js';
import { writeFileSync } from 'node:fs';
import { checkPlanFromModel } from '../../check/schedule/from-model.js';
import type { Model } from '../../config/index.js';
import { lookupUser } from '../../system/users.js';
import { CheckerSmtpAlerts } from '../alerts/checker-alerts.js';
import { LoadBalancer, type LoadBalancerHooks } from '../lb/load-balancer.js';
import { ConfigFile } from '../process/config-file.js';
import { dumpFile, dumpNaming } from '../process/dump-files.js';
import type { Logger } from '../process/log.js';
import { Notifier, scriptPolicy, withRunnableScripts } from '../process/notifier.js';
import { NotifyFifos, notifyFifoSpecs } from '../process/notify-fifos.js';
import type { DaemonOptions } from '../process/options.js';
import { removePidFile, writePidFile } from '../process/pidfile.js';
import { BfdCheckStates } from './bfd-check-states.js';
import { CheckRunner } from './check-runner.js';
import type { CheckerSnmp, CheckerSnmpSource } from './checker-snmp.js';
import { servedMibs, servesAnything, snmpSwitches } from '../../snmp/mib/switches.js';
import { LocalAddresses } from './local-addresses.js';
import { checkerNetlinkBuffers } from '../process/netlink-buffers.js';
import { ConfigSaves } from '../process/config-save.js';
import { loadSslContext, SslContextError } from './ssl-context.js';
import { sslProbeWith } from '../../check/probes/http.js';
import type { SecureContext } from 'node:tls';
import { CheckerStatusReporter, type CheckerStatusMessage } from './status-reporter.js';

export interface ServerStatus {
  id: string;
  up: boolean;
  weight: number;
}

/** Over IPC to the supervisor, which passes it on to the VRRP child; dropped when the channel is gone. */
function sendToParent(m: CheckerStatusMessage): void {
  if (process.connected) process.send?.(m);
}

export class CheckerDaemon {
  private readonly config: ConfigFile;
  private readonly processControl: ProcessControl;
  private runner: CheckRunner | undefined;
  private notifier: Notifier | undefined;
  /** notify_fifo / lvs_notify_fifo (with their scripts). */
  private fifos: NotifyFifos | undefined;
  private smtpAlerts: CheckerSmtpAlerts | undefined;
  private readonly status = new Map<string, ServerStatus>();
  /** BFD_CHECK: session states relayed from the BFD child. */
  private readonly bfd = new BfdCheckStates();
  private lb: LoadBalancer | undefined;
  private addresses: LocalAddresses | undefined;
  private dumpPath = dumpFile('keepalived_check.data', { useInstance: false });
  /** config_save_dir of the running configuration. */
  private saveDir: string | undefined;
  private readonly saves: ConfigSaves;
  /** enable_snmp_checker / -x: the AgentX subagent (started once, as keepalived's). */
  private snmp: CheckerSnmp | undefined;
  private readonly snmpSource: CheckerSnmpSource = {
    lb: () => this.lb?.liveState(),
    counters: async () => this.lb?.counters(),
    checkers: () => this.runner?.snapshot() ?? [],
  };
  /** status_http: the report and verdict events for the VRRP child's listener. */
  private statusReporter: CheckerStatusReporter | undefined;
  /** The SSL block's context for SSL_GET (kept by a reload whose files do not load). */
  private sslContext: SecureContext | undefined;

  constructor(
    private readonly options: DaemonOptions,
    private readonly log: Logger,
  ) {
    this.config = new ConfigFile(options, log, withRunnableScripts('checker', log));
    this.saves = new ConfigSaves('check', log);
    this.processControl = new ProcessControl('Checker', log);
  }

  /** Resolves once the checks run (the data plane chosen and the first table applied or queued). */
  async start(): Promise<void> {
    writePidFile(this.options.checkersPidFile);
    const model = this.config.load();
    // Connected before the checks start, so that the first notifications leave.
    // the subagent's modules are loaded only when it serves something (every start pays for loading)
    const mibs = servedMibs(snmpSwitches(model.global, this.options.snmp), 'checker', true);
    if (servesAnything(mibs)) {
      const { CheckerSnmp } = await import('./checker-snmp.js');
      this.snmp = CheckerSnmp.create(model, this.options, this.snmpSource, this.log);
    }
    await this.snmp?.start();
    await this.build(model);
    this.processControl.apply(processSettings(model.global, 'checker', cpus().length));
  }

  /** Starts the checks of `model`; `previous`: the load balancer a reload replaces. */
  private async build(model: Model, previous?: LoadBalancer): Promise<void> {
    const g = model.global;
    this.dumpPath = dumpFile('keepalived_check.data', dumpNaming(this.options, g));
    this.saveDir = g.configSaveDir;
    // A reload reopens the FIFOs of the new configuration (keepalived closes and reopens them too).
    this.fifos?.close();
    this.fifos = new NotifyFifos(notifyFifoSpecs(g, 'checker', true, this.log), this.log);
    this.notifier = new Notifier(this.log, scriptPolicy(g), this.fifos);
    this.fifos.start(this.notifier, 'lvs');
    const plan = checkPlanFromModel(model, {
      resolveUser: (user, group) => lookupUser(user, group, '', g.setSupplementaryGroups),
    });
    for (const p of plan.problems) this.log.warn(p);
    // keepalived's ssl_required: the SSL block is loaded only when a SSL_GET checks something.
    if (plan.checkers.some((c) => c.options.kind === 'SSL_GET')) {
      try {
        this.sslContext = loadSslContext(model.ssl);
      } catch (e) {
        if (!(e instanceof SslContextError)) throw e;
        for (const line of e.lines) this.log.info(line);
        // at start, keepalived's checker stops (fatal); a reload here keeps the context it had
        if (previous === undefined) throw e;
      }
    }
    const sslContext = this.sslContext;
    const notifier = this.notifier;
    const checkersOf = new Map<string, string[]>();
    for (const c of plan.checkers) checkersOf.set(c.server, [...(checkersOf.get(c.server) ?? []), c.id]);
    const hooks: LoadBalancerHooks = {
      log: this.log,
      runScript: (script) => void notifier.runAs(script),
      writeFifo: (line) => notifier.writeFifos(line),
      setCheckersEnabled: (server, enabled) => {
        for (const id of checkersOf.get(server) ?? []) this.runner?.setEnabled(id, enabled);
      },
      notification: (e) => this.snmp?.notify(e),
    };
    this.snmp?.reload(model, this.snmpSource);
    const lb =
      previous !== undefined ? await previous.reload(model, hooks) : await LoadBalancer.open(model, hooks);
    this.lb = lb;
    lb.exemptChecks(plan.checkers);
    this.log.info(
      `checking ${plan.servers.length} real servers with ${plan.checkers.length} checkers` +
        (plan.servers.length > 0 ? `; load balancing on ${lb.dataPlane ?? 'no kernel table'}` : ''),
    );
    this.statusReporter?.close();
    this.statusReporter =
      model.statusHttp !== undefined && process.send !== undefined
        ? new CheckerStatusReporter(model.virtualServers, plan.checkers, () => this.runner, sendToParent)
        : undefined;
    const reporter = this.statusReporter;
    const mail = new CheckerSmtpAlerts(model, plan.checkers, this.log);
    this.smtpAlerts = mail;
    this.bfd.watch(plan.checkers);
    this.runner = new CheckRunner({
      servers: plan.servers,
      checkers: plan.checkers,
      probes: {
        BFD_CHECK: this.bfd.probe,
        ...(sslContext !== undefined ? { SSL_GET: sslProbeWith(sslContext) } : {}),
      },
      onAction: (a) => {
        // Verdicts first (they see the server's previous state), then the server's new state for quorums.
        if (mail.active && this.runner !== undefined)
          mail.observe(this.runner.snapshot(), (s) => this.runner?.serverUp(s));
        switch (a.type) {
          case 'server-state':
            mail.serverState(a.server, a.up, a.weight);
            this.status.set(a.server, { id: a.server, up: a.up, weight: a.weight });
            lb.serverState(a.server, a.up, a.weight);
            reporter?.verdict(a.server, a.up, a.weight);
            return;
          case 'notify':
            // The load balancer runs notify_up / notify_down, at keepalived's moments (rs_init_notifies,
            // omega at stop): the scheduler's own requests would run them twice.
            return;
          case 'log':
            this.log.info(a.message);
            return;
        }
      },
    });
    mail.start(this.runner.snapshot());
    // ha_suspend: the checkers of a virtual server run while its address is on this host. -a: every
    // address listed at start and every change is logged (keepalived's update_checker_activity).
    const haSuspend = lb.config.virtualServers.some((vs) => vs.haSuspend);
    if (haSuspend || this.options.addressMonitoring)
      this.addresses = await LocalAddresses.watch(
        (addresses) => lb.setLocalAddresses(addresses),
        this.log,
        checkerNetlinkBuffers(model.global),
        this.options.addressMonitoring
          ? (address, added) =>
              this.log.info(`Netlink reflector reports IP ${address} ${added ? 'added' : 'removed'}`)
          : undefined,
      );
    if (haSuspend && this.addresses !== undefined) lb.start([], this.addresses.current());
    else lb.start();
    this.runner.start();
    reporter?.changed();
  }

  /** A bfd_instance session went Up or Down (BFD child -> supervisor -> here). */
  bfdState(session: string, up: boolean): void {
    for (const id of this.bfd.set(session, up)) this.runner?.probeNow(id);
  }

  /** SIGUSR1: keepalived's checker writes keepalived_check.data in its tmp directory. */
  dump(): void {
    writeFileSync(this.dumpPath, this.dumpText());
  }

  private dumpText(): string {
    return JSON.stringify([...this.status.values()], null, 2) + '\n';
  }

  async reload(): Promise<void> {
    // keepalived reloads with normal scheduling, and applies checker_* again after.
    this.processControl.reset();
    this.saves.before(this.saveDir, () => this.dumpText());
    const model = this.config.reload();
    if (model === undefined) {
      this.processControl.reapply();
      return; // a broken edit must not stop the checks
    }
    await this.runner?.stop();
    await this.smtpAlerts?.close(1000);
    // The new configuration's table replaces the old one: what both hold is edited in place, not
    // removed and re-added (the planes turn an existing service's add into an edit).
    const previous = this.lb;
    await previous?.stop({ reload: true });
    this.addresses?.close();
    await this.build(model, previous);
    this.processControl.apply(processSettings(model.global, 'checker', cpus().length));
    this.saves.after(this.saveDir, () => this.dumpText());
  }

  async stop(): Promise<void> {
    this.statusReporter?.close();
    await this.runner?.stop();
    await this.lb?.stop();
    await this.snmp?.close();
    this.addresses?.close();
    await this.notifier?.drain(5000);
    this.fifos?.close();
    await this.smtpAlerts?.close(1000);
    removePidFile(this.options.checkersPidFile);
  }
}
