// A small coverage-guided fuzzer for the pure decoders (Jazzer.js's prebuilt libFuzzer needs glibc 2.38,
// newer than this Debian's; see docs/reliability.md). Coverage is V8's own block coverage, read through the
// inspector (Profiler.takePreciseCoverage, which resets the counts each time it is read): an input whose run
// covers a block range of src/ in a count bucket not seen before (AFL-style buckets 1, 2, 3, 4-7, 8-15, ...)
// joins the corpus, and new inputs are mutations of corpus entries. Reading coverage costs milliseconds, so
// inputs run in batches: only a batch that found something new is replayed one input at a time to find which.
// A target signals a bug by throwing; the fuzzer records the input and goes on.
import { Session } from 'node:inspector';
import { createHash } from 'node:crypto';

export interface FuzzTarget {
  name: string;
  /** Longest input worth trying. */
  maxLength: number;
  /** Tokens that mutations insert (keywords, header names, length-like values as text). */
  dictionary?: readonly string[];
  /** Well-formed or interesting inputs to start from (the kept corpus adds to them). */
  seeds(): Uint8Array[];
  /** Runs one input; throws only for a bug (an exception escaping, an invariant broken). */
  run(data: Uint8Array): void;
}

export interface Finding {
  kind: 'crash' | 'slow';
  input: Uint8Array;
  message: string;
}

export interface FuzzStats {
  executions: number;
  corpusSize: number;
  newEntries: Uint8Array[];
  findings: Finding[];
  features: number;
  elapsedMs: number;
}

interface ScriptCoverage {
  url: string;
  functions: { ranges: { startOffset: number; endOffset: number; count: number }[] }[];
}

/** Block coverage of the project's compiled sources (dist/src), read and reset in one call. V8 gives block
 * counts only for functions compiled after it started: start it before the targets run anything (import
 * them after startCoverage()). */
class Coverage {
  private readonly session = new Session();

