// The status listener under load, on the wire: one of our daemons with 1,000 VRRPv3 instances, all MASTER
// (250 per interface on 4 LANs; on eth0 VRIDs 1-2 at advert_int 0.01 s, 3-4 at 0.1 s, the rest at 1 s)
// and a status_http listener; wrk in a client namespace polls GET /status, then GET /metrics, as fast as
// it can for N seconds over keep-alive connections (as many as the listener accepts), while an observer
// captures eth0's adverts with nanosecond kernel timestamps. Printed: requests/s sustained, latency
// p50/p99, and the advert period deviation |interval - advert_int| (p50/p99/max, per advert_int) while
// polling and while idle. Then the same with a token configured (every request goes through the auth path).
//   node dist/bench/status-load.js [seconds=15] [paths=status,metrics] [tokens=off,on] [connections=64]
// KTS_BENCH_WRK_THREADS: wrk threads (default 1: the other core is left to the daemon and the capture).
// KTS_BENCH_TRACE=1: the VRRP child records its advert timing (KTS_ADVERT_TRACE); per phase, how far its
// JavaScript thread lagged behind the native sender's sends, and its garbage collections.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { native } from '../src/net/native.js';
import type { AdvertTraceFile } from '../src/daemon/vrrp/advert-trace.js';
import {
  globalDefs,
  instanceConfig,
  oursMissingReason,
  sleep,
  waitUntil,
  type VrrpDaemon,
  type VrrpLab,
} from '../tests/helpers/vrrp-lab.js';
import {
  CLOCK_TICKS,
  fmt,
  loadLine,
  NanoCapture,
  runWithLab,
  summarize,
  treeUsage,
  type Summary,
  waitForQuietLog,
  type WireEvent,
} from './lab.js';

const INTERFACES = 4;
const PER_INTERFACE = 250;
const MASTER_IP = '10.79.0.1';
const CLIENT_IP = '10.79.0.5';
const PORT = 9650;
const TOKEN = 'kts-status-load-token-0123456789abcdef';
const JITTER_TARGET_MS = 2;

/** advert_int of VRID `vrid` on eth0 (every other interface: 1 s). */
const advertIntOf = (vrid: number): number => (vrid <= 2 ? 0.01 : vrid <= 4 ? 0.1 : 1);
const CLASSES = [0.01, 0.1, 1] as const;

type Path = 'status' | 'metrics';
type Phase = 'idle' | Path;

function config(withToken: boolean): string {
  let text =
    globalDefs('status-load') +
    `status_http {\n  listen ${MASTER_IP} ${PORT}\n${withToken ? `  token ${TOKEN}\n` : ''}}\n`;
  for (let i = 0; i < INTERFACES; i++)
    for (let vrid = 1; vrid <= PER_INTERFACE; vrid++)
      text += instanceConfig({
        name: `VI_${i}_${vrid}`,
        interface: `eth${i}`,
        vrid,
        state: 'MASTER', // alone on their LANs: no master-down interval to wait out
        priority: 200,
        version: 3,
        advertInt: i === 0 ? advertIntOf(vrid) : 1,
        vips: [`10.${100 + i}.${vrid}.1/32`],
      });
  return text;
}

interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  socketErrors: string;
  transferPerSecond: string;
}

/** "1.23ms" / "456.00us" / "1.02s" -> ms. */
function wrkDurationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return NaN;
  const scale: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
  return Number(m[1]) * (scale[m[2] as string] as number);
}

function parseWrk(out: string): WrkResult {
  const pct = (p: string): number =>
    wrkDurationMs(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50Ms: pct('50'),
    p99Ms: pct('99'),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: /Socket errors:\s+(.*)/.exec(out)?.[1]?.trim() ?? 'none',
    transferPerSecond: /Transfer\/sec:\s+(\S+)/.exec(out)?.[1] ?? '?',
  };
}

