// What the VRRP child writes on keepalived's DATA, STATS and JSON signals, in keepalived's layout (people
// parse these): /tmp/keepalived.data ("------< VRRP Topology >------", "   Key = value" lines),
// /tmp/keepalived.stats (the per-instance counter tree) and /tmp/keepalived.json (an array of
// {data, stats} objects with vrrp_json.c's field names). Pure: snapshot and setup in, text out.
import type { EngineSnapshot, InstanceSnapshot } from '../../vrrp/engine/engine.js';
import type { VipSpec, VrrpState } from '../../vrrp/engine/spec.js';
import type { InstanceSetup, VrrpSetup } from '../../vrrp/from-model.js';
import { csToSeconds } from '../../common/units.js';
import type { TrackProcess } from '../../config/model/vrrp/script.js';

/** File names; dump-files.ts says in which directory (TMPDIR) and with which instance tag. */
export const DATA_FILE = 'keepalived.data';
export const STATS_FILE = 'keepalived.stats';
export const JSON_FILE = 'keepalived.json';

/** keepalived's VRRP_STATE_* numbers, as the JSON dump shows them. */
const STATE_NUMBER: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };

export function stateNumber(state: VrrpState | string): number {
  return STATE_NUMBER[state] ?? 0;
}

/** keepalived's format_ipaddress: the device, `@BASE` when it is a VMAC, ` use_vmac` when the line's own
 * use_vmac gave it one. */
function vipText(setup: InstanceSetup, v: VipSpec): string {
  const inst = setup.spec;
  const full = inst.family === 4 ? v.prefix === 32 : v.prefix === 128;
  const dev = setup.vipDevices.get(v.address) ?? v.ifname ?? inst.interface;
  const base =
    setup.addressVmacs.find((x) => x.name === dev)?.base ??
    (dev === setup.vmacName ? inst.interface : undefined);
  const useVmac = setup.vips.some((a) => a.address === v.address && a.useVmac) ? ' use_vmac' : '';
  return `${v.address}${full ? '' : `/${v.prefix}`} dev ${dev}${base !== undefined ? `@${base}` : ''}${useVmac} scope global`;
}

function vipTexts(setup: InstanceSetup, snap: InstanceSnapshot | undefined): string[] {
  const set = snap?.state === 'MASTER' ? ' set' : '';
  return setup.spec.addresses.map((v) => vipText(setup, v) + set);
}

/** /tmp/keepalived.stats: one block per instance, keepalived's headings and indentation. */
export function formatStats(snapshot: EngineSnapshot, setup?: VrrpSetup): string {
  return snapshot.instances
    .map((i) => {
      const c = i.counters;
      // keepalived 2.4's auth_hmac drop counters, only for instances that use it (2.2.7 has no such block).
      const authExt =
        setup?.instances.get(i.name)?.authHmac !== undefined
          ? [
              '  Authentication Extension:',
              `    Missing: ${c.auth_ext_missing}`,
              `    Malformed: ${c.auth_ext_malformed}`,
              `    Unknown Key: ${c.auth_ext_unknown_key}`,
              `    Invalid HMAC: ${c.auth_ext_invalid_hmac}`,
              `    Stale: ${c.auth_ext_stale}`,
              `    Replay: ${c.auth_ext_replay}`,
            ]
          : [];
      return [
        `VRRP Instance: ${i.name}`,
        '  Advertisements:',
        `    Received: ${c.advert_rcvd}`,
        `    Sent: ${c.advert_sent}`,
        `  Became master: ${c.become_master}`,
        `  Released master: ${c.release_master}`,
        '  Packet Errors:',
        `    Length: ${c.packet_len_err}`,
        `    TTL: ${c.ip_ttl_err}`,
        `    Invalid Type: ${c.invalid_type_rcvd}`,
        `    Advertisement Interval: ${c.advert_interval_err}`,
        `    Address List: ${c.addr_list_err}`,
        '  Authentication Errors:',
        `    Invalid Type: ${c.invalid_authtype}`,
        `    Type Mismatch: ${c.authtype_mismatch}`,
        `    Failure: ${c.auth_failure}`,
        ...authExt,
        '  Priority Zero:',
        `    Received: ${c.pri_zero_rcvd}`,
        `    Sent: ${c.pri_zero_sent}`,
        '',
      ].join('\n');
    })
    .join('');
}

function seconds(ms: number): number {
  return Math.round(ms / 10) / 100;
}

