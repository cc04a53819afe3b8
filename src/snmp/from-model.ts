// The SNMP snapshot of the VRRP side from what the daemon has: the config model (through the engine spec
// our daemon runs), the engine's snapshot (states, priorities, counters), the trackers' states and a few
// host facts (interfaces, the local name). keepalived's own config clean-ups that change what it shows are
// applied: a track_interface on the instance's own interface is ignored, weighted trackers of sync group
// members are dropped without sync_group_tracking_weight (interfaces keep tracking with weight 0), and
// vrrp_scripts / track_files nobody uses are left out. Pure: every I/O fact comes in as data or a function.
import type { Model } from '../config/index.js';
import type { TrackRef } from '../config/model/vrrp/tracking.js';
import type { VrrpInstance } from '../config/model/vrrp/instance.js';
import { splitQuotedEscaped } from '../config/lexical.js';
import { parseIp } from '../config/model/shared/ip.js';
import type { EngineSnapshot } from '../vrrp/engine/engine.js';
import { vrrpSetupFromModel, type InstanceSetup } from '../vrrp/from-model.js';
import type { SyncGroupSpec } from '../vrrp/engine/spec.js';
import { addressInfo, routeInfo, ruleInfo, type IpResolvers } from './from-model-ip.js';
import type {
  GlobalInfo,
  InterfaceInfo,
  MasterReason,
  NotifyCommands,
  ProtoErrorReason,
  ScriptResult,
  SnmpSnapshot,
  SnmpVrrpState,
  TrackedRef,
  VrrpCounters,
  VrrpInfo,
  VrrpInstanceInfo,
} from './snapshot.js';
import { zeroCounters } from './snapshot.js';

export interface HostFacts {
  /** The host's interfaces by name. */
  interfaces: ReadonlyMap<string, InterfaceInfo>;
  /** keepalived's local name (the host name): default router_id and mail sender. */
  localName?: string;
  /** The user the daemon runs as, for the default notification_email_from. */
  userName?: string;
}

/** What the engine does not keep about an instance (all optional). */
export interface InstanceRuntime {
  /** When the instance left INIT (ms, the snapshot's clock). Default: VrrpInfo.startedAtMs. */
  upSinceMs?: number;
  masterReason?: MasterReason;
  protoErrorReason?: ProtoErrorReason;
  /** Our advert source; default: unicast_src_ip / mcast_src_ip, else the interface's primary address. */
  sourceAddress?: string;
  /** Whether the VIPs are up; default: state MASTER. */
  vipsSet?: boolean;
}

export interface TrackerStates {
  scripts?: ReadonlyMap<string, ScriptResult>;
  /** The value last read from each track_file. */
  files?: ReadonlyMap<string, number>;
  bfds?: ReadonlyMap<string, boolean>;
  processes?: ReadonlyMap<string, { running: number; haveQuorum: boolean }>;
}

export interface VrrpSnapshotInputs {
  model: Model;
  /** keepalived's version line ("Keepalived v2.2.7 (01/16,2022)"), ours for us. */
  version: string;
  host: HostFacts;
  engine?: EngineSnapshot;
  runtime?: ReadonlyMap<string, InstanceRuntime>;
  trackers?: TrackerStates;
  /** keepalived runs a script's resolved path (realpath of its directory, same file name); this does the
   * resolving (I/O) for the words of a command. Default: words as written. */
  resolveCommand?: (words: string[]) => string[];
  tableNumber?: (name: string) => number | undefined;
  /** When the SNMP agent started, and now (ms, one clock). */
  startedAtMs: number;
  nowMs: number;
}

export function globalInfo(model: Model, version: string, host: HostFacts): GlobalInfo {
  const g = model.global;
  const server = g.smtpServer ? parseIp(g.smtpServer.host) : undefined;
  const info: GlobalInfo = {
    version,
    emails: [...g.notificationEmail],
    smtpConnectTimeoutS: server ? g.smtpConnectTimeout : 0,
    emailFaults: !g.noEmailFaults,
    trapsEnabled: g.enableTraps,
    linkbeatPolling: g.linkbeatUsePolling,
    lvsFlush: g.lvsFlush,
    lvsFlushOnStop:
      g.lvsFlushOnStop === undefined ? 'none' : g.lvsFlushOnStop.toUpperCase() === 'VS' ? 'vs' : 'full',
    ipvs64BitStats: true,
    dbus: g.enableDbus,
    dynamicInterfaces: g.dynamicInterfaces,
  };
  const routerId = g.routerId ?? host.localName;
  if (routerId !== undefined) info.routerId = routerId;
  if (server && g.smtpServer)
    info.smtpServer = { family: server.family, address: server.address, port: g.smtpServer.port };
  const from =
    g.notificationEmailFrom ??
    (server && host.localName ? `${host.userName ?? 'root'}@${host.localName}` : undefined);
  if (from !== undefined) info.emailFrom = from;
  if (g.smtpAlert !== undefined) info.smtpAlert = g.smtpAlert;
  if (g.smtpAlertVrrp !== undefined) info.smtpAlertVrrp = g.smtpAlertVrrp;
  if (g.smtpAlertChecker !== undefined) info.smtpAlertChecker = g.smtpAlertChecker;
  if (g.netNamespace !== undefined) info.netNamespace = g.netNamespace;
  return info;
}

