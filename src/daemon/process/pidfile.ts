// Pid files as keepalived keeps them: written at start, removed at exit, and a live pid in an existing
// file means another daemon is running with the same file. Their names follow keepalived's rules for
// `instance NAME`, `net_namespace NAME` / -s NAME and use_pid_dir.
import { readFileSync, rmSync, rmdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DaemonOptions } from './options.js';

/** The pid recorded in `path` if that process is still alive. */
export function runningPid(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    // EPERM: alive, but someone else's.
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

export function writePidFile(path: string, pid = process.pid): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${pid}\n`);
}

export function removePidFile(path: string): void {
  rmSync(path, { force: true });
}

export interface PidFiles {
  main: string;
  vrrp: string;
  checkers: string;
  bfd: string;
  /** The directory keepalived creates for them (use_pid_dir, instance, namespace), removed at exit when empty. */
  dir?: string;
}

/** Where keepalived keeps its pid files when they go in a directory of their own. */
export const PID_DIR = '/run/keepalived';

/**
 * The pid files keepalived would use: -p/-r/-c/-b as given; otherwise /run/NAME.pid, or with an instance
 * name /run/keepalived/NAME_INSTANCE.pid, or with use_pid_dir /run/keepalived/NAME.pid. keepalived in a
 * network namespace mounts /run/keepalived/NS over /run/keepalived in a mount namespace of its own (2.2.7;
 * the man page says keepalived_NS); we write to that directory directly: the same file seen from outside.
 */
export function resolvePidFiles(
  o: DaemonOptions,
  facts: { instance?: string; namespace?: string; usePidDir?: boolean },
): PidFiles {
  const ns = o.namespace ?? facts.namespace;
  const instance = facts.instance;
  const useDir = facts.usePidDir === true || ns !== undefined || instance !== undefined;
  const dir = ns !== undefined ? `${PID_DIR}/${ns}` : PID_DIR;
  const name = (base: string): string =>
    useDir ? `${dir}/${base}${instance !== undefined ? `_${instance}` : ''}.pid` : `/run/${base}.pid`;
  const given = o.pidFilesGiven;
  return {
    main: given.main ? o.pidFile : name('keepalived'),
    vrrp: given.vrrp ? o.vrrpPidFile : name('vrrp'),
    checkers: given.checkers ? o.checkersPidFile : name('checkers'),
    bfd: given.bfd ? o.bfdPidFile : name('bfd'),
    ...(useDir ? { dir } : {}),
  };
}

/**
 * keepalived's "daemon is already running" check: the parent's pid file, and the pid file of each child
 * this run would start (-P: no checker, -C: no VRRP, -B: no BFD), naming a live process.
 */
export function alreadyRunning(o: DaemonOptions, files: PidFiles): { path: string; pid: number } | undefined {
  const paths = [files.main];
  if (!o.checkOnly) paths.push(files.vrrp);
  if (!o.vrrpOnly) paths.push(files.checkers);
  if (!o.noBfd) paths.push(files.bfd);
  for (const path of paths) {
    const pid = runningPid(path);
    if (pid !== undefined) return { path, pid };
  }
  return undefined;
}

/** Removes the pid directories keepalived created (the namespace's, then /run/keepalived), when empty. */
export function removePidDir(files: PidFiles): void {
  if (files.dir === undefined) return;
  for (const dir of files.dir === PID_DIR ? [PID_DIR] : [files.dir, PID_DIR]) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty (another instance) or already gone
    }
  }
}
