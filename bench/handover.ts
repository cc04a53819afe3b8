// Packets lost when the VIP moves on purpose: a client in a namespace sends a UDP datagram to the VIP every
// 10 ms; a receiver on each router answers every one; a datagram without an answer is lost. Ways to move
// the VIP from router m (priority 200) to b (100), VRRPv2, advert_int 1 s, preempt:
//   handover  keepalived-ts handover VI_1 (priority 0 out, m keeps the VIP until b advertises)
//   reload    m's priority lowered to 50 in its config, SIGHUP (keepalived's usual way)
//   stop      m stopped with SIGTERM (it sends priority 0 and drops the VIP at once)
// with our daemon and with keepalived 2.2.7 as the routers where that means something.
//   node dist/bench/handover.js [trials=3]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { waitForLine, type LanMember } from '../tests/helpers/netns.js';
import {
  globalDefs,
  hasAddress,
  instanceConfig,
  keepalivedSkipReason,
  makeObserver,
  OURS_LAUNCHER,
  oursMissingReason,
  sleep,
  waitUntil,
  type Implementation,
  type VrrpDaemon,
  type VrrpLab,
} from '../tests/helpers/vrrp-lab.js';
import type { TrafficTally } from '../tests/netns/vip-traffic.agent.js';
import { loadLine, runWithLab } from './lab.js';

const VIP = '10.78.0.100';
const PORT = 7000;
const INTERVAL_MS = 10;
const TOKEN = 'bench-handover-token';
const SETTLE_MS = 7000;

// The client and the receivers (tests/netns/vip-traffic.agent.ts) run inside the lab's namespaces.
const agent = fileURLToPath(new URL('../tests/netns/vip-traffic.agent.js', import.meta.url));

// ---- orchestration -----------------------------------------------------------------------------------

type Way = 'handover' | 'reload' | 'stop';

interface Row {
  way: Way;
  master: Implementation;
  backup: Implementation;
}

interface Trial {
  sent: number;
  lost: number;
  longestOutageMs: number;
  /** From the action's start to that datagram (ms). */
  movedAfterMs?: number;
}

function config(node: string, address: string, priority: number, impl: Implementation): string {
  return (
    globalDefs(node) +
    (impl === 'ours' ? `status_http {\n  listen ${address} 9652\n  token ${TOKEN}\n}\n` : '') +
    instanceConfig({ name: 'VI_1', vrid: 78, version: 2, advertInt: 1, priority, vips: [`${VIP}/24`] })
  );
}

function runCli(lab: VrrpLab, ns: string, conf: string, args: string[]): Promise<number | null> {
  const child = lab.spawnOther(ns, [process.execPath, OURS_LAUNCHER, ...args, '-f', conf]);
  return new Promise((resolve) => child.once('close', resolve));
}

class Bench {
  private serial = 0;
  constructor(
    private readonly lab: VrrpLab,
    private readonly m: LanMember,
    private readonly b: LanMember,
    private readonly c: LanMember,
  ) {}

  private startRouter(impl: Implementation, who: 'm' | 'b', priority: number): VrrpDaemon {
    const member = who === 'm' ? this.m : this.b;
    const address = who === 'm' ? '10.78.0.1' : '10.78.0.2';
    return this.lab.start(
      impl,
      member,
      `${who}-${impl}-${++this.serial}`,
      config(who, address, priority, impl),
    );
  }

  private async vipOnMasterOnly(): Promise<void> {
    await waitUntil(
      () => hasAddress(this.m.ns, VIP) && !hasAddress(this.b.ns, VIP),
      'the VIP on m alone',
      20_000,
    );
  }

  private async measure(action: () => Promise<void>): Promise<Trial> {
    const client = this.lab.spawnOther(this.c.ns, [
      process.execPath,
      agent,
      'client',
      VIP,
      String(PORT),
      String(INTERVAL_MS),
      'b',
    ]);
    await waitForLine(client, (l) => l === 'ready');
    await sleep(1000);
    const actionAt = Date.now();
    await action();
    await sleep(SETTLE_MS);
    client.kill('SIGUSR2');
    const line = await waitForLine(client, (l) => l.startsWith('{'), 5000);
    const tally = JSON.parse(line) as TrafficTally;
    const t: Trial = { sent: tally.sent, lost: tally.lost, longestOutageMs: tally.longestOutageMs };
    if (tally.firstFromOther !== undefined) t.movedAfterMs = tally.firstFromOther - actionAt;
    return t;
  }

