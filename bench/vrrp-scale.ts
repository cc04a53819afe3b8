// 1,000 VRRPv3 instances (advert_int 1 s) on 4 interfaces, 250 VRIDs each, every one MASTER alone on its
// LAN: CPU use of the daemon's whole process tree over a window (utime+stime from /proc, children
// included) and its resident memory, ours and keepalived's. A capture on the first interface checks that
// the adverts really go out while we measure.
//   node dist/bench/vrrp-scale.js [seconds=30] [perInterface=250]
import {
  globalDefs,
  instanceConfig,
  keepalivedSkipReason,
  oursMissingReason,
  sleep,
  waitUntil,
  type Implementation,
  type VrrpLab,
} from '../test/helpers/vrrp-lab.js';
import { CLOCK_TICKS, fmt, loadLine, NanoCapture, runWithLab, treeUsage, type ProcessUsage } from './lab.js';

const INTERFACES = 4;

interface Result {
  impl: Implementation;
  cpuPercent: number;
  rssKb: number;
  processes: { pid: number; comm: string; cpuPercent: number; rssKb: number }[];
  advertsSeen: number;
  startupSeconds: number;
}

function config(perInterface: number): string {
  let text = globalDefs('scale');
  for (let i = 0; i < INTERFACES; i++)
    for (let vrid = 1; vrid <= perInterface; vrid++)
      text += instanceConfig({
        name: `VI_${i}_${vrid}`,
        interface: `eth${i}`,
        vrid,
        priority: 100,
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
): Promise<Result> {
  const total = INTERFACES * perInterface;
  const started = process.hrtime.bigint();
  const daemon = lab.start(impl, { ns }, `scale-${impl}`, config(perInterface));
  const masters = (): number => daemon.lines.filter((l) => /Entering MASTER STATE/i.test(l)).length;
  await waitUntil(() => !daemon.running || masters() >= total, `${total} instances MASTER`, 120_000, 200);
  if (!daemon.running) throw new Error(`${impl} exited during start-up\n${daemon.log()}`);
  const startupSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  await sleep(5000); // past the gratuitous ARP repeats
  const root = daemon.child.pid as number;
  const capture = await NanoCapture.start(lab, ns, 'eth0', 'ip proto 112', `scale-${impl}`);
  const t0 = process.hrtime.bigint();
  const before = new Map(treeUsage(root).map((p) => [p.pid, p]));
  await sleep(seconds * 1000);
  const after = treeUsage(root);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const adverts = await capture.stop();
  await daemon.stop('SIGTERM', 30_000);
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
  const skip = keepalivedSkipReason() ?? oursMissingReason();
  if (skip) throw new Error(skip);
  await runWithLab('scl', async (lab) => {
    const [d] = lab.lan(['d']);
    if (!d) throw new Error('no lab host');
    for (let i = 1; i < INTERFACES; i++) lab.joinLan([d], `eth${i}`);
    for (let i = 0; i < INTERFACES; i++)
      lab.addAddress({ ns: d.ns, ifname: `eth${i}` }, `10.${20 + i}.255.1/16`);
    const total = INTERFACES * perInterface;
    console.log(
      `VRRP scale: ${total} VRRPv3 instances (advert_int 1 s), ${perInterface} per interface on ${INTERFACES} ` +
        `interfaces, all MASTER; CPU over ${seconds} s and RSS of the daemon's whole process tree`,
    );
    console.log(loadLine());
    const results: Result[] = [];
    for (const impl of ['keepalived', 'ours'] as const)
      results.push(await measure(lab, d.ns, impl, seconds, perInterface));
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
    const [theirs, ours] = results as [Result, Result];
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
