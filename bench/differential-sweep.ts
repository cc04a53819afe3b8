// Differential sweep: every case of tests/helpers/differential-cases.ts (or those named on the command line)
// run with keepalived 2.2.7 on node a and with ours on node a, side by side; prints the discrepancies.
//   node dist/bench/differential-sweep.js [--peer ours] [--json out.json] [case-name...]
import { writeFileSync } from 'node:fs';
import { DIFF_CASES } from '../tests/helpers/differential-cases.js';
import { differential, formatDiscrepancies, type Discrepancy } from '../tests/helpers/differential.js';
import type { Implementation } from '../tests/helpers/vrrp-lab.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let peer: Implementation = 'keepalived';
  let json: string | undefined;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--peer') peer = args[++i] === 'ours' ? 'ours' : 'keepalived';
    else if (args[i] === '--json') json = args[++i];
    else names.push(args[i] as string);
  }
  const cases = names.length ? DIFF_CASES.filter((c) => names.includes(c.name)) : DIFF_CASES;
  const all: Record<string, { discrepancies: Discrepancy[]; runs: unknown }> = {};
  for (const c of cases) {
    const began = Date.now();
    const r = await differential(c, peer);
    console.log(formatDiscrepancies(c.name, r.discrepancies) + `  (${Date.now() - began} ms)`);
    all[c.name] = {
      discrepancies: r.discrepancies,
      runs: { keepalived: r.keepalived, ours: r.ours },
    };
    if (json) writeFileSync(json, JSON.stringify(all, null, 1));
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