/** /tmp/keepalived.data: the VRRP topology section (and sync groups), with keepalived's field names. */
export function formatData(
  snapshot: EngineSnapshot,
  setup: VrrpSetup,
  facts: { routerId?: string; defaultInterface?: string },
): string {
  const out: string[] = ['------< Global definitions >------'];
  out.push(` Router ID = ${facts.routerId ?? ''}`);
  if (facts.defaultInterface !== undefined) out.push(` Default interface = ${facts.defaultInterface}`);
  if (snapshot.groups.length > 0) {
    out.push('------< VRRP Sync groups >------');
    for (const g of snapshot.groups) {
      out.push(` VRRP Sync Group = ${g.name}, ${g.state}`);
      out.push('   VRRP member instances :');
      for (const m of g.members) out.push(`     ${m}`);
    }
  }
  out.push('------< VRRP Topology >------');
  for (const instSetup of setup.instances.values()) {
    const { spec: inst, vmacName: vmac, kernelRxBufSize, debug } = instSetup;
    const snap = snapshot.instances.find((s) => s.name === inst.name);
    out.push(` VRRP Instance = ${inst.name}`);
    if (vmac !== undefined) out.push(`   Use VMAC, i/f ${vmac}`);
    out.push(`   VRRP Version = ${inst.version}`);
    if (snap !== undefined) {
      out.push(`   State = ${snap.state}`);
      out.push(`   Wantstate = ${snap.wantState}`);
      if (snap.masterAddress !== undefined) out.push(`   Master router = ${snap.masterAddress}`);
      if (snap.masterPriority !== undefined) out.push(`   Master priority = ${snap.masterPriority}`);
      out.push(`   Number of interface and track script faults = ${snap.faults.length}`);
    }
    if (instSetup.useVmacAddr === true) out.push('   Use VMAC for VIPs on other interfaces');
    out.push(`   Interface = ${inst.interface !== '' ? inst.interface : 'not configured'}`);
    if (inst.sourceAddress !== undefined) out.push(`   Using src_ip = ${inst.sourceAddress}`);
    if (inst.unicastPeers.length > 0) {
      out.push('   Unicast Peer :');
      for (const p of inst.unicastPeers) out.push(`     ${p}`);
    } else {
      out.push(`   Multicast address ${inst.family === 4 ? '224.0.0.18' : 'ff02::12'}`);
    }
    out.push(`   Gratuitous ARP delay = ${seconds(inst.garp.masterDelayMs)}`);
    out.push(`   Gratuitous ARP repeat = ${inst.garp.masterRepeat}`);
    out.push(`   Gratuitous ARP refresh = ${seconds(inst.garp.masterRefreshMs)}`);
    out.push(`   Gratuitous ARP refresh repeat = ${inst.garp.masterRefreshRepeat}`);
    out.push(`   Gratuitous ARP lower priority delay = ${seconds(inst.garp.lowerPrioDelayMs)}`);
    out.push(`   Gratuitous ARP lower priority repeat = ${inst.garp.lowerPrioRepeat}`);
    out.push(`   Down timer adverts = ${inst.downTimerAdverts ?? 3}`);
    out.push(`   Send advert after receive lower priority advert = ${!inst.lowerPrioNoAdvert}`);
    out.push(`   Send advert after receive higher priority advert = ${inst.higherPrioSendAdvert}`);
    out.push(`   Virtual Router ID = ${inst.vrid}`);
    out.push(`   Priority = ${inst.priority}`);
    if (snap !== undefined) out.push(`   Effective priority = ${snap.effectivePriority}`);
    const interval = csToSeconds(inst.advertIntervalCs);
    out.push(
      `   Advert interval = ${Number.isInteger(interval) ? `${interval} sec` : `${interval * 1000} milli-sec`}`,
    );
    out.push(`   Accept = ${inst.accept ? 'enabled' : 'disabled'}`);
    out.push(`   Preempt = ${inst.preempt ? 'enabled' : 'disabled'}`);
    if (inst.preemptDelayMs > 0) out.push(`   Preempt delay = ${inst.preemptDelayMs / 1000} secs`);
    out.push(`   Authentication type = ${authName(inst.authType)}`);
    // shown only when set, as keepalived does (its only use of `debug`)
    if (kernelRxBufSize !== undefined && kernelRxBufSize > 0)
      out.push(`   Kernel rx buffer size = ${kernelRxBufSize}`);
    if (debug !== undefined && debug > 0) out.push(`   Debug level = ${debug}`);
    if (inst.trackInterfaces.length > 0) {
      out.push('   Tracked interfaces :');
      for (const t of inst.trackInterfaces) out.push(`     ${t.ifname} weight ${t.weight}`);
    }
    if (inst.trackScripts.length > 0) {
      out.push('   Tracked scripts :');
      for (const t of inst.trackScripts) out.push(`     ${t.name} weight ${t.weight ?? 0}`);
    }
    const vips = vipTexts(instSetup, snap);
    out.push(`   Virtual IP (${vips.length}):`);
    for (const v of vips) out.push(`     ${v}`);
  }
  return out.join('\n') + '\n';
}

function authName(type: string): string {
  if (type === 'pass') return 'SIMPLE_PASSWORD';
  if (type === 'ah') return 'IPSEC_AH';
  return 'none';
}

/** /tmp/keepalived.json: keepalived's vrrp_json.c layout, one {data, stats} object per instance. */
/** A track_process as the poller sees it now (tracker-poller.ts). */
export interface ProcessState {
  current: number;
  haveQuorum: boolean;
  forkDelayRunning: boolean;
  terminateDelayRunning: boolean;
}

