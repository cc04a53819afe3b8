// keepalived's look at one script before it will run it (check_script_secure, lib/notify.c): a bare name
// is searched in PATH, the path is resolved, the file must be executable by the user that runs it, and
// when root runs it every directory on its way must be root's and not writable by others (with
// enable_script_security an unsafe one is refused; without, only said). The lines are keepalived's.
// I/O: reads the file system.
import { realpathSync, statSync, type Stats } from 'node:fs';
import type { ScriptVerdict } from '../config/model/shared/script-availability.js';
import { commandWords, scriptInsecurity } from './scripts.js';
import { inPath, resolveCommandPath } from './script-path.js';

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

const errnoText = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return ERRNO_TEXT[code] ?? code;
};

const verdict = (lines: string[], flags: Partial<Omit<ScriptVerdict, 'lines'>>): ScriptVerdict => ({
  lines,
  notFound: flags.notFound ?? false,
  inhibited: flags.inhibited ?? false,
  runnable: flags.runnable ?? false,
});

/** keepalived's is_executable: root needs any execute bit; others the bit of their class. */
function executableBy(st: Stats, uid: number, gid: number): boolean {
  if (uid === 0) return (st.mode & 0o111) !== 0;
  if (uid === st.uid) return (st.mode & 0o100) !== 0;
  if (gid === st.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/**
 * The verdict on `command` run as `ids` (uid, gid). `secure`: enable_script_security. `path`: the PATH a
 * bare name is searched in (keepalived's own environment's).
 */
export function scriptVerdict(
  command: string,
  ids: { uid: number; gid: number },
  secure: boolean,
  path = process.env['PATH'],
): ScriptVerdict {
  const words = commandWords(command);
  const program = words?.[0];
  if (words === undefined || program === undefined || program === '') return verdict([], { notFound: true });
  // `</file`: a test that a file opens, nothing executed (SC_SYSTEM)
  if (/^<\s*\//.test(program)) return verdict([], { runnable: true });
  let located = program;
  if (!program.includes('/')) {
    const found = inPath(program, path);
    if (found === undefined)
      return verdict([`Cannot find script ${program} in path - disabling`], { notFound: true });
    located = found;
  }
  try {
    realpathSync(located);
  } catch (e) {
    return verdict([`Script ${located} cannot be accessed - ${errnoText(e)}`], { notFound: true });
  }
  // the path it runs (a symbolic link resolved as keepalived resolves it)
  const shown = resolveCommandPath([located])[0] ?? located;
  let st: Stats;
  try {
    st = statSync(shown);
  } catch {
    return verdict([`Unable to access script \`${shown}\` - disabling`], { notFound: true });
  }
  if (!executableBy(st, ids.uid, ids.gid))
    return verdict(
      [`WARNING - script '${shown}' is not executable for uid:gid ${ids.uid}:${ids.gid} - disabling.`],
      {},
    );
  const setIdRoot =
    (st.uid === 0 && (st.mode & 0o4100) === 0o4100) || (st.gid === 0 && (st.mode & 0o2010) === 0o2010);
  if ((ids.uid === 0 || ids.gid === 0 || setIdRoot) && scriptInsecurity(shown) !== undefined) {
    const line = `Unsafe permissions found for script '${shown}'${secure ? ' - disabling' : ''}.`;
    return verdict([line], { runnable: true, inhibited: secure });
  }
  return verdict([], { runnable: true });
}
