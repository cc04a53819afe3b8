// The process settings keepalived applies to each of its processes (global_defs): the process name ps shows
// (process_name, process_names, vrrp/checker/bfd_process_name), and for each child its nice value
// (*_priority), realtime round-robin priority (*_rt_priority) with its RLIMIT_RTTIME (*_rlimit_rttime), its
// pages locked in memory (*_no_swap) and the CPUs it may run on (*_cpu_affinity).
//
// keepalived's order and rules (lib/process.c set_process_priorities, set_process_cpu_affinity): with a
// realtime priority the nice value is not set; RLIMIT_RTTIME is set (soft half of the limit, hard the
// limit) only once SCHED_RR was granted; then mlockall; then the affinity. Each child applies them once it
// has started, drops back to normal scheduling while it reloads, and applies them again after.
//
// keepalived is single-threaded; a node process is not, and nice values and affinities are per thread on
// Linux: they are set on every thread the process has (threads created later inherit them from the main
// thread). The realtime policy goes to the main (JS) thread only, SCHED_RESET_ON_FORK as keepalived asks,
// so that the scripts it runs and the threads it starts later do not inherit it.
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { GlobalDefs } from '../../config/model/global/global.js';
import { native } from '../../net/native.js';
import type { Logger } from './log.js';

/** The least RLIMIT_RTTIME (us) a child of ours runs under with a realtime priority. */
export const RTTIME_FLOOR_US = 1_000_000;
export type ProcessKind = 'vrrp' | 'checker' | 'bfd';

/** The kernel keeps 15 bytes of a process name (TASK_COMM_LEN - 1); keepalived truncates to that. */
const COMM_MAX = 15;

/** process_names: keepalived's names for its children (the checker is still "lvs" there). */
const DEFAULT_NAMES: Record<ProcessKind, string> = {
  vrrp: 'keepalived_vrrp',
  checker: 'keepalived_lvs',
  bfd: 'keepalived_bfd',
};

/** keepalived's own name: every process of it has it unless configured otherwise (children inherit the
 * parent's), and so do ours, so that `killall -0 keepalived`, `pgrep -x` and process monitors see the
 * daemon as they saw keepalived's (a Node process is otherwise "node"; pidof reads argv[0], still node). */
const UNNAMED = 'keepalived';

export interface ProcessSettings {
  name?: string;
  /** Nice value, -20..19 (0: left alone, as keepalived reads 0 as unset). */
  nice?: number;
  /** SCHED_RR priority, 1..99. */
  realtimePriority?: number;
  /** RLIMIT_RTTIME hard limit in microseconds (the soft limit is half of it), with a realtime priority. */
  rlimitRttime?: number;
  noSwap: boolean;
  /** CPUs to run on; undefined: any. */
  cpus?: number[];
}

function truncateName(name: string): string {
  return Buffer.from(name).subarray(0, COMM_MAX).toString();
}

/** The name the parent takes: process_name, else keepalived's. */
export function parentProcessName(g: GlobalDefs): string {
  return truncateName(g.processName ?? UNNAMED);
}

/** *_cpu_affinity as keepalived reads it: CPU numbers below the online CPU count; any bad one drops the
 * whole set (keepalived logs a configuration error and leaves the affinity alone). */
export function parseCpuList(words: readonly string[] | undefined, onlineCpus: number): number[] | undefined {
  if (words === undefined || words.length === 0) return undefined;
  const cpus: number[] = [];
  for (const w of words) {
    if (!/^\d+$/.test(w)) return undefined;
    const cpu = Number(w);
    if (cpu >= onlineCpus) return undefined;
    if (!cpus.includes(cpu)) cpus.push(cpu);
  }
  return cpus;
}

/** One child's settings from global_defs. */
export function processSettings(g: GlobalDefs, kind: ProcessKind, onlineCpus: number): ProcessSettings {
  const by: Record<ProcessKind, Omit<ProcessSettings, 'cpus'> & { cpuWords?: string[] }> = {
    vrrp: {
      name: g.vrrpProcessName,
      nice: g.vrrpPriority,
      realtimePriority: g.vrrpRtPriority,
      rlimitRttime: g.vrrpRlimitRttime,
      noSwap: g.vrrpNoSwap,
      cpuWords: g.vrrpCpuAffinity,
    },
    checker: {
      name: g.checkerProcessName,
      nice: g.checkerPriority,
      realtimePriority: g.checkerRtPriority,
      rlimitRttime: g.checkerRlimitRttime,
      noSwap: g.checkerNoSwap,
      cpuWords: g.checkerCpuAffinity,
    },
    bfd: {
      name: g.bfdProcessName,
      nice: g.bfdPriority,
      realtimePriority: g.bfdRtPriority,
      rlimitRttime: g.bfdRlimitRttime,
      noSwap: g.bfdNoSwap,
      cpuWords: g.bfdCpuAffinity,
    },
  };
  const { cpuWords, ...s } = by[kind];
  // A specific name wins over process_names (keepalived: whichever comes last in the file).
  // Neither: the parent's name, which keepalived's children inherit as they fork.
  const name = s.name ?? (g.processNames ? DEFAULT_NAMES[kind] : parentProcessName(g));
  const cpus = parseCpuList(cpuWords, onlineCpus);
  const out: ProcessSettings = { name: truncateName(name), noSwap: s.noSwap };
  if (s.nice !== undefined && s.nice !== 0) out.nice = s.nice;
  if (s.realtimePriority !== undefined && s.realtimePriority > 0) out.realtimePriority = s.realtimePriority;
  if (s.rlimitRttime !== undefined) out.rlimitRttime = s.rlimitRttime;
  if (cpus !== undefined) out.cpus = cpus;
  return out;
}

