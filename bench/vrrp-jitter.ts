// Advert period deviation on the wire: one VRRPv3 master alone on its LAN with three instances (advert_int
// 0.01, 0.1 and 1 s, VRIDs 1-3), an observer capturing with nanosecond kernel timestamps. For each
// interval: p50/p99/max of |interval - advert_int| between consecutive adverts. Loads: idle; script (a
// tracked vrrp_script that burns 200 ms of CPU every second); checker (the same daemon's checker child
// runs TCP_CHECK every 1 s against N real servers listening on the namespace's loopback: ours only, as
// keepalived's checker needs IPVS, which this kernel lacks). Without or with vrrp_rt_priority 50.
// Implementations: keepalived, ours (periodic adverts from the native timed sender), ours-js (every advert
// from the JS thread: KTS_ADVERT_SENDER=js), alternating so the machine's own load drifts over all alike.
//   node dist/bench/vrrp-jitter.js [seconds=25] [rt=both|off|on] [loads=idle,script] [impls=keepalived,ours]
//     loads: comma list of idle|script|checker (also: both = idle,script; busy = script; all)
//     impls: comma list of keepalived|ours|ours-js
// KTS_BENCH_CHECKERS=N: real servers of the checker load (default 2000).
// KTS_BENCH_TRACE=1: our VRRP child records its advert timing (KTS_ADVERT_TRACE), summarised per variant.
// KTS_BENCH_SCRIPT_RESET_SCHED=1: the busy script puts itself back to SCHED_OTHER before burning CPU.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  globalDefs,
  instanceConfig,
  keepalivedSkipReason,
  OURS_LAUNCHER,
  oursMissingReason,
  sleep,
  type Implementation,
  type VrrpDaemon,
  type VrrpLab,
} from '../tests/helpers/vrrp-lab.js';
import type { AdvertTraceFile } from '../src/daemon/vrrp/advert-trace.js';
import {
  CLOCK_TICKS,
  fmt,
  loadLine,
  NanoCapture,
  runWithLab,
  summarize,
  treeUsage,
  type Summary,
  type WireEvent,
} from './lab.js';

const MASTER_IP = '10.78.0.1';
const INTERVALS = [0.01, 0.1, 1] as const;
const RT_PRIORITY = 50;

type Impl = 'keepalived' | 'ours' | 'ours-js';
type Load = 'idle' | 'script' | 'checker';

interface Variant {
  impl: Impl;
  load: Load;
  rt: boolean;
}

const CHECKER_PORT_BASE = 20_000;

interface Row extends Variant {
  advertInt: number;
  deviation: Summary;
  meanIntervalMs: number;
  /** Gaps longer than 1.5 intervals: adverts that never went out (or were sent far too late). */
  missed: number;
}

const label = (v: Variant): string => `${v.impl}-${v.load}-${v.rt ? 'rt' : 'nort'}`;
const implementation = (v: Variant): Implementation => (v.impl === 'keepalived' ? 'keepalived' : 'ours');
const checkerServers = (): number => Number(process.env.KTS_BENCH_CHECKERS ?? 2000);

/** N real servers with TCP_CHECK every second, on 127.0.0.1 ports CHECKER_PORT_BASE + i. */
function checkerConfig(count: number): string {
  const servers: string[] = [];
  for (let i = 0; i < count; i++)
    servers.push(
      `  real_server 127.0.0.1 ${CHECKER_PORT_BASE + i} {\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n`,
    );
  return (
    `virtual_server 10.78.0.200 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n` +
    servers.join('') +
    '}\n'
  );
}

/** Listeners for checkerConfig's real servers: one node process in `ns` accepting and closing. */
async function startListeners(lab: VrrpLab, ns: string, count: number): Promise<() => void> {
  const script =
    `const net=require('node:net');let n=0;` +
    `for(let i=0;i<${count};i++){const s=net.createServer(c=>c.destroy());` +
    `s.listen({host:'127.0.0.1',port:${CHECKER_PORT_BASE}+i,backlog:511},()=>{if(++n===${count})console.log('ready')})}`;
  const child = lab.spawnOther(ns, [process.execPath, '-e', script]);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('checker listeners did not start')), 20_000);
    child.stdout?.on('data', (c: Buffer | string) => {
      out += String(c);
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`checker listeners exited (${code})`));
    });
  });
  return () => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  };
}

