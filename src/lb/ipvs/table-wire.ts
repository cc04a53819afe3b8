// The load-balancing table (lb/table/types.ts) in IPVS terms, field by field as keepalived fills its
// ipvs_service_t / ipvs_dest_t (check/ipvswrapper.c: ipvs_set_srule, ipvs_set_drule, ipvs_cmd), and back
// from what the kernel dumps. Pure.

import type {
  LvsMethod,
  LvsProtocol,
  LvsSchedFlag,
  LvsScheduler,
  TunnelOptions,
} from '../../config/model/lvs/types.js';
import { LVS_SCHEDULERS } from '../../config/model/lvs/types.js';
import { parseIpv4 } from '../../common/inet.js';
import type { Destination, LbFamily, ServiceAttributes, ServiceKey } from '../table/types.js';
import {
  AF_INET,
  AF_INET6,
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_FWD_MASK,
  IP_VS_CONN_F_MASQ,
  IP_VS_CONN_F_TUNNEL,
  IP_VS_CONN_F_TUNNEL_TYPE_GRE,
  IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  IP_VS_SVC_F_HASHED,
  IP_VS_SVC_F_ONEPACKET,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_SVC_F_SCHED1,
  IP_VS_SVC_F_SCHED2,
  IP_VS_SVC_F_SCHED3,
  IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
  IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
} from './constants.js';
import type { IpvsDestination } from './destination.js';
import { type IpvsService, type IpvsServiceId, isFwmarkService } from './service.js';

/** keepalived's IPVS_WEIGHT_LIMIT (INT32_MAX): real_weight() clamps into 0..limit. */
export const IPVS_WEIGHT_LIMIT = 0x7fffffff;

/** The persistence netmask keepalived sends when none is configured: /32 for IPv4, /128 for IPv6. */
export function defaultNetmask(af: number): number {
  return af === AF_INET6 ? 128 : 0xffffffff;
}

export function wireFamily(f: LbFamily): number {
  return f === 'inet6' ? AF_INET6 : AF_INET;
}

export function wireProtocol(p: LvsProtocol): number {
  return p === 'UDP' ? IPPROTO_UDP : p === 'SCTP' ? IPPROTO_SCTP : IPPROTO_TCP;
}

const METHODS: Readonly<Record<LvsMethod, number>> = {
  NAT: IP_VS_CONN_F_MASQ,
  TUN: IP_VS_CONN_F_TUNNEL,
  DR: IP_VS_CONN_F_DROUTE,
};

/** Scheduler flags as keepalived's lbflags_handler sets them: sh-* and mh-* only for their scheduler. */
export function schedFlagBits(scheduler: LvsScheduler, flags: readonly LvsSchedFlag[]): number {
  let bits = 0;
  for (const f of flags) {
    if (f === 'flag-1') bits |= IP_VS_SVC_F_SCHED1;
    else if (f === 'flag-2') bits |= IP_VS_SVC_F_SCHED2;
    else if (f === 'flag-3') bits |= IP_VS_SVC_F_SCHED3;
    else if ((f === 'sh-fallback' && scheduler === 'sh') || (f === 'mh-fallback' && scheduler === 'mh')) {
      bits |= IP_VS_SVC_F_SCHED1;
    } else if ((f === 'sh-port' && scheduler === 'sh') || (f === 'mh-port' && scheduler === 'mh')) {
      bits |= IP_VS_SVC_F_SCHED2;
    }
  }
  return bits;
}

/** Persistence granularity text: an IPv4 netmask (or /prefix), an IPv6 prefix length. */
export function granularityToNetmask(af: number, granularity: string): number {
  if (af === AF_INET6 || /^\d+$/.test(granularity)) {
    const prefix = Number(granularity);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (af === AF_INET6 ? 128 : 32)) {
      throw new RangeError(`bad persistence granularity ${JSON.stringify(granularity)}`);
    }
    if (af === AF_INET6) return prefix;
    return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  }
  const mask = parseIpv4(granularity);
  if (mask < 0) throw new RangeError(`bad persistence granularity ${JSON.stringify(granularity)}`);
  return mask >>> 0;
}