/** What json_version 2 adds: the track_process blocks and their current readings. */
export interface JsonExtras {
  /** `json_version` in global_defs: 1 (a bare array, the default) or 2 ({"vrrp": [...], ...}). */
  version: number;
  trackProcesses?: readonly TrackProcess[];
  processStates?: ReadonlyMap<string, ProcessState> | undefined;
}

/** One track_process in json_version 2, with vrrp_json.c's field names. */
function trackProcessJson(p: TrackProcess, state: ProcessState | undefined): Record<string, unknown> {
  const [name, ...params] = p.process;
  return {
    process: name ?? '',
    ...(params.length > 0 ? { parameters: params.join(' ') } : {}),
    param_match: params.length === 0 ? 'none' : (p.paramMatch ?? 'exact'),
    min_processes: p.quorum,
    ...(p.quorumMax !== undefined ? { max_processes: p.quorumMax } : {}),
    current_processes: state?.current ?? 0,
    have_quorum: state?.haveQuorum ?? false,
    weight: p.weightReverse ? -p.weight : p.weight,
    terminate_delay: p.terminateDelay,
    fork_delay: p.forkDelay,
    fork_delay_timer_running: state?.forkDelayRunning ?? false,
    terminate_delay_timer_running: state?.terminateDelayRunning ?? false,
    full_command: p.fullCommand,
  };
}

export function formatJson(snapshot: EngineSnapshot, setup: VrrpSetup, extras?: JsonExtras): string {
  const list = [...setup.instances.values()].map((extras) => {
    const inst = extras.spec;
    const snap = snapshot.instances.find((s) => s.name === inst.name);
    const c = snap?.counters;
    return {
      data: {
        iname: inst.name,
        dont_track_primary: inst.dontTrackPrimary ? 1 : 0,
        skip_check_adv_addr: inst.skipCheckAdvAddr ? 1 : 0,
        strict_mode: inst.strict ? 1 : 0,
        vmac_ifname: extras.vmacName ?? '',
        ifp_ifname: inst.interface,
        master_priority: snap?.masterPriority ?? 0,
        // The engine does not keep the wall-clock time of the last transition.
        last_transition: 0,
        garp_delay: seconds(inst.garp.masterDelayMs),
        garp_refresh: seconds(inst.garp.masterRefreshMs),
        garp_rep: inst.garp.masterRepeat,
        garp_refresh_rep: inst.garp.masterRefreshRepeat,
        garp_lower_prio_delay: seconds(inst.garp.lowerPrioDelayMs),
        garp_lower_prio_rep: inst.garp.lowerPrioRepeat,
        lower_prio_no_advert: inst.lowerPrioNoAdvert ? 1 : 0,
        higher_prio_send_advert: inst.higherPrioSendAdvert ? 1 : 0,
        vrid: inst.vrid,
        base_priority: inst.priority,
        effective_priority: snap?.effectivePriority ?? inst.priority,
        vipset: snap?.state === 'MASTER',
        promote_secondaries: extras.promoteSecondaries,
        adver_int: csToSeconds(inst.advertIntervalCs),
        master_adver_int: csToSeconds(snap?.masterAdvertIntervalCs ?? inst.advertIntervalCs),
        accept: inst.accept ? 1 : 0,
        nopreempt: !inst.preempt,
        preempt_delay: inst.preemptDelayMs / 1000,
        state: stateNumber(snap?.state ?? 'INIT'),
        wantstate: stateNumber(snap?.wantState ?? 'INIT'),
        version: inst.version,
        smtp_alert: false,
        notify_deleted: false,
        vips: vipTexts(extras, snap),
        auth_type: inst.authType === 'pass' ? 1 : inst.authType === 'ah' ? 2 : 0,
      },
      stats: {
        advert_rcvd: c?.advert_rcvd ?? 0,
        advert_sent: c?.advert_sent ?? 0,
        become_master: c?.become_master ?? 0,
        release_master: c?.release_master ?? 0,
        packet_len_err: c?.packet_len_err ?? 0,
        advert_interval_err: c?.advert_interval_err ?? 0,
        ip_ttl_err: c?.ip_ttl_err ?? 0,
        invalid_type_rcvd: c?.invalid_type_rcvd ?? 0,
        addr_list_err: c?.addr_list_err ?? 0,
        invalid_authtype: c?.invalid_authtype ?? 0,
        authtype_mismatch: c?.authtype_mismatch ?? 0,
        auth_failure: c?.auth_failure ?? 0,
        pri_zero_rcvd: c?.pri_zero_rcvd ?? 0,
        pri_zero_sent: c?.pri_zero_sent ?? 0,
      },
    };
  });
  if (extras?.version !== 2) return JSON.stringify(list);
  // keepalived 2.4's JSON_VERSION_V2: an object, whose track_process array appears only when there are some.
  const processes = extras.trackProcesses ?? [];
  return JSON.stringify({
    vrrp: list,
    ...(processes.length > 0
      ? { track_process: processes.map((p) => trackProcessJson(p, extras.processStates?.get(p.name))) }
      : {}),
  });
}
