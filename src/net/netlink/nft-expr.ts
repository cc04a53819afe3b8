// nf_tables expressions (linux/netfilter/nf_tables.h): the instructions of a rule's little register
// machine, as typed values and their netlink encoding (NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA }).
// Only the expressions a load balancer needs; every integer attribute is big-endian (see nfnetlink.ts).

import { type AttrSpec, attr } from './codec.js';
import { beAttr, NFPROTO_IPV4, NFPROTO_IPV6 } from './nfnetlink.js';

// ---- registers ----

export const NFT_REG_VERDICT = 0;
/** First of the sixteen 4-byte registers (NFT_REG32_00 .. NFT_REG32_15). */
export const NFT_REG32_00 = 8;
export const NFT_REG32_COUNT = 16;
export const NFT_REG32_SIZE = 4;

/** The n-th 4-byte register. */
export function reg32(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n >= NFT_REG32_COUNT)
    throw new RangeError(`no register NFT_REG32_${n}`);
  return NFT_REG32_00 + n;
}

/** How many 4-byte registers `len` bytes of data occupy. */
export function registersFor(len: number): number {
  return Math.ceil(len / NFT_REG32_SIZE);
}

// ---- verdicts ----

export const NF_DROP = 0;
export const NF_ACCEPT = 1;
export const NFT_CONTINUE = -1;
export const NFT_BREAK = -2;
export const NFT_JUMP = -3;
export const NFT_GOTO = -4;
export const NFT_RETURN = -5;

export type Verdict =
  { code: 'accept' | 'drop' | 'continue' | 'break' | 'return' } | { code: 'jump' | 'goto'; chain: string };

const VERDICT_CODES: Record<Verdict['code'], number> = {
  accept: NF_ACCEPT,
  drop: NF_DROP,
  continue: NFT_CONTINUE,
  break: NFT_BREAK,
  return: NFT_RETURN,
  jump: NFT_JUMP,
  goto: NFT_GOTO,
};

// nft_data_attributes / nft_verdict_attributes.
export const NFTA_DATA_VALUE = 1;
export const NFTA_DATA_VERDICT = 2;
export const NFTA_VERDICT_CODE = 1;
export const NFTA_VERDICT_CHAIN = 2;

/** struct nft_data as an attribute: NFTA_DATA_VALUE bytes. */
export function dataValue(type: number, bytes: Uint8Array): AttrSpec {
  return attr.nested(type, [attr.bytes(NFTA_DATA_VALUE, bytes)], true);
}

/** struct nft_data as an attribute: NFTA_DATA_VERDICT { CODE, CHAIN }. */
export function dataVerdict(type: number, v: Verdict): AttrSpec {
  const inner: AttrSpec[] = [beAttr.s32(NFTA_VERDICT_CODE, VERDICT_CODES[v.code])];
  if (v.code === 'jump' || v.code === 'goto') inner.push(attr.str(NFTA_VERDICT_CHAIN, v.chain));
  return attr.nested(type, [attr.nested(NFTA_DATA_VERDICT, inner, true)], true);
}

// ---- attribute numbers of each expression ----

const NFTA_LIST_ELEM = 1;
const NFTA_EXPR_NAME = 1;
const NFTA_EXPR_DATA = 2;

export const NFT_PAYLOAD_LL_HEADER = 0;
export const NFT_PAYLOAD_NETWORK_HEADER = 1;
export const NFT_PAYLOAD_TRANSPORT_HEADER = 2;
const PAYLOAD = { DREG: 1, BASE: 2, OFFSET: 3, LEN: 4 };

export const NFT_META_PROTOCOL = 1;
export const NFT_META_MARK = 3;
export const NFT_META_IIF = 4;
export const NFT_META_OIF = 5;
export const NFT_META_IIFNAME = 6;
export const NFT_META_OIFNAME = 7;
export const NFT_META_NFPROTO = 15;
export const NFT_META_L4PROTO = 16;
export const NFT_META_OIFKIND = 27;
const META = { DREG: 1, KEY: 2, SREG: 3 };

export const NFT_CMP_EQ = 0;
export const NFT_CMP_NEQ = 1;
const CMP = { SREG: 1, OP: 2, DATA: 3 };

