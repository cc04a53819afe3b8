// Static track groups (keepalived 2.4.3 vrrp_static_track.c, vrrp_parser.c): `track_group NAME { group {
// VI_1 VI_2 } }` names instances, and `track_group NAME` on a static_ipaddress / static_routes /
// static_rules line makes each of them track that object's interface (its dev, a route's dev, a rule's
// iif), unweighted, as an instance tracks the interface of its own VIPs: the interface down faults them.
import type { SourceLocation } from '../../types.js';
import type { TrackGroup } from '../global/interface-groups.js';
import type { BuildContext } from '../shared/values.js';
import type { IpAddressSpec } from './addresses.js';
import type { RouteSpec } from './routes.js';
import type { RuleSpec } from './rules.js';

type StaticKind = 'address' | 'route' | 'rule';
type Tracked = { location: SourceLocation; trackGroup?: string; noTrack: boolean };

/** The interface a static object's track group follows (keepalived: the address's and the route's dev,
 * the rule's iif); undefined: none. */
function trackedInterface(item: IpAddressSpec | RouteSpec | RuleSpec, kind: StaticKind): string | undefined {
  if (kind === 'rule') return (item as RuleSpec).options.find(([k]) => k === 'iif')?.[1];
  return (item as IpAddressSpec | RouteSpec).dev;
}

/**
 * As a static block is read: keepalived looks the group up as it reads the line, so a group must be
 * declared before it is used; an unknown one, or one on an object without an interface, is a
 * configuration error and the object is kept without it.
 */
export function checkTrackGroupReferences<T extends IpAddressSpec | RouteSpec | RuleSpec>(
  items: T[],
  declared: readonly TrackGroup[],
  kind: StaticKind,
  ctx: BuildContext,
): T[] {
  for (const item of items as Tracked[]) {
    const name = item.trackGroup;
    if (name === undefined) continue;
    if (!declared.some((g) => g.name === name)) {
      ctx.diags.error(item.location, 'track_group', `track_group ${name} not found`);
      delete item.trackGroup;
      continue;
    }
    const ifname = trackedInterface(item as T, kind);
    if (ifname === undefined && kind !== 'route') {
      // keepalived's wording, "route" for an address included (vrrp_ipaddress.c).
      ctx.diags.error(
        item.location,
        'track_group',
        kind === 'address'
          ? 'Static route cannot have track_group if interface not specified'
          : 'Static rule cannot have track_group if dev/iif not specified',
      );
      delete item.trackGroup;
    }
  }
  return items;
}

/** The groups' members that exist, as keepalived's VRRP process resolves them once the configuration is
 * read (static_track_group_init): unknown ones are ignored, and a group left empty is removed. */
function resolvedMembers(
  groups: readonly TrackGroup[],
  instances: ReadonlySet<string>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const g of groups) {
    const members = g.instances.filter((i) => instances.has(i));
    if (members.length > 0) out.set(g.name, members);
  }
  return out;
}

export interface StaticTrackUsers {
  trackGroups: readonly TrackGroup[];
  instances: ReadonlyArray<{ name: string }>;
  staticAddresses: readonly IpAddressSpec[];
  staticRoutes: readonly RouteSpec[];
  staticRules: readonly RuleSpec[];
}

/** What keepalived logs as it resolves the groups: its log at start (log_message), not configuration
 * errors, so notes (keepalived 2.2.7's -t says nothing of them and exits 0). */
export function checkStaticTrackGroups(m: StaticTrackUsers, ctx: BuildContext): void {
  const instances = new Set(m.instances.map((i) => i.name));
  for (const g of m.trackGroups) {
    for (const i of g.instances)
      if (!instances.has(i))
        ctx.diags.note(
          g.location,
          'track_group',
          `vrrp instance ${i} specified in track group ${g.name} doesn't exist - ignoring`,
        );
    if (g.instances.length > 0 && !g.instances.some((i) => instances.has(i)))
      ctx.diags.note(
        g.location,
        'track_group',
        `Static track group ${g.name} has no VRRP instance(s); Static track group ${g.name} init fails - removing`,
      );
  }
  const kinds: Array<[StaticKind, readonly Tracked[]]> = [
    ['address', m.staticAddresses],
    ['route', m.staticRoutes],
    ['rule', m.staticRules],
  ];
  for (const [kind, items] of kinds)
    for (const item of items)
      if (item.trackGroup !== undefined && item.noTrack)
        ctx.diags.note(
          item.location,
          'track_group',
          `Static ${kind} has both track_group and no_track set - not tracking`,
        );
}

/** instance -> the interfaces its static track groups make it track (no_track objects excluded). */
export function staticTrackInterfaces(m: StaticTrackUsers): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const members = resolvedMembers(m.trackGroups, new Set(m.instances.map((i) => i.name)));
  const items = [
    ...m.staticAddresses.map((item) => ({ item, kind: 'address' as const })),
    ...m.staticRoutes.map((item) => ({ item, kind: 'route' as const })),
    ...m.staticRules.map((item) => ({ item, kind: 'rule' as const })),
  ];
  for (const { item, kind } of items) {
    if (item.trackGroup === undefined || item.noTrack) continue;
    const ifname = trackedInterface(item, kind);
    if (ifname === undefined) continue;
    for (const inst of members.get(item.trackGroup) ?? []) {
      const list = out.get(inst) ?? [];
      if (!list.includes(ifname)) list.push(ifname);
      out.set(inst, list);
    }
  }
  return out;
}
