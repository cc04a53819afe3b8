// Network namespaces for kernel tests: every packet a test sends stays inside namespaces it created here,
// connected through a bridge that lives in a namespace of its own. Nothing touches the root namespace's
// interfaces. A NetnsLab owns what it creates and tears it all down in cleanup() (call it from an `after`
// hook); a process 'exit' hook tears down whatever a crashed test left behind.
//
// Typical use:
//   const reason = netnsSkipReason(); if (reason) { t.skip(reason); return; }
//   const lab = new NetnsLab('sock');
//   const [a, b] = lab.lan(['a', 'b']);           // a.ns, a.ifname ('eth0'), a.ifindex, a.mac
//   lab.addAddress(a, '192.0.2.1/24');
//   const child = lab.spawn(b.ns, [process.execPath, script, 'args']);
//   await waitForLine(child, (l) => l === 'ready');
//   ...; lab.cleanup();
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { needsRoot } from './requirements.js';

export interface ExecResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Why kernel tests cannot run here (not root, no `ip`, no namespaces), or undefined when they can. */
export const netnsSkipReason = needsRoot;

/** Runs a command and returns its outcome without throwing. */
export function exec(argv: string[], options: { timeoutMs?: number; input?: string } = {}): ExecResult {
  const [cmd, ...args] = argv as [string, ...string[]];
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 20_000,
    input: options.input,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}

/** Runs a command and returns its stdout; throws with its stderr when it fails. */
export function run(argv: string[], options: { timeoutMs?: number; input?: string } = {}): string {
  const r = exec(argv, options);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** `ip netns exec ns argv...` returning the outcome. */
export function netnsExec(
  ns: string,
  argv: string[],
  options: { timeoutMs?: number; input?: string } = {},
): ExecResult {
  return exec(['ip', 'netns', 'exec', ns, ...argv], options);
}

/** `ip netns exec ns argv...` returning stdout; throws on failure. */
export function netnsRun(
  ns: string,
  argv: string[],
  options: { timeoutMs?: number; input?: string } = {},
): string {
  return run(['ip', 'netns', 'exec', ns, ...argv], options);
}

/** Starts a long-running process inside `ns` (stdout/stderr piped, utf8). Prefer NetnsLab.spawn, which tracks it. */
export function netnsSpawn(ns: string, argv: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: env ?? process.env,
  });
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  return child;
}

/** Writes a sysctl inside `ns` (e.g. 'net.ipv6.conf.all.accept_dad', '0'). */
export function setSysctl(ns: string, key: string, value: string | number): void {
  netnsRun(ns, ['sysctl', '-q', '-w', `${key}=${value}`]);
}

/** Whether a sysctl exists in `ns` (some are newer than the kernel). */
export function hasSysctl(ns: string, key: string): boolean {
  return netnsExec(ns, ['sysctl', '-n', key]).status === 0;
}

export interface LinkInfo {
  ifindex: number;
  mac: string;
}

/** ifindex and MAC of `ifname` inside `ns`. */
export function linkInfo(ns: string, ifname: string): LinkInfo {
  const [link] = JSON.parse(run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', ifname])) as {
    ifindex: number;
    address: string;
  }[];
  if (!link) throw new Error(`no link ${ifname} in ${ns}`);
  return { ifindex: link.ifindex, mac: link.address };
}

/** A namespace's interface on a lab LAN. */
export interface LanMember {
  ns: string;
  ifname: string;
  ifindex: number;
  mac: string;
}

/** Addresses for the members of a LAN: `${ipv4}.N/24`, and `${ipv6}N/64` when given. */
export interface AddressPlan {
  /** The first three octets, e.g. '10.1.0'. */
  ipv4: string;
  /** The prefix up to the host number, e.g. '2001:db8:5::'. */
  ipv6?: string;
  /** Host numbers N in member order; 1, 2, 3... when absent. */
  hosts?: number[];
}

export interface LanOptions {
  /** Interface name inside each member namespace (default 'eth0'; names are per namespace). */
  ifname?: string;
  /** Bridge multicast snooping (default off: VRRP groups must flood like on a plain switch). */
  multicastSnooping?: boolean;
}

