// The nf_tables layout of the load balancer: our own tables, their fixed skeleton (hooks and the dispatch
// from a packet to its virtual service), object names, and how addresses, ports and servers are laid out
// in set keys and map values. Pure.
//
//   table inet keepalived_ts                       NAT services (IPv4 and IPv6)
//     chain prerouting  (nat, prerouting, dstnat)  jump services
//     chain output      (nat, output, dstnat)      jump services      (clients on the balancer itself)
//     chain services    fwmark4 / fwmark6 / addr4 / addr6 verdict maps: goto the service's chain
//     map addr4         ip daddr . meta l4proto . th dport : verdict
//     map addr6         ip6 daddr . meta l4proto . th dport : verdict
//     map fwmark4/6     meta mark : verdict
//     chain <service>, and as the service needs:
//       map <service>.slots                        slot : server (NAT without persistence)
//       set <service>.slots                        slot . server (sh, dh, mh, fo with rules per server)
//       map <service>.slots, chain <service>.schedule, chains <service>.to_<rs>
//                                                  rr / wrr with rules per server: slot : goto to_<rs>
//       sets <service>.live, <service>.persist     persistence: live servers; masked client . server
//   table netdev keepalived_ts                     DR services, forwarded at layer 2 from the device's ingress
//     chain ingress     (filter, ingress, devices) jump services
//     chain services    addr4 / addr6 verdict maps
//     chain <service> and its objects as above (always with rules per server), and sets <service>.conns,
//       [TCP] <service>.closing: client . client port . server (connections.ts)
// Service names come from their keys (tcp4_192.0.2.1_80, udp6_2001-db8--1_53, fwmark4_5), real servers' from
// their address and port (<rs> = 10.0.0.1_8080), so a restart finds them again and an operator can type
// them in nft(8).
//
// Every rule is one nft(8) itself can print (Debian 12's nft 1.0.6 included): a map lookup's result only
// ever feeds dnat (NAT without persistence: `dnat to <index> map @slots`), never a set lookup, a dynset or
// fwd, which nft cannot print (it aborts, or refuses the whole listing). So a rule that must know the
// chosen server (persistence, DR's connection tracking, fwd) names it: one rule per real server, its
// server in the key of the service's set it looks up (client . server, slot . server), or a chain per
// server that the rr / wrr slot verdict map jumps to (a counter cannot be read again by another rule).
// Two kernel costs shape this (server-rules.ts): the kernel finds a set by name in a list of the table's
// sets, so sets are per service, never per server; and each commit that adds a rule (or a verdict map
// element naming a chain) checks again every rule reachable from a base chain, so a real server's removal
// or return changes set elements only, wherever the scheduler allows (all but rr and wrr's counter).

import { addressToBytes } from '../../common/inet.js';
import type { LvsProtocol } from '../../config/model/lvs/types.js';
import { writeU32 } from '../../net/netlink/codec.js';
import type { ChainSpec, SetElement, SetSpec, TableFamily, TableRef } from '../../net/netlink/nftables.js';
import {
  NF_INET_LOCAL_OUT,
  NF_INET_PRE_ROUTING,
  NF_IP_PRI_NAT_DST,
  NF_NETDEV_INGRESS,
  NFT_DATA_VERDICT,
  NFT_DATA_VERDICT_LEN,
} from '../../net/netlink/nftables.js';
import { type NftExpr, reg32 } from '../../net/netlink/nft-expr.js';
import type { LbFamily, ServiceKey } from '../table/types.js';

export const TABLE_NAME = 'keepalived_ts';

/** The two tables: NAT services in `inet`, DR services in `netdev`. */
export type PlaneTable = 'inet' | 'netdev';

export function tableRef(table: PlaneTable): TableRef {
  return { family: table as TableFamily, table: TABLE_NAME };
}

/** Priority of the netdev ingress chain: 0, as nft's default for `filter`. */
export const INGRESS_PRIORITY = 0;

// ---- nft(8) datatype numbers, for readable listings only (the kernel ignores them) ----

export const NFT_TYPE = {
  INTEGER: 4,
  IPADDR: 7,
  IP6ADDR: 8,
  INET_PROTOCOL: 12,
  INET_SERVICE: 13,
  MARK: 19,
  IFINDEX: 20,
} as const;

/** nft(8)'s number for a concatenation of datatypes. */
export function concatType(...types: number[]): number {
  return types.reduce((acc, t) => (acc << 6) | t, 0) >>> 0;
}

// ---- registers ----

/** Slot index computed by the scheduler; also the TCP flags a DR rule tests. */
export const R_INDEX = reg32(0);
/** The chosen real server: address (1 or 4 registers) then port or ifindex (1 register). */
export const R_SERVER = reg32(1);
/**
 * A set key naming a server: the persistence key (masked client address . server id) or a DR connection's
 * key (client address . client port . server address), up to 9 registers.
 */
