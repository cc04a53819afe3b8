// Small top-level blocks about interfaces and grouping: linkbeat_interfaces, interface_up_down_delays,
// garp_group and track_group (static track groups).
import { blockEnd } from '../../blocks.js';
import type { ConfigNode, SourceLocation } from '../../types.js';
import { type BuildContext, blockChildren, decimal, walk } from '../shared/values.js';

export interface LinkbeatInterface {
  location: SourceLocation;
  name: string;
  /** Preferred polling type; keepalived falls back when unsupported. */
  type?: 'MII' | 'ETHTOOL' | 'IOCTL';
}

export interface InterfaceDelays {
  location: SourceLocation;
  name: string;
  /** Seconds. */
  downDelay: number;
  upDelay: number;
}

export interface GarpGroup {
  location: SourceLocation;
  garpInterval?: number;
  gnaInterval?: number;
  interfaces: string[];
  /** keepalived's number for a group with an `interfaces` list (1, 2, ...; its messages name it). */
  aggregationGroup?: number;
}

export interface TrackGroup {
  location: SourceLocation;
  name: string;
  instances: string[];
}

const at = (n: ConfigNode): SourceLocation => ({ file: n.file, line: n.line });

/**
 * linkbeat_interfaces: `IFNAME [MII|ETHTOOL|IOCTL]` per line. As keepalived's alloc_linkbeat_interface: an
 * interface this host does not have stops it (fatal; not with dynamic_interfaces), an unknown type or a
 * word more is reported and the interface polled all the same (its default way).
 */
export function readLinkbeatInterfaces(
  node: ConfigNode,
  ctx: BuildContext,
  dynamicInterfaces = false,
): LinkbeatInterface[] {
  const out: LinkbeatInterface[] = [];
  const present = dynamicInterfaces ? undefined : ctx.hostFacts?.interfaces;
  for (const child of blockChildren(node, ctx)) {
    if (present !== undefined && !present.has(child.keyword)) {
      ctx.diags.ranked(
        'fatal',
        'error',
        child,
        node.keyword,
        `unknown interface ${child.keyword} specified for linkbeat interface`,
      );
      continue;
    }
    const type = child.args[0];
    const known = type === 'MII' || type === 'ETHTOOL' || type === 'IOCTL';
    if (type !== undefined && (!known || child.args.length > 1))
      ctx.diags.error(child, node.keyword, `extra characters ${type} in linkbeat interface ${child.keyword}`);
    out.push(
      known
        ? { location: at(child), name: child.keyword, type }
        : { location: at(child), name: child.keyword },
    );
  }
  return out;
}

export function readInterfaceDelays(node: ConfigNode, ctx: BuildContext): InterfaceDelays[] {
  const out: InterfaceDelays[] = [];
  for (const child of blockChildren(node, ctx)) {
    const down = decimal({ ...child, keyword: node.keyword }, ctx, 0, 255, 0);
    if (down === undefined) continue;
    // keepalived: a single value is the down delay; up then has none
    const up = child.args.length > 1 ? decimal({ ...child, keyword: node.keyword }, ctx, 0, 255, 1) : 0;
    if (up === undefined) continue;
    out.push({ location: at(child), name: child.keyword, downDelay: down, upDelay: up });
  }
  return out;
}

/**
 * A garp_group block. An interface belongs to the first group that names it: named again, in this group
 * or after an earlier one (`groups`), it is reported where keepalived reports it (the `interface` line,
 * the `}` of an `interfaces` block) and left out.
 */
