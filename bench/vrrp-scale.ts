// 1,000 VRRPv3 instances (advert_int 1 s) on 4 interfaces, 250 VRIDs each: CPU use of the daemon's whole
// process tree over a window (utime+stime from /proc, children included) and its resident memory, ours and
// keepalived's. Two sides:
//   master: every instance MASTER alone on its LAN (the daemon sends 1,000 adverts/s);
//   backup: a keepalived peer (priority 200) is MASTER of every VRID, the measured daemon (priority 100)
//           stays BACKUP and receives 1,000 adverts/s (decode, validate, engine, timer re-arm).
// A capture on the first interface checks that the adverts really flow while we measure.
//   node dist/bench/vrrp-scale.js [seconds=30] [perInterface=250] [master|backup] [keepalived,ours]
import { spawnSync } from 'node:child_process';
import {
  globalDefs,
  instanceConfig,
  keepalivedSkipReason,
  oursMissingReason,
  sleep,
  waitUntil,
  type Implementation,
  type VrrpLab,
} from '../tests/helpers/vrrp-lab.js';
import {
  CLOCK_TICKS,
  fmt,
  loadLine,
  NanoCapture,
  runWithLab,
  treeUsage,
  waitForQuietLog,
  type ProcessUsage,
} from './lab.js';

const INTERFACES = 4;

interface Result {
  impl: Implementation;
  cpuPercent: number;
  rssKb: number;
  processes: { pid: number; comm: string; cpuPercent: number; rssKb: number }[];
  advertsSeen: number;
  startupSeconds: number;
}

type Side = 'master' | 'backup';

/** KTS_BENCH_STRACE=seconds: system calls per process over that window (strace -c), to compare per-advert
 * kernel work between implementations independently of how busy the machine is. */
function straceSummary(processes: ProcessUsage[], seconds: number): void {
  for (const p of processes) {
    const r = spawnSync(
      'timeout',
      ['-s', 'INT', String(seconds), 'strace', '-c', '-f', '-p', String(p.pid)],
      {
        encoding: 'utf8',
      },
    );
    const lines = (r.stderr ?? '').split('\n').filter((l) => /^\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+/.test(l));
    console.log(
      `strace ${p.comm}[${p.pid}] over ${seconds} s (% time, seconds, usecs/call, calls, errors, syscall):`,
    );
    for (const l of lines.slice(0, 12)) console.log(`  ${l.trim()}`);
  }
}

function config(perInterface: number, priority = 100, routerId = 'scale'): string {
  let text = globalDefs(routerId);
  for (let i = 0; i < INTERFACES; i++)
    for (let vrid = 1; vrid <= perInterface; vrid++)
      text += instanceConfig({
        name: `VI_${i}_${vrid}`,
        interface: `eth${i}`,
        vrid,
        priority,
        version: 3,
        advertInt: 1,
        vips: [`10.${20 + i}.0.${vrid}/32`],
      });
  return text;
}

