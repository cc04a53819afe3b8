// KEEPALIVED-MIB check objects (keepalived.3): virtual server groups and their members, virtual servers,
// real servers (a sorry server first), the LVS sync daemon and LVS timeouts, as keepalived 2.2.7's checker
// serves them (check/check_snmp.c). IPVS counters come from the snapshot (zero without IPVS). Pure.
import {
  counter32,
  counter64,
  gauge,
  integer,
  octets,
  text,
  truth,
  type Oid,
  type SnmpValue,
} from '../types.js';
import type { CheckerInfo, IpvsStats, RealServerInfo, TunnelInfo, VirtualServerInfo } from '../snapshot.js';
import { addressValue, commandText, inetAddressType, KEEPALIVED_OID, ViewBuilder } from './builder.js';
import type { MibView } from '../agentx/responder.js';

export const CHECK_OID: Oid = [...KEEPALIVED_OID, 3];
const entry = (table: number): Oid => [...CHECK_OID, table, 1];

const SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
  'twos',
];
const KIND = { NAT: 1, DR: 2, TUN: 3 } as const;
const TUNNEL_TYPE = { ipip: 1, gue: 2, gre: 3 } as const;
const CSUM = { nocsum: 1, csum: 2, remcsum: 3 } as const;
const PROTOCOL = { tcp: 1, udp: 2, sctp: 3, other: 4 } as const;

/** Gauge32 / Counter32 carry the low 32 bits. */
const low32 = (v: bigint): number => Number(v & 0xffffffffn);
const high32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);
const seconds = (us: number | undefined): number => Math.floor((us ?? 0) / 1_000_000);

type Col = (n: number, v: SnmpValue | undefined) => void;

/** The tunnel columns of a virtual or real server (TUN only; port for GUE; checksum unless IPIP). */
function tunnelCells(
  col: Col,
  first: number,
  forwarding: string | undefined,
  t: TunnelInfo | undefined,
): void {
  if (forwarding !== 'TUN') return;
  const type = t?.type ?? 'ipip';
  col(first, integer(TUNNEL_TYPE[type]));
  if (type === 'gue' && t?.port !== undefined) col(first + 1, gauge(t.port));
  if (type !== 'ipip') col(first + 2, integer(t?.checksum ? CSUM[t.checksum] : 0));
}

/** Counters and rates; `first` is the conns column, `first64` the 64-bit conns column. */
function statsCells(
  col: Col,
  s: IpvsStats,
  at: { conns: number; inPkts: number; rates: number; conns64: number },
): void {
  col(at.conns, gauge(low32(s.conns)));
  col(at.inPkts, counter32(low32(s.inPkts)));
  col(at.inPkts + 1, counter32(low32(s.outPkts)));
  col(at.inPkts + 2, counter64(s.inBytes));
  col(at.inPkts + 3, counter64(s.outBytes));
  [s.cps, s.inPps, s.outPps, s.inBps, s.outBps].forEach((r, k) => col(at.rates + k, gauge(low32(r))));
  col(at.conns64, counter64(s.conns));
  col(at.conns64 + 1, counter64(s.inPkts));
  col(at.conns64 + 2, counter64(s.outPkts));
  [s.cps, s.inPps, s.outPps, s.inBps, s.outBps].forEach((r, k) => {
    col(at.conns64 + 3 + 2 * k, gauge(low32(r)));
    col(at.conns64 + 4 + 2 * k, gauge(high32(r)));
  });
}

