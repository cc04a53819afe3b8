// Mutants of the corpus for bench/config-verdicts.ts --mutants: each a corpus file with one small edit of
// the kind a hand-edited config gets (a brace or a line lost, a line repeated or moved, two lines swapped,
// a word lost or repeated, a number out of range), from a seeded generator so that a run can be repeated.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** mulberry32: small, seeded, good enough to pick edits. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EDITS = [
  'drop-open',
  'drop-close',
  'drop-line',
  'repeat-line',
  'swap',
  'drop-word',
  'repeat-word',
  'move-line',
  'number',
] as const;
type Edit = (typeof EDITS)[number];

const ODD_NUMBERS = ['0', '-1', '256', '65536', '99999999999', '1.5', 'abc'];

/** One edit of `lines`, or undefined when the file offers no place for it. */
function edit(lines: string[], kind: Edit, pick: <T>(xs: readonly T[]) => T): string[] | undefined {
  const out = [...lines];
  const content = out
    .map((l, i) => [l.trim(), i] as const)
    .filter(([l]) => l !== '' && !l.startsWith('#') && !l.startsWith('!'))
    .map(([, i]) => i);
  if (content.length < 3) return undefined;
  const words = (i: number): string[] => (out[i] ?? '').trim().split(/\s+/);
  switch (kind) {
    case 'drop-open': {
      const at = content.filter((i) => (out[i] ?? '').trimEnd().endsWith('{'));
      if (at.length === 0) return undefined;
      const i = pick(at);
      out[i] = (out[i] ?? '').trimEnd().slice(0, -1).trimEnd();
      return out;
    }
    case 'drop-close': {
      const at = content.filter((i) => (out[i] ?? '').trim() === '}');
      if (at.length === 0) return undefined;
      out[pick(at)] = '';
      return out;
    }
    case 'drop-line':
      out[pick(content)] = '';
      return out;
    case 'repeat-line': {
      const i = pick(content);
      out.splice(i, 0, out[i] ?? '');
      return out;
    }
    case 'swap': {
      const i = pick(content.slice(0, -1));
      [out[i], out[i + 1]] = [out[i + 1] ?? '', out[i] ?? ''];
      return out;
    }
    case 'move-line': {
      const [line] = out.splice(pick(content), 1);
      out.splice(pick(content.slice(0, -1)), 0, line ?? '');
      return out;
    }
    case 'drop-word':
    case 'repeat-word': {
      const i = pick(content);
      const w = words(i);
      if (w.length < 2) return undefined;
      const k = 1 + pick(w.slice(1).map((_, j) => j));
      if (kind === 'drop-word') w.splice(k, 1);
      else w.splice(k, 0, w[k] ?? '');
      out[i] = `  ${w.join(' ')}`;
      return out;
    }
    case 'number': {
      const i = pick(content);
      const w = words(i);
      const numeric = w.map((x, k) => (k > 0 && /^\d+$/.test(x) ? k : -1)).filter((k) => k > 0);
      if (numeric.length === 0) return undefined;
      w[pick(numeric)] = pick(ODD_NUMBERS);
      out[i] = `  ${w.join(' ')}`;
      return out;
    }
  }
}

/** Writes up to `count` mutants of `files` into a fresh directory; returns their paths. */
export function writeMutants(files: readonly string[], count: number, seed: number): string[] {
  const random = generator(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const dir = mkdtempSync(join(tmpdir(), 'kts-mutants-'));
  const out: string[] = [];
  for (let attempt = 0; out.length < count && attempt < count * 4 && files.length > 0; attempt++) {
    const file = pick(files);
    const kind = pick(EDITS);
    const lines = edit(readFileSync(file, 'utf8').split('\n'), kind, pick);
    if (lines === undefined) continue;
    const path = join(dir, `${String(out.length + 1).padStart(3, '0')}-${kind}-${basename(file)}`);
    writeFileSync(path, lines.join('\n'));
    out.push(path);
  }
  return out;
}