async function measure(
  lab: VrrpLab,
  ns: string,
  impl: Implementation,
  seconds: number,
  perInterface: number,
  side: Side,
): Promise<Result> {
  const total = INTERFACES * perInterface;
  const started = process.hrtime.bigint();
  const daemon = lab.start(impl, { ns }, `scale-${impl}`, config(perInterface));
  const wanted = side === 'master' ? /Entering MASTER STATE/i : /Entering BACKUP STATE/i;
  const settled = (): number => daemon.lines.filter((l) => wanted.test(l)).length;
  await waitUntil(() => !daemon.running || settled() >= total, `${total} instances ${side}`, 120_000, 200);
  if (!daemon.running) throw new Error(`${impl} exited during start-up\n${daemon.log()}`);
  const startupSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Past the start-up work (addresses, gratuitous ARP repeats, their log lines): both daemons log what
  // they do, so a log quiet for 3 s (after at least 5 s) means the steady state is reached.
  await sleep(5000);
  await waitForQuietLog(daemon);
  const root = daemon.child.pid as number;
  const capture = await NanoCapture.start(lab, ns, 'eth0', 'ip proto 112', `scale-${impl}`);
  const t0 = process.hrtime.bigint();
  const before = new Map(treeUsage(root).map((p) => [p.pid, p]));
  await sleep(seconds * 1000);
  const after = treeUsage(root);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const adverts = await capture.stop();
  if (process.env.KTS_BENCH_STRACE) straceSummary(after, Number(process.env.KTS_BENCH_STRACE));
  await daemon.stop('SIGTERM', 30_000);
  if (process.env.KTS_BENCH_LOG)
    console.log(
      daemon.lines
        .filter((l) => new RegExp(process.env.KTS_BENCH_LOG ?? '').test(l))
        .slice(0, 40)
        .join('\n'),
    );
  const percent = (p: ProcessUsage): number =>
    ((p.ticks - (before.get(p.pid)?.ticks ?? p.ticks)) / CLOCK_TICKS / elapsed) * 100;
  const processes = after.map((p) => ({ pid: p.pid, comm: p.comm, cpuPercent: percent(p), rssKb: p.rssKb }));
  return {
    impl,
    cpuPercent: processes.reduce((s, p) => s + p.cpuPercent, 0),
    rssKb: processes.reduce((s, p) => s + p.rssKb, 0),
    processes,
    advertsSeen: adverts.filter((e) => e.kind === 'vrrp').length,
    startupSeconds,
  };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 30);
  const perInterface = Number(process.argv[3] ?? 250);
  const side: Side = process.argv[4] === 'backup' ? 'backup' : 'master';
  const impls = (process.argv[5] ?? 'keepalived,ours').split(',') as Implementation[];
  const skip = keepalivedSkipReason() ?? oursMissingReason();
  if (skip) throw new Error(skip);
  await runWithLab('scl', async (lab) => {
    const names = side === 'backup' ? ['d', 'p'] : ['d'];
    const members = lab.lan(names);
    const [d, p] = members;
    if (!d) throw new Error('no lab host');
    for (let i = 1; i < INTERFACES; i++) lab.joinLan(members, `eth${i}`);
    for (const [n, m] of members.entries())
      for (let i = 0; i < INTERFACES; i++)
        lab.addAddress({ ns: m.ns, ifname: `eth${i}` }, `10.${20 + i}.255.${n + 1}/16`);
    const total = INTERFACES * perInterface;
    console.log(
      `VRRP scale: ${total} VRRPv3 instances (advert_int 1 s), ${perInterface} per interface on ${INTERFACES} ` +
        `interfaces, all ${side.toUpperCase()}; CPU over ${seconds} s and RSS of the daemon's whole process tree`,
    );
    if (p !== undefined) {
      // The peer that holds every VRID: keepalived, so both implementations receive the same adverts.
      const peer = lab.start('keepalived', { ns: p.ns }, 'scale-peer', config(perInterface, 200, 'peer'));
      const masters = (): number => peer.lines.filter((l) => /Entering MASTER STATE/i.test(l)).length;
      await waitUntil(() => !peer.running || masters() >= total, `peer: ${total} MASTER`, 120_000, 200);
      if (!peer.running) throw new Error(`peer exited during start-up\n${peer.log()}`);
    }
    console.log(loadLine());
    const results: Result[] = [];
    for (const impl of impls) results.push(await measure(lab, d.ns, impl, seconds, perInterface, side));
    console.log(
      `\n${'impl'.padEnd(11)}${'CPU %'.padStart(8)}${'RSS MB'.padStart(9)}${'start s'.padStart(9)}` +
        `${'adverts/s eth0'.padStart(16)}   processes (CPU %, RSS MB)`,
    );
    for (const r of results)
      console.log(
        `${r.impl.padEnd(11)}${fmt(r.cpuPercent, 2, 8)}${fmt(r.rssKb / 1024, 1, 9)}${fmt(r.startupSeconds, 1, 9)}` +
          `${fmt(r.advertsSeen / seconds, 1, 16)}   ` +
          r.processes
            .map((p) => `${p.comm}[${p.pid}] ${p.cpuPercent.toFixed(2)} ${(p.rssKb / 1024).toFixed(1)}`)
            .join(', '),
      );
    const theirs = results.find((r) => r.impl === 'keepalived');
    const ours = results.find((r) => r.impl === 'ours');
    if (theirs && ours)
      console.log(
        `ours / keepalived: CPU ${(ours.cpuPercent / theirs.cpuPercent).toFixed(2)}x, ` +
          `RSS ${(ours.rssKb / theirs.rssKb).toFixed(2)}x (expected adverts/s on eth0: ${perInterface})`,
      );
    console.log(loadLine());
  });
}

await main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
