// nf_tables messages (linux/netfilter/nf_tables.h): tables, chains, rules, sets and set elements as
// nfnetlink messages ready for a batch (nfnetlink.ts). Protocol only: what the objects mean is the
// caller's business. Integers are big-endian, nested attributes carry NLA_F_NESTED as nft(8) sends them.

import {
  type AttrSpec,
  attr,
  encodeAttrs,
  align4,
  NLA_F_NESTED,
  NLM_F_APPEND,
  NLM_F_CREATE,
  NLM_F_EXCL,
  writeU16,
  writeU32,
} from './codec.js';
import {
  type NftExpr,
  type Verdict,
  dataValue,
  dataVerdict,
  encodeExpressions,
  expressionBody,
  NFTA_DATA_VALUE,
} from './nft-expr.js';
import {
  type NfnlMessage,
  beAttr,
  encodeNfgenmsg,
  NFNL_SUBSYS_NFTABLES,
  nfnlMessageType,
  NFPROTO_INET,
  NFPROTO_IPV4,
  NFPROTO_IPV6,
  NFPROTO_NETDEV,
} from './nfnetlink.js';

// nf_tables_msg_types.
export const NFT_MSG_NEWTABLE = 0;
export const NFT_MSG_GETTABLE = 1;
export const NFT_MSG_DELTABLE = 2;
export const NFT_MSG_NEWCHAIN = 3;
export const NFT_MSG_DELCHAIN = 5;
export const NFT_MSG_NEWRULE = 6;
export const NFT_MSG_DELRULE = 8;
export const NFT_MSG_NEWSET = 9;
export const NFT_MSG_DELSET = 11;
export const NFT_MSG_NEWSETELEM = 12;
export const NFT_MSG_DELSETELEM = 14;

const TABLE = { NAME: 1, FLAGS: 2 };
const CHAIN = { TABLE: 1, NAME: 3, HOOK: 4, POLICY: 5, TYPE: 7 };
const HOOK = { HOOKNUM: 1, PRIORITY: 2, DEV: 3, DEVS: 4 };
const NFTA_DEVICE_NAME = 1;
const RULE = { TABLE: 1, CHAIN: 2, EXPRESSIONS: 4 };
const SET = {
  TABLE: 1,
  NAME: 2,
  FLAGS: 3,
  KEY_TYPE: 4,
  KEY_LEN: 5,
  DATA_TYPE: 6,
  DATA_LEN: 7,
  DESC: 9,
  ID: 10,
  TIMEOUT: 11,
  USERDATA: 13,
  EXPR: 17,
};
const NFTA_SET_DESC_SIZE = 1;
const NFTA_SET_DESC_CONCAT = 2;
const NFTA_SET_FIELD_LEN = 1;
const ELEM_LIST = { TABLE: 1, SET: 2, ELEMENTS: 3 };
const ELEM = { KEY: 1, DATA: 2, FLAGS: 3, KEY_END: 10 };
const NFTA_LIST_ELEM = 1;

// nft_set_flags.
export const NFT_SET_ANONYMOUS = 0x1;
export const NFT_SET_CONSTANT = 0x2;
export const NFT_SET_INTERVAL = 0x4;
export const NFT_SET_MAP = 0x8;
export const NFT_SET_TIMEOUT = 0x10;
/** A set the packet path may add to (nft's `flags dynamic`). */
export const NFT_SET_EVAL = 0x20;
export const NFT_SET_CONCAT = 0x80;

/** Data type of a verdict map's values (NFT_DATA_VERDICT). */
export const NFT_DATA_VERDICT = 0xffffff00;
/** Length the kernel expects for verdict data. */
export const NFT_DATA_VERDICT_LEN = 16;

// Netfilter hooks (linux/netfilter.h) and priorities (linux/netfilter_ipv4.h).
export const NF_INET_PRE_ROUTING = 0;
export const NF_INET_LOCAL_IN = 1;
export const NF_INET_FORWARD = 2;
export const NF_INET_LOCAL_OUT = 3;
export const NF_INET_POST_ROUTING = 4;
export const NF_NETDEV_INGRESS = 0;
export const NF_IP_PRI_NAT_DST = -100;
/** Before conntrack (NF_IP_PRI_CONNTRACK, -200): where `notrack` takes effect. */
export const NF_IP_PRI_RAW = -300;

export type TableFamily = 'inet' | 'ip' | 'ip6' | 'netdev';
const FAMILIES: Record<TableFamily, number> = {
  inet: NFPROTO_INET,
  ip: NFPROTO_IPV4,
  ip6: NFPROTO_IPV6,
  netdev: NFPROTO_NETDEV,
};