export function readGarpGroup(
  node: ConfigNode,
  ctx: BuildContext,
  groups: readonly GarpGroup[],
): GarpGroup | undefined {
  const g: GarpGroup = { location: at(node), interfaces: [] };
  const taken = new Set(groups.flatMap((x) => x.interfaces));
  // keepalived numbers the groups that have an `interfaces` list (its messages name the number)
  let aggregation: number | undefined;
  const add = (name: string, where: SourceLocation, keyword: string): void => {
    if (taken.has(name))
      ctx.diags.error(where, keyword, `garp_group already specified for ${name} - ignoring`);
    else {
      taken.add(name);
      g.interfaces.push(name);
    }
  };
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      garp_interval: (n) => {
        const v = decimal(n, ctx, 0, 2147.483647);
        if (v !== undefined) g.garpInterval = v;
      },
      gna_interval: (n) => {
        const v = decimal(n, ctx, 0, 2147.483647);
        if (v !== undefined) g.gnaInterval = v;
      },
      interface: (n) => {
        const v = n.args[0];
        if (v === undefined) ctx.diags.error(n, n.keyword, 'missing argument');
        else add(v, n, n.keyword);
      },
      interfaces: (n) => {
        // keepalived handles the list once it is read: at its closing brace
        const end = blockEnd(n);
        const names = blockChildren(n, ctx).flatMap((c) => [c.keyword, ...c.args]);
        aggregation ??= 1 + groups.filter((x) => x.aggregationGroup !== undefined).length;
        for (const name of names) {
          // keepalived names the list's second word in this message: a list of one stops its parser
          if (taken.has(name) && names.length < 2) {
            ctx.diags.ranked(
              'abort',
              'error',
              end,
              n.keyword,
              `Configuration line starting \`${name}\` is missing a parameter after keyword \`${name}\` at word position 2`,
            );
            return;
          }
          add(name, end, n.keyword);
        }
      },
    },
    'garp_group',
  );
  if (aggregation !== undefined) g.aggregationGroup = aggregation;
  if (g.garpInterval === undefined && g.gnaInterval === undefined) {
    // keepalived drops it too, at its closing brace (garp_group_end_handler); a group without an
    // interface it keeps, doing nothing
    ctx.diags.error(
      blockEnd(node),
      node.keyword,
      `garp group ${aggregation ?? 0} does not have any delay set - removing`,
    );
    return undefined;
  }
  return g;
}

export function readTrackGroup(node: ConfigNode, ctx: BuildContext): TrackGroup | undefined {
  const name = node.args[0];
  if (name === undefined) {
    ctx.diags.error(node, node.keyword, 'missing name');
    return undefined;
  }
  const g: TrackGroup = { location: at(node), name, instances: [] };
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      group: (n) => {
        const children = blockChildren(n, ctx);
        children.forEach((c) => g.instances.push(c.keyword, ...c.args));
        if (children.length === 0)
          ctx.diags.error(n, 'group', `Warning - track group ${name} has empty group block`);
      },
    },
    'track_group',
  );
  // vrrp_parser.c, static_track_group_end_handler: a group without members is dropped.
  if (g.instances.length === 0) {
    ctx.diags.error(node, node.keyword, `Static track group ${name} has no members - removing`);
    return undefined;
  }
  return g;
}

export function printInterfaceGroups(m: {
  linkbeatInterfaces: LinkbeatInterface[];
  interfaceUpDownDelays: InterfaceDelays[];
  garpGroups: GarpGroup[];
  trackGroups: TrackGroup[];
}): string[] {
  const lines: string[] = [];
  if (m.linkbeatInterfaces.length > 0)
    lines.push(
      'linkbeat_interfaces {',
      ...m.linkbeatInterfaces.map((l) => `  ${l.name}${l.type ? ` ${l.type}` : ''}`),
      '}',
    );
  if (m.interfaceUpDownDelays.length > 0)
    lines.push(
      'interface_up_down_delays {',
      ...m.interfaceUpDownDelays.map((d) => `  ${d.name} ${d.downDelay} ${d.upDelay}`),
      '}',
    );
  for (const g of m.garpGroups) {
    lines.push('garp_group {');
    if (g.garpInterval !== undefined) lines.push(`  garp_interval ${g.garpInterval}`);
    if (g.gnaInterval !== undefined) lines.push(`  gna_interval ${g.gnaInterval}`);
    lines.push('  interfaces {', ...g.interfaces.map((i) => `    ${i}`), '  }', '}');
  }
  for (const t of m.trackGroups)
    lines.push(`track_group ${t.name} {`, '  group {', ...t.instances.map((i) => `    ${i}`), '  }', '}');
  return lines;
}
