// Sockets opened in another network namespace: the calling thread enters it, the socket is made, and the
// thread goes back (a socket stays in the namespace it was made in). Only the main thread moves, and only
// for the synchronous call; keepalived's socket_netns_name does the same (core/namespaces.c).
import { closeSync, openSync } from 'node:fs';
import { native } from './native.js';

/** Where keepalived finds a namespace named in its configuration; '' is the host's own (init's). */
export function namespacePath(name: string): string {
  return name === '' ? '/proc/1/ns/net' : `/run/netns/${name}`;
}

/** Runs `make` (synchronous: nothing else may run meanwhile) inside the namespace at `path`. */
export function inNetNamespace<T>(path: string, make: () => T): T {
  // the namespace to come back to, held open: after setns /proc/thread-self names the other one
  const home = openSync('/proc/thread-self/ns/net', 'r');
  try {
    native().setns(path);
    try {
      return make();
    } finally {
      native().setns(`/proc/self/fd/${home}`);
    }
  } finally {
    closeSync(home);
  }
}
