// AgentX PDUs to bytes and back (RFC 2741 section 6). We send network byte order (NETWORK_BYTE_ORDER set);
// we read either order, as the header's flag says. decodePdu never throws: malformed input gives a result
// naming how far decoding got, so a session can answer with a parseError or close, and a fuzz test can
// count the cases that reached each stage. Pure.
import type { VarBind } from '../types.js';
import {
  AGENTX_VERSION,
  FLAG,
  HEADER_LENGTH,
  MAY_HAVE_CONTEXT,
  PDU_TYPE,
  type Pdu,
  type PduTypeName,
  type SearchRange,
} from './pdu.js';
import { DecodeFailure, Reader, Writer } from './wire.js';

/** Larger payloads are refused: nothing in this protocol comes close, and a bogus length must not make a
 * session buffer without end. */
export const MAX_PAYLOAD = 1 << 20;

export interface EncodeOptions {
  /** Network byte order (the default); false writes little-endian with the flag clear. */
  bigEndian?: boolean;
}

/** The bytes of one PDU. */
export function encodePdu(pdu: Pdu, options: EncodeOptions = {}): Uint8Array {
  const bigEndian = options.bigEndian ?? true;
  const w = new Writer(bigEndian);
  const hasContext = pdu.context !== undefined && MAY_HAVE_CONTEXT.has(pdu.type);
  let flags = (pdu.flags ?? 0) & (FLAG.instanceRegistration | FLAG.newIndex | FLAG.anyIndex);
  if (hasContext) flags |= FLAG.nonDefaultContext;
  if (bigEndian) flags |= FLAG.networkByteOrder;
  w.u8(AGENTX_VERSION);
  w.u8(PDU_TYPE[pdu.type]);
  w.u8(flags);
  w.u8(0);
  w.u32(pdu.sessionId);
  w.u32(pdu.transactionId);
  w.u32(pdu.packetId);
  w.u32(0); // payload_length, patched below
  if (hasContext) w.octets(pdu.context as Uint8Array);
  encodeBody(w, pdu);
  w.setU32(16, w.length - HEADER_LENGTH);
  return w.result();
}

function encodeBody(w: Writer, pdu: Pdu): void {
  const ranges = (rs: SearchRange[]): void => rs.forEach((r) => w.range(r));
  const varbinds = (vbs: VarBind[]): void => vbs.forEach((vb) => w.varbind(vb));
  switch (pdu.type) {
    case 'open':
      w.u8(pdu.timeout);
      w.u8(0);
      w.u16(0);
      w.oid(pdu.id);
      w.octets(pdu.descr);
      return;
    case 'close':
      w.u8(pdu.reason);
      w.u8(0);
      w.u16(0);
      return;
    case 'register':
    case 'unregister':
      w.u8(pdu.type === 'register' ? pdu.timeout : 0);
      w.u8(pdu.priority);
      w.u8(pdu.rangeSubid);
      w.u8(0);
      w.oid(pdu.subtree);
      if (pdu.rangeSubid !== 0) w.u32(pdu.upperBound ?? 0);
      return;
    case 'get':
    case 'getNext':
      ranges(pdu.ranges);
      return;
    case 'getBulk':
      w.u16(pdu.nonRepeaters);
      w.u16(pdu.maxRepetitions);
      ranges(pdu.ranges);
      return;
    case 'testSet':
    case 'notify':
    case 'indexAllocate':
    case 'indexDeallocate':
      varbinds(pdu.varbinds);
      return;
    case 'commitSet':
    case 'undoSet':
    case 'cleanupSet':
    case 'ping':
      return;
    case 'addAgentCaps':
      w.oid(pdu.id);
      w.octets(pdu.descr);
      return;
    case 'removeAgentCaps':
      w.oid(pdu.id);
      return;
    case 'response':
      w.u32(pdu.sysUpTime);
      w.u16(pdu.error);
      w.u16(pdu.index);
      varbinds(pdu.varbinds);
      return;
  }
}

/** How far decoding got, in order: the fixed header, the announced payload present and sane, the
 * context, the type-specific body, and nothing left over. */
export type DecodeStage = 'header' | 'payload' | 'context' | 'body' | 'complete';

export type DecodeResult =
  | { ok: true; pdu: Pdu; length: number }
  | {
      ok: false;
      stage: DecodeStage;
      error: string;
      /** The header was readable: its ids, for an error Response or a log line. */
      header?: { type: number; sessionId: number; transactionId: number; packetId: number };
    };

export type Frame =
  { kind: 'partial' } | { kind: 'frame'; length: number } | { kind: 'invalid'; error: string };

/** Whether `buf` starts with a whole PDU: its length if so. A stream reader calls this before decodePdu. */
export function frameLength(buf: Uint8Array): Frame {
  if (buf.length < HEADER_LENGTH) return { kind: 'partial' };
  const flags = buf[2] as number;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const payload = view.getUint32(16, (flags & FLAG.networkByteOrder) === 0);
  if (payload > MAX_PAYLOAD) return { kind: 'invalid', error: `payload_length ${payload} too large` };
  if (payload % 4 !== 0) return { kind: 'invalid', error: `payload_length ${payload} not a multiple of 4` };
  const length = HEADER_LENGTH + payload;
  return buf.length < length ? { kind: 'partial' } : { kind: 'frame', length };
}

const TYPE_NAME = new Map<number, PduTypeName>(
  Object.entries(PDU_TYPE).map(([name, code]) => [code, name as PduTypeName]),
);

