// The checker side of the SNMP snapshot from the config model and what the checker knows at run time
// (which real servers are up, their weights, failed checks, IPVS counters). keepalived's defaults and
// inheritance come from the config layer (lvs-defaults.ts); runtime facts are keyed as the checker keys
// them (check/from-model.ts virtualServerLabel / realServerId). Not compared with keepalived here: its
// checker needs IPVS, which the kernel tests' machine lacks (the views follow check_snmp.c). Pure.
import type { Model } from '../config/index.js';
import type { GlobalDefs } from '../config/model/global/global.js';
import type { Forwarding, RealServer, SorryServer, VirtualServer } from '../config/model/lvs/types.js';
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_DELAY_LOOP,
  DEFAULT_PROTOCOL,
  DEFAULT_SCHEDULER,
  effectiveForwarding,
  effectiveRealServer,
} from '../config/model/lvs/defaults.js';
import { parseIpv4 } from '../common/inet.js';
import { splitQuotedEscaped } from '../config/lexical.js';
import { realServerId, virtualServerLabel } from '../check/schedule/from-model.js';
import { globalInfo, type HostFacts } from './from-model.js';
import type {
  CheckerInfo,
  IpvsStats,
  RealServerInfo,
  SnmpSnapshot,
  TunnelInfo,
  VirtualServerInfo,
  VsGroupInfo,
} from './snapshot.js';
import { zeroIpvsStats } from './snapshot.js';

export interface RealServerRuntime {
  alive?: boolean;
  /** The weight in IPVS now. */
  weight?: number;
  failedChecks?: number;
  stats?: IpvsStats;
  activeConns?: number;
  inactiveConns?: number;
  persistentConns?: number;
}

export interface VirtualServerRuntime {
  alive?: boolean;
  quorumUp?: boolean;
  stats?: IpvsStats;
  /** The sorry server's IPVS counters. */
  sorry?: RealServerRuntime;
}

export interface CheckerRuntime {
  /** By check/from-model.ts realServerId(vs, rs). */
  realServers?: ReadonlyMap<string, RealServerRuntime>;
  /** By check/from-model.ts virtualServerLabel(vs). */
  virtualServers?: ReadonlyMap<string, VirtualServerRuntime>;
  resolveCommand?: (words: string[]) => string[];
}

const US = 1_000_000;
/** IP_VS_SVC_F_SCHED1..3: sh-/mh- flags share the first two bits. */
const SCHED_BIT: Record<string, number> = {
  'flag-1': 1,
  'sh-fallback': 1,
  'mh-fallback': 1,
  'flag-2': 2,
  'sh-port': 2,
  'mh-port': 2,
  'flag-3': 3,
};

function tunnel(f: Forwarding): TunnelInfo | undefined {
  if (f.method !== 'TUN' || !f.tunnel) return undefined;
  const t: TunnelInfo = { type: f.tunnel.type };
  if (f.tunnel.port !== undefined) t.port = f.tunnel.port;
  if (f.tunnel.checksum !== undefined) t.checksum = f.tunnel.checksum;
  return t;
}

/** persistence_granularity: an IPv4 netmask as a number, or an IPv6 prefix length; unset, all ones
 * (keepalived's alloc_vs default, which its SNMP shows as FF FF FF FF). */
function granularity(text: string | undefined): number {
  if (text === undefined) return 0xffffffff;
  const v4 = parseIpv4(text);
  if (v4 >= 0) return v4 >>> 0;
  return /^\d+$/.test(text) ? Number(text) : 0;
}

function sorryServerInfo(
  s: SorryServer,
  vs: VirtualServer,
  vsPort: number,
  rt: RealServerRuntime | undefined,
): RealServerInfo {
  const f = s.forwarding ?? vs.forwarding ?? { method: 'NAT' };
  const info: RealServerInfo = {
    family: s.family,
    address: s.address,
    port: s.port ?? vsPort,
    alive: false,
    weight: 0,
    upperLimit: 0,
    lowerLimit: 0,
    inhibit: s.inhibit,
    failedChecks: 0,
    stats: rt?.stats ?? zeroIpvsStats(),
    activeConns: rt?.activeConns ?? 0,
    inactiveConns: rt?.inactiveConns ?? 0,
    persistentConns: rt?.persistentConns ?? 0,
    forwarding: f.method,
    alpha: false,
    smtpAlert: false,
    connectTimeoutUs: 0,
  };
  const t = tunnel(f);
  if (t) info.tunnel = t;
  return info;
}

