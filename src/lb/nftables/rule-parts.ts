// The pieces service rules are made of: how a real server is laid out in map values, and the expression
// sequences that load a key, compute a slot index, and send the packet to the chosen server. Pure.

import { type NftExpr, registersFor } from '../../net/netlink/nft-expr.js';
import type { Destination, LbFamily, Service, ServiceKey } from '../table/types.js';
import {
  addressBytes,
  concatType,
  FAMILY,
  hostU32,
  NFT_TYPE,
  portBytes,
  R_INDEX,
  R_KEY,
  R_SCRATCH,
  R_SERVER,
  serviceName,
} from './layout.js';
import type { SlotTable } from './slots.js';

/** jhash seed: fixed, so a restart hashes clients to the same servers. */
export const HASH_SEED = 0x6b61_6c76;

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

/** How a real server sits in map values and registers. */
export interface ServerLayout {
  family: LbFamily;
  /** DR: address . ifindex of the device it is reached through; NAT: address [. port]. */
  dr: boolean;
  /** NAT: rewrite the port too (every address service; fwmark services whose servers have one). */
  withPort: boolean;
  len: number;
  /** nft(8)'s datatype of the value. */
  type: number;
}

export function serverLayout(service: Service, dr: boolean): ServerLayout {
  const family = service.key.family;
  const f = FAMILY[family];
  if (dr) {
    return {
      family,
      dr,
      withPort: false,
      len: f.addressLen + 4,
      type: concatType(f.addressType, NFT_TYPE.IFINDEX),
    };
  }
  const withPort = service.key.kind === 'address' || service.destinations.some((d) => d.port !== 0);
  return withPort
    ? { family, dr, withPort, len: f.addressLen + 4, type: concatType(f.addressType, NFT_TYPE.INET_SERVICE) }
    : { family, dr, withPort, len: f.addressLen, type: f.addressType };
}