export const R_KEY = reg32(6);
/** Scheduler hash input. */
export const R_SCRATCH = reg32(10);

// ---- protocol facts ----

export const IPPROTO: Record<LvsProtocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };

export interface FamilyLayout {
  /** Address length in bytes. */
  addressLen: number;
  /** Offsets of the source and destination address in the network header. */
  saddrOffset: number;
  daddrOffset: number;
  addressType: number;
  /** NFPROTO_* for `meta nfproto`, ETH_P_* for `meta protocol`. */
  nfproto: number;
  ethertype: number;
  natFamily: 'ipv4' | 'ipv6';
}

export const FAMILY: Record<LbFamily, FamilyLayout> = {
  inet: {
    addressLen: 4,
    saddrOffset: 12,
    daddrOffset: 16,
    addressType: NFT_TYPE.IPADDR,
    nfproto: 2,
    ethertype: 0x0800,
    natFamily: 'ipv4',
  },
  inet6: {
    addressLen: 16,
    saddrOffset: 8,
    daddrOffset: 24,
    addressType: NFT_TYPE.IP6ADDR,
    nfproto: 10,
    ethertype: 0x86dd,
    natFamily: 'ipv6',
  },
};

// ---- byte layouts ----

export function addressBytes(text: string, family: LbFamily): Buffer {
  const bytes = addressToBytes(text, family === 'inet' ? 4 : 6);
  if (!bytes) throw new TypeError(`not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address: ${text}`);
  return Buffer.from(bytes);
}

/** A port as registers hold it after a 2-byte payload load: big-endian, zero-padded to 4 bytes. */
export function portBytes(port: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(port, 0);
  return b;
}

/** A 32-bit number as computed into a register (numgen, hash, meta mark): host byte order. */
export function hostU32(value: number): Buffer {
  const b = Buffer.alloc(4);
  writeU32(b, value, 0);
  return b;
}

/** A one-byte value (meta l4proto) as a register holds it: zero-padded to 4 bytes. */
export function byteInRegister(value: number): Buffer {
  return Buffer.from([value & 0xff, 0, 0, 0]);
}

// ---- names ----

/** A service's name in the kernel, readable and derived from its key only (a restart finds it again). */
export function serviceName(key: ServiceKey): string {
  const v = key.family === 'inet' ? '4' : '6';
  if (key.kind === 'fwmark') return `fwmark${v}_${key.fwmark}`;
  // nft(8) reads no ':' in a name, so IPv6 addresses are written with '-' (fd00:10::1 → fd00-10--1).
  return `${key.protocol.toLowerCase()}${v}_${key.address.replaceAll(':', '-')}_${key.port}`;
}

/** A real server in object names: its address ('-' for ':', as serviceName) and port. */
export function serverTag(d: { address: string; port: number }): string {
  return `${d.address.replaceAll(':', '-')}_${d.port}`;
}

/** The chain that sends a new connection to one real server (rr and wrr with persistence, or DR). */
export function serverChain(service: string, tag: string): string {
  return `${service}.to_${tag}`;
}

/** rr and wrr with rules per server: the chain of the counter and its slot verdict map. */
export function scheduleChain(service: string): string {
  return `${service}.schedule`;
}

/** The names of a service's sets. */
export function serviceSets(service: string): {
  slots: string;
  live: string;
  persist: string;
  conns: string;
  closing: string;
} {
  return {
    slots: `${service}.slots`,
    /** Persistence: the live servers (address [. port]). */
    live: `${service}.live`,
    /** Persistence: the clients, as masked client address . server. */
    persist: `${service}.persist`,
    /** DR: connections in progress, and TCP connections closing: client address . port . server address. */
    conns: `${service}.conns`,
    closing: `${service}.closing`,
  };
}

/** The dispatch verdict map a service's key lives in. */
export function dispatchMap(key: ServiceKey): string {
  const v = key.family === 'inet' ? '4' : '6';
  return key.kind === 'fwmark' ? `fwmark${v}` : `addr${v}`;
}

/** The dispatch map key of a service (see the layout above). */
export function dispatchKey(key: ServiceKey): Buffer {
  if (key.kind === 'fwmark') return hostU32(key.fwmark);
  return Buffer.concat([
    addressBytes(key.address, key.family),
    byteInRegister(IPPROTO[key.protocol]),
    portBytes(key.port),
  ]);
}

// ---- the skeleton of each table ----

function familyMatch(table: PlaneTable, family: LbFamily): NftExpr[] {
  const f = FAMILY[family];
  return table === 'inet'
    ? [
        { kind: 'meta', key: 'nfproto', dreg: reg32(0) },
        { kind: 'cmp', sreg: reg32(0), op: 'eq', data: Buffer.from([f.nfproto]) },
      ]
    : [
        { kind: 'meta', key: 'protocol', dreg: reg32(0) },
        { kind: 'cmp', sreg: reg32(0), op: 'eq', data: Buffer.from([f.ethertype >> 8, f.ethertype & 0xff]) },
      ];
}