export function tableFamilyNumber(family: TableFamily): number {
  return FAMILIES[family];
}

function message(op: number, family: TableFamily, flags: number, attrs: AttrSpec[]): NfnlMessage {
  return {
    type: nfnlMessageType(NFNL_SUBSYS_NFTABLES, op),
    flags,
    payload: Buffer.concat([encodeNfgenmsg(FAMILIES[family]), encodeAttrs(attrs)]),
  };
}

export interface TableRef {
  family: TableFamily;
  table: string;
}

// ---- tables ----

/** NEWTABLE without NLM_F_EXCL: succeeds whether or not the table exists. */
export function newTable(t: TableRef, flags = 0): NfnlMessage {
  return message(NFT_MSG_NEWTABLE, t.family, NLM_F_CREATE, [
    attr.str(TABLE.NAME, t.table),
    beAttr.u32(TABLE.FLAGS, flags),
  ]);
}

/** DELTABLE: the table and everything in it (ENOENT when absent). */
export function deleteTable(t: TableRef): NfnlMessage {
  return message(NFT_MSG_DELTABLE, t.family, 0, [attr.str(TABLE.NAME, t.table)]);
}

// ---- chains ----

export interface BaseChainHook {
  hooknum: number;
  priority: number;
  /** 'filter', 'nat' or 'route'. */
  type: 'filter' | 'nat' | 'route';
  policy?: 'accept' | 'drop';
  /** netdev chains: the devices they hook. */
  devices?: readonly string[];
}

export interface ChainSpec extends TableRef {
  name: string;
  /** A base chain hooked into the stack; a regular chain (jump / goto target) without. */
  hook?: BaseChainHook;
}

export function newChain(c: ChainSpec): NfnlMessage {
  const attrs: AttrSpec[] = [attr.str(CHAIN.TABLE, c.table), attr.str(CHAIN.NAME, c.name)];
  if (c.hook) {
    const hook: AttrSpec[] = [
      beAttr.u32(HOOK.HOOKNUM, c.hook.hooknum),
      beAttr.s32(HOOK.PRIORITY, c.hook.priority),
    ];
    const devices = c.hook.devices ?? [];
    if (devices.length === 1) hook.push(attr.str(HOOK.DEV, devices[0] as string));
    else if (devices.length > 1)
      hook.push(
        attr.nested(
          HOOK.DEVS,
          devices.map((d) => attr.str(NFTA_DEVICE_NAME, d)),
          true,
        ),
      );
    // nft(8)'s order, so that its --debug=mnl output can be compared byte for byte.
    attrs.push(
      attr.str(CHAIN.TYPE, c.hook.type),
      beAttr.u32(CHAIN.POLICY, c.hook.policy === 'drop' ? 0 : 1),
      attr.nested(CHAIN.HOOK, hook, true),
    );
  }
  return message(NFT_MSG_NEWCHAIN, c.family, NLM_F_CREATE, attrs);
}

/** DELCHAIN: the chain must be empty and unreferenced in the resulting ruleset. */
export function deleteChain(c: TableRef & { name: string }): NfnlMessage {
  return message(NFT_MSG_DELCHAIN, c.family, 0, [
    attr.str(CHAIN.TABLE, c.table),
    attr.str(CHAIN.NAME, c.name),
  ]);
}

// ---- rules ----

/** NEWRULE appended at the end of the chain. */
export function newRule(r: TableRef & { chain: string; exprs: readonly NftExpr[] }): NfnlMessage {
  return message(NFT_MSG_NEWRULE, r.family, NLM_F_CREATE | NLM_F_APPEND, [
    attr.str(RULE.TABLE, r.table),
    attr.str(RULE.CHAIN, r.chain),
    attr.nested(RULE.EXPRESSIONS, encodeExpressions(r.exprs), true),
  ]);
}

/** DELRULE without a handle: every rule of the chain (nft's `flush chain`). */
export function flushChain(c: TableRef & { name: string }): NfnlMessage {
  return message(NFT_MSG_DELRULE, c.family, 0, [attr.str(RULE.TABLE, c.table), attr.str(RULE.CHAIN, c.name)]);
}

// ---- sets and maps ----

