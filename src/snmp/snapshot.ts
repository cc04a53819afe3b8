// What the SNMP views need to know, as plain data the daemon fills (from-model.ts builds most of it from the
// config, the engine's snapshot and a few host facts). Everything is already resolved: interface indexes,
// script command words as keepalived would run them, the state of each tracker. Nothing here knows OIDs;
// the views in mib/ decide how keepalived 2.2.7 shows each field. Pure types.

export type Family = 4 | 6;

/** keepalived's VRRP states (DELETED: an instance removed by a reload, sent in the trap only). */
export type SnmpVrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP' | 'DELETED';

export interface SnmpSnapshot {
  global: GlobalInfo;
  /** The VRRP process's objects: KEEPALIVED-MIB vrrp, VRRP-MIB, VRRPv3-MIB. */
  vrrp?: VrrpInfo;
  /** The checker process's objects: KEEPALIVED-MIB check. */
  checker?: CheckerInfo;
}

export interface GlobalInfo {
  /** "Keepalived vX (date)", keepalived's version line. */
  version: string;
  routerId?: string;
  smtpServer?: { family: Family; address: string; port: number };
  /** smtp_connect_timeout in seconds (keepalived: 30 by default when an smtp_server is set, else 0). */
  smtpConnectTimeoutS: number;
  emailFrom?: string;
  emails: string[];
  /** !no_email_faults. */
  emailFaults: boolean;
  /** smtp_alert, smtp_alert_vrrp, smtp_alert_checker; undefined when not written. */
  smtpAlert?: boolean;
  smtpAlertVrrp?: boolean;
  smtpAlertChecker?: boolean;
  trapsEnabled: boolean;
  linkbeatPolling: boolean;
  lvsFlush: boolean;
  lvsFlushOnStop: 'none' | 'full' | 'vs';
  /** Built with 64-bit IPVS counters (Debian's keepalived is). */
  ipvs64BitStats: boolean;
  netNamespace?: string;
  dbus: boolean;
  dynamicInterfaces: boolean;
}

/** An interface as the kernel knows it. */
export interface InterfaceInfo {
  name: string;
  index: number;
  /** Hardware address (6 bytes for Ethernet). */
  mac: Uint8Array;
  /** The interface's primary IPv4 address, and its IPv6 link-local one (keepalived's ifp->sin_addr,
   * ifp->sin6_addr); absent when it has none. */
  ipv4?: string;
  ipv6?: string;
}

export interface AddressInfo {
  family: Family;
  address: string;
  prefix: number;
  /** IPv4 broadcast; absent is 0.0.0.0. */
  broadcast?: string;
  /** Kernel scope number (0 global, 200 site, 253 link, 254 host, 255 nowhere). */
  scope: number;
  ifindex: number;
  ifname: string;
  label?: string;
  peer?: string;
  /** Whether the address is on the interface now (keepalived's `set`). */
  isSet: boolean;
}

export interface MetricWithLock {
  value: number;
  lock: boolean;
}

export interface NexthopInfo {
  family?: Family;
  gateway?: string;
  ifindex?: number;
  ifname?: string;
  /** `weight` as written (1..256). */
  weight?: number;
  onlink: boolean;
  realms?: number;
}

export type RouteTypeName =
  | 'unicast'
  | 'blackhole'
  | 'anycast'
  | 'multicast'
  | 'broadcast'
  | 'unreachable'
  | 'prohibit'
  | 'throw'
  | 'nat'
  | 'xresolve'
  | 'local';

