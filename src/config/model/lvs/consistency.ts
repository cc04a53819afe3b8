// Checks across LVS blocks, once the whole file is read: group references, duplicates, and the
// consistency rules keepalived applies in validate_check_config (ports, quorum, protocol). Diagnostics
// only: the model is not changed, so what was written can still be printed back.
import type { SourceLocation } from '../../types.js';
import type { Family } from '../shared/ip.js';
import { isLinkLocal6 } from '../shared/ip.js';
import { effectiveForwarding, effectiveWeight } from './defaults.js';
import type { VirtualServer, VirtualServerGroup } from './types.js';
import type { BuildContext } from '../shared/values.js';

/** Names defined elsewhere in the config that checkers refer to; a set left out is not checked. */
export interface LvsReferences {
  trackFiles?: ReadonlySet<string>;
  bfdInstances?: ReadonlySet<string>;
}

/** How a virtual server is named in messages, close to keepalived's FMT_VS. */
export function describeVirtualServer(vs: VirtualServer): string {
  const k = vs.key;
  if (k.kind === 'group') return `group ${k.group}`;
  if (k.kind === 'fwmark') return `fwmark ${k.fwmark}`;
  const addr = k.family === 6 ? `[${k.address}]` : k.address;
  return k.port !== undefined ? `${addr}:${k.port}` : addr;
}

/** What makes two virtual servers one IPVS service: address, port and protocol, fwmark, or group. */
export function identity(vs: VirtualServer): string {
  const k = vs.key;
  const proto = k.kind === 'fwmark' ? '' : (vs.protocol ?? 'UDP');
  if (k.kind === 'group') return `group ${k.group} ${proto}`;
  if (k.kind === 'fwmark') return `fwmark ${k.fwmark} ${vs.ipFamily ?? ''}`;
  return `${k.address} ${k.port ?? 0} ${proto}`;
}

export function checkLvs(
  groups: VirtualServerGroup[],
  servers: VirtualServer[],
  ctx: BuildContext,
  refs: LvsReferences = {},
): void {
  const err = (at: SourceLocation, kw: string, msg: string): void => ctx.diags.error(at, kw, msg);
  const warn = (at: SourceLocation, kw: string, msg: string): void => ctx.diags.warn(at, kw, msg);

  // keepalived 2.2.7's -t says nothing of a name or a service written twice: a note (which never counts)
  const byName = new Map<string, VirtualServerGroup>();
  for (const g of groups) {
    if (byName.has(g.name))
      ctx.diags.note(g.at, 'virtual_server_group', `${g.name} is defined more than once: the first is used`);
    else byName.set(g.name, g);
  }

  const used = new Set<string>();
  const seen = new Map<string, VirtualServer>();
  for (const vs of servers) {
    const name = describeVirtualServer(vs);
    const id = identity(vs);
    if (seen.has(id))
      ctx.diags.note(
        vs.at,
        'virtual_server',
        `${name} is defined more than once: one service, its real servers added to the first one's`,
      );
    else seen.set(id, vs);

    let group: VirtualServerGroup | undefined;
    if (vs.key.kind === 'group') {
      used.add(vs.key.group);
      group = byName.get(vs.key.group);
      if (!group) err(vs.at, 'virtual_server', `virtual_server_group ${vs.key.group} is not defined`);
    }
    if (vs.realServers.length === 0) warn(vs.at, 'virtual_server', `${name} has no real servers - ignoring`);

    const isFwmark =
      vs.key.kind === 'fwmark' || (group !== undefined && group.entries.every((e) => e.kind === 'fwmark'));
    const hasFwmark = vs.key.kind === 'fwmark' || (group?.entries.some((e) => e.kind === 'fwmark') ?? false);
    if (vs.haSuspend && hasFwmark)
      warn(vs.at, 'ha_suspend', `${name}: cannot be used with fwmarks - ignoring`);
    if (isFwmark && vs.protocol !== undefined)
      warn(vs.at, 'protocol', `${name}: protocol specified for fwmark - protocol will be ignored`);
    if (!isFwmark) {
      if (vs.protocol === undefined && (vs.key.kind === 'address' || group !== undefined))
        warn(vs.at, 'virtual_server', `${name}: no protocol set - defaulting to UDP`);
      if (vs.ops && (vs.protocol ?? 'UDP') !== 'UDP')
        warn(vs.at, 'ops', `${name}: one packet scheduling requires UDP - ignoring`);
      const portless =
        vs.key.kind === 'address'
          ? vs.key.port === undefined
          : (group?.entries.some((e) => e.kind === 'address' && e.port === undefined) ?? false);
      if (portless && vs.persistenceTimeout === undefined && vs.persistenceGranularity === undefined)
        warn(
          vs.at,
          'virtual_server',
          `${name}: zero port only valid for persistent services - persistence_timeout 360 is used`,
        );
    }

    // keepalived fills in a missing scheduler or forwarding method, counting it as a config error
    // (validate_check_config); the forwarding one only when a real or sorry server needs the default.
    if (vs.scheduler === undefined)
      warn(vs.at, 'virtual_server', `Virtual server ${name}: no scheduler set, setting default 'wlc'`);
    const needsDefaultMethod =
      vs.forwarding === undefined &&
      (vs.realServers.some((rs) => rs.forwarding === undefined) ||
        (vs.sorryServer !== undefined && vs.sorryServer.forwarding === undefined));
    if (needsDefaultMethod)
      warn(vs.at, 'virtual_server', `Virtual server ${name}: no forwarding method set, setting default NAT`);

    // Group addresses must share the family of the non-tunnelled real servers.
    if (group) {
      const groupFamilies = new Set<Family>(
        group.entries.flatMap((e) => (e.kind === 'address' ? [e.family] : [])),
      );
      for (const rs of vs.realServers) {
        if (effectiveForwarding(vs, rs).method === 'TUN') continue;
        if (groupFamilies.size > 0 && !groupFamilies.has(rs.family))
          err(
            rs.at,
            'real_server',
            `address family of ${rs.address} does not match virtual_server_group ${group.name}`,
          );
      }
    }

    checkPorts(vs, group, hasFwmark, name, warn);
    let weightSum = 0;
    for (const rs of vs.realServers) {
      weightSum += effectiveWeight(vs, rs);
      if (vs.sorryServer && vs.sorryServer.address === rs.address && vs.sorryServer.port === rs.port) {
        const rsInhibit = rs.inhibitOnFailure ?? vs.inhibitOnFailure;
        if (vs.sorryServer.inhibit !== rsInhibit)
          warn(
            vs.sorryServer.at,
            'sorry_server',
            `matches real server ${rs.address} but inhibit setting differs - using the real server's`,
          );
      }
      for (const c of rs.checkers) {
        if (
          c.kind === 'FILE_CHECK' &&
          refs.trackFiles &&
          c.trackFile !== undefined &&
          !refs.trackFiles.has(c.trackFile)
        )
          err(c.at, 'track_file', `track_file ${c.trackFile} not found`);
        if (
          c.kind === 'BFD_CHECK' &&
          refs.bfdInstances &&
          c.name !== undefined &&
          !refs.bfdInstances.has(c.name)
        )
          err(c.at, 'BFD_CHECK', `bfd_instance ${c.name} not configured`);
        if (c.kind !== 'FILE_CHECK' && c.kind !== 'BFD_CHECK' && c.kind !== 'MISC_CHECK') {
          const dst = c.connectIp ?? rs.address;
          const needsIf = (a: string): boolean => a.includes(':') && isLinkLocal6(a);
          if (needsIf(dst) && c.bindIf === undefined)
            err(c.at, c.kind, `link local address ${dst} requires a bind_if`);
        }
      }
    }
    const quorum = vs.quorum ?? 1;
    if (vs.realServers.length > 0 && quorum > weightSum)
      warn(
        vs.at,
        'quorum',
        `${quorum} for ${name} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`,
      );
    const hysteresis = vs.hysteresis ?? 0;
    const effectiveQuorum = Math.min(quorum, weightSum);
    if (vs.hysteresis !== undefined && vs.realServers.length > 0 && hysteresis >= effectiveQuorum)
      warn(vs.at, 'hysteresis', `${name}: hysteresis ${hysteresis} >= quorum ${effectiveQuorum}`);
  }
  for (const g of groups)
    if (!used.has(g.name) && byName.get(g.name) === g)
      ctx.diags.note(g.at, 'virtual_server_group', `${g.name} is not used by any virtual_server`);
}

