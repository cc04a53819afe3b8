// The nf_tables objects a service is realised as (sets, chains, the servers with rules of their own) and
// two small builders, in a file of their own: realise.ts and server-rules.ts both build them.
import type { NftExpr } from '../../net/netlink/nft-expr.js';
import type { SetElement } from '../../net/netlink/nftables.js';
import type { TrackedServer } from './connections.js';
import { NFT_TYPE, type PlaneTable, type RealisedSet, type SetShape } from './layout.js';

export type { RealisedSet } from './layout.js';

export interface RealisedChain {
  name: string;
  rules: NftExpr[][];
}

/** A real server with rules of its own in a service chain (server-rules.ts). */
export interface KnownServer extends TrackedServer {
  /** For a server no longer in the service: when it left (the service's `sequence` then). */
  departed?: number;
}

export interface ServiceRealisation {
  name: string;
  table: PlaneTable;
  dispatch: { map: string; key: Buffer };
  sets: RealisedSet[];
  /** The service chain (the dispatch map's target) first, then the chains of its real servers. */
  chains: RealisedChain[];
  /** Services with rules per real server: those servers, in a stable order, departed ones included. */
  known: KnownServer[];
  /** How many times this service was realised (orders departures). */
  sequence: number;
}

export function elementsOf(entries: [Buffer, SetElement['data'] | undefined][]): Map<string, SetElement> {
  const out = new Map<string, SetElement>();
  for (const [key, data] of entries)
    out.set(key.toString('hex'), data === undefined ? { key } : { key, data });
  return out;
}

export const slotsShape = (data: Pick<SetShape, 'dataLen' | 'dataType'>): SetShape => ({
  flags: 0,
  keyLen: 4,
  keyType: NFT_TYPE.MARK,
  ...data,
  byteOrder: { key: 'host' },
});
