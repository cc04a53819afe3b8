// The checker's own connections kept out of conntrack. The plane's NAT chains turn connection tracking on
// in the director's namespace, and each health check is then a tracked connection that the kernel keeps
// for 120 s after it closes (TIME_WAIT): at thousands of checks a second the namespace's conntrack table
// fills and the kernel drops new connections, the load-balanced ones included. So the inet table has two
// chains hooked before conntrack (priority raw) that mark the checks' packets `notrack`:
//
//   chain raw_output      (filter, output, raw)
//     ip daddr . meta l4proto . th dport @checked4
//         update @checks4 { ip daddr . meta l4proto . th dport . ip saddr . th sport } notrack
//     ip saddr . meta l4proto . th sport . ip daddr . th dport @checks4 notrack
//   chain raw_prerouting  (filter, prerouting, raw)
//     ip saddr . meta l4proto . th sport . ip daddr . th dport @checks4 notrack
//   (and the same for ip6 with checked6, checks6)
//
// `checked` holds what the checkers connect to (address . protocol . port); only packets the director
// itself sends there are exempted, each recording its connection in `checks` (refreshed by every packet
// it sends); a packet coming in is exempted only when it answers one of those connections. A target on
// the director itself (a local service, 127.0.0.1) answers from the output hook, before any prerouting:
// hence the answer rule in raw_output too (without it each local check left an unreplied entry, and
// 10,000 of them filled the soak's table). Load-balanced
// traffic never matches: a client's packets go to a VIP, a real server's replies to a client go to the
// client's address, and a client on the director itself connects to the VIP, so its connection is not in
// `checks` and the real server's replies to it are de-NATed as before. When `checks` is full, or a check
// connection stays silent longer than its timeout, its packets are tracked again (as without this).
// PING_CHECKs have no ports to tell their packets by: an echo request the director sends to an address in
// `pinged` (the PING_CHECK targets) and an echo reply from one are `notrack`, whoever on the director
// pings (ICMP echo is never load-balanced, so no NAT needs the entry):
//   raw_output      meta l4proto icmp icmp type echo-request ip daddr @pinged4 notrack
//   raw_output, raw_prerouting
//                   meta l4proto icmp icmp type echo-reply ip saddr @pinged4 notrack
//   (icmpv6 types 128 and 129, ip6 addresses, pinged6)
// Pure: chains, set shapes, rules and elements.

import type { ChainSpec, SetElement, TableRef } from '../../net/netlink/nftables.js';
import {
  NF_INET_LOCAL_OUT,
  NF_INET_PRE_ROUTING,
  NF_IP_PRI_RAW,
  NFT_SET_EVAL,
  NFT_SET_TIMEOUT,
} from '../../net/netlink/nftables.js';
import { type NftExpr, reg32 } from '../../net/netlink/nft-expr.js';
import type { LbFamily } from '../table/types.js';
import {
  addressBytes,
  byteInRegister,
  concatType,
  FAMILY,
  IPPROTO,
  NFT_TYPE,
  portBytes,
  type SetShape,
} from './layout.js';

/** What a checker connects to: a TCP or UDP port of a real server (or its connect_ip / connect_port), or
 * the address a PING_CHECK pings (`ICMP`, port unused). */
export interface CheckTarget {
  family: LbFamily;
  protocol: 'TCP' | 'UDP' | 'ICMP';
  address: string;
  port: number;
}

export const RAW_OUTPUT_CHAIN = 'raw_output';
export const RAW_PREROUTING_CHAIN = 'raw_prerouting';

/**
 * Lifetime of a check connection's entry after the last packet the director sent on it: longer than a
 * checker waits for an answer (connect_timeout, 5 s by default), short enough that finished checks do not
 * pile up (2,000 checks/s hold about 120,000 entries).
 */
export const CHECK_FLOW_TIMEOUT_MS = 60_000;
/** Bound of each `checks` set (when full, new checks are tracked by conntrack again). */
export const CHECK_FLOW_LIMIT = 1 << 18;