/** `ip daddr . meta l4proto . th dport vmap @addrN`. */
function addressDispatch(table: PlaneTable, family: LbFamily): NftExpr[] {
  const f = FAMILY[family];
  const words = f.addressLen / 4;
  return [
    ...familyMatch(table, family),
    { kind: 'payload', base: 'network', offset: f.daddrOffset, len: f.addressLen, dreg: reg32(0) },
    { kind: 'meta', key: 'l4proto', dreg: reg32(words) },
    { kind: 'payload', base: 'transport', offset: 2, len: 2, dreg: reg32(words + 1) },
    { kind: 'lookup', set: `addr${family === 'inet' ? '4' : '6'}`, sreg: reg32(0), dreg: 0 },
  ];
}

/** `meta mark vmap @fwmarkN`. */
function fwmarkDispatch(family: LbFamily): NftExpr[] {
  return [
    ...familyMatch('inet', family),
    { kind: 'meta', key: 'mark', dreg: reg32(0) },
    { kind: 'lookup', set: `fwmark${family === 'inet' ? '4' : '6'}`, sreg: reg32(0), dreg: 0 },
  ];
}

export type SetShape = Omit<SetSpec, 'family' | 'table' | 'name' | 'id'>;

/** A set as realised: its shape and its elements. */
export interface RealisedSet {
  name: string;
  shape: SetShape;
  /** Elements by the hex of their key (never those the packet path adds: dynamic sets are realised empty). */
  elements: ReadonlyMap<string, SetElement>;
}

function dispatchShape(kind: 'addr' | 'fwmark', family: LbFamily): SetShape {
  const f = FAMILY[family];
  return kind === 'fwmark'
    ? {
        flags: 0,
        keyLen: 4,
        keyType: NFT_TYPE.MARK,
        dataLen: NFT_DATA_VERDICT_LEN,
        dataType: NFT_DATA_VERDICT,
        byteOrder: { key: 'host' },
      }
    : {
        flags: 0,
        keyLen: f.addressLen + 8,
        keyType: concatType(f.addressType, NFT_TYPE.INET_PROTOCOL, NFT_TYPE.INET_SERVICE),
        dataLen: NFT_DATA_VERDICT_LEN,
        dataType: NFT_DATA_VERDICT,
      };
}

export interface Skeleton {
  chains: ChainSpec[];
  sets: { name: string; shape: SetShape }[];
  /** Rules of the `services` chain, in order (fwmark first: IPVS looks fwmark services up first). */
  dispatchRules: NftExpr[][];
}

export const SERVICES_CHAIN = 'services';

/** The fixed objects of a table; `devices`: the netdev ingress chain's devices. */
export function skeleton(table: PlaneTable, devices: readonly string[] = []): Skeleton {
  const ref = tableRef(table);
  const jump: ChainSpec[] = [];
  if (table === 'inet') {
    jump.push(
      {
        ...ref,
        name: 'prerouting',
        hook: { hooknum: NF_INET_PRE_ROUTING, priority: NF_IP_PRI_NAT_DST, type: 'nat', policy: 'accept' },
      },
      {
        ...ref,
        name: 'output',
        hook: { hooknum: NF_INET_LOCAL_OUT, priority: NF_IP_PRI_NAT_DST, type: 'nat', policy: 'accept' },
      },
    );
  } else {
    jump.push({
      ...ref,
      name: 'ingress',
      hook: {
        hooknum: NF_NETDEV_INGRESS,
        priority: INGRESS_PRIORITY,
        type: 'filter',
        policy: 'accept',
        devices,
      },
    });
  }
  const sets = [
    { name: 'addr4', shape: dispatchShape('addr', 'inet') },
    { name: 'addr6', shape: dispatchShape('addr', 'inet6') },
  ];
  const dispatchRules = [addressDispatch(table, 'inet'), addressDispatch(table, 'inet6')];
  if (table === 'inet') {
    sets.push(
      { name: 'fwmark4', shape: dispatchShape('fwmark', 'inet') },
      { name: 'fwmark6', shape: dispatchShape('fwmark', 'inet6') },
    );
    dispatchRules.unshift(fwmarkDispatch('inet'), fwmarkDispatch('inet6'));
  }
  return { chains: [...jump, { ...ref, name: SERVICES_CHAIN }], sets, dispatchRules };
}

/** The rule of each base chain: `jump services`. */
export function jumpToServices(): NftExpr[] {
  return [{ kind: 'verdict', verdict: { code: 'jump', chain: SERVICES_CHAIN } }];
}
