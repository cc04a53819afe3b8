// The fault matrix, repeated (issue #14; docs/reliability.md, Faults): every scenario of
// tests/helpers/fault-scenarios.ts run N times in labs of its own, plus the long ones the kernel tests keep
// short (a link flapping for 30 s, advert loss at 5 % for 60 s and 20 % for longer, 200 SIGTERMs). Prints
// each figure's worst case and median against its bound; exits 1 if any run broke its bound.
//   node dist/bench/faults.js [runs=5] [scenario,...]   (root; the kernel test tier's tools)
// Scenarios: crash cut flap flap30 partition dup delay ifdel ifren addr vip vrrpchild checkerchild
//   bfdchild parent reload tracker loss5 loss20 term200
import { withLab, type VrrpLab } from '../tests/helpers/vrrp-lab.js';
import type { FaultFigure } from '../tests/helpers/fault-lab.js';
import {
  addressChanged,
  advertLoss,
  childKilled,
  delayedAdverts,
  duplicatedAdverts,
  hostLoss,
  interfaceRecreated,
  interfaceRenamed,
  linkFlap,
  masterCrash,
  parentKilled,
  partition,
  reloads,
  termPriorityZero,
  trackerScripts,
  vipRemoved,
} from '../tests/helpers/fault-scenarios.js';

type Scenario = (lab: VrrpLab) => Promise<FaultFigure[]>;

/** name -> [scenario, times to run it (undefined: `runs`)]. */
const SCENARIOS: Record<string, [Scenario, number?]> = {
  crash: [(lab) => masterCrash(lab, 'ours')],
  cut: [(lab) => hostLoss(lab, 'ours')],
  flap: [(lab) => linkFlap(lab, 'ours', 4000)],
  flap30: [(lab) => linkFlap(lab, 'ours', 30_000), 1],
  partition: [(lab) => partition(lab, 'ours')],
  dup: [(lab) => duplicatedAdverts(lab, 'ours', 10_000)],
  delay: [(lab) => delayedAdverts(lab, 'ours', 20_000)],
  ifdel: [(lab) => interfaceRecreated(lab, 'ours')],
  ifren: [(lab) => interfaceRenamed(lab, 'ours')],
  addr: [(lab) => addressChanged(lab, 'ours')],
  vip: [(lab) => vipRemoved(lab, 'ours')],
  vrrpchild: [(lab) => childKilled(lab, 'vrrp')],
  checkerchild: [(lab) => childKilled(lab, 'checker')],
  bfdchild: [(lab) => childKilled(lab, 'bfd')],
  parent: [(lab) => parentKilled(lab)],
  reload: [(lab) => reloads(lab, 'ours')],
  tracker: [(lab) => trackerScripts(lab, 'ours'), 2],
  loss5: [(lab) => advertLoss(lab, 'ours', 5, 60), 1],
  loss20: [(lab) => advertLoss(lab, 'ours', 20, 300), 1],
  term200: [async (lab) => (await termPriorityZero(lab, 'ours', 200)).figures, 1],
};

const runs = Number(process.argv[2] ?? 5);
const chosen = process.argv[3]?.split(',') ?? Object.keys(SCENARIOS);

interface Row {
  figure: FaultFigure;
  values: number[];
  failures: string[];
}
const rows = new Map<string, Row>();

for (const name of chosen) {
  const entry = SCENARIOS[name];
  if (entry === undefined) throw new Error(`no scenario ${name}: ${Object.keys(SCENARIOS).join(' ')}`);
  const [scenario, times = runs] = entry;
  for (let i = 0; i < times; i++) {
    const started = Date.now();
    try {
      const figures = await withLab(`bf${name}`.slice(0, 10), scenario);
      for (const f of figures) {
        const key = `${f.fault} | ${f.what}`;
        const row = rows.get(key) ?? { figure: f, values: [], failures: [] };
        row.values.push(f.value);
        rows.set(key, row);
      }
      console.error(`${name} run ${i + 1}/${times}: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (e) {
      const message = (e as Error).message.split('\n')[0] as string;
      const key = `${name} | FAILED RUNS`;
      const row = rows.get(key) ?? {
        figure: { fault: name, what: 'FAILED RUNS', value: 0, bound: 0, unit: 'count' as const },
        values: [],
        failures: [],
      };
      row.failures.push(message);
      rows.set(key, row);
      console.error(`${name} run ${i + 1}/${times}: FAILED: ${(e as Error).message}`);
    }
  }
}

const fmt = (v: number, unit: string): string => (unit === 'ms' ? v.toFixed(0) : String(v));
console.log('| fault | measured | bound | worst | median | runs |');
console.log('| --- | --- | --- | --- | --- | --- |');
let broken = false;
for (const { figure, values, failures } of rows.values()) {
  if (failures.length > 0) {
    broken = true;
    console.log(`| ${figure.fault} | FAILED | | | | ${failures.length}: ${failures.join('; ')} |`);
    continue;
  }
  const sorted = [...values].sort((x, y) => x - y);
  const worst = sorted.at(-1) as number;
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  if (worst > figure.bound) broken = true;
  const unit = figure.unit;
  console.log(
    `| ${figure.fault} | ${figure.what} | ${fmt(figure.bound, unit)} ${unit} | ${fmt(worst, unit)} | ${fmt(median, unit)} | ${values.length} |`,
  );
}
process.exit(broken ? 1 : 0);
