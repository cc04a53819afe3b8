// The lab of the fixture oracle: keepalived 2.2.7 in namespace `k`, the other routers of the fixture played
// by the injector agent in namespace `p`, one bridge LAN between them per VRRP interface, and the means to
// drive and watch keepalived: link changes through a long-running `ip -batch -` in `k` (no process start at
// the moment of the event), FIFOs for keepalived's notify_fifo and for the wrappers' lines, the verdict FIFOs
// the vrrp_script wrappers read their exit status from, JSON dumps (keepalived --signum=JSON) and kernel
// state. Everything keepalived writes goes to the lab's temp directory: pid files (-p -r -c -b) and its
// TMPDIR (keepalived.json and friends); nothing to the host's /run or /tmp/keepalived.*.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  constants,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { run, type LanMember } from './netns.js';
import { FRAME_FILTER } from './differential-observe.js';
import { KEEPALIVED_BIN, sleep, VrrpDaemon, VrrpLab, type Capture } from './vrrp-lab.js';
import { wallNow } from './wall-clock.js';
import { KEEPALIVED_RT_PRIORITY, type OracleConfig } from './oracle-config.js';
import type { TimedLine } from './oracle-observe.js';
import type { InjectedPacket } from './oracle-packets.js';

const execFileAsync = promisify(execFile);
const AGENT = fileURLToPath(new URL('./oracle-injector-agent.js', import.meta.url));

/** Lines of a stream with their arrival times (wallNow). */
class LineLog {
  readonly lines: TimedLine[] = [];
  private partial = '';
  private waiters = new Set<() => void>();

  feed(chunk: string): void {
    const at = wallNow();
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() as string;
    for (const text of parts) this.lines.push({ at, text });
    for (const w of this.waiters) w();
  }

  /** The first line at index >= from matching `re`; rejects after timeoutMs. */
  waitFor(re: RegExp, from: number, timeoutMs: number): Promise<TimedLine & { index: number }> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = from; i < this.lines.length; i++) {
          const l = this.lines[i] as TimedLine;
          if (re.test(l.text)) {
            this.waiters.delete(check);
            clearTimeout(timer);
            resolve({ ...l, index: i });
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no line matching ${re} within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }
}

/** A FIFO kept open read-write (so neither side ever blocks on open), read line by line. */
class FifoReader {
  readonly log = new LineLog();
  private readonly socket: Socket;

  constructor(path: string) {
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    this.socket = new Socket({ fd, readable: true, writable: false });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => this.log.feed(chunk));
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface KernelSnapshot {
  at: number;
  addresses: string[];
  routes: string[];
  rules: string[];
}

export interface JsonSnapshot {
  requestedAt: number;
  /** When keepalived logged "Printing VRRP as json" (it writes the file right then). */
  dumpedAt: number;
  readAt: number;
  /** keepalived.json: one object per instance ({data, stats}). */
  instances: { data: Record<string, unknown>; stats: Record<string, number> }[];
}

let realTime: boolean | undefined;
/** Whether this machine lets us run real-time (root without CAP_SYS_NICE, e.g. in some containers, does not). */
export function realTimeAllowed(): boolean {
  realTime ??= spawnSync('chrt', ['--rr', String(KEEPALIVED_RT_PRIORITY), 'true']).status === 0;
  return realTime;
}

// a run cut short (Ctrl-C, a crash) still leaves no temp directory behind; VrrpLab's own exit hook kills
// keepalived and NetnsLab's deletes the namespaces
const liveDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

export class OracleLab {
  readonly lab: VrrpLab;
  readonly dir: string;
  k!: LanMember;
  p!: LanMember;
  readonly log = new LineLog();
  notifyFifo!: FifoReader;
  eventsFifo!: FifoReader;
  private readonly verdictFds = new Map<string, number>();
  private captures: { ifname: string; capture: Capture }[] = [];
  private ipBatch: ChildProcess | undefined;
  private agent: ChildProcess | undefined;
  private agentLog = new LineLog();
  private signaller: ChildProcess | undefined;
  keepalived: VrrpDaemon | undefined;
  configPath = '';
  /** MACs of keepalived's interfaces (its frames on the wire). */
  readonly macs = new Set<string>();
  jsonSignal = 0;

