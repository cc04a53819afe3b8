// VRRP-MIB (RFC 2787, mib-2.68) and VRRPV3-MIB (RFC 6527, mib-2.207) as keepalived 2.2.7 serves them: only
// instances with at least one VIP; VRRP-MIB only VRRPv2 over IPv4; rows indexed by the (base) interface's
// ifIndex, the VRID and, in VRRPV3-MIB, the address type; associated addresses appended to the index as
// their raw bytes (no length prefix), as keepalived does. Pure.
import {
  counter32,
  counter64,
  gauge,
  integer,
  ipAddress,
  octets,
  timeticks,
  truth,
  type Oid,
  type SnmpValue,
} from '../types.js';
import type { SnmpVrrpState, VrrpInfo, VrrpInstanceInfo } from '../snapshot.js';
import { addressBytes, ViewBuilder, VRRP_MIB_OID, VRRPV3_MIB_OID } from './builder.js';
import type { MibView } from '../agentx/responder.js';

/** RFC states: initialize(1), backup(2), master(3); keepalived shows initialize for FAULT and the rest. */
export function rfcState(s: SnmpVrrpState): number {
  return s === 'BACKUP' ? 2 : s === 'MASTER' ? 3 : 1;
}

/** keepalived's IF_BASE_INDEX: a VMAC's parent, else the interface itself (0 without one). */
export function baseIfIndex(i: VrrpInstanceInfo): number {
  return (i.baseInterface ?? i.interface)?.index ?? 0;
}

/** suitable_for_rfc2787: VRRPv2, IPv4, at least one VIP. */
export function inRfc2787(i: VrrpInstanceInfo): boolean {
  return i.version === 2 && i.family === 4 && i.vips.length > 0;
}

/** suitable_for_rfc6527: at least one VIP, and VRRPv3 unless the build answers for v2 instances too
 * (Debian's keepalived 2.2.7 does: _SNMP_REPLY_V3_FOR_V2_). */
export function inRfc6527(i: VrrpInstanceInfo, replyV3ForV2 = true): boolean {
  return (replyV3ForV2 || i.version === 3) && i.vips.length > 0;
}

const upOrBackup = (s: SnmpVrrpState): boolean => s === 'BACKUP' || s === 'MASTER';
const cs = (ms: number): number => Math.max(0, Math.floor(ms / 10));

function byIndex(a: VrrpInstanceInfo, b: VrrpInstanceInfo): number {
  return baseIfIndex(a) - baseIfIndex(b) || a.vrid - b.vrid || a.family - b.family;
}

