// Running processes, as vrrp_track_process counts them: by name (comm, or the full path) and optionally
// their parameters, read from /proc.
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessMatch {
  /** Process name (comm) or full path / command line to match. */
  process: string;
  /** When set, the process's arguments must equal this (keepalived `param_match exact`) or start with it. */
  parameters?: string;
  paramMatch?: 'exact' | 'partial' | 'initial';
}

/** Counts running processes that match, from /proc. */
export function countProcesses(match: ProcessMatch, proc = '/proc'): number {
  let count = 0;
  let pids: string[];
  try {
    pids = readdirSync(proc).filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    let argv: string[];
    let comm: string;
    try {
      argv = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[argv.length - 1] === '') argv.pop();
      comm = readFileSync(`${proc}/${pid}/comm`, 'utf8').trim();
    } catch {
      continue; // gone meanwhile
    }
    if (argv.length === 0) continue; // kernel thread
    const exe = argv[0] as string;
    const nameMatches = match.process.includes('/')
      ? exe === match.process
      : comm === match.process.slice(0, 15);
    if (!nameMatches) continue;
    if (match.parameters !== undefined) {
      const params = argv.slice(1).join(' ');
      const mode = match.paramMatch ?? 'exact';
      const ok =
        mode === 'exact'
          ? params === match.parameters
          : mode === 'initial'
            ? params.startsWith(match.parameters)
            : params.includes(match.parameters);
      if (!ok) continue;
    }
    count++;
  }
  return count;
}
