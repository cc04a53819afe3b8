// An in-memory ConfigHost for tests: files by absolute path, directories implied by them, glob(3)-like
// matching (wildcards stay within a segment and skip leading dots, directories come back with a
// trailing '/'), deterministic ${_RANDOM}.
import type { ConfigHost } from '../../../src/config/types.js';
import { expandBraces, hasWildcard, segmentMatcher, unescapeSegment } from '../../../src/config/glob.js';

export interface MemoryHostOptions {
  hostname?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Paths that exist but cannot be read. */
  unreadable?: string[];
  /** Values ${_RANDOM} returns in turn; when exhausted (or absent) it returns MIN. */
  randoms?: number[];
}

export class MemoryHost implements ConfigHost {
  readonly files = new Map<string, string>();
  readonly env: Record<string, string | undefined>;
  readonly hostname: string;
  readonly cwd: string;
  /** Every (min, max) ${_RANDOM} asked for, in order. */
  readonly randomCalls: Array<[number, number]> = [];
  private readonly unreadable: Set<string>;
  private readonly randoms: number[];

  constructor(files: Record<string, string> = {}, opts: MemoryHostOptions = {}) {
    for (const [path, text] of Object.entries(files)) this.files.set(path, text);
    this.env = opts.env ?? {};
    this.hostname = opts.hostname ?? 'node1.example.com';
    this.cwd = opts.cwd ?? '/';
    this.unreadable = new Set(opts.unreadable ?? []);
    this.randoms = [...(opts.randoms ?? [])];
  }

  readFile(path: string): string | undefined {
    if (this.unreadable.has(path)) return undefined;
    return this.files.get(path);
  }

  glob(pattern: string): string[] {
    const found = new Set<string>();
    for (const alternative of expandBraces(pattern)) for (const p of this.globOne(alternative)) found.add(p);
    return [...found].sort();
  }

  random(min: number, max: number): number {
    this.randomCalls.push([min, max]);
    return this.randoms.shift() ?? min;
  }

  private isDirectory(path: string): boolean {
    const prefix = path === '/' ? '/' : path + '/';
    for (const f of this.files.keys()) if (f.startsWith(prefix)) return true;
    return false;
  }

  private exists(path: string): boolean {
    return this.files.has(path) || this.unreadable.has(path) || this.isDirectory(path);
  }

  private entries(dir: string): string[] {
    const prefix = dir === '/' ? '/' : dir + '/';
    const names = new Set<string>();
    for (const f of [...this.files.keys(), ...this.unreadable]) {
      if (f.startsWith(prefix)) names.add(f.slice(prefix.length).split('/')[0]);
    }
    return [...names];
  }

  private globOne(pattern: string): string[] {
    let candidates = ['/'];
    for (const segment of pattern.split('/').filter((s) => s !== '')) {
      const next: string[] = [];
      for (const dir of candidates) {
        const join = (name: string): string => (dir === '/' ? '/' + name : dir + '/' + name);
        if (!hasWildcard(segment)) {
          next.push(join(unescapeSegment(segment)));
          continue;
        }
        const matcher = segmentMatcher(segment);
        for (const name of this.entries(dir)) if (matcher.test(name)) next.push(join(name));
      }
      candidates = next;
    }
    return candidates.filter((p) => this.exists(p)).map((p) => (this.isDirectory(p) ? p + '/' : p));
  }
}
