// Apply times of the nftables data plane, in a fresh network namespace:
//   - the first load of S virtual servers x D real servers (one transaction);
//   - one real server's change in that table (remove it, then add it back; each its own transaction), as p50
//     / p99 over N changes, for rr (element changes + the service's one rule) and sh (element changes only);
//   - one real server's weight change (wrr);
//   - the same first load and removal / return for rr with persistence (NAT) and for rr over DR, whose
//     rules keep a chain and sets per real server.
// Times are wall-clock around apply() (planning, encoding, the kernel's commit and our wait for its ack),
// with the kernel's share (sendmsg to acknowledgement) beside it.
//   node dist/bench/nft-apply.js [services=1000] [destinations=10] [changes=200]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NftablesPlane } from '../src/lb/nftables/plane.js';
import type { Destination, LbChange, LbTable, Service } from '../src/lb/table/types.js';
import { NetnsLab } from '../tests/helpers/netns.js';
import { refuseOutsideSuiteNamespace } from '../tests/helpers/namespace-guard.js';

const services = Number(process.argv[2] ?? 1000);
const destinations = Number(process.argv[3] ?? 10);
const changes = Number(process.argv[4] ?? 200);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface Variant {
  label: string;
  scheduler: Service['scheduler'];
  persistence?: boolean;
  dr?: boolean;
}

function table(v: Variant): LbTable {
  const out: Service[] = [];
  for (let s = 0; s < services; s++) {
    const dests: Destination[] = [];
    for (let d = 0; d < destinations; d++) {
      dests.push({
        family: 'inet',
        address: `10.${100 + (s >> 8)}.${s & 0xff}.${d + 1}`,
        port: 8080,
        method: v.dr ? 'DR' : 'NAT',
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
      });
    }
    out.push({
      key: {
        kind: 'address',
        family: 'inet',
        protocol: 'TCP',
        address: `10.${50 + (s >> 8)}.${s & 0xff}.1`,
        port: 80,
      },
      scheduler: v.scheduler,
      schedFlags: [],
      onePacket: false,
      destinations: dests,
      ...(v.persistence ? { persistence: { timeoutS: 300, granularity: '255.255.255.0' } } : {}),
    });
  }
  return { services: out };
}

function loadChanges(t: LbTable): LbChange[] {
  return t.services.flatMap((s): LbChange[] => {
    const { destinations: ds, ...attributes } = s;
    return [
      { op: 'add-service', service: attributes },
      ...ds.map((d): LbChange => ({ op: 'add-destination', service: s.key, destination: d })),
    ];
  });
}

function withDestinations(t: LbTable, index: number, ds: readonly Destination[]): LbTable {
  const services = [...t.services];
  services[index] = { ...(services[index] as Service), destinations: ds };
  return { services };
}

const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

async function measure(v: Variant): Promise<void> {
  // DR servers are reached through the bench's one interface (10.96.0.0/11 covers their addresses).
  const plane = NftablesPlane.open(v.dr ? { drIngressDevices: ['eth0'] } : {});
  try {
    let current = table(v);
    const t0 = performance.now();
    await plane.apply(loadChanges(current), current);
    const load = performance.now() - t0;
    const first = plane.lastApply;
    console.log(
      `${v.label}: first load of ${services} x ${destinations}: ${fmt(load)} ` +
        `(plan+encode ${fmt(first?.planMs ?? 0)}, kernel ${fmt(first?.commitMs ?? 0)}; ` +
        `${first?.operations} operations, ${first?.messages} messages)`,
    );
    const wall: number[] = [];
    const kernel: number[] = [];
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < changes; i++) {
      const s = random(services);
      const service = current.services[s] as Service;
      const d = random(destinations);
      const victim = service.destinations[d] as Destination;
      let change: LbChange;
      let next: LbTable;
      if (v.scheduler === 'wrr') {
        const edited = { ...victim, weight: victim.weight === 1 ? 5 : 1 };
        change = { op: 'edit-destination', service: service.key, destination: edited };
        next = withDestinations(
          current,
          s,
          service.destinations.map((x, k) => (k === d ? edited : x)),
        );
      } else {
        // Remove the server, then (next iteration of the pair) put it back.
        change = { op: 'delete-destination', service: service.key, destination: victim };
        next = withDestinations(
          current,
          s,
          service.destinations.filter((_, k) => k !== d),
        );
      }
      const started = performance.now();
      await plane.apply([change], next);
      wall.push(performance.now() - started);
      kernel.push(plane.lastApply?.commitMs ?? 0);
      if (v.scheduler !== 'wrr') {
        const back = withDestinations(next, s, service.destinations);
        const again = performance.now();
        await plane.apply([{ op: 'add-destination', service: service.key, destination: victim }], back);
        wall.push(performance.now() - again);
        kernel.push(plane.lastApply?.commitMs ?? 0);
        current = back;
      } else {
        current = next;
      }
    }
    wall.sort((a, b) => a - b);
    kernel.sort((a, b) => a - b);
    console.log(
      `${v.label}: one real server's ${v.scheduler === 'wrr' ? 'weight change' : 'removal or return'} (${wall.length} transactions): ` +
        `p50 ${fmt(percentile(wall, 50))}, p99 ${fmt(percentile(wall, 99))}, max ${fmt(wall.at(-1) ?? 0)}; ` +
        `kernel p50 ${fmt(percentile(kernel, 50))}, p99 ${fmt(percentile(kernel, 99))}`,
    );
    const t1 = performance.now();
    await plane.flush();
    console.log(`${v.label}: removing the table: ${fmt(performance.now() - t1)}`);
  } finally {
    plane.close();
  }
}

if (process.env.KTS_NFT_BENCH_INNER === '1') {
  refuseOutsideSuiteNamespace('nft-apply.js');
  const variants: Variant[] = [
    { label: 'rr', scheduler: 'rr' },
    { label: 'sh', scheduler: 'sh' },
    { label: 'wrr', scheduler: 'wrr' },
    { label: 'rr+persistence', scheduler: 'rr', persistence: true },
    { label: 'rr DR', scheduler: 'rr', dr: true },
    { label: 'sh+persistence', scheduler: 'sh', persistence: true },
    { label: 'sh DR', scheduler: 'sh', dr: true },
  ];
  const only = process.env.KTS_NFT_BENCH_ONLY;
  for (const v of variants) if (!only || v.label === only) await measure(v);
} else {
  const lab = new NetnsLab('nftb');
  try {
    const [lb] = lab.lan(['lb', 'peer']);
    if (!lb) throw new Error('no lb namespace');
    lab.addAddress(lb, '10.96.0.1/11');
    const ns = lb.ns;
    const r = spawnSync(
      'ip',
      ['netns', 'exec', ns, process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
      {
        stdio: 'inherit',
        env: { ...process.env, KTS_NFT_BENCH_INNER: '1' },
      },
    );
    if (r.status !== 0) process.exitCode = r.status ?? 1;
  } finally {
    lab.cleanup();
  }
}
