// The addresses and routes keepalived sets itself (static_ipaddress, static_routes, virtual_routes) against
// the interfaces of this host, and the routes it cannot track. keepalived 2.2.7 reports each as a config
// error and leaves that line out; these are diagnostics only (the daemon reads the host again when it runs).
import type { HostFacts } from '../../types.js';
import { formatPrefix } from '../shared/ip.js';
import type { BuildContext } from '../shared/values.js';
import type { IpAddressSpec } from './addresses.js';
import type { RouteSpec } from './routes.js';

export interface InterfaceUsers {
  dynamicInterfaces: boolean;
  staticAddresses: readonly IpAddressSpec[];
  staticRoutes: readonly RouteSpec[];
  virtualRoutes: ReadonlyArray<readonly RouteSpec[]>;
}

export function checkStaticInterfaces(users: InterfaceUsers, ctx: BuildContext): void {
  const present: HostFacts['interfaces'] | undefined = users.dynamicInterfaces
    ? undefined
    : ctx.hostFacts?.interfaces;
  const missing = (ifname: string | undefined): ifname is string =>
    present !== undefined && ifname !== undefined && !present.has(ifname);
  for (const a of users.staticAddresses)
    if (missing(a.dev))
      ctx.diags.warn(a.location, 'dev', `interface ${a.dev} of ${a.address} does not exist on this host`);
  for (const routes of [users.staticRoutes, ...users.virtualRoutes])
    for (const r of routes) {
      const dest = formatPrefix(r.destination);
      const absent = [r.dev, ...r.nexthops.map((h) => h.dev)].find(missing);
      if (absent !== undefined) {
        ctx.diags.warn(
          r.location,
          'dev',
          `interface ${absent} of route ${dest} does not exist on this host - route ignored`,
        );
        continue;
      }
      if (!r.noTrack && r.dev === undefined)
        ctx.diags.warn(
          r.location,
          'no_track',
          `cannot track route ${dest} with no interface specified, not tracking (add dev, or no_track)`,
        );
    }
}

/** What of an instance names an interface the VRRP process looks up when it reads the config. */
interface InterfaceNamer {
  interface?: string;
  vrf?: string;
  track: { interfaces: ReadonlyArray<{ name: string }> };
  virtualIpaddresses: readonly IpAddressSpec[];
  virtualIpaddressesExcluded: readonly IpAddressSpec[];
}

/**
 * Whether the VRRP process of keepalived 2.2.7 stops after reading this config ("Non-existent interface
 * specified in configuration"): some interface it names is missing and dynamic_interfaces is off. The
 * checks it makes after reading (script security, say) are then never made.
 */
export function vrrpStopsOnMissingInterface(
  users: InterfaceUsers & { instances: readonly InterfaceNamer[]; syncGroupTracks: readonly string[] },
  ctx: BuildContext,
): boolean {
  const present = ctx.hostFacts?.interfaces;
  if (users.dynamicInterfaces || present === undefined) return false;
  const named = [
    ...users.instances.flatMap((i) => [
      i.interface,
      i.vrf,
      ...i.track.interfaces.map((t) => t.name),
      ...[...i.virtualIpaddresses, ...i.virtualIpaddressesExcluded].map((a) => a.dev),
    ]),
    ...users.syncGroupTracks,
    ...users.staticAddresses.map((a) => a.dev),
    ...[users.staticRoutes, ...users.virtualRoutes].flatMap((rs) =>
      rs.flatMap((r) => [r.dev, ...r.nexthops.map((h) => h.dev)]),
    ),
  ];
  return named.some((n) => n !== undefined && !present.has(n));
}
