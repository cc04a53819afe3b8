// SNMP's data model as both AgentX and the MIB views use it: object identifiers as arrays of sub-identifiers,
// the SMIv2 value types (RFC 2578) plus the three exceptions a response may carry (RFC 3416), and varbinds.
// Pure.

/** An object identifier: sub-identifiers, each an unsigned 32-bit integer. */
export type Oid = readonly number[];

export type SnmpValue =
  | { type: 'integer'; value: number }
  | { type: 'octets'; value: Uint8Array }
  | { type: 'null' }
  | { type: 'oid'; value: Oid }
  | { type: 'ipaddress'; value: Uint8Array }
  | { type: 'counter32'; value: number }
  /** Gauge32 and Unsigned32 share one encoding (RFC 2578 7.1.11). */
  | { type: 'gauge32'; value: number }
  | { type: 'timeticks'; value: number }
  | { type: 'opaque'; value: Uint8Array }
  | { type: 'counter64'; value: bigint }
  | { type: 'noSuchObject' }
  | { type: 'noSuchInstance' }
  | { type: 'endOfMibView' };

export interface VarBind {
  oid: Oid;
  value: SnmpValue;
}

/** -1, 0 or 1 as `a` sorts before, with or after `b` (sub-identifier by sub-identifier, a prefix first). */
export function compareOid(a: Oid, b: Oid): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Whether `prefix` is `oid` or one of its ancestors. */
export function oidStartsWith(oid: Oid, prefix: Oid): boolean {
  if (prefix.length > oid.length) return false;
  for (let i = 0; i < prefix.length; i++) if (oid[i] !== prefix[i]) return false;
  return true;
}

/** ".1.3.6.1" style text, as snmpwalk -On prints it. */
export function formatOid(oid: Oid): string {
  return oid.map((n) => `.${n}`).join('');
}

/** Parses "1.3.6.1" or ".1.3.6.1"; undefined when a part is not a sub-identifier. */
export function parseOid(text: string): Oid | undefined {
  const parts = text.replace(/^\./, '').split('.');
  if (parts.length === 1 && parts[0] === '') return [];
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 0xffffffff) return undefined;
    out.push(n);
  }
  return out;
}

// Value constructors: the MIB views read best with these.
const textEncoder = new TextEncoder();

export const integer = (value: number): SnmpValue => ({ type: 'integer', value });
export const gauge = (value: number): SnmpValue => ({ type: 'gauge32', value });
export const counter32 = (value: number): SnmpValue => ({ type: 'counter32', value: value >>> 0 });
export const counter64 = (value: number | bigint): SnmpValue => ({
  type: 'counter64',
  value: BigInt.asUintN(64, BigInt(value)),
});
export const timeticks = (value: number): SnmpValue => ({ type: 'timeticks', value: value >>> 0 });
export const octets = (value: Uint8Array): SnmpValue => ({ type: 'octets', value });
export const text = (value: string): SnmpValue => ({ type: 'octets', value: textEncoder.encode(value) });
export const objectId = (value: Oid): SnmpValue => ({ type: 'oid', value });
export const ipAddress = (value: Uint8Array): SnmpValue => ({ type: 'ipaddress', value });

/** SNMPv2-TC TruthValue: true(1), false(2). */
export const truth = (value: boolean): SnmpValue => integer(value ? 1 : 2);
