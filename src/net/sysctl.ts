// Per-interface kernel settings through /proc/sys (what a VMAC and its parent need), with the old value
// returned so the caller can restore it when the VMAC goes away.

import { readFile, writeFile } from 'node:fs/promises';

export type SysctlFamily = 'ipv4' | 'ipv6';

/** Interface names become one path component: refuse anything that could step outside it. */
function checkComponent(name: string): void {
  if (!/^[^/\0]+$/.test(name) || name === '.' || name === '..') {
    throw new RangeError(`bad sysctl path component ${JSON.stringify(name)}`);
  }
}

/** /proc/sys/net/<family>/conf/<ifname>/<key>; `root` exists so tests can point at a scratch tree. */
export function interfaceSysctlPath(
  family: SysctlFamily,
  ifname: string,
  key: string,
  root = '/proc/sys',
): string {
  checkComponent(ifname);
  checkComponent(key);
  return `${root}/net/${family}/conf/${ifname}/${key}`;
}

export async function readSysctl(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).trim();
}

/** Write a value; resolves with the previous one (trimmed). */
export async function writeSysctl(path: string, value: string | number): Promise<string> {
  const previous = await readSysctl(path);
  await writeFile(path, `${value}\n`);
  return previous;
}

export interface InterfaceSetting {
  family: SysctlFamily;
  ifname: string;
  key: string;
  value: string | number;
}

/**
 * What keepalived sets for a VMAC: on the macvlan, arp_ignore=1 (answer ARP only for its own addresses),
 * accept_local=1 (hear the other router's adverts from the shared MAC), rp_filter=0 (receive without an
 * address), promote_secondaries=1; on the parent, arp_ignore=1 and arp_filter=1 so it never answers for VIPs.
 */
export function vmacSettings(vmac: string, parent: string): InterfaceSetting[] {
  return [
    { family: 'ipv4', ifname: vmac, key: 'arp_ignore', value: 1 },
    { family: 'ipv4', ifname: vmac, key: 'accept_local', value: 1 },
    { family: 'ipv4', ifname: vmac, key: 'rp_filter', value: 0 },
    { family: 'ipv4', ifname: vmac, key: 'promote_secondaries', value: 1 },
    { family: 'ipv4', ifname: parent, key: 'arp_ignore', value: 1 },
    { family: 'ipv4', ifname: parent, key: 'arp_filter', value: 1 },
  ];
}

/** Apply settings in order; resolves with the settings that restore the previous values (reverse order). */
export async function applyInterfaceSettings(
  settings: readonly InterfaceSetting[],
  root = '/proc/sys',
): Promise<InterfaceSetting[]> {
  const undo: InterfaceSetting[] = [];
  for (const s of settings) {
    const previous = await writeSysctl(interfaceSysctlPath(s.family, s.ifname, s.key, root), s.value);
    undo.unshift({ ...s, value: previous });
  }
  return undo;
}
