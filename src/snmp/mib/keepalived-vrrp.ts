// KEEPALIVED-MIB vrrp objects (keepalived.2): sync groups and their members, instances, what they track,
// and the vrrp_script / track_file / bfd / track_process tables, with keepalived 2.2.7's indexes (the
// 1-based position in its lists) and value conventions (vrrp/vrrp_snmp.c). The address, route and rule
// tables are in keepalived-vrrp-ip.ts. Pure.
import { gauge, integer, text, truth, type Oid, type SnmpValue } from '../types.js';
import type { NotifyCommands, SnmpVrrpState, TrackedRef, VrrpInfo, VrrpInstanceInfo } from '../snapshot.js';
import { addressValue, commandText, inetAddressType, KEEPALIVED_OID, ViewBuilder } from './builder.js';
import { vrrpIpTables } from './keepalived-vrrp-ip.js';
import type { MibView } from '../agentx/responder.js';

export const VRRP_OID: Oid = [...KEEPALIVED_OID, 2];
const entry = (table: number): Oid => [...VRRP_OID, table, 1];

/** keepalived's VRRP_STATE_* numbers (INIT 0, BACKUP 1, MASTER 2, FAULT 3), STOP 98, DELETED 97. */
export function stateNumber(state: SnmpVrrpState): number {
  switch (state) {
    case 'INIT':
      return 0;
    case 'BACKUP':
      return 1;
    case 'MASTER':
      return 2;
    case 'FAULT':
      return 3;
    case 'STOP':
      return 98;
    case 'DELETED':
      return 97;
  }
}

/** vrrp_snmp_state(): the table's vrrpInstanceState, where anything past FAULT is unknown(4). */
function tableState(s: SnmpVrrpState): SnmpValue {
  const n = stateNumber(s);
  return integer(n <= 3 ? n : 4);
}

const script = (words: string[] | undefined): SnmpValue | undefined =>
  words !== undefined ? text(commandText(words)) : undefined;

function instanceRow(b: ViewBuilder, i: VrrpInstanceInfo, row: number): void {
  const col = (n: number, v: SnmpValue | undefined): void => b.cell([...entry(3), n], [row], v);
  const n: NotifyCommands = i.notify;
  col(2, text(i.name));
  col(3, gauge(i.vrid));
  col(4, tableState(i.state));
  col(5, tableState(i.configuredState));
  col(6, tableState(i.wantState));
  col(7, integer(i.basePriority));
  col(8, integer(i.effectivePriority));
  col(9, truth(i.vipsSet));
  col(10, i.interface !== undefined ? text(i.interface.name) : undefined);
  // vrrpInstanceTrackPrimaryIf: keepalived answers whether the instance tracks any interface.
  col(11, truth(i.trackInterfaces.length > 0));
  // VRRPv2 in seconds, VRRPv3 in centiseconds.
  col(12, gauge(i.version === 2 ? Math.floor(i.advertIntervalCs / 100) : i.advertIntervalCs));
  col(13, truth(i.preempt));
  col(14, gauge(Math.floor(i.preemptDelayS)));
  col(15, integer(i.version === 2 ? i.authType : 0));
  col(16, truth(i.lvsSyncInterface !== undefined));
  col(17, i.lvsSyncInterface !== undefined ? text(i.lvsSyncInterface) : undefined);
  col(18, i.syncGroup !== undefined ? text(i.syncGroup) : undefined);
  col(19, gauge(Math.floor(i.garpDelayS)));
  col(20, truth(i.smtpAlert));
  col(21, truth(i.notifyExec));
  col(22, script(n.master));
  col(23, script(n.backup));
  col(24, script(n.fault));
  col(25, script(n.stop));
  col(26, script(n.generic));
  // vrrpInstanceAccept: only VRRPv3 has accept mode; keepalived answers 0 for v2.
  col(27, i.version === 3 ? truth(i.accept) : integer(0));
  col(28, truth(i.promoteSecondaries));
  col(29, truth(i.linkbeatPolling));
  col(30, integer(i.version));
  col(31, script(n.masterRxLowerPri));
  col(32, script(n.deleted));
  col(33, truth(i.notifyDeleted));
  if (i.multicastGroup !== undefined) {
    col(34, inetAddressType(i.family));
    col(35, addressValue(i.multicastGroup, i.family));
  }
}

/** Rows (outer, inner) of a per-instance or per-group list: keepalived's snmp_find_element indexes. */
function nested<T>(
  b: ViewBuilder,
  table: number,
  owners: readonly T[],
  items: (owner: T) => readonly TrackedRef[],
  columns: (ref: TrackedRef) => Array<[number, SnmpValue]>,
): void {
  owners.forEach((owner, o) =>
    items(owner).forEach((ref, k) => {
      for (const [c, v] of columns(ref)) b.cell([...entry(table), c], [o + 1, k + 1], v);
    }),
  );
}

