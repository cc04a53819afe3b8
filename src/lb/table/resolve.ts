// From the as-written config model to the virtual servers keepalived actually runs: its post-parse rules
// (check_parser.c vs_end_handler, ipwrapper.c link_vsg_to_vs, check_data.c validate_check_config) applied
// once, so desired.ts and tracker.ts work on settled values. What keepalived fixes with a warning is
// fixed the same way here (the config layer reports it at -t); what keepalived drops is dropped and
// listed in `ignored`.
import type { Family } from '../../config/model/shared/ip.js';
import {
  DEFAULT_FORWARDING,
  DEFAULT_PERSISTENCE_TIMEOUT,
  DEFAULT_PROTOCOL,
  DEFAULT_SCHEDULER,
  effectiveCheckTimings,
  effectiveForwarding,
  effectiveWeight,
} from '../../config/model/lvs/defaults.js';
import type {
  CheckerKind,
  Forwarding,
  LvsMethod,
  LvsProtocol,
  LvsSchedFlag,
  LvsScheduler,
  RealServer,
  ScriptRef,
  TunnelOptions,
  VirtualServer,
  VirtualServerGroup,
} from '../../config/model/lvs/types.js';
import { realServerId } from '../../check/schedule/from-model.js';
import { identity } from '../../config/model/lvs/consistency.js';
import { groupFamilies, lbFamily, rangeAddresses } from './groups.js';
import { addressTrio, fwmarkName, groupMemberName } from './names.js';
import type { LbFamily, ServiceAttributes, ServiceKey } from './types.js';

/** check_nftables.h: nftables_ipvs's table without a name, and its first mark. */
const DEFAULT_MARK_TABLE = 'keepalived_ipvs';
const DEFAULT_START_FWMARK = 1000;

/** keepalived's IPVS_WEIGHT_LIMIT (INT32_MAX): real_weight() clamps effective weights to 0..this. */
export const WEIGHT_LIMIT = 2147483647;

/** lvs_flush_on_stop: none (remove our services one real server at a time), VS (each service whole),
 * full (flush the whole kernel table). */
export type FlushOnStop = 'none' | 'vs' | 'full';

export interface LbRealServer {
  /** The checker scheduler's id for this server (check/schedule/from-model.ts realServerId). */
  id: string;
  /** keepalived's FMT_RS: "[10.0.0.2]:tcp:80". */
  name: string;
  family: LbFamily;
  address: string;
  /** After keepalived's fix-ups (0: none; for NAT on a fwmark or group service, the packet's port). */
  port: number;
  /** The configured weight (keepalived's iweight). */
  weight: number;
  method: LvsMethod;
  /** TUN only, with keepalived's defaults filled in (ipip, nocsum). */
  tunnel?: TunnelOptions;
  inhibit: boolean;
  upperThreshold: number;
  lowerThreshold: number;
  notifyUp?: ScriptRef;
  notifyDown?: ScriptRef;
  /** An alpha checker: the server is down until its checkers succeed. */
  startsDown: boolean;
  /** The server's checkers in order; `launched` is false for FILE_CHECK and BFD_CHECK, which keepalived
   * queues without a thread of their own (they never log "Activating healthchecker"). */
  checkers: ReadonlyArray<{ kind: CheckerKind; launched: boolean }>;
}

export interface LbSorryServer {
  name: string;
  family: LbFamily;
  address: string;
  port: number;
  method: LvsMethod;
  tunnel?: TunnelOptions;
  /** sorry_server_inhibit: kept at weight 0 while not needed. */
  inhibit: boolean;
  /** The sorry server is also one of the real servers (same address and port as written). */
  duplicatesRealServer: boolean;
}

export interface LbVirtualServer {
  /** Position in model.virtualServers (the tracker's quorum states are indexed by position here). */
  modelIndex: number;
  /** keepalived's FMT_VS: "[10.0.0.1]:tcp:80", "FWM 5", "[GROUP]:0". */
  name: string;
  /** Undefined for a group holding both families. */
  family: LbFamily | undefined;
  /** keepalived's service_type: undefined ("none") for firewall-mark-only services. */
  protocol: LvsProtocol | undefined;
  /** The kernel services, in keepalived's order (group: address ranges expanded, then fwmarks). */
  services: ServiceAttributes[];
  realServers: LbRealServer[];
  sorryServer?: LbSorryServer;
  /** After keepalived's bounds: quorum <= total configured weight, hysteresis < quorum (uint32). */
  quorum: number;
  hysteresis: number;
  quorumUp?: ScriptRef;
  quorumDown?: ScriptRef;
  omega: boolean;
  /** ha_suspend, cleared where keepalived clears it (firewall marks). */
  haSuspend: boolean;
  /** The address whose presence on this host activates the checkers; undefined with ha_suspend on a
   * group, which keepalived 2.2.7 never matches (its checkers stay suspended). */
  haSuspendAddress?: string;
}

