// keepalived 2.2.7's `-t` against ours on keepalived's own sample configs (Debian's package) and on
// tests/corpus/**/*.conf: per file, both exit codes and the lines each one flags, then the totals.
//   node dist/bench/config-verdicts.js [-v] [FILE ...]      (root: keepalived runs in a namespace)
// -v prints both outputs for every file that disagrees.
import { relative } from 'node:path';
import {
  compareConfigTest,
  copySamples,
  CORPUS_DIR,
  corpusFiles,
  only24,
  type VerdictComparison,
} from '../tests/helpers/config-verdicts.js';
import {
  closeConfigTestNamespace,
  keepalivedConfigTestSkipReason,
} from '../tests/helpers/keepalived-config-test.js';

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

interface Tally {
  files: number;
  sameStatus: number;
  sameLines: number;
  theirLines: number;
  ourLines: number;
  sharedLines: number;
}

const short = (file: string, line: string): string => line.slice(line.lastIndexOf('/') + 1).replace(file, '');

function printOne(name: string, c: VerdictComparison, verbose: boolean): void {
  const verdict = c.sameStatus && c.sameLines ? 'agree' : 'DISAGREE';
  const lines = (l: string[]): string => l.map((x) => short(name, x)).join(' ') || '-';
  console.log(
    `${verdict.padEnd(8)} ${name.padEnd(48)} exit ${c.theirs.status}/${c.ours.status}` +
      `  keepalived lines: ${lines(c.theirs.lines)}  ours: ${lines(c.ours.lines)}`,
  );
  if (verbose && verdict !== 'agree') {
    console.log(`  --- keepalived:\n${indent(c.theirs.output)}  --- ours:\n${indent(c.ours.output)}`);
  }
}

const indent = (s: string): string =>
  s
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `    ${l}\n`)
    .join('');

async function tallyOf(label: string, files: string[], base: string, verbose: boolean): Promise<Tally> {
  const t: Tally = { files: 0, sameStatus: 0, sameLines: 0, theirLines: 0, ourLines: 0, sharedLines: 0 };
  console.log(`# ${label}`);
  const runs = files.map((f) => compareConfigTest(f));
  for (const [i, run] of runs.entries()) {
    const c = await run;
    const name = relative(base, files[i] ?? '');
    printOne(name, c, verbose);
    t.files++;
    if (c.sameStatus) t.sameStatus++;
    if (c.sameLines) t.sameLines++;
    t.theirLines += c.theirs.lines.length;
    t.ourLines += c.ours.lines.length;
    t.sharedLines += c.theirs.lines.filter((l) => c.ours.lines.includes(l)).length;
  }
  console.log(
    `${label}: ${t.files} files, exit code agrees on ${t.sameStatus}, flagged lines agree on ${t.sameLines}; ` +
      `keepalived flags ${t.theirLines} lines, ours ${t.ourLines}, both ${t.sharedLines}\n`,
  );
  return t;
}

async function main(): Promise<void> {
  const skip = keepalivedConfigTestSkipReason();
  if (skip) throw new Error(`cannot run keepalived's config test: ${skip}`);
  const args = process.argv.slice(2);
  const verbose = args.includes('-v');
  const chosen = args.filter((a) => a !== '-v');
  try {
    if (chosen.length > 0) {
      await tallyOf('chosen files', chosen, process.cwd(), verbose);
      return;
    }
    const samples = copySamples();
    const sampleBase = samples[0] ? samples[0].slice(0, samples[0].lastIndexOf('/')) : '';
    await tallyOf('keepalived samples', samples, sampleBase, verbose);
    const corpus = corpusFiles();
    await tallyOf(
      'corpus (keepalived 2.2.7 keywords)',
      corpus.filter((f) => !only24(f)),
      CORPUS_DIR,
      verbose,
    );
    await tallyOf(
      'corpus (keepalived-2.4-only: 2.2.7 does not know some keywords)',
      corpus.filter(only24),
      CORPUS_DIR,
      verbose,
    );
  } finally {
    closeConfigTestNamespace();
  }
}

await main();
