// Netlink framing (linux/netlink.h): nlmsghdr, route attributes (TLVs, 4-byte aligned, nestable),
// NLMSG_ERROR / ACK / DONE. Netlink integers are in host byte order; decoders never throw.

import { constants as osConstants, endianness } from 'node:os';

export const HOST_LE = endianness() === 'LE';

// Message types shared by every netlink family.
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

// nlmsg_flags.
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
/** In an NLMSG_ERROR: the original request was not copied back beyond its header. */
export const NLM_F_CAPPED = 0x100;
/** In an NLMSG_ERROR: extended-ack TLVs follow. */
export const NLM_F_ACK_TLVS = 0x200;

export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

// Extended ack attributes (NLMSGERR_ATTR_*).
const NLMSGERR_ATTR_MSG = 1;
const NLMSGERR_ATTR_OFFS = 2;

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface NlMsgHeader {
  type: number;
  flags: number;
  seq: number;
  /** Port id: 0 for the kernel. */
  pid: number;
}

export interface NetlinkMessage extends NlMsgHeader {
  /** Everything after the 16-byte header, up to nlmsg_len (padding excluded). */
  payload: Buffer;
}

export function align4(n: number): number {
  return (n + 3) & ~3;
}

// ---- host-order integer access -------------------------------------------------------------

export function readU16(b: Buffer, off: number): number {
  return HOST_LE ? b.readUInt16LE(off) : b.readUInt16BE(off);
}
export function readU32(b: Buffer, off: number): number {
  return HOST_LE ? b.readUInt32LE(off) : b.readUInt32BE(off);
}
export function readS32(b: Buffer, off: number): number {
  return HOST_LE ? b.readInt32LE(off) : b.readInt32BE(off);
}
export function writeU16(b: Buffer, v: number, off: number): void {
  if (HOST_LE) b.writeUInt16LE(v, off);
  else b.writeUInt16BE(v, off);
}
export function writeU32(b: Buffer, v: number, off: number): void {
  if (HOST_LE) b.writeUInt32LE(v >>> 0, off);
  else b.writeUInt32BE(v >>> 0, off);
}
export function writeS32(b: Buffer, v: number, off: number): void {
  if (HOST_LE) b.writeInt32LE(v, off);
  else b.writeInt32BE(v, off);
}

// ---- messages ------------------------------------------------------------------------------

export function encodeHeader(h: NlMsgHeader, totalLen: number): Buffer {
  const b = Buffer.alloc(NLMSG_HDRLEN);
  writeU32(b, totalLen, 0);
  writeU16(b, h.type, 4);
  writeU16(b, h.flags, 6);
  writeU32(b, h.seq, 8);
  writeU32(b, h.pid, 12);
  return b;
}

/** One message: header with nlmsg_len = 16 + payload length, then the payload padded to 4 bytes. */
export function encodeMessage(msg: NlMsgHeader & { payload: Uint8Array }): Buffer {
  const len = NLMSG_HDRLEN + msg.payload.length;
  const out = Buffer.alloc(align4(len));
  encodeHeader(msg, len).copy(out, 0);
  out.set(msg.payload, NLMSG_HDRLEN);
  return out;
}

function decodeHeaderAt(buf: Buffer, off: number): NlMsgHeader & { len: number } {
  return {
    len: readU32(buf, off),
    type: readU16(buf, off + 4),
    flags: readU16(buf, off + 6),
    seq: readU32(buf, off + 8),
    pid: readU32(buf, off + 12),
  };
}

/** Split a datagram into messages. Truncated or inconsistent lengths give an error result. */
export function decodeMessages(buf: Buffer): DecodeResult<NetlinkMessage[]> {
  const out: NetlinkMessage[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < NLMSG_HDRLEN) {
      return { ok: false, error: `truncated nlmsghdr at offset ${off} (${buf.length - off} bytes left)` };
    }
    const h = decodeHeaderAt(buf, off);
    if (h.len < NLMSG_HDRLEN || h.len > buf.length - off) {
      return { ok: false, error: `bad nlmsg_len ${h.len} at offset ${off} (${buf.length - off} bytes left)` };
    }
    out.push({
      type: h.type,
      flags: h.flags,
      seq: h.seq,
      pid: h.pid,
      payload: Buffer.from(buf.subarray(off + NLMSG_HDRLEN, off + h.len)),
    });
    off += align4(h.len);
  }
  return { ok: true, value: out };
}

// ---- attributes ----------------------------------------------------------------------------

