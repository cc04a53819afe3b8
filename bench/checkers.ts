// Health-checker load: N real servers (default 10,000) with TCP_CHECK, delay_loop 1 s, on loopback.
// The listeners live in a child process (so their accept() work is not billed to the checker), on
// 127.0.<a>.<b> x ports; when run as root the whole bench re-executes itself inside a fresh network
// namespace. Prints the checker process's CPU share of one core, its RSS, and, after closing some
// listeners, the time from the failure to the DOWN verdict.
//
//   node dist/bench/checkers.js [servers=10000] [seconds=10] [native|node]
//
// `node` runs the earlier node:net probe (a net.Socket, timer and promise chain per probe) instead of the
// native batched prober, for a side-by-side figure on the same machine.
//
// Other benches can reuse the pieces: endpoint(i), startListeners(count) (the listener child process,
// which must run in the same namespace as the checkers) and checkerSpecs(count).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CheckRunner } from '../src/daemon/checker/check-runner.js';
import { tcpProbe } from '../src/check/probes/tcp.js';
import { errorText, runProbe } from '../src/check/probes/common.js';
import { sharedTcpProber } from '../src/net/tcp-prober.js';
import type { CheckerSpec, ProbeResult, RealServerSpec } from '../src/check/schedule/spec.js';

const PORTS_PER_ADDRESS = 100;
const FAILED_SERVERS = 100;
const self = fileURLToPath(import.meta.url);

/** The i-th real server: 127.0.<a>.<b>, 100 ports per address (all of 127/8 is local on lo). */
export function endpoint(i: number): { address: string; port: number } {
  const a = Math.floor(i / PORTS_PER_ADDRESS);
  return {
    address: `127.0.${1 + Math.floor(a / 250)}.${1 + (a % 250)}`,
    port: 10_000 + (i % PORTS_PER_ADDRESS),
  };
}

/** Child mode: listen on every endpoint; on "close" messages stop the listed ones. */
async function listeners(count: number): Promise<void> {
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const { address, port } = endpoint(i);
    const server = createServer((s) => s.destroy());
    server.on('error', (e) => {
      console.error(`listen ${address}:${port}: ${String(e)}`);
      process.exit(1);
    });
    await new Promise<void>((resolve) => server.listen({ host: address, port, backlog: 511 }, resolve));
    servers.push(server);
  }
  process.on('message', (msg: { close?: number[]; cpu?: boolean }) => {
    if (msg.close) for (const i of msg.close) servers[i]?.close();
    if (msg.cpu) process.send?.({ cpu: process.cpuUsage() });
  });
  process.send?.({ ready: true });
}

/** TCP_CHECK as session 6 wrote it: node:net, a socket object, a timer and cleanups per probe. */
function nodeNetTcpProbe(spec: CheckerSpec, signal?: AbortSignal): Promise<ProbeResult> {
  return runProbe(spec.connect.timeoutMs, signal, (ctx) => {
    const socket = connect({ host: spec.connect.address, port: spec.connect.port });
    ctx.onCleanup(() => socket.destroy());
    socket.once('connect', () => ctx.succeed('connected'));
    socket.once('error', (e) => ctx.fail(errorText(e)));
  });
}

/** The listeners of `count` endpoints in a child process; close(i..) makes those servers fail. */
export interface Listeners {
  child: ChildProcess;
  close(indices: number[]): void;
  cpuUsage(): Promise<NodeJS.CpuUsage>;
  stop(): void;
}

export async function startListeners(count: number): Promise<Listeners> {
  const child = spawn(process.execPath, [self, 'listeners', String(count)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve) => child.on('message', (m: { ready?: boolean }) => m.ready && resolve()));
  return {
    child,
    close: (indices) => child.send({ close: indices }),
    cpuUsage: () => request<NodeJS.CpuUsage>(child, { cpu: true }, 'cpu'),
    stop: () => child.kill(),
  };
}

