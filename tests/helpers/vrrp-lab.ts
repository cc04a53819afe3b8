// VRRP daemons in network namespaces: ours (bin/keepalived-ts) and Debian's keepalived, started from config
// text the test writes, watched through their console log, stopped or killed by the test. Plus what the
// tests look at: addresses on an interface, an observer's neighbour table, and adverts captured with
// tcpdump and decoded by tshark.
//
// Each daemon runs in a process group of its own, so that killing it (-9 included) also takes its VRRP
// child and the scripts it started; cleanup() kills every group, then deletes the namespaces.
//
//   const lab = new VrrpLab('elect');
//   const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.1.0' });   // a 10.1.0.1/24, b 10.1.0.2/24
//   const da = lab.start('ours', a, 'a', globalDefs('a') + instanceConfig({ name: 'VI_1', vrid: 7, ... }));
//   await da.waitForState('VI_1', 'MASTER');
//   ...; await lab.cleanup();
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingTools } from './requirements.js';
import {
  exec,
  NetnsLab,
  netnsSkipReason,
  run,
  type AddressPlan,
  type LanMember,
  type LanOptions,
} from './netns.js';
import { Capture } from './vrrp-capture.js';

export { Capture, decodeAdverts, type DecodedAdvert } from './vrrp-capture.js';

export const KEEPALIVED_BIN = '/usr/sbin/keepalived';
export const FRR_DIR = '/usr/lib/frr';
/** Our launcher (bin/keepalived-ts); this file runs from dist/tests/helpers/. */
export const OURS_LAUNCHER = fileURLToPath(new URL('../../../bin/keepalived-ts', import.meta.url));
const OURS_VRRP_CHILD = fileURLToPath(new URL('../../src/daemon/vrrp/child.js', import.meta.url));

export type Implementation = 'ours' | 'keepalived';
export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT';

/** Why tests against Debian's keepalived cannot run here, or undefined. */
export function keepalivedSkipReason(): string | undefined {
  return netnsSkipReason() ?? missingTools('keepalived');
}

/** Why tests against FRR's vrrpd cannot run here, or undefined. */
export function frrSkipReason(): string | undefined {
  return netnsSkipReason() ?? missingTools('zebra', 'vrrpd');
}

/**
 * Why our daemon cannot run yet (not built), or undefined. Tests that need it FAIL with this message
 * rather than skip: a missing daemon is a bug to fix, not an environment limit.
 */
export function oursMissingReason(): string | undefined {
  if (!existsSync(OURS_LAUNCHER)) return `our launcher ${OURS_LAUNCHER} is missing`;
  if (!existsSync(OURS_VRRP_CHILD))
    return `our VRRP daemon is not built: ${OURS_VRRP_CHILD} is missing (run npx tsc -p .)`;
  return undefined;
}

/**
 * Which implementation the "ours vs ours" kernel tests drive: 'ours' unless KTS_DAEMON_IMPL=keepalived,
 * which runs the very same tests with Debian's keepalived on both sides to prove the tests themselves.
 */
export function daemonUnderTest(): Implementation {
  return process.env.KTS_DAEMON_IMPL === 'keepalived' ? 'keepalived' : 'ours';
}

