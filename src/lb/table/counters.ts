// The IPVS counters of each virtual and real server, summed as keepalived's SNMP shows them
// (check/ipvswrapper.c, ipvs_update_stats): a virtual server's are the sum over its kernel services (a
// group: every address of its ranges and every firewall mark); a real server's, the sum over the
// destinations that match it in those services (same address, and same port unless its port is 0), the
// sorry server matched first. Pure: the kernel's counters come in, the sums go out.
import { canonicalAddress } from '../../common/inet.js';
import type { LbConfig } from './resolve.js';
import type { LbFamily, ServiceKey } from './types.js';

/** The counters IPVS keeps per service and per destination (its ip_vs_stats_user, 64-bit); the IPVS
 * codec (lb/ipvs/stats.ts) decodes into this shape. */
export interface IpvsCounters {
  conns: bigint;
  inpkts: bigint;
  outpkts: bigint;
  inbytes: bigint;
  outbytes: bigint;
  cps: bigint;
  inpps: bigint;
  outpps: bigint;
  inbps: bigint;
  outbps: bigint;
}

export interface DestinationCounters {
  family: LbFamily;
  address: string;
  port: number;
  activeConns: number;
  inactConns: number;
  persistConns: number;
  stats: IpvsCounters;
}

/** What the kernel holds: each service's counters and its destinations', by counterKey(service). */
export type KernelCounters = ReadonlyMap<
  string,
  { stats: IpvsCounters; destinations: DestinationCounters[] }
>;

export interface RealServerCounters {
  activeConns: number;
  inactConns: number;
  persistConns: number;
  stats: IpvsCounters;
}

export interface LbCounters {
  /** By position in model.virtualServers. */
  virtualServers: Map<number, IpvsCounters>;
  /** By real server id (check/schedule's realServerId). */
  realServers: Map<string, RealServerCounters>;
  /** Sorry servers, by position in model.virtualServers. */
  sorryServers: Map<number, RealServerCounters>;
}

const FIELDS = [
  'conns',
  'inpkts',
  'outpkts',
  'inbytes',
  'outbytes',
  'cps',
  'inpps',
  'outpps',
  'inbps',
  'outbps',
] as const;

export function zeroCounters(): IpvsCounters {
  return {
    conns: 0n,
    inpkts: 0n,
    outpkts: 0n,
    inbytes: 0n,
    outbytes: 0n,
    cps: 0n,
    inpps: 0n,
    outpps: 0n,
    inbps: 0n,
    outbps: 0n,
  };
}

function add(into: IpvsCounters, from: IpvsCounters): void {
  for (const f of FIELDS) into[f] += from[f];
}

/** A service's identity whatever the address's spelling. */
export function counterKey(k: ServiceKey): string {
  return k.kind === 'fwmark'
    ? `fwmark ${k.family} ${k.fwmark}`
    : `${k.protocol} ${k.family} ${canonicalAddress(k.address) ?? k.address} ${k.port}`;
}

function matches(
  server: { family: LbFamily; address: string; port: number },
  d: DestinationCounters,
): boolean {
  if (server.family !== d.family) return false;
  if ((canonicalAddress(server.address) ?? server.address) !== (canonicalAddress(d.address) ?? d.address))
    return false;
  return server.port === 0 || server.port === d.port;
}

function zeroServer(): RealServerCounters {
  return { activeConns: 0, inactConns: 0, persistConns: 0, stats: zeroCounters() };
}

function addServer(into: RealServerCounters, d: DestinationCounters): void {
  into.activeConns += d.activeConns;
  into.inactConns += d.inactConns;
  into.persistConns += d.persistConns;
  add(into.stats, d.stats);
}

export function lbCounters(config: LbConfig, kernel: KernelCounters): LbCounters {
  const out: LbCounters = { virtualServers: new Map(), realServers: new Map(), sorryServers: new Map() };
  for (const vs of config.virtualServers) {
    const total = zeroCounters();
    const servers = new Map(vs.realServers.map((rs) => [rs.id, zeroServer()]));
    const sorry = vs.sorryServer ? zeroServer() : undefined;
    for (const service of vs.services) {
      const k = kernel.get(counterKey(service.key));
      if (k === undefined) continue;
      add(total, k.stats);
      for (const d of k.destinations) {
        if (vs.sorryServer && sorry && matches(vs.sorryServer, d)) {
          addServer(sorry, d);
          continue;
        }
        const rs = vs.realServers.find((r) => matches(r, d));
        const into = rs && servers.get(rs.id);
        if (into) addServer(into, d);
      }
    }
    out.virtualServers.set(vs.modelIndex, total);
    for (const [id, c] of servers) out.realServers.set(id, c);
    if (sorry) out.sorryServers.set(vs.modelIndex, sorry);
  }
  return out;
}
