// Simulator speed: simulated seconds per wall second with 1,000 routers and 255 VRIDs (one instance per
// router, about four routers per VRID), and a denser shape: 100 routers each in all 255 VRIDs (25,500
// instances, every advert heard by the 99 others).
import { performance } from 'node:perf_hooks';
import { Cluster, type RouterConfig } from '../src/sim/cluster.js';
import { instanceSpec, type InstanceSpec } from '../src/vrrp/engine/spec.js';

function routers(count: number, vridsPerRouter: (i: number) => number[]): RouterConfig[] {
  return Array.from({ length: count }, (_, i) => {
    const instances: InstanceSpec[] = vridsPerRouter(i).map((vrid) =>
      instanceSpec({
        name: `VI_${vrid}`,
        vrid,
        version: 3,
        advertIntervalCs: 100,
        priority: 1 + ((i * 7 + vrid) % 254),
        addresses: [{ address: `10.${vrid}.0.1`, prefix: 16 }],
      }),
    );
    return {
      name: `r${i}`,
      spec: { instances, syncGroups: [], scripts: [], trackFiles: [], trackProcesses: [] },
    };
  });
}

function measure(label: string, configs: RouterConfig[], simSeconds: number): void {
  const t0 = performance.now();
  const c = new Cluster(configs, { seed: 1 });
  c.startAll();
  const built = performance.now();
  c.run(simSeconds * 1000);
  const wall = (performance.now() - built) / 1000;
  const instances = configs.reduce((n, r) => n + r.spec.instances.length, 0);
  console.log(
    `${label}: ${instances} instances, ${simSeconds} simulated s in ${wall.toFixed(2)} s wall ` +
      `(setup ${((built - t0) / 1000).toFixed(2)} s) = ${(simSeconds / wall).toFixed(1)} simulated s per wall s, ` +
      `${c.transitions.length} transitions, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
  );
}

const all = Array.from({ length: 255 }, (_, v) => v + 1);
measure(
  '1,000 routers x 1 instance, 255 VRIDs',
  routers(1000, (i) => [(i % 255) + 1]),
  600,
);
measure(
  '1,000 routers x 255 VRIDs (all in all)',
  routers(1000, () => all),
  Number(process.argv[2] ?? 10),
);
