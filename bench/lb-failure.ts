// From a real server's failure to its removal from the kernel's load-balancing table, with our full daemon
// (VRRP + checker child, nftables data plane) on the load balancer of tests/helpers/lb-lab.ts and nginx on
// the real servers. Each round stops one real server's nginx (SIGTERM: its port closes at once, probes
// are refused) and times, on the kernel's own clock of events (`nft monitor` in the balancer's namespace):
//   - failure -> removal: from the stop to the transaction that takes the server out of the service's slots;
//   - verdict -> removal: from the checker's "Removing service" line (as it reaches us) to that transaction,
//     i.e. what the load balancer and the data plane add to the checker's own timing;
//   - recovery -> return: from nginx's restart (at a random phase) to the transaction that puts the server
//     back: one good probe is enough, at most delay_loop later.
// The checker's timing bounds the first: the next probe comes within delay_loop, then retry further failed
// probes delay_before_retry apart, so failure -> removal lies in [retry x dbr, delay_loop + retry x dbr]
// plus the probes' own time.
//   node dist/bench/lb-failure.js [failures=30] [check=TCP|HTTP] [delay_loop=1] [retry=1] [delay_before_retry=1]
import { createInterface } from 'node:readline';
import { spawn } from 'node:child_process';
import { LbLab, REAL_SERVERS, VIP4 } from '../tests/helpers/lb-lab.js';
import { sleep, waitUntil } from '../tests/helpers/vrrp-lab.js';

const failures = Number(process.argv[2] ?? 30);
const check = (process.argv[3] ?? 'TCP').toUpperCase();
const delayLoop = Number(process.argv[4] ?? 1);
const retry = Number(process.argv[5] ?? 1);
const delayBeforeRetry = Number(process.argv[6] ?? 1);
const connectTimeout = 1;

const SERVICE = `tcp4_${VIP4}_80`;

function checkBlock(): string {
  const timing = `connect_timeout ${connectTimeout}\n      retry ${retry}\n      delay_before_retry ${delayBeforeRetry}`;
  return check === 'HTTP'
    ? `HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n      ${timing}\n    }`
    : `TCP_CHECK {\n      ${timing}\n    }`;
}

const virtualServers = `virtual_server ${VIP4} 80 {
  delay_loop ${delayLoop}
  lvs_sched rr
  lvs_method NAT
  protocol TCP
${REAL_SERVERS.map((s) => `  real_server ${s.v4} 80 {\n    ${checkBlock()}\n  }`).join('\n')}
}
`;

/** The service's slot addresses after each nf_tables transaction that touched them, as `nft monitor` reports it. */
class TableWatch {
  private readonly events: { at: number; addresses: Set<string> }[] = [];
  private wake: (() => void) | undefined;
  private readonly child;

  constructor(lab: LbLab) {
    this.child = spawn('ip', ['netns', 'exec', lab.balancerNs[0] as string, 'nft', 'monitor'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let touched = false;
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (process.env.KTS_BENCH_DEBUG) process.stderr.write(`nft: ${line}\n`);
      if (line.includes(` keepalived_ts ${SERVICE} `) || line.includes(` keepalived_ts ${SERVICE}.`))
        touched = true;
      if (line.startsWith('# new generation') && touched) {
        touched = false;
        const at = Date.now();
        this.events.push({ at, addresses: new Set(lab.slots(1, SERVICE).map((s) => s.address)) });
        this.wake?.();
      }
    });
  }

  /** When the first transaction after `since` left the slots satisfying `ok`. */
  async until(since: number, ok: (addresses: Set<string>) => boolean, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find((e) => e.at >= since && ok(e.addresses));
      if (hit) return hit.at;
      if (Date.now() > deadline) throw new Error(`no matching table change within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  }

  close(): void {
    this.child.kill();
  }
}

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const summary = (xs: number[]): string =>
  `p50 ${percentile(xs, 50)} ms, p90 ${percentile(xs, 90)} ms, p99 ${percentile(xs, 99)} ms, ` +
  `min ${Math.min(...xs)} ms, max ${Math.max(...xs)} ms`;

const lab = await LbLab.start('lbfail', { balancers: 1 });
try {
  const lb = lab.startBalancer({ index: 1, priority: 150, advertInt: 1, virtualServers });
  await lb.waitForState('VI_FRONT', 'MASTER', 20_000);
  await waitUntil(() => lab.slots(1, SERVICE).length === 3, 'every real server in the table', 20_000);
  const watch = new TableWatch(lab);
  // Past every checker's first probe (1 s + up to delay_loop after start): before it, keepalived's first
  // failure is final without retries.
  await sleep(Math.max(1000, lb.startedAt + 3500 + delayLoop * 1000 - Date.now()));
  const failed: number[] = [];
  const verdict: number[] = [];
  const back: number[] = [];
  for (let i = 0; i < failures; i++) {
    const victim = REAL_SERVERS[i % REAL_SERVERS.length] as (typeof REAL_SERVERS)[number];
    // A random phase against the checker's schedule.
    await sleep(Math.random() * delayLoop * 1000);
    const mark = lb.mark();
    const stoppedAt = Date.now();
    await lab.stopNginx(victim.name);
    const removedAt = await watch.until(stoppedAt, (a) => !a.has(victim.v4));
    const line = await lb.waitForLog(
      new RegExp(`Removing service \\[${victim.v4.replaceAll('.', '\\.')}\\]:tcp:80 from VS`),
      5000,
      mark,
    );
    failed.push(removedAt - stoppedAt);
    verdict.push(removedAt - line.at);
    await sleep(Math.random() * delayLoop * 1000);
    const startedAt = Date.now();
    lab.startNginx(victim.name);
    const returnedAt = await watch.until(startedAt, (a) => a.has(victim.v4));
    back.push(returnedAt - startedAt);
    process.stderr.write(
      `  ${i + 1}/${failures} ${victim.name}: removed after ${removedAt - stoppedAt} ms, back after ${returnedAt - startedAt} ms\n`,
    );
  }
  watch.close();
  const lowMs = retry * delayBeforeRetry * 1000;
  console.log(
    `${failures} failures of one of 3 real servers (nginx stopped), ${check === 'HTTP' ? 'HTTP_GET' : 'TCP_CHECK'}, ` +
      `delay_loop ${delayLoop}, retry ${retry}, delay_before_retry ${delayBeforeRetry}, connect_timeout ${connectTimeout}; ` +
      `full daemon, nftables data plane; times from nft monitor:`,
  );
  console.log(`  failure -> removed from the kernel's table: ${summary(failed)}`);
  console.log(`    (the checker's schedule alone: ${lowMs}-${lowMs + delayLoop * 1000} ms plus probe time)`);
  console.log(`  checker's verdict (log line) -> removed: ${summary(verdict)}`);
  console.log(`  server back -> in the table again: ${summary(back)}`);
  await lb.stop();
} finally {
  await lab.cleanup();
}