/** Resolves once `condition` returns a truthy value; rejects after `timeoutMs` saying `what` (a function: evaluated then). */
export async function waitUntil<T>(
  condition: () => T | undefined | false | null,
  what: string | (() => string),
  timeoutMs = 10_000,
  pollMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    await sleep(pollMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------------
// Config text

export interface InstanceSpec {
  name: string;
  vrid: number;
  priority: number;
  vips: string[];
  /** false: no `interface` line at all. */
  interface?: string | false;
  /** Initial state (default BACKUP: the election decides). */
  state?: 'MASTER' | 'BACKUP';
  /** Seconds; VRRPv2 in keepalived only takes whole seconds (default 1). */
  advertInt?: number;
  version?: 2 | 3;
  nopreempt?: boolean;
  preemptDelay?: number;
  unicast?: { srcIp?: string; peers: string[] };
  auth?: { type: 'PASS' | 'AH'; password: string };
  useVmac?: boolean;
  /** Path of a notify script (called with: INSTANCE name state priority). */
  notify?: string;
  trackInterfaces?: string[];
  trackScripts?: string[];
  trackFiles?: string[];
  trackProcesses?: string[];
  /** Lines added verbatim to the block. */
  extra?: string[];
}

/** global_defs for a lab node: its router_id, scripts as root, quick gratuitous ARP repeats. */
export function globalDefs(routerId: string, extra: string[] = []): string {
  return [
    'global_defs {',
    `  router_id ${routerId}`,
    '  script_user root',
    '  vrrp_garp_master_delay 1',
    '  vrrp_garp_master_repeat 2',
    ...extra.map((l) => `  ${l}`),
    '}',
    '',
  ].join('\n');
}

/** A vrrp_instance block. */
export function instanceConfig(s: InstanceSpec): string {
  const lines = [
    `vrrp_instance ${s.name} {`,
    `  state ${s.state ?? 'BACKUP'}`,
    ...(s.interface === false ? [] : [`  interface ${s.interface ?? 'eth0'}`]),
    `  virtual_router_id ${s.vrid}`,
    `  priority ${s.priority}`,
    `  advert_int ${s.advertInt ?? 1}`,
  ];
  if (s.version) lines.push(`  version ${s.version}`);
  if (s.nopreempt) lines.push('  nopreempt');
  if (s.preemptDelay !== undefined) lines.push(`  preempt_delay ${s.preemptDelay}`);
  if (s.useVmac) lines.push('  use_vmac');
  if (s.auth)
    lines.push(
      '  authentication {',
      `    auth_type ${s.auth.type}`,
      `    auth_pass ${s.auth.password}`,
      '  }',
    );
  if (s.unicast) {
    if (s.unicast.srcIp) lines.push(`  unicast_src_ip ${s.unicast.srcIp}`);
    lines.push('  unicast_peer {', ...s.unicast.peers.map((p) => `    ${p}`), '  }');
  }
  if (s.notify) lines.push(`  notify ${s.notify}`);
  const list = (keyword: string, items: string[] | undefined): void => {
    if (items?.length) lines.push(`  ${keyword} {`, ...items.map((i) => `    ${i}`), '  }');
  };
  list('track_interface', s.trackInterfaces);
  list('track_script', s.trackScripts);
  list('track_file', s.trackFiles);
  list('track_process', s.trackProcesses);
  lines.push('  virtual_ipaddress {', ...s.vips.map((v) => `    ${v}`), '  }');
  lines.push(...(s.extra ?? []).map((l) => `  ${l}`), '}', '');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Daemons

/** A log line that matched: its text, its index in the log, when it arrived (Date.now()). */
export interface LogMatch {
  line: string;
  index: number;
  at: number;
}

/**
 * Every file a test daemon writes: its own pid files (-p -r -c -b) and its own TMPDIR for the dump files
 * (keepalived.data, .stats, .json), so that no test writes the host's /run/*.pid or /tmp/keepalived.*.
 */
export interface DaemonFiles {
  config: string;
  pid: string;
  vrrpPid: string;
  checkersPid: string;
  bfdPid: string;
  /** The daemon's TMPDIR: keepalived.data, keepalived.stats, keepalived.json land here. */
  tmpDir: string;
}

/** A running VRRP daemon: its console log (stdout and stderr, line by line) and its files. */
export class VrrpDaemon {
  readonly lines: string[] = [];
  /** When each line arrived (Date.now()), parallel to `lines`. */
  readonly times: number[] = [];
  readonly startedAt = Date.now();
  private partial = { out: '', err: '' };
  private waiters = new Set<() => void>();
  exitCode: number | null | undefined;
  exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    readonly impl: Implementation | 'frr',
    readonly ns: string,
    readonly child: ChildProcess,
    readonly files: DaemonFiles,
  ) {
    const onData = (stream: 'out' | 'err') => (chunk: string) => {
      const parts = (this.partial[stream] + chunk).split('\n');
      this.partial[stream] = parts.pop() as string;
      this.lines.push(...parts);
      for (const _ of parts) this.times.push(Date.now());
      for (const w of this.waiters) w();
    };
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', onData('out'));
    child.stderr?.on('data', onData('err'));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        for (const w of this.waiters) w();
        resolve();
      }),
    );
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The log so far, for assertion messages. */
  log(lastLines = 60): string {
    return `--- ${this.label} (${this.impl}) log, last ${lastLines} lines ---\n${this.lines.slice(-lastLines).join('\n')}${this.partial.err ? '\n' + this.partial.err : ''}`;
  }

  /** Position in the log, for waitForLog's `since`. */
  mark(): number {
    return this.lines.length;
  }

  /** Resolves with the first log line at index >= since that matches; rejects on exit or timeout. */
  waitForLog(pattern: RegExp, timeoutMs = 10_000, since = 0): Promise<LogMatch> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const check = (): void => {
        for (let i = since; i < this.lines.length; i++) {
          const line = this.lines[i] as string;
          if (pattern.test(line)) {
            done();
            return resolve({ line, index: i, at: this.times[i] as number });
          }
        }
        since = Math.max(since, this.lines.length);
        if (this.exitCode !== undefined) {
          done();
          reject(
            new Error(
              `${this.label} (${this.impl}) exited (code ${this.exitCode}, signal ${this.exitSignal}) before logging ${pattern}\n${this.log()}`,
            ),
          );
        }
      };
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${this.label} (${this.impl}) logged no ${pattern} within ${timeoutMs} ms\n${this.log()}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for `(INSTANCE) Entering STATE STATE` at or after log position `since`. */
  waitForState(instance: string, state: VrrpState, timeoutMs = 10_000, since = 0): Promise<LogMatch> {
    // keepalived logs 'entering FAULT state (reason)' for a fault found at start-up
    return this.waitForLog(new RegExp(`\\(${instance}\\) Entering ${state} STATE`, 'i'), timeoutMs, since);
  }

  /** The states an instance entered, in order, as logged. */
  states(instance: string): VrrpState[] {
    const re = new RegExp(`\\(${instance}\\) Entering (MASTER|BACKUP|FAULT) STATE`, 'i');
    return this.lines.flatMap((l) => {
      const m = re.exec(l);
      return m ? [(m[1] as string).toUpperCase() as VrrpState] : [];
    });
  }

  /** The state the instance last entered, or undefined before the first transition. */
  state(instance: string): VrrpState | undefined {
    return this.states(instance).at(-1);
  }

  /** Sends `signal` and waits for the daemon to exit; returns its exit code (null when killed). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    const timer = sleep(timeoutMs).then(() => 'timeout' as const);
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      this.killGroup('SIGKILL');
      throw new Error(`${this.label} did not exit within ${timeoutMs} ms of ${signal}\n${this.log()}`);
    }
    return this.exitCode ?? null;
  }

  /** kill -9 of the daemon and everything it started (its VRRP child, scripts): a host dying. */
  async kill9(): Promise<void> {
    this.killGroup('SIGKILL');
    await this.exited;
  }

  /** Signals the daemon's whole process group (it was started as a group leader). */
  killGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone already
    }
  }
}