/** The IPv6 link-local address of a member's interface, or undefined while it has none. */
export function linkLocalAddress(member: Pick<LanMember, 'ns' | 'ifname'>): string | undefined {
  const out = run(['ip', '-n', member.ns, '-j', '-6', 'addr', 'show', 'dev', member.ifname, 'scope', 'link']);
  const [link] = JSON.parse(out) as { addr_info: { local?: string; tentative?: boolean }[] }[];
  // iproute2 prints filtered-out addresses as {} entries: skip those too.
  return link?.addr_info.find((a) => a.local && !a.tentative)?.local;
}

/** Waits (blocking, tests only) until the kernel has given the interface its link-local address. */
export function waitForLinkLocal(member: Pick<LanMember, 'ns' | 'ifname'>, timeoutMs = 5000): string {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const address = linkLocalAddress(member);
    if (address) return address;
    if (Date.now() > deadline)
      throw new Error(`${member.ns}/${member.ifname}: no link-local address after ${timeoutMs} ms`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25); // link-up events are processed asynchronously
  }
}

let labCounter = 0;
const liveLabs = new Set<NetnsLab>();
process.on('exit', () => {
  for (const lab of liveLabs) lab.cleanup();
});
// Ctrl-C or a runner's SIGTERM: tear down what the file made, then die of the same signal. A runner
// killed outright (SIGKILL) leaves namespaces behind; the kernel tier sweeps those at its start
// (scripts/sweep-test-namespaces.js).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const lab of liveLabs) lab.cleanup();
    process.kill(process.pid, signal);
  });
}

/** Kills every process still inside `ns` (daemons that detached themselves included), then deletes it. */
export function deleteNamespace(ns: string): void {
  const pids = exec(['ip', 'netns', 'pids', ns]).stdout.split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  exec(['ip', 'netns', 'del', ns]);
}

/** Owns namespaces and processes created for one test file; cleanup() removes them all. */
export class NetnsLab {
  /** Prefix of every namespace name: kts-<tag>-<pid>-<n> (the sweeper reads the pid to tell stale ones). */
  readonly prefix: string;
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private bridgeCount = 0;

  constructor(tag: string) {
    this.prefix = `kts-${tag}-${process.pid}-${++labCounter}`;
    liveLabs.add(this);
  }

  /**
   * Creates namespace `<prefix>-<suffix>` with loopback up and IPv6 DAD off (so addresses are usable at
   * once, not tentative for a second or two); returns its name.
   */
  namespace(suffix: string): string {
    const name = `${this.prefix}-${suffix}`;
    run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    for (const scope of ['all', 'default']) setSysctl(name, `net.ipv6.conf.${scope}.accept_dad`, 0);
    return name;
  }