const suffix = (family: LbFamily): string => (family === 'inet' ? '4' : '6');
/** The set of check targets of a family. */
export const checkedSet = (family: LbFamily): string => `checked${suffix(family)}`;
/** The set of check connections in progress of a family. */
export const checksSet = (family: LbFamily): string => `checks${suffix(family)}`;
/** The set of the addresses PING_CHECKs ping, of a family. */
export const pingedSet = (family: LbFamily): string => `pinged${suffix(family)}`;

/** ICMP's protocol number and its echo request / reply types, by family. */
const ECHO: Record<LbFamily, { protocol: number; request: number; reply: number }> = {
  inet: { protocol: 1, request: 8, reply: 0 },
  inet6: { protocol: 58, request: 128, reply: 129 },
};

const FAMILIES: readonly LbFamily[] = ['inet', 'inet6'];

/** The sets: targets (updated by the plane) and connections (filled from the packet path). */
export function notrackSets(): { name: string; shape: SetShape }[] {
  return FAMILIES.flatMap((family) => {
    const f = FAMILY[family];
    return [
      {
        name: checkedSet(family),
        shape: {
          flags: 0,
          keyLen: f.addressLen + 8,
          keyType: concatType(f.addressType, NFT_TYPE.INET_PROTOCOL, NFT_TYPE.INET_SERVICE),
        },
      },
      {
        name: checksSet(family),
        shape: {
          flags: NFT_SET_TIMEOUT | NFT_SET_EVAL,
          keyLen: 2 * f.addressLen + 12,
          keyType: concatType(
            f.addressType,
            NFT_TYPE.INET_PROTOCOL,
            NFT_TYPE.INET_SERVICE,
            f.addressType,
            NFT_TYPE.INET_SERVICE,
          ),
          timeoutMs: CHECK_FLOW_TIMEOUT_MS,
          sizeHint: CHECK_FLOW_LIMIT,
        },
      },
      { name: pingedSet(family), shape: { flags: 0, keyLen: f.addressLen, keyType: f.addressType } },
    ];
  });
}

/** The two base chains, hooked before conntrack. */
export function notrackChains(ref: TableRef): ChainSpec[] {
  const hook = (hooknum: number): ChainSpec['hook'] => ({
    hooknum,
    priority: NF_IP_PRI_RAW,
    type: 'filter',
    policy: 'accept',
  });
  return [
    { ...ref, name: RAW_OUTPUT_CHAIN, hook: hook(NF_INET_LOCAL_OUT) },
    { ...ref, name: RAW_PREROUTING_CHAIN, hook: hook(NF_INET_PRE_ROUTING) },
  ];
}

function familyMatch(family: LbFamily): NftExpr[] {
  return [
    { kind: 'meta', key: 'nfproto', dreg: reg32(0) },
    { kind: 'cmp', sreg: reg32(0), op: 'eq', data: Buffer.from([FAMILY[family].nfproto]) },
  ];
}

/**
 * `<far address> . meta l4proto . <far port> . <near address> . <near port>` into registers from reg32(0):
 * far is the destination of what the director sends, the source of what answers it.
 */
function connectionKey(family: LbFamily, far: 'source' | 'destination'): NftExpr[] {
  const f = FAMILY[family];
  const words = f.addressLen / 4;
  const address = (which: 'source' | 'destination', reg: number): NftExpr => ({
    kind: 'payload',
    base: 'network',
    offset: which === 'source' ? f.saddrOffset : f.daddrOffset,
    len: f.addressLen,
    dreg: reg32(reg),
  });
  const port = (which: 'source' | 'destination', reg: number): NftExpr => ({
    kind: 'payload',
    base: 'transport',
    offset: which === 'source' ? 0 : 2,
    len: 2,
    dreg: reg32(reg),
  });
  const near = far === 'source' ? 'destination' : 'source';
  return [
    address(far, 0),
    { kind: 'meta', key: 'l4proto', dreg: reg32(words) },
    port(far, words + 1),
    address(near, words + 2),
    port(near, 2 * words + 2),
  ];
}