export function vrrpView(v: VrrpInfo): MibView {
  const b = new ViewBuilder();
  b.define(entry(1), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  b.define(entry(2), [2]);
  b.define(
    entry(3),
    Array.from({ length: 34 }, (_, k) => k + 2),
  );
  b.define(entry(4), [1, 2, 3]);
  b.define(entry(5), [2, 3, 4]);
  b.define(entry(9), [2, 3, 4, 5, 6, 7, 8, 9]);
  b.define(entry(12), [2, 3, 4]);
  b.define(entry(13), [2, 3, 4, 5, 6]);
  b.define(entry(14), [1, 2, 3]);
  for (const t of [15, 16, 17, 19, 20, 22]) b.define(entry(t), [2, 3, 4]);
  b.define(entry(18), [2, 3, 4, 5]);
  b.define(
    entry(21),
    Array.from({ length: 13 }, (_, k) => k + 2),
  );

  // vrrpSyncGroupTable
  v.syncGroups.forEach((g, k) => {
    const col = (n: number, val: SnmpValue | undefined): void => b.cell([...entry(1), n], [k + 1], val);
    col(2, text(g.name));
    col(3, tableState(g.state));
    col(4, truth(g.smtpAlert));
    col(5, truth(g.notifyExec));
    col(6, script(g.notify.master));
    col(7, script(g.notify.backup));
    col(8, script(g.notify.fault));
    col(9, script(g.notify.generic));
    col(10, truth(g.trackingWeight));
    col(11, script(g.notify.stop));
  });
  // vrrpSyncGroupMemberTable
  v.syncGroups.forEach((g, k) =>
    g.members.forEach((m, j) => b.cell([...entry(2), 2], [k + 1, j + 1], text(m))),
  );
  // vrrpInstanceTable
  v.instances.forEach((i, k) => instanceRow(b, i, k + 1));

  // What instances and groups track. Files, BFDs and processes show the tracked object's own weight.
  const byName = <T extends { name: string }>(list: readonly T[]) => new Map(list.map((x) => [x.name, x]));
  const files = byName(v.files);
  const bfds = byName(v.bfds);
  const processes = byName(v.processes);
  const objectRefs =
    <T extends { weight: number; weightReverse: boolean }>(objects: Map<string, T>) =>
    (names: readonly string[]): TrackedRef[] =>
      names.flatMap((name) => {
        const o = objects.get(name);
        return o ? [{ name, weight: o.weight, reverse: o.weightReverse }] : [];
      });
  const refColumns =
    (first: number) =>
    (r: TrackedRef): Array<[number, SnmpValue]> => [
      [first, text(r.name)],
      [first + 1, integer(r.weight)],
      [first + 2, truth(r.reverse)],
    ];
  nested(b, 4, v.instances, (i) => i.trackInterfaces, refColumns(1));
  nested(b, 5, v.instances, (i) => i.trackScripts, refColumns(2));
  nested(b, 12, v.instances, (i) => objectRefs(files)(i.trackFiles), refColumns(2));
  nested(b, 17, v.instances, (i) => objectRefs(bfds)(i.trackBfds), refColumns(2));
  nested(b, 20, v.instances, (i) => objectRefs(processes)(i.trackProcesses), refColumns(2));
  nested(b, 14, v.syncGroups, (g) => g.trackInterfaces, refColumns(1));
  nested(b, 15, v.syncGroups, (g) => g.trackScripts, refColumns(2));
  nested(b, 16, v.syncGroups, (g) => objectRefs(files)(g.trackFiles), refColumns(2));
  nested(b, 19, v.syncGroups, (g) => objectRefs(bfds)(g.trackBfds), refColumns(2));
  nested(b, 22, v.syncGroups, (g) => objectRefs(processes)(g.trackProcesses), refColumns(2));

  // vrrpScriptTable
  const SCRIPT_RESULT = { init: 1, bad: 2, good: 3, initFailed: 5 } as const;
  v.scripts.forEach((s, k) => {
    const col = (n: number, val: SnmpValue): void => b.cell([...entry(9), n], [k + 1], val);
    col(2, text(s.name));
    col(3, text(commandText(s.command)));
    col(4, integer(Math.floor(s.intervalS)));
    col(5, integer(s.weight));
    col(6, integer(SCRIPT_RESULT[s.result]));
    col(7, gauge(s.rise));
    col(8, gauge(s.fall));
    col(9, truth(s.weightReverse));
  });
  // vrrpFileTable
  v.files.forEach((f, k) => {
    const col = (n: number, val: SnmpValue): void => b.cell([...entry(13), n], [k + 1], val);
    col(2, text(f.name));
    col(3, text(f.path));
    col(4, integer(f.value));
    col(5, integer(f.weight));
    col(6, truth(f.weightReverse));
  });
  // vrrpBfdTable
  v.bfds.forEach((f, k) => {
    const col = (n: number, val: SnmpValue): void => b.cell([...entry(18), n], [k + 1], val);
    col(2, text(f.name));
    col(3, integer(f.up ? 1 : 0));
    col(4, integer(f.weight));
    col(5, truth(f.weightReverse));
  });
  // vrrpProcessTable
  v.processes.forEach((p, k) => {
    const col = (n: number, val: SnmpValue): void => b.cell([...entry(21), n], [k + 1], val);
    col(2, text(p.name));
    col(3, text(p.path));
    col(4, text(p.params));
    col(5, integer(p.paramMatch));
    col(6, integer(p.weight));
    col(7, truth(p.weightReverse));
    col(8, gauge(p.quorum));
    col(9, integer(p.quorumMax));
    col(10, gauge(p.forkDelay));
    col(11, gauge(p.terminateDelay));
    col(12, truth(p.fullCommand));
    col(13, integer(p.running));
    col(14, truth(p.haveQuorum));
  });

  b.merge(vrrpIpTables(v));
  return b.view();
}
