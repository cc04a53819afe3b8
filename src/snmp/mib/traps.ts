// The notifications keepalived 2.2.7 sends, as varbind lists starting with snmpTrapOID.0 (the master agent
// puts sysUpTime.0 in front): its own vrrpInstanceStateChange, vrrpSyncGroupStateChange,
// realServerStateChange and virtualServerQuorumStateChange (their objects named by column OIDs without an
// index, as keepalived sends them), and the RFC ones: vrrpTrapNewMaster / vrrpTrapAuthFailure (RFC 2787),
// vrrpv3NotifyNewMaster / vrrpv3NotifyProtoError (RFC 6527). Which of them go out, and when, is
// stateChangeNotifications' business. Pure.
import { gauge, integer, ipAddress, objectId, octets, text, type Oid, type VarBind } from '../types.js';
import type {
  RealServerInfo,
  SnmpVrrpState,
  SyncGroupInfo,
  VirtualServerInfo,
  VrrpInstanceInfo,
} from '../snapshot.js';
import {
  addressBytes,
  addressValue,
  inetAddressType,
  SNMP_TRAP_OID,
  VRRP_MIB_OID,
  VRRPV3_MIB_OID,
} from './builder.js';
import { GLOBAL_OID } from './keepalived-global.js';
import { VRRP_OID, stateNumber } from './keepalived-vrrp.js';
import { CHECK_OID } from './keepalived-check.js';
import { baseIfIndex, inRfc2787, inRfc6527 } from './vrrp-rfc.js';

const ROUTER_ID: Oid = [...GLOBAL_OID, 2, 0];

const trapOid = (oid: Oid): VarBind => ({ oid: SNMP_TRAP_OID, value: objectId(oid) });
const routerId = (id: string | undefined): VarBind => ({ oid: ROUTER_ID, value: text(id ?? '') });

/** The state a trap carries: INIT..FAULT as numbered, STOP 5, DELETED 6 (instances only), else 4. */
function trapState(s: SnmpVrrpState): number {
  const n = stateNumber(s);
  if (n <= 3) return n;
  return s === 'STOP' ? 5 : s === 'DELETED' ? 6 : 4;
}

/** vrrpInstanceStateChange (keepalived.2.10.0.2). */
export function instanceStateTrap(i: VrrpInstanceInfo, router: string | undefined): VarBind[] {
  const col = (n: number): Oid => [...VRRP_OID, 3, 1, n];
  return [
    trapOid([...VRRP_OID, 10, 0, 2]),
    { oid: col(2), value: text(i.name) },
    { oid: col(4), value: integer(trapState(i.state)) },
    // keepalived sends its configured_state number as is (BACKUP 1, MASTER 2).
    { oid: col(5), value: integer(stateNumber(i.configuredState)) },
    routerId(router),
  ];
}

/** vrrpSyncGroupStateChange (keepalived.2.10.0.1); DELETED does not apply to groups (unknown, 4). */
export function syncGroupStateTrap(g: SyncGroupInfo, router: string | undefined): VarBind[] {
  const col = (n: number): Oid => [...VRRP_OID, 1, 1, n];
  const state = g.state === 'DELETED' ? 4 : trapState(g.state);
  return [
    trapOid([...VRRP_OID, 10, 0, 1]),
    { oid: col(2), value: text(g.name) },
    { oid: col(3), value: integer(state) },
    routerId(router),
  ];
}

/** vrrpTrapNewMaster (RFC 2787): our own advert source as vrrpOperMasterIpAddr. */
export function rfc2787NewMasterTrap(i: VrrpInstanceInfo): VarBind[] {
  return [
    trapOid([...VRRP_MIB_OID, 0, 1]),
    {
      oid: [...VRRP_MIB_OID, 1, 3, 1, 7, baseIfIndex(i), i.vrid],
      value: ipAddress(addressBytes(i.sourceAddress, 4)),
    },
  ];
}

/** vrrpTrapAuthErrorType: invalidAuthType(1), authTypeMismatch(2), authFailure(3). */
export type AuthErrorType = 1 | 2 | 3;

/** vrrpTrapAuthFailure (RFC 2787): the offending packet's source and the kind of failure. keepalived
 * indexes these two by the instance's own interface, not the VMAC's parent. */
export function rfc2787AuthFailureTrap(i: VrrpInstanceInfo, source: string, error: AuthErrorType): VarBind[] {
  const index = [i.interface?.index ?? 0, i.vrid];
  return [
    trapOid([...VRRP_MIB_OID, 0, 2]),
    { oid: [...VRRP_MIB_OID, 1, 5, ...index], value: ipAddress(addressBytes(source, 4)) },
    { oid: [...VRRP_MIB_OID, 1, 6, ...index], value: integer(error) },
  ];
}

