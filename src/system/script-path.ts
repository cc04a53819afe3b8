// The program path keepalived really runs for a script command (and shows, in SNMP and its data dump):
// a bare name is looked up in PATH, symbolic links are resolved (realpath), and when the link's target has
// another file name the original name is kept in the target's directory if that is the same file (some
// programs act on the name they are called by). keepalived 2.2.7 does this when it checks a script
// (check_script_secure in lib/notify.c); use_symlink_paths (2.3) asks it to run the path as written.
// I/O: reads the file system.
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** A bare program name as PATH finds it (the first regular file), else undefined. */
export function inPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** The command's words with its program replaced by the path keepalived would run; unchanged when the
 * program cannot be found (keepalived then disables the script). */
export function resolveCommandPath(words: string[], path = process.env.PATH): string[] {
  const [program, ...args] = words;
  if (program === undefined || program.startsWith('<') || program.startsWith('>')) return words;
  const located = program.includes('/') ? program : inPath(program, path);
  if (located === undefined) return words;
  let real: string;
  try {
    real = realpathSync(located);
  } catch {
    return words;
  }
  if (basename(real) !== basename(located)) {
    const named = join(dirname(real), basename(located));
    if (sameFile(named, real)) real = named;
  }
  return [real, ...args];
}
