// The table keepalived holds in the kernel for a given health of the real servers and quorum state of
// the virtual servers (ipwrapper.c / ipvswrapper.c, reduced to what ends up in the kernel):
// - while the quorum is up, or there is no sorry server: every live real server at its effective weight
//   (clamped to 0..INT32_MAX), every failed one with inhibit_on_failure at weight 0, others absent;
// - while the quorum is down and a sorry server is configured: the sorry server at weight 1, real servers
//   with inhibit_on_failure at weight 0, the others absent (live or not);
// - a sorry server with sorry_server_inhibit stays at weight 0 while the quorum is up.
// Without a sorry server a lost quorum changes nothing in the table (only notifications).
import type { LbConfig, LbRealServer, LbSorryServer, LbVirtualServer } from './resolve.js';
import { WEIGHT_LIMIT } from './resolve.js';
import type { Destination, LbTable, Service, ServiceAttributes, ServiceKey } from './types.js';

/** What the checkers say of a real server: in the pool or not, and its effective weight. */
export interface ServerHealth {
  up: boolean;
  weight: number;
}

export interface LbState {
  /** By real-server id; a server not listed is as it starts (down if alpha, else up at its weight). */
  servers: ReadonlyMap<string, ServerHealth>;
  /** Quorum state by position in config.virtualServers; missing means up. */
  quorumUp: readonly boolean[];
}

/** keepalived's real_weight(): the weight the kernel is given. */
export function kernelWeight(weight: number): number {
  return Math.min(Math.max(Math.trunc(weight), 0), WEIGHT_LIMIT);
}

export function initialHealth(rs: LbRealServer): ServerHealth {
  return { up: !rs.startsDown, weight: rs.weight };
}

/** The identity of a destination within its service. */
export function destinationId(d: Pick<Destination, 'family' | 'address' | 'port'>): string {
  return `${d.family} ${d.address} ${d.port}`;
}

/** The identity of a service in the kernel. */
export function serviceId(k: ServiceKey): string {
  return k.kind === 'fwmark'
    ? `fwmark ${k.family} ${k.fwmark}`
    : `${k.protocol} ${k.family} ${k.address} ${k.port}`;
}

/** The destination port keepalived gives a server in one service: NAT keeps the server's own port;
 * DR and TUN take the service's (0 on a firewall mark). */
function destinationPort(server: { method: string; port: number }, key: ServiceKey): number {
  if (server.method === 'NAT') return server.port;
  return key.kind === 'fwmark' ? 0 : key.port;
}

function destination(
  server: LbRealServer | LbSorryServer,
  key: ServiceKey,
  weight: number,
  thresholds: { upper: number; lower: number },
): Destination {
  const d: Destination = {
    family: server.family,
    address: server.address,
    port: destinationPort(server, key),
    method: server.method,
    weight,
    upperThreshold: thresholds.upper,
    lowerThreshold: thresholds.lower,
  };
  if (server.tunnel) d.tunnel = server.tunnel;
  return d;
}

/** The destinations one virtual server puts in one of its services, in configuration order (real
 * servers, then the sorry server). */
function destinations(
  vs: LbVirtualServer,
  key: ServiceKey,
  health: (rs: LbRealServer, index: number) => ServerHealth,
  quorumUp: boolean,
): Map<string, Destination> {
  const sorry = vs.sorryServer;
  const sorryIn = sorry !== undefined && !quorumUp;
  const out = new Map<string, Destination>();
  vs.realServers.forEach((rs, index) => {
    const h = health(rs, index);
    let weight: number | undefined;
    if (sorryIn) weight = rs.inhibit ? 0 : undefined;
    else if (h.up) weight = kernelWeight(h.weight);
    else if (rs.inhibit) weight = 0;
    if (weight === undefined) return;
    const d = destination(rs, key, weight, { upper: rs.upperThreshold, lower: rs.lowerThreshold });
    const id = destinationId(d);
    if (!out.has(id)) out.set(id, d);
  });
  if (sorry) {
    const none = { upper: 0, lower: 0 };
    if (sorryIn) {
      // Added after the real servers were taken out: it replaces a real server at the same place.
      const d = destination(sorry, key, 1, none);
      out.set(destinationId(d), d);
    } else if (sorry.inhibit && !sorry.duplicatesRealServer) {
      // Added at weight 0; a real server already there keeps its entry (the kernel answers EEXIST).
      const d = destination(sorry, key, 0, none);
      const id = destinationId(d);
      if (!out.has(id)) out.set(id, d);
    }
  }
  return out;
}

/** A kernel service and the virtual servers that fill it: usually one; a firewall mark in a group that
 * two virtual servers use is created by the first, and the second adds the real servers the first does
 * not have, as the kernel's EEXIST answers leave it. */
export interface ServiceSource {
  id: string;
  attributes: ServiceAttributes;
  /** Indices in config.virtualServers, in order. */
  contributors: number[];
}

/** Every kernel service of `config`, in configuration order. */
export function serviceSources(config: LbConfig): ServiceSource[] {
  const sources = new Map<string, ServiceSource>();
  config.virtualServers.forEach((vs, index) => {
    for (const attributes of vs.services) {
      const id = serviceId(attributes.key);
      const known = sources.get(id);
      if (known) known.contributors.push(index);
      else sources.set(id, { id, attributes, contributors: [index] });
    }
  });
  return [...sources.values()];
}

/** How the state is read: by virtual server index and real server index. */
export interface StateView {
  health(virtualServer: number, rs: LbRealServer, index: number): ServerHealth;
  quorumUp(virtualServer: number): boolean;
}

/** One kernel service for the state `view` reads. */
export function buildService(config: LbConfig, source: ServiceSource, view: StateView): Service {
  const key = source.attributes.key;
  let merged: Map<string, Destination> | undefined;
  for (const v of source.contributors) {
    const vs = config.virtualServers[v] as LbVirtualServer;
    const dests = destinations(vs, key, (rs, i) => view.health(v, rs, i), view.quorumUp(v));
    if (merged === undefined) merged = dests;
    else for (const [id, d] of dests) if (!merged.has(id)) merged.set(id, d);
  }
  return { ...source.attributes, destinations: [...(merged ?? new Map<string, Destination>()).values()] };
}

/** The kernel table for `state`, services in configuration order. */
export function desiredTable(config: LbConfig, state: LbState): LbTable {
  const view: StateView = {
    health: (_v, rs) => state.servers.get(rs.id) ?? initialHealth(rs),
    quorumUp: (v) => state.quorumUp[v] ?? true,
  };
  return { services: serviceSources(config).map((source) => buildService(config, source, view)) };
}