  constructor() {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  /** Every block range seen so far, per function (`url:start`), as [start, end] pairs. */
  private readonly known = new Map<string, [number, number][]>();

  /**
   * Adds the features covered since the last call to `into`; returns how many were new to `seen`. After a
   * reset V8 lists only the ranges whose count differs from their parent's: a block not listed ran as
   * often as the innermost listed range around it, so every block ever seen is judged that way.
   */
  take(seen: Set<string>, into: Set<string> = seen): number {
    const result = this.post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    let fresh = 0;
    for (const script of result.result) {
      if (!script.url.includes('/dist/src/')) continue;
      for (const fn of script.functions) {
        const ranges = fn.ranges;
        if (ranges.length === 0 || ranges[0]!.count === 0) continue;
        const fnKey = `${script.url}:${ranges[0]!.startOffset}`;
        let known = this.known.get(fnKey);
        if (known === undefined) this.known.set(fnKey, (known = []));
        for (const r of ranges)
          if (!known.some(([s, e]) => s === r.startOffset && e === r.endOffset))
            known.push([r.startOffset, r.endOffset]);
        for (const [s, e] of known) {
          let count = 0;
          let span = Infinity;
          for (const r of ranges)
            if (r.startOffset <= s && e <= r.endOffset && r.endOffset - r.startOffset < span) {
              span = r.endOffset - r.startOffset;
              count = r.count;
            }
          if (count === 0) continue;
          const key = `${fnKey}:${s}:${e}:${bucket(count)}`;
          if (!seen.has(key)) {
            fresh++;
            into.add(key);
          }
        }
      }
    }
    return fresh;
  }

  // The in-process inspector answers synchronously: the callback has run when post() returns.
  private post(method: string, params?: object): unknown {
    let answer: unknown;
    let failure: Error | null = null;
    this.session.post(method, params ?? {}, (err, res) => {
      failure = err;
      answer = res;
    });
    if (failure) throw failure;
    return answer;
  }
}

function bucket(count: number): number {
  return count < 4 ? count : 31 - Math.clz32(count);
}

/** A deterministic PRNG (xorshift32), so that a run is repeatable from its seed. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  chance(percent: number): boolean {
    return this.below(100) < percent;
  }
}

const INTERESTING_8 = [0, 1, 2, 3, 4, 7, 8, 12, 16, 20, 24, 28, 32, 64, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_16 = [0, 1, 4, 8, 16, 20, 255, 256, 0x7fff, 0x8000, 0xffff];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff];

/** One to four stacked byte-level mutations of `input` (with `other`, another corpus entry, to splice). */
export function mutate(
  input: Uint8Array,
  other: Uint8Array,
  rnd: Random,
  maxLength: number,
  dictionary: readonly Uint8Array[],
): Uint8Array {
  let data: Uint8Array = Uint8Array.from(input);
  const rounds = 1 + rnd.below(4);
  for (let round = 0; round < rounds; round++) {
    const at = rnd.below(data.length + 1);
    switch (rnd.below(dictionary.length > 0 ? 12 : 11)) {
      case 0: // flip a bit
        if (data.length > 0) data[rnd.below(data.length)]! ^= 1 << rnd.below(8);
        break;
      case 1: // a random byte
        if (data.length > 0) data[rnd.below(data.length)] = rnd.below(256);
        break;
      case 2: // an interesting byte
        if (data.length > 0) data[rnd.below(data.length)] = INTERESTING_8[rnd.below(INTERESTING_8.length)]!;
        break;
      case 3: // an interesting 16-bit value, either byte order
        if (data.length >= 2) {
          const v = INTERESTING_16[rnd.below(INTERESTING_16.length)]! ^ (rnd.chance(20) ? data.length : 0);
          const p = rnd.below(data.length - 1);
          new DataView(data.buffer, data.byteOffset, data.byteLength).setUint16(
            p,
            v & 0xffff,
            rnd.chance(50),
          );
        }
        break;
      case 4: // an interesting 32-bit value
        if (data.length >= 4) {
          const p = rnd.below(data.length - 3);
          new DataView(data.buffer, data.byteOffset, data.byteLength).setUint32(
            p,
            INTERESTING_32[rnd.below(INTERESTING_32.length)]!,
            rnd.chance(50),
          );
        }
        break;
      case 5: // insert random bytes
        data = concat(data.subarray(0, at), randomBytes(rnd, 1 + rnd.below(16)), data.subarray(at));
        break;
      case 6: // delete a range
        if (data.length > 0) data = concat(data.subarray(0, at), data.subarray(at + 1 + rnd.below(16)));
        break;
      case 7: // duplicate a range
        if (data.length > 0) {
          const from = rnd.below(data.length);
          const piece = data.slice(from, from + 1 + rnd.below(32));
          data = concat(data.subarray(0, at), piece, data.subarray(at));
        }
        break;
      case 8: // splice with another entry
        data = concat(data.subarray(0, at), other.subarray(rnd.below(other.length + 1)));
        break;
      case 9: // truncate
        data = data.slice(0, rnd.below(data.length + 1));
        break;
      case 10: // overwrite with bytes of another entry
        if (data.length > 0 && other.length > 0) {
          const from = rnd.below(other.length);
          const piece = other.subarray(from, from + 1 + rnd.below(16));
          data.set(piece.subarray(0, Math.max(0, data.length - at)), Math.min(at, data.length));
        }
        break;
      default: {
        // insert a dictionary token
        const token = dictionary[rnd.below(dictionary.length)]!;
        data = concat(data.subarray(0, at), token, data.subarray(at));
      }
    }
  }
  return data.length > maxLength ? data.slice(0, maxLength) : data;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function randomBytes(rnd: Random, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rnd.below(256);
  return out;
}

let coverage: Coverage | undefined;

/** Starts block coverage (once per process); call it before loading the targets. */
export function startCoverage(): void {
  coverage ??= new Coverage();
}

export function inputId(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex');
}

export interface FuzzOptions {
  /** Wall-clock budget. */
  durationMs: number;
  seed?: number;
  /** Inputs run between two coverage readings. */
  batch?: number;
  /** An input slower than this is reported as a (potential) hang. */
  slowMs?: number;
  /** Stop after this many findings. */
  maxFindings?: number;
}

/** Fuzzes `target` from `corpus` (its seeds and kept entries) for the given time. */
export function fuzz(target: FuzzTarget, corpus: Uint8Array[], opts: FuzzOptions): FuzzStats {
  const started = performance.now();
  const rnd = new Random(opts.seed ?? Date.now());
  const slowMs = opts.slowMs ?? 1000;
  const dictionary = (target.dictionary ?? []).map((t) => new TextEncoder().encode(t));
  const findings: Finding[] = [];
  const newEntries: Uint8Array[] = [];
  const seen = new Set<string>();
  const entries: Uint8Array[] = [];
  const crashed = new Set<string>();
  let executions = 0;
  startCoverage();
  const cov = coverage as Coverage;

  const runOne = (input: Uint8Array): void => {
    executions++;
    const t0 = performance.now();
    try {
      target.run(input);
    } catch (e) {
      const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
      const signature = message.split('\n').slice(0, 3).join('\n');
      if (!crashed.has(signature)) {
        crashed.add(signature);
        findings.push({ kind: 'crash', input, message });
      }
    }
    const took = performance.now() - t0;
    if (took > slowMs) findings.push({ kind: 'slow', input, message: `took ${took.toFixed(0)} ms` });
  };

  {
    cov.take(new Set()); // forget what ran before
    // Inputs that were new as a group are halved until the one(s) adding features are found.
    const hunt = (group: Uint8Array[], mutants = true): void => {
      if (group.length === 1) {
        runOne(group[0]!);
        if (cov.take(seen) > 0) {
          entries.push(group[0]!);
          if (mutants) newEntries.push(group[0]!);
        }
        return;
      }
      const half = group.length >> 1;
      for (const part of [group.slice(0, half), group.slice(half)]) {
        for (const input of part) runOne(input);
        if (cov.take(seen, new Set()) > 0) hunt(part, mutants);
      }
    };
    // The starting corpus, in groups: what adds coverage is kept as a mutation parent.
    for (let at = 0; at < corpus.length; at += 32) {
      const group = corpus.slice(at, at + 32);
      for (const input of group) runOne(input);
      if (cov.take(seen, new Set()) > 0) hunt(group, false);
    }
    if (entries.length === 0) entries.push(corpus[0] ?? new Uint8Array(0));
    let batchSize = opts.batch ?? 64;
    while (performance.now() - started < opts.durationMs && findings.length < (opts.maxFindings ?? 20)) {
      const batch: Uint8Array[] = [];
      const t0 = performance.now();
      for (let i = 0; i < batchSize; i++) {
        const parent = entries[rnd.below(entries.length)]!;
        const other = entries[rnd.below(entries.length)]!;
        const input = mutate(parent, other, rnd, target.maxLength, dictionary);
        batch.push(input);
        runOne(input);
      }
      const t1 = performance.now();
      const fresh = cov.take(seen, new Set());
      const takeMs = performance.now() - t1;
      // Keep reading coverage at most about a quarter of the time, and batches small enough to bisect.
      if (takeMs * 3 > t1 - t0 && batchSize < 4096) batchSize *= 2;
      else if (takeMs * 12 < t1 - t0 && batchSize > 16) batchSize >>= 1;
      if (fresh > 0) hunt(batch);
    }
  }
  return {
    executions,
    corpusSize: entries.length,
    newEntries,
    findings,
    features: seen.size,
    elapsedMs: performance.now() - started,
  };
}
