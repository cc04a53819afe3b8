// nfnetlink framing (linux/netfilter/nfnetlink.h): the netfilter netlink protocol's family header
// (struct nfgenmsg), subsystem/operation message types, and batches (NFNL_MSG_BATCH_BEGIN / END), which
// the kernel applies as one transaction for subsystems that support it (nf_tables).
//
// Unlike rtnetlink, netfilter attributes carry their integers in network byte order (the kernel reads them
// with ntohl/be64_to_cpu), so this file has big-endian attribute builders of its own.

import { type AttrSpec, NLM_F_REQUEST, encodeMessage, NLMSG_HDRLEN, align4 } from './codec.js';

/** linux/netlink.h: NETLINK_NETFILTER. */
export const NETLINK_NETFILTER = 12;

// Subsystems (NFNL_SUBSYS_*).
export const NFNL_SUBSYS_NFTABLES = 10;

/** First message type a netlink family may use (NLMSG_MIN_TYPE = 0x10); batches use the first two. */
export const NFNL_MSG_BATCH_BEGIN = 0x10;
export const NFNL_MSG_BATCH_END = 0x11;

export const NFNETLINK_V0 = 0;
export const NFGENMSG_LEN = 4;

/** Netfilter protocol families (linux/netfilter.h NFPROTO_*), the nfgen_family of nf_tables messages. */
export const NFPROTO_UNSPEC = 0;
export const NFPROTO_INET = 1;
export const NFPROTO_IPV4 = 2;
export const NFPROTO_ARP = 3;
export const NFPROTO_NETDEV = 5;
export const NFPROTO_BRIDGE = 7;
export const NFPROTO_IPV6 = 10;

/** nlmsg_type of a subsystem's operation: subsystem in the high byte, operation in the low one. */
export function nfnlMessageType(subsystem: number, operation: number): number {
  return ((subsystem & 0xff) << 8) | (operation & 0xff);
}

/** struct nfgenmsg: family, version, res_id (big-endian: the subsystem id for batch messages). */
export function encodeNfgenmsg(family: number, resId = 0): Buffer {
  const b = Buffer.alloc(NFGENMSG_LEN);
  b.writeUInt8(family, 0);
  b.writeUInt8(NFNETLINK_V0, 1);
  b.writeUInt16BE(resId, 2);
  return b;
}

// Big-endian attribute builders (NLA_BE16 / NLA_BE32 / NLA_BE64 in the kernel's policies).
export const beAttr = {
  u16: (type: number, v: number): AttrSpec => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v, 0);
    return { type, value: b };
  },
  u32: (type: number, v: number): AttrSpec => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0, 0);
    return { type, value: b };
  },
  s32: (type: number, v: number): AttrSpec => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v, 0);
    return { type, value: b };
  },
  u64: (type: number, v: bigint | number): AttrSpec => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(v), 0);
    return { type, value: b };
  },
};

/** One message of a batch, before it is given a sequence number. */
export interface NfnlMessage {
  /** nlmsg_type (nfnlMessageType). */
  type: number;
  /** nlmsg_flags beyond NLM_F_REQUEST (NLM_F_CREATE, NLM_F_ACK, ...). */
  flags: number;
  /** nfgenmsg + attributes. */
  payload: Buffer;
}

/** A batch ready to send: the datagram, and the sequence numbers its messages got. */
export interface EncodedBatch {
  datagram: Buffer;
  /** Sequence number of BATCH_BEGIN; message i has beginSeq + 1 + i; BATCH_END has the last. */
  beginSeq: number;
  endSeq: number;
}

/** Encoded length of one message (header + payload, padded), for splitting work under a size limit. */
export function encodedLength(payloadLength: number): number {
  return align4(NLMSG_HDRLEN + payloadLength);
}

/**
 * BATCH_BEGIN, the messages, BATCH_END, each numbered from `firstSeq`, in one datagram: the kernel reads a
 * batch from a single sendmsg and commits it (or aborts all of it) before the call returns.
 */
export function encodeBatch(
  messages: readonly NfnlMessage[],
  firstSeq: number,
  subsystem = NFNL_SUBSYS_NFTABLES,
): EncodedBatch {
  const parts: Buffer[] = [];
  const control = encodeNfgenmsg(NFPROTO_UNSPEC, subsystem);
  let seq = firstSeq;
  parts.push(
    encodeMessage({ type: NFNL_MSG_BATCH_BEGIN, flags: NLM_F_REQUEST, seq, pid: 0, payload: control }),
  );
  for (const m of messages) {
    seq++;
    parts.push(
      encodeMessage({ type: m.type, flags: NLM_F_REQUEST | m.flags, seq, pid: 0, payload: m.payload }),
    );
  }
  seq++;
  parts.push(
    encodeMessage({ type: NFNL_MSG_BATCH_END, flags: NLM_F_REQUEST, seq, pid: 0, payload: control }),
  );
  return { datagram: Buffer.concat(parts), beginSeq: firstSeq, endSeq: seq };
}