let labs = new Set<VrrpLab>();
process.on('exit', () => {
  for (const lab of labs) lab.killAll();
  labs = new Set();
});

/** A NetnsLab plus VRRP daemons and a temp directory for their configs, pid files and scripts. */
export class VrrpLab {
  readonly net: NetnsLab;
  readonly dir: string;
  readonly daemons: VrrpDaemon[] = [];
  private readonly others: ChildProcess[] = [];
  private extraLans = 0;

  constructor(tag: string) {
    this.net = new NetnsLab(tag);
    this.dir = mkdtempSync(join(tmpdir(), `kts-${tag}-`));
    labs.add(this);
  }

  lan(suffixes: string[], options?: LanOptions): LanMember[] {
    return this.net.lan(suffixes, options);
  }

  addAddress(member: Pick<LanMember, 'ns' | 'ifname'>, cidr: string): void {
    this.net.addAddress(member, cidr);
  }

  /** Routers (and observers) on one LAN, each with an address of its own (NetnsLab.routers). */
  routers(names: string[], plan: AddressPlan): LanMember[] {
    return this.net.routers(names, plan);
  }

  /** Writes a file into the lab's directory and returns its path. */
  writeFile(name: string, text: string, mode = 0o644): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  }

  /** Writes an executable /bin/sh script (root-owned, not group/world writable, as script security wants). */
  writeScript(name: string, body: string): string {
    return this.writeFile(name, `#!/bin/sh\n${body}\n`, 0o755);
  }

  /**
   * Starts a VRRP daemon in `member`'s namespace with `config` (written to <label>.conf), in the
   * foreground, logging to the console. Fails the test at once when `impl` is ours and not built.
   */
  start(
    impl: Implementation,
    member: Pick<LanMember, 'ns'>,
    label: string,
    config: string,
    /** Which children run: the VRRP one only by default; [] runs every child the config needs. */
    subsystems: string[] = ['-P'],
  ): VrrpDaemon {
    if (impl === 'ours') {
      const missing = oursMissingReason();
      if (missing) throw new Error(missing);
    }
    const files = this.daemonFiles(label);
    writeFileSync(files.config, config);
    const argv =
      impl === 'ours'
        ? [process.execPath, OURS_LAUNCHER, ...subsystems, '-n', '-l', '-D', ...this.fileArgs(files)]
        : [KEEPALIVED_BIN, '--no-syslog', ...subsystems, '-n', '-l', '-D', ...this.fileArgs(files)];
    const child = spawn('ip', ['netns', 'exec', member.ns, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // a process group of its own: see kill9()
      env: this.daemonEnv(files),
    });
    const daemon = new VrrpDaemon(label, impl, member.ns, child, files);
    this.daemons.push(daemon);
    return daemon;
  }

  /** The files of daemon `label` (its TMPDIR is created): see DaemonFiles. */
  daemonFiles(label: string): DaemonFiles {
    const tmpDir = join(this.dir, `${label}.tmp`);
    mkdirSync(tmpDir, { recursive: true });
    return {
      config: join(this.dir, `${label}.conf`),
      pid: join(this.dir, `${label}.pid`),
      vrrpPid: join(this.dir, `${label}.vrrp.pid`),
      checkersPid: join(this.dir, `${label}.checkers.pid`),
      bfdPid: join(this.dir, `${label}.bfd.pid`),
      tmpDir,
    };
  }

  /** -f and every pid file option, keepalived's and ours alike. */
  fileArgs(files: DaemonFiles): string[] {
    return [
      '-f',
      files.config,
      '-p',
      files.pid,
      '-r',
      files.vrrpPid,
      '-c',
      files.checkersPid,
      '-b',
      files.bfdPid,
    ];
  }

  /** The environment of a daemon: ours and keepalived both put their dump files in TMPDIR. */
  daemonEnv(files: DaemonFiles): NodeJS.ProcessEnv {
    return { ...process.env, TMPDIR: files.tmpDir };
  }

  /**
   * One more LAN between existing namespaces: a new bridge namespace and a veth `ifname` in each member
   * (up, no addresses). Returns the members as seen on that LAN.
   */
  joinLan(members: Pick<LanMember, 'ns'>[], ifname: string): LanMember[] {
    const bridgeNs = this.net.namespace(`bx${++this.extraLans}`);
    run(['ip', '-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    run(['ip', '-n', bridgeNs, 'link', 'set', 'br0', 'up']);
    return members.map((m, i) => {
      const port = `port${i}`;
      run(['ip', '-n', m.ns, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', port, 'netns', bridgeNs]);
      run(['ip', '-n', bridgeNs, 'link', 'set', port, 'master', 'br0', 'up']);
      run(['ip', '-n', m.ns, 'link', 'set', ifname, 'up']);
      const [link] = JSON.parse(run(['ip', '-n', m.ns, '-j', 'link', 'show', 'dev', ifname])) as {
        ifindex: number;
        address: string;
      }[];
      return { ns: m.ns, ifname, ifindex: link?.ifindex ?? 0, mac: link?.address ?? '' };
    });
  }

  /** `ip -n NS link set IFNAME up|down`. */
  setLink(member: Pick<LanMember, 'ns'>, ifname: string, up: boolean): void {
    run(['ip', '-n', member.ns, 'link', 'set', ifname, up ? 'up' : 'down']);
  }

  /**
   * Starts another routing daemon (FRR's zebra or vrrpd), or ours / keepalived with other options than
   * start() gives (`own`: which, and its files), watched like a VRRP daemon: its log lines, waitForLog,
   * stop and kill9 (it runs in a process group of its own too).
   */
  startOther(
    label: string,
    ns: string,
    argv: string[],
    own?: { impl: Implementation; files: DaemonFiles },
  ): VrrpDaemon {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: own ? this.daemonEnv(own.files) : process.env,
    });
    const none = join(this.dir, `${label}.none`);
    const daemon = new VrrpDaemon(
      label,
      own?.impl ?? 'frr',
      ns,
      child,
      own?.files ?? {
        config: none,
        pid: none,
        vrrpPid: none,
        checkersPid: none,
        bfdPid: none,
        tmpDir: none,
      },
    );
    this.daemons.push(daemon);
    return daemon;
  }

  /** Starts some other long-running helper process (tcpdump, a tracked `sleep`) in its own group. */
  spawnOther(ns: string, argv: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    this.others.push(child);
    return child;
  }

  /** Starts tcpdump on `ifname` in `ns` writing VRRP packets (or `filter`) to a file; resolves once listening. */
  async capture(
    ns: string,
    ifname = 'eth0',
    filter = 'ip proto 112 or ip6 proto 112 or ip proto 51 or ip6 proto 51',
  ): Promise<Capture> {
    const file = join(this.dir, `${ns}-${ifname}-${this.others.length}.pcap`);
    // --immediate-mode: without it libpcap hands packets over in TPACKET_V3 blocks, after up to a second,
    // and a capture stopped meanwhile loses the last ones (a priority-0 advert logged as sent, "missing").
    const child = this.spawnOther(ns, [
      'tcpdump',
      '-i',
      ifname,
      '-U',
      '--immediate-mode',
      '-n',
      '-w',
      file,
      filter,
    ]);
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${stderr}`)), 10_000);
      child.stderr?.on('data', (c: string) => {
        stderr += c;
        if (stderr.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tcpdump exited (${code}): ${stderr}`));
      });
    });
    return new Capture(child, file);
  }

  /** SIGKILLs every daemon group and helper process (synchronously; also used on process exit). */
  killAll(): void {
    for (const d of this.daemons) if (d.running) d.killGroup('SIGKILL');
    for (const c of this.others) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(-c.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  }

  /** Kills everything, waits for the daemons to be gone, deletes the namespaces and the temp directory. */
  async cleanup(): Promise<void> {
    this.killAll();
    await Promise.race([
      Promise.all(this.daemons.map((d) => (d.running ? d.kill9() : undefined))),
      sleep(3000),
    ]);
    this.net.cleanup();
    if (!process.env.KTS_KEEP_LAB) rmSync(this.dir, { recursive: true, force: true });
    else
      for (const d of this.daemons) {
        const timed = d.lines.map((l, i) => `+${(d.times[i] as number) - d.startedAt}ms ${l}`);
        writeFileSync(join(this.dir, `${d.label}.log`), timed.join('\n') + '\n');
      }
    labs.delete(this);
  }
}

