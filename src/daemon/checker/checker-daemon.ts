// The checker child: keepalived's health checkers against the real servers of every virtual server.
// The pure scheduler decides, the probes do the I/O (daemon/checker/check-runner.ts); here verdicts become log lines,
// notify_up / notify_down scripts and lvs_notify_fifo lines. Programming the kernel's load-balancing
// table from these verdicts belongs to the virtual-server data plane (lb/), which builds on this.
import { writeFileSync } from 'node:fs';
import type { DaemonOptions } from '../process/options.js';
import { checkPlanFromModel } from '../../check/schedule/from-model.js';
import { CheckRunner } from './check-runner.js';
import type { Model } from '../../config/index.js';
import { ConfigFile } from '../process/config-file.js';
import type { Logger } from '../process/log.js';
import { Notifier, scriptPolicy } from '../process/notifier.js';
import { removePidFile, writePidFile } from '../process/pidfile.js';
import { CheckerSmtpAlerts } from '../alerts/checker-alerts.js';
import { lookupUser } from '../../system/users.js';
import { serviceChangeLine, serviceNames } from './check-names.js';
import { BfdCheckStates } from './bfd-check-states.js';
import { dumpFile, dumpNaming } from '../process/dump-files.js';

export interface ServerStatus {
  id: string;
  up: boolean;
  weight: number;
}

export class CheckerDaemon {
  private readonly config: ConfigFile;
  private runner: CheckRunner | undefined;
  private notifier: Notifier | undefined;
  private smtpAlerts: CheckerSmtpAlerts | undefined;
  private readonly status = new Map<string, ServerStatus>();
  /** BFD_CHECK: session states relayed from the BFD child. */
  private readonly bfd = new BfdCheckStates();
  private dumpPath = dumpFile('keepalived_check.data', { useInstance: false });

  constructor(
    private readonly options: DaemonOptions,
    private readonly log: Logger,
  ) {
    this.config = new ConfigFile(options, log);
  }

  start(): void {
    writePidFile(this.options.checkersPidFile);
    this.build(this.config.load());
  }

  private build(model: Model): void {
    const g = model.global;
    this.dumpPath = dumpFile('keepalived_check.data', dumpNaming(this.options, g));
    const fifos = [g.notifyFifo, g.lvsNotifyFifo].filter((f): f is string => f !== undefined);
    this.notifier = new Notifier(
      this.log,
      scriptPolicy(g.enableScriptSecurity, g.scriptUser, this.log),
      fifos,
    );
    const plan = checkPlanFromModel(model, { resolveUser: (user, group) => lookupUser(user, group) });
    for (const p of plan.problems) this.log.warn(p);
    this.log.info(
      `checking ${plan.servers.length} real servers with ${plan.checkers.length} checkers ` +
        `(the kernel load-balancing table is not programmed by this build)`,
    );
    const notifier = this.notifier;
    const names = serviceNames(model.virtualServers);
    const mail = new CheckerSmtpAlerts(model, plan.checkers, this.log);
    this.smtpAlerts = mail;
    this.bfd.watch(plan.checkers);
    this.runner = new CheckRunner({
      servers: plan.servers,
      checkers: plan.checkers,
      probes: { BFD_CHECK: this.bfd.probe },
      onAction: (a) => {
        // Verdicts first (they see the server's previous state), then the server's new state for quorums.
        if (mail.active && this.runner !== undefined)
          mail.observe(this.runner.snapshot(), (s) => this.runner?.serverUp(s));
        switch (a.type) {
          case 'server-state': {
            mail.serverState(a.server, a.up, a.weight);
            const before = this.status.get(a.server);
            this.status.set(a.server, { id: a.server, up: a.up, weight: a.weight });
            if (before === undefined || before.up !== a.up) {
              // keepalived's wording; a server found up at start is added silently by keepalived (-D: logged).
              const line = serviceChangeLine(names.get(a.server), a.server, a.up);
              if (before !== undefined || !a.up) this.log.info(line);
              else this.log.debug(line);
              notifier.writeFifos(`RS ${a.server} ${a.up ? 'UP' : 'DOWN'}\n`);
            } else if (before.weight !== a.weight) {
              this.log.info(`Changing weight of ${a.server} to ${a.weight}`);
            }
            return;
          }
          case 'notify':
            void notifier.run(a.script);
            return;
          case 'log':
            this.log.info(a.message);
            return;
        }
      },
    });
    mail.start(this.runner.snapshot());
    this.runner.start();
  }

  /** A bfd_instance session went Up or Down (BFD child -> supervisor -> here). */
  bfdState(session: string, up: boolean): void {
    for (const id of this.bfd.set(session, up)) this.runner?.probeNow(id);
  }

  /** SIGUSR1: keepalived's checker writes keepalived_check.data in its tmp directory. */
  dump(): void {
    writeFileSync(this.dumpPath, JSON.stringify([...this.status.values()], null, 2) + '\n');
  }

  async reload(): Promise<void> {
    const model = this.config.reload();
    if (model === undefined) return; // a broken edit must not stop the checks
    await this.runner?.stop();
    await this.smtpAlerts?.close(1000);
    this.build(model);
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
    await this.notifier?.drain(5000);
    await this.smtpAlerts?.close(1000);
    removePidFile(this.options.checkersPidFile);
  }
}