function counters(c: EngineSnapshot['instances'][number]['counters'] | undefined): VrrpCounters {
  if (!c) return zeroCounters();
  return {
    becomeMaster: c.become_master,
    advertRcvd: c.advert_rcvd,
    advertIntervalErr: c.advert_interval_err,
    authFailure: c.auth_failure,
    ipTtlErr: c.ip_ttl_err,
    priZeroRcvd: c.pri_zero_rcvd,
    priZeroSent: c.pri_zero_sent,
    invalidTypeRcvd: c.invalid_type_rcvd,
    addrListErr: c.addr_list_err,
    invalidAuthType: c.invalid_authtype,
    authTypeMismatch: c.authtype_mismatch,
    packetLenErr: c.packet_len_err,
    chkErr: c.chk_err,
    versErr: c.vers_err,
    vridErr: c.vrid_err,
  };
}

/** Tracker references as keepalived keeps them for a sync group member: without
 * sync_group_tracking_weight, weighted scripts/files/processes/BFDs go and interfaces lose their weight. */
interface EffectiveTrackers {
  interfaces: TrackedRef[];
  scripts: TrackedRef[];
  files: string[];
  bfds: string[];
  processes: string[];
}

export function snapshotFromModel(inputs: VrrpSnapshotInputs): SnmpSnapshot {
  return { global: globalInfo(inputs.model, inputs.version, inputs.host), vrrp: vrrpInfo(inputs) };
}