export interface LbConfig {
  virtualServers: LbVirtualServer[];
  /** rs_init_notifies: notify_up for the real servers found up at start. */
  rsInitNotifies: boolean;
  /** lvs_flush: empty the whole kernel table at start (not at a reload), before our services go in. */
  flushOnStart: boolean;
  flushOnStop: FlushOnStop;
  /** lvs_timeouts (seconds; unset: the kernel's own), set at start; keepalived skips it when all are 0. */
  timeouts?: { tcp?: number; tcpfin?: number; udp?: number };
  /** Virtual servers keepalived ignores, with its reason. */
  ignored: string[];
  /** nftables_ipvs (IPVS only): the groups' addresses marked by nftables for one fwmark service each. */
  groupMarks?: GroupMarks;
}

/**
 * nftables_ipvs, as keepalived's check_nftables.c: a virtual_server_group without fwmark entries is not
 * one IPVS service per address but one fwmark service per protocol (per family of its addresses); an
 * nftables map of the group's address ranges and ports sets that mark on packets as they come in.
 */
export interface GroupMarks {
  table: string;
  /** The input chain's priority (nftables_ipvs_priority). */
  priority: number;
  /** nftables_counters: a counter on the rules and on each element. */
  counters: boolean;
  /** Every marked range, in the order keepalived adds them (its maps and rules follow the first of each). */
  ranges: MarkedRange[];
  /** The marks given so far, carried over a reload (keepalived keeps a group's mark and counts on). */
  given: MarkAllocation;
}

export interface MarkedRange {
  family: LbFamily;
  protocol: LvsProtocol;
  first: string;
  last: string;
  port: number;
  fwmark: number;
}

/** Marks by group and protocol, and the next one to give (nftables_ipvs_start_fwmark at first). */
export interface MarkAllocation {
  marks: ReadonlyMap<string, number>;
  next: number;
}

export interface LbModel {
  virtualServerGroups: readonly VirtualServerGroup[];
  virtualServers: readonly VirtualServer[];
  global?: {
    rsInitNotifies?: boolean;
    lvsFlush?: boolean;
    lvsFlushOnStop?: string;
    lvsTimeouts?: { tcp?: number; tcpfin?: number; udp?: number };
    nftablesIpvs?: string;
    nftablesIpvsPriority?: number;
    nftablesIpvsStartFwmark?: number;
    nftablesCounters?: boolean;
  };
}

/** How resolveLbConfig treats nftables_ipvs: only an IPVS table uses the marks (`previous`: the marks
 * the configuration before a reload had given). */
export interface MarkOptions {
  ipvs: boolean;
  previous?: MarkAllocation;
}

const SCHED_FLAG_BITS: Record<LvsSchedFlag, number> = {
  'flag-1': 1,
  'flag-2': 2,
  'flag-3': 3,
  'sh-fallback': 1,
  'sh-port': 2,
  'mh-fallback': 1,
  'mh-port': 2,
};

/** The scheduler flags as the kernel bits they set, spelled in the scheduler's own words, in bit order:
 * flag-1 and sh-fallback are one bit, so a table compares equal however the config spelled it. */
export function canonicalSchedFlags(scheduler: LvsScheduler, flags: readonly LvsSchedFlag[]): LvsSchedFlag[] {
  const bits = new Set(flags.map((f) => SCHED_FLAG_BITS[f]));
  const names: Record<number, LvsSchedFlag> =
    scheduler === 'sh'
      ? { 1: 'sh-fallback', 2: 'sh-port', 3: 'flag-3' }
      : scheduler === 'mh'
        ? { 1: 'mh-fallback', 2: 'mh-port', 3: 'flag-3' }
        : { 1: 'flag-1', 2: 'flag-2', 3: 'flag-3' };
  return [1, 2, 3].filter((b) => bits.has(b)).map((b) => names[b] as LvsSchedFlag);
}

