// Runs one random scenario and collects invariant violations; shared by the property test and replay.
import { Cluster } from '../../src/sim/cluster.js';
import { InvariantChecker } from '../../src/sim/invariants.js';
import { randomScenario, type RandomScenario } from '../../src/sim/random-scenario.js';

export function runScenario(seed: number): {
  scenario: RandomScenario;
  cluster: Cluster;
  violations: string[];
} {
  const scenario = randomScenario(seed);
  const cluster = new Cluster(scenario.routers, { seed, network: { loss: scenario.loss } });
  for (const e of scenario.events) cluster.schedule(e.t, e.event);
  cluster.startAll();
  const violations: string[] = [];
  const invariants = new InvariantChecker(cluster);
  cluster.run(scenario.durationMs, () => {
    if (violations.length < 10) violations.push(...invariants.check());
  });
  return { scenario, cluster, violations };
}