export interface SetSpec extends TableRef {
  name: string;
  /** NFTA_SET_ID, required by the kernel: a number unique among the sets of one batch. */
  id: number;
  /** NFT_SET_* flags (NFT_SET_MAP is added when dataLen is given). */
  flags: number;
  /** Key length in bytes (concatenations: each field rounded up to 4). */
  keyLen: number;
  /** nft(8)'s datatype number of the key, so that `nft list` can print it (the kernel does not read it). */
  keyType: number;
  /** Maps: value length in bytes (NFT_DATA_VERDICT_LEN for verdict maps). */
  dataLen?: number;
  /** Maps: nft(8)'s datatype of the value, or NFT_DATA_VERDICT. */
  dataType?: number;
  /** Default element lifetime (sets with NFT_SET_TIMEOUT). */
  timeoutMs?: number;
  /** Expected number of elements (a sizing hint for the kernel's backend choice). */
  sizeHint?: number;
  /**
   * For nft(8)'s listings only: the byte order of keys and values (nft assumes big-endian without it, and
   * prints host-order numbers such as numgen or hash results backwards). Kept in NFTA_SET_USERDATA the
   * way libnftnl does (NFTNL_UDATA_SET_KEYBYTEORDER / DATABYTEORDER TLVs); the kernel stores it unread.
   */
  byteOrder?: { key?: 'host' | 'big'; data?: 'host' | 'big' };
  /** A concatenated key with intervals (NFT_SET_CONCAT | NFT_SET_INTERVAL): each field's length in bytes. */
  concatFields?: readonly number[];
  /** One expression every element gets (nft's `counter` in a set's declaration). */
  elementExpression?: NftExpr;
}

// libnftnl's set user data: { u8 type, u8 length, value } records; byte orders as nft's enum byteorder.
const UDATA_SET_KEYBYTEORDER = 0;
const UDATA_SET_DATABYTEORDER = 1;
const NFT_BYTEORDER = { host: 1, big: 2 };

function setUserdata(order: NonNullable<SetSpec['byteOrder']>): Buffer {
  const records: Buffer[] = [];
  const put = (type: number, value: number): void => {
    const r = Buffer.alloc(6);
    r[0] = type;
    r[1] = 4;
    writeU32(r, value, 2);
    records.push(r);
  };
  if (order.key) put(UDATA_SET_KEYBYTEORDER, NFT_BYTEORDER[order.key]);
  if (order.data) put(UDATA_SET_DATABYTEORDER, NFT_BYTEORDER[order.data]);
  return Buffer.concat(records);
}

export function newSet(s: SetSpec): NfnlMessage {
  const isMap = s.dataLen !== undefined;
  const attrs: AttrSpec[] = [
    attr.str(SET.TABLE, s.table),
    attr.str(SET.NAME, s.name),
    beAttr.u32(SET.FLAGS, s.flags | (isMap ? NFT_SET_MAP : 0)),
    beAttr.u32(SET.KEY_TYPE, s.keyType),
    beAttr.u32(SET.KEY_LEN, s.keyLen),
  ];
  if (isMap) {
    attrs.push(beAttr.u32(SET.DATA_TYPE, s.dataType ?? 0), beAttr.u32(SET.DATA_LEN, s.dataLen ?? 0));
  }
  if (s.timeoutMs !== undefined) attrs.push(beAttr.u64(SET.TIMEOUT, s.timeoutMs));
  attrs.push(beAttr.u32(SET.ID, s.id));
  if (s.byteOrder) attrs.push(attr.bytes(SET.USERDATA, setUserdata(s.byteOrder)));
  const desc: AttrSpec[] = [];
  if (s.sizeHint !== undefined) desc.push(beAttr.u32(NFTA_SET_DESC_SIZE, s.sizeHint));
  if (s.concatFields !== undefined) {
    const fields = s.concatFields.map((len) =>
      attr.nested(NFTA_LIST_ELEM, [beAttr.u32(NFTA_SET_FIELD_LEN, len)], true),
    );
    desc.push(attr.nested(NFTA_SET_DESC_CONCAT, fields, true));
  }
  if (desc.length > 0) attrs.push(attr.nested(SET.DESC, desc, true));
  if (s.elementExpression !== undefined)
    attrs.push(attr.nested(SET.EXPR, expressionBody(s.elementExpression), true));
  return message(NFT_MSG_NEWSET, s.family, NLM_F_CREATE, attrs);
}

export function deleteSet(s: TableRef & { name: string }): NfnlMessage {
  return message(NFT_MSG_DELSET, s.family, 0, [attr.str(SET.TABLE, s.table), attr.str(SET.NAME, s.name)]);
}

export interface SetElement {
  key: Uint8Array;
  /** The end of an interval of a concatenated interval set (the key is its start). */
  keyEnd?: Uint8Array;
  /** A map's value: bytes, or a verdict for verdict maps. */
  data?: Uint8Array | Verdict;
}