/** TUN with keepalived's defaults (ipip, no checksum); nothing for NAT and DR. */
export function tunnelOf(f: Forwarding): TunnelOptions | undefined {
  if (f.method !== 'TUN') return undefined;
  const type = f.tunnel?.type ?? 'ipip';
  const tunnel: TunnelOptions = { type, checksum: f.tunnel?.checksum ?? 'nocsum' };
  if (type === 'gue' && f.tunnel?.port !== undefined) tunnel.port = f.tunnel.port;
  return tunnel;
}

function familyOfGranularity(text: string): Family {
  return text.includes('.') ? 4 : 6;
}

/**
 * The virtual server's address family before its group is consulted: the address, ip_family,
 * persistence_granularity, the first non-tunnelled real server, the sorry server (check_parser.c).
 */
function declaredFamily(vs: VirtualServer): Family | undefined {
  if (vs.key.kind === 'address') return vs.key.family;
  if (vs.ipFamily !== undefined) return vs.ipFamily;
  if (vs.persistenceGranularity !== undefined) return familyOfGranularity(vs.persistenceGranularity);
  const direct = vs.realServers.find((rs) => effectiveForwarding(vs, rs).method !== 'TUN');
  if (direct) return direct.family;
  const ss = vs.sorryServer;
  if (ss && (ss.forwarding ?? vs.forwarding ?? DEFAULT_FORWARDING).method !== 'TUN') return ss.family;
  return undefined;
}

/** A fwmark virtual server whose servers are all tunnelled: the servers' common family, else IPv4. */
function tunnelledFamily(vs: VirtualServer): Family {
  const families = new Set<Family>(vs.realServers.map((rs) => rs.family));
  if (vs.sorryServer) families.add(vs.sorryServer.family);
  return families.size === 1 ? ([...families][0] as Family) : 4;
}

interface GroupBinding {
  group: VirtualServerGroup;
  family: Family | undefined;
}

/** link_vsg_to_vs: the group must exist and agree with the virtual server's family. */
function bindGroup(
  vs: VirtualServer,
  groups: ReadonlyMap<string, VirtualServerGroup>,
  label: string,
): GroupBinding | string {
  if (vs.key.kind !== 'group') throw new Error('not a group virtual server');
  const group = groups.get(vs.key.group);
  if (!group)
    return `Virtual server group ${vs.key.group} specified but not configured - ignoring virtual server ${label}`;
  const { ipv4, ipv6 } = groupFamilies(group);
  const declared = declaredFamily(vs);
  if (ipv4 && ipv6 && declared !== undefined)
    return `${group.name}: virtual server group with IPv4 & IPv6 doesn't match virtual server ${label} - ignoring`;
  if ((ipv4 && declared === 6) || (ipv6 && declared === 4))
    return `${group.name}: address family doesn't match virtual server ${label} - ignoring`;
  const family = ipv4 && !ipv6 ? 4 : ipv6 && !ipv4 ? 6 : declared;
  return { group, family };
}

function realServerPort(
  vs: VirtualServer,
  rs: { port?: number },
  method: LvsMethod,
  grouped: boolean,
): number {
  const own = rs.port ?? 0;
  if (grouped) return own;
  if (vs.key.kind === 'fwmark') return method === 'NAT' ? own : 0;
  const vsPort = vs.key.kind === 'address' ? (vs.key.port ?? 0) : 0;
  if (method === 'NAT') return own !== 0 ? own : vsPort;
  return vsPort;
}

function sorryServerPort(
  vs: VirtualServer,
  port: number | undefined,
  method: LvsMethod,
  grouped: boolean,
): number {
  // Unlike a real server, a NAT sorry server without a port keeps port 0.
  if (grouped || method === 'NAT') return port ?? 0;
  return vs.key.kind === 'address' ? (vs.key.port ?? 0) : 0;
}

