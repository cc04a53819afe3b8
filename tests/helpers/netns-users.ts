// The users a daemon in a test namespace sees: `ip netns exec` bind-mounts /etc/netns/NS/{passwd,group}
// over /etc, and VrrpLab starts daemons that way. The host's own files are never changed.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/** Lines to add to a namespace's passwd and group, and users / groups of the host's to leave out. */
export interface NamespaceUsers {
  passwd?: string[];
  group?: string[];
  without?: string[];
}

/** Writes /etc/netns/NS/{passwd,group}: the host's (less `without`) plus the lines given. Returns the undo. */
export function namespaceUsers(ns: string, users: NamespaceUsers): () => void {
  const dir = `/etc/netns/${ns}`;
  mkdirSync(dir, { recursive: true });
  const drop = new Set(users.without ?? []);
  const hostLines = (file: string): string =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !drop.has(l.split(':')[0] ?? ''))
      .map((l) => `${l}\n`)
      .join('');
  const lines = (extra: string[] | undefined): string => (extra ?? []).map((l) => `${l}\n`).join('');
  writeFileSync(`${dir}/passwd`, hostLines('/etc/passwd') + lines(users.passwd));
  writeFileSync(`${dir}/group`, hostLines('/etc/group') + lines(users.group));
  return () => rmSync(dir, { recursive: true, force: true });
}
