// Soak ("under load", issue #14): one keepalived-ts daemon, every child running, in network namespaces for
// a given time, sampled every 10 s; fails on memory growth, descriptor growth, missed adverts, a state
// change, a BFD flap, a real server leaving the pool or a child restarting.
//
//   d (ours)  1,000 VRRPv3 instances, advert_int 1 s, 250 VRIDs on each of eth0..eth3:
//             eth0, eth1 priority 200, alone: MASTER, 500 adverts/s sent;
//             eth2, eth3 priority 100 under the peer: BACKUP, 500 adverts/s received.
//             100 virtual servers x 100 real servers = 10,000 TCP_CHECKs (delay_loop 5 s by default: 2,000
//             probes/s) against listeners on 127.0.x.y in d (bench/checkers.ts), balanced by the nftables
//             data plane (this kernel has no IPVS). 10 BFD sessions (300 ms x 3) to the peer.
//             status_http on 127.0.0.1, /metrics scraped every minute (--scrape).
//   p (peer)  Debian's keepalived 2.2.7: MASTER of the 500 eth2/eth3 instances, the 10 BFD peers.
//   o         observer on the four LANs: tcpdump -i any, read as a stream (bench/soak-adverts.ts).
//
// Inside each daemon process bench/soak-probe.ts (node --import) reports V8 heap used, heap after a forced
// full GC and the event-loop delay; RSS and open descriptors come from /proc.
//
//   node dist/bench/soak.js [--minutes 10] [--sample 10] [--warmup 60] [--delay-loop 5] [--scrape 60] [--max-gap 1.5]
//                           [--conntrack-time-wait kernel|SECONDS]
//                           [--csv docs/soak-samples.csv] [--svg docs/soak-memory.svg]
//
// Criteria (see docs/reliability.md, Soak): the floor (lowest value of the last minute) of a process's heap
// after GC grows (Theil-Sen slope over the second half) above 4 MB/h and by more than 0.5 MB over that half, or its RSS above 20 MB/h and by more
// than 3 MB; a process's lowest descriptor count over the last quarter is above its highest over the
// second quarter; one of our instances goes longer than --max-gap intervals without an advert.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  globalDefs,
  instanceConfig,
  keepalivedSkipReason,
  OURS_LAUNCHER,
  oursMissingReason,
  sleep,
  waitUntil,
  type VrrpDaemon,
  type VrrpLab,
} from '../tests/helpers/vrrp-lab.js';
import { exec, setSysctl } from '../tests/helpers/netns.js';
import { endpoint } from './checkers.js';
import { CLOCK_TICKS, fmt, runWithLab, waitForQuietLog } from './lab.js';
import { AdvertWatch, type GapWindow } from './soak-adverts.js';
import { fdGrowth, memoryGrowth, memorySvg, toCsv, type GrowthLimit, type Point } from './soak-analysis.js';
import type { ProbeSample } from './soak-probe.js';

/** Most conntrack entries the daemon's namespace may hold: its checks (10,000 real servers) must not count. */
const CONNTRACK_BOUND = 1_000;
const INTERFACES = 4;
const PER_INTERFACE = 250;
const VIRTUAL_SERVERS = 100;
const REAL_PER_VS = 100;
const BFD_SESSIONS = 10;
const STATUS_PORT = 9650;
const ROLES = ['parent', 'vrrp', 'checker', 'bfd'] as const;
type Role = (typeof ROLES)[number];
const HEAP_LIMIT: GrowthLimit = { maxMbPerHour: 4, minRiseMb: 0.5 };
const RSS_LIMIT: GrowthLimit = { maxMbPerHour: 20, minRiseMb: 3 };

const CHECKERS_JS = fileURLToPath(new URL('./checkers.js', import.meta.url));
const PROBE_JS = fileURLToPath(new URL('./soak-probe.js', import.meta.url));

