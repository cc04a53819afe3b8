// Which MIBs a keepalived process serves, and the one view that answers for all of them. keepalived 2.2.7:
// the VRRP process registers KEEPALIVED-MIB vrrp with enable_snmp_vrrp, VRRP-MIB with enable_snmp_rfcv2,
// VRRPV3-MIB with enable_snmp_rfcv3; the checker process registers KEEPALIVED-MIB check with
// enable_snmp_checker; the global objects go with the checker when it runs with SNMP, else with the VRRP
// process (vrrp_handles_global_oid). -x turns every enable_snmp_* on. Pure.
import type { Oid } from '../types.js';
import type { SnmpSnapshot } from '../snapshot.js';
import type { MibView } from '../agentx/responder.js';
import { KEEPALIVED_OID, VRRP_MIB_OID, VRRPV3_MIB_OID, ViewBuilder } from './builder.js';
import { globalView } from './keepalived-global.js';
import { vrrpView } from './keepalived-vrrp.js';
import { checkView } from './keepalived-check.js';
import { vrrpRfc2787View, vrrpRfc6527View } from './vrrp-rfc.js';

export {
  servedMibs,
  servesAnything,
  snmpSocket,
  snmpSwitches,
  type ServedMibs,
  type SnmpSwitches,
} from './switches.js';
import type { ServedMibs } from './switches.js';

/** A registered subtree and its sysORTable row. */
export interface Registration {
  subtree: Oid;
  /** sysORDescr, as keepalived words it. */
  descr: string;
}

/** The subtrees to register, in keepalived's order, with their sysORTable descriptions. */
export function registrations(m: ServedMibs): Registration[] {
  const out: Registration[] = [];
  const add = (on: boolean, subtree: Oid, name: string): void => {
    if (on) out.push({ subtree, descr: `The MIB module for ${name}` });
  };
  add(m.global, [...KEEPALIVED_OID, 1], 'Keepalived');
  add(m.checker, [...KEEPALIVED_OID, 3], 'Healthchecker');
  add(m.vrrp, [...KEEPALIVED_OID, 2], 'KEEPALIVED-VRRP');
  add(m.rfcv2, VRRP_MIB_OID, 'VRRP');
  add(m.rfcv3, VRRPV3_MIB_OID, 'VRRPV3');
  return out;
}

export interface ViewOptions {
  /** VRRPV3-MIB rows for VRRPv2 instances too (Debian's build: true). */
  replyV3ForV2?: boolean;
}

/** Every object the process serves, sorted. */
export function buildView(snapshot: SnmpSnapshot, m: ServedMibs, options: ViewOptions = {}): MibView {
  const b = new ViewBuilder();
  if (m.global) b.merge(globalView(snapshot.global));
  const v = snapshot.vrrp;
  if (v) {
    if (m.vrrp) b.merge(vrrpView(v));
    if (m.rfcv2) b.merge(vrrpRfc2787View(v, snapshot.global.trapsEnabled));
    if (m.rfcv3) b.merge(vrrpRfc6527View(v, options.replyV3ForV2 ?? true));
  }
  if (m.checker && snapshot.checker) b.merge(checkView(snapshot.checker));
  return b.view();
}