  /**
   * A LAN: a bridge in namespace `<prefix>-br<n>` and one new namespace per member suffix, each with a
   * veth `ifname` whose peer is enslaved to the bridge. Links are up; no addresses yet.
   */
  lan(memberSuffixes: string[], options: LanOptions = {}): LanMember[] {
    const ifname = options.ifname ?? 'eth0';
    const bridgeNs = this.namespace(`br${this.bridgeCount++}`);
    run([
      'ip',
      '-n',
      bridgeNs,
      'link',
      'add',
      'br0',
      'type',
      'bridge',
      'mcast_snooping',
      options.multicastSnooping ? '1' : '0',
    ]);
    run(['ip', '-n', bridgeNs, 'link', 'set', 'br0', 'up']);
    const members = memberSuffixes.map((suffix, i) => {
      const ns = this.namespace(suffix);
      const port = `port${i}`;
      run(['ip', '-n', ns, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', port, 'netns', bridgeNs]);
      run(['ip', '-n', bridgeNs, 'link', 'set', port, 'master', 'br0', 'up']);
      run(['ip', '-n', ns, 'link', 'set', ifname, 'up']);
      return { ns, ifname, ...linkInfo(ns, ifname) };
    });
    for (const member of members) waitForLinkLocal(member);
    return members;
  }

  /** Adds an address ('192.0.2.1/24', '2001:db8::1/64') to a member's interface. */
  addAddress(member: Pick<LanMember, 'ns' | 'ifname'>, cidr: string): void {
    const extra = cidr.includes(':') ? ['nodad'] : [];
    run(['ip', '-n', member.ns, 'addr', 'add', cidr, 'dev', member.ifname, ...extra]);
  }

  /**
   * Routers (and observers) on one LAN, each with an address of its own: `${ipv4}.N/24` and, given an IPv6
   * prefix, `${ipv6}N/64` (ipv6 '2001:db8:5::' gives 2001:db8:5::1), N being 1, 2, 3... in order or the
   * `hosts` given (observers are usually 9).
   */
  routers(names: string[], plan: AddressPlan): LanMember[] {
    const members = this.lan(names);
    members.forEach((m, i) => {
      const host = plan.hosts?.[i] ?? i + 1;
      this.addAddress(m, `${plan.ipv4}.${host}/24`);
      if (plan.ipv6 !== undefined) this.addAddress(m, `${plan.ipv6}${host}/64`);
    });
    return members;
  }

  /** Starts a tracked long-running process inside `ns`; cleanup() kills it if still running. */
  spawn(ns: string, argv: string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const child = netnsSpawn(ns, argv, env);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Kills tracked processes and deletes every namespace (their interfaces go with them). Idempotent. */
  cleanup(): void {
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
    for (const ns of this.namespaces.splice(0).reverse()) deleteNamespace(ns);
    liveLabs.delete(this);
  }
}

/** Every stdout line of a child, buffered from the first call on, so no line is lost between waits. */
class LineReader {
  private readonly lines: string[] = [];
  private partial = '';
  private stderr = '';
  private exited: number | null | undefined;
  private waiter: (() => void) | undefined;

  constructor(child: ChildProcess) {
    child.stdout?.on('data', (chunk: string) => {
      this.partial += chunk;
      const parts = this.partial.split('\n');
      this.partial = parts.pop() as string;
      this.lines.push(...parts);
      this.waiter?.();
    });
    child.stderr?.on('data', (chunk: string) => (this.stderr += chunk));
    child.once('exit', (code) => {
      this.exited = code;
      this.waiter?.();
    });
  }

  /** Consumes buffered lines up to and including the first match; waits for more if none matches. */
  next(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no matching line within ${timeoutMs} ms; stderr: ${this.stderr.trim()}`));
      }, timeoutMs);
      const check = (): void => {
        while (this.lines.length > 0) {
          const line = this.lines.shift() as string;
          if (match(line)) {
            clearTimeout(timer);
            this.waiter = undefined;
            return resolve(line);
          }
        }
        if (this.exited !== undefined) {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(
            new Error(
              `process exited (${this.exited}) before the expected line; stderr: ${this.stderr.trim()}`,
            ),
          );
        }
      };
      this.waiter = check;
      check();
    });
  }
}

const readers = new WeakMap<ChildProcess, LineReader>();

/**
 * Resolves with the next stdout line of `child` that satisfies `match` (lines before it are consumed);
 * rejects when the process exits first or on timeout. Safe to call repeatedly on one child.
 */
export function waitForLine(
  child: ChildProcess,
  match: (line: string) => boolean,
  timeoutMs = 10_000,
): Promise<string> {
  let reader = readers.get(child);
  if (!reader) {
    reader = new LineReader(child);
    readers.set(child, reader);
  }
  return reader.next(match, timeoutMs);
}

/** Resolves with the exit code and full output of a process started with netnsSpawn/NetnsLab.spawn. */
export function waitForExit(child: ChildProcess, timeoutMs = 20_000): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve({ status: child.exitCode, stdout: '', stderr: '' });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: string) => (stdout += c));
    child.stderr?.on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not exit within ${timeoutMs} ms; stderr: ${stderr.trim()}`));
    }, timeoutMs);
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
