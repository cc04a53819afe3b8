// The host's interfaces as keepalived's SNMP views show them (index, MAC, the first IPv4 address and the
// IPv6 link-local one), from the VRRP child's netlink view of the host.
import type { InterfaceInfo } from '../../snmp/snapshot.js';
import type { HostState } from './host-state.js';

function macBytes(mac: string | undefined): Uint8Array {
  if (mac === undefined || mac === '') return new Uint8Array();
  return Uint8Array.from(mac.split(':').map((b) => parseInt(b, 16)));
}

export function hostInterfaces(host: HostState): Map<string, InterfaceInfo> {
  const out = new Map<string, InterfaceInfo>();
  for (const l of host.allLinks()) {
    const info: InterfaceInfo = { name: l.name, index: l.index, mac: macBytes(l.mac) };
    const v4 = host.primaryAddress(l.name, 4);
    const v6 = host.primaryAddress(l.name, 6);
    if (v4 !== undefined) info.ipv4 = v4;
    if (v6 !== undefined) info.ipv6 = v6;
    out.set(l.name, info);
  }
  return out;
}
