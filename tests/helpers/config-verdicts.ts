// keepalived 2.2.7's config test against ours, file by file: the exit code and the lines each one flags.
// keepalived names a line as "(FILE: Line N) message" (or "(Line N) message" with a single file); ours
// as "FILE:N: error|warning: ...". Notes (ours only, "FILE:N: note: ...") flag nothing: keepalived is
// silent there. Shared by bench/config-verdicts.ts and the interop test.
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { keepalivedConfigTest, oursConfigTest, type ConfigTestResult } from './keepalived-config-test.js';

/** Where Debian's keepalived package keeps keepalived's own sample configurations. */
export const SAMPLES_DIR = '/usr/share/doc/keepalived/samples';

export const CORPUS_DIR = fileURLToDir('../../../tests/corpus');

function fileURLToDir(rel: string): string {
  return new URL(rel, import.meta.url).pathname;
}

/** The sample configs (keepalived.conf.*, decompressed when shipped as .gz) copied into a fresh directory. */
export function copySamples(): string[] {
  if (!existsSync(SAMPLES_DIR)) return [];
  const dir = mkdtempSync(join(tmpdir(), 'kts-samples-'));
  const out: string[] = [];
  for (const name of readdirSync(SAMPLES_DIR).sort()) {
    if (!name.startsWith('keepalived.conf')) continue;
    const from = join(SAMPLES_DIR, name);
    if (name.endsWith('.gz')) {
      const to = join(dir, name.slice(0, -3));
      writeFileSync(to, gunzipSync(readFileSync(from)));
      out.push(to);
    } else {
      const to = join(dir, name);
      copyFileSync(from, to);
      out.push(to);
    }
  }
  return out;
}

/** Every *.conf under tests/corpus. */
export function corpusFiles(dir = CORPUS_DIR): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...corpusFiles(p));
    else if (name.endsWith('.conf')) out.push(p);
  }
  return out;
}

/** "file:line" for every line keepalived's -t output names. */
export function keepalivedFlaggedLines(mainFile: string, output: string): string[] {
  const lines = new Set<string>();
  for (const m of output.matchAll(/^\((?:(.+?): )?Line (\d+)\) /gm)) {
    const file = m[1] === undefined ? mainFile : resolve(dirname(mainFile), m[1]);
    lines.add(`${file}:${m[2]}`);
  }
  return [...lines].sort(byFileLine);
}

/** How many of keepalived's messages name no line (it checks some things once the whole file is read). */
export function keepalivedUnlocatedMessages(output: string): number {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^\s/.test(l) && !/^\((?:.+?: )?Line \d+\) /.test(l)).length;
}

/** "file:line" for every error or warning of ours. */
export function oursFlaggedLines(output: string): string[] {
  const lines = new Set<string>();
  for (const m of output.matchAll(/^(.+?):(\d+): (?:error|warning): /gm)) lines.add(`${m[1]}:${m[2]}`);
  return [...lines].sort(byFileLine);
}

function byFileLine(a: string, b: string): number {
  const [fa, la] = splitAt(a);
  const [fb, lb] = splitAt(b);
  return fa === fb ? la - lb : fa < fb ? -1 : 1;
}

function splitAt(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
}

export interface VerdictComparison {
  file: string;
  theirs: ConfigTestResult & { lines: string[] };
  ours: ConfigTestResult & { lines: string[] };
  sameStatus: boolean;
  sameLines: boolean;
}

/**
 * Whether ours flags the lines keepalived flags. Every line keepalived names must be among ours; ours may
 * name more only where keepalived printed messages without a line (we name one for every diagnostic):
 * no more extra lines than such messages.
 */
export function sameFlaggedLines(theirs: string[], ours: string[], theirUnlocated: number): boolean {
  const extra = ours.filter((l) => !theirs.includes(l)).length;
  return theirs.every((l) => ours.includes(l)) && extra <= theirUnlocated;
}

/** Runs both config tests on one file (in the config-test namespace) and compares them. */
export async function compareConfigTest(file: string): Promise<VerdictComparison> {
  const [theirs, ours] = await Promise.all([keepalivedConfigTest(file), oursConfigTest(file)]);
  const theirLines = keepalivedFlaggedLines(file, theirs.output);
  const ourLines = oursFlaggedLines(ours.output);
  return {
    file,
    theirs: { ...theirs, lines: theirLines },
    ours: { ...ours, lines: ourLines },
    sameStatus: theirs.status === ours.status,
    sameLines: sameFlaggedLines(theirLines, ourLines, keepalivedUnlocatedMessages(theirs.output)),
  };
}

/** Corpus files made for keepalived 2.4 (keywords 2.2.7 does not know) carry this marker. */
export const ONLY_24_MARKER = 'keepalived-2.4-only';

export function only24(file: string): boolean {
  return readFileSync(file, 'utf8').includes(ONLY_24_MARKER);
}