function buildServices(
  vs: VirtualServer,
  binding: GroupBinding | undefined,
  family: Family | undefined,
  protocol: LvsProtocol | undefined,
  base: Omit<ServiceAttributes, 'key' | 'persistence'>,
  persistenceTimeout: number | undefined,
  /** nftables_ipvs: the mark the group's addresses get for this protocol (asked only when they can). */
  groupMark?: (group: VirtualServerGroup, protocol: LvsProtocol) => number | undefined,
): ServiceAttributes[] {
  const withKey = (key: ServiceKey): ServiceAttributes => {
    const service: ServiceAttributes = { key, ...base };
    if (persistenceTimeout !== undefined) {
      const g = vs.persistenceGranularity;
      const granularity =
        key.family === 'inet'
          ? g !== undefined && familyOfGranularity(g) === 4
            ? g
            : '255.255.255.255'
          : g !== undefined && familyOfGranularity(g) === 6
            ? g
            : '128';
      service.persistence = { timeoutS: persistenceTimeout, granularity };
      if (vs.persistenceEngine !== undefined) service.persistenceEngine = vs.persistenceEngine;
    }
    return service;
  };
  const k = vs.key;
  if (k.kind === 'address') {
    return [
      withKey({
        kind: 'address',
        family: lbFamily(k.family),
        protocol: protocol ?? DEFAULT_PROTOCOL,
        address: k.address,
        port: k.port ?? 0,
      }),
    ];
  }
  if (k.kind === 'fwmark')
    return [withKey({ kind: 'fwmark', family: lbFamily(family ?? 4), fwmark: k.fwmark })];
  const entries = binding?.group.entries ?? [];
  const services: ServiceAttributes[] = [];
  const marked =
    binding !== undefined && protocol !== undefined && !entries.some((e) => e.kind === 'fwmark')
      ? groupMark?.(binding.group, protocol)
      : undefined;
  if (marked !== undefined) {
    const { ipv4, ipv6 } = groupFamilies(binding!.group);
    if (ipv4) services.push(withKey({ kind: 'fwmark', family: 'inet', fwmark: marked }));
    if (ipv6) services.push(withKey({ kind: 'fwmark', family: 'inet6', fwmark: marked }));
    return services;
  }
  for (const e of entries) {
    if (e.kind !== 'address') continue;
    for (const address of rangeAddresses(e))
      services.push(
        withKey({
          kind: 'address',
          family: lbFamily(e.family),
          protocol: protocol ?? DEFAULT_PROTOCOL,
          address,
          port: e.port ?? 0,
        }),
      );
  }
  for (const e of entries) {
    if (e.kind !== 'fwmark') continue;
    services.push(withKey({ kind: 'fwmark', family: lbFamily(e.family ?? family ?? 4), fwmark: e.fwmark }));
  }
  return services;
}

function resolveRealServer(
  vs: VirtualServer,
  rs: RealServer,
  protocol: LvsProtocol | undefined,
  grouped: boolean,
): LbRealServer {
  const forwarding = effectiveForwarding(vs, rs);
  const port = realServerPort(vs, rs, forwarding.method, grouped);
  const out: LbRealServer = {
    id: realServerId(vs, rs),
    name: addressTrio(rs.address, protocol, port),
    family: lbFamily(rs.family),
    address: rs.address,
    port,
    weight: effectiveWeight(vs, rs),
    method: forwarding.method,
    inhibit: rs.inhibitOnFailure ?? vs.inhibitOnFailure,
    upperThreshold: rs.uthreshold ?? 0,
    lowerThreshold: rs.lthreshold ?? 0,
    startsDown: rs.checkers.some((c) => effectiveCheckTimings(vs, rs, c).alpha),
    checkers: rs.checkers.map((c) => ({
      kind: c.kind,
      launched: c.kind !== 'FILE_CHECK' && c.kind !== 'BFD_CHECK',
    })),
  };
  const tunnel = tunnelOf(forwarding);
  if (tunnel) out.tunnel = tunnel;
  if (rs.notifyUp) out.notifyUp = rs.notifyUp;
  if (rs.notifyDown) out.notifyDown = rs.notifyDown;
  return out;
}

function flushMode(word: string | undefined): FlushOnStop {
  if (word === '') return 'full';
  if (word === 'VS') return 'vs';
  return 'none';
}

