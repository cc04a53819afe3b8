// The longer fuzz run: `npm run fuzz -- --minutes N [--target NAME] [--seed S] [--no-save]`. The time is
// shared between the targets; inputs that add coverage go to tests/fuzz/corpus/<target>/ (kept in the
// repository, and replayed by the unit tier), findings to tests/fuzz/findings/<target>/ (not kept: each
// becomes a regression test once fixed). Exits 1 when anything was found.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzz, inputId, startCoverage } from './engine.js';

startCoverage();
const { corpusDir, readCorpus, TARGETS, targetNamed } = await import('./targets.js');

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const minutes = Number(option('minutes') ?? '1');
const only = option('target');
const seed = Number(option('seed') ?? Date.now() % 0xffffffff);
const save = !process.argv.includes('--no-save');
const targets = only !== undefined ? only.split(',').map(targetNamed) : [...TARGETS];
const perTargetMs = (minutes * 60_000) / targets.length;
let found = 0;

console.log(`# fuzzing ${targets.map((t) => t.name).join(', ')} for ${minutes} min, seed ${seed}`);
for (const target of targets) {
  const kept = readCorpus(target.name);
  const stats = fuzz(target, [...target.seeds(), ...kept], { durationMs: perTargetMs, seed });
  if (save) {
    mkdirSync(corpusDir(target.name), { recursive: true });
    for (const input of stats.newEntries) writeFileSync(join(corpusDir(target.name), inputId(input)), input);
  }
  for (const f of stats.findings) {
    found++;
    const dir = join(corpusDir(target.name), '..', '..', 'findings', target.name);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${f.kind}-${inputId(f.input)}`);
    writeFileSync(file, f.input);
    console.log(`## ${target.name}: ${f.kind} (${file})\n${f.message.split('\n').slice(0, 6).join('\n')}`);
  }
  console.log(
    `${target.name}: ${stats.executions} executions in ${(stats.elapsedMs / 1000).toFixed(0)} s ` +
      `(${Math.round(stats.executions / (stats.elapsedMs / 1000))}/s), corpus ${stats.corpusSize} ` +
      `(+${stats.newEntries.length} new, ${kept.length} kept before), ${stats.features} coverage features, ` +
      `${stats.findings.length} findings`,
  );
}
process.exit(found > 0 ? 1 : 0);