/** wrk in the client's namespace for `seconds`, every request with the token when there is one. */
function runWrk(
  ns: string,
  path: Path,
  seconds: number,
  connections: number,
  withToken: boolean,
): Promise<WrkResult> {
  const threads = process.env.KTS_BENCH_WRK_THREADS ?? '1';
  const argv = ['netns', 'exec', ns, 'wrk', '-t', threads, '-c', String(connections)];
  argv.push('-d', `${seconds}s`, '--timeout', '10s', '--latency');
  if (withToken) argv.push('-H', `Authorization: Bearer ${TOKEN}`);
  argv.push(`http://${MASTER_IP}:${PORT}/${path}`);
  return new Promise((resolve, reject) => {
    const child = spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(parseWrk(out)) : reject(new Error(`wrk exited ${code}: ${out}`)),
    );
  });
}

/** One request with curl from the client namespace: the answer's size and code, to check the set-up. */
async function probe(ns: string, path: Path, withToken: boolean): Promise<string> {
  const argv = ['netns', 'exec', ns, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download}'];
  if (withToken) argv.push('-H', `Authorization: Bearer ${TOKEN}`);
  argv.push(`http://${MASTER_IP}:${PORT}/${path}`);
  return new Promise((resolve) => {
    const child = spawn('ip', argv, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.once('exit', () => resolve(out.trim()));
  });
}

interface JitterRow {
  advertInt: number;
  deviation: Summary;
  /** Gaps longer than 1.5 intervals. */
  missed: number;
}

function jitter(events: WireEvent[]): JitterRow[] {
  const byVrid = new Map<number, bigint[]>();
  for (const e of events) {
    if (e.kind !== 'vrrp' || e.src !== MASTER_IP) continue;
    let times = byVrid.get(e.vrid);
    if (times === undefined) byVrid.set(e.vrid, (times = []));
    times.push(e.tNs);
  }
  return CLASSES.map((advertInt) => {
    const deviations: number[] = [];
    let missed = 0;
    for (const [vrid, times] of byVrid) {
      if (advertIntOf(vrid) !== advertInt) continue;
      for (let k = 1; k < times.length; k++) {
        const ms = Number((times[k] as bigint) - (times[k - 1] as bigint)) / 1e6;
        deviations.push(Math.abs(ms - advertInt * 1000));
        if (ms > advertInt * 1500) missed++;
      }
    }
    return { advertInt, deviation: summarize(deviations), missed };
  });
}

interface PhaseResult {
  token: boolean;
  phase: Phase;
  /** CLOCK_MONOTONIC ns: the phase's window, for the trace. */
  window: [number, number];
  wrk?: WrkResult;
  jitter: JitterRow[];
  vrrpCpuPercent: number;
  load: string;
}

const traceFile = (lab: VrrpLab, withToken: boolean): string =>
  join(lab.dir, `trace-${withToken ? 'token' : 'open'}.json`);

async function startDaemon(lab: VrrpLab, ns: string, withToken: boolean): Promise<VrrpDaemon> {
  const total = INTERFACES * PER_INTERFACE;
  const started = Date.now();
  if (process.env.KTS_BENCH_TRACE === '1') process.env.KTS_ADVERT_TRACE = traceFile(lab, withToken);
  const daemon = lab.start('ours', { ns }, `load-${withToken ? 'token' : 'open'}`, config(withToken));
  delete process.env.KTS_ADVERT_TRACE;
  const masters = (): number => daemon.lines.filter((l) => /Entering MASTER STATE/i.test(l)).length;
  await waitUntil(() => !daemon.running || masters() >= total, `${total} instances MASTER`, 180_000, 250);
  if (!daemon.running) throw new Error(`the daemon exited during start-up\n${daemon.log()}`);
  await daemon.waitForLog(/status_http: listening on/, 10_000);
  // past the start-up work (addresses, gratuitous ARP repeats): a log quiet for 3 s
  await sleep(3000);
  await waitForQuietLog(daemon);
  console.log(
    `daemon ${withToken ? 'with' : 'without'} token: ${total} MASTER after ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return daemon;
}

async function measurePhase(
  lab: VrrpLab,
  hosts: { master: string; client: string; observer: string },
  daemon: VrrpDaemon,
  phase: Phase,
  withToken: boolean,
  seconds: number,
  connections: number,
): Promise<PhaseResult> {
  const vrrpPid = Number(readFileSync(daemon.files.vrrpPid, 'utf8').trim());
  const ticks = (): number => treeUsage(vrrpPid).find((p) => p.pid === vrrpPid)?.ticks ?? 0;
  const tag = `${withToken ? 'token' : 'open'}-${phase}`;
  const capture = await NanoCapture.start(lab, hosts.observer, 'eth0', 'ip proto 112', `load-${tag}`);
  const load = loadLine();
  const before = ticks();
  const t0 = process.hrtime.bigint();
  const windowStart = Number(native().monotonicNow());
  const wrk =
    phase === 'idle'
      ? await sleep(seconds * 1000).then(() => undefined)
      : await runWrk(hosts.client, phase, seconds, connections, withToken);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const window: [number, number] = [windowStart, Number(native().monotonicNow())];
  const vrrpCpuPercent = ((ticks() - before) / CLOCK_TICKS / elapsed) * 100;
  const events = await capture.stop();
  return {
    token: withToken,
    phase,
    window,
    ...(wrk ? { wrk } : {}),
    jitter: jitter(events),
    vrrpCpuPercent,
    load,
  };
}

/** KTS_BENCH_TRACE: per phase, the JS thread's lag behind the native sends and its GCs (ms). */
function explainPhases(file: string, phases: PhaseResult[]): void {
  if (!existsSync(file)) return;
  const trace = JSON.parse(readFileSync(file, 'utf8')) as AdvertTraceFile;
  for (const r of phases) {
    const [from, to] = r.window;
    const lag = summarize(
      trace.events
        .filter((e) => e[0] === 'timer-native' && e[2] >= from && e[2] <= to)
        .map((e) => (e[3] - e[2]) / 1e6),
    );
    // The native thread's own lateness: when it sent against the deadline it was armed for.
    const late = summarize(
      trace.events
        .filter((e) => e[0] === 'timer-native' && e[2] >= from && e[2] <= to)
        .map((e) => (e[2] - e[1]) / 1e6),
    );
    const gcs = trace.gcs.filter(([, s]) => s >= from && s <= to);
    const gc = summarize(gcs.map(([, s, e]) => (e - s) / 1e6));
    console.log(
      `  trace ${(r.token ? 'token ' : 'open  ') + r.phase.padEnd(8)} JS bookkeeping after the native send: ` +
        `p50 ${lag.p50.toFixed(2)} p99 ${lag.p99.toFixed(2)} max ${lag.max.toFixed(1)} ms (${lag.n} sends); ` +
        `native send after its deadline p50 ${late.p50.toFixed(3)} p99 ${late.p99.toFixed(3)} max ${late.max.toFixed(2)} ms; ` +
        `${gcs.length} GCs, ${gcs.filter(([k]) => k === 2).length} mark-sweep, longest ${gc.max.toFixed(1)} ms, ` +
        `${gcs.reduce((t, [, s, e]) => t + (e - s) / 1e6, 0).toFixed(0)} ms in all`,
    );
  }
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 15);
  const paths = (process.argv[3] ?? 'status,metrics').split(',') as Path[];
  const tokens = (process.argv[4] ?? 'off,on').split(',').map((t) => t === 'on');
  const connections = Number(process.argv[5] ?? 64);
  const skip = oursMissingReason();
  if (skip) throw new Error(skip);
  await runWithLab('stl', async (lab) => {
    const [m, cli, obs] = lab.routers(['m', 'cli', 'obs'], { ipv4: '10.79.0', hosts: [1, 5, 9] });
    if (!m || !cli || !obs) throw new Error('no lab hosts');
    for (let i = 1; i < INTERFACES; i++) lab.joinLan([m], `eth${i}`);
    for (let i = 1; i < INTERFACES; i++)
      lab.addAddress({ ns: m.ns, ifname: `eth${i}` }, `10.${80 + i}.0.1/24`);
    const hosts = { master: m.ns, client: cli.ns, observer: obs.ns };
    console.log(
      `status listener under load: ${INTERFACES * PER_INTERFACE} VRRPv3 instances MASTER (eth0: VRIDs 1-2 at ` +
        `0.01 s, 3-4 at 0.1 s, the rest 1 s); wrk ${connections} keep-alive connections from ${CLIENT_IP}, ` +
        `${seconds} s per phase; advert deviation from an observer's capture of eth0`,
    );
    const results: PhaseResult[] = [];
    for (const withToken of tokens) {
      const daemon = await startDaemon(lab, m.ns, withToken);
      for (const path of paths)
        console.log(
          `  GET /${path}${withToken ? ' (token)' : ''}: ${await probe(cli.ns, path, withToken)} (code, bytes)`,
        );
      if (withToken) console.log(`  without the token: ${await probe(cli.ns, 'status', false)}`);
      // idle, then each path, then idle again: the machine's own load drifts over both sides
      for (const phase of ['idle', ...paths, 'idle'] as Phase[]) {
        const r = await measurePhase(lab, hosts, daemon, phase, withToken, seconds, connections);
        results.push(r);
        const w = r.wrk;
        console.log(
          `  ${(withToken ? 'token ' : 'open  ') + phase.padEnd(8)} VRRP child ${r.vrrpCpuPercent.toFixed(0)}% of a core` +
            (w
              ? `; ${w.requestsPerSecond.toFixed(0)} req/s (${w.requests} requests, ${w.transferPerSecond}/s, ` +
                `non-2xx ${w.non2xx}, socket errors ${w.socketErrors}), latency p50 ${w.p50Ms.toFixed(2)} ms, ` +
                `p99 ${w.p99Ms.toFixed(2)} ms`
              : '') +
            `; ${r.load}`,
        );
      }
      const late = daemon.lines.filter((l) => /late|behind|overrun|missed/i.test(l));
      if (late.length > 0) console.log(`  daemon log (late/behind): ${late.slice(0, 5).join(' | ')}`);
      await daemon.stop('SIGTERM', 30_000);
      explainPhases(
        traceFile(lab, withToken),
        results.filter((r) => r.token === withToken),
      );
    }
    console.log(
      `\n${'listener'.padEnd(8)}${'phase'.padEnd(9)}${'req/s'.padStart(8)}${'lat p50'.padStart(9)}${'lat p99'.padStart(9)}` +
        `${'CPU %'.padStart(7)} | ${CLASSES.map((c) => `@${c} s: p50 / p99 / max dev (missed)`.padEnd(38)).join('')}(ms)`,
    );
    for (const r of results)
      console.log(
        `${(r.token ? 'token' : 'open').padEnd(8)}${r.phase.padEnd(9)}${fmt(r.wrk?.requestsPerSecond ?? NaN, 0, 8)}` +
          `${fmt(r.wrk?.p50Ms ?? NaN, 2, 9)}${fmt(r.wrk?.p99Ms ?? NaN, 2, 9)}${fmt(r.vrrpCpuPercent, 0, 7)} | ` +
          r.jitter
            .map((j) =>
              `${j.deviation.p50.toFixed(3)} / ${j.deviation.p99.toFixed(3)} / ${j.deviation.max.toFixed(3)} (${j.missed}) n=${j.deviation.n}`.padEnd(
                38,
              ),
            )
            .join(''),
      );
    const worst = Math.max(...results.flatMap((r) => r.jitter.map((j) => j.deviation.p99)));
    console.log(
      `worst advert deviation p99: ${worst.toFixed(3)} ms (target < ${JITTER_TARGET_MS} ms): ` +
        (worst < JITTER_TARGET_MS ? 'met' : 'NOT MET'),
    );
    console.log(loadLine());
  });
}

await main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
