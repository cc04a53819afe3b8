// IPVS commands as generic netlink payloads, and the kernel's answers decoded. The attributes each
// command carries follow keepalived's libipvs (which follows ipvsadm's): the whole service on every
// service and destination command, the whole destination on every destination command.

import { type AttrSpec, attr, encodeAttrs, findAttr, NLA_F_NESTED } from '../../net/netlink/codec.js';
import type { GenlCommand, GenlMessage } from '../../net/netlink/genetlink.js';
import {
  IP_VS_SVC_F_HASHED,
  IPVS_CMD_ATTR_DAEMON,
  IPVS_CMD_ATTR_DEST,
  IPVS_CMD_ATTR_SERVICE,
  IPVS_CMD_DEL_DAEMON,
  IPVS_CMD_DEL_DEST,
  IPVS_CMD_DEL_SERVICE,
  IPVS_CMD_FLUSH,
  IPVS_CMD_GET_CONFIG,
  IPVS_CMD_GET_DAEMON,
  IPVS_CMD_GET_DEST,
  IPVS_CMD_GET_INFO,
  IPVS_CMD_GET_SERVICE,
  IPVS_CMD_NEW_DAEMON,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_CONFIG,
  IPVS_CMD_SET_DEST,
  IPVS_CMD_SET_INFO,
  IPVS_CMD_SET_SERVICE,
  IPVS_CMD_ZERO,
  IPVS_GENL_VERSION,
} from './constants.js';
import {
  type IpvsDaemon,
  type IpvsInfo,
  type IpvsTimeouts,
  decodeDaemon,
  decodeInfo,
  decodeTimeouts,
  encodeDaemonAttrs,
  encodeTimeoutAttrs,
} from './daemon.js';
import { type IpvsDestination, decodeDestination, encodeDestinationAttrs } from './destination.js';
import {
  type IpvsService,
  type IpvsServiceId,
  decodeService,
  encodeServiceAttrs,
  serviceId,
} from './service.js';

/** One IPVS command, family id aside. */
export interface IpvsCommand {
  cmd: number;
  attrs: AttrSpec[];
  /** Sent with NLM_F_DUMP (GET_SERVICE for all services, GET_DEST, GET_DAEMON). */
  dump: boolean;
}

/** As a generic netlink command of the resolved family. */
export function toGenlCommand(family: number, c: IpvsCommand): GenlCommand {
  return { family, cmd: c.cmd, version: IPVS_GENL_VERSION, attrs: c.attrs };
}

/**
 * What the kernel may be sent of a service: never HASHED (the kernel sets it when it hashes the service,
 * and refuses to hash one already marked; dumps report it), never counters.
 */
function forKernel(s: IpvsService): IpvsService {
  const { stats: _stats, stats64: _stats64, ...rest } = s;
  return rest.flags === undefined ? rest : { ...rest, flags: rest.flags & ~IP_VS_SVC_F_HASHED };
}

function forKernelDest(d: IpvsDestination): IpvsDestination {
  const { stats: _s, stats64: _s64, activeConns: _a, inactConns: _i, persistConns: _p, ...rest } = d;
  return rest;
}

// Nests carry NLA_F_NESTED, as libnl's nla_nest_start sets it in what keepalived sends (the kernel
// accepts either; its own answers leave it out).
const serviceNests = new WeakMap<IpvsService, AttrSpec>();
/**
 * A service nest is encoded once per service object and reused by every destination command that
 * names it (a table load names each service once per real server). Services are not changed in place.
 */
function serviceNest(s: IpvsService): AttrSpec {
  let nest = serviceNests.get(s);
  if (!nest) {
    nest = {
      type: IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED,
      value: encodeAttrs(encodeServiceAttrs(forKernel(s))),
    };
    serviceNests.set(s, nest);
  }
  return nest;
}
const destNest = (d: IpvsDestination): AttrSpec =>
  attr.nested(IPVS_CMD_ATTR_DEST, encodeDestinationAttrs(forKernelDest(d)), true);
const daemonNest = (d: IpvsDaemon): AttrSpec => attr.nested(IPVS_CMD_ATTR_DAEMON, encodeDaemonAttrs(d), true);
const command = (cmd: number, attrs: AttrSpec[] = [], dump = false): IpvsCommand => ({ cmd, attrs, dump });

