// `keepalived-ts demo --live` (root): two real keepalived-ts routers and a client in network namespaces of
// the demo's own (see demo-lab.ts), the master's cable pulled and plugged back, the takeover shown with the
// daemon's own timing and the client's lost echo requests, then everything removed again, also on Ctrl-C,
// SIGTERM or an error. The safe first demo stays `npm run demo` (the simulator).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { DemoLab, type Member } from './demo-lab.js';
import type { ClientReport } from './demo-client.js';

const LAUNCHER = fileURLToPath(new URL('../../../bin/keepalived-ts', import.meta.url));
const CLIENT = fileURLToPath(new URL('./demo-client.js', import.meta.url));
const VIP = '192.0.2.10';
const STATUS_PORT = 9650;
const USAGE = `usage: keepalived-ts demo --live [--quick]
  as root: runs two keepalived-ts routers and a client in network namespaces of its own (kts-demo-<pid>-*),
  pulls the master's cable, shows the takeover and the client's lost packets, plugs it back, and removes
  everything it created. --quick shortens the pauses. The simulation demo is \`npm run demo\`.
`;

interface Router extends Member {
  priority: number;
  address: string;
  log: LogWatch;
}

/** A child's output, line by line, with the time each line arrived; waiters for a matching line. */
class LogWatch {
  readonly lines: Array<{ at: number; text: string }> = [];
  private readonly waiters = new Set<() => void>();
  private partial = '';
  exited = false;

  constructor(child: ChildProcess) {
    const take = (chunk: string): void => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() as string;
      for (const text of parts) this.lines.push({ at: Date.now(), text });
      for (const w of this.waiters) w();
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.once('exit', () => {
      this.exited = true;
      for (const w of this.waiters) w();
    });
  }

  mark(): number {
    return this.lines.length;
  }

  /** The first line at index >= since that matches, once it has arrived. */
  waitFor(
    pattern: RegExp,
    timeoutMs: number,
    since = 0,
    what = String(pattern),
  ): Promise<{ at: number; text: string }> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.lines.slice(since).find((l) => pattern.test(l.text));
        if (hit) return done(() => resolve(hit));
        if (this.exited) done(() => reject(new Error(`exited before logging ${what}:\n${this.tail()}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${what} within ${timeoutMs} ms:\n${this.tail()}`))),
        timeoutMs,
      );
      const done = (then: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        then();
      };
      this.waiters.add(check);
      check();
    });
  }

  tail(n = 15): string {
    return this.lines
      .slice(-n)
      .map((l) => `    ${l.text}`)
      .join('\n');
  }
}

function routerConfig(name: string, priority: number, withStatus: boolean): string {
  return [
    'global_defs {',
    `  router_id ${name}`,
    '}',
    ...(withStatus ? ['status_http {', `  listen 127.0.0.1 ${STATUS_PORT}`, '}'] : []),
    'vrrp_instance VI_1 {',
    '  state BACKUP',
    '  interface eth0',
    '  virtual_router_id 51',
    '  version 3',
    `  priority ${priority}`,
    '  advert_int 0.5',
    '  virtual_ipaddress {',
    `    ${VIP}/24`,
    '  }',
    '}',
    '',
  ].join('\n');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export async function runDemo(args: readonly string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = args.filter((a) => a !== '--live' && a !== '--quick');
  if (!args.includes('--live') || unknown.length > 0) {
    process.stderr.write(
      (unknown.length > 0 ? `keepalived-ts demo: unknown argument ${unknown.join(' ')}\n` : '') + USAGE,
    );
    return 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'keepalived-ts demo --live needs root: it creates network namespaces, a bridge and veth pairs of its own\n' +
        '(and nothing outside them). Run it as root (sudo keepalived-ts demo --live), or run the simulation\n' +
        'demo, which needs nothing: npm run demo\n',
    );
    return 1;
  }
  return new LiveDemo(args.includes('--quick')).run();
}

class LiveDemo {
  private readonly lab = new DemoLab();
  private readonly dir = mkdtempSync(join(tmpdir(), 'kts-demo-'));
  private readonly started = Date.now();
  private readonly timeline: Array<{ at: number; text: string }> = [];
  private cleaning: Promise<void> | undefined;
  private interrupted = false;

