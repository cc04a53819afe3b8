// Script users: keepalived runs scripts as script_user (default keepalived_script when that user exists,
// else root). Names are looked up in /etc/passwd and /etc/group, as getpwnam would for local users.
import { readFileSync } from 'node:fs';

export interface UserIds {
  uid: number;
  gid: number;
  /** Supplementary groups to give the script (set_supplementary_groups, or ':' before the group): the
   * user's getgrouplist. Absent: none (keepalived clears them). */
  groups?: number[];
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

/** Whether this host has a user / a group (by name), as keepalived's parser asks getpwnam / getgrnam
 * while reading: each call reads the files afresh, so that a reload sees a user added since. */
export function userFacts(): {
  userExists: (name: string) => boolean;
  groupExists: (name: string) => boolean;
} {
  const names = (path: string): Set<string> => new Set(table(path).map((f) => f[0] ?? ''));
  let users: Set<string> | undefined;
  let groups: Set<string> | undefined;
  return {
    userExists: (name) => (users ??= names('/etc/passwd')).has(name),
    groupExists: (name) => (groups ??= names('/etc/group')).has(name),
  };
}

/** uid/gid of `user` (name or number), with `group` overriding the user's primary group. A group
 * starting with ':' (alone: the user's own group) or `supplementary` also gives the user's supplementary
 * groups, as keepalived's set_uid_gid does with getgrouplist(user, the user's primary group). */
export function lookupUser(
  user: string,
  group?: string,
  root = '',
  supplementary = false,
): UserIds | undefined {
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
  const withGroups = supplementary || group?.startsWith(':') === true;
  const name = group?.replace(/^:/, '');
  if (name !== undefined && name !== '') {
    const g = table(`${root}/etc/group`).find((f) => f[0] === name);
    if (g !== undefined) gid = Number(g[2]);
    else if (/^\d+$/.test(name)) gid = Number(name);
    else return undefined;
  }
  if (!withGroups || entry === undefined) return { uid, gid };
  return { uid, gid, groups: groupList(entry[0] ?? '', Number(entry[3]), root) };
}

/** getgrouplist(3) from the files: the user's primary group, then each group listing the user. */
function groupList(userName: string, primary: number, root: string): number[] {
  const out = [primary];
  for (const g of table(`${root}/etc/group`)) {
    const id = Number(g[2]);
    if ((g[3] ?? '').split(',').includes(userName) && !out.includes(id)) out.push(id);
  }
  return out;
}
