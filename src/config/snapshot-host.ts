// One reading of the configuration files for every process: keepalived's parent keeps what it read (a memfd,
// or a file in tmp_config_directory) and its children read that copy, so a child started again after a
// crash runs what the others run even when a file was edited since, until a reload reads the files anew.
// RecordingConfigHost notes what a read of the configuration took from the files (their text, the globs'
// answers); SnapshotConfigHost answers a later read with it. Pure: no I/O beyond the host each wraps.
import type { ConfigHost } from './types.js';

/** What one read of the configuration took from the files (JSON-safe). */
export interface ConfigSnapshot {
  /** Each file read: its text, or null when it could not be read. */
  files: Record<string, string | null>;
  /** Each include pattern expanded: the paths it gave. */
  globs: Record<string, string[]>;
}

export function isConfigSnapshot(x: unknown): x is ConfigSnapshot {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  return (
    typeof s['files'] === 'object' &&
    s['files'] !== null &&
    typeof s['globs'] === 'object' &&
    s['globs'] !== null
  );
}

/** A host that answers the environment, host name, working directory and ${_RANDOM} as `live` does. */
abstract class ForwardingConfigHost implements ConfigHost {
  constructor(protected readonly live: ConfigHost) {}

  get env(): Record<string, string | undefined> {
    return this.live.env;
  }
  get hostname(): string {
    return this.live.hostname;
  }
  get cwd(): string {
    return this.live.cwd;
  }
  random(min: number, max: number): number {
    return this.live.random(min, max);
  }

  abstract readFile(path: string): string | undefined;
  abstract glob(pattern: string): string[];
}

export class RecordingConfigHost extends ForwardingConfigHost {
  private readonly files = new Map<string, string | null>();
  private readonly globs = new Map<string, string[]>();

  readFile(path: string): string | undefined {
    const text = this.live.readFile(path);
    // the first answer is the one the read used (a file read twice answers alike)
    if (!this.files.has(path)) this.files.set(path, text ?? null);
    return text;
  }

  glob(pattern: string): string[] {
    const paths = this.live.glob(pattern);
    if (!this.globs.has(pattern)) this.globs.set(pattern, [...paths]);
    return paths;
  }

  snapshot(): ConfigSnapshot {
    return { files: Object.fromEntries(this.files), globs: Object.fromEntries(this.globs) };
  }
}

/** Reads from a snapshot; what it does not hold (a file the parent's read never asked for) from `live`. */
export class SnapshotConfigHost extends ForwardingConfigHost {
  constructor(
    private readonly snap: ConfigSnapshot,
    live: ConfigHost,
  ) {
    super(live);
  }

  readFile(path: string): string | undefined {
    if (!Object.hasOwn(this.snap.files, path)) return this.live.readFile(path);
    return this.snap.files[path] ?? undefined;
  }

  glob(pattern: string): string[] {
    const paths = Object.hasOwn(this.snap.globs, pattern) ? this.snap.globs[pattern] : undefined;
    return paths !== undefined ? [...paths] : this.live.glob(pattern);
  }
}
