// The kernel's OOM killer and the daemon's processes. keepalived's parent is a few megabytes, so under a
// memory cap (systemd's MemoryMax, a container's limit) the OOM killer takes a child, and the parent logs
// the death and respawns it. Ours is a Node process about the size of its children, and was seen to be
// the second victim, leaving nothing to say why the daemon vanished. So the parent lowers its own
// oom_score_adj (children put the inherited value back), and when a child dies of SIGKILL it reads its
// cgroup's memory.events to tell an OOM kill from any other SIGKILL, naming the cap.
import { readFileSync, writeFileSync } from 'node:fs';

/** The children are told the value to put back under this name. */
export const OOM_SCORE_ADJ_ENV = 'KTS_OOM_SCORE_ADJ';
/** How much less likely than its children the parent is to be chosen. */
const PARENT_SHIELD = 500;
const OOM_SCORE_ADJ_MIN = -1000;

const SCORE_PATH = '/proc/self/oom_score_adj';

/**
 * Called once by the parent: lowers its oom_score_adj by PARENT_SHIELD (root only; without
 * CAP_SYS_RESOURCE the kernel refuses and the parent simply stays as it was). Returns the value the
 * children are to restore, or undefined when nothing changed.
 */
export function shieldParentFromOom(): number | undefined {
  try {
    const inherited = Number(readFileSync(SCORE_PATH, 'utf8').trim());
    if (!Number.isInteger(inherited)) return undefined;
    writeFileSync(SCORE_PATH, String(Math.max(OOM_SCORE_ADJ_MIN, inherited - PARENT_SHIELD)));
    return inherited;
  } catch {
    return undefined;
  }
}

/** Called by each child at start: takes back the value the parent had before shielding itself. */
export function restoreOomScoreAdj(env: NodeJS.ProcessEnv = process.env): void {
  const text = env[OOM_SCORE_ADJ_ENV];
  delete env[OOM_SCORE_ADJ_ENV];
  if (text === undefined || !/^-?\d+$/.test(text)) return;
  try {
    writeFileSync(SCORE_PATH, text);
  } catch {
    // Raising one's own value is always allowed; a failure leaves the child merely less likely a victim.
  }
}

/**
 * The memory cgroup files of a process from its /proc/PID/cgroup text: cgroup v2's unified line
 * (`0::/path`), else v1's memory controller line (`N:...memory...:/path`).
 */
export function memoryCgroupFiles(procCgroup: string): { events: string; max: string } | undefined {
  const lines = procCgroup.split('\n');
  const unified = lines.find((l) => l.startsWith('0::'));
  if (unified !== undefined) {
    const dir = `/sys/fs/cgroup${trimSlash(unified.slice(3))}`;
    return { events: `${dir}/memory.events`, max: `${dir}/memory.max` };
  }
  for (const line of lines) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    if (
      line
        .slice(first + 1, second)
        .split(',')
        .includes('memory')
    ) {
      const dir = `/sys/fs/cgroup/memory${trimSlash(line.slice(second + 1))}`;
      return { events: `${dir}/memory.oom_control`, max: `${dir}/memory.limit_in_bytes` };
    }
  }
  return undefined;
}

const trimSlash = (path: string): string => (path === '/' ? '' : path.replace(/\/$/, ''));

/** The `oom_kill` count of a memory.events (v2) or memory.oom_control (v1) text. */
export function oomKillCount(eventsText: string): number | undefined {
  const m = /^oom_kill (\d+)$/m.exec(eventsText);
  return m ? Number(m[1]) : undefined;
}

/** Follows the OOM kills of the cgroup this process is in. */
export class OomWatch {
  private readonly files = readOrUndefined('/proc/self/cgroup', memoryCgroupFiles);
  private seen = this.count();

  /**
   * Called when a child died of SIGKILL: a sentence saying the OOM killer did it (with the cgroup's
   * limit), or undefined when the cgroup counted no new OOM kill.
   */
  explainKill(): string | undefined {
    const now = this.count();
    const before = this.seen;
    this.seen = now;
    if (now === undefined || before === undefined || now <= before) return undefined;
    const limit = this.files ? readOrUndefined(this.files.max, (t) => t.trim()) : undefined;
    const cap = limit === undefined || limit === 'max' ? '' : ` (its cgroup's memory limit: ${limit} bytes)`;
    return `killed by the kernel's OOM killer${cap}`;
  }

  private count(): number | undefined {
    return this.files ? readOrUndefined(this.files.events, oomKillCount) : undefined;
  }
}

function readOrUndefined<T>(path: string, parse: (text: string) => T | undefined): T | undefined {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