  constructor(private readonly quick: boolean) {}

  private say(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  private note(text: string, at = Date.now()): void {
    this.timeline.push({ at, text });
  }

  async run(): Promise<number> {
    const onSignal = (signal: NodeJS.Signals): void => {
      this.interrupted = true;
      this.say(`\n${signal}: stopping the demo and removing what it created`);
      void this.cleanup().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    const onExit = (): void => this.removeNow();
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    for (const s of signals) process.on(s, onSignal);
    process.on('exit', onExit);
    try {
      await this.scenario();
      return 0;
    } catch (e) {
      // after a signal, the scenario's waits fail as its processes go: that is no error to report
      if (!this.interrupted) process.stderr.write(`keepalived-ts demo: ${(e as Error).message}\n`);
      return 1;
    } finally {
      await this.cleanup();
      for (const s of signals) process.off(s, onSignal);
      process.off('exit', onExit);
    }
  }

  private async scenario(): Promise<void> {
    const pause = (ms: number): Promise<void> => sleep(this.quick ? ms / 3 : ms);
    this.say(`keepalived-ts live demo: namespaces ${this.lab.prefix}-*, work directory ${this.dir}`);
    const names = ['r1', 'r2', 'client'];
    const addresses = ['192.0.2.1/24', '192.0.2.2/24', '192.0.2.100/24'];
    const members = this.lab.lan(names, addresses);
    const [m1, m2, client] = members as [Member, Member, Member];
    this.say(
      `LAN 192.0.2.0/24 on a bridge in ${this.lab.bridgeNs}: r1 .1 (priority 200), r2 .2 (priority 100, status listener), client .100; VIP ${VIP}`,
    );

    const r1 = this.startRouter(m1, 200, '192.0.2.1', false);
    const r2 = this.startRouter(m2, 100, '192.0.2.2', true);
    await r1.log.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000, 0, 'r1 MASTER');
    await r2.log.waitFor(/\(VI_1\) Entering BACKUP STATE/, 15_000, 0, 'r2 BACKUP');
    await waitUntil(() => this.lab.hasAddress(r1, VIP), `${VIP} on r1`, 5000);
    this.say(`r1 is MASTER and holds ${VIP}; r2 is BACKUP`);

    const clientChild = this.lab.spawn(client.ns, [process.execPath, CLIENT, VIP, '10']);
    const clientLog = new LogWatch(clientChild);
    await clientLog.waitFor(/"first-reply"/, 10_000, 0, 'a first echo reply');
    this.say(`client: an ICMP echo request to ${VIP} every 10 ms, answered by r1`);
    await pause(3000);

    const cut = Date.now();
    this.note('r1 cable pulled (its port on the bridge down)', cut);
    this.say(`\npulling r1's cable (${this.lab.bridgeNs}: ip link set ${r1.port} down)`);
    const r2Mark = r2.log.mark();
    this.lab.setCable(r1, false);
    const takeover = await r2.log.waitFor(/\(VI_1\) takeover/, 15_000, r2Mark, "r2's takeover");
    await waitUntil(() => this.lab.hasAddress(r2, VIP), `${VIP} on r2`, 5000);
    this.say(`r2 took over: ${VIP} moved to r2`);
    this.say(`  r2's log: ${takeover.text.replace(/^.*?(\(VI_1\) takeover)/, '$1')}`);
    const timing = await this.takeoverEvent(r2);
    if (timing) this.say(`  r2's /events: ${timing}`);
    await pause(3000);

    this.note('r1 cable plugged back', Date.now());
    this.say(`\nplugging r1's cable back`);
    const r1Mark = r1.log.mark();
    this.lab.setCable(r1, true);
    await r1.log.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000, r1Mark, 'r1 MASTER again');
    await waitUntil(() => this.lab.hasAddress(r1, VIP), `${VIP} back on r1`, 5000);
    await waitUntil(async () => !(await this.lab.hasAddress(r2, VIP)), `${VIP} gone from r2`, 5000);
    this.say(`r1 is MASTER again: ${VIP} came back to r1 (higher priority, preempting)`);
    await pause(1500);

    const summary = await this.stopClient(clientChild, clientLog);
    this.say(
      `\nclient: ${summary.sent} echo requests, ${summary.lost} lost` +
        (summary.sent > 0 ? ` (${((100 * summary.lost) / summary.sent).toFixed(1)} %)` : ''),
    );
    this.printTimeline([r1, r2], clientLog);
  }

