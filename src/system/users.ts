// Script users: keepalived runs scripts as script_user (default keepalived_script when that user exists,
// else root). Names are looked up in /etc/passwd and /etc/group, as getpwnam would for local users.
import { readFileSync } from 'node:fs';

export interface UserIds {
  uid: number;
  gid: number;
}

function table(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** uid/gid of `user` (name or number), with `group` overriding the user's primary group. */
export function lookupUser(user: string, group?: string, root = ''): UserIds | undefined {
  const passwd = table(`${root}/etc/passwd`);
  const entry =
    passwd.find((f) => f[0] === user) ?? (/^\d+$/.test(user) ? passwd.find((f) => f[2] === user) : undefined);
  let uid: number;
  let gid: number;
  if (entry !== undefined) {
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  } else if (/^\d+$/.test(user)) {
    uid = Number(user);
    gid = uid;
  } else return undefined;
  if (group !== undefined) {
    const name = group.replace(/^:/, '');
    const g = table(`${root}/etc/group`).find((f) => f[0] === name);
    if (g !== undefined) gid = Number(g[2]);
    else if (/^\d+$/.test(name)) gid = Number(name);
    else return undefined;
  }
  return { uid, gid };
}