/** The thread ids of this process (the main thread's is the pid). */
function threadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [process.pid];
  }
}

/** prctl(PR_SET_NAME) on the main thread: the name ps, top and /proc/PID/comm show. */
export function setProcessName(name: string | undefined, log: Logger): void {
  try {
    native().setThreadName(name ?? UNNAMED);
  } catch (e) {
    log.info(`Failed to set process name '${name ?? UNNAMED}' (${(e as Error).message})`);
  }
}

/** Applies and resets one child's settings, as keepalived's set_process_priorities and
 * reset_process_priorities do. */
export class ProcessControl {
  private current: ProcessSettings | undefined;
  private originalNice: number | undefined;
  private realtime = false;
  private rttimeLimited = false;
  private locked = false;
  private sigxcpuHandled = false;

  constructor(
    private readonly what: string,
    private readonly log: Logger,
  ) {}

  /** Names the process (at a reload only if the name changed), then the rest. */
  apply(s: ProcessSettings): void {
    if (s.name !== this.current?.name && (s.name !== undefined || this.current !== undefined))
      setProcessName(s.name, this.log);
    this.current = s;
    if (s.realtimePriority !== undefined) this.applyRealtime(s.realtimePriority, s.rlimitRttime);
    else if (s.nice !== undefined) this.setNice(s.nice);
    if (s.noSwap && !this.locked) {
      try {
        native().lockMemory();
        this.locked = true;
      } catch (e) {
        this.log.info(`Unable to lock process in memory - ${(e as Error).message}`);
      }
    }
    if (s.cpus !== undefined) this.setAffinity(s.cpus);
  }

  /** The settings last applied, again (a reload that kept the old configuration). */
  reapply(): void {
    if (this.current !== undefined) this.apply(this.current);
  }

  /** Normal scheduling and nice again (keepalived does this while it reloads). Memory stays locked. */
  reset(): void {
    if (this.realtime) {
      try {
        native().setScheduler('other', 0);
        this.realtime = false;
      } catch (e) {
        this.log.warn(`${this.what} process: cannot reset realtime scheduling (${(e as Error).message})`);
      }
    }
    if (this.rttimeLimited) {
      this.setRttime(-1, -1);
      this.rttimeLimited = false;
    }
    if (this.originalNice !== undefined) this.setNice(this.originalNice);
  }

  private applyRealtime(priority: number, rlimitRttime: number | undefined): void {
    try {
      native().setScheduler('rr', priority);
      this.realtime = true;
    } catch (e) {
      this.log.warn(`${this.what} process: cannot raise priority (${(e as Error).message})`);
      return;
    }
    if (rlimitRttime === undefined) return;
    if (!this.sigxcpuHandled) {
      // The soft limit's SIGXCPU would otherwise terminate the process: keepalived logs it instead.
      process.on('SIGXCPU', () =>
        this.log.info(
          `${this.what} process has used too much CPU time, ${this.what.toLowerCase()}_rlimit_rttime may need to be increased`,
        ),
      );
      this.sigxcpuHandled = true;
    }
    // A Node thread cannot promise keepalived's 10 ms without a blocking call (a garbage collection's
    // pause can be longer), and the hard limit's SIGKILL would take the child down: the limit is never
    // below RTTIME_FLOOR_US (README, Migrating).
    const hard = Math.max(rlimitRttime, RTTIME_FLOOR_US);
    if (this.setRttime(Math.floor(hard / 2), hard)) this.rttimeLimited = true;
  }

  private setRttime(soft: number, hard: number): boolean {
    try {
      native().setRlimit(native().constants.RLIMIT_RTTIME, soft, hard);
      return true;
    } catch (e) {
      this.log.warn(`${this.what} process cannot set realtime rlimit (${(e as Error).message})`);
      return false;
    }
  }

  private setNice(nice: number): void {
    this.originalNice ??= getPriority(0);
    try {
      for (const tid of threadIds()) setPriority(tid, nice);
    } catch (e) {
      this.log.info(`Unable to set process priority to ${nice} - ${(e as Error).message}`);
    }
  }

  private setAffinity(cpus: number[]): void {
    try {
      for (const tid of threadIds()) native().setAffinity(tid, cpus);
    } catch (e) {
      this.log.warn(
        `unable to set cpu affinity to ${this.what.toLowerCase()} process (${(e as Error).message})`,
      );
    }
  }
}