  private startRouter(member: Member, priority: number, address: string, withStatus: boolean): Router {
    const dir = join(this.dir, member.name);
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const config = join(dir, 'keepalived.conf');
    writeFileSync(config, routerConfig(member.name, priority, withStatus));
    const files = ['-p', 'keepalived.pid', '-r', 'vrrp.pid', '-c', 'checkers.pid', '-b', 'bfd.pid'].map(
      (a, i) => (i % 2 ? join(dir, a) : a),
    );
    const child = this.lab.spawn(
      member.ns,
      [process.execPath, LAUNCHER, '-P', '-n', '-l', '-D', '-f', config, ...files],
      { ...process.env, TMPDIR: tmp },
    );
    return { ...member, priority, address, log: new LogWatch(child) };
  }

  /** The takeover as the status listener's /events tells it (`keepalived-ts events`, run in r2's namespace). */
  private async takeoverEvent(r2: Router): Promise<string | undefined> {
    const child = this.lab.spawn(r2.ns, [
      process.execPath,
      LAUNCHER,
      'events',
      '--url',
      `http://127.0.0.1:${STATUS_PORT}`,
    ]);
    const out = new LogWatch(child);
    await new Promise((r) => child.once('exit', r));
    for (const { text } of out.lines) {
      let event: { type?: string; timing?: { reason?: string; sinceLastAdvertMs?: Record<string, number> } };
      try {
        event = JSON.parse(text) as typeof event;
      } catch {
        continue;
      }
      const s = event.timing?.sinceLastAdvertMs;
      if (event.type === 'takeover' && s)
        return `takeover (${event.timing?.reason}), from the last advert heard: decided ${s.decided?.toFixed(1)} ms, VIPs installed ${s.vipsInstalled?.toFixed(1)} ms, first gratuitous ARP ${s.firstGarp?.toFixed(1)} ms`;
    }
    return undefined;
  }

  private async stopClient(
    child: ChildProcess,
    log: LogWatch,
  ): Promise<Extract<ClientReport, { type: 'summary' }>> {
    child.kill('SIGTERM');
    const line = await log.waitFor(/"summary"/, 5000, 0, "the client's summary");
    return JSON.parse(line.text) as Extract<ClientReport, { type: 'summary' }>;
  }

  private printTimeline(routers: Router[], clientLog: LogWatch): void {
    const interesting = /\(VI_1\) (Entering \w+ STATE|takeover.*?decided after [\d.]+ ms|.*SPLIT BRAIN)/i;
    for (const r of routers)
      for (const l of r.log.lines) {
        const m = interesting.exec(l.text);
        if (m) this.note(`${r.name}: ${m[0]}`, l.at);
      }
    for (const l of clientLog.lines) {
      const report = JSON.parse(l.text) as ClientReport;
      if (report.type === 'outage')
        this.note(
          `client: ${report.lost} request${report.lost === 1 ? '' : 's'} unanswered (${report.to - report.from} ms without reply)`,
          report.from,
        );
    }
    this.say('\ntimeline (seconds since the start):');
    for (const e of this.timeline.sort((a, b) => a.at - b.at))
      this.say(`  ${((e.at - this.started) / 1000).toFixed(3).padStart(7)}  ${e.text}`);
  }

  /** Stops every process (SIGTERM, then SIGKILL), deletes the namespaces and the work directory; once. */
  private cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      await this.lab.stopChildren(3000);
      this.removeNow();
    })();
    return this.cleaning;
  }

  private removeNow(): void {
    const removed = this.lab.removeAll();
    rmSync(this.dir, { recursive: true, force: true });
    if (removed.length > 0)
      this.say(`\nremoved ${removed.length} namespaces (${this.lab.prefix}-*) and ${this.dir}`);
  }
}