/** An attribute to encode: raw bytes, or a list of attributes nested inside it. */
export interface AttrSpec {
  type: number;
  value: Uint8Array | AttrSpec[];
  /** Set NLA_F_NESTED on a nested attribute (strict kernel parsers want it; legacy ones ignore it). */
  nestedFlag?: boolean;
}

/** A decoded attribute: type with flag bits stripped, and its payload (padding excluded). */
export interface Attr {
  type: number;
  nested: boolean;
  data: Buffer;
}

/** Bytes `attrs` take once encoded (each attribute padded to 4 bytes). */
function attrsSize(attrs: readonly AttrSpec[]): number {
  let n = 0;
  for (const a of attrs) {
    n += align4(NLA_HDRLEN + (Array.isArray(a.value) ? attrsSize(a.value) : (a.value as Uint8Array).length));
  }
  return n;
}

function writeAttrs(out: Buffer, offset: number, attrs: readonly AttrSpec[]): number {
  let off = offset;
  for (const a of attrs) {
    const start = off;
    off += NLA_HDRLEN;
    if (Array.isArray(a.value)) {
      off = writeAttrs(out, off, a.value);
    } else {
      out.set(a.value as Uint8Array, off);
      off += (a.value as Uint8Array).length;
    }
    writeU16(out, off - start, start);
    writeU16(out, a.type | (Array.isArray(a.value) && a.nestedFlag ? NLA_F_NESTED : 0), start + 2);
    off = start + align4(off - start);
  }
  return off;
}

/** One buffer for the whole list: the checker child encodes thousands of these in a table load. */
export function encodeAttrs(attrs: readonly AttrSpec[]): Buffer {
  const out = Buffer.alloc(attrsSize(attrs));
  writeAttrs(out, 0, attrs);
  return out;
}

export function decodeAttrs(buf: Buffer): DecodeResult<Attr[]> {
  const out: Attr[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < NLA_HDRLEN) {
      return { ok: false, error: `truncated attribute header at offset ${off}` };
    }
    const len = readU16(buf, off);
    const rawType = readU16(buf, off + 2);
    if (len < NLA_HDRLEN || len > buf.length - off) {
      return { ok: false, error: `bad nla_len ${len} at offset ${off}` };
    }
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      data: Buffer.from(buf.subarray(off + NLA_HDRLEN, off + len)),
    });
    off += align4(len);
  }
  return { ok: true, value: out };
}

// Attribute builders.
export const attr = {
  bytes: (type: number, value: Uint8Array): AttrSpec => ({ type, value }),
  u8: (type: number, v: number): AttrSpec => ({ type, value: Buffer.from([v & 0xff]) }),
  u16: (type: number, v: number): AttrSpec => {
    const b = Buffer.alloc(2);
    writeU16(b, v, 0);
    return { type, value: b };
  },
  u32: (type: number, v: number): AttrSpec => {
    const b = Buffer.alloc(4);
    writeU32(b, v, 0);
    return { type, value: b };
  },
  s32: (type: number, v: number): AttrSpec => {
    const b = Buffer.alloc(4);
    writeS32(b, v, 0);
    return { type, value: b };
  },
  /** NUL-terminated string, as the kernel expects for names and labels. */
  str: (type: number, s: string): AttrSpec => ({
    type,
    value: Buffer.concat([Buffer.from(s), Buffer.alloc(1)]),
  }),
  nested: (type: number, inner: AttrSpec[], nestedFlag = false): AttrSpec => ({
    type,
    value: inner,
    nestedFlag,
  }),
};

/** Last attribute of a type (the kernel never repeats the ones we read; last wins like iproute2). */
export function findAttr(attrs: readonly Attr[], type: number): Attr | undefined {
  for (let i = attrs.length - 1; i >= 0; i--) if ((attrs[i] as Attr).type === type) return attrs[i];
  return undefined;
}

export function attrU8(a: Attr | undefined): number | undefined {
  return a && a.data.length >= 1 ? (a.data[0] as number) : undefined;
}
export function attrU16(a: Attr | undefined): number | undefined {
  return a && a.data.length >= 2 ? readU16(a.data, 0) : undefined;
}
export function attrU32(a: Attr | undefined): number | undefined {
  return a && a.data.length >= 4 ? readU32(a.data, 0) : undefined;
}
export function attrS32(a: Attr | undefined): number | undefined {
  return a && a.data.length >= 4 ? readS32(a.data, 0) : undefined;
}
/** String up to the first NUL (or the whole payload if none). */
export function attrStr(a: Attr | undefined): string | undefined {
  if (!a) return undefined;
  const nul = a.data.indexOf(0);
  return a.data.subarray(0, nul === -1 ? a.data.length : nul).toString('utf8');
}
export function attrNested(a: Attr | undefined): Attr[] | undefined {
  if (!a) return undefined;
  const r = decodeAttrs(a.data);
  return r.ok ? r.value : undefined;
}