/** Decodes the PDU at the start of `buf`; never throws. */
export function decodePdu(buf: Uint8Array): DecodeResult {
  let stage: DecodeStage = 'header';
  let header: { type: number; sessionId: number; transactionId: number; packetId: number } | undefined;
  const fail = (error: string): DecodeResult => ({ ok: false, stage, error, ...(header ? { header } : {}) });
  try {
    if (buf.length < HEADER_LENGTH) return fail(`${buf.length} bytes, a header needs ${HEADER_LENGTH}`);
    const version = buf[0] as number;
    const typeCode = buf[1] as number;
    const flags = buf[2] as number;
    const bigEndian = (flags & FLAG.networkByteOrder) !== 0;
    const head = new Reader(buf, bigEndian, 4, HEADER_LENGTH);
    const sessionId = head.u32('h.sessionID');
    const transactionId = head.u32('h.transactionID');
    const packetId = head.u32('h.packetID');
    const payload = head.u32('h.payload_length');
    header = { type: typeCode, sessionId, transactionId, packetId };
    if (version !== AGENTX_VERSION) return fail(`h.version ${version}`);
    const type = TYPE_NAME.get(typeCode);
    if (type === undefined) return fail(`unknown h.type ${typeCode}`);

    stage = 'payload';
    if (payload % 4 !== 0) return fail(`payload_length ${payload} not a multiple of 4`);
    if (payload > MAX_PAYLOAD) return fail(`payload_length ${payload} too large`);
    if (buf.length < HEADER_LENGTH + payload)
      return fail(`payload_length ${payload}, ${buf.length - HEADER_LENGTH} bytes present`);
    const length = HEADER_LENGTH + payload;
    const r = new Reader(buf, bigEndian, HEADER_LENGTH, length);

    stage = 'context';
    let context: Uint8Array | undefined;
    if (flags & FLAG.nonDefaultContext) {
      if (!MAY_HAVE_CONTEXT.has(type)) return fail(`NON_DEFAULT_CONTEXT on a ${type} PDU`);
      context = r.octets('context');
    }

    stage = 'body';
    const otherFlags = flags & (FLAG.instanceRegistration | FLAG.newIndex | FLAG.anyIndex);
    const common = {
      sessionId,
      transactionId,
      packetId,
      ...(context !== undefined ? { context } : {}),
      ...(otherFlags ? { flags: otherFlags } : {}),
    };
    const pdu = decodeBody(r, type, common);

    stage = 'complete';
    if (r.remaining !== 0) return fail(`${r.remaining} bytes after the ${type} body`);
    return { ok: true, pdu, length };
  } catch (e) {
    // DecodeFailure is the Reader saying a field is short or malformed; anything else would be a bug here,
    // still reported rather than thrown (the fuzz test counts on none happening).
    return fail(e instanceof DecodeFailure ? e.message : `internal: ${String(e)}`);
  }
}

type Common = Pick<Pdu, 'sessionId' | 'transactionId' | 'packetId' | 'context' | 'flags'>;

function decodeBody(r: Reader, type: PduTypeName, c: Common): Pdu {
  const ranges = (): SearchRange[] => {
    const out: SearchRange[] = [];
    while (r.remaining > 0) out.push(r.range(`SearchRange ${out.length + 1}`));
    return out;
  };
  const varbinds = (): VarBind[] => {
    const out: VarBind[] = [];
    while (r.remaining > 0) out.push(r.varbind(`VarBind ${out.length + 1}`));
    return out;
  };
  switch (type) {
    case 'open': {
      const timeout = r.u8('o.timeout');
      r.u8('reserved');
      r.u16('reserved');
      const id = r.oid('o.id').oid;
      const descr = r.octets('o.descr');
      return { ...c, type, timeout, id, descr };
    }
    case 'close': {
      const reason = r.u8('c.reason');
      r.u8('reserved');
      r.u16('reserved');
      return { ...c, type, reason };
    }
    case 'register':
    case 'unregister': {
      const timeout = r.u8(type === 'register' ? 'r.timeout' : 'reserved');
      const priority = r.u8('priority');
      const rangeSubid = r.u8('range_subid');
      r.u8('reserved');
      const subtree = r.oid('subtree').oid;
      if (rangeSubid > subtree.length)
        throw new DecodeFailure(`range_subid ${rangeSubid} beyond the subtree's ${subtree.length} sub-ids`);
      const upperBound = rangeSubid !== 0 ? r.u32('upper_bound') : undefined;
      const bound = upperBound !== undefined ? { upperBound } : {};
      return type === 'register'
        ? { ...c, type, timeout, priority, rangeSubid, subtree, ...bound }
        : { ...c, type, priority, rangeSubid, subtree, ...bound };
    }
    case 'get':
    case 'getNext':
      return { ...c, type, ranges: ranges() };
    case 'getBulk': {
      const nonRepeaters = r.u16('g.non_repeaters');
      const maxRepetitions = r.u16('g.max_repetitions');
      return { ...c, type, nonRepeaters, maxRepetitions, ranges: ranges() };
    }
    case 'testSet':
    case 'notify':
    case 'indexAllocate':
    case 'indexDeallocate':
      return { ...c, type, varbinds: varbinds() };
    case 'commitSet':
    case 'undoSet':
    case 'cleanupSet':
    case 'ping':
      return { ...c, type };
    case 'addAgentCaps': {
      const id = r.oid('a.id').oid;
      const descr = r.octets('a.descr');
      return { ...c, type, id, descr };
    }
    case 'removeAgentCaps':
      return { ...c, type, id: r.oid('a.id').oid };
    case 'response': {
      const sysUpTime = r.u32('res.sysUpTime');
      const error = r.u16('res.error');
      const index = r.u16('res.index');
      return { ...c, type, sysUpTime, error, index, varbinds: varbinds() };
    }
  }
}
