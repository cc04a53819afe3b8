// The enable_snmp_* switches and which MIBs each keepalived process serves with them: apart from the views
// (serve.ts), so that a daemon decides whether it serves SNMP at all without loading them. Pure.
import type { GlobalDefs } from '../../config/model/global/global.js';

export interface ServedMibs {
  global: boolean;
  vrrp: boolean;
  rfcv2: boolean;
  rfcv3: boolean;
  checker: boolean;
}

/** The enable_snmp_* switches as configured (global_defs, or all of them with -x / --snmp). */
export interface SnmpSwitches {
  enableSnmpVrrp: boolean;
  enableSnmpRfcv2: boolean;
  enableSnmpRfcv3: boolean;
  enableSnmpChecker: boolean;
}

/** The switches from global_defs (enable_snmp_rfc meaning both RFC MIBs) and -x / --snmp (all of them). */
export function snmpSwitches(g: GlobalDefs, snmpOption = false): SnmpSwitches {
  return {
    enableSnmpVrrp: snmpOption || g.enableSnmpVrrp,
    enableSnmpRfcv2: snmpOption || g.enableSnmpRfcv2 || g.enableSnmpRfc,
    enableSnmpRfcv3: snmpOption || g.enableSnmpRfcv3 || g.enableSnmpRfc,
    enableSnmpChecker: snmpOption || g.enableSnmpChecker,
  };
}

/** The master agent's socket: -A / --snmp-agent-socket, else snmp_socket (keepalived ignores the keyword
 * when the option gave one), else net-snmp's default. */
export function snmpSocket(g: GlobalDefs, agentSocketOption?: string): string {
  return agentSocketOption ?? g.snmpSocket ?? 'unix:/var/agentx/master';
}

/** What one process serves: `role` is the process; `checkerRunning` whether a checker process runs. */
export function servedMibs(s: SnmpSwitches, role: 'vrrp' | 'checker', checkerRunning: boolean): ServedMibs {
  if (role === 'checker') {
    const on = s.enableSnmpChecker;
    return { global: on, vrrp: false, rfcv2: false, rfcv3: false, checker: on };
  }
  return {
    global: s.enableSnmpVrrp && (!checkerRunning || !s.enableSnmpChecker),
    vrrp: s.enableSnmpVrrp,
    rfcv2: s.enableSnmpRfcv2,
    rfcv3: s.enableSnmpRfcv3,
    checker: false,
  };
}

export function servesAnything(m: ServedMibs): boolean {
  return m.global || m.vrrp || m.rfcv2 || m.rfcv3 || m.checker;
}