/** The virtual servers of `model` as keepalived runs them. */
export function resolveLbConfig(model: LbModel, markOptions?: MarkOptions): LbConfig {
  const groups = new Map<string, VirtualServerGroup>();
  for (const g of model.virtualServerGroups) if (!groups.has(g.name)) groups.set(g.name, g);
  const config: LbConfig = {
    virtualServers: [],
    rsInitNotifies: model.global?.rsInitNotifies ?? false,
    flushOnStart: model.global?.lvsFlush ?? false,
    flushOnStop: flushMode(model.global?.lvsFlushOnStop),
    ignored: [],
  };
  const t = model.global?.lvsTimeouts;
  if (t && (t.tcp || t.tcpfin || t.udp)) config.timeouts = { ...t };
  const marking = groupMarking(model, markOptions);
  if (marking) config.groupMarks = marking.marks;
  const members = new Map<string, number>();
  // A virtual server written twice is one IPVS service in keepalived: the second one's "add service" fails
  // as existing, which it ignores (ipvswrapper.c ipvs_talk), and its real servers join the first one's
  // service, whose settings stay. Twins of one that keepalived drops (below) do not count.
  const running = new Map<string, LbVirtualServer>();
  model.virtualServers.forEach((vs, modelIndex) => {
    let binding: GroupBinding | undefined;
    let name: string;
    if (vs.key.kind === 'group') {
      const bound = bindGroup(vs, groups, `[${vs.key.group}]:0`);
      if (typeof bound === 'string') {
        config.ignored.push(bound);
        return;
      }
      binding = bound;
      // Members are numbered among the virtual servers the group accepted, before empty ones are dropped.
      const member = members.get(vs.key.group) ?? 0;
      members.set(vs.key.group, member + 1);
      name = groupMemberName(vs.key.group, member);
    } else name = '';
    const resolved = resolveVirtualServer(vs, modelIndex, binding, name, marking?.markFor);
    if (typeof resolved === 'string') {
      config.ignored.push(resolved);
      return;
    }
    const twin = running.get(identity(vs));
    if (twin === undefined) {
      running.set(identity(vs), resolved);
      config.virtualServers.push(resolved);
    } else
      for (const rs of resolved.realServers)
        if (!twin.realServers.some((r) => r.id === rs.id)) twin.realServers.push(rs);
  });
  return config;
}

/** nftables_ipvs with an IPVS table: the marks, given as keepalived gives them (set_vs_fwmark) when a
 * virtual server of a group is first added, its group's ranges marked then. */
function groupMarking(
  model: LbModel,
  options: MarkOptions | undefined,
): { marks: GroupMarks; markFor: (group: VirtualServerGroup, protocol: LvsProtocol) => number } | undefined {
  const g = model.global;
  if (!options?.ipvs || g?.nftablesIpvs === undefined) return undefined;
  // A group the configuration still has keeps its mark; one it dropped gives its mark up for good.
  const before = options.previous?.marks ?? new Map<string, number>();
  const given = new Map<string, number>();
  let next = options.previous?.next ?? g.nftablesIpvsStartFwmark ?? DEFAULT_START_FWMARK;
  const marks: GroupMarks = {
    table: g.nftablesIpvs === '' ? DEFAULT_MARK_TABLE : g.nftablesIpvs,
    priority: g.nftablesIpvsPriority ?? -1,
    counters: g.nftablesCounters ?? false,
    ranges: [],
    given: { marks: given, next },
  };
  const marked = new Set<string>();
  const markFor = (group: VirtualServerGroup, protocol: LvsProtocol): number => {
    const id = `${group.name}\u0000${protocol}`;
    let fwmark = given.get(id);
    if (fwmark === undefined) {
      fwmark = before.get(id) ?? next++;
      given.set(id, fwmark);
      marks.given = { marks: given, next };
    }
    if (!marked.has(id)) {
      marked.add(id);
      for (const e of group.entries)
        if (e.kind === 'address')
          marks.ranges.push({
            family: lbFamily(e.family),
            protocol,
            first: e.first,
            last: e.last,
            port: e.port ?? 0,
            fwmark,
          });
    }
    return fwmark;
  };
  return { marks, markFor };
}