function config(lab: VrrpLab, v: Variant): string {
  const burn = lab.writeScript(
    `burn-${label(v)}.sh`,
    [
      // record once how the script itself is scheduled (does it inherit the daemon's SCHED_RR?)
      `[ -e "${lab.dir}/sched-$1" ] || chrt -p $$ > "${lab.dir}/sched-$1" 2>&1`,
      // diagnostic: drop to SCHED_OTHER first, as SCHED_RESET_ON_FORK would have made it
      ...(process.env.KTS_BENCH_SCRIPT_RESET_SCHED ? ['chrt -o -p 0 $$'] : []),
      "timeout 0.2 sh -c 'while :; do :; done'",
      'exit 0',
    ].join('\n'),
  );
  const scripts =
    v.load === 'script'
      ? `vrrp_script burn {\n  script "${burn} ${label(v)}"\n  interval 1\n  timeout 3\n}\n`
      : '';
  return (
    globalDefs('jitter', v.rt ? [`vrrp_rt_priority ${RT_PRIORITY}`] : []) +
    scripts +
    INTERVALS.map((advertInt, i) =>
      instanceConfig({
        name: `VI_${i + 1}`,
        vrid: i + 1,
        state: 'MASTER', // alone on the LAN: no need to wait out the master-down interval first
        priority: 200,
        version: 3,
        advertInt,
        vips: [`10.78.${i + 1}.100/24`],
        trackScripts: v.load === 'script' ? ['burn'] : undefined,
      }),
    ).join('') +
    (v.load === 'checker' ? checkerConfig(checkerServers()) : '')
  );
}

/** `chrt -p` of a pid, shortened to the policy and priority. */
function schedulingOf(pid: number): string {
  try {
    const out = execFileSync('chrt', ['-p', String(pid)], { encoding: 'utf8' });
    const policy = /policy: (\S+)/.exec(out)?.[1] ?? '?';
    const priority = /priority: (\d+)/.exec(out)?.[1] ?? '?';
    return `${policy}/${priority}`;
  } catch {
    return 'gone';
  }
}

/** Our native timed sender thread's scheduling, if the VRRP process has one. */
function senderThread(pid: number): string {
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() === 'kts-timed-send')
        return ` (sender thread ${schedulingOf(Number(tid))})`;
    }
  } catch {
    // gone
  }
  return '';
}

function rows(v: Variant, events: WireEvent[]): Row[] {
  return INTERVALS.map((advertInt, i) => {
    const times = events.flatMap((e) =>
      e.kind === 'vrrp' && e.vrid === i + 1 && e.src === MASTER_IP ? [e.tNs] : [],
    );
    const intervalsMs = times.slice(1).map((t, k) => Number(t - (times[k] as bigint)) / 1e6);
    const periodMs = advertInt * 1000;
    return {
      ...v,
      advertInt,
      deviation: summarize(intervalsMs.map((ms) => Math.abs(ms - periodMs))),
      meanIntervalMs: intervalsMs.reduce((s, x) => s + x, 0) / (intervalsMs.length || 1),
      missed: intervalsMs.filter((ms) => ms > periodMs * 1.5).length,
    };
  });
}

/** lab.start runs VRRP only (-P); the checker load needs the whole daemon, checker child included. */
function startDaemon(lab: VrrpLab, ns: string, v: Variant): VrrpDaemon {
  if (v.load !== 'checker') return lab.start(implementation(v), { ns }, label(v), config(lab, v));
  const files = {
    config: lab.writeFile(`${label(v)}.conf`, config(lab, v)),
    pid: join(lab.dir, `${label(v)}.pid`),
    vrrpPid: join(lab.dir, `${label(v)}.vrrp.pid`),
    checkersPid: join(lab.dir, `${label(v)}.checkers.pid`),
  };
  const argv = [process.execPath, OURS_LAUNCHER, '-n', '-l', '-D', '-f', files.config, '-p', files.pid];
  const daemon = lab.startOther(label(v), ns, [...argv, '-r', files.vrrpPid, '-c', files.checkersPid]);
  Object.assign(daemon.files, files);
  return daemon;
}

