// One virtual service as nf_tables objects: its chain's rules and its maps with their elements. Pure; the
// planner diffs two realisations to find the few kernel operations between them.
//
// The service chain, for a NAT service without persistence, is one rule:
//     <index>  lookup @S.slots → server  dnat to server
// where <index> is `numgen inc mod N` (rr, wrr), `jhash <source [. port] | destination> mod N` (sh, dh,
// mh) or a constant (fo). With persistence (a dynamic map remembering each client's server):
//     client & mask → C; lookup @S.persist[C] → server; server in @S.live; refresh @S.persist[C]; dnat
//     client & mask → C; lookup @S.persist[C] → server; server not in @S.live; delete @S.persist[C]
//     client & mask → C; <index> → server; remember @S.persist[C] = server; dnat
// A DR service (netdev table) ends each rule with `fwd` to the server's address on its device instead of
// dnat, and keeps its own connection maps (no conntrack at ingress; connections.ts), checked first:
//     source . sport → K; lookup @S.conns[K] → server; refresh; fwd
// and every rule that picks a server records it in @S.conns.

import type { NftExpr } from '../../net/netlink/nft-expr.js';
import type { SetElement } from '../../net/netlink/nftables.js';
import { NFT_SET_EVAL, NFT_SET_TIMEOUT } from '../../net/netlink/nftables.js';
import type { Service } from '../table/types.js';
import { drConnectionTracking } from './connections.js';
import {
  dispatchKey,
  dispatchMap,
  FAMILY,
  hostU32,
  NFT_TYPE,
  type PlaneTable,
  R_CLIENT,
  R_INDEX,
  R_SERVER,
  serviceName,
  type RealisedSet,
} from './layout.js';
import {
  action,
  clientKey,
  indexExprs,
  NftablesUnsupportedError,
  serverBytes,
  serverLayout,
} from './rule-parts.js';
import { type SlotTable, slotTable } from './slots.js';
import { nftablesSupport } from './support.js';

export { NftablesUnsupportedError } from './rule-parts.js';

/** What realising a service needs from outside: the egress device of each DR real server. */
export interface PlaneEnvironment {
  /** ifindex of the device that reaches a DR real server directly (by address text). */
  drIfindex: ReadonlyMap<string, number>;
}

// A set as realised lives in layout.ts, beside SetShape: connections.ts needs it too.
export type { RealisedSet } from './layout.js';

export interface ServiceRealisation {
  name: string;
  table: PlaneTable;
  dispatch: { map: string; key: Buffer };
  sets: RealisedSet[];
  rules: NftExpr[][];
}

/** Bound of a persistence map (the kernel's default for a dynamic set is only 65535 elements). */
export const PERSISTENCE_LIMIT = 1 << 20;

// ---- the service ----

function elementsOf(entries: [Buffer, Buffer | undefined][]): Map<string, SetElement> {
  const out = new Map<string, SetElement>();
  for (const [key, data] of entries)
    out.set(key.toString('hex'), data === undefined ? { key } : { key, data });
  return out;
}

/**
 * The nf_tables objects of one service. Throws NftablesUnsupportedError for a service the plane cannot
 * realise. `preferredTable` keeps a service without real servers where it was.
 */
export function realiseService(
  service: Service,
  env: PlaneEnvironment,
  preferredTable?: PlaneTable,
): ServiceRealisation {
  const reason = nftablesSupport(service, service.destinations);
  if (reason) throw new NftablesUnsupportedError(service.key, reason);
  const name = serviceName(service.key);
  const family = service.key.family;
  const dr = service.destinations.length > 0 && service.destinations.every((d) => d.method === 'DR');
  // A service left without real servers stays where it was (its connection maps with it).
  const table: PlaneTable =
    service.destinations.length === 0 ? (preferredTable ?? 'inet') : dr ? 'netdev' : 'inet';
  const layout = serverLayout(service, table === 'netdev');
  let slots: SlotTable;
  try {
    slots = slotTable(service, service.destinations);
  } catch (error) {
    throw new NftablesUnsupportedError(service.key, (error as Error).message);
  }
  const servers = service.destinations.map((d) => serverBytes(d, layout, env.drIfindex, service.key));
  const f = FAMILY[family];
  const sets: RealisedSet[] = [];
  const slotsName = `${name}.slots`;
  sets.push({
    name: slotsName,
    shape: {
      flags: 0,
      keyLen: 4,
      keyType: NFT_TYPE.MARK,
      dataLen: layout.len,
      dataType: layout.type,
      byteOrder: { key: 'host' },
    },
    elements: elementsOf(
      slots.slots.flatMap((d, i): [Buffer, Buffer][] =>
        d === undefined ? [] : [[hostU32(i), servers[d] as Buffer]],
      ),
    ),
  });

  const pick: NftExpr[] = [
    ...indexExprs(slots, family),
    { kind: 'lookup', set: slotsName, sreg: R_INDEX, dreg: R_SERVER },
  ];
  const rules: NftExpr[][] = [];
  const remember: NftExpr[] = [];
  if (table === 'netdev') {
    const protocol = service.key.kind === 'address' ? service.key.protocol : 'TCP';
    const tracking = drConnectionTracking(name, family, protocol, layout);
    sets.push(...tracking.sets);
    rules.push(...tracking.rules);
    remember.push(...tracking.remember);
  }

  if (service.persistence) {
    const persistName = `${name}.persist`;
    const liveName = `${name}.live`;
    sets.push(
      {
        name: persistName,
        shape: {
          flags: NFT_SET_TIMEOUT | NFT_SET_EVAL,
          keyLen: f.addressLen,
          keyType: f.addressType,
          dataLen: layout.len,
          dataType: layout.type,
          timeoutMs: service.persistence.timeoutS * 1000,
          sizeHint: PERSISTENCE_LIMIT,
        },
        elements: new Map(),
      },
      {
        name: liveName,
        shape: { flags: 0, keyLen: layout.len, keyType: layout.type },
        elements: elementsOf(
          service.destinations.flatMap((d, i): [Buffer, undefined][] =>
            d.weight > 0 ? [[servers[i] as Buffer, undefined]] : [],
          ),
        ),
      },
    );
    const client = clientKey(family, service.persistence.granularity);
    const recall: NftExpr = { kind: 'lookup', set: persistName, sreg: R_CLIENT, dreg: R_SERVER };
    const refresh: NftExpr = {
      kind: 'dynset',
      set: persistName,
      op: 'update',
      keyReg: R_CLIENT,
      dataReg: R_SERVER,
    };
    rules.push(
      [
        ...client,
        recall,
        { kind: 'lookup', set: liveName, sreg: R_SERVER },
        refresh,
        ...remember,
        action(layout),
      ],
      [
        ...client,
        recall,
        { kind: 'lookup', set: liveName, sreg: R_SERVER, invert: true },
        // A map's dynset names a data register even to delete (the kernel refuses one without).
        { kind: 'dynset', set: persistName, op: 'delete', keyReg: R_CLIENT, dataReg: R_SERVER },
      ],
      [...client, ...pick, refresh, ...remember, action(layout)],
    );
  } else {
    rules.push([...pick, ...remember, action(layout)]);
  }
  return {
    name,
    table,
    dispatch: { map: dispatchMap(service.key), key: dispatchKey(service.key) },
    sets,
    rules,
  };
}
