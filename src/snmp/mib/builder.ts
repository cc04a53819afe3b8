// Helpers the MIB views share: the subtree roots, a collector of OID -> value pairs, and the value
// conventions keepalived's agent uses everywhere (addresses as raw bytes, TruthValue, InetAddressType).
// Pure.
import { addressToBytes } from '../../common/inet.js';
import { compareOid, formatOid, integer, octets, type Oid, type SnmpValue, type VarBind } from '../types.js';
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

/** Collects the objects of one or more MIB views; view() sorts them. */
export class ViewBuilder {
  private readonly entries: VarBind[] = [];
  private readonly objects: Oid[] = [];

  /** Declares scalars or columns `base.n` for each n: they exist even with no instance. */
  define(base: Oid, subs: readonly number[]): void {
    for (const n of subs) this.objects.push([...base, n]);
  }

  /** Scalar `oid`.0, when `value` is defined. */
  scalar(oid: Oid, value: SnmpValue | undefined): void {
    this.objects.push(oid);
    if (value !== undefined) this.entries.push({ oid: [...oid, 0], value });
  }

  /** Table cell `column`.`index`, when `value` is defined (keepalived leaves absent values out). */
  cell(column: Oid, index: readonly number[], value: SnmpValue | undefined): void {
    if (value !== undefined) this.entries.push({ oid: [...column, ...index], value });
  }

  /** Another builder's objects, e.g. one view per MIB merged into what the subagent serves. */
  merge(view: MibView): void {
    this.entries.push(...view.entries);
    this.objects.push(...view.objects);
  }

  view(): MibView {
    const entries = [...this.entries].sort((a, b) => compareOid(a.oid, b.oid));
    for (let i = 1; i < entries.length; i++)
      if (compareOid((entries[i - 1] as VarBind).oid, (entries[i] as VarBind).oid) === 0)
        throw new Error(`two values for ${formatOid((entries[i] as VarBind).oid)}`);
    return { entries, objects: this.objects };
  }
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
