// One virtual service as nf_tables objects: its chains' rules and its sets with their elements. Pure; the
// planner diffs two realisations to find the few kernel operations between them.
//
// A NAT service without persistence is one chain of one rule:
//     <index>  dnat to @S.slots[index]
// where <index> is `numgen inc mod N` (rr, wrr), `jhash <source [. port] | destination> mod N` (sh, dh,
// mh) or a constant (fo), and S.slots maps it to a server's address [. port].
// Every other service needs to know which server it chose, which nft(8) can only print from a rule that
// names the server (layout.ts): its service chain has rules per real server (server-rules.ts). A DR
// service (netdev table) forwards with `fwd` to the server's address on its device instead of dnat, and
// follows its connections itself (no conntrack at ingress; connections.ts).

import type { Service } from '../table/types.js';
import {
  dispatchKey,
  dispatchMap,
  hostU32,
  type PlaneTable,
  R_INDEX,
  R_SERVER,
  serviceName,
  serviceSets,
} from './layout.js';
import { elementsOf, slotsShape, type ServiceRealisation } from './realised.js';
import { action, indexExprs, NftablesUnsupportedError, serverBytes, serverLayout } from './rule-parts.js';
import { perServerObjects } from './server-rules.js';
import { type SlotTable, slotTable } from './slots.js';
import { nftablesSupport } from './support.js';

export { NftablesUnsupportedError } from './rule-parts.js';

/** What realising a service needs from outside: the egress device of each DR real server. */
export interface PlaneEnvironment {
  /** ifindex of the device that reaches a DR real server directly (by address text). */
  drIfindex: ReadonlyMap<string, number>;
}

// What a service is realised as lives in realised.ts (server-rules.ts builds parts of it too).
export {
  elementsOf,
  slotsShape,
  type KnownServer,
  type RealisedChain,
  type RealisedSet,
  type ServiceRealisation,
} from './realised.js';

/**
 * The nf_tables objects of one service. Throws NftablesUnsupportedError for a service the plane cannot
 * realise. `previous`, what the kernel holds for it now, keeps a service without real servers in its table
 * and the rules of departed servers where they were (server-rules.ts).
 */
export function realiseService(
  service: Service,
  env: PlaneEnvironment,
  previous?: ServiceRealisation,
): ServiceRealisation {
  const reason = nftablesSupport(service, service.destinations);
  if (reason) throw new NftablesUnsupportedError(service.key, reason);
  const name = serviceName(service.key);
  const family = service.key.family;
  const dr = service.destinations.length > 0 && service.destinations.every((d) => d.method === 'DR');
  // A service left without real servers stays where it was (its connection tracking with it).
  const table: PlaneTable =
    service.destinations.length === 0 ? (previous?.table ?? 'inet') : dr ? 'netdev' : 'inet';
  const layout = serverLayout(service, table === 'netdev');
  let slots: SlotTable;
  try {
    slots = slotTable(service, service.destinations);
  } catch (error) {
    throw new NftablesUnsupportedError(service.key, (error as Error).message);
  }
  const servers = service.destinations.map((d) => serverBytes(d, layout, env.drIfindex, service.key));
  const base = {
    name,
    table,
    dispatch: { map: dispatchMap(service.key), key: dispatchKey(service.key) },
    sequence: (previous?.sequence ?? 0) + 1,
  };

  if (table === 'inet' && !service.persistence) {
    const slotsName = serviceSets(name).slots;
    const filled = slots.slots.flatMap((d, i): [Buffer, Buffer][] =>
      d === undefined ? [] : [[hostU32(i), servers[d] as Buffer]],
    );
    return {
      ...base,
      sets: [
        {
          name: slotsName,
          shape: slotsShape({ dataLen: layout.len, dataType: layout.type }),
          elements: elementsOf(filled),
        },
      ],
      chains: [
        {
          name,
          rules: [
            [
              ...indexExprs(slots, family),
              { kind: 'lookup', set: slotsName, sreg: R_INDEX, dreg: R_SERVER },
              action(layout),
            ],
          ],
        },
      ],
      known: [],
    };
  }
  const sameKind = previous?.table === table && previous.known.length > 0 ? previous : undefined;
  return { ...base, ...perServerObjects(service, table, layout, slots, servers, sameKind, base.sequence) };
}
