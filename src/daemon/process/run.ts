// Daemon mode as keepalived runs it: log the start, read the configuration, enter the network namespace
// (-s or net_namespace), work out the pid files (instance / namespace naming), refuse to start when a
// running daemon holds them, detach unless -n, then supervise a VRRP child and a checker child.
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { release, version as osVersion } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printModel } from '../../config/model/print.js';
import { readConfigFile, snapshotConfigFile } from './config-file.js';
import { ConfigSnapshotFile } from './config-snapshot.js';
import type { DaemonOptions } from './options.js';
import { VERSION_STRING } from '../../common/version.js';
import { native } from '../../net/native.js';
import { daemonLogger, IDENT_SUFFIX_ENV } from './log.js';
import { alreadyRunning, removePidDir, removePidFile, resolvePidFiles, runningPid } from './pidfile.js';
import { Supervisor, type ChildKind, type LifecycleScripts, type ParentSettings } from './supervisor.js';
import { checkConfigBeforeReload, DEFAULT_CHECK_LOG } from './reload-check.js';
import { defaultReloadFile } from './reload-file.js';
import type { GlobalDefs } from '../../config/model/global/global.js';
import { Notifier, scriptPolicy } from './notifier.js';
import { parentProcessName, setProcessName } from './process-settings.js';
import { applyCoreDumpPolicy } from './core-dump.js';
import { ConfigCopies } from './config-save.js';
import { unreloadableChanges } from './reload-limits.js';
import { redactSecrets } from '../../config/model/redact.js';

const LAUNCHER = fileURLToPath(new URL('../../../../bin/keepalived-ts', import.meta.url));

/** Set for the detached daemon the foreground process starts: the start-up lines were logged already. */
const DETACHED_ENV = 'KEEPALIVED_TS_DETACHED';

/** keepalived's exit status when the configuration file cannot be read (KEEPALIVED_EXIT_NO_CONFIG). */
export const EXIT_NO_CONFIG = 6;
/** How long the foreground process waits for the detached daemon to write its pid file. */
const DETACH_WAIT_MS = 10_000;