const BITWISE = { SREG: 1, DREG: 2, LEN: 3, MASK: 4, XOR: 5 };

export const NFT_LOOKUP_F_INV = 1;
const LOOKUP = { SET: 1, SREG: 2, DREG: 3, FLAGS: 5 };

const DUP = { SREG_ADDR: 1, SREG_DEV: 2 };

export const NFT_NG_INCREMENTAL = 0;
export const NFT_NG_RANDOM = 1;
const NG = { DREG: 1, MODULUS: 2, TYPE: 3, OFFSET: 4 };

export const NFT_HASH_JENKINS = 0;
const HASH = { SREG: 1, DREG: 2, LEN: 3, MODULUS: 4, SEED: 5, OFFSET: 6, TYPE: 7 };

export const NFT_NAT_SNAT = 0;
export const NFT_NAT_DNAT = 1;
const NAT = {
  TYPE: 1,
  FAMILY: 2,
  REG_ADDR_MIN: 3,
  REG_ADDR_MAX: 4,
  REG_PROTO_MIN: 5,
  REG_PROTO_MAX: 6,
  FLAGS: 7,
};
/** linux/netfilter/nf_nat.h NF_NAT_RANGE_*. */
export const NF_NAT_RANGE_MAP_IPS = 1;
export const NF_NAT_RANGE_PROTO_SPECIFIED = 2;

const FWD = { SREG_DEV: 1, SREG_ADDR: 2, NFPROTO: 3 };

export const NFT_DYNSET_OP_ADD = 0;
export const NFT_DYNSET_OP_UPDATE = 1;
export const NFT_DYNSET_OP_DELETE = 2;
const DYNSET = { SET_NAME: 1, OP: 3, SREG_KEY: 4, SREG_DATA: 5, TIMEOUT: 6 };

const IMMEDIATE = { DREG: 1, DATA: 2 };

// ---- the expressions ----

export type PayloadBase = 'link' | 'network' | 'transport';
export type MetaKey =
  'protocol' | 'mark' | 'iif' | 'oif' | 'iifname' | 'oifname' | 'nfproto' | 'l4proto' | 'oifkind';
export type IpFamilyName = 'ipv4' | 'ipv6';

export type NftExpr =
  /** Load `len` bytes at `offset` of a header into dreg. */
  | { kind: 'payload'; base: PayloadBase; offset: number; len: number; dreg: number }
  | { kind: 'meta'; key: MetaKey; dreg: number }
  /** Set a packet's meta value (its mark, say) from sreg. */
  | { kind: 'meta-set'; key: MetaKey; sreg: number }
  /** Compare sreg with data; the rule stops here when false. */
  | { kind: 'cmp'; sreg: number; op: 'eq' | 'neq'; data: Uint8Array }
  /** dreg = (sreg & mask) ^ xor over len bytes. */
  | { kind: 'bitwise'; sreg: number; dreg: number; len: number; mask: Uint8Array; xor: Uint8Array }
  /** Set membership (the rule stops on a miss, or on a hit when inverted); a map's value goes to dreg. */
  | { kind: 'lookup'; set: string; sreg: number; dreg?: number; invert?: boolean }
  /** dreg = counter++ % modulus + offset (or a random number below modulus). */
  | { kind: 'numgen'; type: 'inc' | 'random'; dreg: number; modulus: number; offset?: number }
  /** dreg = jhash(len bytes from sreg, seed) % modulus + offset. */
  | { kind: 'hash'; sreg: number; dreg: number; len: number; modulus: number; seed: number; offset?: number }
  /** Destination (or source) NAT to the address (and port) in the given registers. */
  | {
      kind: 'nat';
      type: 'dnat' | 'snat';
      family: IpFamilyName;
      addrMin?: number;
      addrMax?: number;
      protoMin?: number;
      protoMax?: number;
      flags?: number;
    }
  /** netdev only: send the packet out of the device whose index is in devReg, to the neighbour in addrReg. */
  | { kind: 'fwd'; devReg: number; addrReg?: number; family?: IpFamilyName }
  /** Add / refresh / delete an element of a dynamic set from the packet path. */
  | {
      kind: 'dynset';
      set: string;
      op: 'add' | 'update' | 'delete';
      keyReg: number;
      dataReg?: number;
      timeoutMs?: number;
    }
  | { kind: 'immediate'; dreg: number; data: Uint8Array }
  /** Packet and byte counts of the rule (the kernel starts them at zero). */
  | { kind: 'counter' }
  /** A copy of the packet sent to the address in addrReg through the device whose index is in devReg. */
  | { kind: 'dup'; addrReg: number; devReg: number }
  /** Keep the packet out of connection tracking (a chain hooked before conntrack: priority raw). */
  | { kind: 'notrack' }
  | { kind: 'verdict'; verdict: Verdict };

