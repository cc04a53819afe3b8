// The live demo's network: namespaces named kts-demo-<pid>-<suffix> (the test suite's sweeper reads the
// pid to remove what a killed demo left behind), a bridge in a namespace of its own and one veth pair per
// member. Nothing is created in the root namespace: every `ip` call names the namespace it changes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Runs ip(8) (or any command) and returns its stdout; throws with its stderr when it fails. */
export function runCommand(argv: readonly string[]): string {
  const [cmd, ...args] = argv as [string, ...string[]];
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0)
    throw new Error(`${argv.join(' ')} failed (${r.status}): ${(r.stderr ?? String(r.error)).trim()}`);
  return r.stdout;
}

/** A namespace's port on the demo LAN. */
export interface Member {
  name: string;
  ns: string;
  /** Its veth's bridge-side end (in the bridge's namespace): the cable to pull. */
  port: string;
}

export class DemoLab {
  readonly prefix = `kts-demo-${process.pid}`;
  readonly bridgeNs = `${this.prefix}-br`;
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private stopping = false;

  /** A new namespace with loopback up. */
  private namespace(ns: string): void {
    runCommand(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    runCommand(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }

  /** The bridge namespace and one member namespace per name, each with eth0 = `addresses[i]`. */
  lan(names: readonly string[], addresses: readonly string[]): Member[] {
    this.namespace(this.bridgeNs);
    // no multicast snooping: VRRP adverts flood as on a plain switch
    runCommand(['ip', '-n', this.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    runCommand(['ip', '-n', this.bridgeNs, 'link', 'set', 'br0', 'up']);
    return names.map((name, i) => {
      const ns = `${this.prefix}-${name}`;
      const port = `port-${name}`;
      this.namespace(ns);
      runCommand([
        'ip',
        '-n',
        ns,
        'link',
        'add',
        'eth0',
        'type',
        'veth',
        'peer',
        'name',
        port,
        'netns',
        this.bridgeNs,
      ]);
      runCommand(['ip', '-n', this.bridgeNs, 'link', 'set', port, 'master', 'br0', 'up']);
      runCommand(['ip', '-n', ns, 'addr', 'add', addresses[i] as string, 'dev', 'eth0']);
      runCommand(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      return { name, ns, port };
    });
  }

  /** Pulls (false) or plugs back (true) a member's cable: its port on the bridge goes down or up. */
  setCable(member: Member, up: boolean): void {
    runCommand(['ip', '-n', this.bridgeNs, 'link', 'set', member.port, up ? 'up' : 'down']);
  }

  /** Whether `address` is on the member's eth0 now. */
  async hasAddress(member: Member, address: string): Promise<boolean> {
    const { stdout } = await execFileAsync('ip', [
      '-n',
      member.ns,
      '-j',
      '-4',
      'addr',
      'show',
      'dev',
      'eth0',
    ]);
    const [link] = JSON.parse(stdout) as { addr_info: { local?: string }[] }[];
    return link?.addr_info.some((a) => a.local === address) ?? false;
  }

  /** Starts `argv` inside `ns` in a process group of its own (so a terminal's Ctrl-C reaches only us). */
  spawn(ns: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    if (this.stopping) throw new Error('the demo is stopping');
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env,
    });
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** SIGTERM to every process group still running, then SIGKILL to those that outlive `graceMs`. */
  async stopChildren(graceMs: number): Promise<void> {
    this.stopping = true;
    const running = [...this.children];
    const exited = running.map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve())));
    for (const c of running) signalGroup(c, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(exited), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const c of this.children) signalGroup(c, 'SIGKILL');
  }

  /**
   * Removes everything (synchronous, so that an 'exit' hook can run it too): kills what is left in each
   * namespace, deletes the namespaces. Returns the namespaces it deleted.
   */
  removeAll(): string[] {
    this.stopping = true;
    for (const c of this.children) signalGroup(c, 'SIGKILL');
    const removed: string[] = [];
    for (const ns of this.namespaces.splice(0).reverse()) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      if (spawnSync('ip', ['netns', 'del', ns]).status === 0) removed.push(ns);
    }
    return removed;
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone
  }
}