/** keepalived's check_conf_file: the main file must be a readable regular file. */
function configReadable(path: string): boolean {
  try {
    accessSync(path, fsConstants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The words of the command line as keepalived logs them: quoted, in lines under 100 characters. */
function commandLineLines(argv: readonly string[]): string[] {
  const words = [process.argv[1] ?? 'keepalived-ts', ...argv].map((w) => `'${w}'`);
  const lines: string[] = [];
  let line = 'Command line:';
  for (const w of words) {
    if (line.length + w.length + 1 > 100 && line.trim() !== 'Command line:') {
      lines.push(line);
      line = '             ';
    }
    line += ` ${w}`;
  }
  lines.push(line);
  return lines;
}

async function waitForPidFile(path: string, child: number): Promise<boolean> {
  const deadline = Date.now() + DETACH_WAIT_MS;
  while (Date.now() < deadline) {
    if (runningPid(path) === child) return true;
    try {
      process.kill(child, 0);
    } catch {
      return false;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** The global_defs keywords the parent applies itself. */
function parentSettings(g: GlobalDefs): ParentSettings {
  return {
    childWaitSeconds: g.childWaitTime,
    ...(g.reloadTimeFile !== undefined
      ? { reloadTimeFile: g.reloadTimeFile, reloadRepeat: g.reloadRepeat }
      : {}),
    ...(g.reloadCheckConfig !== undefined
      ? { reloadCheckLog: g.reloadCheckConfig === '' ? DEFAULT_CHECK_LOG : g.reloadCheckConfig }
      : {}),
    ...(g.reloadFile !== undefined
      ? {
          reloadFile: g.reloadFile === '' ? defaultReloadFile(g.instanceName, g.usePidDir) : g.reloadFile,
        }
      : {}),
  };
}

export async function runDaemon(o: DaemonOptions, argv: string[]): Promise<number> {
  if (o.umask !== undefined) process.umask(o.umask);
  const detached = process.env[DETACHED_ENV] === '1';
  delete process.env[DETACHED_ENV];
  const log = daemonLogger(o, 'Keepalived');
  if (!detached) {
    log.info(`Starting ${VERSION_STRING}`);
    log.info(`Running on Linux ${release()} ${osVersion()}`);
    for (const line of commandLineLines(argv)) log.info(line);
  }

  const configFile = resolve(o.configFile);
  if (!configReadable(configFile)) {
    log.error(`Configuration file '${o.configFile}' is not a regular non-executable file or cannot be read`);
    log.info(`Stopped ${VERSION_STRING}`);
    return EXIT_NO_CONFIG;
  }
  if (!detached) log.debug(`Opening file '${o.configFile}'.`);
  // what the children will read: the files as this read found them (config-snapshot.ts)
  let snapshot = snapshotConfigFile(o);
  const { model, diagnostics } = readConfigFile(o, snapshot);
  if (!detached) log.info(`Configuration file ${o.configFile}`);
  // The children report the config's diagnostics as they load it; the parent only says how many.
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) log.error(`${o.configFile}: ${errors} configuration error(s); run with -t for details`);

  if (o.dumpConf && !detached) {
    // keepalived -d: the configuration as read, in the log, then a normal run.
    for (const line of printModel(redactSecrets(model)).split('\n')) if (line.trim() !== '') log.info(line);
  }
  const g = model.global;
  /** The global settings in effect: those of the start, then of each reload passed on. */
  let inEffect = g;
  const namespace = o.namespace ?? g.netNamespace;
  if (o.namespace !== undefined && g.netNamespace !== undefined) {
    log.info(
      `Overriding config net_namespace '${g.netNamespace}' with command line namespace '${o.namespace}'`,
    );
  }
  if (namespace !== undefined || g.instanceName !== undefined) {
    const suffix = [namespace, g.instanceName]
      .filter((p) => p !== undefined)
      .map((p) => `_${p}`)
      .join('');
    process.env[IDENT_SUFFIX_ENV] = suffix;
    if (!detached) log.info(`Changing syslog ident to Keepalived${suffix}`);
  }
  const files = resolvePidFiles(o, { instance: g.instanceName, namespace, usePidDir: g.usePidDir });
  const daemonLog = daemonLogger(o, 'Keepalived');

  if (namespace !== undefined) {
    try {
      // Threads keep the namespace they were in; the main thread is the one that opens sockets and forks.
      native().setns(`/run/netns/${namespace}`);
    } catch (e) {
      daemonLog.error(`Unable to set network namespace ${namespace} - exiting (${(e as Error).message})`);
      return 1;
    }
  }

  const running = alreadyRunning(o, files);
  if (running !== undefined) {
    // keepalived exits 0 here: a second start is not an error for the init system.
    daemonLog.info('daemon is already running');
    return 0;
  }

  if (!o.dontFork) {
    // keepalived forks and the foreground process exits; we start ourselves detached with -n and wait
    // for the pid file, so that an init system reading it right after we exit finds it.
    const child = spawn(process.execPath, [LAUNCHER, ...argv, '--dont-fork'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, [DETACHED_ENV]: '1' },
    });
    child.unref();
    if (child.pid !== undefined) await waitForPidFile(files.main, child.pid);
    return 0;
  }

  const kinds: ChildKind[] = [];
  // keepalived starts its BFD child when the configuration has bfd_instances, unless -B.
  if (!o.noBfd && (model.bfd.length > 0 || o.runAll)) kinds.push('bfd');
  if (!o.checkOnly && (model.instances.length > 0 || o.runAll)) kinds.push('vrrp');
  if (!o.vrrpOnly && (model.virtualServers.length > 0 || o.runAll)) kinds.push('checker');
  const resolved: DaemonOptions = {
    ...o,
    pidFile: files.main,
    vrrpPidFile: files.vrrp,
    checkersPidFile: files.checkers,
    bfdPidFile: files.bfd,
  };
  // process_name: the parent's name, once it is the process that stays (keepalived: after reading the config).
  setProcessName(parentProcessName(g), daemonLog);
  const scripts: LifecycleScripts = {
    notifier: new Notifier(daemonLog, scriptPolicy(g)),
    ...(g.startupScript !== undefined
      ? { startup: { script: g.startupScript, timeoutMs: g.startupScriptTimeout * 1000 } }
      : {}),
    ...(g.shutdownScript !== undefined
      ? { shutdown: { script: g.shutdownScript, timeoutMs: g.shutdownScriptTimeout * 1000 } }
      : {}),
  };
  const restoreCoreDump = applyCoreDumpPolicy(o, daemonLog);
  // config_save_dir: the configuration as read now and at each reload.
  const copies = new ConfigCopies(configFile, o.configId, daemonLog);
  copies.save(g.configSaveDir);
  const copy = new ConfigSnapshotFile(daemonLog);
  // where the copy lives is decided at start (keepalived's tmp_config_directory too)
  const copyDir = g.tmpConfigDirectory;
  copy.write(snapshot, copyDir);
  const code = await new Supervisor(resolved, argv, daemonLog, kinds, scripts, parentSettings(g), {
    check: (logFile) => checkConfigBeforeReload([process.execPath, LAUNCHER], argv, logFile, daemonLog),
    // before the children hear of a reload: they read what the files say now, unless it changes what a
    // reload cannot
    prepare: () => {
      try {
        const next = snapshotConfigFile(o);
        const nextGlobal = readConfigFile(o, next).model.global;
        const refused = unreloadableChanges(inEffect, nextGlobal, o.namespace);
        for (const what of refused)
          daemonLog.info(`Cannot change ${what} at a reload - please restart keepalived`);
        if (refused.length > 0) return false;
        snapshot = next;
        inEffect = nextGlobal;
        copy.write(snapshot, copyDir);
      } catch (e) {
        daemonLog.warn(`cannot read the configuration for the reload copy: ${(e as Error).message}`);
      }
      return true;
    },
    copyDescriptor: () => copy.descriptor,
    // the global settings prepare() read for the reload passed on
    reread: () => {
      copies.save(inEffect.configSaveDir);
      return parentSettings(inEffect);
    },
  }).run();
  copy.close();
  restoreCoreDump();
  // keepalived's parent removes its children's pid files too: a child that crashed leaves its own behind.
  for (const path of [files.vrrp, files.checkers, files.bfd])
    if (runningPid(path) === undefined) removePidFile(path);
  removePidDir(files);
  daemonLog.info(`Stopped ${VERSION_STRING}`);
  return code;
}
