// Replays one random scenario by seed and prints its routers, events, timeline and violations:
//   node dist/tests/sim/replay.js SEED
import { runScenario } from './run-scenario.js';

const seed = Number(process.argv[2]);
if (!Number.isInteger(seed)) {
  console.error('usage: node dist/tests/sim/replay.js SEED');
  process.exit(2);
}
const { scenario, cluster, violations } = runScenario(seed);
for (const r of scenario.routers) {
  const desc = r.spec.instances
    .map(
      (i) =>
        `${i.name} vrid ${i.vrid} v${i.version} prio ${i.priority} ${i.initialState}${i.preempt ? '' : ' nopreempt'}${i.preemptDelayMs ? ` preempt_delay ${i.preemptDelayMs / 1000}` : ''} int ${i.advertIntervalCs}cs`,
    )
    .join('; ');
  console.log(`router ${r.name} (drift ${(r.clockDrift ?? 0).toExponential(1)}): ${desc}`);
}
for (const e of scenario.events) console.log(`event ${(e.t / 1000).toFixed(3)}s ${JSON.stringify(e.event)}`);
for (const t of cluster.transitions)
  console.log(`${(t.t / 1000).toFixed(3)}s ${t.node} ${t.instance} ${t.from} -> ${t.to}`);
console.log(violations.length === 0 ? 'no violations' : violations.join('\n'));
process.exit(violations.length === 0 ? 0 : 1);