/** `count` real servers with one TCP_CHECK each: delay_loop 1 s, keepalived's other defaults. */
export function checkerSpecs(count: number): { servers: RealServerSpec[]; checkers: CheckerSpec[] } {
  const servers: RealServerSpec[] = [];
  const checkers: CheckerSpec[] = [];
  for (let i = 0; i < count; i++) {
    const { address, port } = endpoint(i);
    servers.push({ id: `rs${i}`, weight: 1, omega: false });
    checkers.push({
      id: `c${i}`,
      server: `rs${i}`,
      connect: { address, port, timeoutMs: 5_000 },
      // keepalived defaults except delay_loop: retry 1, delay_before_retry 1 s, warmup = delay_loop
      timing: { delayLoopMs: 1_000, retry: 1, delayBeforeRetryMs: 1_000, warmupMs: 1_000, alpha: false },
      options: { kind: 'TCP_CHECK' },
      enabled: true,
    });
  }
  return { servers, checkers };
}

function request<T>(child: ChildProcess, msg: object, key: string): Promise<T> {
  return new Promise((resolve) => {
    const onMsg = (m: Record<string, unknown>): void => {
      if (key in m) {
        child.off('message', onMsg);
        resolve(m[key] as T);
      }
    };
    child.on('message', onMsg);
    child.send(msg);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function bench(count: number, seconds: number, mode: string): Promise<void> {
  const probe = mode === 'node' ? nodeNetTcpProbe : tcpProbe;
  const listening = await startListeners(count);
  const child = listening.child;
  const { servers, checkers } = checkerSpecs(count);

  const downAt = new Map<string, number>();
  const firstFailedProbeAt = new Map<string, number>();
  let probesRun = 0;
  let failures = 0;
  const failureReasons = new Map<string, number>();
  let seed = 12345;
  const runner = new CheckRunner({
    servers,
    checkers,
    random: () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31,
    probes: {
      TCP_CHECK: async (spec, signal) => {
        const started = performance.now();
        const r = await probe(spec, signal);
        probesRun++;
        if (!r.ok) {
          failures++;
          failureReasons.set(r.detail, (failureReasons.get(r.detail) ?? 0) + 1);
          if (!firstFailedProbeAt.has(spec.server)) firstFailedProbeAt.set(spec.server, started);
        }
        return r;
      },
    },
    onAction: (a) => {
      if (a.type === 'server-state' && !a.up) downAt.set(a.server, performance.now());
    },
  });

  runner.start();
  await sleep(3_000); // warmup spreads first probes over delay_loop; let it settle
  const prober = sharedTcpProber();
  const batches0 = prober.batches;
  const cpu0 = process.cpuUsage();
  const childCpu0 = await request<NodeJS.CpuUsage>(child, { cpu: true }, 'cpu');
  const probes0 = probesRun;
  const t0 = performance.now();
  let maxRss = 0;
  for (let s = 0; s < seconds; s++) {
    await sleep(1_000);
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const batches = prober.batches - batches0;
  const childCpu1 = await request<NodeJS.CpuUsage>(child, { cpu: true }, 'cpu');
  const probeRate = ((probesRun - probes0) / wall) * 1000;
  const steadyFailures = failures;
  const steadyReasons = [...failureReasons.entries()].slice(0, 5);

  // Failure: close some listeners; connections are then refused at once.
  const victims = Array.from({ length: FAILED_SERVERS }, (_, k) => Math.floor((k * count) / FAILED_SERVERS));
  const failedAt = performance.now();
  listening.close(victims);
  const until = performance.now() + 10_000;
  while (performance.now() < until && victims.some((i) => !downAt.has(`rs${i}`))) await sleep(50);
  await runner.stop();
  listening.stop();

  const fromFailure = victims.map((i) => (downAt.get(`rs${i}`) ?? NaN) - failedAt).sort((a, b) => a - b);
  const fromFirstProbe = victims
    .map((i) => (downAt.get(`rs${i}`) ?? NaN) - (firstFailedProbeAt.get(`rs${i}`) ?? NaN))
    .sort((a, b) => a - b);
  const pct = (xs: number[], p: number): string =>
    (xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN).toFixed(0);
  const share = ((cpu.user + cpu.system) / 1000 / wall) * 100;
  const childShare =
    ((childCpu1.user - childCpu0.user + childCpu1.system - childCpu0.system) / 1000 / wall) * 100;

  console.log(
    `checkers: ${count} TCP_CHECK, delay_loop 1 s, retry 1, delay_before_retry 1 s, connect_timeout 5 s` +
      ` (probe: ${mode === 'node' ? 'node:net' : 'native batched prober'})`,
  );
  console.log(
    `probes/s: ${probeRate.toFixed(0)} (failed probes before the planned failures: ${steadyFailures})`,
  );
  if (steadyFailures > 0) console.log(`  first failure reasons: ${JSON.stringify(steadyReasons)}`);
  const usPerProbe = (cpu.user + cpu.system) / Math.max(1, probesRun - probes0);
  console.log(`checker CPU: ${share.toFixed(1)}% of one core (target < 30%)`);
  console.log(
    `checker CPU per probe: ${usPerProbe.toFixed(1)} us (user ${(cpu.user / Math.max(1, probesRun - probes0)).toFixed(1)}),` +
      ` i.e. ${((usPerProbe * count) / 1e4).toFixed(0)}% of a core at the nominal ${count} probes/s`,
  );
  if (mode !== 'node') {
    console.log(
      `native prober: ${batches} completion callbacks for ${probesRun - probes0} probes` +
        ` (${((probesRun - probes0) / Math.max(1, batches)).toFixed(1)} probes per callback)`,
    );
  }
  const load = (await import('node:os')).loadavg()[0] ?? 0;
  console.log(
    `host load average (1 min): ${load.toFixed(1)} on ${(await import('node:os')).cpus().length} cores`,
  );
  console.log(`checker RSS: ${(maxRss / 2 ** 20).toFixed(0)} MB (target < 300 MB)`);
  console.log(`listener process CPU (not the checker): ${childShare.toFixed(1)}% of one core`);
  const detected = fromFailure.filter((x) => !Number.isNaN(x)).length;
  console.log(`failed servers detected DOWN: ${detected}/${FAILED_SERVERS}`);
  console.log(
    `failure -> DOWN verdict ms: p50 ${pct(fromFailure, 0.5)} p99 ${pct(fromFailure, 0.99)} max ${pct(fromFailure, 1)}` +
      ' (includes up to one delay_loop before the next probe)',
  );
  console.log(
    `first failed probe -> DOWN ms: p50 ${pct(fromFirstProbe, 0.5)} p99 ${pct(fromFirstProbe, 0.99)} max ${pct(fromFirstProbe, 1)}` +
      ' (target <= connect_timeout + retry x delay_before_retry + 100 ms = 6100; refused connects fail at once, so ~1000 expected)',
  );
}

async function main(): Promise<void> {
  const [mode, a, probeMode = 'native'] = process.argv.slice(2);
  if (mode === 'listeners') return listeners(Number(a));
  const count = Number(mode ?? 10_000) || 10_000;
  const seconds = Number(a ?? 10) || 10;
  if (process.env.KTS_BENCH_NETNS === undefined && process.getuid?.() === 0) {
    // Run inside a namespace of our own; loopback there holds all of 127.0.0.0/8.
    const ns = `kts-chk-bench-${process.pid}`;
    if (spawnSync('ip', ['netns', 'add', ns]).status === 0) {
      try {
        spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
        spawnSync(
          'ip',
          ['netns', 'exec', ns, process.execPath, self, String(count), String(seconds), probeMode],
          {
            stdio: 'inherit',
            env: { ...process.env, KTS_BENCH_NETNS: ns },
          },
        );
      } finally {
        spawnSync('ip', ['netns', 'del', ns]);
      }
      return;
    }
  }
  await bench(count, seconds, probeMode);
}

// Run only as a program: other benches import the helpers above.
if (process.argv[1] === self) await main();
