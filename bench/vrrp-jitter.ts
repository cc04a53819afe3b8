// Advert period deviation on the wire: one VRRPv3 master alone on its LAN with three instances (advert_int
// 0.01, 0.1 and 1 s, VRIDs 1-3), an observer capturing with nanosecond kernel timestamps. For each
// interval: p50/p99/max of |interval - advert_int| between consecutive adverts. Variants: idle or busy (a
// tracked vrrp_script that burns 200 ms of CPU every second), and without or with vrrp_rt_priority 50;
// ours and keepalived's alternate so that the machine's own load drifts over both alike.
//   node dist/bench/vrrp-jitter.js [seconds=25] [rt=both|off|on] [load=both|idle|busy]
// KTS_BENCH_SCRIPT_RESET_SCHED=1: the busy script puts itself back to SCHED_OTHER before burning CPU.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  globalDefs,
  instanceConfig,
  keepalivedSkipReason,
  oursMissingReason,
  sleep,
  type Implementation,
  type VrrpLab,
} from '../test/helpers/vrrp-lab.js';
import { fmt, loadLine, NanoCapture, runWithLab, summarize, type Summary, type WireEvent } from './lab.js';

const MASTER_IP = '10.78.0.1';
const INTERVALS = [0.01, 0.1, 1] as const;
const RT_PRIORITY = 50;

interface Variant {
  impl: Implementation;
  busy: boolean;
  rt: boolean;
}

interface Row extends Variant {
  advertInt: number;
  deviation: Summary;
  meanIntervalMs: number;
  /** Gaps longer than 1.5 intervals: adverts that never went out (or were sent far too late). */
  missed: number;
}

const label = (v: Variant): string => `${v.impl}-${v.busy ? 'busy' : 'idle'}-${v.rt ? 'rt' : 'nort'}`;

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
  const scripts = v.busy
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
        trackScripts: v.busy ? ['burn'] : undefined,
      }),
    ).join('')
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

async function measure(
  lab: VrrpLab,
  hosts: { master: string; observer: string },
  v: Variant,
  seconds: number,
) {
  const daemon = lab.start(v.impl, { ns: hosts.master }, label(v), config(lab, v));
  for (let i = 1; i <= INTERVALS.length; i++) await daemon.waitForState(`VI_${i}`, 'MASTER', 20_000);
  await sleep(1500); // past the gratuitous ARP repeats
  const vrrpPid = Number(readFileSync(daemon.files.vrrpPid, 'utf8').trim());
  const capture = await NanoCapture.start(lab, hosts.observer, 'eth0', 'ip proto 112', `jitter-${label(v)}`);
  const load = loadLine();
  await sleep(seconds * 1000);
  const sched = schedulingOf(vrrpPid);
  const events = await capture.stop();
  await daemon.stop();
  const scriptFile = join(lab.dir, `sched-${label(v)}`);
  const scriptSched = existsSync(scriptFile)
    ? (/policy: (\S+)/.exec(readFileSync(scriptFile, 'utf8'))?.[1] ?? '?')
    : '-';
  console.log(`  ${label(v).padEnd(21)} VRRP process ${sched}, busy script ${scriptSched}; ${load}`);
  return rows(v, events);
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 25);
  const rtArg = process.argv[3] ?? 'both';
  const loadArg = process.argv[4] ?? 'both';
  const skip = keepalivedSkipReason() ?? oursMissingReason();
  if (skip) throw new Error(skip);
  const variants: Variant[] = [];
  for (const rt of rtArg === 'both' ? [false, true] : [rtArg === 'on'])
    for (const busy of loadArg === 'both' ? [false, true] : [loadArg === 'busy'])
      for (const impl of ['keepalived', 'ours'] as const) variants.push({ impl, busy, rt });
  await runWithLab('jit', async (lab) => {
    const [m, obs] = lab.lan(['m', 'obs']);
    lab.addAddress(m, `${MASTER_IP}/24`);
    lab.addAddress(obs, '10.78.0.9/24');
    console.log(
      `VRRP advert period deviation |interval - advert_int| on the wire: one VRRPv3 master, instances at ` +
        `${INTERVALS.join(', ')} s, ${seconds} s of capture per variant (observer, kernel timestamps)`,
    );
    console.log(
      `busy = a tracked vrrp_script burning 200 ms of CPU every 1 s; rt = vrrp_rt_priority ${RT_PRIORITY}`,
    );
    const all: Row[] = [];
    for (const v of variants)
      all.push(...(await measure(lab, { master: m.ns, observer: obs.ns }, v, seconds)));
    console.log(
      `\n${'advert_int'.padEnd(11)}${'load'.padEnd(6)}${'rt'.padEnd(6)}${'impl'.padEnd(11)}${'n'.padStart(6)}` +
        `${'mean int'.padStart(11)}${'p50 dev'.padStart(10)}${'p99 dev'.padStart(10)}${'max dev'.padStart(10)}` +
        `${'missed'.padStart(8)}   (ms)`,
    );
    for (const advertInt of INTERVALS)
      for (const r of all.filter((x) => x.advertInt === advertInt))
        console.log(
          `${`${advertInt} s`.padEnd(11)}${(r.busy ? 'busy' : 'idle').padEnd(6)}${(r.rt ? String(RT_PRIORITY) : '-').padEnd(6)}` +
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
