// keepalived 2.2.7's `-t` against ours on keepalived's own sample configs (Debian's package) and on
// tests/corpus/**/*.conf: per file, both exit codes and the lines each one flags, then the totals.
//   node dist/bench/config-verdicts.js [-v] [FILE ...]      (root: keepalived runs in a namespace)
//   node dist/bench/config-verdicts.js [-v] --dir DIR        (every *.conf under DIR, e.g. real-world ones)
//   node dist/bench/config-verdicts.js [-v] --mutants N [--seed S]   (N one-edit mutants of the corpus)
// -v prints both outputs for every file that disagrees. --with-interfaces first creates, in the namespace,
// every interface the files name (interface, dev, track_interface...): real-world configs name their
// hosts' interfaces, and both sides stopping at a missing ens192 would hide every other difference.
import { readFileSync } from 'node:fs';
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
  addConfigTestInterfaces,
  closeConfigTestNamespace,
  keepalivedConfigTestSkipReason,
} from '../tests/helpers/keepalived-config-test.js';
import { writeMutants } from './config-mutants.js';

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

interface Tally {
  files: number;
  sameStatus: number;
  sameLines: number;
  theirLines: number;
  ourLines: number;
  sharedLines: number;
  /** Files where both the exit code and the flagged lines agree. */
  bothSame: number;
}

const PARALLEL = 3;

const percent = (n: number, of: number): string => `${of === 0 ? 0 : ((100 * n) / of).toFixed(1)}%`;

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
  const t: Tally = {
    files: 0,
    sameStatus: 0,
    sameLines: 0,
    theirLines: 0,
    ourLines: 0,
    sharedLines: 0,
    bothSame: 0,
  };
  console.log(`# ${label}`);
  // A few at a time: hundreds of node and keepalived processes at once would swamp the machine.
  const runs: Promise<VerdictComparison>[] = [];
  const startUpTo = (n: number): void => {
    while (runs.length < Math.min(n, files.length)) runs.push(compareConfigTest(files[runs.length] ?? ''));
  };
  startUpTo(PARALLEL);
  for (let i = 0; i < files.length; i++) {
    const c = await (runs[i] as Promise<VerdictComparison>);
    startUpTo(i + 1 + PARALLEL);
    const name = relative(base, files[i] ?? '');
    printOne(name, c, verbose);
    t.files++;
    if (c.sameStatus) t.sameStatus++;
    if (c.sameLines) t.sameLines++;
    if (c.sameStatus && c.sameLines) t.bothSame++;
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

/** Interface names a config's lines give: after interface / dev / lvs_sync_daemon[_interface], and the
 * first word of each line of a track_interface block. A rough scan: a wrong guess only adds an interface. */
function interfacesNamed(file: string): string[] {
  const names: string[] = [];
  let inTrack = false;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/[#!].*/, '').trim();
    if (inTrack) {
      if (line.startsWith('}')) inTrack = false;
      else if (line !== '') names.push(line.split(/\s+/)[0] ?? '');
      continue;
    }
    if (/^track_interface\b.*\{/.test(line)) inTrack = true;
    for (const m of line.matchAll(/\b(?:interface|dev|lvs_sync_daemon(?:_interface)?)\s+(\S+)/g))
      names.push(m[1] ?? '');
  }
  return names;
}

async function main(): Promise<void> {
  const skip = keepalivedConfigTestSkipReason();
  if (skip) throw new Error(`cannot run keepalived's config test: ${skip}`);
  const args = process.argv.slice(2);
  const verbose = args.includes('-v');
  const withInterfaces = args.includes('--with-interfaces');
  const valueOf = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const dir = valueOf('--dir');
  const mutants = valueOf('--mutants');
  const seed = Number(valueOf('--seed') ?? '1');
  const chosen = args.filter(
    (a, i) => !a.startsWith('-') && !['--dir', '--mutants', '--seed'].includes(args[i - 1] ?? ''),
  );
  const addInterfaces = (files: string[]): void => {
    if (!withInterfaces) return;
    const added = addConfigTestInterfaces(files.flatMap(interfacesNamed));
    console.log(`# interfaces added to the namespace: ${added.join(' ') || '-'}`);
  };
  try {
    if (mutants !== undefined) {
      // What keepalived 2.2.7 reads: its keywords, no includes, not the files made to provoke diagnostics.
      const sources = corpusFiles().filter((f) => {
        const text = readFileSync(f, 'utf8');
        return (
          !only24(f) && !/^\s*include\b/m.test(text) && !text.includes('kts-corpus: diagnostics expected')
        );
      });
      const files = writeMutants(sources, Number(mutants), seed);
      const base = files[0] ? files[0].slice(0, files[0].lastIndexOf('/')) : '';
      const t = await tallyOf(`${files.length} mutants of the corpus (seed ${seed})`, files, base, verbose);
      console.log(
        `agreement: exit code ${percent(t.sameStatus, t.files)}, flagged lines ${percent(t.sameLines, t.files)}, ` +
          `both ${percent(t.bothSame, t.files)} of ${t.files} files`,
      );
      return;
    }
    if (dir !== undefined) {
      const files = corpusFiles(dir);
      addInterfaces(files);
      const t = await tallyOf(`configs under ${dir}`, files, dir, verbose);
      console.log(
        `agreement: exit code ${percent(t.sameStatus, t.files)}, flagged lines ${percent(t.sameLines, t.files)}, ` +
          `both ${percent(t.bothSame, t.files)} of ${t.files} files`,
      );
      return;
    }
    if (chosen.length > 0) {
      addInterfaces(chosen);
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