function virtualServerRow(b: ViewBuilder, v: VirtualServerInfo, row: number): void {
  const col: Col = (n, val) => b.cell([...entry(3), n], [row], val);
  col(2, integer(v.kind === 'group' ? 3 : v.kind === 'fwmark' ? 1 : 2));
  col(3, v.kind === 'group' && v.groupName !== undefined ? text(v.groupName) : undefined);
  col(4, v.kind === 'fwmark' && v.fwmark ? gauge(v.fwmark) : undefined);
  col(5, inetAddressType(v.family));
  if (v.kind === 'address') {
    col(6, addressValue(v.address, v.family));
    col(7, gauge(v.port ?? 0));
  }
  col(8, v.kind !== 'fwmark' ? integer(PROTOCOL[v.protocol]) : undefined);
  const sched = SCHEDULERS.indexOf(v.scheduler);
  col(9, integer(sched >= 0 ? sched + 1 : 99));
  col(10, v.forwarding ? integer(KIND[v.forwarding]) : undefined);
  col(11, truth(v.alive));
  col(12, v.virtualhost !== undefined ? text(v.virtualhost) : undefined);
  col(13, truth(v.persistenceTimeout !== 0));
  col(14, v.persistenceTimeout ? gauge(v.persistenceTimeout) : undefined);
  // keepalived tests the virtual server's own address family: fwmark and group services have none, so
  // both granularity columns appear for them.
  const family = v.kind === 'address' ? v.family : undefined;
  if (family !== 6) {
    const g = v.persistenceGranularity >>> 0;
    col(15, octets(Uint8Array.of(g >>> 24, (g >>> 16) & 0xff, (g >>> 8) & 0xff, g & 0xff)));
  }
  if (family !== 4) col(51, gauge(v.persistenceGranularity));
  col(16, gauge(seconds(v.delayLoopUs)));
  col(17, truth(v.haSuspend));
  col(37, truth(v.onePacket));
  col(18, truth(v.alpha));
  col(19, truth(v.omega));
  col(20, gauge(v.realServers.length));
  col(21, gauge(v.realServers.filter((r) => r.alive).length));
  col(22, gauge(v.quorum));
  col(23, truth(v.quorumUp));
  col(24, v.quorumUpCommand ? text(commandText(v.quorumUpCommand)) : undefined);
  col(25, v.quorumDownCommand ? text(commandText(v.quorumDownCommand)) : undefined);
  col(26, gauge(v.hysteresis));
  statsCells(col, v.stats, { conns: 27, inPkts: 28, rates: 32, conns64: 38 });
  col(52, truth(v.flags.hashed));
  col(53, truth(v.flags.shFallback));
  col(54, truth(v.flags.shPort));
  col(55, truth(v.flags.sched3));
  col(56, truth(!v.inhibit));
  col(57, gauge(v.retry ?? 0));
  col(58, gauge(seconds(v.delayBeforeRetryUs)));
  col(59, gauge(seconds(v.warmupUs)));
  col(60, integer(v.weight));
  col(61, truth(v.smtpAlert));
  col(62, truth(v.flags.mhFallback));
  col(63, truth(v.flags.mhPort));
  col(64, gauge(v.delayLoopUs));
  col(65, gauge(v.delayBeforeRetryUs ?? 0));
  col(66, gauge(v.warmupUs ?? 0));
  col(67, gauge(v.connectTimeoutUs));
  tunnelCells(col, 68, v.forwarding, v.tunnel);
  col(71, v.snmpName !== undefined ? text(v.snmpName) : undefined);
}