// ---- errors and acks -----------------------------------------------------------------------

const ERRNO_NAMES = new Map<number, string>();
for (const [name, num] of Object.entries(osConstants.errno)) {
  // Several names share a number (EWOULDBLOCK/EAGAIN, EDEADLOCK/EDEADLK): keep the first, the usual one.
  if (!ERRNO_NAMES.has(num)) ERRNO_NAMES.set(num, name);
}

/** "EEXIST" for 17, etc.; "E<n>" for numbers this platform has no name for. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

export interface NetlinkAck {
  /** Positive errno, 0 for a plain acknowledgement. */
  errno: number;
  /** Header of the request this answers. */
  request: NlMsgHeader;
  /** Kernel's extended-ack text, when it sent one. */
  extackMessage?: string;
  /** Offset in the request of the offending attribute, when the kernel said. */
  extackOffset?: number;
}

/** Payload of NLMSG_ERROR: s32 -errno, the request's header (+ its payload unless capped), then TLVs. */
export function decodeAck(msg: NetlinkMessage): DecodeResult<NetlinkAck> {
  const p = msg.payload;
  if (p.length < 4 + NLMSG_HDRLEN) return { ok: false, error: `NLMSG_ERROR payload too short (${p.length})` };
  const err = readS32(p, 0);
  const h = decodeHeaderAt(p, 4);
  const ack: NetlinkAck = {
    errno: err === 0 ? 0 : -err,
    request: { type: h.type, flags: h.flags, seq: h.seq, pid: h.pid },
  };
  if (msg.flags & NLM_F_ACK_TLVS) {
    const echoed = msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align4(Math.max(h.len, NLMSG_HDRLEN));
    const start = 4 + echoed;
    if (start <= p.length) {
      const tlvs = decodeAttrs(p.subarray(start));
      if (tlvs.ok) {
        const text = attrStr(findAttr(tlvs.value, NLMSGERR_ATTR_MSG));
        if (text !== undefined) ack.extackMessage = text;
        const offs = attrU32(findAttr(tlvs.value, NLMSGERR_ATTR_OFFS));
        if (offs !== undefined) ack.extackOffset = offs;
      }
    }
  }
  return { ok: true, value: ack };
}

/** Build an NLMSG_ERROR message (for tests and fakes): what the kernel sends to acknowledge `request`. */
export function encodeAck(
  request: NlMsgHeader & { payload?: Uint8Array },
  errno: number,
  extackMessage?: string,
): Buffer {
  const echoedPayload = errno !== 0 && request.payload ? Buffer.from(request.payload) : Buffer.alloc(0);
  const echoedLen = NLMSG_HDRLEN + echoedPayload.length;
  const head = Buffer.alloc(4);
  writeS32(head, -Math.abs(errno), 0);
  const echoed = Buffer.alloc(align4(echoedLen));
  encodeHeader(request, echoedLen).copy(echoed, 0);
  echoedPayload.copy(echoed, NLMSG_HDRLEN);
  const tlvs = extackMessage ? encodeAttrs([attr.str(NLMSGERR_ATTR_MSG, extackMessage)]) : Buffer.alloc(0);
  let flags = errno === 0 ? NLM_F_CAPPED : 0;
  if (tlvs.length) flags |= NLM_F_ACK_TLVS;
  return encodeMessage({
    type: NLMSG_ERROR,
    flags,
    seq: request.seq,
    pid: 0,
    payload: Buffer.concat([head, echoed, tlvs]),
  });
}

/** NLMSG_DONE carries an s32 status (negative errno when a dump failed part-way). */
export function decodeDoneStatus(msg: NetlinkMessage): number {
  return msg.payload.length >= 4 ? -readS32(msg.payload, 0) : 0;
}

// ---- fixed-size family headers -------------------------------------------------------------

/** A decoded message of a family: its fixed header struct and the attributes that follow it. */
export function splitFamilyPayload(
  payload: Buffer,
  fixedLen: number,
): DecodeResult<{ fixed: Buffer; attrs: Attr[] }> {
  if (payload.length < fixedLen) {
    return { ok: false, error: `payload ${payload.length} bytes, family header needs ${fixedLen}` };
  }
  const attrs = decodeAttrs(payload.subarray(align4(fixedLen)));
  if (!attrs.ok) return attrs;
  return { ok: true, value: { fixed: payload.subarray(0, fixedLen), attrs: attrs.value } };
}