function realServerInfo(
  vs: VirtualServer,
  rs: RealServer,
  vsPort: number,
  g: GlobalDefs,
  rt: RealServerRuntime | undefined,
  words: (c: string | undefined) => string[] | undefined,
): RealServerInfo {
  const e = effectiveRealServer(vs, rs);
  const f = effectiveForwarding(vs, rs);
  const info: RealServerInfo = {
    family: rs.family,
    address: rs.address,
    port: rs.port ?? vsPort,
    // A real server without checkers is up from the start.
    alive: rt?.alive ?? rs.checkers.length === 0,
    weight: rt?.weight ?? e.weight,
    upperLimit: rs.uthreshold ?? 0,
    lowerLimit: rs.lthreshold ?? 0,
    inhibit: e.inhibitOnFailure,
    failedChecks: rt?.failedChecks ?? 0,
    stats: rt?.stats ?? zeroIpvsStats(),
    activeConns: rt?.activeConns ?? 0,
    inactiveConns: rt?.inactiveConns ?? 0,
    persistentConns: rt?.persistentConns ?? 0,
    forwarding: f.method,
    alpha: e.alpha,
    delayLoopUs: Math.round(e.delayLoop * US),
    // keepalived's default for real servers is on, unlike every other object (smtp-alert-policy.ts).
    smtpAlert: rs.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert ?? true,
    connectTimeoutUs: Math.round(e.connectTimeout * US),
  };
  const t = tunnel(f);
  if (t) info.tunnel = t;
  const up = words(rs.notifyUp?.command);
  if (up) info.notifyUp = up;
  const down = words(rs.notifyDown?.command);
  if (down) info.notifyDown = down;
  if (e.retry !== undefined) info.retry = e.retry;
  if (e.delayBeforeRetry !== undefined) info.delayBeforeRetryUs = Math.round(e.delayBeforeRetry * US);
  if (e.warmup !== undefined) info.warmupUs = Math.round(e.warmup * US);
  if (rs.virtualhost !== undefined) info.virtualhost = rs.virtualhost;
  if (rs.snmpName !== undefined) info.snmpName = rs.snmpName;
  return info;
}