interface Options {
  minutes: number;
  sampleSeconds: number;
  delayLoop: number;
  /** Seconds between /metrics scrapes (a multiple of the sample period). */
  scrapeSeconds: number;
  /** Seconds of steady running after start-up before anything is judged. */
  warmupSeconds: number;
  /** conntrack's TIME_WAIT timeout in the daemon's namespace, seconds; undefined: the kernel's (120). */
  conntrackTimeWait: number | undefined;
  maxGapIntervals: number;
  csv: string;
  svg: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    minutes: 10,
    sampleSeconds: 10,
    delayLoop: 5,
    scrapeSeconds: 60,
    warmupSeconds: 60,
    // The kernel's 120 s: the checks no longer count (src/lb/nftables/notrack.ts).
    conntrackTimeWait: undefined,
    maxGapIntervals: 1.5,
    csv: 'docs/soak-samples.csv',
    svg: 'docs/soak-memory.svg',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ''];
    if (flag === '--minutes') o.minutes = Number(value);
    else if (flag === '--sample') o.sampleSeconds = Number(value);
    else if (flag === '--delay-loop') o.delayLoop = Number(value);
    else if (flag === '--scrape') o.scrapeSeconds = Number(value);
    else if (flag === '--warmup') o.warmupSeconds = Number(value);
    else if (flag === '--conntrack-time-wait')
      o.conntrackTimeWait = value === 'kernel' ? undefined : Number(value);
    else if (flag === '--max-gap') o.maxGapIntervals = Number(value);
    else if (flag === '--csv') o.csv = value;
    else if (flag === '--svg') o.svg = value;
    else throw new Error(`unknown option ${flag}`);
  }
  if (!(o.minutes > 0 && o.sampleSeconds > 0 && o.delayLoop >= 1)) throw new Error('bad options');
  return o;
}

// ---------------------------------------------------------------------------------------------------
// Configurations

const ifAddress = (i: number, host: number): string => `10.${20 + i}.255.${host}`;
const bfdAddress = (session: number, peer: boolean): string => `10.40.0.${(peer ? 100 : 0) + session}`;
/** FRR's defaults (300 ms x 3): our BFD child sends from its JavaScript thread, see the doc. */
const BFD_TIMERS = ['min_rx 300', 'min_tx 300', 'multiplier 3'];

function vrrpInstances(interfaces: number[], priority: (i: number) => number): string {
  let text = '';
  for (const i of interfaces)
    for (let vrid = 1; vrid <= PER_INTERFACE; vrid++)
      text += instanceConfig({
        name: `VI_${i}_${vrid}`,
        interface: `eth${i}`,
        vrid,
        priority: priority(i),
        version: 3,
        advertInt: 1,
        vips: [`10.${30 + i}.${vrid >> 8}.${vrid & 255}/32`],
      });
  return text;
}

function bfdInstances(peer: boolean): string {
  let text = '';
  for (let s = 1; s <= BFD_SESSIONS; s++)
    text += [
      `bfd_instance bfd${s} {`,
      `  neighbor_ip ${bfdAddress(s, !peer)}`,
      `  source_ip ${bfdAddress(s, peer)}`,
      ...BFD_TIMERS.map((l) => `  ${l}`),
      '}',
      '',
    ].join('\n');
  return text;
}

function virtualServers(delayLoop: number): string {
  const lines: string[] = [];
  for (let v = 0; v < VIRTUAL_SERVERS; v++) {
    lines.push(
      `virtual_server 10.50.0.${v + 1} 80 {`,
      `  delay_loop ${delayLoop}`,
      '  lvs_sched rr',
      '  lvs_method NAT',
      '  protocol TCP',
    );
    for (let r = 0; r < REAL_PER_VS; r++) {
      const { address, port } = endpoint(v * REAL_PER_VS + r);
      lines.push(
        `  real_server ${address} ${port} {`,
        '    weight 1',
        '    TCP_CHECK {',
        '      connect_timeout 5',
        '    }',
        '  }',
      );
    }
    lines.push('}', '');
  }
  return lines.join('\n');
}

function oursConfig(delayLoop: number): string {
  return (
    globalDefs('soak', ['lvs_data_plane nftables']) +
    `status_http {\n  listen 127.0.0.1 ${STATUS_PORT}\n}\n` +
    bfdInstances(false) +
    vrrpInstances([0, 1, 2, 3], (i) => (i < 2 ? 200 : 100)) +
    virtualServers(delayLoop)
  );
}

function peerConfig(): string {
  return globalDefs('peer') + bfdInstances(true) + vrrpInstances([2, 3], () => 200);
}

