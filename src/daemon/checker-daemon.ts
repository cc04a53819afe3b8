// The checker child: keepalived's health checkers against the real servers of every virtual server.
// The pure scheduler decides, the probes do the I/O (check/runner.ts); here verdicts become log lines,
// notify_up / notify_down scripts and lvs_notify_fifo lines. Programming the kernel's load-balancing
// table from these verdicts belongs to the virtual-server data plane (lb/), which builds on this.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DaemonOptions } from '../cli/options.js';
import { FsConfigHost } from '../cli/fs-config-host.js';
import { checkPlanFromModel } from '../check/from-model.js';
import { CheckRunner } from '../check/runner.js';
import { loadModel } from '../config/index.js';
import { formatDiagnostic } from '../config/types.js';
import type { Logger } from './log.js';
import { Notifier, scriptPolicy } from './notifier.js';
import { removePidFile, writePidFile } from './pidfile.js';
import { lookupUser } from './users.js';

export interface ServerStatus {
  id: string;
  up: boolean;
  weight: number;
}

export class CheckerDaemon {
  private runner: CheckRunner | undefined;
  private notifier: Notifier | undefined;
  private readonly status = new Map<string, ServerStatus>();

  constructor(
    private readonly options: DaemonOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    writePidFile(this.options.checkersPidFile);
    this.build();
  }

  private build(): void {
    const { model, diagnostics } = loadModel(resolve(this.options.configFile), new FsConfigHost(), {
      configId: this.options.configId,
    });
    for (const d of diagnostics)
      this.log.log(d.severity === 'error' ? 'error' : 'warning', formatDiagnostic(d));
    const g = model.global;
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
    this.runner = new CheckRunner({
      servers: plan.servers,
      checkers: plan.checkers,
      onAction: (a) => {
        switch (a.type) {
          case 'server-state': {
            const before = this.status.get(a.server);
            this.status.set(a.server, { id: a.server, up: a.up, weight: a.weight });
            if (before === undefined || before.up !== a.up) {
              this.log.info(`${a.up ? 'Adding' : 'Removing'} service ${a.server} (weight ${a.weight})`);
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
    this.runner.start();
  }

  /** SIGUSR1: keepalived's checker writes /tmp/keepalived_check.data. */
  dump(): void {
    writeFileSync('/tmp/keepalived_check.data', JSON.stringify([...this.status.values()], null, 2) + '\n');
  }

  async reload(): Promise<void> {
    const { diagnostics } = loadModel(resolve(this.options.configFile), new FsConfigHost(), {
      configId: this.options.configId,
    });
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) {
      // A broken edit must not stop the checks: keep what runs, say where the problem is.
      for (const d of errors) this.log.error(formatDiagnostic(d));
      this.log.error(`configuration has ${errors.length} error(s); keeping the running configuration`);
      return;
    }
    this.log.info('Reloading configuration');
    await this.runner?.stop();
    this.build();
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
    await this.notifier?.drain(5000);
    removePidFile(this.options.checkersPidFile);
  }
}