/** keepalived's port rules: a real or sorry server that is not NAT keeps the virtual server's port (or
 * none for a firewall mark); keepalived says so and corrects it. */
function checkPorts(
  vs: VirtualServer,
  group: VirtualServerGroup | undefined,
  hasFwmark: boolean,
  name: string,
  warn: (at: SourceLocation, kw: string, msg: string) => void,
): void {
  const rsPorted = vs.realServers.filter(
    (rs) => effectiveForwarding(vs, rs).method !== 'NAT' && (rs.port ?? 0) !== 0,
  );
  const sorry = vs.sorryServer;
  const sorryMethod = sorry?.forwarding?.method ?? vs.forwarding?.method ?? 'NAT';
  const sorryPort = sorry !== undefined && sorryMethod !== 'NAT' ? (sorry.port ?? 0) : 0;
  if (group) {
    if (hasFwmark) {
      for (const rs of rsPorted)
        warn(
          rs.at,
          'real_server',
          `fwmark virtual server ${name}, real server ${rs.address} has port specified - port will be ignored`,
        );
      if (sorry && sorryPort !== 0)
        warn(sorry.at, 'sorry_server', `fwmark virtual server ${name}, sorry server has port specified`);
    }
    for (const e of group.entries) {
      if (e.kind !== 'address') continue;
      for (const rs of rsPorted)
        if ((e.port ?? 0) !== rs.port)
          warn(rs.at, 'real_server', `virtual server ${name}:[${e.first}] and real server ports don't match`);
      if (sorry && sorryPort !== 0 && (e.port ?? 0) !== sorryPort)
        warn(sorry.at, 'sorry_server', `virtual server ${name}, sorry server has port specified`);
    }
    return;
  }
  const fwmark = vs.key.kind === 'fwmark';
  const vsPort = vs.key.kind === 'address' ? (vs.key.port ?? 0) : 0;
  for (const rs of rsPorted) {
    if (fwmark)
      warn(
        rs.at,
        'real_server',
        `fwmark virtual server ${name}, real server ${rs.address} has port specified - clearing`,
      );
    else if (rs.port !== vsPort)
      warn(
        rs.at,
        'real_server',
        `virtual server ${name} and real server ${rs.address} ports don't match - resetting to ${vsPort}`,
      );
  }
  if (sorry && sorryPort !== 0) {
    if (fwmark)
      warn(
        sorry.at,
        'sorry_server',
        `fwmark virtual server ${name}, sorry server has port specified - clearing`,
      );
    else if (sorryPort !== vsPort)
      warn(sorry.at, 'sorry_server', `virtual server ${name} and sorry server ports don't match - resetting`);
  }
}