function resolveVirtualServer(
  vs: VirtualServer,
  modelIndex: number,
  binding: GroupBinding | undefined,
  groupName: string,
  groupMark?: (group: VirtualServerGroup, protocol: LvsProtocol) => number,
): LbVirtualServer | string {
  const k = vs.key;
  const entries = binding?.group.entries ?? [];
  const hasAddresses = k.kind === 'address' || entries.some((e) => e.kind === 'address');
  const hasFwmarks = k.kind === 'fwmark' || entries.some((e) => e.kind === 'fwmark');
  // Firewall-mark services ignore the protocol; address services default to UDP, as the kernel would.
  const protocol = hasAddresses ? (vs.protocol ?? DEFAULT_PROTOCOL) : undefined;
  const family =
    k.kind === 'address'
      ? k.family
      : k.kind === 'fwmark'
        ? (declaredFamily(vs) ?? tunnelledFamily(vs))
        : binding?.family;
  const name =
    k.kind === 'address'
      ? addressTrio(k.address, protocol, k.port ?? 0)
      : k.kind === 'fwmark'
        ? fwmarkName(k.fwmark)
        : groupName;
  if (vs.realServers.length === 0) return `Virtual server ${name} has no real servers - ignoring`;

  let persistenceTimeout =
    vs.persistenceTimeout ??
    (vs.persistenceGranularity !== undefined ? DEFAULT_PERSISTENCE_TIMEOUT : undefined);
  const portless =
    k.kind === 'address'
      ? k.port === undefined
      : entries.some((e) => e.kind === 'address' && e.port === undefined);
  if (persistenceTimeout === undefined && portless) persistenceTimeout = DEFAULT_PERSISTENCE_TIMEOUT;

  const scheduler = vs.scheduler ?? DEFAULT_SCHEDULER;
  const base = {
    scheduler,
    schedFlags: canonicalSchedFlags(scheduler, vs.schedFlags),
    // One-packet scheduling is reset on address services that are not UDP.
    onePacket: vs.ops && !(hasAddresses && protocol !== 'UDP'),
  };
  const grouped = binding !== undefined;
  const realServers = vs.realServers.map((rs) => resolveRealServer(vs, rs, protocol, grouped));

  const weightSum = realServers.reduce((sum, rs) => sum + rs.weight, 0);
  const quorum = Math.min(vs.quorum ?? 1, weightSum);
  const wantedHysteresis = vs.hysteresis ?? 0;
  // unsigned arithmetic, as keepalived's: quorum 0 gives hysteresis 0xffffffff
  const hysteresis = wantedHysteresis >= quorum ? (quorum - 1) >>> 0 : wantedHysteresis;

  const haSuspend = vs.haSuspend && !hasFwmarks;
  const out: LbVirtualServer = {
    modelIndex,
    name,
    family: family === undefined ? undefined : lbFamily(family),
    protocol,
    services: buildServices(vs, binding, family, protocol, base, persistenceTimeout, groupMark),
    realServers,
    quorum,
    hysteresis,
    omega: vs.omega,
    haSuspend,
  };
  if (haSuspend && k.kind === 'address') out.haSuspendAddress = k.address;
  if (vs.quorumUp) out.quorumUp = vs.quorumUp;
  if (vs.quorumDown) out.quorumDown = vs.quorumDown;

  const ss = vs.sorryServer;
  if (ss) {
    const forwarding = ss.forwarding ?? vs.forwarding ?? DEFAULT_FORWARDING;
    const port = sorryServerPort(vs, ss.port, forwarding.method, grouped);
    // Same address and port as written as a real server: keepalived shares the entry and its inhibit.
    const twin = vs.realServers.findIndex((rs) => rs.address === ss.address && rs.port === ss.port);
    const sorry: LbSorryServer = {
      name: addressTrio(ss.address, protocol, port),
      family: lbFamily(ss.family),
      address: ss.address,
      port,
      method: forwarding.method,
      inhibit: twin >= 0 ? (realServers[twin] as LbRealServer).inhibit : ss.inhibit,
      duplicatesRealServer: twin >= 0,
    };
    const tunnel = tunnelOf(forwarding);
    if (tunnel) sorry.tunnel = tunnel;
    out.sorryServer = sorry;
  }
  return out;
}

/** keepalived's names of every real server, by the checker scheduler's server id. */
export function serviceNames(config: LbConfig): Map<string, { rs: string; vs: string }> {
  const names = new Map<string, { rs: string; vs: string }>();
  for (const vs of config.virtualServers)
    for (const rs of vs.realServers) names.set(rs.id, { rs: rs.name, vs: vs.name });
  return names;
}
