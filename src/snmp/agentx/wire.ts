// AgentX's building blocks on the wire (RFC 2741 section 5): integers in the byte order the header
// declares, Object Identifiers with the 1.3.6.1.<prefix> compression, Octet Strings padded to four bytes,
// SearchRanges and VarBinds. A Writer appends, a Reader consumes and reports a short or malformed field
// with a DecodeFailure that the codec turns into a result. Pure.
import type { Oid, SnmpValue, VarBind } from '../types.js';
import { VALUE_TYPE, type SearchRange } from './pdu.js';

/** The longest OID AgentX carries (RFC 2741 5.1: n_subid is at most 128). */
export const MAX_SUBIDS = 128;
const INTERNET = [1, 3, 6, 1];

/** Thrown by the Reader on malformed input; never escapes decodePdu. */
export class DecodeFailure extends Error {}

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(
    private readonly bigEndian: boolean,
    initial = 256,
  ) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
  }

  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.length, v & 0xffff, !this.bigEndian);
    this.length += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.length, v >>> 0, !this.bigEndian);
    this.length += 4;
  }

  i32(v: number): void {
    this.room(4);
    this.view.setInt32(this.length, v | 0, !this.bigEndian);
    this.length += 4;
  }

  u64(v: bigint): void {
    this.room(8);
    this.view.setBigUint64(this.length, BigInt.asUintN(64, v), !this.bigEndian);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Patches a 32-bit field already written (the header's payload_length). */
  setU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, !this.bigEndian);
  }

  /** An Object Identifier (5.1), compressing a 1.3.6.1.N prefix with N in 1..255. */
  oid(oid: Oid, include = false): void {
    let prefix = 0;
    let subids = oid;
    if (oid.length >= 5 && INTERNET.every((n, i) => oid[i] === n)) {
      const p = oid[4] as number;
      if (p >= 1 && p <= 255) {
        prefix = p;
        subids = oid.slice(5);
      }
    }
    this.u8(subids.length);
    this.u8(prefix);
    this.u8(include ? 1 : 0);
    this.u8(0);
    for (const s of subids) this.u32(s);
  }

  /** An Octet String (5.3): length, bytes, zero padding to a multiple of four. */
  octets(b: Uint8Array): void {
    this.u32(b.length);
    this.bytes(b);
    const pad = (4 - (b.length % 4)) % 4;
    for (let i = 0; i < pad; i++) this.u8(0);
  }

  range(r: SearchRange): void {
    this.oid(r.start, r.include);
    this.oid(r.end);
  }

  varbind(vb: VarBind): void {
    const v = vb.value;
    this.u16(VALUE_TYPE[v.type]);
    this.u16(0);
    this.oid(vb.oid);
    switch (v.type) {
      case 'integer':
        this.i32(v.value);
        break;
      case 'counter32':
      case 'gauge32':
      case 'timeticks':
        this.u32(v.value);
        break;
      case 'counter64':
        this.u64(v.value);
        break;
      case 'octets':
      case 'ipaddress':
      case 'opaque':
        this.octets(v.value);
        break;
      case 'oid':
        this.oid(v.value);
        break;
      case 'null':
      case 'noSuchObject':
      case 'noSuchInstance':
      case 'endOfMibView':
        break;
    }
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const TYPE_BY_CODE = new Map<number, SnmpValue['type']>(
  Object.entries(VALUE_TYPE).map(([name, code]) => [code, name as SnmpValue['type']]),
);

export class Reader {
  private readonly view: DataView;
  pos: number;

  constructor(
    private readonly buf: Uint8Array,
    private readonly bigEndian: boolean,
    start: number,
    /** One past the last byte this reader may consume. */
    readonly end: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n)
      throw new DecodeFailure(`${what}: ${n} bytes needed, ${this.remaining} left`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, !this.bigEndian);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, !this.bigEndian);
    this.pos += 4;
    return v;
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, !this.bigEndian);
    this.pos += 4;
    return v;
  }

  u64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, !this.bigEndian);
    this.pos += 8;
    return v;
  }

  /** An Object Identifier and its include byte. */
  oid(what: string): { oid: Oid; include: boolean } {
    const n = this.u8(`${what} n_subid`);
    const prefix = this.u8(`${what} prefix`);
    const include = this.u8(`${what} include`);
    this.u8(`${what} reserved`);
    if (n > MAX_SUBIDS) throw new DecodeFailure(`${what}: ${n} sub-identifiers (at most ${MAX_SUBIDS})`);
    if (include > 1) throw new DecodeFailure(`${what}: include byte ${include}`);
    this.need(4 * n, `${what} sub-identifiers`);
    const oid: number[] = prefix !== 0 ? [...INTERNET, prefix] : [];
    for (let i = 0; i < n; i++) oid.push(this.u32(what));
    return { oid, include: include === 1 };
  }

  octets(what: string): Uint8Array {
    const len = this.u32(`${what} length`);
    const padded = len + ((4 - (len % 4)) % 4);
    if (padded > this.remaining)
      throw new DecodeFailure(`${what}: ${len} bytes announced, ${this.remaining} left`);
    const b = this.buf.slice(this.pos, this.pos + len);
    this.pos += padded;
    return b;
  }

  range(what: string): SearchRange {
    const start = this.oid(`${what} start`);
    const end = this.oid(`${what} end`);
    return { start: start.oid, include: start.include, end: end.oid };
  }

  varbind(what: string): VarBind {
    const code = this.u16(`${what} type`);
    this.u16(`${what} reserved`);
    const type = TYPE_BY_CODE.get(code);
    if (type === undefined) throw new DecodeFailure(`${what}: unknown value type ${code}`);
    const { oid } = this.oid(`${what} name`);
    switch (type) {
      case 'integer':
        return { oid, value: { type, value: this.i32(what) } };
      case 'counter32':
      case 'gauge32':
      case 'timeticks':
        return { oid, value: { type, value: this.u32(what) } };
      case 'counter64':
        return { oid, value: { type, value: this.u64(what) } };
      case 'octets':
      case 'opaque':
        return { oid, value: { type, value: this.octets(what) } };
      case 'ipaddress': {
        const value = this.octets(what);
        if (value.length !== 4) throw new DecodeFailure(`${what}: IpAddress of ${value.length} bytes`);
        return { oid, value: { type, value } };
      }
      case 'oid':
        return { oid, value: { type, value: this.oid(`${what} value`).oid } };
      case 'null':
      case 'noSuchObject':
      case 'noSuchInstance':
      case 'endOfMibView':
        return { oid, value: { type } };
    }
  }
}
