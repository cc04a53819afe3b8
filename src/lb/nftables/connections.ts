// DR connection tracking of our own. At a device's ingress there is no conntrack, and a scheduler such as
// rr would send each packet of a connection somewhere else; so, as IPVS keeps a connection table, a DR
// service keeps dynamic maps from (client address . client port) to the server its connection went to:
//   conns    the connections in progress; refreshed by every packet (TCP 900 s, UDP 300 s, as IPVS);
//   closing  TCP connections that sent FIN or RST, kept a short while for their last packets (IPVS's
//            FIN_WAIT / TIME_WAIT: 120 s), so that closed connections do not hold memory for 900 s.
// A SYN never takes a `closing` entry (a reused client port is a new connection, scheduled anew).
// Pure: set shapes and rules.

import type { NftExpr } from '../../net/netlink/nft-expr.js';
import { NFT_SET_EVAL, NFT_SET_TIMEOUT } from '../../net/netlink/nftables.js';
import type { LvsProtocol } from '../../config/model/lvs/types.js';
import type { LbFamily } from '../table/types.js';
import { concatType, FAMILY, NFT_TYPE, R_INDEX, R_SCRATCH, R_SERVER, type RealisedSet } from './layout.js';
import { action, connectionKey, type ServerLayout } from './rule-parts.js';

/** Lifetime of a DR connection entry after its last packet (IPVS: TCP established 900 s, UDP 300 s). */
export const DR_CONNECTION_TIMEOUT_MS: Record<LvsProtocol, number> = {
  TCP: 900_000,
  UDP: 300_000,
  SCTP: 900_000,
};
/** Lifetime of a closing TCP connection's entry (IPVS: FIN_WAIT and TIME_WAIT 120 s). */
export const DR_CLOSING_TIMEOUT_MS = 120_000;
/** Bound of each map (when full, new connections are not forwarded but reach the host). */
export const DR_CONNECTION_LIMIT = 1 << 20;

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;

export interface ConnectionTracking {
  sets: RealisedSet[];
  /** Rules that forward packets of known connections; they come first in the service chain. */
  rules: NftExpr[][];
  /** Appended to a rule that has just chosen a server (in R_SERVER): record the connection. */
  remember: NftExpr[];
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

export function drConnectionTracking(
  name: string,
  family: LbFamily,
  protocol: LvsProtocol,
  layout: ServerLayout,
): ConnectionTracking {
  const f = FAMILY[family];
  const conns = `${name}.conns`;
  const shape = (timeoutMs: number): RealisedSet['shape'] => ({
    flags: NFT_SET_TIMEOUT | NFT_SET_EVAL,
    keyLen: f.addressLen + 4,
    keyType: concatType(f.addressType, NFT_TYPE.INET_SERVICE),
    dataLen: layout.len,
    dataType: layout.type,
    timeoutMs,
    sizeHint: DR_CONNECTION_LIMIT,
  });
  const key = connectionKey(family);
  const sets: RealisedSet[] = [
    { name: conns, shape: shape(DR_CONNECTION_TIMEOUT_MS[protocol]), elements: new Map() },
  ];
  const known: NftExpr[] = [
    ...key,
    { kind: 'lookup', set: conns, sreg: R_SCRATCH, dreg: R_SERVER },
    { kind: 'dynset', set: conns, op: 'update', keyReg: R_SCRATCH, dataReg: R_SERVER },
    action(layout),
  ];
  const remember: NftExpr[] = [
    ...key,
    { kind: 'dynset', set: conns, op: 'update', keyReg: R_SCRATCH, dataReg: R_SERVER },
  ];
  if (protocol !== 'TCP') return { sets, rules: [known], remember };

  const closing = `${name}.closing`;
  sets.push({ name: closing, shape: shape(DR_CLOSING_TIMEOUT_MS), elements: new Map() });
  return {
    sets,
    rules: [
      // The last packets of a closed connection (never a SYN).
      [
        ...key,
        ...tcpFlags(TCP_SYN, 'eq'),
        { kind: 'lookup', set: closing, sreg: R_SCRATCH, dreg: R_SERVER },
        action(layout),
      ],
      // FIN or RST: the connection moves to `closing`.
      [
        ...key,
        ...tcpFlags(TCP_FIN | TCP_RST, 'neq'),
        { kind: 'lookup', set: conns, sreg: R_SCRATCH, dreg: R_SERVER },
        { kind: 'dynset', set: closing, op: 'add', keyReg: R_SCRATCH, dataReg: R_SERVER },
        // A map's dynset names a data register even to delete (the kernel refuses one without).
        { kind: 'dynset', set: conns, op: 'delete', keyReg: R_SCRATCH, dataReg: R_SERVER },
        action(layout),
      ],
      known,
    ],
    remember: [
      ...remember,
      { kind: 'dynset', set: closing, op: 'delete', keyReg: R_SCRATCH, dataReg: R_SERVER },
    ],
  };
}