// ---------------------------------------------------------------------------------------------------
// Reading the processes

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** utime + stime of a process, in seconds (USER_HZ ticks). */
function cpuSeconds(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

function conntrackCount(ns: string): number {
  const r = exec(['ip', 'netns', 'exec', ns, 'cat', '/proc/sys/net/netfilter/nf_conntrack_count']);
  return r.status === 0 ? Number(r.stdout.trim()) : NaN;
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The newest probe sample of each live process, by pid. */
function readProbes(dir: string): Map<number, ProbeSample> {
  const samples = new Map<number, ProbeSample>();
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    try {
      const s = JSON.parse(readFileSync(`${dir}/${name}`, 'utf8')) as ProbeSample;
      samples.set(s.pid, s);
    } catch {
      // being replaced
    }
  }
  return samples;
}

const run = promisify(execFile);

/** /metrics, read from inside the daemon's namespace (its status listener is on that loopback). */
async function scrape(ns: string): Promise<{ text: string; ms: number }> {
  const t0 = performance.now();
  const { stdout } = await run(
    'ip',
    ['netns', 'exec', ns, 'curl', '-sf', '--max-time', '10', `http://127.0.0.1:${STATUS_PORT}/metrics`],
    { maxBuffer: 256 * 2 ** 20 },
  );
  return { text: stdout, ms: performance.now() - t0 };
}

/** Sums of a metric's values, by the value of one label ('' when no label is asked). */
function metricSums(text: string, name: string, label?: string): Map<string, number> {
  const sums = new Map<string, number>();
  const labelRe = label ? new RegExp(`${label}="([^"]*)"`) : undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const key = labelRe ? (labelRe.exec(line)?.[1] ?? '') : '';
    sums.set(key, (sums.get(key) ?? 0) + value);
  }
  return sums;
}

// ---------------------------------------------------------------------------------------------------
// The run

interface ProcessRow {
  pid: number;
  /** CPU over the last sample period, % of one core. */
  cpuPercent: number;
  cpuSeconds: number;
  rssMb: number;
  externalMb: number;
  fds: number;
  heapMb: number;
  heapGcMb: number;
  eldP99Ms: number;
  eldMaxMs: number;
  probeT: number;
}

interface Row {
  t: number;
  load1: number;
  procs: Record<Role, ProcessRow>;
  ours: GapWindow;
  peer: GapWindow;
  silent: number;
  rsUp: number;
  verdictsDown: number;
  verdictsUp: number;
  /** Our VRRP state changes, BFD state changes and real servers removed since the soak began (log). */
  transitions: number;
  bfdChanges: number;
  removals: number;
  bfdUp: number;
  master: number;
  backup: number;
  scrapeMs: number;
  /** Connections conntrack tracks in the daemon's namespace. */
  conntrack: number;
}

const mean = (xs: number[]): number => {
  const ok = xs.filter(Number.isFinite);
  return ok.reduce((a, b) => a + b, 0) / (ok.length || NaN);
};

const noGaps: GapWindow = { adverts: 0, missed: 0, late: 0, maxGapMs: 0 };

async function startListeners(ns: string, count: number): Promise<ChildProcess> {
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, CHECKERS_JS, 'listeners', String(count)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { ready?: boolean }) => m.ready && resolve());
    child.once('exit', (code) => reject(new Error(`listeners exited (${code})`)));
  });
  return child;
}

function countAfter(d: VrrpDaemon, since: number, re: RegExp): string[] {
  return d.lines.slice(since).filter((l) => re.test(l));
}