/** vrrpv3NotifyNewMaster (RFC 6527): our source address and why we became master. */
export function rfc6527NewMasterTrap(i: VrrpInstanceInfo): VarBind[] {
  const index = [baseIfIndex(i), i.vrid, i.family === 4 ? 1 : 2];
  return [
    trapOid([...VRRPV3_MIB_OID, 0, 1]),
    {
      oid: [...VRRPV3_MIB_OID, 1, 1, 1, 1, 3, ...index],
      value: octets(addressBytes(i.sourceAddress, i.family)),
    },
    { oid: [...VRRPV3_MIB_OID, 1, 2, 5, 1, 2, ...index], value: integer(i.masterReason) },
  ];
}

/** vrrpv3NotifyProtoError (RFC 6527), indexed by the instance's own interface as keepalived does. */
export function rfc6527ProtoErrorTrap(i: VrrpInstanceInfo): VarBind[] {
  const index = [i.interface?.index ?? 0, i.vrid, i.family === 4 ? 1 : 2];
  return [
    trapOid([...VRRPV3_MIB_OID, 0, 2]),
    { oid: [...VRRPV3_MIB_OID, 1, 2, 5, 1, 6, ...index], value: integer(i.protoErrorReason) },
  ];
}

/** Which MIBs' notifications are on: keepalived sends each family only with enable_traps and its
 * enable_snmp_* switch. */
export interface TrapSwitches {
  traps: boolean;
  vrrp: boolean;
  rfcv2: boolean;
  rfcv3: boolean;
  checker: boolean;
}

/** What keepalived sends when an instance has entered `i.state` (send_instance_notifies): its own trap,
 * then, on becoming MASTER, the RFC 2787 and RFC 6527 new-master notifications. */
export function instanceNotifications(
  i: VrrpInstanceInfo,
  router: string | undefined,
  on: TrapSwitches,
  replyV3ForV2 = true,
): VarBind[][] {
  if (!on.traps) return [];
  const out: VarBind[][] = [];
  if (on.vrrp) out.push(instanceStateTrap(i, router));
  if (i.state === 'MASTER') {
    if (on.rfcv2 && inRfc2787(i)) out.push(rfc2787NewMasterTrap(i));
    if (on.rfcv3 && inRfc6527(i, replyV3ForV2)) out.push(rfc6527NewMasterTrap(i));
  }
  return out;
}

const CHECK_VS = (n: number): Oid => [...CHECK_OID, 3, 1, n];
const CHECK_RS = (n: number): Oid => [...CHECK_OID, 4, 1, n];

/** The virtual server part both checker notifications share. */
function virtualServerVarbinds(vs: VirtualServerInfo): VarBind[] {
  const out: VarBind[] = [
    { oid: CHECK_VS(2), value: integer(vs.kind === 'group' ? 3 : vs.kind === 'fwmark' ? 1 : 2) },
  ];
  if (vs.kind === 'group') out.push({ oid: CHECK_VS(3), value: text(vs.groupName ?? '') });
  else if (vs.kind === 'fwmark') out.push({ oid: CHECK_VS(4), value: gauge(vs.fwmark ?? 0) });
  else
    out.push(
      { oid: CHECK_VS(5), value: inetAddressType(vs.family) },
      { oid: CHECK_VS(6), value: addressValue(vs.address, vs.family) },
      { oid: CHECK_VS(7), value: gauge(vs.port ?? 0) },
    );
  // virtualServerProtocol in these notifications: tcp(1), anything else 2.
  out.push({ oid: CHECK_VS(8), value: integer(vs.protocol === 'tcp' ? 1 : 2) });
  return out;
}

const realCounts = (vs: VirtualServerInfo): VarBind[] => [
  { oid: CHECK_VS(21), value: gauge(vs.realServers.filter((r) => r.alive).length) },
  { oid: CHECK_VS(20), value: gauge(vs.realServers.length) },
];

/** realServerStateChange (keepalived.3.5.0.1). */
export function realServerStateTrap(
  rs: RealServerInfo,
  vs: VirtualServerInfo,
  router: string | undefined,
): VarBind[] {
  return [
    trapOid([...CHECK_OID, 5, 0, 1]),
    { oid: CHECK_RS(3), value: inetAddressType(rs.family) },
    { oid: CHECK_RS(4), value: addressValue(rs.address, rs.family) },
    { oid: CHECK_RS(5), value: gauge(rs.port) },
    { oid: CHECK_RS(6), value: integer(rs.alive ? 1 : 2) },
    ...virtualServerVarbinds(vs),
    ...realCounts(vs),
    routerId(router),
  ];
}

/** virtualServerQuorumStateChange (keepalived.3.5.0.2); `stopping` reports quorum status 3. */
export function quorumStateTrap(
  vs: VirtualServerInfo,
  stopping: boolean,
  router: string | undefined,
): VarBind[] {
  return [
    trapOid([...CHECK_OID, 5, 0, 2]),
    ...virtualServerVarbinds(vs),
    { oid: CHECK_VS(23), value: integer(stopping ? 3 : vs.quorumUp ? 1 : 2) },
    { oid: CHECK_VS(22), value: gauge(vs.quorum) },
    ...realCounts(vs),
    routerId(router),
  ];
}