export interface RouteInfo {
  family: Family;
  destination?: { address: string; prefix: number };
  gateway?: string;
  /** Preferred source (`src`). */
  prefSrc?: string;
  /** Source prefix (`from`). */
  from?: { address: string; prefix: number };
  metric: number;
  scope: number;
  type: RouteTypeName;
  oif?: { index: number; name: string };
  table: number;
  isSet: boolean;
  tos?: number;
  /** Routing protocol number when set (keepalived sets 18, RTPROT_KEEPALIVED, unless told otherwise). */
  protocol?: number;
  ecn: boolean;
  quickAck: boolean;
  expires?: number;
  mtu?: MetricWithLock;
  hoplimit?: number;
  advmss?: MetricWithLock;
  /** Milliseconds, as written. */
  rtt?: MetricWithLock;
  rttvar?: MetricWithLock;
  reordering?: MetricWithLock;
  window?: number;
  cwnd?: MetricWithLock;
  ssthresh?: MetricWithLock;
  rtoMin?: MetricWithLock;
  initcwnd?: number;
  initrwnd?: number;
  congctl?: string;
  pref?: 'low' | 'medium' | 'high';
  fastopenNoCookie?: boolean;
  realms?: number;
  nexthops: NexthopInfo[];
}

/** FR_ACT_* of linux/fib_rules.h. */
export const RULE_ACTION = {
  toTable: 1,
  goto: 2,
  nop: 3,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
} as const;

export interface RuleInfo {
  family: Family;
  from?: { address: string; prefix: number };
  to?: { address: string; prefix: number };
  /** FR_ACT_* (RULE_ACTION). */
  action: number;
  /** The table, for action toTable. */
  table?: number;
  gotoTarget?: number;
  isSet: boolean;
  invert: boolean;
  tos: number;
  fwmark?: number;
  fwmask?: number;
  realms?: number;
  iif?: string;
  oif?: string;
  preference?: number;
  suppressPrefixLen?: number;
  suppressGroup?: string;
  tunnelId?: bigint;
  uidRange?: { start: number; end: number };
  l3mdev?: boolean;
}

/** A tracker reference of an instance or sync group: the tracked object's name and, for interfaces and
 * scripts, the weight given at the reference. */
export interface TrackedRef {
  name: string;
  weight: number;
  reverse: boolean;
}

/** Notify scripts as argv words (keepalived shows them quoted one by one). */
export interface NotifyCommands {
  master?: string[];
  backup?: string[];
  fault?: string[];
  stop?: string[];
  deleted?: string[];
  masterRxLowerPri?: string[];
  /** The generic `notify` script. */
  generic?: string[];
}

/** keepalived's per-instance counters that the MIBs show. */
export interface VrrpCounters {
  becomeMaster: number;
  advertRcvd: number;
  advertIntervalErr: number;
  authFailure: number;
  ipTtlErr: number;
  priZeroRcvd: number;
  priZeroSent: number;
  invalidTypeRcvd: number;
  addrListErr: number;
  invalidAuthType: number;
  authTypeMismatch: number;
  packetLenErr: number;
  chkErr: number;
  versErr: number;
  vridErr: number;
}

/** RFC 6527 vrrpv3StatisticsNewMasterReason: notMaster(0), priority(1), preempted(2), masterNoResponse(3). */
export type MasterReason = 0 | 1 | 2 | 3;
/** RFC 6527 vrrpv3StatisticsProtoErrReason: noError(0), ipTtlError(1), versionError(2), checksumError(3),
 * vrIdError(4). */
export type ProtoErrorReason = 0 | 1 | 2 | 3 | 4;