// ---------------------------------------------------------------------------------------------------
// What the tests look at

/** Addresses ('10.1.0.100/24') on `ifname` in `ns`, all families. */
export function addresses(ns: string, ifname = 'eth0'): string[] {
  const r = exec(['ip', '-n', ns, '-j', 'addr', 'show', 'dev', ifname]);
  if (r.status !== 0) return [];
  const [link] = JSON.parse(r.stdout) as { addr_info: { local?: string; prefixlen?: number }[] }[];
  return (link?.addr_info ?? []).filter((a) => a.local).map((a) => `${a.local}/${a.prefixlen}`);
}

/** Whether `ns` has `address` (no prefix) on `ifname`. */
export function hasAddress(ns: string, address: string, ifname = 'eth0'): boolean {
  return addresses(ns, ifname).some((a) => a.split('/')[0] === address);
}

/** The MAC an observer's neighbour table maps `ip` to, or undefined (also when FAILED/INCOMPLETE). */
export function neighbourMac(ns: string, ip: string, ifname = 'eth0'): string | undefined {
  const r = exec(['ip', '-n', ns, '-j', 'neigh', 'show', ip, 'dev', ifname]);
  if (r.status !== 0 || !r.stdout.trim()) return undefined;
  const [entry] = JSON.parse(r.stdout) as { lladdr?: string }[];
  return entry?.lladdr;
}

