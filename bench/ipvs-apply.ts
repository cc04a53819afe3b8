// IPVS apply times of keepalived 2.2.7 and keepalived-ts, side by side in the same IPVS VM (Debian's 6.1
// kernel under qemu, TCG: absolute times are slow, the comparison is what counts). Each daemon runs as a
// checker daemon (-C) in a network namespace of its own in the VM, one after the other, on the same config:
// S virtual servers x D real servers (NAT, rr, TCP), no checkers except on the first real server of the
// first two virtual servers (FILE_CHECK on a track_file; MISC_CHECK running a script that exits with a
// file's number). The timing is done inside the VM, in the daemon's namespace, by bench/ipvs-apply.agent.ts,
// which starts the daemon itself and reads the table through IPVS's generic netlink and /proc/net/ip_vs
// (no process started per poll: under TCG an `ipvsadm` run costs hundreds of milliseconds).
//   1. first load: from the daemon's spawn to
//      - the first service in the kernel (service dump non-empty, polled every 2 ms): process start-up,
//        config parse, the checker child's start and the first command;
//      - the last virtual server with its D real servers (its destinations, polled every 5 ms); both daemons
//        add in config order, so this is the whole table, which a read of /proc/net/ip_vs then confirms
//        (S x (1 + D) entries; "full" is the end of the first read that shows them all).
//   2. one real server's change in the loaded table, removal and return in turn, at a random phase
//      (100-500 ms after the previous one): from the file's write to
//      - the daemon's "Removing service" / "Adding service" line in its log (written by both just before
//        their IPVS command): detection, i.e. the checker's part;
//      - the service's destinations showing the change (polled back to back, ~1 ms apart): the whole;
//      log line -> table is the apply part alone (resolution: one poll).
//      FILE_CHECK: keepalived reacts to inotify at once, keepalived-ts reads the file every delay_loop
//      (0.1 s here); MISC_CHECK: both run the script every delay_loop (0.2 s here), retry 0.
//   node dist/bench/ipvs-apply.js [services=1000] [destinations=10] [changes=30] [rounds=1]
// rounds > 1 runs the pair again in the same VM (keepalived-ts first in even rounds).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpvsVm, ipvsVmSkipReason } from '../tests/helpers/ipvs-vm.js';
import { missingTools } from '../tests/helpers/requirements.js';
import type { AgentRequest, AgentResult, ChangeTimes } from './ipvs-apply.agent.js';

const services = Number(process.argv[2] ?? 1000);
const destinations = Number(process.argv[3] ?? 10);
const changes = Number(process.argv[4] ?? 30);
const rounds = Number(process.argv[5] ?? 1);

const worktree = fileURLToPath(new URL('../../', import.meta.url));
const RUN_DIR = '/run/kts-ipvsbench'; // inside the VM (a fresh tmpfs)
const FILE_DELAY_LOOP = 0.1;
const MISC_DELAY_LOOP = 0.2;

type Impl = 'keepalived' | 'keepalived-ts';

const vip = (s: number): string => `10.${50 + (s >> 8)}.${s & 0xff}.1`;
const rip = (s: number, d: number): string => `10.${100 + (s >> 8)}.${s & 0xff}.${d + 1}`;

/** The checked real servers: the first real server of virtual servers 0 and 1. */
const CHECKED = {
  file: { vip: vip(0), rs: rip(0, 0), path: `${RUN_DIR}/flip` },
  misc: { vip: vip(1), rs: rip(1, 0), path: `${RUN_DIR}/misc-code` },
} as const;
const AGENT = fileURLToPath(new URL('./ipvs-apply.agent.js', import.meta.url));

interface Result extends AgentResult {
  impl: Impl;
}