export function checkerInfo(model: Model, runtime: CheckerRuntime = {}): CheckerInfo {
  const g = model.global;
  const resolve = runtime.resolveCommand ?? ((w: string[]) => w);
  const words = (command: string | undefined): string[] | undefined => {
    if (command === undefined) return undefined;
    const split = splitQuotedEscaped(command);
    return 'words' in split && split.words.length > 0 ? resolve(split.words) : undefined;
  };
  const vsGroups: VsGroupInfo[] = model.virtualServerGroups.map((group) => ({
    name: group.name,
    members: [
      ...group.entries.flatMap((e) =>
        e.kind === 'fwmark' ? [{ kind: 'fwmark' as const, fwmark: e.fwmark }] : [],
      ),
      ...group.entries.flatMap((e) =>
        e.kind === 'address'
          ? [{ kind: 'range' as const, family: e.family, first: e.first, last: e.last, port: e.port ?? 0 }]
          : [],
      ),
    ],
  }));
  const virtualServers = model.virtualServers.map((vs): VirtualServerInfo => {
    const k = vs.key;
    const rt = runtime.virtualServers?.get(virtualServerLabel(vs));
    const port = k.kind === 'address' ? (k.port ?? 0) : 0;
    const f = vs.forwarding ?? { method: 'NAT' };
    const bits = new Set(vs.schedFlags.map((x) => SCHED_BIT[x]));
    const realServers = vs.realServers.map((rs) =>
      realServerInfo(vs, rs, port, g, runtime.realServers?.get(realServerId(vs, rs)), words),
    );
    const info: VirtualServerInfo = {
      kind: k.kind,
      family: k.kind === 'address' ? k.family : (vs.ipFamily ?? 4),
      protocol: (vs.protocol ?? DEFAULT_PROTOCOL).toLowerCase() as VirtualServerInfo['protocol'],
      scheduler: vs.scheduler ?? DEFAULT_SCHEDULER,
      forwarding: f.method,
      alive: rt?.alive ?? true,
      persistenceTimeout: vs.persistenceTimeout ?? 0,
      persistenceGranularity: granularity(vs.persistenceGranularity),
      delayLoopUs: Math.round((vs.delayLoop ?? DEFAULT_DELAY_LOOP) * US),
      haSuspend: vs.haSuspend,
      onePacket: vs.ops,
      alpha: vs.alpha,
      omega: vs.omega,
      quorum: vs.quorum ?? 1,
      quorumUp: rt?.quorumUp ?? true,
      hysteresis: vs.hysteresis ?? 0,
      stats: rt?.stats ?? zeroIpvsStats(),
      flags: {
        hashed: false,
        shFallback: bits.has(1),
        shPort: bits.has(2),
        mhFallback: bits.has(1),
        mhPort: bits.has(2),
        sched3: bits.has(3),
      },
      inhibit: vs.inhibitOnFailure,
      weight: vs.weight ?? 1,
      smtpAlert: vs.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert ?? false,
      connectTimeoutUs: Math.round((vs.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT) * US),
      realServers,
    };
    if (k.kind === 'group') info.groupName = k.group;
    if (k.kind === 'fwmark') info.fwmark = k.fwmark;
    if (k.kind === 'address') {
      info.address = k.address;
      info.port = port;
    }
    const t = tunnel(f);
    if (t) info.tunnel = t;
    const up = words(vs.quorumUp?.command);
    if (up) info.quorumUpCommand = up;
    const down = words(vs.quorumDown?.command);
    if (down) info.quorumDownCommand = down;
    if (vs.retry !== undefined) info.retry = vs.retry;
    if (vs.delayBeforeRetry !== undefined) info.delayBeforeRetryUs = Math.round(vs.delayBeforeRetry * US);
    if (vs.warmup !== undefined) info.warmupUs = Math.round(vs.warmup * US);
    if (vs.virtualhost !== undefined) info.virtualhost = vs.virtualhost;
    if (vs.snmpName !== undefined) info.snmpName = vs.snmpName;
    if (vs.sorryServer) info.sorryServer = sorryServerInfo(vs.sorryServer, vs, port, rt?.sorry);
    return info;
  });
  const info: CheckerInfo = { vsGroups, virtualServers, lvsTimeouts: {} };
  const t = g.lvsTimeouts;
  if (t?.tcp !== undefined) info.lvsTimeouts.tcp = t.tcp;
  if (t?.tcpfin !== undefined) info.lvsTimeouts.tcpFin = t.tcpfin;
  if (t?.udp !== undefined) info.lvsTimeouts.udp = t.udp;
  const sync = g.lvsSyncDaemon;
  if (sync) {
    const owner = model.instances.find((i) => i.name === sync.instance);
    info.lvsSyncDaemon = {
      interface: sync.interface,
      syncId: sync.syncId ?? owner?.virtualRouterId ?? 0,
      maxLen: sync.maxlen ?? 0,
      port: sync.port ?? 8848,
      ttl: sync.ttl ?? 1,
    };
    if (sync.instance !== undefined) info.lvsSyncDaemon.instance = sync.instance;
    if (sync.group !== undefined) {
      const family = sync.group.includes(':') ? 6 : 4;
      info.lvsSyncDaemon.mcastGroup = { family, address: sync.group };
    }
  }
  return info;
}

/** The checker process's snapshot: the global objects and its own. */
export function checkerSnapshotFromModel(
  model: Model,
  version: string,
  host: HostFacts,
  runtime: CheckerRuntime = {},
): SnmpSnapshot {
  return { global: globalInfo(model, version, host), checker: checkerInfo(model, runtime) };
}