function realServerRow(b: ViewBuilder, r: RealServerInfo, index: number[], sorry: boolean): void {
  const col: Col = (n, val) => b.cell([...entry(4), n], index, val);
  const regular: Col = (n, val) => col(n, sorry ? undefined : val);
  col(2, truth(!sorry));
  col(3, inetAddressType(r.family));
  col(4, addressValue(r.address, r.family));
  col(5, gauge(r.port));
  regular(6, truth(r.alive));
  regular(7, integer(r.weight));
  regular(8, r.upperLimit ? gauge(r.upperLimit) : undefined);
  regular(9, r.lowerLimit ? gauge(r.lowerLimit) : undefined);
  regular(10, truth(!r.inhibit));
  regular(11, r.notifyUp ? text(commandText(r.notifyUp)) : undefined);
  regular(12, r.notifyDown ? text(commandText(r.notifyDown)) : undefined);
  regular(13, gauge(r.failedChecks));
  statsCells(col, r.stats, { conns: 14, inPkts: 18, rates: 22, conns64: 27 });
  col(15, gauge(r.activeConns));
  col(16, gauge(r.inactiveConns));
  col(17, gauge(r.persistentConns));
  col(40, r.forwarding ? integer(KIND[r.forwarding]) : undefined);
  col(41, r.virtualhost !== undefined ? text(r.virtualhost) : undefined);
  col(42, truth(r.alpha));
  col(43, gauge(r.retry ?? 0));
  col(44, gauge(seconds(r.delayBeforeRetryUs)));
  col(45, gauge(seconds(r.warmupUs)));
  col(46, gauge(seconds(r.delayLoopUs)));
  col(47, truth(r.smtpAlert));
  col(48, gauge(r.delayBeforeRetryUs ?? 0));
  col(49, gauge(r.warmupUs ?? 0));
  col(50, gauge(r.delayLoopUs ?? 0));
  col(51, gauge(r.connectTimeoutUs));
  tunnelCells(col, 52, r.forwarding, r.tunnel);
  col(55, r.snmpName !== undefined ? text(r.snmpName) : undefined);
}

export function checkView(c: CheckerInfo): MibView {
  const b = new ViewBuilder();
  b.define(entry(1), [2]);
  b.define(entry(2), [2, 3, 4, 5, 6, 7, 8]);
  b.define(
    entry(3),
    Array.from({ length: 70 }, (_, k) => k + 2),
  );
  b.define(
    entry(4),
    Array.from({ length: 54 }, (_, k) => k + 2),
  );
  b.define([...CHECK_OID, 6], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  b.define([...CHECK_OID, 7], [1, 2, 3]);

  c.vsGroups.forEach((g, k) => {
    b.cell([...entry(1), 2], [k + 1], text(g.name));
    g.members.forEach((m, j) => {
      const col: Col = (n, val) => b.cell([...entry(2), n], [k + 1, j + 1], val);
      if (m.kind === 'fwmark') {
        col(2, integer(1));
        col(3, gauge(m.fwmark));
        return;
      }
      const range = m.first !== m.last;
      col(2, integer(range ? 3 : 2));
      col(4, inetAddressType(m.family));
      if (range) {
        col(6, addressValue(m.first, m.family));
        col(7, addressValue(m.last, m.family));
      } else col(5, addressValue(m.first, m.family));
      col(8, gauge(m.port));
    });
  });

  c.virtualServers.forEach((v, k) => {
    virtualServerRow(b, v, k + 1);
    const servers = [...(v.sorryServer ? [v.sorryServer] : []), ...v.realServers];
    servers.forEach((r, j) => realServerRow(b, r, [k + 1, j + 1], v.sorryServer !== undefined && j === 0));
  });

  const sync = c.lvsSyncDaemon;
  const scalar = (sub: number[], v: SnmpValue | undefined): void => b.scalar([...CHECK_OID, ...sub], v);
  scalar([6, 1], truth(sync !== undefined));
  if (sync) {
    scalar([6, 2], text(sync.interface));
    scalar([6, 3], sync.instance !== undefined ? text(sync.instance) : undefined);
    scalar([6, 4], integer(sync.syncId));
    scalar([6, 5], integer(sync.maxLen));
    scalar([6, 6], integer(sync.port));
    scalar([6, 7], integer(sync.ttl));
    if (sync.mcastGroup) {
      scalar([6, 8], inetAddressType(sync.mcastGroup.family));
      scalar([6, 9], addressValue(sync.mcastGroup.address, sync.mcastGroup.family));
    }
  }
  const t = c.lvsTimeouts;
  scalar([7, 1], t.tcp ? integer(t.tcp) : undefined);
  scalar([7, 2], t.tcpFin ? integer(t.tcpFin) : undefined);
  scalar([7, 3], t.udp ? integer(t.udp) : undefined);
  return b.view();
}
