// The last line of defence for the host's network: programs that the kernel tests start inside their
// namespaces (agents, inner suites) call refuseOutsideSuiteNamespace() before anything else. It looks at
// the kernel's own answer (which network namespace this process is in) rather than trusting an
// environment variable, and exits unless that namespace is one the suite created: a namespace mounted
// at /run/netns/kts-*. The host's own namespace is never mounted there, so a program started by mistake
// from the root namespace (a stray `node --test`, a typo in a wrapper) opens no socket on its interfaces.
import { readdirSync, statSync } from 'node:fs';

/** Prefix of every namespace the suite creates (tests/helpers/netns.ts names them kts-<tag>-<pid>-<n>). */
export const SUITE_NAMESPACE_PREFIX = 'kts-';

const NETNS_DIR = '/run/netns';

/** The suite namespace this process runs in, or undefined when it runs in any other namespace. */
export function currentSuiteNamespace(): string | undefined {
  let self;
  try {
    self = statSync('/proc/self/ns/net');
  } catch {
    return undefined;
  }
  let names: string[];
  try {
    names = readdirSync(NETNS_DIR);
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!name.startsWith(SUITE_NAMESPACE_PREFIX)) continue;
    try {
      const mounted = statSync(`${NETNS_DIR}/${name}`);
      if (mounted.ino === self.ino && mounted.dev === self.dev) return name;
    } catch {
      // deleted while we looked: not ours
    }
  }
  return undefined;
}

/**
 * For test files that run inside a suite namespace (*.inner.ts): undefined there; elsewhere the reason
 * their tests are all skipped (with gated() from requirements.ts, their hooks do not run either).
 * KTS_INNER_SKIP_REASON only words the reason (the wrapper's, e.g. "needs root"); it never lets a test run.
 */
export function outsideSuiteNamespace(): string | undefined {
  if (currentSuiteNamespace() !== undefined) return undefined;
  return (
    process.env.KTS_INNER_SKIP_REASON ?? 'refused: runs only inside a network namespace the suite created'
  );
}

/**
 * Exits the process (status 2, a line on stderr) unless it runs inside a namespace the suite created.
 * Returns that namespace's name.
 */
export function refuseOutsideSuiteNamespace(program: string): string {
  const ns = currentSuiteNamespace();
  if (ns === undefined) {
    process.stderr.write(
      `${program}: refusing to run outside a network namespace created by the test suite ` +
        `(${NETNS_DIR}/${SUITE_NAMESPACE_PREFIX}*); start it with \`ip netns exec kts-... node ${program}\`\n`,
    );
    process.exit(2);
  }
  return ns;
}
