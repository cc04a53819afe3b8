// Requests per second through the VIP (our full daemon on the balancer, nftables data plane, NAT) vs
// straight to a real server, in the namespaces of tests/helpers/lb-lab.ts: client -> router -> balancer ->
// nginx. Both paths take the same hops (the router routes the back LAN through the balancer, which
// forwards it) and the same conntrack; only the VIP path goes through our table and its DNAT. A third path,
// one hand-written `dnat to` rule in a table of its own, is the floor any NAT pays. Measured with
// wrk (Debian package wrk) when it is installed, else with the lab's node client (a new connection per
// request only); each way is run in two modes:
//   keep-alive   wrk's default: 64 connections, many requests each (the plane acts on the first packet only)
//   new conn     `Connection: close`: every request a new TCP connection, i.e. a new flow the plane schedules
// Rounds alternate between the paths; medians are printed.
//   node dist/bench/lb-rps.js [seconds=5] [rounds=3] [connections=64]
import { spawnSync } from 'node:child_process';
import { netnsExec, netnsRun, setSysctl } from '../tests/helpers/netns.js';
import { LbLab, REAL_SERVERS, VIP4 } from '../tests/helpers/lb-lab.js';
import { waitUntil } from '../tests/helpers/vrrp-lab.js';

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
const connections = Number(process.argv[4] ?? 64);
/** wrk when installed (the Debian package), else the lab's node client. */
const useWrk = spawnSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' }).status === 0;

const rs1 = REAL_SERVERS[0] as (typeof REAL_SERVERS)[number];
const check = 'TCP_CHECK {\n      connect_timeout 1\n    }';
const virtualServers = [
  `virtual_server ${VIP4} 80 {\n  delay_loop 1\n  lvs_sched rr\n  lvs_method NAT\n  protocol TCP\n` +
    REAL_SERVERS.map((s) => `  real_server ${s.v4} 80 {\n    ${check}\n  }\n`).join('') +
    '}\n',
  `virtual_server ${VIP4} 81 {\n  delay_loop 1\n  lvs_sched rr\n  lvs_method NAT\n  protocol TCP\n` +
    `  real_server ${rs1.v4} 80 {\n    ${check}\n  }\n}\n`,
].join('\n');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

interface Result {
  rps: number;
  p50Ms?: number;
  p99Ms?: number;
  errors: string;
}

/** wrk's figures: Requests/sec, the 50 % and 99 % latency, and any error line. */
function parseWrk(out: string): Result {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const latency = (p: string): number | undefined => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) return undefined;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const errors = [/Socket errors:.*/.exec(out)?.[0], /Non-2xx.*/.exec(out)?.[0]].filter(Boolean).join('; ');
  return { rps, p50Ms: latency('50'), p99Ms: latency('99'), errors };
}

const lab = await LbLab.start('lbrps', { balancers: 1 });
try {
  const lbNs = lab.balancerNs[0] as string;
  // Hundreds of thousands of short connections: do not let conntrack's TIME_WAIT entries pile up.
  setSysctl(lbNs, 'net.netfilter.nf_conntrack_tcp_timeout_time_wait', 1);
  setSysctl(lab.clientNs, 'net.ipv4.ip_local_port_range', '1024 65000');
  setSysctl(lab.clientNs, 'net.ipv4.tcp_tw_reuse', 1);
  const lb = lab.startBalancer({ index: 1, priority: 150, advertInt: 1, virtualServers });
  await lb.waitForState('VI_FRONT', 'MASTER', 20_000);
  await waitUntil(() => lab.slots(1, `tcp4_${VIP4}_80`).length === 3, 'the VIP service in the table', 20_000);
  await waitUntil(() => lab.slots(1, `tcp4_${VIP4}_81`).length === 1, 'the :81 service in the table', 20_000);

  // The floor of any NAT: one hand-written DNAT rule in a table of its own, beside ours.
  netnsRun(lbNs, ['nft', '-f', '-'], {
    input:
      'table ip kts_bench_baseline {\n  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n' +
      `    ip daddr ${VIP4} tcp dport 82 dnat to ${rs1.v4}:80\n  }\n}\n`,
  });
  const paths = [
    { name: `straight to ${rs1.name} (${rs1.v4}:80), routed by the balancer`, host: rs1.v4, port: 80 },
    { name: `one hand-written nft DNAT rule to ${rs1.name} (${VIP4}:82)`, host: VIP4, port: 82 },
    { name: `through the VIP, NAT to ${rs1.name} alone (${VIP4}:81)`, host: VIP4, port: 81 },
    { name: `through the VIP, NAT rr over 3 servers (${VIP4}:80)`, host: VIP4, port: 80 },
  ];
  const modes = useWrk ? (['keep-alive', 'new conn'] as const) : (['new conn'] as const);
  const results = new Map<string, Result[]>();
  const run = async (mode: string, host: string, port: number): Promise<Result> => {
    if (!useWrk) {
      const rps = await lab.client.request<number>(
        { op: 'rps', host, port, seconds, concurrency: connections },
        (seconds + 30) * 1000,
      );
      return { rps, errors: '' };
    }
    const argv = ['wrk', '-t2', `-c${connections}`, `-d${seconds}s`, '--latency'];
    if (mode === 'new conn') argv.push('-H', 'Connection: close');
    argv.push(`http://${host}:${port}/`);
    const r = netnsExec(lab.clientNs, argv, { timeoutMs: (seconds + 30) * 1000 });
    if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr || r.stdout}`);
    return parseWrk(r.stdout);
  };
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes) {
      for (const p of paths) {
        const r = await run(mode, p.host, p.port);
        const key = `${mode}|${p.name}`;
        results.set(key, [...(results.get(key) ?? []), r]);
        process.stderr.write(
          `  round ${round + 1} ${mode} ${p.name}: ${r.rps.toFixed(0)} req/s ${r.errors}\n`,
        );
      }
    }
  }
  console.log(
    `${useWrk ? 'wrk -t2' : 'node client (lb-client.agent rps)'}, ${connections} connections, ` +
      `${rounds} rounds of ${seconds} s alternating paths (median; every round in brackets):`,
  );
  for (const mode of modes) {
    console.log(
      `  ${mode === 'keep-alive' ? 'keep-alive connections' : 'a new TCP connection per request'}:`,
    );
    for (const p of paths) {
      const rs = results.get(`${mode}|${p.name}`) ?? [];
      const lat =
        rs[0]?.p50Ms !== undefined
          ? `, latency p50 ${median(rs.map((r) => r.p50Ms as number)).toFixed(2)} ms p99 ${median(rs.map((r) => r.p99Ms as number)).toFixed(2)} ms`
          : '';
      const errors = rs.map((r) => r.errors).filter(Boolean);
      console.log(
        `    ${p.name}: ${median(rs.map((r) => r.rps)).toFixed(0)} req/s${lat}  ` +
          `[${rs.map((r) => r.rps.toFixed(0)).join(', ')}]${errors.length ? `  errors: ${errors.join(' | ')}` : ''}`,
      );
    }
  }
  await lb.stop();
} finally {
  await lab.cleanup();
}
