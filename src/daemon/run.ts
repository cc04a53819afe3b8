// Daemon mode: detach unless -n, then supervise a VRRP child and a checker child as keepalived does.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../config/index.js';
import type { DaemonOptions } from '../cli/options.js';
import { FsConfigHost } from '../cli/fs-config-host.js';
import { Logger } from './log.js';
import { Supervisor, type ChildKind } from './supervisor.js';

const LAUNCHER = fileURLToPath(new URL('../../../bin/keepalived-ts', import.meta.url));

export function daemonLogger(o: DaemonOptions, ident: string): Logger {
  return new Logger({
    console: o.logConsole,
    syslog: !o.noSyslog,
    facility: o.logFacility,
    detail: o.logDetail,
    ident,
  });
}

export async function runDaemon(o: DaemonOptions, argv: string[]): Promise<number> {
  if (!o.dontFork) {
    // keepalived forks and the foreground process exits; we start ourselves detached with -n.
    const child = spawn(process.execPath, [LAUNCHER, ...argv, '--dont-fork'], {
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    return 0;
  }
  if (o.umask !== undefined) process.umask(o.umask);
  const log = daemonLogger(o, 'Keepalived');
  const { model, diagnostics } = loadModel(resolve(o.configFile), new FsConfigHost(), {
    configId: o.configId,
  });
  // The children report the config's diagnostics as they load it; the parent only says how many.
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) log.error(`${o.configFile}: ${errors} configuration error(s); run with -t for details`);
  const kinds: ChildKind[] = [];
  if (!o.checkOnly && model.instances.length > 0) kinds.push('vrrp');
  if (!o.vrrpOnly && model.virtualServers.length > 0) kinds.push('checker');
  return new Supervisor(o, argv, log, kinds).run();
}