/** A real server as a map value. `ifindexOf` gives a DR server's device. */
export function serverBytes(
  d: Destination,
  layout: ServerLayout,
  ifindexOf: ReadonlyMap<string, number>,
  key: ServiceKey,
): Buffer {
  const address = addressBytes(d.address, layout.family);
  if (layout.dr) {
    const ifindex = ifindexOf.get(d.address);
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

export function loadAddress(family: LbFamily, which: 'source' | 'destination', dreg: number): NftExpr {
  const f = FAMILY[family];
  return {
    kind: 'payload',
    base: 'network',
    offset: which === 'source' ? f.saddrOffset : f.daddrOffset,
    len: f.addressLen,
    dreg,
  };
}

export function loadSourcePort(dreg: number): NftExpr {
  return { kind: 'payload', base: 'transport', offset: 0, len: 2, dreg };
}

/** The scheduler's slot index into `dreg` (R_INDEX unless it starts a set key). */
export function indexExprs(table: SlotTable, family: LbFamily, dreg = R_INDEX): NftExpr[] {
  const index = table.index;
  switch (index.kind) {
    case 'counter':
      return [{ kind: 'numgen', type: 'inc', dreg, modulus: index.modulus }];
    case 'constant':
      return [{ kind: 'immediate', dreg, data: hostU32(0) }];
    case 'hash': {
      const f = FAMILY[family];
      const load = [loadAddress(family, index.of === 'destination' ? 'destination' : 'source', R_SCRATCH)];
      let len = f.addressLen;
      if (index.of === 'source-port') {
        load.push(loadSourcePort(R_SCRATCH + registersFor(f.addressLen)));
        len += 4;
      }
      return [...load, { kind: 'hash', sreg: R_SCRATCH, dreg, len, modulus: index.modulus, seed: HASH_SEED }];
    }
  }
}

/** IPv4: a netmask ('255.255.255.0'); IPv6: a prefix length ('64'). */
export function granularityMask(family: LbFamily, granularity: string): Buffer {
  if (family === 'inet') return addressBytes(granularity, 'inet');
  const bits = Number(granularity);
  if (!Number.isInteger(bits) || bits < 1 || bits > 128) {
    throw new TypeError(`bad IPv6 persistence granularity ${granularity}`);
  }
  const mask = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) {
    mask[i] = bits >= (i + 1) * 8 ? 0xff : bits > i * 8 ? (0xff << (8 - (bits - i * 8))) & 0xff : 0;
  }
  return mask;
}

/**
 * The persistence key into R_KEY: the client's source address under the granularity mask, then the
 * server (serverKeyBytes) it persists on. Returns the expressions and the register the server starts at.
 */
export function persistenceKey(
  family: LbFamily,
  granularity: string,
  server: Buffer,
  layout: ServerLayout,
): { exprs: NftExpr[]; serverReg: number } {
  const f = FAMILY[family];
  const mask = granularityMask(family, granularity);
  const exprs: NftExpr[] = [loadAddress(family, 'source', R_KEY)];
  if (!mask.every((b) => b === 0xff)) {
    exprs.push({
      kind: 'bitwise',
      sreg: R_KEY,
      dreg: R_KEY,
      len: f.addressLen,
      mask,
      xor: Buffer.alloc(f.addressLen),
    });
  }
  const serverReg = R_KEY + registersFor(f.addressLen);
  exprs.push(...loadServer(server, layout, serverReg, false));
  return { exprs, serverReg };
}

/** A DR connection's key into R_KEY: source address . source port . the server's address. */
export function connectionKey(family: LbFamily, server: Buffer): NftExpr[] {
  const regs = registersFor(FAMILY[family].addressLen);
  return [
    loadAddress(family, 'source', R_KEY),
    loadSourcePort(R_KEY + regs),
    { kind: 'immediate', dreg: R_KEY + regs + 1, data: server.subarray(0, FAMILY[family].addressLen) },
  ];
}

/**
 * Load one real server (serverBytes) into `dreg` as nft(8) itself does: the address, then the port (2
 * bytes) or, unless `withDevice` is false, the ifindex, each by its own immediate (nft prints one
 * expression per register it reads).
 */
export function loadServer(
  server: Buffer,
  layout: ServerLayout,
  dreg = R_SERVER,
  withDevice = true,
): NftExpr[] {
  const addressLen = FAMILY[layout.family].addressLen;
  const next = dreg + registersFor(addressLen);
  const out: NftExpr[] = [{ kind: 'immediate', dreg, data: server.subarray(0, addressLen) }];
  if (layout.dr) {
    if (withDevice)
      out.push({ kind: 'immediate', dreg: next, data: server.subarray(addressLen, addressLen + 4) });
  } else if (layout.withPort) {
    out.push({ kind: 'immediate', dreg: next, data: server.subarray(addressLen, addressLen + 2) });
  }
  return out;
}

/** A real server as a part of a set key: its address [. port] (a DR server's device is not part of it). */
export function serverKeyBytes(server: Buffer, layout: ServerLayout): Buffer {
  return layout.dr ? server.subarray(0, FAMILY[layout.family].addressLen) : server;
}

/** nft(8)'s datatypes of serverKeyBytes(). */
export function serverKeyTypes(layout: ServerLayout): number[] {
  const address = FAMILY[layout.family].addressType;
  return layout.withPort ? [address, NFT_TYPE.INET_SERVICE] : [address];
}

/** Send the packet to the server in R_SERVER: dnat (NAT) or fwd to it on its device (DR). */
export function action(layout: ServerLayout): NftExpr {
  const addressRegs = registersFor(FAMILY[layout.family].addressLen);
  const family = FAMILY[layout.family].natFamily;
  if (layout.dr) return { kind: 'fwd', devReg: R_SERVER + addressRegs, addrReg: R_SERVER, family };
  const nat: NftExpr = { kind: 'nat', type: 'dnat', family, addrMin: R_SERVER };
  return layout.withPort ? { ...nat, protoMin: R_SERVER + addressRegs } : nat;
}