  constructor(tag: string) {
    this.lab = new VrrpLab(tag);
    this.dir = this.lab.dir;
    liveDirs.add(this.dir);
  }

  /** Namespaces, LANs, addresses, dummies, FIFOs and wrapper files for `config`. */
  build(config: OracleConfig): void {
    const [first, ...rest] = config.lans;
    if (!first) throw new Error('no LAN: the fixture has no instance');
    [this.k, this.p] = this.lab.lan(['k', 'p'], { ifname: first.ifname }) as [LanMember, LanMember];
    for (const lan of rest) this.lab.joinLan([this.k, this.p], lan.ifname);
    for (const lan of config.lans) {
      for (const cidr of lan.keepalived) {
        if (cidr.startsWith('fe80:')) this.ownLinkLocal(lan.ifname, cidr);
        else this.lab.addAddress({ ns: this.k.ns, ifname: lan.ifname }, cidr);
      }
      for (const cidr of lan.injector) this.lab.addAddress({ ns: this.p.ns, ifname: lan.ifname }, cidr);
      this.macs.add(this.mac(this.k.ns, lan.ifname));
    }
    // tracked-only interfaces: a veth pair inside k (this kernel has no dummy driver); its far end stays up
    config.dummies.forEach((name, i) => {
      run(['ip', '-n', this.k.ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `trk${i}`]);
      run(['ip', '-n', this.k.ns, 'link', 'set', `trk${i}`, 'up']);
      run(['ip', '-n', this.k.ns, 'link', 'set', name, 'up']);
    });
    const fifo = (name: string): string => {
      const path = join(this.dir, name);
      run(['mkfifo', '-m', '600', path]);
      return path;
    };
    fifo('notify.fifo');
    fifo('events.fifo');
    this.notifyFifo = new FifoReader(join(this.dir, 'notify.fifo'));
    this.eventsFifo = new FifoReader(join(this.dir, 'events.fifo'));
    for (const s of config.scripts) {
      run(['mkfifo', '-m', '600', s.verdictFifo]);
      this.verdictFds.set(s.name, openSync(s.verdictFifo, constants.O_RDWR | constants.O_NONBLOCK));
      this.writeExecutable(s.path, s.body);
    }
    for (const n of config.notifies) this.writeExecutable(n.path, n.body);
    for (const f of config.trackFiles) writeFileSync(f.path, `${f.initial}\n`);
    const signum = spawnSync(KEEPALIVED_BIN, ['--signum=JSON'], { encoding: 'utf8' });
    this.jsonSignal = Number(signum.stdout.trim());
    if (!Number.isInteger(this.jsonSignal) || this.jsonSignal <= 0)
      throw new Error(`keepalived --signum=JSON gave ${JSON.stringify(signum.stdout)}`);
  }

  /** Replaces the kernel's link-local address of `ifname` in k by `cidr` (the fixture's fe80:: source). */
  private ownLinkLocal(ifname: string, cidr: string): void {
    run(['ip', '-n', this.k.ns, 'link', 'set', 'dev', ifname, 'addrgenmode', 'none']);
    run(['ip', '-n', this.k.ns, '-6', 'addr', 'flush', 'dev', ifname, 'scope', 'link']);
    this.lab.addAddress({ ns: this.k.ns, ifname }, cidr);
  }

  private mac(ns: string, ifname: string): string {
    const [link] = JSON.parse(run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', ifname])) as {
      address: string;
    }[];
    return link?.address ?? '';
  }

  private writeExecutable(path: string, body: string): void {
    writeFileSync(path, body);
    chmodSync(path, 0o755);
  }