async function measure(
  lab: VrrpLab,
  hosts: { master: string; observer: string },
  v: Variant,
  seconds: number,
) {
  const traceFile = join(lab.dir, `trace-${label(v)}.json`);
  const tracing = v.impl !== 'keepalived' && process.env.KTS_BENCH_TRACE === '1';
  const stopListeners =
    v.load === 'checker' ? await startListeners(lab, hosts.master, checkerServers()) : () => undefined;
  if (tracing) process.env.KTS_ADVERT_TRACE = traceFile;
  if (v.impl === 'ours-js') process.env.KTS_ADVERT_SENDER = 'js';
  const daemon = startDaemon(lab, hosts.master, v);
  delete process.env.KTS_ADVERT_TRACE;
  delete process.env.KTS_ADVERT_SENDER;
  for (let i = 1; i <= INTERVALS.length; i++) await daemon.waitForState(`VI_${i}`, 'MASTER', 20_000);
  await sleep(1500); // past the gratuitous ARP repeats
  const vrrpPid = Number(readFileSync(daemon.files.vrrpPid, 'utf8').trim());
  const capture = await NanoCapture.start(lab, hosts.observer, 'eth0', 'ip proto 112', `jitter-${label(v)}`);
  const load = loadLine();
  const daemonPid = Number(readFileSync(daemon.files.pid, 'utf8').trim());
  const othersTicks = (): number =>
    treeUsage(daemonPid)
      .filter((p) => p.pid !== vrrpPid && p.pid !== daemonPid)
      .reduce((sum, p) => sum + p.ticks, 0);
  const ticksBefore = implementation(v) === 'ours' ? othersTicks() : 0;
  await sleep(seconds * 1000);
  const checkerCpu =
    implementation(v) === 'ours'
      ? `, checker child ${(((othersTicks() - ticksBefore) / CLOCK_TICKS / seconds) * 100).toFixed(0)}% of a core`
      : '';
  const sched = schedulingOf(vrrpPid) + senderThread(vrrpPid);
  const events = await capture.stop();
  await daemon.stop();
  stopListeners();
  const scriptFile = join(lab.dir, `sched-${label(v)}`);
  const scriptSched = existsSync(scriptFile)
    ? (/policy: (\S+)/.exec(readFileSync(scriptFile, 'utf8'))?.[1] ?? '?')
    : '-';
  console.log(
    `  ${label(v).padEnd(24)} VRRP process ${sched}, busy script ${scriptSched}${checkerCpu}; ${load}`,
  );
  if (tracing && existsSync(traceFile))
    explainLateness(JSON.parse(readFileSync(traceFile, 'utf8')) as AdvertTraceFile);
  return rows(v, events);
}

/**
 * KTS_BENCH_TRACE=1: when our adverts left relative to their deadlines: from the native thread
 * ('timer-native': sent, then the JS bookkeeping) or from the JS thread ('timer': callback, then the
 * handling that sends), and for the late JS callbacks what else held the loop just before (a GC, another
 * engine event).
 */
function explainLateness(trace: AdvertTraceFile): void {
  const show = (name: string, values: number[]): string => {
    const s = summarize(values);
    return `${name} p50 ${s.p50.toFixed(3)} p99 ${s.p99.toFixed(3)} max ${s.max.toFixed(3)} ms`;
  };
  const native = trace.events.filter((e) => e[0] === 'timer-native');
  if (native.length > 0)
    console.log(
      `    trace: ${native.length} adverts from the native thread: ` +
        `${show(
          'sent after deadline',
          native.map((e) => (e[2] - e[1]) / 1e6),
        )}; ` +
        `${show(
          'JS bookkeeping done after send',
          native.map((e) => (e[3] - e[2]) / 1e6),
        )}`,
    );
  const timers = trace.events.filter((e) => e[0] === 'timer' && e[1] > 0);
  if (timers.length === 0) return;
  console.log(
    `    trace: ${timers.length} JS timer callbacks: ` +
      `${show(
        'after deadline',
        timers.map((e) => (e[2] - e[1]) / 1e6),
      )}; ` +
      `${show(
        'handling',
        timers.map((e) => (e[3] - e[2]) / 1e6),
      )}`,
  );
  const late = timers.filter((e) => e[2] - e[1] > 300_000);
  let gc = 0;
  let otherEvent = 0;
  let gcMs = 0;
  for (const [, deadline, start] of late) {
    // something that ended after (deadline - 0.1 ms) and started before the callback ran held the loop
    const heldBy = (s: number, e: number): boolean => e > deadline - 100_000 && s < start;
    const gcs = trace.gcs.filter(([, s, e]) => heldBy(s, e));
    if (gcs.length > 0) gc++;
    gcMs += gcs.reduce((sum, [, s, e]) => sum + (e - s) / 1e6, 0);
    if (trace.events.some((e) => e[2] !== start && heldBy(e[2], e[3]))) otherEvent++;
  }
  console.log(
    `    trace: ${late.length} JS callbacks > 0.3 ms late: ${gc} right after a GC (${gcMs.toFixed(1)} ms of GC), ` +
      `${otherEvent} right after another engine event; ${trace.gcs.length} GCs in all, ` +
      show(
        'GC',
        trace.gcs.map(([, s, e]) => (e - s) / 1e6),
      ),
  );
}