/** Prepares an observer host to learn neighbours from unsolicited ARP / NA (as a router would). */
export function makeObserver(member: Pick<LanMember, 'ns' | 'ifname'>): void {
  const sysctl = (key: string, value: number): void => {
    exec(['ip', 'netns', 'exec', member.ns, 'sysctl', '-q', '-w', `${key}=${value}`]);
  };
  sysctl(`net.ipv4.conf.${member.ifname}.arp_accept`, 1);
  sysctl(`net.ipv6.conf.${member.ifname}.accept_untracked_na`, 1);
  sysctl(`net.ipv6.conf.${member.ifname}.forwarding`, 1);
}

/** The link-layer address of `ifname` in `ns`. */
export function macOf(ns: string, ifname: string): string {
  const [link] = JSON.parse(run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', ifname])) as {
    address: string;
  }[];
  return link?.address ?? '';
}

/**
 * Makes `ns` resolve `ip` (a UDP datagram to the discard port through bash's /dev/udp: this machine has
 * no ping) and waits until its neighbour table holds a MAC for it; returns that MAC.
 */
export async function resolveNeighbour(ns: string, ip: string, timeoutMs = 3000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    exec(['ip', 'netns', 'exec', ns, 'bash', '-c', `echo x > /dev/udp/${ip}/9`], { timeoutMs: 2000 });
    const mac = await waitUntil(() => neighbourMac(ns, ip), 'neighbour', 300).catch(() => undefined);
    if (mac) return mac;
    if (Date.now() > deadline) {
      const table = exec(['ip', '-n', ns, 'neigh']).stdout;
      throw new Error(`${ns} could not resolve ${ip} within ${timeoutMs} ms; neighbours:\n${table}`);
    }
  }
}

/** Whether a pid file names a live process. */
export function pidFileAlive(path: string): boolean {
  if (!existsSync(path)) return false;
  const pid = Number(readFileSync(path, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `body` with a fresh lab and always cleans it up (namespaces, daemons, files), also on failure. */
export async function withLab<T>(tag: string, body: (lab: VrrpLab) => Promise<T>): Promise<T> {
  const lab = new VrrpLab(tag);
  try {
    return await body(lab);
  } finally {
    await lab.cleanup();
  }
}