/** The rules of the two chains, by chain. */
export function notrackRules(): { chain: string; exprs: NftExpr[] }[] {
  const rules: { chain: string; exprs: NftExpr[] }[] = [];
  for (const family of FAMILIES) {
    const key = connectionKey(family, 'destination');
    // The lookup reads the first three parts (address . protocol . port): the set's key length says so.
    rules.push({
      chain: RAW_OUTPUT_CHAIN,
      exprs: [
        ...familyMatch(family),
        ...key.slice(0, 3),
        { kind: 'lookup', set: checkedSet(family), sreg: reg32(0) },
        ...key.slice(3),
        { kind: 'dynset', set: checksSet(family), op: 'update', keyReg: reg32(0) },
        { kind: 'notrack' },
      ],
    });
  }
  // Answers: from a remote target (prerouting), or from a target on this host (output).
  for (const chain of [RAW_OUTPUT_CHAIN, RAW_PREROUTING_CHAIN])
    for (const family of FAMILIES) {
      rules.push({
        chain,
        exprs: [
          ...familyMatch(family),
          ...connectionKey(family, 'source'),
          { kind: 'lookup', set: checksSet(family), sreg: reg32(0) },
          { kind: 'notrack' },
        ],
      });
    }
  // PING_CHECKs: the director's echo requests to a pinged address, and the echo replies from one.
  for (const family of FAMILIES) rules.push({ chain: RAW_OUTPUT_CHAIN, exprs: echoRule(family, 'request') });
  for (const chain of [RAW_OUTPUT_CHAIN, RAW_PREROUTING_CHAIN])
    for (const family of FAMILIES) rules.push({ chain, exprs: echoRule(family, 'reply') });
  return rules;
}

/** An echo request to, or an echo reply from, an address in `pinged`: notrack. */
function echoRule(family: LbFamily, type: 'request' | 'reply'): NftExpr[] {
  const f = FAMILY[family];
  const echo = ECHO[family];
  return [
    ...familyMatch(family),
    { kind: 'meta', key: 'l4proto', dreg: reg32(0) },
    { kind: 'cmp', sreg: reg32(0), op: 'eq', data: Buffer.from([echo.protocol]) },
    { kind: 'payload', base: 'transport', offset: 0, len: 1, dreg: reg32(0) },
    { kind: 'cmp', sreg: reg32(0), op: 'eq', data: Buffer.from([echo[type]]) },
    {
      kind: 'payload',
      base: 'network',
      offset: type === 'request' ? f.daddrOffset : f.saddrOffset,
      len: f.addressLen,
      dreg: reg32(0),
    },
    { kind: 'lookup', set: pingedSet(family), sreg: reg32(0) },
    { kind: 'notrack' },
  ];
}

/** The key of a TCP or UDP target in its `checked` set. */
export function targetKey(t: CheckTarget & { protocol: 'TCP' | 'UDP' }): Buffer {
  return Buffer.concat([
    addressBytes(t.address, t.family),
    byteInRegister(IPPROTO[t.protocol]),
    portBytes(t.port),
  ]);
}

/** Elements of the `checked` sets, by set name then by the hex of their key (duplicates merged). */
export type CheckedElements = ReadonlyMap<string, ReadonlyMap<string, SetElement>>;

export const NO_CHECKED_ELEMENTS: CheckedElements = new Map();

export function checkedElements(targets: Iterable<CheckTarget>): CheckedElements {
  const bySet = new Map<string, Map<string, SetElement>>();
  for (const t of targets) {
    const ping = t.protocol === 'ICMP';
    if (!ping && (t.port <= 0 || t.port > 65535)) continue; // nothing to tell its connections by
    let key: Buffer;
    try {
      key =
        t.protocol === 'ICMP' ? addressBytes(t.address, t.family) : targetKey({ ...t, protocol: t.protocol });
    } catch {
      continue; // not an address of its family (a link-local one with its zone): left tracked
    }
    const name = ping ? pingedSet(t.family) : checkedSet(t.family);
    let set = bySet.get(name);
    if (!set) bySet.set(name, (set = new Map()));
    set.set(key.toString('hex'), { key });
  }
  return bySet;
}
