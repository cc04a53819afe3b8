// The fixture oracle over the VRRP replay fixtures: each one run against Debian's keepalived 2.2.7
// (tests/helpers/fixture-oracle.ts), a verdict line per fixture, and with --write the evidence kept beside
// it (tests/fixtures/vrrp/NAME.keepalived.json).
//   node dist/bench/fixture-oracle.js [--write] [--retries N] [NAME ...]     (root; names without .jsonl)
// A run whose driven events left more than 5 ms off their planned time (a busy machine) is run again, up
// to --retries times (default 2); the evidence records how many attempts it took.
import { readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runFixtureOracle, type Evidence } from '../tests/helpers/fixture-oracle.js';
import { FIXTURE_DIR } from '../tests/helpers/vrrp-fixture.js';
import { keepalivedSkipReason } from '../tests/helpers/vrrp-lab.js';

/** Events whose time the oracle sets (not keepalived's reload latency) must be this close to the plan. */
const DRIVER_SLACK_MS = 5;

function driverLate(e: Evidence): string | undefined {
  const late = e.timeBase.eventOffsetsMs.filter(
    (o) => o.ms !== null && !o.what.startsWith('reload') && o.t !== 0 && Math.abs(o.ms) > DRIVER_SLACK_MS,
  );
  return late.length ? late.map((o) => `${o.what} at t=${o.t}: ${o.ms} ms`).join('; ') : undefined;
}

// Ctrl-C or a kill: exit through process.exit so the labs' exit hooks kill keepalived and delete namespaces
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

async function main(): Promise<void> {
  const skip = keepalivedSkipReason();
  if (skip) throw new Error(`cannot run the oracle: ${skip}`);
  const args = process.argv.slice(2);
  let write = false;
  let retries = 2;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--write') write = true;
    else if (args[i] === '--retries') retries = Number(args[++i]);
    else names.push((args[i] as string).replace(/\.jsonl$/, ''));
  }
  const files = readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.jsonl'))
    .filter((f) => !names.length || names.includes(f.replace(/\.jsonl$/, '')))
    .sort();
  const began = Date.now();
  const lines: string[] = [];
  for (const file of files) {
    let evidence: Evidence | undefined;
    let attempts = 0;
    let late: string | undefined;
    for (; attempts <= retries;) {
      attempts++;
      evidence = await runFixtureOracle(file, { log: (l) => console.log(l) });
      late = driverLate(evidence);
      if (!late) break;
      console.log(`  ${file}: driver late (${late}); ${attempts <= retries ? 'again' : 'kept'}`);
    }
    if (!evidence) continue;
    const record = { ...evidence, attempts, ...(late ? { driverLate: late } : {}) };
    const s = evidence.summary;
    const line =
      `${file}: ${evidence.verdict.toUpperCase()} (agree ${s.agree}, differ ${s.differ}, not observable ` +
      `${s['not-observable']}, not reproducible ${s['not-reproducible']}, inconclusive ${s.inconclusive}; ` +
      `${evidence.runMs} ms${attempts > 1 ? `, ${attempts} attempts` : ''})`;
    lines.push(line);
    console.log(line);
    for (const d of evidence.differences)
      console.log(
        `    record ${d.record} t=${d.t}: ${d.what}\n      expected ${JSON.stringify(d.expected)}\n      observed ${JSON.stringify(d.observed)}${d.note ? `\n      (${d.note})` : ''}`,
      );
    if (write) {
      const path = fileURLToPath(new URL(file.replace(/\.jsonl$/, '.keepalived.json'), FIXTURE_DIR));
      writeFileSync(path, JSON.stringify(record, null, 1) + '\n');
    }
  }
  console.log(
    `\n${lines.join('\n')}\n${files.length} fixtures in ${Math.round((Date.now() - began) / 1000)} s`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