const PAYLOAD_BASES: Record<PayloadBase, number> = {
  link: NFT_PAYLOAD_LL_HEADER,
  network: NFT_PAYLOAD_NETWORK_HEADER,
  transport: NFT_PAYLOAD_TRANSPORT_HEADER,
};
const META_KEYS: Record<MetaKey, number> = {
  protocol: NFT_META_PROTOCOL,
  mark: NFT_META_MARK,
  iif: NFT_META_IIF,
  oif: NFT_META_OIF,
  iifname: NFT_META_IIFNAME,
  oifname: NFT_META_OIFNAME,
  nfproto: NFT_META_NFPROTO,
  l4proto: NFT_META_L4PROTO,
  oifkind: NFT_META_OIFKIND,
};
const DYNSET_OPS = { add: NFT_DYNSET_OP_ADD, update: NFT_DYNSET_OP_UPDATE, delete: NFT_DYNSET_OP_DELETE };

export function nfprotoOf(family: IpFamilyName): number {
  return family === 'ipv4' ? NFPROTO_IPV4 : NFPROTO_IPV6;
}

/** The expression's kernel name and its NFTA_EXPR_DATA attributes. */
export function expressionAttrs(e: NftExpr): { name: string; data: AttrSpec[] } {
  switch (e.kind) {
    case 'payload':
      return {
        name: 'payload',
        data: [
          beAttr.u32(PAYLOAD.DREG, e.dreg),
          beAttr.u32(PAYLOAD.BASE, PAYLOAD_BASES[e.base]),
          beAttr.u32(PAYLOAD.OFFSET, e.offset),
          beAttr.u32(PAYLOAD.LEN, e.len),
        ],
      };
    case 'meta':
      return { name: 'meta', data: [beAttr.u32(META.KEY, META_KEYS[e.key]), beAttr.u32(META.DREG, e.dreg)] };
    case 'meta-set':
      return { name: 'meta', data: [beAttr.u32(META.KEY, META_KEYS[e.key]), beAttr.u32(META.SREG, e.sreg)] };
    case 'cmp':
      return {
        name: 'cmp',
        data: [
          beAttr.u32(CMP.SREG, e.sreg),
          beAttr.u32(CMP.OP, e.op === 'eq' ? NFT_CMP_EQ : NFT_CMP_NEQ),
          dataValue(CMP.DATA, e.data),
        ],
      };
    case 'bitwise':
      return {
        name: 'bitwise',
        data: [
          beAttr.u32(BITWISE.SREG, e.sreg),
          beAttr.u32(BITWISE.DREG, e.dreg),
          beAttr.u32(BITWISE.LEN, e.len),
          dataValue(BITWISE.MASK, e.mask),
          dataValue(BITWISE.XOR, e.xor),
        ],
      };
    case 'lookup': {
      const data = [beAttr.u32(LOOKUP.SREG, e.sreg)];
      if (e.dreg !== undefined) data.push(beAttr.u32(LOOKUP.DREG, e.dreg));
      data.push(attr.str(LOOKUP.SET, e.set));
      if (e.invert) data.push(beAttr.u32(LOOKUP.FLAGS, NFT_LOOKUP_F_INV));
      return { name: 'lookup', data };
    }
    case 'numgen':
      return {
        name: 'numgen',
        data: [
          beAttr.u32(NG.DREG, e.dreg),
          beAttr.u32(NG.MODULUS, e.modulus),
          beAttr.u32(NG.TYPE, e.type === 'inc' ? NFT_NG_INCREMENTAL : NFT_NG_RANDOM),
          beAttr.u32(NG.OFFSET, e.offset ?? 0),
        ],
      };
    case 'hash':
      return {
        name: 'hash',
        data: [
          beAttr.u32(HASH.SREG, e.sreg),
          beAttr.u32(HASH.DREG, e.dreg),
          beAttr.u32(HASH.LEN, e.len),
          beAttr.u32(HASH.MODULUS, e.modulus),
          beAttr.u32(HASH.SEED, e.seed),
          beAttr.u32(HASH.OFFSET, e.offset ?? 0),
          beAttr.u32(HASH.TYPE, NFT_HASH_JENKINS),
        ],
      };
    case 'nat': {
      const data = [
        beAttr.u32(NAT.TYPE, e.type === 'dnat' ? NFT_NAT_DNAT : NFT_NAT_SNAT),
        beAttr.u32(NAT.FAMILY, nfprotoOf(e.family)),
      ];
      if (e.addrMin !== undefined) data.push(beAttr.u32(NAT.REG_ADDR_MIN, e.addrMin));
      if (e.addrMax !== undefined) data.push(beAttr.u32(NAT.REG_ADDR_MAX, e.addrMax));
      if (e.protoMin !== undefined) data.push(beAttr.u32(NAT.REG_PROTO_MIN, e.protoMin));
      if (e.protoMax !== undefined) data.push(beAttr.u32(NAT.REG_PROTO_MAX, e.protoMax));
      if (e.flags) data.push(beAttr.u32(NAT.FLAGS, e.flags));
      return { name: 'nat', data };
    }
    case 'fwd': {
      const data = [beAttr.u32(FWD.SREG_DEV, e.devReg)];
      if (e.addrReg !== undefined) {
        if (!e.family) throw new TypeError('fwd to an address needs its family');
        data.push(beAttr.u32(FWD.SREG_ADDR, e.addrReg), beAttr.u32(FWD.NFPROTO, nfprotoOf(e.family)));
      }
      return { name: 'fwd', data };
    }
    case 'dynset': {
      const data = [
        attr.str(DYNSET.SET_NAME, e.set),
        beAttr.u32(DYNSET.OP, DYNSET_OPS[e.op]),
        beAttr.u32(DYNSET.SREG_KEY, e.keyReg),
      ];
      if (e.dataReg !== undefined) data.push(beAttr.u32(DYNSET.SREG_DATA, e.dataReg));
      if (e.timeoutMs !== undefined) data.push(beAttr.u64(DYNSET.TIMEOUT, e.timeoutMs));
      return { name: 'dynset', data };
    }
    case 'immediate':
      return {
        name: 'immediate',
        data: [beAttr.u32(IMMEDIATE.DREG, e.dreg), dataValue(IMMEDIATE.DATA, e.data)],
      };
    case 'counter':
      return { name: 'counter', data: [] };
    case 'notrack':
      return { name: 'notrack', data: [] };
    case 'dup':
      return {
        name: 'dup',
        data: [beAttr.u32(DUP.SREG_ADDR, e.addrReg), beAttr.u32(DUP.SREG_DEV, e.devReg)],
      };
    case 'verdict':
      return {
        name: 'immediate',
        data: [beAttr.u32(IMMEDIATE.DREG, NFT_REG_VERDICT), dataVerdict(IMMEDIATE.DATA, e.verdict)],
      };
  }
}

/** One expression's attributes: NFTA_EXPR_NAME and NFTA_EXPR_DATA. */
export function expressionBody(e: NftExpr): AttrSpec[] {
  const { name, data } = expressionAttrs(e);
  return [attr.str(NFTA_EXPR_NAME, name), attr.nested(NFTA_EXPR_DATA, data, true)];
}

/** NFTA_RULE_EXPRESSIONS' content: one NFTA_LIST_ELEM per expression. */
export function encodeExpressions(exprs: readonly NftExpr[]): AttrSpec[] {
  return exprs.map((e) => attr.nested(NFTA_LIST_ELEM, expressionBody(e), true));
}
