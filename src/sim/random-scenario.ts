// Random clusters and event scripts drawn from one seed: the property tests run thousands of these, and
// a failing seed is replayed by `node dist/tests/sim/replay.js SEED` with exactly the same run.
import type { IpFamily } from '../vrrp/advert.js';
import { instanceSpec, type EngineSpec, type InstanceSpec } from '../vrrp/engine/spec.js';
import type { RouterConfig } from './cluster.js';
import { Random } from './random.js';
import type { TimedEvent } from './scenario.js';

export interface RandomScenario {
  seed: number;
  routers: RouterConfig[];
  events: TimedEvent[];
  durationMs: number;
  loss: number;
}

export function randomScenario(seed: number): RandomScenario {
  const rnd = new Random(seed);
  const routerCount = rnd.int(2, 4);
  const vrids = rnd.int(1, 2);
  const family: IpFamily = rnd.chance(0.3) ? 6 : 4;
  const version = family === 6 || rnd.chance(0.5) ? 3 : 2;
  const advertIntervalCs = version === 3 ? ([10, 50, 100][rnd.int(0, 2)] ?? 100) : 100;
  const names = Array.from({ length: routerCount }, (_, i) => String.fromCharCode(97 + i));
  const routers: RouterConfig[] = names.map((name, i) => {
    const instances: InstanceSpec[] = [];
    for (let v = 1; v <= vrids; v++) {
      const owner = i === 0 && rnd.chance(0.1);
      instances.push(
        instanceSpec({
          name: `VI_${v}`,
          vrid: v,
          interface: 'eth0',
          family,
          version,
          advertIntervalCs,
          // Distinct priorities most of the time; equal ones exercise the address tie-break.
          priority: owner ? 255 : rnd.chance(0.2) ? 100 : rnd.int(1, 254),
          initialState: rnd.chance(0.5) ? 'MASTER' : 'BACKUP',
          preempt: !rnd.chance(0.2),
          preemptDelayMs: rnd.chance(0.2) ? rnd.int(1, 5) * 1000 : 0,
          addresses: [
            {
              address: family === 4 ? `192.0.2.${v}` : `2001:db8::${v}`,
              prefix: family === 4 ? 24 : 64,
            },
          ],
        }),
      );
    }
    // nopreempt needs initial state BACKUP, as keepalived insists.
    for (const inst of instances) if (!inst.preempt) inst.initialState = 'BACKUP';
    const spec: EngineSpec = { instances, syncGroups: [], scripts: [], trackFiles: [], trackProcesses: [] };
    return { name, spec, clockDrift: rnd.spread(2e-4) };
  });
  const durationMs = 120_000;
  const events: TimedEvent[] = [];
  const count = rnd.int(0, 6);
  for (let k = 0; k < count; k++) {
    const t = rnd.int(5, 80) * 1000;
    const node = names[rnd.int(0, names.length - 1)] as string;
    const pick = rnd.int(0, 5);
    if (pick === 0)
      events.push(
        { t, event: { type: 'crash', node } },
        { t: t + rnd.int(1, 20) * 1000, event: { type: 'start', node } },
      );
    else if (pick === 1)
      events.push(
        { t, event: { type: 'down', node } },
        { t: t + rnd.int(1, 20) * 1000, event: { type: 'up', node } },
      );
    else if (pick === 2)
      events.push(
        { t, event: { type: 'stop', node } },
        { t: t + rnd.int(1, 20) * 1000, event: { type: 'start', node } },
      );
    else if (pick === 3) {
      const cut = names.filter(() => rnd.chance(0.5));
      events.push(
        { t, event: { type: 'partition', groups: [cut] } },
        { t: t + rnd.int(1, 20) * 1000, event: { type: 'heal' } },
      );
    } else if (pick === 4) {
      events.push({ t, event: { type: 'network', conditions: { duplicate: 0.05 } } });
    } else {
      events.push({ t, event: { type: 'network', conditions: { jitterMs: rnd.int(0, 30) } } });
    }
  }
  return { seed, routers, events, durationMs, loss: 0 };
}
