// keepalived's signal functions (`keepalived --signum=NAME`) and a way to receive the realtime ones, which
// node's process.on() cannot name: JSON is SIGRTMIN+2 and STATS_CLEAR SIGRTMAX-1, and a realtime signal
// nobody handles terminates the process — the operator asking for a dump must not stop the daemon.
import { native, type PollHandle } from '../../net/native.js';
import { constants } from 'node:os';

export type SignalFunction = 'STOP' | 'RELOAD' | 'DATA' | 'STATS' | 'STATS_CLEAR' | 'JSON';

/** SIGRTMIN / SIGRTMAX as glibc (node's C library on Linux) defines them: the kernel's 32..64 less the two
 * realtime signals glibc keeps for its threads. Constants, so that --signum needs no native addon. */
const RT = { min: 34, max: 64 };

/** The number keepalived uses for a signal function, or undefined for a name it does not know (TDUMP is
 * only in keepalived builds with thread dumps; Debian's has none). */
export function signalNumber(name: string): number | undefined {
  const s = constants.signals;
  switch (name) {
    case 'STOP':
      return s.SIGTERM;
    case 'RELOAD':
      return s.SIGHUP;
    case 'DATA':
      return s.SIGUSR1;
    case 'STATS':
      return s.SIGUSR2;
    case 'STATS_CLEAR':
      return RT.max - 1;
    case 'JSON':
      return RT.min + 2;
    default:
      return undefined;
  }
}

const handlers = new Map<number, (signum: number) => void>();
/** Held for good: a poll handle the GC collects is closed by its finalizer. */
let signalPoll: PollHandle | undefined;

/**
 * Calls `handler(signum)` for each of `signums` received, from the event loop (one handler per signal: a
 * later call replaces it). Throws when the addon is missing. The process-wide handlers stay installed for
 * good, so that a signal arriving late is dropped instead of killing the process.
 */
export function onRawSignals(signums: number[], handler: (signum: number) => void): void {
  const addon = native();
  const fd = addon.signalSocket(signums);
  for (const n of signums) handlers.set(n, handler);
  if (signalPoll !== undefined) return;
  const buf = new Uint8Array(16);
  // One poll for the shared descriptor: libuv allows a single poll handle per fd.
  signalPoll = addon.pollStart(fd, () => {
    for (;;) {
      const r = addon.recvmsg(fd, buf);
      if (r === null) return;
      const signum = buf[0] as number;
      if (r.length > 0) handlers.get(signum)?.(signum);
    }
  });
  // Watching for signals must not keep an otherwise finished process alive.
  addon.pollRef(signalPoll, false);
}
