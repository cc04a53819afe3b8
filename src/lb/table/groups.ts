// virtual_server_group entries as the kernel services keepalived creates for them (ipvswrapper.c
// ipvs_group_range_cmd / ipvs_group_cmd): one service per address of a range, one per firewall mark.
import { addressToBigInt, bigIntToAddress } from '../../config/model/lvs/virtual-server.js';
import type { Family } from '../../config/model/shared/ip.js';
import type { VirtualServerGroup, VsgAddressEntry } from '../../config/model/lvs/types.js';

export function lbFamily(family: Family): 'inet' | 'inet6' {
  return family === 4 ? 'inet' : 'inet6';
}

/**
 * The addresses keepalived walks for one range entry. IPv4 counts the whole address up to the end;
 * IPv6 counts only the last 16-bit group, from the first address's to the last address's (wrapping
 * past 0xffff when the last is the smaller), keeping the first address's upper 112 bits.
 */
export function rangeAddresses(entry: Pick<VsgAddressEntry, 'family' | 'first' | 'last'>): string[] {
  const first = addressToBigInt(entry.first);
  const last = addressToBigInt(entry.last);
  const out: string[] = [];
  if (entry.family === 4) {
    for (let a = first; a <= last; a++) out.push(bigIntToAddress(a, 4));
    return out;
  }
  const base = first & ~0xffffn;
  const end = last & 0xffffn;
  for (let low = first & 0xffffn; ; low = (low + 1n) & 0xffffn) {
    out.push(bigIntToAddress(base | low, 6));
    if (low === end) return out;
  }
}

/** Which families a group's entries name (keepalived's have_ipv4 / have_ipv6 / fwmark_no_family). */
export function groupFamilies(group: VirtualServerGroup): {
  ipv4: boolean;
  ipv6: boolean;
  fwmarkWithoutFamily: boolean;
} {
  let ipv4 = false;
  let ipv6 = false;
  let fwmarkWithoutFamily = false;
  for (const e of group.entries) {
    if (e.family === 4) ipv4 = true;
    else if (e.family === 6) ipv6 = true;
    else fwmarkWithoutFamily = true;
  }
  return { ipv4, ipv6, fwmarkWithoutFamily };
}