export interface VrrpInstanceInfo {
  name: string;
  vrid: number;
  version: 2 | 3;
  family: Family;
  state: SnmpVrrpState;
  /** `state` as configured (MASTER or BACKUP). */
  configuredState: SnmpVrrpState;
  wantState: SnmpVrrpState;
  basePriority: number;
  effectivePriority: number;
  /** Whether the VIPs are up (keepalived's vipset). */
  vipsSet: boolean;
  /** The instance's interface (its VMAC when it has one). */
  interface?: InterfaceInfo;
  /** The interface under a VMAC (IF_BASE_INDEX): the RFC MIBs index by it; absent = `interface`. */
  baseInterface?: InterfaceInfo;
  trackInterfaces: TrackedRef[];
  advertIntervalCs: number;
  preempt: boolean;
  preemptDelayS: number;
  /** 0 none, 1 PASS, 2 AH (VRRPv2 only). */
  authType: 0 | 1 | 2;
  /** Set when the global lvs_sync_daemon follows this instance: its interface. */
  lvsSyncInterface?: string;
  syncGroup?: string;
  garpDelayS: number;
  smtpAlert: boolean;
  /** Whether any notify script is configured. */
  notifyExec: boolean;
  notify: NotifyCommands;
  accept: boolean;
  promoteSecondaries: boolean;
  linkbeatPolling: boolean;
  notifyDeleted: boolean;
  /** Destination of the adverts when multicast; absent for unicast instances. */
  multicastGroup?: string;
  vips: AddressInfo[];
  excludedVips: AddressInfo[];
  routes: RouteInfo[];
  rules: RuleInfo[];
  trackScripts: TrackedRef[];
  /** Names only: keepalived shows the tracked object's own weight (see VrrpInfo). */
  trackFiles: string[];
  trackBfds: string[];
  trackProcesses: string[];
  /** Source of the last advert from the master (keepalived's master_saddr); absent: never heard. */
  masterAddress?: string;
  /** Our own advert source address (keepalived's saddr), for the new-master notifications. */
  sourceAddress?: string;
  counters: VrrpCounters;
  masterReason: MasterReason;
  protoErrorReason: ProtoErrorReason;
  /** When the instance's uptime began (ms, the same clock as `VrrpInfo.startedAtMs` and `nowMs`). */
  upSinceMs: number;
}

export interface SyncGroupInfo {
  name: string;
  state: SnmpVrrpState;
  trackingWeight: boolean;
  smtpAlert: boolean;
  notifyExec: boolean;
  notify: NotifyCommands;
  members: string[];
  trackInterfaces: TrackedRef[];
  trackScripts: TrackedRef[];
  trackFiles: string[];
  trackBfds: string[];
  trackProcesses: string[];
}

export type ScriptResult = 'init' | 'bad' | 'good' | 'initFailed';

export interface ScriptInfo {
  name: string;
  command: string[];
  intervalS: number;
  weight: number;
  weightReverse: boolean;
  result: ScriptResult;
  rise: number;
  fall: number;
}

export interface TrackFileInfo {
  name: string;
  path: string;
  /** The value last read from the file. */
  value: number;
  weight: number;
  weightReverse: boolean;
}

export interface TrackBfdInfo {
  name: string;
  up: boolean;
  weight: number;
  weightReverse: boolean;
}

export interface TrackProcessInfo {
  name: string;
  path: string;
  /** Parameters joined by spaces ('' when none). */
  params: string;
  /** keepalived's param_match: 0 none, 1 exact, 2 partial, 3 initial. */
  paramMatch: number;
  weight: number;
  weightReverse: boolean;
  quorum: number;
  quorumMax: number;
  forkDelay: number;
  terminateDelay: number;
  fullCommand: boolean;
  running: number;
  haveQuorum: boolean;
}

export interface VrrpInfo {
  instances: VrrpInstanceInfo[];
  syncGroups: SyncGroupInfo[];
  staticAddresses: AddressInfo[];
  staticRoutes: RouteInfo[];
  staticRules: RuleInfo[];
  scripts: ScriptInfo[];
  files: TrackFileInfo[];
  bfds: TrackBfdInfo[];
  processes: TrackProcessInfo[];
  /** When the VRRP side's SNMP started (keepalived's snmp_vrrp_start_time), ms. */
  startedAtMs: number;
  /** Now, ms on the same clock: uptimes are computed from it. */
  nowMs: number;
}

// ---- checker side ----

export type VsGroupMember =
  | { kind: 'fwmark'; fwmark: number }
  | { kind: 'range'; family: Family; first: string; last: string; port: number };

export interface VsGroupInfo {
  name: string;
  /** keepalived lists firewall marks first, then address ranges. */
  members: VsGroupMember[];
}