export function serviceIdOf(key: ServiceKey): IpvsServiceId {
  const af = wireFamily(key.family);
  return key.kind === 'fwmark'
    ? { af, fwmark: key.fwmark }
    : { af, protocol: wireProtocol(key.protocol), address: key.address, port: key.port };
}

/**
 * The service as keepalived sends it. `withPersistence`: keepalived fills timeout, the PERSISTENT flag,
 * the granularity and the engine only for the service commands (add, edit, delete), not when the
 * service merely names the one a destination command is about.
 */
export function serviceToWire(s: ServiceAttributes, withPersistence: boolean): IpvsService {
  const id = serviceIdOf(s.key);
  let flags = schedFlagBits(s.scheduler, s.schedFlags) | (s.onePacket ? IP_VS_SVC_F_ONEPACKET : 0);
  let timeout = 0;
  let netmask = defaultNetmask(id.af);
  let peName: string | undefined;
  if (withPersistence && s.persistence) {
    flags |= IP_VS_SVC_F_PERSISTENT;
    timeout = s.persistence.timeoutS;
    netmask = granularityToNetmask(id.af, s.persistence.granularity);
    if (s.persistenceEngine) peName = s.persistenceEngine;
  }
  const out: IpvsService = { ...id, schedName: s.scheduler, flags, timeout, netmask };
  if (peName !== undefined) out.peName = peName;
  return out;
}

/** When the table knows only a service's key (a destination of a service it no longer has). */
export function serviceKeyToWire(key: ServiceKey): IpvsService {
  return serviceIdOf(key);
}

/**
 * The port the kernel holds for a destination: its own for NAT; for DR and TUN the service's (0 for a
 * firewall-mark service), as keepalived's ipvs_cmd overrides it (the packet keeps its port there).
 */
export function kernelDestinationPort(key: ServiceKey, method: LvsMethod, port: number): number {
  if (method === 'NAT') return port;
  return key.kind === 'address' ? key.port : 0;
}

function tunnelFields(
  t: TunnelOptions | undefined,
): Pick<IpvsDestination, 'tunType' | 'tunPort' | 'tunFlags'> {
  const type = t?.type ?? 'ipip';
  const out: Pick<IpvsDestination, 'tunType' | 'tunPort' | 'tunFlags'> = {
    tunType:
      type === 'gue'
        ? IP_VS_CONN_F_TUNNEL_TYPE_GUE
        : type === 'gre'
          ? IP_VS_CONN_F_TUNNEL_TYPE_GRE
          : IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  };
  // keepalived sends the port for GUE only and the checksum flags for every type but IPIP.
  if (type === 'gue') out.tunPort = t?.port ?? 0;
  if (type !== 'ipip') {
    out.tunFlags =
      t?.checksum === 'csum'
        ? IP_VS_TUNNEL_ENCAP_FLAG_CSUM
        : t?.checksum === 'remcsum'
          ? IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM
          : IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM;
  }
  return out;
}

/** The destination as keepalived sends it (ipvs_set_drule + the port rule of ipvs_cmd). */
export function destinationToWire(key: ServiceKey, d: Destination): IpvsDestination {
  const out: IpvsDestination = {
    af: wireFamily(d.family),
    address: d.address,
    port: kernelDestinationPort(key, d.method, d.port),
    fwdMethod: METHODS[d.method],
    weight: Math.min(Math.max(Math.trunc(d.weight), 0), IPVS_WEIGHT_LIMIT),
  };
  if (d.method === 'TUN') Object.assign(out, tunnelFields(d.tunnel));
  out.uThreshold = d.upperThreshold;
  out.lThreshold = d.lowerThreshold;
  return out;
}

// ---- back from the kernel ------------------------------------------------------------------

function familyOfAf(af: number): LbFamily | undefined {
  return af === AF_INET ? 'inet' : af === AF_INET6 ? 'inet6' : undefined;
}