function config(): string {
  const out: string[] = [
    `global_defs {\n  router_id kts_ipvsbench\n  script_user root\n  enable_script_security\n}`,
    `track_file kts_flip {\n  file ${CHECKED.file.path}\n}`,
  ];
  for (let s = 0; s < services; s++) {
    const checker =
      s === 0
        ? `    FILE_CHECK {\n      track_file kts_flip\n      weight 0\n    }\n`
        : s === 1
          ? `    MISC_CHECK {\n      misc_path ${RUN_DIR}/misc.sh\n      misc_timeout 5\n      retry 0\n    }\n`
          : '';
    const delayLoop = s === 0 ? FILE_DELAY_LOOP : s === 1 ? MISC_DELAY_LOOP : undefined;
    const reals: string[] = [];
    for (let d = 0; d < destinations; d++)
      reals.push(`  real_server ${rip(s, d)} 8080 {\n    weight 1\n${d === 0 ? checker : ''}  }`);
    out.push(
      `virtual_server ${vip(s)} 80 {\n` +
        (delayLoop === undefined ? '' : `  delay_loop ${delayLoop}\n`) +
        `  lvs_sched rr\n  lvs_method NAT\n  protocol TCP\n${reals.join('\n')}\n}`,
    );
  }
  return out.join('\n') + '\n';
}

async function runDaemon(vm: IpvsVm, configPath: string, impl: Impl, round: number): Promise<Result> {
  const ns = `kts-ipvsbench-${process.pid}-${round}-${impl === 'keepalived' ? 'k' : 'o'}`;
  const dir = `/tmp/${ns}`;
  const request: AgentRequest = {
    command: [
      ...(impl === 'keepalived' ? ['keepalived'] : ['node', `${worktree}bin/keepalived-ts`]),
      ...['-n', '-l', '-D', '-C', '-f', configPath, '-p', `${dir}/main.pid`, '-c', `${dir}/checkers.pid`],
    ],
    dir,
    services,
    destinations,
    lastVip: vip(services - 1),
    changes,
    checked: CHECKED,
  };
  await vm.run(
    `echo 0 > ${CHECKED.file.path} && echo 0 > ${CHECKED.misc.path} && rm -rf ${dir} && mkdir -p ${dir} && ` +
      `ip netns add ${ns} && ip -n ${ns} link set lo up`,
  );
  try {
    const r = await vm.exec(`ip netns exec ${ns} node ${AGENT} '${JSON.stringify(request)}'`, {
      timeoutMs: 900_000 + changes * 2 * 40_000,
    });
    if (r.status !== 0) {
      const log = (await vm.exec(`tail -c 3000 ${dir}/log`)).stdout;
      throw new Error(`${impl}: the agent failed (${r.status}): ${r.stdout}${r.stderr}\nlog:\n${log}`);
    }
    const result = JSON.parse(r.stdout) as AgentResult;
    // Stop: SIGTERM (keepalived then removes its entries), the group killed if it lingers.
    await vm.exec(
      `kill $(cat ${dir}/main.pid) 2>/dev/null; for i in $(seq 600); do kill -0 $(cat ${dir}/main.pid) 2>/dev/null || exit 0; sleep 0.2; done; ` +
        `kill -9 -- -$(cat ${dir}/main.pid)`,
      { timeoutMs: 150_000 },
    );
    return { impl, ...result };
  } finally {
    await vm.exec(`ip netns del ${ns}`);
  }
}

