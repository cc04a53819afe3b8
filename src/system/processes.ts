// Running processes, as vrrp_track_process counts them, read from /proc: by name, which keepalived compares
// with the process's comm (15 characters at most) or, with `full_command` or parameters, with argv[0] as
// written (a path then); and by their parameters.
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessMatch {
  /** What comm (or, with fullCommand, argv[0]) must equal. */
  process: string;
  /** Compare argv[0] rather than comm (keepalived: `full_command`, implied by parameters). */
  fullCommand?: boolean;
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
    const full = match.fullCommand === true || match.parameters !== undefined;
    if ((full ? argv[0] : comm) !== match.process) continue;
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