function protocolOf(p: number): LvsProtocol | undefined {
  return p === IPPROTO_TCP ? 'TCP' : p === IPPROTO_UDP ? 'UDP' : p === IPPROTO_SCTP ? 'SCTP' : undefined;
}

function netmaskToGranularity(af: number, netmask: number): string {
  if (af === AF_INET6) return String(netmask);
  return [24, 16, 8, 0].map((shift) => (netmask >>> shift) & 0xff).join('.');
}

/**
 * A dumped service in table terms; undefined for what the table cannot hold (another family or
 * protocol, a scheduler keepalived does not know). HASHED is the kernel's own and dropped. Scheduler
 * flags come back under their generic names (flag-1..3) except for sh and mh, which name them.
 */
export function serviceFromWire(s: IpvsService): ServiceAttributes | undefined {
  const family = familyOfAf(s.af);
  const scheduler = LVS_SCHEDULERS.find((n) => n === s.schedName);
  if (!family || !scheduler) return undefined;
  let key: ServiceKey;
  if (isFwmarkService(s)) key = { kind: 'fwmark', family, fwmark: s.fwmark };
  else if ('address' in s) {
    const protocol = protocolOf(s.protocol);
    if (!protocol) return undefined;
    key = { kind: 'address', family, protocol, address: s.address, port: s.port };
  } else return undefined;
  const flags = (s.flags ?? 0) & ~IP_VS_SVC_F_HASHED;
  const named = scheduler === 'sh' || scheduler === 'mh';
  const schedFlags: LvsSchedFlag[] = [];
  if (flags & IP_VS_SVC_F_SCHED1)
    schedFlags.push(named ? (`${scheduler}-fallback` as LvsSchedFlag) : 'flag-1');
  if (flags & IP_VS_SVC_F_SCHED2) schedFlags.push(named ? (`${scheduler}-port` as LvsSchedFlag) : 'flag-2');
  if (flags & IP_VS_SVC_F_SCHED3) schedFlags.push('flag-3');
  const out: ServiceAttributes = {
    key,
    scheduler,
    schedFlags,
    onePacket: (flags & IP_VS_SVC_F_ONEPACKET) !== 0,
  };
  if (flags & IP_VS_SVC_F_PERSISTENT) {
    out.persistence = {
      timeoutS: s.timeout ?? 0,
      granularity: netmaskToGranularity(s.af, s.netmask ?? defaultNetmask(s.af)),
    };
    if (s.peName) out.persistenceEngine = s.peName;
  }
  return out;
}

/** A dumped destination in table terms; undefined for a forwarding method keepalived does not use. */
export function destinationFromWire(d: IpvsDestination): Destination | undefined {
  const family = familyOfAf(d.af);
  const fwd = (d.fwdMethod ?? 0) & IP_VS_CONN_F_FWD_MASK;
  const method = (Object.keys(METHODS) as LvsMethod[]).find((m) => METHODS[m] === fwd);
  if (!family || !method) return undefined;
  const out: Destination = {
    family,
    address: d.address,
    port: d.port,
    method,
    weight: d.weight ?? 0,
    upperThreshold: d.uThreshold ?? 0,
    lowerThreshold: d.lThreshold ?? 0,
  };
  if (method === 'TUN') {
    const type =
      d.tunType === IP_VS_CONN_F_TUNNEL_TYPE_GUE
        ? 'gue'
        : d.tunType === IP_VS_CONN_F_TUNNEL_TYPE_GRE
          ? 'gre'
          : 'ipip';
    const tunnel: TunnelOptions = { type };
    if (type === 'gue') tunnel.port = d.tunPort ?? 0;
    if (type !== 'ipip') {
      tunnel.checksum =
        d.tunFlags === IP_VS_TUNNEL_ENCAP_FLAG_CSUM
          ? 'csum'
          : d.tunFlags === IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM
            ? 'remcsum'
            : 'nocsum';
    }
    out.tunnel = tunnel;
  }
  return out;
}