  /** tcpdump on each LAN interface of k, the injector agent in p, `ip -batch` in k. */
  async startWatchers(ifnames: string[]): Promise<void> {
    for (const ifname of ifnames)
      this.captures.push({ ifname, capture: await this.lab.capture(this.k.ns, ifname, FRAME_FILTER) });
    this.agent = this.lab.net.spawn(this.p.ns, [process.execPath, AGENT]);
    this.agent.stdout?.on('data', (c: string) => this.agentLog.feed(c));
    await this.agentLog.waitFor(/"ready"/, 0, 15_000);
    this.ipBatch = this.lab.net.spawn(this.k.ns, ['ip', '-force', '-batch', '-']);
  }

  /** Links down before keepalived starts (after tcpdump, which needs them up to start). */
  setInitialLinks(linksDown: string[]): void {
    for (const name of linksDown) run(['ip', '-n', this.k.ns, 'link', 'set', name, 'down']);
  }

  /** Starts keepalived (VRRP only, foreground, console log, detailed log, its own pid files and TMPDIR). */
  startKeepalived(configText: string): VrrpDaemon {
    this.configPath = join(this.dir, 'keepalived.conf');
    writeFileSync(this.configPath, configText);
    const files = {
      config: this.configPath,
      pid: join(this.dir, 'keepalived.pid'),
      vrrpPid: join(this.dir, 'vrrp.pid'),
      checkersPid: join(this.dir, 'checkers.pid'),
    };
    // real-time round-robin from the start, inherited by the VRRP child and the scripts it runs: on a
    // loaded machine a normal-priority keepalived wakes tens of ms late. Not keepalived's own
    // vrrp_rt_priority: with it, its VRRP child was SIGKILLed (RLIMIT_RTTIME) after a SIGHUP here.
    const argv = [
      ...(realTimeAllowed() ? ['chrt', '--rr', String(KEEPALIVED_RT_PRIORITY)] : []),
      KEEPALIVED_BIN,
      '--no-syslog',
      '-P',
      '-n',
      '-l',
      '-D',
      '-f',
      files.config,
      '-p',
      files.pid,
      '-r',
      files.vrrpPid,
      '-c',
      files.checkersPid,
      '-b',
      join(this.dir, 'bfd.pid'),
    ];
    const child = spawn('ip', ['netns', 'exec', this.k.ns, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, TMPDIR: this.dir },
    });
    const daemon = new VrrpDaemon('keepalived', 'keepalived', this.k.ns, child, {
      ...files,
      bfdPid: join(this.dir, 'bfd.pid'),
      tmpDir: this.dir,
    });
    child.stdout?.on('data', (c: string) => this.log.feed(c));
    child.stderr?.on('data', (c: string) => this.log.feed(c));
    this.lab.daemons.push(daemon);
    this.keepalived = daemon;
    return daemon;
  }

  /** Queues packets for the agent to send at their wall-clock times; resolves with what it reports. */
  inject(id: number, at: number, packet: InjectedPacket): Promise<{ sentAt: number; lateMs: number }> {
    const cmd = {
      id,
      at,
      ifname: packet.ifname,
      family: packet.family,
      hex: Buffer.from(packet.bytes).toString('hex'),
      destination: packet.destination,
      ...(packet.source ? { source: packet.source } : {}),
      ...(packet.hopLimit !== undefined ? { hopLimit: packet.hopLimit } : {}),
    };
    this.agent?.stdin?.write(`${JSON.stringify(cmd)}\n`);
    return this.agentLog
      .waitFor(new RegExp(`^\\{"id":${id},`), 0, Math.max(0, at - wallNow()) + 10_000)
      .then((l) => {
        const r = JSON.parse(l.text) as { sentAt?: number; lateMs?: number; error?: string };
        if (r.error !== undefined) throw new Error(`injector: ${r.error}`);
        return { sentAt: r.sentAt as number, lateMs: r.lateMs as number };
      });
  }

  /** `ip link set dev IFNAME up|down` in k, through the running `ip -batch`; returns when written. */
  setLink(ifname: string, up: boolean): number {
    const at = wallNow();
    this.ipBatch?.stdin?.write(`link set dev ${ifname} ${up ? 'up' : 'down'}\n`);
    return at;
  }

