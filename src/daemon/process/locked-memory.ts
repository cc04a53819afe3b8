// Children run with native/src/locked_discard.c preloaded. With *_no_swap a child locks all its memory
// (mlockall); the kernel then refuses the madvise(MADV_DONTNEED) with which V8 gives heap pages back, and V8
// aborts on that refusal. The preloaded library turns such a discard into one the kernel allows on locked
// pages. It is loaded into every child, not only those that lock now, because a reload can turn *_no_swap
// on; it changes nothing for a process whose memory is not locked. The scripts a child runs do not get it:
// the child puts LD_PRELOAD back as it was.
import { existsSync } from 'node:fs';
import { LOCKED_DISCARD_LIBRARY } from '../../net/native.js';

/** The user's own LD_PRELOAD, kept for the child to put back ('' when there was none). */
export const PRELOAD_BEFORE_ENV = 'KTS_LD_PRELOAD_BEFORE';

/** What the supervisor adds to a child's environment (nothing when the library was not built). */
export function lockedDiscardEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (!existsSync(LOCKED_DISCARD_LIBRARY)) return {};
  const before = env.LD_PRELOAD ?? '';
  return {
    LD_PRELOAD: before === '' ? LOCKED_DISCARD_LIBRARY : `${LOCKED_DISCARD_LIBRARY} ${before}`,
    [PRELOAD_BEFORE_ENV]: before,
  };
}

/** Called by each child at start: the environment its scripts inherit has the user's LD_PRELOAD again. */
export function restorePreload(env: NodeJS.ProcessEnv = process.env): void {
  const before = env[PRELOAD_BEFORE_ENV];
  if (before === undefined) return;
  delete env[PRELOAD_BEFORE_ENV];
  if (before === '') delete env.LD_PRELOAD;
  else env.LD_PRELOAD = before;
}
