// Which firewall the VRRP side keeps, as Debian's keepalived 2.2.7 decides it (built with nftables, without
// iptables or ipset): an nftables table whose rules drop traffic to and from the VIPs of a MASTER that is
// neither the address owner nor in accept mode (RFC 5798 section 6.4.3, "accept mode"). Pure.
//
// keepalived 2.2.7's rules, for the facts only:
// - `nftables [NAME]` names the table (default "keepalived"); `nftables_priority` the base chains'
//   priority (default -1); `nftables_counters` adds a counter to every rule; `nftables_ifindex` keys
//   link-local VIPs by interface index even with dont_track_primary (global_parser.c, 1185-1277).
// - With no firewall keyword, an instance without accept mode (vrrp_strict's default, or `no_accept`) or
//   with use_vmac turns it on with the default name (vrrp.c, 3170-3190 and 3636-3656).
// - `vrrp_iptables`: this build has no iptables; it reports "iptables not supported, using nftables
//   instead" and uses the default table (global_parser.c, 1167-1177). `vrrp_ipsets` is not a keyword of
//   this build at all (global_parser.c, 2350-2353: installed only with libipset).
// - Accept mode defaults to on, except in strict mode where only the address owner has it; strict mode
//   with VRRPv2 clears an explicit `accept` (vrrp.c, 3152-3168; settled in config/model/vrrp/finalize.ts).
import type { Model } from '../../config/index.js';
import type { VrrpInstance } from '../../config/model/vrrp/instance.js';
import type { IpAddressSpec } from '../../config/model/static/addresses.js';

export const DEFAULT_FIREWALL_TABLE = 'keepalived';

export interface FirewallSettings {
  /** The nftables table, in both the ip and the ip6 family. */
  table: string;
  /** Priority of the base chains (hooks input and output). */
  priority: number;
  /** A counter in every rule (`nftables_counters`). */
  counters: boolean;
  /** Link-local VIPs are always keyed by interface index (`nftables_ifindex`). */
  ifindexForLinkLocal: boolean;
  /** Why the firewall is on, as keepalived logs it when no keyword asked for it; undefined otherwise. */
  impliedBy?: string;
}

/** The firewall the configuration asks for, or undefined when it needs none. */
export function firewallSettings(model: Model): FirewallSettings | undefined {
  const g = model.global;
  let table: string | undefined;
  let impliedBy: string | undefined;
  if (g.nftables !== undefined) table = g.nftables === '' ? DEFAULT_FIREWALL_TABLE : g.nftables;
  else if (g.vrrpIptables !== undefined) table = DEFAULT_FIREWALL_TABLE;
  else if (model.instances.some((i) => i.accept === false || i.useVmac !== undefined)) {
    table = DEFAULT_FIREWALL_TABLE;
    impliedBy = 'use_vmac or no_accept/strict specified, but no firewall configured - using nftables';
  }
  if (table === undefined) return undefined;
  return {
    table,
    priority: g.nftablesPriority,
    counters: g.nftablesCounters,
    ifindexForLinkLocal: g.nftablesIfindex,
    ...(impliedBy !== undefined ? { impliedBy } : {}),
  };
}

/** Whether a MASTER of this instance drops traffic to its VIPs: not the address owner, not in accept mode. */
export function dropsVipTraffic(inst: Pick<VrrpInstance, 'priority' | 'accept'>): boolean {
  return inst.priority !== 255 && inst.accept === false;
}

/** One VIP as the firewall sees it: its address and the device it lives on. */
export interface FirewallAddress {
  family: 4 | 6;
  address: string;
  device: string;
  /** IPv6 link-local only: the element names the device by index, or by name (see linkLocalKey). */
  linkLocal?: 'ifindex' | 'ifname';
}

function isLinkLocal6(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}

/**
 * The VIPs and excluded VIPs of an instance, each with its device (`dev`, else the VMAC, else the
 * interface). A link-local IPv6 VIP is keyed by device name only with dont_track_primary, without
 * nftables_ifindex, and when it sits on the instance's own device or is no_track (vrrp_nftables.c,
 * nft_update_ipv6_address).
 */
export function firewallAddresses(
  inst: Pick<
    VrrpInstance,
    'virtualIpaddresses' | 'virtualIpaddressesExcluded' | 'dontTrackPrimary' | 'interface'
  >,
  settings: Pick<FirewallSettings, 'ifindexForLinkLocal'>,
  vmacName?: string,
): FirewallAddress[] {
  const ownDevice = vmacName ?? inst.interface ?? '';
  const one = (vip: IpAddressSpec): FirewallAddress => {
    const device = vip.dev ?? ownDevice;
    const out: FirewallAddress = { family: vip.family, address: vip.address, device };
    if (vip.family === 6 && isLinkLocal6(vip.address)) {
      const byName =
        !settings.ifindexForLinkLocal && inst.dontTrackPrimary && (device === ownDevice || vip.noTrack);
      out.linkLocal = byName ? 'ifname' : 'ifindex';
    }
    return out;
  };
  return [...inst.virtualIpaddresses, ...inst.virtualIpaddressesExcluded].map(one);
}