  async row(r: Row, trials: number): Promise<Trial[]> {
    let dm = this.startRouter(r.master, 'm', 200);
    const db = this.startRouter(r.backup, 'b', 100);
    await dm.waitForState('VI_1', 'MASTER', 20_000);
    await db.waitForState('VI_1', 'BACKUP', 20_000);
    await this.vipOnMasterOnly();
    await sleep(1500);
    const out: Trial[] = [];
    for (let i = 0; i < trials; i++) {
      const mark = dm.mark();
      if (r.way === 'handover') {
        out.push(
          await this.measure(
            async () => void (await runCli(this.lab, this.m.ns, dm.files.config, ['handover', 'VI_1'])),
          ),
        );
        await runCli(this.lab, this.m.ns, dm.files.config, ['handover', '--release', 'VI_1']);
      } else if (r.way === 'reload') {
        const reload = (priority: number): void => {
          writeFileSync(dm.files.config, config('m', '10.78.0.1', priority, r.master));
          process.kill(Number(readFileSync(dm.files.pid, 'utf8').trim()), 'SIGHUP');
        };
        out.push(await this.measure(() => Promise.resolve(reload(50))));
        reload(200);
      } else {
        out.push(await this.measure(async () => void (await dm.stop('SIGTERM'))));
        dm = this.startRouter(r.master, 'm', 200);
      }
      await dm.waitForState('VI_1', 'MASTER', 20_000, r.way === 'stop' ? 0 : mark + 1);
      await this.vipOnMasterOnly();
      await sleep(1500);
    }
    await Promise.all([dm.stop(), db.stop()]);
    return out;
  }
}

async function main(): Promise<void> {
  const trials = Number(process.argv[2] ?? 3);
  const skip = keepalivedSkipReason() ?? oursMissingReason();
  if (skip) throw new Error(skip);
  const rows: Row[] = [
    { way: 'handover', master: 'ours', backup: 'ours' },
    { way: 'handover', master: 'ours', backup: 'keepalived' },
    { way: 'reload', master: 'ours', backup: 'ours' },
    { way: 'reload', master: 'keepalived', backup: 'keepalived' },
    { way: 'stop', master: 'ours', backup: 'ours' },
    { way: 'stop', master: 'keepalived', backup: 'keepalived' },
  ];
  await runWithLab('hob', async (lab) => {
    const [m, b, c] = lab.routers(['m', 'b', 'c'], { ipv4: '10.78.0', hosts: [1, 2, 9] }) as [
      LanMember,
      LanMember,
      LanMember,
    ];
    makeObserver(c);
    const receivers: ChildProcess[] = [];
    for (const [member, name] of [
      [m, 'm'],
      [b, 'b'],
    ] as const) {
      const child = lab.spawnOther(member.ns, [process.execPath, agent, 'receiver', name, String(PORT)]);
      await waitForLine(child, (l) => l === 'ready');
      receivers.push(child);
    }
    const bench = new Bench(lab, m, b, c);
    console.log(
      `VIP moved from m (priority 200) to b (100): VRRPv2, advert_int 1 s, preempt; a UDP datagram to the VIP every ${INTERVAL_MS} ms, answered by whichever router holds it; ${trials} trials each`,
    );
    console.log(loadLine());
    console.log(
      `\n${'way'.padEnd(52)} ${'lost (each trial)'.padEnd(20)} ${'longest outage (ms)'.padEnd(24)} VIP on b after (ms)`,
    );
    for (const r of rows) {
      const label =
        r.way === 'handover'
          ? `keepalived-ts handover (m ours, b ${r.backup === 'ours' ? 'ours' : 'keepalived 2.2.7'})`
          : `${r.way === 'reload' ? 'priority 200->50 + SIGHUP' : 'SIGTERM the master'} (${r.master === 'ours' ? 'ours' : 'keepalived 2.2.7'})`;
      try {
        const t = await bench.row(r, trials);
        const moved = t.map((x) => (x.movedAfterMs === undefined ? '-' : String(x.movedAfterMs)));
        const lost = t.map((x) => x.lost).join(', ');
        const outage = t.map((x) => x.longestOutageMs).join(', ');
        console.log(`${label.padEnd(52)} ${lost.padEnd(20)} ${outage.padEnd(24)} ${moved.join(', ')}`);
      } catch (e) {
        console.log(`${label.padEnd(52)} failed: ${(e as Error).message.split('\n')[0] ?? ''}`);
        lab.killAll();
      }
    }
    console.log(loadLine());
    for (const child of receivers) child.kill();
  });
}

await main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