export function vrrpInfo(inputs: VrrpSnapshotInputs): VrrpInfo {
  const { model, host } = inputs;
  const g = model.global;
  const setup = vrrpSetupFromModel(model);
  const spec = setup.engine;
  const resolvers: IpResolvers = {
    interfaces: host.interfaces,
    ...(inputs.tableNumber ? { tableNumber: inputs.tableNumber } : {}),
  };
  const resolve = inputs.resolveCommand ?? ((w: string[]) => w);
  const words = (command: string | undefined): string[] | undefined => {
    if (command === undefined) return undefined;
    const split = splitQuotedEscaped(command);
    return 'words' in split && split.words.length > 0 ? resolve(split.words) : undefined;
  };
  const weightOf = new Map<string, number>([
    ...model.vrrpScripts.map((s) => [`script:${s.name}`, s.weight] as const),
    ...model.trackFiles.map((f) => [`file:${f.name}`, f.weight] as const),
    ...model.trackProcesses.map((p) => [`process:${p.name}`, p.weight] as const),
    ...(spec.bfds ?? []).map((b) => [`bfd:${b.name}`, b.weight] as const),
  ]);
  const groupOf = new Map<string, SyncGroupSpec>();
  for (const sg of spec.syncGroups) for (const m of sg.members) groupOf.set(m, sg);

  const effective = (
    track: VrrpInstance['track'],
    ownInterface: string | undefined,
    unweighted: boolean,
  ): EffectiveTrackers => {
    const keep = (kind: string) => (r: TrackRef) =>
      !unweighted || (r.weight ?? weightOf.get(`${kind}:${r.name}`) ?? 0) === 0;
    return {
      interfaces: track.interfaces
        .filter((r) => r.name !== ownInterface)
        .map((r) => ({ name: r.name, weight: unweighted ? 0 : (r.weight ?? 0), reverse: r.reverse })),
      scripts: track.scripts.filter(keep('script')).map((r) => ({
        name: r.name,
        weight: r.weight ?? weightOf.get(`script:${r.name}`) ?? 0,
        reverse: r.reverse,
      })),
      files: track.files.filter(keep('file')).map((r) => r.name),
      bfds: track.bfds.filter(keep('bfd')).map((r) => r.name),
      processes: track.processes.filter(keep('process')).map((r) => r.name),
    };
  };

  const byName = new Map(model.instances.map((i) => [i.name, i]));
  const used = {
    scripts: new Set<string>(),
    files: new Set<string>(),
    bfds: new Set<string>(),
    processes: new Set<string>(),
  };
  const markUsed = (t: EffectiveTrackers): void => {
    t.scripts.forEach((r) => used.scripts.add(r.name));
    t.files.forEach((n) => used.files.add(n));
    t.bfds.forEach((n) => used.bfds.add(n));
    t.processes.forEach((n) => used.processes.add(n));
  };

  const instances = spec.instances.map((s): VrrpInstanceInfo => {
    const m = byName.get(s.name) as VrrpInstance;
    const group = groupOf.get(s.name);
    const modelGroup = group ? model.syncGroups.find((x) => x.name === group.name) : undefined;
    const t = effective(
      m.track,
      s.interface,
      modelGroup !== undefined && !modelGroup.syncGroupTrackingWeight,
    );
    markUsed(t);
    return instanceInfo(
      inputs,
      setup.instances.get(s.name) as InstanceSetup,
      m,
      t,
      group?.name,
      words,
      resolvers,
    );
  });

  const syncGroups = spec.syncGroups.map((sg) => {
    const m = model.syncGroups.find((x) => x.name === sg.name);
    const t = effective(
      m?.track ?? { interfaces: [], scripts: [], files: [], processes: [], bfds: [] },
      undefined,
      false,
    );
    markUsed(t);
    const notify = notifyCommands(m?.notify ?? {}, words);
    const state = inputs.engine?.groups.find((x) => x.name === sg.name)?.state ?? 'INIT';
    return {
      name: sg.name,
      state,
      trackingWeight: sg.trackingWeight ?? false,
      smtpAlert: m?.smtpAlert ?? g.smtpAlertVrrp ?? g.smtpAlert ?? false,
      notifyExec: Object.keys(notify).length > 0,
      notify,
      members: [...sg.members],
      trackInterfaces: t.interfaces,
      trackScripts: t.scripts,
      trackFiles: t.files,
      trackBfds: t.bfds,
      trackProcesses: t.processes,
    };
  });

  const staticIfname = g.defaultInterface;
  return {
    instances,
    syncGroups,
    staticAddresses: model.staticAddresses.map((a) => addressInfo(a, a.dev ?? staticIfname, true, resolvers)),
    staticRoutes: model.staticRoutes.map((r) => routeInfo(r, true, resolvers)),
    staticRules: model.staticRules.map((r) => ruleInfo(r, true, resolvers)),
    scripts: model.vrrpScripts
      .filter((s) => used.scripts.has(s.name))
      .map((s) => ({
        name: s.name,
        command: words(s.script) ?? [],
        intervalS: s.interval,
        weight: s.weight,
        weightReverse: s.weightReverse,
        result: inputs.trackers?.scripts?.get(s.name) ?? 'init',
        rise: s.rise,
        fall: s.fall,
      })),
    files: model.trackFiles
      .filter((f) => used.files.has(f.name))
      .map((f) => ({
        name: f.name,
        path: f.file ?? '',
        value: inputs.trackers?.files?.get(f.name) ?? f.initFile?.value ?? 0,
        weight: f.weight,
        weightReverse: f.weightReverse,
      })),
    bfds: (spec.bfds ?? [])
      .filter((b) => used.bfds.has(b.name))
      .map((b) => ({
        name: b.name,
        up: inputs.trackers?.bfds?.get(b.name) ?? false,
        weight: b.weight,
        weightReverse: b.reverse,
      })),
    processes: model.trackProcesses
      .filter((p) => used.processes.has(p.name))
      .map((p) => {
        const rt = inputs.trackers?.processes?.get(p.name);
        const params = p.process.slice(1).join(' ');
        return {
          name: p.name,
          path: p.process[0] ?? '',
          params,
          // keepalived's param_match: none(0) without parameters, else exact(1) unless partial(2) / initial(3).
          paramMatch: params === '' ? 0 : p.paramMatch === 'partial' ? 2 : p.paramMatch === 'initial' ? 3 : 1,
          weight: p.weight,
          weightReverse: p.weightReverse,
          quorum: p.quorum,
          // Unlimited is UINT_MAX in keepalived, which its 32-bit INTEGER shows as -1.
          quorumMax: p.quorumMax ?? -1,
          forkDelay: p.forkDelay,
          terminateDelay: p.terminateDelay,
          fullCommand: p.fullCommand,
          running: rt?.running ?? 0,
          haveQuorum: rt?.haveQuorum ?? false,
        };
      }),
    startedAtMs: inputs.startedAtMs,
    nowMs: inputs.nowMs,
  };
}

