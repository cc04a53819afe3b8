// DR connection tracking of our own. At a device's ingress there is no conntrack, and a scheduler such as
// rr would send each packet of a connection somewhere else; so, as IPVS keeps a connection table, a DR
// service remembers each connection with the server it went to, as client address . client port . server
// address in its sets:
//   conns    the connections in progress; refreshed by every packet (TCP 900 s, UDP 300 s, as IPVS);
//   closing  TCP connections that sent FIN or RST, kept a short while for their last packets (IPVS's
//            FIN_WAIT / TIME_WAIT: 120 s), so that closed connections do not hold memory for 900 s.
// The service chain looks for the connection with each followed server <rs>, in conns first, then in
// closing, before it schedules:
//     FIN or RST  saddr . sport . <rs> @S.conns    move it to closing, fwd to <rs>
//                 saddr . sport . <rs> @S.conns    refresh, fwd to <rs>
//     not a SYN   saddr . sport . <rs> @S.closing  fwd to <rs>
//     a SYN       delete @S.closing { saddr . sport . <rs> }  (the client port reused for a new connection)
// One rule per server rather than one map from connection to server: nft(8) cannot print a rule that
// forwards to (or records) a server read from a map, so each rule forwards to its own server's address.
// The rules stay in the service chain (no chain per server): the kernel checks every chain reachable from
// a base chain again at each commit that adds a rule, so chains would make every change of any service
// slower. A server removed from the service stays followed while it drains (its connections carry on, as
// IPVS's do). Pure: set shapes and rules.

import type { NftExpr } from '../../net/netlink/nft-expr.js';
import { NFT_SET_EVAL, NFT_SET_TIMEOUT } from '../../net/netlink/nftables.js';
import type { LvsProtocol } from '../../config/model/lvs/types.js';
import type { LbFamily } from '../table/types.js';
import { concatType, FAMILY, NFT_TYPE, R_INDEX, R_KEY, serviceSets, type RealisedSet } from './layout.js';
import { action, connectionKey, loadServer, type ServerLayout } from './rule-parts.js';

/** Lifetime of a DR connection entry after its last packet (IPVS: TCP established 900 s, UDP 300 s). */
export const DR_CONNECTION_TIMEOUT_MS: Record<LvsProtocol, number> = {
  TCP: 900_000,
  UDP: 300_000,
  SCTP: 900_000,
};
/** Lifetime of a closing TCP connection's entry (IPVS: FIN_WAIT and TIME_WAIT 120 s). */
export const DR_CLOSING_TIMEOUT_MS = 120_000;
/** Bound of each set (when full, new connections are not forwarded but reach the host). */
export const DR_CONNECTION_LIMIT = 1 << 20;

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;

/** A real server whose connections a DR service follows. */
export interface TrackedServer {
  /** serverTag() of its destination. */
  tag: string;
  /** Its address . ifindex, as serverBytes() lays them out. */
  server: Buffer;
}

/** `tcp flags & mask` compared with zero (`eq` or `neq`). */
function tcpFlags(mask: number, op: 'eq' | 'neq'): NftExpr[] {
  return [
    { kind: 'payload', base: 'transport', offset: 13, len: 1, dreg: R_INDEX },
    {
      kind: 'bitwise',
      sreg: R_INDEX,
      dreg: R_INDEX,
      len: 1,
      mask: Buffer.from([mask]),
      xor: Buffer.from([0]),
    },
    { kind: 'cmp', sreg: R_INDEX, op, data: Buffer.from([0]) },
  ];
}

const tracksClosing = (protocol: LvsProtocol): boolean => protocol === 'TCP';

/** The connection sets of a DR service. */
export function connectionSets(name: string, family: LbFamily, protocol: LvsProtocol): RealisedSet[] {
  const f = FAMILY[family];
  const shape = (timeoutMs: number): RealisedSet['shape'] => ({
    flags: NFT_SET_TIMEOUT | NFT_SET_EVAL,
    keyLen: f.addressLen + 4 + f.addressLen,
    keyType: concatType(f.addressType, NFT_TYPE.INET_SERVICE, f.addressType),
    timeoutMs,
    sizeHint: DR_CONNECTION_LIMIT,
  });
  const names = serviceSets(name);
  const sets: RealisedSet[] = [
    { name: names.conns, shape: shape(DR_CONNECTION_TIMEOUT_MS[protocol]), elements: new Map() },
  ];
  if (tracksClosing(protocol))
    sets.push({ name: names.closing, shape: shape(DR_CLOSING_TIMEOUT_MS), elements: new Map() });
  return sets;
}

/**
 * Rules of the service chain, before any scheduling: the packets of each followed server's connections,
 * then those of its closing ones.
 */
export function connectionRules(
  name: string,
  family: LbFamily,
  protocol: LvsProtocol,
  layout: ServerLayout,
  tracked: readonly TrackedServer[],
): NftExpr[][] {
  const sets = serviceSets(name);
  const rules: NftExpr[][] = [];
  const lookup = (set: string): NftExpr => ({ kind: 'lookup', set, sreg: R_KEY });
  const dynset = (set: string, op: 'add' | 'update' | 'delete'): NftExpr => ({
    kind: 'dynset',
    set,
    op,
    keyReg: R_KEY,
  });
  for (const t of tracked) {
    const key = connectionKey(family, t.server);
    const forward = [...loadServer(t.server, layout), action(layout)];
    if (tracksClosing(protocol)) {
      // FIN or RST: the connection moves to `closing` (the flags first: most packets stop there).
      rules.push([
        ...tcpFlags(TCP_FIN | TCP_RST, 'neq'),
        ...key,
        lookup(sets.conns),
        dynset(sets.conns, 'delete'),
        dynset(sets.closing, 'add'),
        ...forward,
      ]);
    }
    rules.push([...key, lookup(sets.conns), dynset(sets.conns, 'update'), ...forward]);
  }
  if (tracksClosing(protocol)) {
    for (const t of tracked) {
      const key = connectionKey(family, t.server);
      // The last packets of a closed connection (never a SYN).
      rules.push([
        ...tcpFlags(TCP_SYN, 'eq'),
        ...key,
        lookup(sets.closing),
        ...loadServer(t.server, layout),
        action(layout),
      ]);
      // A SYN: a new connection from a reused client port, scheduled anew; the closed one is forgotten.
      rules.push([...tcpFlags(TCP_SYN, 'neq'), ...key, dynset(sets.closing, 'delete')]);
    }
  }
  return rules;
}

/** Expressions that record the packet's connection as one of this server's (a new connection's rule). */
export function recordConnection(name: string, family: LbFamily, server: Buffer): NftExpr[] {
  return [
    ...connectionKey(family, server),
    { kind: 'dynset', set: serviceSets(name).conns, op: 'update', keyReg: R_KEY },
  ];
}
