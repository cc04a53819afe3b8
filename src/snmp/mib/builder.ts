// Helpers the MIB views share: the subtree roots, a collector of OID -> value pairs, and the value
// conventions keepalived's agent uses everywhere (addresses as raw bytes, TruthValue, InetAddressType).
// Pure.
import { addressToBytes } from '../../common/inet.js';
import { compareOid, integer, octets, type Oid, type SnmpValue, type VarBind } from '../types.js';
import type { MibView } from '../agentx/responder.js';

/** KEEPALIVED-MIB::keepalived (enterprises.9586.100.5). */
export const KEEPALIVED_OID: Oid = [1, 3, 6, 1, 4, 1, 9586, 100, 5];
export const MIB2_OID: Oid = [1, 3, 6, 1, 2, 1];
/** VRRP-MIB::vrrpMIB (RFC 2787). */
export const VRRP_MIB_OID: Oid = [...MIB2_OID, 68];
/** VRRPV3-MIB::vrrpv3MIB (RFC 6527). */
export const VRRPV3_MIB_OID: Oid = [...MIB2_OID, 207];
/** SNMPv2-MIB::snmpTrapOID.0 and sysUpTime.0. */
export const SNMP_TRAP_OID: Oid = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
export const SYS_UPTIME_OID: Oid = [1, 3, 6, 1, 2, 1, 1, 3, 0];

/** Collects the objects of one or more MIB views; view() sorts them. Cells are kept by column, where the
 * views add them in row order, so sorting stays close to linear (TimSort on runs already in order). */
export class ViewBuilder {
  private readonly columns = new Map<number, { oid: Oid; entries: VarBind[] }>();
  private readonly runs: (readonly VarBind[])[] = [];
  private readonly objects: Oid[] = [];

  /** Declares scalars or columns `base.n` for each n: they exist even with no instance. */
  define(base: Oid, subs: readonly number[]): void {
    for (const n of subs) this.objects.push([...base, n]);
  }

  /** Scalar `oid`.0, when `value` is defined. */
  scalar(oid: Oid, value: SnmpValue | undefined): void {
    this.objects.push(oid);
    this.cell(oid, [0], value);
  }

  /** Table cell `column`.`index`, when `value` is defined (keepalived leaves absent values out). */
  cell(column: Oid, index: readonly number[], value: SnmpValue | undefined): void {
    if (value === undefined) return;
    // A cheap key from the column's length and last sub-identifiers: a collision only costs a sort, as
    // view() checks the order it gets.
    let key = column.length;
    for (let i = Math.max(0, column.length - 4); i < column.length; i++)
      key = (Math.imul(key, 1000003) + (column[i] as number)) >>> 0;
    let c = this.columns.get(key);
    if (c === undefined) this.columns.set(key, (c = { oid: column, entries: [] }));
    c.entries.push({ oid: [...column, ...index], value });
  }

  /** Another view's objects, e.g. one view per MIB merged into what the subagent serves. */
  merge(view: MibView): void {
    this.runs.push(view.entries);
    this.objects.push(...view.objects);
  }

  /** Sorted, one value per OID: when two rows share an index (two instances with one VRID on one
   * interface, told apart by their unicast peers), the first added wins, as keepalived's scans find the
   * first of its list. */
  view(): MibView {
    const columns = [...this.columns.values()].sort((a, b) => compareOid(a.oid, b.oid));
    // Columns are disjoint subtrees, so in column order their sorted cells are sorted as a whole.
    let own: VarBind[] = [];
    for (const c of columns) {
      sortStable(c.entries);
      for (const e of c.entries) own.push(e);
    }
    sortStable(own);
    for (const run of this.runs) own = mergeSorted(own, run);
    return { entries: own, objects: this.objects };
  }
}

const byOid = (a: VarBind, b: VarBind): number => compareOid(a.oid, b.oid);

/** Sorts in place unless already in order (the usual case: views add rows in index order); drops later
 * duplicates. */
function sortStable(list: VarBind[]): void {
  let sorted = true;
  let unique = true;
  for (let i = 1; i < list.length && sorted; i++) {
    const c = byOid(list[i - 1] as VarBind, list[i] as VarBind);
    if (c > 0) sorted = false;
    else if (c === 0) unique = false;
  }
  if (!sorted) list.sort(byOid); // stable: the first of equal OIDs stays first
  if (!sorted || !unique) {
    let w = 0;
    for (let r = 0; r < list.length; r++)
      if (w === 0 || byOid(list[w - 1] as VarBind, list[r] as VarBind) !== 0) list[w++] = list[r] as VarBind;
    list.length = w;
  }
}

/** Two sorted lists as one; on equal OIDs the first list's entry stays. */
function mergeSorted(a: readonly VarBind[], b: readonly VarBind[]): VarBind[] {
  const out: VarBind[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c = byOid(a[i] as VarBind, b[j] as VarBind);
    if (c <= 0) {
      if (c === 0) j++;
      out.push(a[i++] as VarBind);
    } else out.push(b[j++] as VarBind);
  }
  while (i < a.length) out.push(a[i++] as VarBind);
  while (j < b.length) out.push(b[j++] as VarBind);
  return out;
}

/** InetAddressType as keepalived gives it: 1 for IPv4, 2 for anything else. */
export const inetAddressType = (family: 4 | 6 | undefined): SnmpValue => integer(family === 4 ? 1 : 2);

/** The address's bytes (4 or 16), all zero when it is absent or unreadable. */
export function addressBytes(address: string | undefined, family: 4 | 6): Uint8Array {
  const b = address !== undefined ? addressToBytes(address, family) : undefined;
  return b ?? new Uint8Array(family === 4 ? 4 : 16);
}

export const addressValue = (address: string | undefined, family: 4 | 6): SnmpValue =>
  octets(addressBytes(address, family));

/** keepalived's snmp_scope(): kernel scope to InetScopeType. */
export function inetScope(scope: number): number {
  switch (scope) {
    case 0:
      return 14; // global
    case 254:
      return 1; // host
    case 253:
      return 2; // link
    case 200:
      return 5; // site
    default:
      return 0;
  }
}

/** A command as keepalived's cmd_str_r() prints it: each word in single quotes, space separated (a first
 * word that is a shell redirection stays bare). */
export function commandText(words: readonly string[]): string {
  return words.map((w, i) => (i === 0 && (w.startsWith('<') || w.startsWith('>')) ? w : `'${w}'`)).join(' ');
}
