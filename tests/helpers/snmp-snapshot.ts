// Hand-built SNMP snapshots for the MIB view and trap tests, and a lookup of a view's values by OID text.
import type { MibView } from '../../src/snmp/agentx/responder.js';
import type {
  AddressInfo,
  GlobalInfo,
  InterfaceInfo,
  RealServerInfo,
  VirtualServerInfo,
  VrrpInfo,
  VrrpInstanceInfo,
} from '../../src/snmp/snapshot.js';
import { zeroCounters, zeroIpvsStats } from '../../src/snmp/snapshot.js';
import { formatOid, type SnmpValue } from '../../src/snmp/types.js';

export const ETH0: InterfaceInfo = {
  name: 'eth0',
  index: 3,
  mac: Uint8Array.of(0xaa, 0x89, 0x76, 0x4d, 0xad, 0x9c),
  ipv4: '10.7.0.1',
  ipv6: 'fe80::a889:76ff:fe4d:ad9c',
};

export function globalInfo(over: Partial<GlobalInfo> = {}): GlobalInfo {
  return {
    version: 'Keepalived v2.2.7 (01/16,2022)',
    routerId: 'lab1',
    smtpConnectTimeoutS: 0,
    emails: [],
    emailFaults: true,
    trapsEnabled: true,
    linkbeatPolling: false,
    lvsFlush: false,
    lvsFlushOnStop: 'none',
    ipvs64BitStats: true,
    dbus: false,
    dynamicInterfaces: false,
    ...over,
  };
}

export function vip(address: string, over: Partial<AddressInfo> = {}): AddressInfo {
  const family = address.includes(':') ? 6 : 4;
  return {
    family,
    address,
    prefix: family === 4 ? 24 : 64,
    scope: 0,
    ifindex: 3,
    ifname: 'eth0',
    isSet: true,
    ...over,
  };
}

export function instance(name: string, vrid: number, over: Partial<VrrpInstanceInfo> = {}): VrrpInstanceInfo {
  return {
    name,
    vrid,
    version: 2,
    family: 4,
    state: 'MASTER',
    configuredState: 'BACKUP',
    wantState: 'MASTER',
    basePriority: 100,
    effectivePriority: 100,
    vipsSet: true,
    interface: ETH0,
    trackInterfaces: [],
    advertIntervalCs: 100,
    preempt: true,
    preemptDelayS: 0,
    authType: 0,
    garpDelayS: 5,
    smtpAlert: false,
    notifyExec: false,
    notify: {},
    accept: true,
    promoteSecondaries: false,
    linkbeatPolling: false,
    notifyDeleted: false,
    multicastGroup: '224.0.0.18',
    vips: [vip(`10.7.0.${vrid}`)],
    excludedVips: [],
    routes: [],
    rules: [],
    trackScripts: [],
    trackFiles: [],
    trackBfds: [],
    trackProcesses: [],
    sourceAddress: '10.7.0.1',
    counters: { ...zeroCounters(), becomeMaster: 1 },
    masterReason: 3,
    protoErrorReason: 0,
    upSinceMs: 1000,
    ...over,
  };
}

export function vrrpInfo(over: Partial<VrrpInfo> = {}): VrrpInfo {
  return {
    instances: [],
    syncGroups: [],
    staticAddresses: [],
    staticRoutes: [],
    staticRules: [],
    scripts: [],
    files: [],
    bfds: [],
    processes: [],
    startedAtMs: 0,
    nowMs: 5000,
    ...over,
  };
}

export function realServer(
  address: string,
  port: number,
  over: Partial<RealServerInfo> = {},
): RealServerInfo {
  return {
    family: 4,
    address,
    port,
    alive: true,
    weight: 1,
    upperLimit: 0,
    lowerLimit: 0,
    inhibit: false,
    failedChecks: 0,
    stats: zeroIpvsStats(),
    activeConns: 0,
    inactiveConns: 0,
    persistentConns: 0,
    forwarding: 'NAT',
    alpha: false,
    smtpAlert: true,
    connectTimeoutUs: 5_000_000,
    ...over,
  };
}

export function virtualServer(over: Partial<VirtualServerInfo> = {}): VirtualServerInfo {
  return {
    kind: 'address',
    family: 4,
    address: '10.7.0.100',
    port: 80,
    protocol: 'tcp',
    scheduler: 'wlc',
    forwarding: 'NAT',
    alive: true,
    persistenceTimeout: 0,
    persistenceGranularity: 0,
    delayLoopUs: 60_000_000,
    haSuspend: false,
    onePacket: false,
    alpha: false,
    omega: false,
    quorum: 1,
    quorumUp: true,
    hysteresis: 0,
    stats: zeroIpvsStats(),
    flags: {
      hashed: false,
      shFallback: false,
      shPort: false,
      mhFallback: false,
      mhPort: false,
      sched3: false,
    },
    inhibit: false,
    weight: 1,
    smtpAlert: false,
    connectTimeoutUs: 5_000_000,
    realServers: [realServer('10.8.0.1', 80), realServer('10.8.0.2', 80, { alive: false })],
    ...over,
  };
}

/** OID text (".1.3...") -> value of a view. */
export function valuesOf(view: MibView): Map<string, SnmpValue> {
  return new Map(view.entries.map((e) => [formatOid(e.oid), e.value]));
}

/** A value as short text: integers and counters as numbers, octets as text or hex. */
export function show(v: SnmpValue | undefined): string | number | undefined {
  if (v === undefined) return undefined;
  switch (v.type) {
    case 'integer':
    case 'gauge32':
    case 'counter32':
    case 'timeticks':
      return v.value;
    case 'counter64':
      return Number(v.value);
    case 'octets': {
      const t = Buffer.from(v.value).toString('latin1');
      return /^[\x20-\x7e]*$/.test(t) ? t : `0x${Buffer.from(v.value).toString('hex')}`;
    }
    case 'ipaddress':
      return v.value.join('.');
    case 'oid':
      return formatOid(v.value);
    default:
      return v.type;
  }
}
