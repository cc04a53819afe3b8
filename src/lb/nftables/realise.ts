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
// dnat, and keeps its own connection map (no conntrack at ingress), checked first:
//     source . sport → K; lookup @S.conns[K] → server; refresh; fwd
// and every rule that picks a server records it in @S.conns.

import { type NftExpr, registersFor } from '../../net/netlink/nft-expr.js';
import type { SetElement } from '../../net/netlink/nftables.js';
import { NFT_SET_EVAL, NFT_SET_TIMEOUT } from '../../net/netlink/nftables.js';
import type { Destination, LbFamily, Service, ServiceKey } from '../table/types.js';
import {
  addressBytes,
  concatType,
  dispatchKey,
  dispatchMap,
  FAMILY,
  hostU32,
  NFT_TYPE,
  type PlaneTable,
  portBytes,
  R_CLIENT,
  R_INDEX,
  R_SCRATCH,
  R_SERVER,
  serviceName,
  type SetShape,
} from './layout.js';
import { type SlotTable, slotTable } from './slots.js';
import { nftablesSupport } from './support.js';

/** What realising a service needs from outside: the egress device of each DR real server. */
export interface PlaneEnvironment {
  /** ifindex of the device that reaches a DR real server directly (by address text). */
  drIfindex: ReadonlyMap<string, number>;
}

export interface RealisedSet {
  name: string;
  shape: SetShape;
  /** Elements by the hex of their key. */
  elements: ReadonlyMap<string, SetElement>;
}

export interface ServiceRealisation {
  name: string;
  table: PlaneTable;
  dispatch: { map: string; key: Buffer };
  sets: RealisedSet[];
  rules: NftExpr[][];
}

/** A service the nftables plane refuses, with the reason nftablesSupport() gives or a layout limit. */
export class NftablesUnsupportedError extends Error {
  constructor(
    readonly service: ServiceKey,
    readonly reason: string,
  ) {
    super(`virtual server ${serviceName(service)}: ${reason}`);
    this.name = 'NftablesUnsupportedError';
  }
}

/** Lifetime of a DR connection entry after its last packet (IPVS: TCP established 900 s, UDP 300 s). */
export const DR_CONNECTION_TIMEOUT_MS: Record<'TCP' | 'UDP' | 'SCTP', number> = {
  TCP: 900_000,
  UDP: 300_000,
  SCTP: 900_000,
};
/** Bound of a DR connection map (when full, new connections are not forwarded but reach the host). */
export const DR_CONNECTION_LIMIT = 1 << 20;
/** Bound of a persistence map (the kernel's default for a dynamic set is only 65535 elements). */
export const PERSISTENCE_LIMIT = 1 << 20;
/** jhash seed: fixed, so a restart hashes clients to the same servers. */
export const HASH_SEED = 0x6b61_6c76;

// ---- how a server is laid out in map values ----

interface ServerLayout {
  family: LbFamily;
  dr: boolean;
  /** NAT: rewrite the port too (every address service; fwmark services whose servers have one). */
  withPort: boolean;
  len: number;
  type: number;
}

function serverLayout(service: Service): ServerLayout {
  const family = service.key.family;
  const f = FAMILY[family];
  const dr = service.destinations.length > 0 && service.destinations.every((d) => d.method === 'DR');
  if (dr)
    return {
      family,
      dr,
      withPort: false,
      len: f.addressLen + 4,
      type: concatType(f.addressType, NFT_TYPE.IFINDEX),
    };
  const withPort = service.key.kind === 'address' || service.destinations.some((d) => d.port !== 0);
  return withPort
    ? { family, dr, withPort, len: f.addressLen + 4, type: concatType(f.addressType, NFT_TYPE.INET_SERVICE) }
    : { family, dr, withPort, len: f.addressLen, type: f.addressType };
}

function serverBytes(d: Destination, layout: ServerLayout, env: PlaneEnvironment, key: ServiceKey): Buffer {
  const address = addressBytes(d.address, layout.family);
  if (layout.dr) {
    const ifindex = env.drIfindex.get(d.address);
    if (ifindex === undefined) {
      throw new NftablesUnsupportedError(
        key,
        `DR real server ${d.address} is not on a directly connected network`,
      );
    }
    return Buffer.concat([address, hostU32(ifindex)]);
  }
  return layout.withPort ? Buffer.concat([address, portBytes(d.port)]) : address;
}

// ---- expressions ----

function loadAddress(family: LbFamily, which: 'source' | 'destination', dreg: number): NftExpr {
  const f = FAMILY[family];
  return {
    kind: 'payload',
    base: 'network',
    offset: which === 'source' ? f.saddrOffset : f.daddrOffset,
    len: f.addressLen,
    dreg,
  };
}

function loadSourcePort(dreg: number): NftExpr {
  return { kind: 'payload', base: 'transport', offset: 0, len: 2, dreg };
}

