// The real ConfigHost: the file system, the environment and the host name. The only I/O the
// configuration reader does goes through here. glob follows glob(3) as keepalived calls it
// (GLOB_BRACE | GLOB_MARK): braces expand in written order, `*`, `?` and `[...]` stay within a segment
// and skip names starting with '.', directories come back with a trailing '/'.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ConfigHost } from '../../config/types.js';
import { expandBraces, hasWildcard, segmentMatcher, unescapeSegment } from '../../config/glob.js';

function isDirectory(path: string): boolean | undefined {
  try {
    return statSync(path).isDirectory();
  } catch {
    return undefined;
  }
}

function listDirectory(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function globOne(pattern: string): string[] {
  let candidates = [pattern.startsWith('/') ? '/' : '.'];
  for (const segment of pattern.split('/').filter((s) => s !== '')) {
    const next: string[] = [];
    for (const dir of candidates) {
      const join = (name: string): string => (dir === '/' ? '/' + name : dir + '/' + name);
      if (!hasWildcard(segment)) {
        next.push(join(unescapeSegment(segment)));
        continue;
      }
      const matcher = segmentMatcher(segment);
      for (const name of listDirectory(dir).sort()) if (matcher.test(name)) next.push(join(name));
    }
    candidates = next;
  }
  const result: string[] = [];
  for (const path of candidates) {
    const dir = isDirectory(path);
    if (dir !== undefined) result.push(dir ? path + '/' : path);
  }
  return result.sort();
}

export class FsConfigHost implements ConfigHost {
  readonly env: Record<string, string | undefined> = process.env;
  readonly hostname: string = hostname();
  readonly cwd: string = process.cwd();

  readFile(path: string): string | undefined {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  }

  glob(pattern: string): string[] {
    const alternatives = expandBraces(pattern);
    if (alternatives.length === 1) return globOne(pattern);
    const seen = new Set<string>();
    for (const alternative of alternatives) for (const path of globOne(alternative)) seen.add(path);
    return [...seen].sort();
  }

  random(min: number, max: number): number {
    return min + Math.floor(Math.random() * (max - min + 1));
  }
}