export function vrrpRfc2787View(v: VrrpInfo, trapsEnabled: boolean): MibView {
  const b = new ViewBuilder();
  const ops = [...VRRP_MIB_OID, 1];
  const stats = [...VRRP_MIB_OID, 2];
  const operEntry: Oid = [...ops, 3, 1];
  const assocEntry: Oid = [...ops, 4, 1];
  const statsEntry: Oid = [...stats, 4, 1];
  b.define(operEntry, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  b.define(assocEntry, [2]);
  b.define(statsEntry, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const rows = v.instances.filter(inRfc2787).sort(byIndex);

  b.scalar([...ops, 1], integer(2)); // vrrpNodeVersion
  b.scalar([...ops, 2], integer(trapsEnabled ? 1 : 2)); // vrrpNotificationCntl
  const sum = (pick: (i: VrrpInstanceInfo) => number): SnmpValue =>
    counter32(rows.reduce((n, i) => n + pick(i), 0));
  b.scalar(
    [...stats, 1],
    sum((i) => i.counters.chkErr),
  );
  b.scalar(
    [...stats, 2],
    sum((i) => i.counters.versErr),
  );
  b.scalar(
    [...stats, 3],
    sum((i) => i.counters.vridErr),
  );

  for (const i of rows) {
    const index = [baseIfIndex(i), i.vrid];
    const col = (n: number, val: SnmpValue | undefined): void => b.cell([...operEntry, n], index, val);
    const base = i.baseInterface ?? i.interface;
    col(2, i.interface ? octets(i.interface.mac) : undefined);
    col(3, integer(rfcState(i.state)));
    col(4, integer(1)); // vrrpOperAdminState: up
    col(5, integer(i.basePriority));
    col(6, integer(i.vips.length));
    col(7, ipAddress(addressBytes(i.masterAddress, 4)));
    col(8, base ? ipAddress(addressBytes(base.ipv4, 4)) : undefined);
    col(9, integer(i.authType + 1));
    // vrrpOperAuthKey (10) is never readable.
    col(11, integer(Math.floor(i.advertIntervalCs / 100)));
    col(12, truth(i.preempt));
    // vrrpOperVirtualRouterUpTime: when the instance started, from the agent's start, in centiseconds.
    col(13, timeticks(upOrBackup(i.state) ? cs(i.upSinceMs - v.startedAtMs) : 0));
    col(14, integer(1)); // vrrpOperProtocol: ip
    col(15, integer(1)); // vrrpOperRowStatus: active
    for (const vip of i.vips)
      b.cell([...assocEntry, 2], [...index, ...addressBytes(vip.address, 4)], integer(1));
    const c = i.counters;
    const stat = (n: number, value: number): void => b.cell([...statsEntry, n], index, counter32(value));
    stat(1, c.becomeMaster);
    stat(2, c.advertRcvd);
    stat(3, c.advertIntervalErr);
    stat(4, c.authFailure);
    stat(5, c.ipTtlErr);
    stat(6, c.priZeroRcvd);
    stat(7, c.priZeroSent);
    stat(8, c.invalidTypeRcvd);
    stat(9, c.addrListErr);
    stat(10, c.invalidAuthType);
    stat(11, c.authTypeMismatch);
    stat(12, c.packetLenErr);
  }
  return b.view();
}

export function vrrpRfc6527View(v: VrrpInfo, replyV3ForV2 = true): MibView {
  const b = new ViewBuilder();
  const objects = [...VRRPV3_MIB_OID, 1];
  const operEntry: Oid = [...objects, 1, 1, 1];
  const assocEntry: Oid = [...objects, 1, 2, 1];
  const stats: Oid = [...objects, 2];
  const statsEntry: Oid = [...stats, 5, 1];
  b.define(operEntry, [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  b.define(assocEntry, [2]);
  b.define(statsEntry, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  const rows = v.instances.filter((i) => inRfc6527(i, replyV3ForV2)).sort(byIndex);

  const sum = (pick: (i: VrrpInstanceInfo) => number): SnmpValue =>
    counter64(rows.reduce((n, i) => n + BigInt(pick(i)), 0n));
  b.scalar(
    [...stats, 1],
    sum((i) => i.counters.chkErr),
  );
  b.scalar(
    [...stats, 2],
    sum((i) => i.counters.versErr),
  );
  b.scalar(
    [...stats, 3],
    sum((i) => i.counters.vridErr),
  );
  b.scalar([...stats, 4], timeticks(0)); // vrrpv3GlobalStatisticsDiscontinuityTime: none kept

  for (const i of rows) {
    const index = [baseIfIndex(i), i.vrid, i.family === 4 ? 1 : 2];
    const col = (n: number, val: SnmpValue | undefined): void => b.cell([...operEntry, n], index, val);
    const base = i.baseInterface ?? i.interface;
    const primary = base ? octets(addressBytes(i.family === 4 ? base.ipv4 : base.ipv6, i.family)) : undefined;
    // vrrpv3OperationsMasterIpAddr: the master's address, or ours (the primary address) while MASTER.
    col(3, i.state === 'MASTER' ? primary : octets(addressBytes(i.masterAddress, i.family)));
    col(4, primary);
    col(5, i.interface ? octets(i.interface.mac) : undefined);
    col(6, integer(rfcState(i.state)));
    col(7, gauge(i.basePriority));
    col(8, integer(i.vips.length));
    col(9, integer(i.advertIntervalCs));
    col(10, truth(i.preempt));
    col(11, truth(i.accept));
    col(12, timeticks(upOrBackup(i.state) ? cs(v.nowMs - i.upSinceMs) : 0));
    col(13, integer(1)); // vrrpv3OperationsRowStatus: active
    for (const vip of i.vips)
      b.cell([...assocEntry, 2], [...index, ...addressBytes(vip.address, i.family)], integer(1));
    const c = i.counters;
    const stat = (n: number, val: SnmpValue): void => b.cell([...statsEntry, n], index, val);
    stat(1, counter32(c.becomeMaster));
    stat(2, integer(i.masterReason));
    stat(3, counter64(c.advertRcvd));
    stat(4, counter64(c.advertIntervalErr));
    stat(5, counter64(c.ipTtlErr));
    stat(6, integer(i.protoErrorReason));
    stat(7, counter64(c.priZeroRcvd));
    stat(8, counter64(c.priZeroSent));
    stat(9, counter64(c.invalidTypeRcvd));
    stat(10, counter64(c.addrListErr));
    stat(11, counter64(c.packetLenErr));
    stat(12, timeticks(0)); // vrrpv3StatisticsRowDiscontinuityTime
    stat(13, gauge(i.advertIntervalCs * 10)); // vrrpv3StatisticsRefreshRate, milliseconds
  }
  return b.view();
}
