// Programs a kernel test runs inside a namespace call this first: it throws unless the process's network
// namespace is one of the test namespaces (/run/netns/kts-*) and not the host's. (Until the lead's shared
// guard exists in tests/helpers; this one checks the same thing.)
import { readdirSync, statSync } from 'node:fs';

export function assertInsideTestNamespace(): void {
  const self = statSync('/proc/self/ns/net');
  let host: ReturnType<typeof statSync> | undefined;
  try {
    host = statSync('/proc/1/ns/net');
  } catch {
    // Some sandboxes deny access to pid 1's namespaces; the kts-* match below still decides.
  }
  if (host && self.ino === host.ino && self.dev === host.dev) {
    throw new Error('refusing to run in the host network namespace');
  }
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns').filter((n) => n.startsWith('kts-'));
  } catch {
    /* no /run/netns: no test namespace */
  }
  const ours = names.some((n) => {
    try {
      const s = statSync(`/run/netns/${n}`);
      return s.ino === self.ino && s.dev === self.dev;
    } catch {
      return false;
    }
  });
  if (!ours) throw new Error('refusing to run outside a kts-* test namespace');
}