function elementAttrs(e: SetElement, withData: boolean): AttrSpec {
  const inner: AttrSpec[] = [dataValue(ELEM.KEY, e.key)];
  if (e.keyEnd !== undefined) inner.push(dataValue(ELEM.KEY_END, e.keyEnd));
  if (withData && e.data !== undefined) {
    inner.push(e.data instanceof Uint8Array ? dataValue(ELEM.DATA, e.data) : dataVerdict(ELEM.DATA, e.data));
  }
  return attr.nested(NFTA_LIST_ELEM, inner, true);
}

/**
 * One element as NFTA_LIST_ELEM bytes. Value elements (the bulk of a large load) are written straight into
 * one buffer, with the same bytes encodeAttrs would give; verdicts go through the generic encoder.
 */
function encodeElement(e: SetElement, withData: boolean): Buffer {
  const data = withData ? e.data : undefined;
  if ((data !== undefined && !(data instanceof Uint8Array)) || e.keyEnd !== undefined)
    return encodeAttrs([elementAttrs(e, withData)]);
  // nest(LIST_ELEM) { nest(KEY) { VALUE key } [ nest(DATA) { VALUE data } ] }
  const valueLen = (n: number): number => 4 + align4(n);
  const keyNest = 4 + valueLen(e.key.length);
  const dataNest = data ? 4 + valueLen(data.length) : 0;
  const out = Buffer.alloc(4 + keyNest + dataNest);
  let off = 0;
  const header = (len: number, type: number): void => {
    writeU16(out, len, off);
    writeU16(out, type, off + 2);
    off += 4;
  };
  const value = (bytes: Uint8Array): void => {
    header(4 + bytes.length, NFTA_DATA_VALUE);
    out.set(bytes, off);
    off += align4(bytes.length);
  };
  header(out.length, NFTA_LIST_ELEM | NLA_F_NESTED);
  header(keyNest, ELEM.KEY | NLA_F_NESTED);
  value(e.key);
  if (data) {
    header(dataNest, ELEM.DATA | NLA_F_NESTED);
    value(data);
  }
  return out;
}

// A nested attribute's length is 16 bits: one message carries at most ~64 KiB of elements.
const MAX_ELEMENT_BYTES = 60_000;

function elementMessages(
  op: number,
  s: TableRef & { set: string },
  elements: readonly SetElement[],
  withData: boolean,
  flags: number,
): NfnlMessage[] {
  const out: NfnlMessage[] = [];
  // Each element is encoded once; a message's ELEMENTS nest is the concatenation of its elements.
  let chunk: Buffer[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (chunk.length === 0) return;
    out.push(
      message(op, s.family, flags, [
        attr.str(ELEM_LIST.TABLE, s.table),
        attr.str(ELEM_LIST.SET, s.set),
        { type: ELEM_LIST.ELEMENTS | NLA_F_NESTED, value: Buffer.concat(chunk, bytes) },
      ]),
    );
    chunk = [];
    bytes = 0;
  };
  for (const e of elements) {
    const encoded = encodeElement(e, withData);
    if (bytes + encoded.length > MAX_ELEMENT_BYTES) flush();
    chunk.push(encoded);
    bytes += encoded.length;
  }
  flush();
  return out;
}

/** NEWSETELEM messages (as many as the 64 KiB attribute limit needs). Adding an existing key with
 * different data fails with EEXIST: delete it first, in the same batch. */
export function newSetElements(
  s: TableRef & { set: string },
  elements: readonly SetElement[],
): NfnlMessage[] {
  return elementMessages(NFT_MSG_NEWSETELEM, s, elements, true, NLM_F_CREATE);
}

/** DELSETELEM messages (keys only; ENOENT for an absent key). */
export function deleteSetElements(
  s: TableRef & { set: string },
  elements: readonly SetElement[],
): NfnlMessage[] {
  return elementMessages(NFT_MSG_DELSETELEM, s, elements, false, 0);
}

/** DELSETELEM without an element list: every element of the set goes (nft's `flush set`), and with them the
 * references a verdict map's elements hold on chains, within the same transaction. */
export function flushSetElements(s: TableRef & { set: string }): NfnlMessage {
  return message(NFT_MSG_DELSETELEM, s.family, 0, [
    attr.str(ELEM_LIST.TABLE, s.table),
    attr.str(ELEM_LIST.SET, s.set),
  ]);
}

/** NLM_F_EXCL for callers who want "create, fail if present". */
export const NFT_CREATE_EXCLUSIVE = NLM_F_CREATE | NLM_F_EXCL;
