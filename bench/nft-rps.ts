// Requests per second through the nftables data plane vs straight to a real server, in the namespaces of
// tests/netns/nft-lab.ts (client → load balancer → three real servers; the balancer routes both ways).
// A request is a new TCP connection that reads the server's one-line answer and closes: every request
// is a new flow, which is where the plane acts (NAT: the first packet of each connection; DR: every packet).
// Rounds alternate between the paths; medians are printed.
//   node dist/bench/nft-rps.js [seconds=3] [rounds=3] [concurrency=32]
import {
  DR_PORT,
  destination,
  NAT_PORT,
  SERVERS,
  service,
  startNftLab,
  tableChanges,
  tcp,
  VIP4,
} from '../tests/netns/nft-lab.js';
import type { LbTable, Service } from '../src/lb/table/types.js';

const seconds = Number(process.argv[2] ?? 3);
const rounds = Number(process.argv[3] ?? 3);
const concurrency = Number(process.argv[4] ?? 32);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const rs1 = SERVERS[0] as (typeof SERVERS)[number];
const lab = await startNftLab('nftrps');
try {
  const plane = lab.startPlane();
  let current: LbTable = { services: [] };
  const set = async (...services: Service[]): Promise<void> => {
    const next = { services };
    await plane.request({ op: 'apply', changes: tableChanges(current, next), next });
    current = next;
  };
  // Our table with 1,000 other services loaded, so the dispatch maps are not trivially small.
  const filler = Array.from({ length: 1000 }, (_, i) =>
    service(tcp(`10.${60 + (i >> 8)}.${i & 0xff}.1`, 80), [
      destination(`10.${70 + (i >> 8)}.${i & 0xff}.1`, 8080),
    ]),
  );
  await set(
    ...filler,
    service(
      tcp(VIP4, 80),
      SERVERS.map((s) => destination(s.v4, NAT_PORT)),
    ),
    service(tcp(VIP4, 82), [destination(rs1.v4, NAT_PORT)]),
    service(tcp(VIP4, NAT_PORT), [destination(rs1.v4, NAT_PORT, { method: 'DR' })]),
    service(
      tcp(VIP4, DR_PORT),
      SERVERS.map((s) => destination(s.v4, DR_PORT, { method: 'DR' })),
    ),
  );
  const paths = [
    {
      name: `straight to ${rs1.name} (${rs1.v4}:${NAT_PORT}), routed by the balancer`,
      host: rs1.v4,
      port: NAT_PORT,
    },
    { name: `through the VIP, NAT to ${rs1.name} alone (${VIP4}:82)`, host: VIP4, port: 82 },
    { name: `through the VIP, DR to ${rs1.name} alone (${VIP4}:${NAT_PORT})`, host: VIP4, port: NAT_PORT },
    { name: `through the VIP, NAT rr over 3 servers (${VIP4}:80)`, host: VIP4, port: 80 },
    { name: `through the VIP, DR rr over 3 servers (${VIP4}:${DR_PORT})`, host: VIP4, port: DR_PORT },
  ];
  const results = paths.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, p] of paths.entries()) {
      const rps = await lab.client.request<number>(
        { op: 'rps', host: p.host, port: p.port, seconds, concurrency },
        (seconds + 30) * 1000,
      );
      results[i]?.push(rps);
    }
  }
  console.log(
    `new TCP connection per request, ${concurrency} in flight, ${rounds} rounds of ${seconds} s (median, all rounds):`,
  );
  for (const [i, p] of paths.entries()) {
    const xs = results[i] as number[];
    console.log(`  ${p.name}: ${median(xs).toFixed(0)} req/s  [${xs.map((x) => x.toFixed(0)).join(', ')}]`);
  }
  await plane.request({ op: 'close' });
} finally {
  lab.lab.cleanup();
}