/** IPVS counters and rates (zero without IPVS). */
export interface IpvsStats {
  conns: bigint;
  inPkts: bigint;
  outPkts: bigint;
  inBytes: bigint;
  outBytes: bigint;
  cps: bigint;
  inPps: bigint;
  outPps: bigint;
  inBps: bigint;
  outBps: bigint;
}

export interface TunnelInfo {
  type: 'ipip' | 'gue' | 'gre';
  port?: number;
  checksum?: 'nocsum' | 'csum' | 'remcsum';
}

export interface RealServerInfo {
  family: Family;
  address: string;
  port: number;
  alive: boolean;
  /** The weight IPVS has now. */
  weight: number;
  upperLimit: number;
  lowerLimit: number;
  inhibit: boolean;
  notifyUp?: string[];
  notifyDown?: string[];
  failedChecks: number;
  stats: IpvsStats;
  activeConns: number;
  inactiveConns: number;
  persistentConns: number;
  forwarding?: 'NAT' | 'DR' | 'TUN';
  tunnel?: TunnelInfo;
  virtualhost?: string;
  alpha: boolean;
  /** undefined: not set anywhere (keepalived shows 0). */
  retry?: number;
  delayBeforeRetryUs?: number;
  warmupUs?: number;
  delayLoopUs?: number;
  smtpAlert: boolean;
  connectTimeoutUs: number;
  snmpName?: string;
}

export interface VirtualServerInfo {
  kind: 'fwmark' | 'address' | 'group';
  groupName?: string;
  fwmark?: number;
  family: Family;
  address?: string;
  port?: number;
  protocol: 'tcp' | 'udp' | 'sctp' | 'other';
  scheduler: string;
  forwarding?: 'NAT' | 'DR' | 'TUN';
  tunnel?: TunnelInfo;
  alive: boolean;
  virtualhost?: string;
  persistenceTimeout: number;
  /** IPv4: the netmask; IPv6: the prefix length. */
  persistenceGranularity: number;
  delayLoopUs: number;
  haSuspend: boolean;
  onePacket: boolean;
  alpha: boolean;
  omega: boolean;
  quorum: number;
  quorumUp: boolean;
  quorumUpCommand?: string[];
  quorumDownCommand?: string[];
  hysteresis: number;
  stats: IpvsStats;
  flags: {
    hashed: boolean;
    shFallback: boolean;
    shPort: boolean;
    mhFallback: boolean;
    mhPort: boolean;
    sched3: boolean;
  };
  inhibit: boolean;
  retry?: number;
  delayBeforeRetryUs?: number;
  warmupUs?: number;
  weight: number;
  smtpAlert: boolean;
  connectTimeoutUs: number;
  snmpName?: string;
  sorryServer?: RealServerInfo;
  realServers: RealServerInfo[];
}

export interface CheckerInfo {
  vsGroups: VsGroupInfo[];
  virtualServers: VirtualServerInfo[];
  lvsSyncDaemon?: {
    interface: string;
    instance?: string;
    syncId: number;
    maxLen: number;
    port: number;
    ttl: number;
    mcastGroup?: { family: Family; address: string };
  };
  lvsTimeouts: { tcp?: number; tcpFin?: number; udp?: number };
}

export function zeroCounters(): VrrpCounters {
  return {
    becomeMaster: 0,
    advertRcvd: 0,
    advertIntervalErr: 0,
    authFailure: 0,
    ipTtlErr: 0,
    priZeroRcvd: 0,
    priZeroSent: 0,
    invalidTypeRcvd: 0,
    addrListErr: 0,
    invalidAuthType: 0,
    authTypeMismatch: 0,
    packetLenErr: 0,
    chkErr: 0,
    versErr: 0,
    vridErr: 0,
  };
}

export function zeroIpvsStats(): IpvsStats {
  return {
    conns: 0n,
    inPkts: 0n,
    outPkts: 0n,
    inBytes: 0n,
    outBytes: 0n,
    cps: 0n,
    inPps: 0n,
    outPps: 0n,
    inBps: 0n,
    outBps: 0n,
  };
}