async function soak(lab: VrrpLab, o: Options): Promise<boolean> {
  const [d, p, obs] = lab.lan(['d', 'p', 'o']);
  if (!d || !p || !obs) throw new Error('no lab hosts');
  for (let i = 1; i < INTERFACES; i++) lab.joinLan([d, p, obs], `eth${i}`);
  [d, p, obs].forEach((m, n) => {
    for (let i = 0; i < INTERFACES; i++)
      lab.addAddress({ ns: m.ns, ifname: `eth${i}` }, `${ifAddress(i, n + 1)}/16`);
  });
  for (let s = 1; s <= BFD_SESSIONS; s++) {
    lab.addAddress({ ns: d.ns, ifname: 'eth0' }, `${bfdAddress(s, false)}/24`);
    lab.addAddress({ ns: p.ns, ifname: 'eth0' }, `${bfdAddress(s, true)}/24`);
  }
  // The nftables data plane's NAT chains turn conntrack on in d; the plane keeps the health checks out of
  // it (notrack), else 2,000 connections/s kept 120 s in TIME_WAIT fill the 262,144 entries the kernel
  // allows a namespace, which then drops new connections. See docs/reliability.md, Soak.
  if (o.conntrackTimeWait !== undefined)
    setSysctl(d.ns, 'net.netfilter.nf_conntrack_tcp_timeout_time_wait', o.conntrackTimeWait);
  console.log(
    `soak: ${o.minutes} min, a sample every ${o.sampleSeconds} s; ${INTERFACES * PER_INTERFACE} VRRP instances, ` +
      `${VIRTUAL_SERVERS * REAL_PER_VS} TCP_CHECKs (delay_loop ${o.delayLoop} s), ${BFD_SESSIONS} BFD sessions; ` +
      `${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );

  // The peer first, so that our eth2/eth3 instances find their master there.
  const peer = lab.start('keepalived', { ns: p.ns }, 'peer', peerConfig(), []);
  const peerMasters = (): number => peer.lines.filter((l) => /Entering MASTER STATE/i.test(l)).length;
  await waitUntil(() => !peer.running || peerMasters() >= 2 * PER_INTERFACE, 'peer MASTER', 120_000, 250);
  if (!peer.running) throw new Error(`peer exited\n${peer.log()}`);

  const listeners = await startListeners(d.ns, VIRTUAL_SERVERS * REAL_PER_VS);
  try {
    const probeDir = `${lab.dir}/probe`;
    mkdirSync(probeDir);
    process.env.KTS_SOAK_PROBE_DIR = probeDir;
    process.env.KTS_SOAK_PROBE_MS = String(o.sampleSeconds * 1000);
    const files = lab.daemonFiles('ours');
    writeFileSync(files.config, oursConfig(o.delayLoop));
    const argv = [
      process.execPath,
      '--import',
      PROBE_JS,
      OURS_LAUNCHER,
      '-n',
      '-l',
      '-D',
      ...lab.fileArgs(files),
    ];
    const started = Date.now();
    const ours = lab.startOther('ours', d.ns, argv, { impl: 'ours', files });
    delete process.env.KTS_SOAK_PROBE_DIR;

    const masters = (): number => ours.lines.filter((l) => /Entering MASTER STATE/i.test(l)).length;
    const bfdUp = (): number => ours.lines.filter((l) => /\(bfd\d+\) Entering Up state/.test(l)).length;
    await waitUntil(
      () => !ours.running || (masters() >= 2 * PER_INTERFACE && bfdUp() >= BFD_SESSIONS),
      () => `ours: ${masters()} MASTER, ${bfdUp()} BFD Up`,
      240_000,
      250,
    );
    if (!ours.running) throw new Error(`ours exited\n${ours.log()}`);
    // every real server checked once at least, then a quiet log (start-up over)
    await sleep((o.delayLoop + 2) * 1000);
    await waitForQuietLog(ours);
    // the checker's first rounds of 10,000 probes and the first reports are a burst: judge what follows
    await sleep(o.warmupSeconds * 1000);
    const pids = {
      parent: readPid(files.pid),
      vrrp: readPid(files.vrrpPid),
      checker: readPid(files.checkersPid),
      bfd: readPid(files.bfdPid),
    };
    console.log(
      `settled ${((Date.now() - started) / 1000).toFixed(0)} s after start; pids ${JSON.stringify(pids)}; ` +
        `log lines so far ${ours.lines.length}`,
    );
    for (const r of ROLES) if (pids[r] === undefined) throw new Error(`no ${r} pid\n${ours.log()}`);

    const oursSources = new Set([ifAddress(0, 1), ifAddress(1, 1)]);
    const peerSources = new Set([ifAddress(2, 2), ifAddress(3, 2)]);
    const watch = new AdvertWatch(
      (src) => (oursSources.has(src) ? 'ours' : peerSources.has(src) ? 'peer' : undefined),
      1000,
      o.maxGapIntervals,
    );
    const tcpdump = lab.spawnOther(obs.ns, [
      'tcpdump',
      '-i',
      'any',
      '-n',
      '-U',
      '-B',
      '16384',
      '-s',
      '128',
      '--time-stamp-precision=nano',
      '-w',
      '-',
      'ip proto 112',
    ]);
    let tcpdumpErr = '';
    tcpdump.stderr?.on('data', (c: string) => (tcpdumpErr += c));
    watch.attach(tcpdump);
    await waitUntil(() => tcpdumpErr.includes('listening on'), 'tcpdump listening', 10_000);
    watch.judgeFromNs = BigInt(Date.now()) * 1_000_000n;

    const mark = ours.mark();
    const peerMark = peer.mark();
    const t0 = Date.now();
    let scrapeFailures = 0;
    const cpuAtStart = new Map(ROLES.map((r) => [pids[r] as number, cpuSeconds(pids[r] as number)]));
    const rows: Row[] = [];
    const samples = Math.round((o.minutes * 60) / o.sampleSeconds);
    console.log(
      `\n${'t s'.padStart(5)}${'load'.padStart(6)}` +
        ROLES.map((r) => `  ${r.padEnd(8)}cpu%   rss  heap  fds  eld99`).join('') +
        `  adv/s miss  maxgap  vrrp  bfd  rs-out  ct`,
    );
    for (let k = 1; k <= samples; k++) {
      await sleep(Math.max(0, t0 + k * o.sampleSeconds * 1000 - Date.now()));
      const t = (Date.now() - t0) / 1000;
      const probes = readProbes(probeDir);
      const procs = {} as Record<Role, ProcessRow>;
      for (const r of ROLES) {
        const pid =
          readPid(
            r === 'parent'
              ? files.pid
              : r === 'vrrp'
                ? files.vrrpPid
                : r === 'checker'
                  ? files.checkersPid
                  : files.bfdPid,
          ) ?? 0;
        const pr = probes.get(pid);
        const cpu = cpuSeconds(pid);
        const before = rows.at(-1)?.procs[r];
        const since = before?.pid === pid ? before.cpuSeconds : cpuAtStart.get(pid);
        procs[r] = {
          pid,
          cpuSeconds: cpu,
          cpuPercent:
            since === undefined
              ? NaN
              : ((cpu - since) / (t - (before?.pid === pid ? (rows.at(-1)?.t ?? 0) : 0))) * 100,
          rssMb: rssMb(pid),
          externalMb: (pr?.externalBytes ?? NaN) / 2 ** 20,
          fds: fdCount(pid),
          heapMb: (pr?.heapUsedBytes ?? NaN) / 2 ** 20,
          heapGcMb: (pr?.heapAfterGcBytes ?? NaN) / 2 ** 20,
          eldP99Ms: pr?.eventLoopP99Ms ?? NaN,
          eldMaxMs: pr?.eventLoopMaxMs ?? NaN,
          probeT: pr ? (pr.t - t0) / 1000 : NaN,
        };
      }
      const windows = watch.takeWindow();
      const silent = watch.instances('ours', watch.lastCaptureNs).silent.length;
      let metrics = { text: '', ms: NaN };
      const scrapeEvery = Math.max(1, Math.round(o.scrapeSeconds / o.sampleSeconds));
      if (k % scrapeEvery === 0)
        try {
          metrics = await scrape(d.ns);
        } catch (e) {
          console.log(`  /metrics failed: ${(e as Error).message.split('\n')[0]}`);
          scrapeFailures++;
        }
      const rsUp = metricSums(metrics.text, 'keepalived_checker_real_server_up');
      const verdicts = metricSums(metrics.text, 'keepalived_checker_verdicts_total', 'up');
      const stateCounts = new Map<string, number>();
      for (const line of metrics.text.split('\n'))
        if (line.startsWith('keepalived_vrrp_state{')) {
          const v = line.slice(line.lastIndexOf(' ') + 1);
          stateCounts.set(v, (stateCounts.get(v) ?? 0) + 1);
        }
      const row: Row = {
        t,
        load1: loadavg()[0] ?? NaN,
        procs,
        ours: windows.get('ours') ?? noGaps,
        peer: windows.get('peer') ?? noGaps,
        silent,
        rsUp: rsUp.get('') ?? NaN,
        verdictsDown: verdicts.get('false') ?? (metrics.text ? 0 : NaN),
        verdictsUp: verdicts.get('true') ?? (metrics.text ? 0 : NaN),
        transitions: countAfter(ours, mark, /Entering (MASTER|BACKUP|FAULT) STATE/i).length,
        bfdChanges: countAfter(ours, mark, /\(bfd\d+\) Entering \w+ state/).length,
        removals: countAfter(ours, mark, /Removing service/).length,
        bfdUp: metricSums(metrics.text, 'keepalived_bfd_session_up').get('') ?? NaN,
        master: stateCounts.get('2') ?? NaN,
        backup: stateCounts.get('1') ?? NaN,
        scrapeMs: metrics.ms,
        conntrack: conntrackCount(d.ns),
      };
      rows.push(row);
      console.log(
        `${fmt(t, 0, 5)}${fmt(row.load1, 1, 6)}` +
          ROLES.map((r) => {
            const x = procs[r];
            return `  ${fmt(x.cpuPercent, 1, 12)}${fmt(x.rssMb, 0, 6)}${fmt(x.heapGcMb, 1, 6)}${fmt(x.fds, 0, 5)}${fmt(x.eldP99Ms, 0, 7)}`;
          }).join('') +
          `${fmt(row.ours.adverts / o.sampleSeconds, 0, 7)}${fmt(row.ours.missed, 0, 5)}${fmt(row.ours.maxGapMs, 0, 8)}` +
          `${fmt(row.transitions, 0, 6)}${fmt(row.bfdChanges, 0, 5)}${fmt(row.removals, 0, 6)}${fmt(row.conntrack, 0, 8)}`,
      );
      if (!ours.running) break;
    }

    // ------------------------------------------------------------------ verdicts
    const failures: string[] = [];
    const restarts = ROLES.filter(
      (r) => new Set(rows.map((row) => row.procs[r].pid)).size > 1 || !rows.every((row) => row.procs[r].pid),
    );
    if (!ours.running) failures.push(`the daemon exited (code ${ours.exitCode}, signal ${ours.exitSignal})`);
    for (const r of restarts)
      failures.push(
        `${r} process restarted (pids ${[...new Set(rows.map((row) => row.procs[r].pid))].join(', ')})`,
      );
    const summary: string[] = [];
    summary.push(
      `\n${'process'.padEnd(8)}${'RSS first'.padStart(10)}${'last'.padStart(8)}${'max'.padStart(8)}${'MB/h'.padStart(8)}` +
        `${'heapGC 1st'.padStart(11)}${'last'.padStart(7)}${'MB/h'.padStart(8)}${'heap max'.padStart(9)}` +
        `${'fds 1st'.padStart(8)}${'last'.padStart(6)}${'q2max'.padStart(6)}${'q4min'.padStart(6)}` +
        `${'eld p99 med'.padStart(12)}${'max p99'.padStart(8)}${'max'.padStart(7)}${'cpu% mean'.padStart(10)}`,
    );
    for (const r of ROLES) {
      const series = (f: (x: ProcessRow) => number, byProbe = false): Point[] => {
        const seen = new Set<number>();
        const pts: Point[] = [];
        for (const row of rows) {
          const x = row.procs[r];
          const v = f(x);
          const tt = byProbe ? x.probeT : row.t;
          if (!Number.isFinite(v) || !Number.isFinite(tt) || seen.has(tt)) continue;
          seen.add(tt);
          pts.push({ t: tt, v });
        }
        return pts;
      };
      const rss = series((x) => x.rssMb);
      const heap = series((x) => x.heapGcMb, true);
      const fds = series((x) => x.fds);
      const eld = series((x) => x.eldP99Ms, true).map((pt) => pt.v);
      const rssG = memoryGrowth(rss, RSS_LIMIT);
      const heapG = memoryGrowth(heap, HEAP_LIMIT);
      const fdG = fdGrowth(fds);
      if (rssG.failed)
        failures.push(
          `${r}: RSS grows ${rssG.mbPerHour.toFixed(1)} MB/h (${rssG.riseMb.toFixed(1)} MB over the second half)`,
        );
      if (heapG.failed)
        failures.push(
          `${r}: heap after GC grows ${heapG.mbPerHour.toFixed(1)} MB/h (${heapG.riseMb.toFixed(2)} MB over the second half)`,
        );
      if (fdG.failed)
        failures.push(
          `${r}: descriptors grow (last quarter at least ${fdG.lastQuarterMin}, second quarter at most ${fdG.secondQuarterMax})`,
        );
      const sortedEld = [...eld].sort((a, b) => a - b);
      summary.push(
        `${r.padEnd(8)}${fmt(rss[0]?.v ?? NaN, 1, 10)}${fmt(rss.at(-1)?.v ?? NaN, 1, 8)}${fmt(Math.max(...rss.map((x) => x.v)), 1, 8)}${fmt(rssG.mbPerHour, 1, 8)}` +
          `${fmt(heap[0]?.v ?? NaN, 2, 11)}${fmt(heap.at(-1)?.v ?? NaN, 2, 7)}${fmt(heapG.mbPerHour, 2, 8)}${fmt(Math.max(...rows.map((row) => row.procs[r].heapMb).filter(Number.isFinite)), 1, 9)}` +
          `${fmt(fds[0]?.v ?? NaN, 0, 8)}${fmt(fds.at(-1)?.v ?? NaN, 0, 6)}${fmt(fdG.secondQuarterMax, 0, 6)}${fmt(fdG.lastQuarterMin, 0, 6)}` +
          `${fmt(sortedEld[sortedEld.length >> 1] ?? NaN, 1, 12)}${fmt(sortedEld.at(-1) ?? NaN, 1, 8)}${fmt(Math.max(...rows.map((row) => row.procs[r].eldMaxMs).filter(Number.isFinite)), 1, 7)}` +
          fmt(mean(rows.map((row) => row.procs[r].cpuPercent)), 1, 10),
      );
    }
    tcpdump.kill('SIGINT');
    await sleep(500);
    const total = (g: string): GapWindow => watch.total.get(g) ?? noGaps;
    const oursInst = watch.instances('ours', watch.lastCaptureNs);
    const peerInst = watch.instances('peer', watch.lastCaptureNs);
    const elapsed = (Date.now() - t0) / 1000;
    summary.push(
      `\nadverts (observer capture, ${elapsed.toFixed(0)} s): ours ${total('ours').adverts} (${(total('ours').adverts / elapsed).toFixed(1)}/s, ` +
        `${oursInst.heard} instances heard), gaps > ${o.maxGapIntervals} intervals ${total('ours').missed}, > 1.1 intervals ${total('ours').late}, ` +
        `max gap ${total('ours').maxGapMs.toFixed(1)} ms; peer (keepalived 2.2.7) ${total('peer').adverts} (${peerInst.heard} instances), ` +
        `gaps > ${o.maxGapIntervals} ${total('peer').missed}, > 1.1 ${total('peer').late}, max ${total('peer').maxGapMs.toFixed(1)} ms` +
        (watch.strangers.size ? `; other senders ${JSON.stringify([...watch.strangers])}` : ''),
    );
    if (total('ours').missed > 0)
      failures.push(
        `${total('ours').missed} missed adverts of ours (gap > ${o.maxGapIntervals} s), first: ` +
          watch.missedEvents
            .filter((e) => oursSources.has(e.key.split('/')[0] as string))
            .slice(0, 5)
            .map((e) => `${e.key} ${e.gapMs.toFixed(0)} ms at +${((e.atMs - t0) / 1000).toFixed(1)} s`)
            .join(', '),
      );
    if (oursInst.heard !== 2 * PER_INTERFACE)
      failures.push(`only ${oursInst.heard} of our MASTER instances heard`);
    if (oursInst.silent.length) failures.push(`${oursInst.silent.length} of our instances silent at the end`);
    if (watch.strangers.size)
      failures.push(`adverts from unexpected senders: ${JSON.stringify([...watch.strangers])}`);

    const transitions = countAfter(ours, mark, /Entering (MASTER|BACKUP|FAULT) STATE/i);
    const bfdChanges = countAfter(ours, mark, /\(bfd\d+\) Entering \w+ state/);
    const removals = countAfter(ours, mark, /Removing service/);
    const childExits = countAfter(ours, mark, /child exited/);
    const peerTransitions = countAfter(peer, peerMark, /Entering (MASTER|BACKUP|FAULT) STATE/i);
    const last = [...rows].reverse().find((r) => Number.isFinite(r.rsUp));
    summary.push(
      `checker: real servers up ${last?.rsUp ?? '-'} of ${VIRTUAL_SERVERS * REAL_PER_VS}, verdicts since start: down ${last?.verdictsDown ?? '-'}, up ${last?.verdictsUp ?? '-'}; ` +
        `"Removing service" during the soak ${removals.length}`,
    );
    summary.push(
      `VRRP (metrics): MASTER ${last?.master ?? '-'}, BACKUP ${last?.backup ?? '-'}; our state changes during the soak ${transitions.length}, ` +
        `the peer's ${peerTransitions.length}; BFD sessions up ${last?.bfdUp ?? '-'}, state changes ${bfdChanges.length}`,
    );
    const scrapes = rows
      .map((r) => r.scrapeMs)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    const ct = rows.map((r) => r.conntrack).filter(Number.isFinite);
    summary.push(
      `conntrack entries in the daemon's namespace: last ${ct.at(-1) ?? '-'}, max ${Math.max(...ct)} (limit 262144 here)`,
    );
    summary.push(
      `/metrics scrape (curl in the namespace, wall): median ${fmt(scrapes[scrapes.length >> 1] ?? NaN, 0, 0)} ms, max ${fmt(scrapes.at(-1) ?? NaN, 0, 0)} ms; ` +
        `load average over the run: median ${fmt([...rows.map((r) => r.load1)].sort((a, b) => a - b)[rows.length >> 1] ?? NaN, 1, 0)}, max ${fmt(Math.max(...rows.map((r) => r.load1)), 1, 0)} (${cpus().length} cores)`,
    );
    // What d tracks besides the checks: VRRP and BFD flows, a scrape a minute (tens of entries).
    if (Math.max(...ct) > CONNTRACK_BOUND)
      failures.push(
        `conntrack held ${Math.max(...ct)} entries in the daemon's namespace: the checks are tracked`,
      );
    if (transitions.length)
      failures.push(`${transitions.length} VRRP state changes: ${transitions.slice(0, 3).join(' | ')}`);
    if (bfdChanges.length)
      failures.push(`${bfdChanges.length} BFD state changes: ${bfdChanges.slice(0, 3).join(' | ')}`);
    if (removals.length)
      failures.push(`${removals.length} real servers removed: ${removals.slice(0, 3).join(' | ')}`);
    if (scrapeFailures) failures.push(`${scrapeFailures} /metrics scrapes failed`);
    if (childExits.length) failures.push(`children exited: ${childExits.join(' | ')}`);
    if (last && last.rsUp !== VIRTUAL_SERVERS * REAL_PER_VS)
      failures.push(`real servers up at the end: ${last.rsUp}`);
    if (last && last.bfdUp !== BFD_SESSIONS) failures.push(`BFD sessions up at the end: ${last.bfdUp}`);

    const stopT = Date.now();
    const code = await ours.stop('SIGTERM', 30_000);
    summary.push(`stop: exit code ${code} after ${Date.now() - stopT} ms`);
    if (code !== 0) failures.push(`the daemon exited with ${code} on SIGTERM`);
    console.log(summary.join('\n'));

    writeOutputs(o, rows);
    if (failures.length) {
      const logFile = join(tmpdir(), `kts-soak-${process.pid}.log`);
      writeFileSync(logFile, ours.lines.slice(mark).join('\n') + '\n');
      console.log(`our daemon's log during the soak: ${logFile}`);
    }
    console.log(
      failures.length ? `\nFAIL\n  ${failures.join('\n  ')}` : '\nPASS: no growth, no missed advert, no flap',
    );
    return failures.length === 0;
  } finally {
    listeners.kill();
  }
}

