// What the nftables data plane can realise, and for the rest, why not and what to use instead. Pure, so
// that `-t` and the checker child report the same reason (with the virtual_server's file:line).
// Nothing is approximated: a service this refuses is never programmed at all.

import type { LvsScheduler } from '../../config/model/lvs/types.js';
import type { Destination, ServiceAttributes } from '../table/types.js';

/** The schedulers with an nftables realisation (see slots.ts). */
export const NFTABLES_SCHEDULERS: readonly LvsScheduler[] = ['rr', 'wrr', 'sh', 'dh', 'mh', 'fo'];

const CONNECTION_COUNTS =
  "schedules by each real server's count of active connections, which an nf_tables rule cannot read " +
  'when it picks a server';

const UNSUPPORTED_SCHEDULERS: Partial<Record<LvsScheduler, string>> = {
  lc: `lb_algo lc ${CONNECTION_COUNTS}; use rr, or the IPVS data plane`,
  wlc: `lb_algo wlc ${CONNECTION_COUNTS}; use wrr (weights without connection counts), or the IPVS data plane`,
  sed: `lb_algo sed ${CONNECTION_COUNTS}; use wrr, or the IPVS data plane`,
  nq: `lb_algo nq ${CONNECTION_COUNTS}; use wrr, or the IPVS data plane`,
  lblc: `lb_algo lblc ${CONNECTION_COUNTS} (locality with overload); use dh (destination hashing), or the IPVS data plane`,
  lblcr: `lb_algo lblcr ${CONNECTION_COUNTS} (locality with replication); use dh, or the IPVS data plane`,
  ovf: `lb_algo ovf ${CONNECTION_COUNTS} against its weight; use fo (highest weight first), or the IPVS data plane`,
  twos: `lb_algo twos ${CONNECTION_COUNTS} (two random choices); use wrr, or the IPVS data plane`,
};

/**
 * Why the nftables data plane cannot realise this service with these destinations, or undefined when it
 * can. The text names the keyword at fault and what to use instead.
 */
export function nftablesSupport(
  service: ServiceAttributes,
  destinations: readonly Destination[],
): string | undefined {
  const schedulerReason = UNSUPPORTED_SCHEDULERS[service.scheduler];
  if (schedulerReason) return schedulerReason;
  if (!NFTABLES_SCHEDULERS.includes(service.scheduler)) {
    return `lb_algo ${service.scheduler} has no nftables realisation; use one of ${NFTABLES_SCHEDULERS.join(', ')}, or the IPVS data plane`;
  }
  if (service.persistenceEngine !== undefined) {
    return (
      `persistence_engine ${service.persistenceEngine} needs IPVS's protocol-aware persistence templates, ` +
      'which nf_tables does not have; remove it (plain persistence_timeout works), or use the IPVS data plane'
    );
  }
  if (service.onePacket) {
    return (
      'ops (one-packet scheduling) cannot be expressed: nf_tables NAT schedules once per connection ' +
      'tracked by conntrack, not per datagram; remove ops, or use the IPVS data plane'
    );
  }
  const thresholds = destinations.find((d) => d.upperThreshold > 0 || d.lowerThreshold > 0);
  if (thresholds) {
    return (
      `uthreshold / lthreshold on real server ${thresholds.address} need each server's count of active ` +
      'connections, which an nf_tables rule cannot read when it picks a server; remove them, or use the IPVS data plane'
    );
  }
  const tunnelled = destinations.find((d) => d.method === 'TUN');
  if (tunnelled) {
    return (
      `lvs_method TUN (real server ${tunnelled.address}): nf_tables cannot encapsulate a packet by itself ` +
      '(it only attaches tunnel metadata for a separate collect-metadata tunnel device); use NAT or DR, or the IPVS data plane'
    );
  }
  const methods = new Set(destinations.map((d) => d.method));
  if (methods.size > 1) {
    return (
      `real servers of one virtual server use different lvs_method (${[...methods].sort().join(' and ')}): ` +
      'the nftables data plane realises NAT and DR in different tables; give them one method, or use the IPVS data plane'
    );
  }
  const dr = methods.has('DR');
  if (dr && service.key.kind === 'fwmark') {
    return (
      'lvs_method DR with a fwmark virtual server: the nftables data plane forwards DR packets at the ' +
      "device's ingress, before any rule has set a firewall mark; use an address virtual server, or NAT"
    );
  }
  if (!dr && service.key.kind === 'fwmark') {
    const ported = destinations.filter((d) => d.port !== 0).length;
    if (ported > 0 && ported < destinations.length) {
      return (
        'real servers of a fwmark virtual server mix a port with none: NAT rewrites the port for all of them ' +
        'or for none; give every real server a port, or none'
      );
    }
  }
  const family = service.key.family;
  const foreign = destinations.find((d) => d.family !== family);
  if (foreign) {
    return (
      `real server ${foreign.address} is ${foreign.family === 'inet6' ? 'IPv6' : 'IPv4'} and the virtual server is not: ` +
      'nf_tables NAT and forwarding keep the address family; use real servers of the same family'
    );
  }
  return undefined;
}