  /** Answers the vrrp_script wrapper of `name` that is waiting (exit status `status`). */
  answerScript(name: string, status: number): number {
    const fd = this.verdictFds.get(name);
    if (fd === undefined) throw new Error(`no verdict FIFO for ${name}`);
    const at = wallNow();
    writeSync(fd, `${status}\n`);
    return at;
  }

  signal(sig: NodeJS.Signals): number {
    const at = wallNow();
    this.keepalived?.child.kill(sig);
    return at;
  }

  /**
   * keepalived.json, written by the VRRP child on the JSON signal (a realtime signal, which Node's kill()
   * does not take: a long-running bash sends it with its kill builtin, so no process starts at that moment).
   */
  async jsonSnapshot(timeoutMs = 2000): Promise<JsonSnapshot | undefined> {
    const path = join(this.dir, 'keepalived.json');
    // straight to the VRRP child, which writes the file (the parent would only pass the signal on)
    const pid = this.vrrpChildPid();
    if (pid === undefined || !this.keepalived?.running) return undefined;
    if (!this.signaller) this.signaller = spawn('bash', ['-s'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const mtime = (): number => {
      try {
        return statSync(path).mtimeMs;
      } catch {
        return 0;
      }
    };
    const before = mtime();
    const from = this.log.lines.length;
    const requestedAt = wallNow();
    this.signaller.stdin?.write(`kill -${this.jsonSignal} ${pid}\n`);
    const dumped = await this.log.waitFor(/Printing VRRP as json/, from, timeoutMs).catch(() => undefined);
    if (!dumped) return undefined;
    const deadline = wallNow() + timeoutMs;
    while (wallNow() < deadline) {
      try {
        if (mtime() !== before) {
          const instances = JSON.parse(readFileSync(path, 'utf8')) as JsonSnapshot['instances'];
          return { requestedAt, dumpedAt: dumped.at, readAt: wallNow(), instances };
        }
      } catch {
        // not written completely yet
      }
      await sleep(1);
    }
    return undefined;
  }

  private vrrpChildPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dir, 'vrrp.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Addresses, routes and rules of k (as `ip -j` prints them, reduced to lines). */
  async kernelSnapshot(): Promise<KernelSnapshot> {
    const at = wallNow();
    const ipJson = async (args: string[]): Promise<Record<string, unknown>[]> => {
      const { stdout } = await execFileAsync('ip', ['-n', this.k.ns, '-j', ...args]);
      return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>[]) : [];
    };
    const addresses: string[] = [];
    for (const link of await ipJson(['addr', 'show']))
      for (const a of (link.addr_info as Record<string, unknown>[] | undefined) ?? [])
        if (a.local) addresses.push(`${String(link.ifname)} ${String(a.local)}/${String(a.prefixlen)}`);
    const routes = (await ipJson(['-4', 'route', 'show', 'table', 'all'])).map(
      (r) =>
        `${String(r.dst)}${r.gateway ? ` via ${String(r.gateway)}` : ''} table ${String(r.table ?? 'main')}`,
    );
    const rules = (await ipJson(['-4', 'rule', 'show'])).map(
      (r) => `${r.src ? `from ${String(r.src)}` : 'from all'} table ${String(r.table)}`,
    );
    return { at, addresses, routes, rules };
  }

  /** Stops tcpdump and returns the capture files by interface. */
  async stopCaptures(): Promise<{ ifname: string; file: string }[]> {
    await Promise.all(this.captures.map((c) => c.capture.stop().catch(() => [])));
    return this.captures.map((c) => ({ ifname: c.ifname, file: c.capture.file }));
  }

  async cleanup(): Promise<void> {
    this.agent?.stdin?.end();
    this.signaller?.stdin?.end();
    this.ipBatch?.stdin?.end();
    this.notifyFifo?.close();
    this.eventsFifo?.close();
    for (const fd of this.verdictFds.values()) closeSync(fd);
    this.verdictFds.clear();
    await this.lab.cleanup();
    liveDirs.delete(this.dir);
  }
}