function writeOutputs(o: Options, rows: Row[]): void {
  const columns = ['t_s', 'load1'];
  for (const r of ROLES)
    columns.push(
      ...[
        'pid',
        'cpu_pct',
        'rss_mb',
        'fds',
        'heap_mb',
        'heap_after_gc_mb',
        'external_mb',
        'eld_p99_ms',
        'eld_max_ms',
      ].map((c) => `${r}_${c}`),
    );
  columns.push(
    'ours_adverts',
    'ours_missed',
    'ours_late',
    'ours_max_gap_ms',
    'peer_adverts',
    'peer_missed',
    'peer_max_gap_ms',
    'ours_silent',
    'rs_up',
    'verdicts_down',
    'verdicts_up',
    'vrrp_state_changes',
    'bfd_state_changes',
    'rs_removed',
    'bfd_up',
    'vrrp_master',
    'vrrp_backup',
    'scrape_ms',
    'conntrack',
  );
  const data = rows.map((row) => [
    row.t,
    row.load1,
    ...ROLES.flatMap((r) => {
      const x = row.procs[r];
      return [
        x.pid,
        x.cpuPercent,
        x.rssMb,
        x.fds,
        x.heapMb,
        x.heapGcMb,
        x.externalMb,
        x.eldP99Ms,
        x.eldMaxMs,
      ];
    }),
    row.ours.adverts,
    row.ours.missed,
    row.ours.late,
    row.ours.maxGapMs,
    row.peer.adverts,
    row.peer.missed,
    row.peer.maxGapMs,
    row.silent,
    row.rsUp,
    row.verdictsDown,
    row.verdictsUp,
    row.transitions,
    row.bfdChanges,
    row.removals,
    row.bfdUp,
    row.master,
    row.backup,
    row.scrapeMs,
    row.conntrack,
  ]);
  for (const path of [o.csv, o.svg])
    if (!existsSync(dirname(path))) mkdirSync(dirname(path), { recursive: true });
  writeFileSync(o.csv, toCsv(columns, data));
  const colors: Record<Role, string> = {
    parent: '#7f7f7f',
    vrrp: '#1f77b4',
    checker: '#d62728',
    bfd: '#2ca02c',
  };
  const series = ROLES.flatMap((r) => [
    {
      label: `${r} RSS`,
      color: colors[r],
      points: rows.map((row) => ({ t: row.t, v: row.procs[r].rssMb })).filter((pt) => Number.isFinite(pt.v)),
    },
    {
      label: `${r} heap after GC`,
      color: colors[r],
      dashed: true,
      points: rows
        .map((row) => ({ t: row.t, v: row.procs[r].heapGcMb }))
        .filter((pt) => Number.isFinite(pt.v)),
    },
  ]);
  const minutes = rows.length ? (rows.at(-1) as Row).t / 60 : 0;
  writeFileSync(
    o.svg,
    memorySvg(`keepalived-ts soak, ${minutes.toFixed(0)} min: RSS and heap after GC per process`, series),
  );
  console.log(`samples: ${o.csv}; memory picture: ${o.svg}`);
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const skip = keepalivedSkipReason() ?? oursMissingReason();
  if (skip) throw new Error(skip);
  let ok = false;
  await runWithLab('sok', async (lab) => {
    ok = await soak(lab, o);
  });
  if (!ok) process.exitCode = 1;
}

await main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