export const ipvsCommands = {
  /** Needs schedName, flags, timeout and netmask besides the identity (EINVAL otherwise). */
  newService: (s: IpvsService) => command(IPVS_CMD_NEW_SERVICE, [serviceNest(s)]),
  setService: (s: IpvsService) => command(IPVS_CMD_SET_SERVICE, [serviceNest(s)]),
  /** The kernel reads only the identity; keepalived sends the whole service. */
  delService: (s: IpvsService) => command(IPVS_CMD_DEL_SERVICE, [serviceNest(s)]),
  getService: (id: IpvsServiceId) => command(IPVS_CMD_GET_SERVICE, [serviceNest(serviceId(id))]),
  dumpServices: () => command(IPVS_CMD_GET_SERVICE, [], true),
  /** Needs fwdMethod, weight, uThreshold and lThreshold besides address and port. */
  newDestination: (s: IpvsService, d: IpvsDestination) =>
    command(IPVS_CMD_NEW_DEST, [serviceNest(s), destNest(d)]),
  setDestination: (s: IpvsService, d: IpvsDestination) =>
    command(IPVS_CMD_SET_DEST, [serviceNest(s), destNest(d)]),
  delDestination: (s: IpvsService, d: IpvsDestination) =>
    command(IPVS_CMD_DEL_DEST, [serviceNest(s), destNest(d)]),
  /** libipvs asks with the identity only. */
  dumpDestinations: (id: IpvsServiceId) => command(IPVS_CMD_GET_DEST, [serviceNest(serviceId(id))], true),
  newDaemon: (d: IpvsDaemon) => command(IPVS_CMD_NEW_DAEMON, [daemonNest(d)]),
  delDaemon: (d: IpvsDaemon) => command(IPVS_CMD_DEL_DAEMON, [daemonNest(d)]),
  dumpDaemons: () => command(IPVS_CMD_GET_DAEMON, [], true),
  setConfig: (t: IpvsTimeouts) => command(IPVS_CMD_SET_CONFIG, encodeTimeoutAttrs(t)),
  getConfig: () => command(IPVS_CMD_GET_CONFIG),
  getInfo: () => command(IPVS_CMD_GET_INFO),
  /** Every counter, or one service's. */
  zero: (id?: IpvsServiceId) => command(IPVS_CMD_ZERO, id ? [serviceNest(serviceId(id))] : []),
  /** Every service and destination of the network namespace. */
  flush: () => command(IPVS_CMD_FLUSH),
};

// ---- answers -------------------------------------------------------------------------------

export type IpvsReply =
  | { kind: 'service'; service: IpvsService }
  | { kind: 'destination'; destination: IpvsDestination }
  | { kind: 'daemon'; daemon: IpvsDaemon }
  | { kind: 'timeouts'; timeouts: IpvsTimeouts }
  | { kind: 'info'; info: IpvsInfo };

/** Where a reply stopped making sense: its command, its first-level attributes, or a nest's fields. */
export type IpvsDecodeStage = 'command' | 'attributes' | 'fields';

export type IpvsReplyResult =
  { ok: true; value: IpvsReply } | { ok: false; stage: IpvsDecodeStage; error: string };

const fail = (stage: IpvsDecodeStage, error: string): IpvsReplyResult => ({ ok: false, stage, error });

/**
 * Decodes one answer of the IPVS family (dumps answer GET_SERVICE with NEW_SERVICE, GET_DEST with
 * NEW_DEST, GET_DAEMON with NEW_DAEMON; GET_CONFIG with SET_CONFIG, GET_INFO with SET_INFO). `serviceAf`
 * is the family of the service whose destinations these are, for kernels that do not say. Never throws.
 */
export function decodeIpvsReply(msg: GenlMessage, serviceAf?: number): IpvsReplyResult {
  const nestOf = (type: number, what: string) => {
    const a = findAttr(msg.attrs, type);
    return a
      ? { ok: true as const, a }
      : { ok: false as const, r: fail('attributes', `${what} attribute missing`) };
  };
  switch (msg.cmd) {
    case IPVS_CMD_NEW_SERVICE: {
      const n = nestOf(IPVS_CMD_ATTR_SERVICE, 'service');
      if (!n.ok) return n.r;
      const s = decodeService(n.a);
      return s.ok ? { ok: true, value: { kind: 'service', service: s.value } } : fail('fields', s.error);
    }
    case IPVS_CMD_NEW_DEST: {
      const n = nestOf(IPVS_CMD_ATTR_DEST, 'destination');
      if (!n.ok) return n.r;
      const d = decodeDestination(n.a, serviceAf);
      return d.ok
        ? { ok: true, value: { kind: 'destination', destination: d.value } }
        : fail('fields', d.error);
    }
    case IPVS_CMD_NEW_DAEMON: {
      const n = nestOf(IPVS_CMD_ATTR_DAEMON, 'daemon');
      if (!n.ok) return n.r;
      const d = decodeDaemon(n.a);
      return d.ok ? { ok: true, value: { kind: 'daemon', daemon: d.value } } : fail('fields', d.error);
    }
    case IPVS_CMD_SET_CONFIG:
      return { ok: true, value: { kind: 'timeouts', timeouts: decodeTimeouts(msg.attrs) } };
    case IPVS_CMD_SET_INFO: {
      const i = decodeInfo(msg.attrs);
      return i.ok ? { ok: true, value: { kind: 'info', info: i.value } } : fail('attributes', i.error);
    }
    default:
      return fail('command', `unexpected IPVS command ${msg.cmd} in a reply`);
  }
}