function percentile(values: Array<number | null>, p: number): number {
  const sorted = values.filter((v): v is number => v !== null && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const fmtMs = (ms: number): string =>
  Number.isNaN(ms) ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;

function rows(r: Result): Array<[string, string]> {
  const l = r.load;
  const out: Array<[string, string]> = [
    ['start -> first service', fmtMs(l.first)],
    [`start -> last VS with its ${destinations} RS`, fmtMs(l.last)],
    [
      `start -> full table confirmed (${l.entries} entries)`,
      `${fmtMs(l.full)} (read ${fmtMs(l.dump)}, ${l.dumps} reads)`,
    ],
    ['first service -> last VS complete', fmtMs(l.last - l.first)],
  ];
  for (const kind of ['file', 'misc'] as const) {
    const cs = r.changes[kind];
    const name = kind === 'file' ? 'FILE_CHECK' : 'MISC_CHECK';
    const stat = (f: (c: ChangeTimes) => number | null): string => {
      const v = cs.map(f);
      return `p50 ${fmtMs(percentile(v, 50))}, p99 ${fmtMs(percentile(v, 99))}`;
    };
    const missed = cs.filter((c) => c.toLog === null).length;
    const pollMs = cs.map((c) => (c.toTable === null ? null : c.toTable / Math.max(1, c.polls)));
    out.push(
      [`${name} flip -> table (${cs.length} changes)`, stat((c) => c.toTable)],
      [`${name} flip -> log line`, stat((c) => c.toLog) + (missed ? ` (${missed} lines not seen)` : '')],
      [
        `${name} log line -> table`,
        stat((c) => (c.toTable === null || c.toLog === null ? null : c.toTable - c.toLog)),
      ],
      [`${name} poll period`, `p50 ${fmtMs(percentile(pollMs, 50))}`],
    );
  }
  return out;
}

function printTable(k: Result, o: Result): void {
  const kr = rows(k);
  const or = rows(o);
  const w0 = Math.max(...kr.map(([label]) => label.length));
  const w1 = Math.max('keepalived 2.2.7'.length, ...kr.map(([, v]) => v.length));
  console.log(`${''.padEnd(w0)} | ${'keepalived 2.2.7'.padEnd(w1)} | keepalived-ts`);
  console.log(`${'-'.repeat(w0)}-+-${'-'.repeat(w1)}-+-${'-'.repeat(30)}`);
  for (const [i, [label, value]] of kr.entries())
    console.log(`${label.padEnd(w0)} | ${value.padEnd(w1)} | ${or[i]![1]}`);
}

const skip = ipvsVmSkipReason() ?? missingTools('ipvsadm', 'keepalived');
if (skip) {
  console.log(`ipvs-apply: skipped: ${skip}`);
  process.exit(0);
}
const shareDir = mkdtempSync(join(tmpdir(), 'kts-ipvsbench-'));
const vm = await IpvsVm.boot({ shareDir, memoryMb: 2048, cpus: 2 });
try {
  writeFileSync(join(shareDir, 'bench.conf'), config());
  await vm.run(
    `modprobe ip_vs && mkdir -p ${RUN_DIR} && chmod 755 ${RUN_DIR} && ` +
      `printf '#!/bin/sh\\nexit $(cat ${CHECKED.misc.path})\\n' > ${RUN_DIR}/misc.sh && chmod 755 ${RUN_DIR}/misc.sh`,
  );
  const uname = (await vm.run('uname -r')).trim();
  const version = (await vm.exec('keepalived --version 2>&1 | head -1')).stdout.trim();
  const load = (await vm.run('cat /proc/loadavg')).trim();
  console.log(
    `IPVS VM: kernel ${uname} (${vm.kernelVersion}), qemu TCG, 2 vCPUs, boot ${vm.bootMs} ms; ${version}; ` +
      `host load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}; VM load ${load}`,
  );
  console.log(
    `config: ${services} virtual servers x ${destinations} real servers (NAT, rr, TCP); ` +
      `${changes} changes per checker (FILE_CHECK delay_loop ${FILE_DELAY_LOOP} s, MISC_CHECK delay_loop ${MISC_DELAY_LOOP} s)`,
  );
  for (let round = 0; round < rounds; round++) {
    const order: Impl[] = round % 2 === 0 ? ['keepalived', 'keepalived-ts'] : ['keepalived-ts', 'keepalived'];
    const results: Partial<Record<Impl, Result>> = {};
    for (const impl of order) {
      const started = Date.now();
      results[impl] = await runDaemon(vm, join(shareDir, 'bench.conf'), impl, round);
      console.log(`# round ${round + 1}: ${impl} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    console.log(`\nround ${round + 1} (${order.join(' first, then ')}):`);
    printTable(results.keepalived!, results['keepalived-ts']!);
    console.log('');
  }
} finally {
  await vm.shutdown();
  rmSync(shareDir, { recursive: true, force: true });
}