function parseLoads(arg: string): Load[] {
  if (arg === 'both') return ['idle', 'script'];
  if (arg === 'busy') return ['script'];
  if (arg === 'all') return ['idle', 'script', 'checker'];
  const loads = arg.split(',');
  for (const l of loads) if (!['idle', 'script', 'checker'].includes(l)) throw new Error(`unknown load ${l}`);
  return loads as Load[];
}

function parseImpls(arg: string): Impl[] {
  const impls = arg.split(',');
  for (const i of impls)
    if (!['keepalived', 'ours', 'ours-js'].includes(i)) throw new Error(`unknown impl ${i}`);
  return impls as Impl[];
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 25);
  const rtArg = process.argv[3] ?? 'both';
  const loads = parseLoads(process.argv[4] ?? 'both');
  const impls = parseImpls(process.argv[5] ?? 'keepalived,ours');
  const skip = (impls.includes('keepalived') ? keepalivedSkipReason() : undefined) ?? oursMissingReason();
  if (skip) throw new Error(skip);
  const variants: Variant[] = [];
  for (const rt of rtArg === 'both' ? [false, true] : [rtArg === 'on'])
    for (const load of loads)
      for (const impl of impls) {
        // keepalived's checker child needs IPVS, which this kernel lacks: compare ours-checker with idle
        if (load === 'checker' && impl === 'keepalived') continue;
        variants.push({ impl, load, rt });
      }
  await runWithLab('jit', async (lab) => {
    const [m, obs] = lab.routers(['m', 'obs'], { ipv4: '10.78.0', hosts: [1, 9] });
    console.log(
      `VRRP advert period deviation |interval - advert_int| on the wire: one VRRPv3 master, instances at ` +
        `${INTERVALS.join(', ')} s, ${seconds} s of capture per variant (observer, kernel timestamps)`,
    );
    console.log(
      `script = a tracked vrrp_script burning 200 ms of CPU every 1 s; checker = TCP_CHECK every 1 s on ` +
        `${checkerServers()} real servers (our checker child); rt = vrrp_rt_priority ${RT_PRIORITY}`,
    );
    const all: Row[] = [];
    for (const v of variants)
      all.push(...(await measure(lab, { master: m.ns, observer: obs.ns }, v, seconds)));
    console.log(
      `\n${'advert_int'.padEnd(11)}${'load'.padEnd(8)}${'rt'.padEnd(5)}${'impl'.padEnd(11)}${'n'.padStart(6)}` +
        `${'mean int'.padStart(11)}${'p50 dev'.padStart(10)}${'p99 dev'.padStart(10)}${'max dev'.padStart(10)}` +
        `${'missed'.padStart(8)}   (ms)`,
    );
    for (const advertInt of INTERVALS)
      for (const r of all.filter((x) => x.advertInt === advertInt))
        console.log(
          `${`${advertInt} s`.padEnd(11)}${r.load.padEnd(8)}${(r.rt ? String(RT_PRIORITY) : '-').padEnd(5)}` +
            `${r.impl.padEnd(11)}${String(r.deviation.n).padStart(6)}${fmt(r.meanIntervalMs, 3, 11)}` +
            `${fmt(r.deviation.p50, 3, 10)}${fmt(r.deviation.p99, 3, 10)}${fmt(r.deviation.max, 3, 10)}` +
            `${String(r.missed).padStart(8)}`,
        );
    console.log(loadLine());
  });
}

await main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