function notifyCommands(
  n: VrrpInstance['notify'],
  words: (c: string | undefined) => string[] | undefined,
): NotifyCommands {
  const out: NotifyCommands = {};
  const put = (k: keyof NotifyCommands, c: string | undefined): void => {
    const w = words(c);
    if (w) out[k] = w;
  };
  put('master', n.master?.command);
  put('backup', n.backup?.command);
  put('fault', n.fault?.command);
  put('stop', n.stop?.command);
  put('deleted', n.deleted !== undefined && n.deleted !== true ? n.deleted.command : undefined);
  put('masterRxLowerPri', n.masterRxLowerPri?.command);
  put('generic', n.any?.command);
  return out;
}

function instanceInfo(
  inputs: VrrpSnapshotInputs,
  extras: InstanceSetup,
  m: VrrpInstance,
  t: EffectiveTrackers,
  syncGroup: string | undefined,
  words: (c: string | undefined) => string[] | undefined,
  resolvers: IpResolvers,
): VrrpInstanceInfo {
  const g = inputs.model.global;
  const s = extras.spec;
  const eng = inputs.engine?.instances.find((i) => i.name === s.name);
  const rt = inputs.runtime?.get(s.name);
  const state: SnmpVrrpState = eng?.state ?? 'INIT';
  const ifname = extras.vmacName ?? s.interface;
  const iface = inputs.host.interfaces.get(ifname);
  const base = extras.vmacName !== undefined ? inputs.host.interfaces.get(s.interface) : undefined;
  const vipsSet = rt?.vipsSet ?? state === 'MASTER';
  const notify = notifyCommands(m.notify, words);
  const c = counters(eng?.counters);
  const primary = (base ?? iface)?.[s.family === 4 ? 'ipv4' : 'ipv6'];
  const info: VrrpInstanceInfo = {
    name: s.name,
    vrid: s.vrid,
    version: s.version,
    family: s.family,
    state,
    configuredState: s.initialState,
    wantState: eng?.wantState ?? state,
    basePriority: s.priority,
    effectivePriority: eng?.effectivePriority ?? s.priority,
    vipsSet,
    trackInterfaces: t.interfaces,
    advertIntervalCs: s.advertIntervalCs,
    preempt: s.preempt,
    preemptDelayS: s.preemptDelayMs / 1000,
    authType: s.authType === 'pass' ? 1 : s.authType === 'ah' ? 2 : 0,
    garpDelayS: s.garp.masterDelayMs / 1000,
    smtpAlert: m.smtpAlert ?? g.smtpAlertVrrp ?? g.smtpAlert ?? false,
    notifyExec: Object.keys(notify).length > 0,
    notify,
    accept: s.accept,
    promoteSecondaries: m.promoteSecondaries,
    linkbeatPolling: m.linkbeatUsePolling,
    notifyDeleted: m.notify.deleted !== undefined,
    vips: extras.vips.map((a) =>
      addressInfo(a, a.dev ?? (a.useVmac ? ifname : s.interface), vipsSet, resolvers),
    ),
    excludedVips: extras.excluded.map((a) => addressInfo(a, a.dev ?? s.interface, vipsSet, resolvers)),
    routes: s.routes.map((r) => routeInfo(r, vipsSet, resolvers)),
    rules: s.rules.map((r) => ruleInfo(r, vipsSet, resolvers)),
    trackScripts: t.scripts,
    trackFiles: t.files,
    trackBfds: t.bfds,
    trackProcesses: t.processes,
    counters: c,
    // keepalived keeps the reason it last became master; masterNoResponse is its usual one.
    masterReason: rt?.masterReason ?? (c.becomeMaster > 0 ? 3 : 0),
    protoErrorReason: rt?.protoErrorReason ?? 0,
    upSinceMs: rt?.upSinceMs ?? inputs.startedAtMs,
  };
  if (iface) info.interface = iface;
  if (base) info.baseInterface = base;
  if (g.lvsSyncDaemon?.instance === s.name) info.lvsSyncInterface = g.lvsSyncDaemon.interface;
  if (syncGroup !== undefined) info.syncGroup = syncGroup;
  if (s.unicastPeers.length === 0) info.multicastGroup = extras.wire.multicastGroup;
  if (eng?.masterAddress !== undefined) info.masterAddress = eng.masterAddress;
  const source = rt?.sourceAddress ?? s.sourceAddress ?? primary;
  if (source !== undefined) info.sourceAddress = source;
  return info;
}