function indexExprs(table: SlotTable, family: LbFamily): NftExpr[] {
  const index = table.index;
  switch (index.kind) {
    case 'counter':
      return [{ kind: 'numgen', type: 'inc', dreg: R_INDEX, modulus: index.modulus }];
    case 'constant':
      return [{ kind: 'immediate', dreg: R_INDEX, data: hostU32(0) }];
    case 'hash': {
      const f = FAMILY[family];
      const load = [loadAddress(family, index.of === 'destination' ? 'destination' : 'source', R_SCRATCH)];
      let len = f.addressLen;
      if (index.of === 'source-port') {
        load.push(loadSourcePort(R_SCRATCH + registersFor(f.addressLen)));
        len += 4;
      }
      return [
        ...load,
        { kind: 'hash', sreg: R_SCRATCH, dreg: R_INDEX, len, modulus: index.modulus, seed: HASH_SEED },
      ];
    }
  }
}

/** The client key of a persistent service: its source address under the granularity mask. */
function clientKey(family: LbFamily, granularity: string): NftExpr[] {
  const f = FAMILY[family];
  const mask = granularityMask(family, granularity);
  const load = loadAddress(family, 'source', R_CLIENT);
  if (mask.every((b) => b === 0xff)) return [load];
  return [
    load,
    {
      kind: 'bitwise',
      sreg: R_CLIENT,
      dreg: R_CLIENT,
      len: f.addressLen,
      mask,
      xor: Buffer.alloc(f.addressLen),
    },
  ];
}

/** IPv4: a netmask ('255.255.255.0'); IPv6: a prefix length ('64'). */
export function granularityMask(family: LbFamily, granularity: string): Buffer {
  if (family === 'inet') return addressBytes(granularity, 'inet');
  const bits = Number(granularity);
  if (!Number.isInteger(bits) || bits < 1 || bits > 128)
    throw new TypeError(`bad IPv6 persistence granularity ${granularity}`);
  const mask = Buffer.alloc(16);
  for (let i = 0; i < 16; i++)
    mask[i] = bits >= (i + 1) * 8 ? 0xff : bits > i * 8 ? (0xff << (8 - (bits - i * 8))) & 0xff : 0;
  return mask;
}

function connectionKey(family: LbFamily): NftExpr[] {
  return [
    loadAddress(family, 'source', R_SCRATCH),
    loadSourcePort(R_SCRATCH + registersFor(FAMILY[family].addressLen)),
  ];
}

function action(layout: ServerLayout): NftExpr {
  const addressRegs = registersFor(FAMILY[layout.family].addressLen);
  if (layout.dr) {
    return {
      kind: 'fwd',
      devReg: R_SERVER + addressRegs,
      addrReg: R_SERVER,
      family: FAMILY[layout.family].natFamily,
    };
  }
  const nat: NftExpr = {
    kind: 'nat',
    type: 'dnat',
    family: FAMILY[layout.family].natFamily,
    addrMin: R_SERVER,
  };
  return layout.withPort ? { ...nat, protoMin: R_SERVER + addressRegs } : nat;
}

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
  const layout = serverLayout(service);
  const table: PlaneTable =
    service.destinations.length === 0 ? (preferredTable ?? 'inet') : layout.dr ? 'netdev' : 'inet';
  let slots: SlotTable;
  try {
    slots = slotTable(service, service.destinations);
  } catch (error) {
    throw new NftablesUnsupportedError(service.key, (error as Error).message);
  }
  const servers = service.destinations.map((d) => serverBytes(d, layout, env, service.key));
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
  const connsName = `${name}.conns`;
  const remember: NftExpr[] = [];
  if (table === 'netdev') {
    const protocol = service.key.kind === 'address' ? service.key.protocol : 'TCP';
    sets.push({
      name: connsName,
      shape: {
        flags: NFT_SET_TIMEOUT | NFT_SET_EVAL,
        keyLen: f.addressLen + 4,
        keyType: concatType(f.addressType, NFT_TYPE.INET_SERVICE),
        dataLen: layout.len,
        dataType: layout.type,
        timeoutMs: DR_CONNECTION_TIMEOUT_MS[protocol],
        sizeHint: DR_CONNECTION_LIMIT,
      },
      elements: new Map(),
    });
    rules.push([
      ...connectionKey(family),
      { kind: 'lookup', set: connsName, sreg: R_SCRATCH, dreg: R_SERVER },
      { kind: 'dynset', set: connsName, op: 'update', keyReg: R_SCRATCH, dataReg: R_SERVER },
      action(layout),
    ]);
    remember.push(...connectionKey(family), {
      kind: 'dynset',
      set: connsName,
      op: 'update',
      keyReg: R_SCRATCH,
      dataReg: R_SERVER,
    });
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
