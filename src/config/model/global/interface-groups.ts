// Small top-level blocks about interfaces and grouping: linkbeat_interfaces, interface_up_down_delays,
// garp_group and track_group (static track groups).
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
}

export interface TrackGroup {
  location: SourceLocation;
  name: string;
  instances: string[];
}

const at = (n: ConfigNode): SourceLocation => ({ file: n.file, line: n.line });

export function readLinkbeatInterfaces(node: ConfigNode, ctx: BuildContext): LinkbeatInterface[] {
  const out: LinkbeatInterface[] = [];
  for (const child of blockChildren(node, ctx)) {
    const type = child.args[0];
    if (type !== undefined && type !== 'MII' && type !== 'ETHTOOL' && type !== 'IOCTL') {
      ctx.diags.error(
        child,
        node.keyword,
        `${child.keyword}: unknown polling type '${type}' (MII, ETHTOOL, IOCTL)`,
      );
      continue;
    }
    out.push(
      type === undefined
        ? { location: at(child), name: child.keyword }
        : { location: at(child), name: child.keyword, type },
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

export function readGarpGroup(node: ConfigNode, ctx: BuildContext): GarpGroup | undefined {
  const g: GarpGroup = { location: at(node), interfaces: [] };
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
        else g.interfaces.push(v);
      },
      interfaces: (n) => {
        for (const c of blockChildren(n, ctx)) g.interfaces.push(c.keyword, ...c.args);
      },
    },
    'garp_group',
  );
  if (g.interfaces.length === 0) {
    ctx.diags.error(node, node.keyword, 'no interface specified');
    return undefined;
  }
  if (g.garpInterval === undefined && g.gnaInterval === undefined) {
    // keepalived drops it too (garp_group_end_handler)
    ctx.diags.error(node, node.keyword, 'the group has neither garp_interval nor gna_interval - removing');
    return undefined;
  }
  return g;
}

/** Adds a garp_group; an interface already in an earlier group stays there (keepalived ignores it here). */
export function addGarpGroup(groups: GarpGroup[], g: GarpGroup, node: ConfigNode, ctx: BuildContext): void {
  const taken = new Set(groups.flatMap((x) => x.interfaces));
  for (const i of g.interfaces)
    if (taken.has(i)) ctx.diags.error(node, node.keyword, `garp_group already specified for ${i} - ignoring`);
  g.interfaces = g.interfaces.filter((i) => !taken.has(i));
  groups.push(g);
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
