// Finishing the VRRP side once every block is read: the values keepalived derives (family, version,
// default priority, strict-mode adjustments, settings inherited from global_defs) and the checks of the
// cross-references between blocks. Messages name the instance, since the same keyword appears in many.
import type { SourceLocation } from '../../types.js';
import type { GlobalDefs } from '../global/global.js';
import { isLinkLocal6 } from '../shared/ip.js';
import { checkAddressUseVmac } from './address-vmac-check.js';
import type { SyncGroup } from './sync-group.js';
import type { TrackRef, Trackers } from './tracking.js';
import type { BuildContext } from '../shared/values.js';
import { defaultVrrpInstance, type VrrpInstance } from './instance.js';
import type { TrackFile, TrackProcess, VrrpScript } from './script.js';

/** The VRRP part of the model the checks look at. */
export interface VrrpSide {
  global: GlobalDefs;
  vrrpScripts: VrrpScript[];
  trackFiles: TrackFile[];
  trackProcesses: TrackProcess[];
  syncGroups: SyncGroup[];
  instances: VrrpInstance[];
  bfdInstances?: Array<{ name: string }>;
}

const MAX_V3_ADVERT_INT = 40.95;

function err(ctx: BuildContext, at: SourceLocation, keyword: string, message: string): void {
  ctx.diags.error(at, keyword, message);
}

function warn(ctx: BuildContext, at: SourceLocation, keyword: string, message: string): void {
  ctx.diags.warn(at, keyword, message);
}

/** Family from native_ipv6, else the first VIP, else the addresses used to talk to peers. */
function settleFamily(inst: VrrpInstance): void {
  const first = inst.virtualIpaddresses[0] ?? inst.virtualIpaddressesExcluded[0];
  if (inst.nativeIpv6) inst.family = 6;
  else if (first) inst.family = first.family;
  else if (inst.srcIp !== undefined) inst.family = inst.srcIp.includes(':') ? 6 : 4;
  else if (inst.unicastPeers[0]) inst.family = inst.unicastPeers[0].family;
  else inst.family = 4;
}

function settleAddresses(inst: VrrpInstance, ctx: BuildContext): void {
  const fam = inst.family === 4 ? 'IPv4' : 'IPv6';
  // All advertised VIPs share the instance's family; excluded ones may mix families.
  inst.virtualIpaddresses = inst.virtualIpaddresses.filter((a) => {
    if (a.family === inst.family) return true;
    err(
      ctx,
      a.location,
      'virtual_ipaddress',
      `(${inst.name}) ${a.address} is not ${fam} like the instance, ignored`,
    );
    return false;
  });
  inst.unicastPeers = inst.unicastPeers.filter((p) => {
    if (p.family === inst.family) return true;
    err(
      ctx,
      p.location,
      'unicast_peer',
      `(${inst.name}) peer ${p.address} is not ${fam} like the instance, ignored`,
    );
    return false;
  });
  if (inst.srcIp !== undefined && (inst.srcIp.includes(':') ? 6 : 4) !== inst.family) {
    err(
      ctx,
      inst.location,
      'unicast_src_ip',
      `(${inst.name}) ${inst.srcIp} is not ${fam} like the instance, ignored`,
    );
    inst.srcIp = undefined;
  }
  if (inst.mcastDstIp !== undefined && (inst.mcastDstIp.includes(':') ? 6 : 4) !== inst.family) {
    err(
      ctx,
      inst.location,
      'mcast_dst_ip',
      `(${inst.name}) ${inst.mcastDstIp} is not ${fam} like the instance, ignored`,
    );
    inst.mcastDstIp = undefined;
  }
}

function inheritGlobals(inst: VrrpInstance, g: GlobalDefs): void {
  inst.strictMode ??= g.vrrpStrict;
  inst.garpMasterDelay ??= g.vrrpGarpMasterDelay;
  inst.garpMasterRepeat ??= g.vrrpGarpMasterRepeat;
  inst.garpLowerPrioDelay ??= g.vrrpGarpLowerPrioDelay ?? g.vrrpGarpMasterDelay;
  inst.garpLowerPrioRepeat ??= g.vrrpGarpLowerPrioRepeat ?? g.vrrpGarpMasterRepeat;
  inst.garpMasterRefresh ??= g.vrrpGarpMasterRefresh;
  inst.garpMasterRefreshRepeat ??= g.vrrpGarpMasterRefreshRepeat;
  if (g.vrrpGarpExtraIf) inst.garpExtraIf ??= g.vrrpGarpExtraIf;
  inst.downTimerAdverts ??= g.vrrpDownTimerAdverts;
  inst.higherPrioSendAdvert ??= g.vrrpHigherPrioSendAdvert;
  inst.skipCheckAdvAddr ??= g.vrrpSkipCheckAdvAddr;
  inst.v3ChecksumAsV2 ??= g.v3ChecksumAsV2;
  inst.notifyPriorityChanges ??= g.vrrpNotifyPriorityChanges;
  inst.smtpAlert ??= g.smtpAlertVrrp ?? g.smtpAlert ?? false;
  if (g.vrrpCheckUnicastSrc) inst.checkUnicastSrc = true;
  // min_ttl/max_ttl only make sense when the source is checked.
  if (inst.unicastPeers.some((p) => p.minTtl !== undefined || p.maxTtl !== undefined))
    inst.checkUnicastSrc = true;
}

/** What an instance that sets nothing itself ends up with under these global_defs: the printer omits
 * values equal to these, since reading the text back inherits them again. */
export function inheritedInstanceDefaults(g: GlobalDefs): VrrpInstance {
  const base = defaultVrrpInstance('', { file: '', line: 0 });
  inheritGlobals(base, g);
  base.lowerPrioNoAdvert = base.strictMode ? true : (g.vrrpLowerPrioNoAdvert ?? false);
  return base;
}

/** vrrp_strict / strict_mode: what RFC compliance forbids, reported and undone as keepalived does. */
function applyStrict(inst: VrrpInstance, g: GlobalDefs, ctx: BuildContext): void {
  const n = `(${inst.name})`;
  const at = inst.location;
  if (inst.unicastPeers.length > 0) {
    err(ctx, at, 'unicast_peer', `${n} unicast peers are not allowed in strict mode, ignored`);
    inst.unicastPeers = [];
  }
  if (inst.family === 6 && inst.version === 2) {
    err(ctx, at, 'version', `${n} IPv6 cannot use VRRP version 2 in strict mode; using version 3`);
    inst.version = 3;
  }
  const firstVip = inst.virtualIpaddresses[0];
  if (inst.family === 6 && firstVip && !isLinkLocal6(firstVip.address))
    err(
      ctx,
      firstVip.location,
      'virtual_ipaddress',
      `${n} the first IPv6 VIP must be link-local in strict mode`,
    );
  // RFC 5798: only the address owner (priority 255) starts as MASTER, and it always does.
  if ((inst.state === 'MASTER') !== (inst.priority === 255)) {
    inst.state = inst.priority === 255 ? 'MASTER' : 'BACKUP';
    err(
      ctx,
      at,
      'state',
      `${n} in strict mode state MASTER goes with priority 255 (address owner) only; using ${inst.state}`,
    );
  }
  if (inst.authentication) {
    err(
      ctx,
      inst.authentication.location,
      'authentication',
      `${n} authentication is not allowed in strict mode, ignored`,
    );
    inst.authentication = undefined;
  }
  if (inst.preemptDelay !== 0) {
    err(ctx, at, 'preempt_delay', `${n} preempt_delay is not allowed in strict mode, reset to 0`);
    inst.preemptDelay = 0;
  }
  if (inst.accept === true && inst.version === 2 && inst.priority !== 255) {
    err(ctx, at, 'accept', `${n} accept mode is not allowed with VRRPv2 in strict mode, cleared`);
    inst.accept = false;
  }
  if ((inst.garpMasterRefresh ?? 0) > 0) {
    err(
      ctx,
      at,
      'garp_master_refresh',
      `${n} repeated gratuitous ARPs are not allowed in strict mode, disabled`,
    );
    inst.garpMasterRefresh = 0;
  }
  if (inst.lowerPrioNoAdvert === false || g.vrrpLowerPrioNoAdvert === false)
    err(ctx, at, 'lower_prio_no_advert', `${n} lower_prio_no_advert cannot be cleared in strict mode`);
  inst.lowerPrioNoAdvert = true;
  if (inst.higherPrioSendAdvert) {
    err(
      ctx,
      at,
      'higher_prio_send_advert',
      `${n} higher_prio_send_advert is not allowed in strict mode, cleared`,
    );
    inst.higherPrioSendAdvert = false;
  }
  // vrrp.c checks it among the VMAC's settings: without use_vmac the error is the one below
  if (inst.vmacXmitBase && inst.useVmac) {
    err(ctx, at, 'vmac_xmit_base', `${n} vmac_xmit_base is not allowed in strict mode, cleared`);
    inst.vmacXmitBase = false;
  }
}

/** Settles one instance's derived values and reports what keepalived rejects or adjusts. */
/** keepalived 2.4.3 (vrrp.c, vrrp_complete_instance): only an address owner ignores adverts, and 2.4.3
 * forces it on for an owner that sets it off, strict mode or not, with the message about strict mode.
 * Left unset when not written (the model prints as read): the default is vrrp/from-model.ts's. */
function checkOwnerIgnoreAdverts(inst: VrrpInstance, ctx: BuildContext): void {
  const n = `(${inst.name})`;
  const owner = inst.priority === 255;
  if (inst.ownerIgnoreAdverts === true && !owner) {
    err(
      ctx,
      inst.location,
      'owner_ignore_adverts',
      `${n} ignoring owner_ignore_adverts since priority is not 255`,
    );
    inst.ownerIgnoreAdverts = false;
  } else if (owner && inst.ownerIgnoreAdverts === false) {
    err(
      ctx,
      inst.location,
      'owner_ignore_adverts',
      `${n} strict_mode with priority 255 requires owner_ignore_adverts`,
    );
    inst.ownerIgnoreAdverts = true;
  }
}

/**
 * Why an instance without an interface cannot run, or undefined when it has one or can run without.
 * keepalived 2.4.3 (vrrp.c chk_min_cfg, vrrp_complete_instance) runs a unicast instance without an
 * interface, its socket bound to unicast_src_ip (and to a `vrf`) only; anything else stops the VRRP process
 * with these messages (daemon/vrrp/vrrp-daemon.ts). keepalived 2.2.7 refused every such instance.
 */
export function withoutInterfaceRefusal(inst: VrrpInstance): string | undefined {
  if (inst.interface !== undefined) return undefined;
  const n = `(${inst.name})`;
  if (inst.unicastPeers.length === 0) return `${n} Unknown interface!`;
  if (inst.useVmac !== undefined || inst.useIpvlan !== undefined)
    return `${n} cannot use VMAC if no interface specified`;
  if (inst.srcIp === undefined) return `${n}: Unicast instances must have unicast_src_ip or interface`;
  if (inst.family === 6 && isLinkLocal6(inst.srcIp))
    return `${n} Non link-local address required if interface omitted`;
  return undefined;
}

/** Without an interface, a VIP needs its own `dev`: keepalived drops one without (a config error). */
function dropVipsWithoutDevice(inst: VrrpInstance, ctx: BuildContext): void {
  const keep = (list: VrrpInstance['virtualIpaddresses'], e: string): VrrpInstance['virtualIpaddresses'] =>
    list.filter((a) => {
      if (a.dev !== undefined) return true;
      // ipaddresstos: the prefix only when it is not a host's
      const prefix = a.prefix !== (a.family === 4 ? 32 : 128) ? `/${a.prefix}` : '';
      const what = `(${inst.name}): no interface for ${e}vip ${a.address}${prefix}`;
      err(ctx, a.location, 'virtual_ipaddress', `${what} - removing`);
      return false;
    });
  inst.virtualIpaddresses = keep(inst.virtualIpaddresses, '');
  inst.virtualIpaddressesExcluded = keep(inst.virtualIpaddressesExcluded, 'e');
}

function finalizeInstance(inst: VrrpInstance, g: GlobalDefs, ctx: BuildContext): void {
  const n = `(${inst.name})`;
  const at = inst.location;
  if (inst.virtualRouterId === undefined)
    err(ctx, at, 'virtual_router_id', `${n} virtual_router_id is required`);
  settleFamily(inst);
  settleAddresses(inst, ctx);
  const refusal = withoutInterfaceRefusal(inst);
  if (refusal !== undefined) err(ctx, at, 'interface', refusal);
  else if (inst.interface === undefined) dropVipsWithoutDevice(inst, ctx);
  checkAddressUseVmac(inst, ctx);
  // An instance starting as MASTER without a priority is the address owner.
  if (inst.priority === 0) inst.priority = inst.state === 'MASTER' ? 255 : 100;
  inheritGlobals(inst, g);
  if (!inst.versionSet) inst.version = inst.family === 6 ? 3 : g.vrrpVersion;
  if (inst.strictMode) applyStrict(inst, g, ctx);
  inst.lowerPrioNoAdvert ??= g.vrrpLowerPrioNoAdvert ?? false;
  inst.accept ??= inst.strictMode ? inst.priority === 255 : true;
  checkOwnerIgnoreAdverts(inst, ctx);

  if (inst.version === 2 && !Number.isInteger(inst.advertInt)) {
    const rounded = Math.max(1, Math.round(inst.advertInt));
    warn(
      ctx,
      at,
      'advert_int',
      `${n} VRRPv2 advert_int ${inst.advertInt} must be whole seconds, rounded to ${rounded}`,
    );
    inst.advertInt = rounded;
  } else if (inst.version === 3 && inst.advertInt > MAX_V3_ADVERT_INT) {
    err(
      ctx,
      at,
      'advert_int',
      `${n} VRRPv3 advert_int ${inst.advertInt} is above ${MAX_V3_ADVERT_INT}, using ${MAX_V3_ADVERT_INT}`,
    );
    inst.advertInt = MAX_V3_ADVERT_INT;
  }
  if (inst.authentication && inst.version === 3) {
    warn(ctx, inst.authentication.location, 'authentication', `${n} VRRPv3 has no authentication, ignored`);
    inst.authentication = undefined;
  }
  if (inst.authentication && inst.authHmac) {
    err(
      ctx,
      inst.authHmac.location,
      'auth_hmac',
      `${n} auth_hmac and authentication are mutually exclusive; auth_hmac ignored`,
    );
    inst.authHmac = undefined;
  }
  if (inst.authentication?.type === 'AH' && inst.state === 'MASTER' && inst.priority !== 255) {
    // An AH sequence number must be learnt from an advert before taking over.
    warn(ctx, at, 'state', `${n} initial state MASTER is incompatible with AH authentication - BACKUP used`);
    inst.state = 'BACKUP';
  }
  if (!inst.preempt && inst.priority === 255) {
    warn(ctx, at, 'nopreempt', `${n} nopreempt is incompatible with priority 255, ignored`);
    inst.preempt = true;
  } else if (!inst.preempt && inst.state === 'MASTER') {
    warn(ctx, at, 'nopreempt', `${n} nopreempt does not work with initial state MASTER`);
  }
  // keepalived's own wording (the keyword's older name)
  if (inst.timerExpiredBackup !== undefined && inst.preempt) {
    err(ctx, at, 'timer_expired_backup', `${n} expired_timer_backup requires nopreempt - resetting`);
    inst.timerExpiredBackup = undefined;
  }
  if (inst.virtualIpaddresses.length === 0 && !inst.noVirtualIpaddress) {
    if (inst.strictMode || inst.version === 3)
      err(ctx, at, 'virtual_ipaddress', `${n} no VIP specified; VRRPv3 and strict mode need at least one`);
    else warn(ctx, at, 'virtual_ipaddress', `${n} no VIP specified`);
  }
  // vrrp.c, vrrp_complete_instance: a VMAC (or ipvlan) gets promote_secondaries set anyway.
  if (inst.promoteSecondaries && (inst.useVmac || inst.useIpvlan)) {
    err(ctx, at, 'promote_secondaries', `${n} promote_secondaries is automatically set for vmacs - ignoring`);
    inst.promoteSecondaries = false;
  }
  // vrrp.c, vrrp_complete_instance: a VRF (one this host has) binds a unicast socket without an interface.
  const vrfPresent = inst.vrf !== undefined && (ctx.hostFacts?.interfaces?.has(inst.vrf) ?? true);
  if (vrfPresent && (inst.interface !== undefined || inst.unicastPeers.length === 0)) {
    const needs = inst.interface !== undefined ? 'out interface' : ' unicast';
    err(ctx, inst.vrfLocation ?? at, 'vrf', `${n} vrf can only be specified with${needs} - clearing`);
    inst.vrf = undefined;
  }
  // vrrp.c, vrrp_complete_instance: the instance stays in FAULT (vrrp/from-model.ts).
  if (inst.useIpvlan && !inst.useVmac && inst.family === 4) {
    const address = inst.useIpvlan.address;
    if (address === undefined)
      err(
        ctx,
        at,
        'use_ipvlan',
        `${n} IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state`,
      );
  }
  if (inst.vmacXmitBase && !inst.useVmac) {
    err(ctx, at, 'vmac_xmit_base', `${n} vmac_xmit_base is only valid with a vmac`);
    inst.vmacXmitBase = false;
  }
  if (inst.useVmac && inst.unicastPeers.length > 0 && !inst.vmacXmitBase)
    warn(ctx, at, 'use_vmac', `${n} use_vmac with unicast peers needs vmac_xmit_base`);
  if (inst.priority === 255) {
    for (const ref of weighted(inst.track))
      warn(
        ctx,
        ref.location,
        'priority',
        `${n} the address owner (priority 255) ignores the weight of ${ref.name}`,
      );
  }
  if (inst.interface !== undefined)
    inst.track.interfaces = inst.track.interfaces.filter((t) => {
      if (t.name !== inst.interface) return true;
      warn(ctx, t.location, 'track_interface', `${n} ${t.name} is the instance's own interface, ignored`);
      return false;
    });
}

function weighted(t: Trackers): TrackRef[] {
  return [...t.interfaces, ...t.scripts, ...t.files, ...t.processes, ...t.bfds].filter(
    (r) => r.weight !== undefined && r.weight !== 0,
  );
}

export function finalizeInstances(side: VrrpSide, ctx: BuildContext): void {
  // notify_priority_changes: the instance's own, else its sync group's, else the global one (vrrp.c).
  for (const group of side.syncGroups)
    if (group.notifyPriorityChanges !== undefined)
      for (const member of group.members)
        for (const inst of side.instances)
          if (inst.name === member.name) inst.notifyPriorityChanges ??= group.notifyPriorityChanges;
  for (const inst of side.instances) {
    finalizeInstance(inst, side.global, ctx);
    // The old per-instance form means: run the sync daemon on that interface, following this instance.
    if (inst.lvsSyncDaemonInterface !== undefined) {
      side.global.lvsSyncDaemon ??= { interface: inst.lvsSyncDaemonInterface, instance: inst.name };
      inst.lvsSyncDaemonInterface = undefined;
    }
  }
}

/** The names a tracker may refer to, by kind. */
type KnownTrackables = Record<'scripts' | 'files' | 'processes' | 'bfds', Set<string>> & {
  /** Where each vrrp_script is defined (the first one of a name). */
  scriptAt: Map<string, SourceLocation>;
};

/** Whether `def` comes after `use` in the same file (across files the reading order is not known here). */
function definedLater(def: SourceLocation, use: SourceLocation): boolean {
  return def.file === use.file && def.line > use.line;
}

// Built once for all instances and sync groups: per owner it made the checks quadratic.
function knownTrackables(side: VrrpSide): KnownTrackables {
  return {
    scripts: new Set(side.vrrpScripts.map((s) => s.name)),
    scriptAt: new Map([...side.vrrpScripts].reverse().map((s) => [s.name, s.location])),
    files: new Set(side.trackFiles.map((f) => f.name)),
    processes: new Set(side.trackProcesses.map((p) => p.name)),
    bfds: new Set((side.bfdInstances ?? []).map((b) => b.name)),
  };
}

/** track_script/track_file/track_process naming something undefined: warned and dropped, as keepalived. */
function checkTrackRefs(owner: string, t: Trackers, known: KnownTrackables, ctx: BuildContext): void {
  const what = {
    scripts: 'vrrp_script',
    files: 'track_file',
    processes: 'vrrp_track_process',
    bfds: 'bfd_instance',
  } as const;
  const kw = {
    scripts: 'track_script',
    files: 'track_file',
    processes: 'track_process',
    bfds: 'track_bfd',
  } as const;
  for (const kind of ['scripts', 'files', 'processes', 'bfds'] as const) {
    t[kind] = t[kind].filter((ref) => {
      if (known[kind].has(ref.name)) {
        const at = kind === 'scripts' ? known.scriptAt.get(ref.name) : undefined;
        if (at === undefined || !definedLater(at, ref.location)) return true;
        // keepalived looks the script up as it reads track_script: one defined further down is not found.
        warn(
          ctx,
          ref.location,
          kw[kind],
          `(${owner}) vrrp_script '${ref.name}' is defined after it is tracked, ignored`,
        );
        return false;
      }
      warn(ctx, ref.location, kw[kind], `(${owner}) ${what[kind]} '${ref.name}' is not defined, ignored`);
      return false;
    });
  }
}

/** Instances that would receive each other's adverts: same interface, family and multicast group, or
 * overlapping unicast peers. */
function checkDuplicateVrids(side: VrrpSide, ctx: BuildContext): void {
  const seen = new Map<string, VrrpInstance[]>();
  for (const inst of side.instances) {
    if (inst.virtualRouterId === undefined) continue;
    const key = `${inst.interface ?? ''}|${inst.family}|${inst.virtualRouterId}|${inst.mcastDstIp ?? ''}`;
    let others = seen.get(key);
    if (others === undefined) seen.set(key, (others = []));
    for (const other of others) {
      // Multicast and unicast instances use different sockets; unicast ones clash only on a shared peer.
      const unicast = inst.unicastPeers.length > 0;
      if (unicast !== other.unicastPeers.length > 0) continue;
      const overlap =
        !unicast || inst.unicastPeers.some((p) => other.unicastPeers.some((q) => q.address === p.address));
      if (overlap) {
        err(
          ctx,
          inst.location,
          'virtual_router_id',
          `(${inst.name}) VRID ${inst.virtualRouterId} is already used by ${other.name} for IPv${inst.family} on ${inst.interface ?? 'the same sockets'}`,
        );
        break;
      }
    }
    others.push(inst);
  }
}

function checkSyncGroups(side: VrrpSide, known: KnownTrackables, ctx: BuildContext): void {
  const instances = new Map(side.instances.map((i) => [i.name, i]));
  const memberOf = new Map<string, string>();
  for (const g of side.syncGroups) {
    g.members = g.members.filter((m) => {
      if (!instances.has(m.name)) {
        err(ctx, m.location, 'group', `(${g.name}) vrrp_instance '${m.name}' does not exist, ignored`);
        return false;
      }
      const previous = memberOf.get(m.name);
      if (previous !== undefined) {
        err(ctx, m.location, 'group', `(${g.name}) ${m.name} is already in sync group ${previous}, ignored`);
        return false;
      }
      memberOf.set(m.name, g.name);
      return true;
    });
    if (g.members.length === 1)
      warn(
        ctx,
        g.location,
        'vrrp_sync_group',
        `(${g.name}) has only one instance; this probably isn't what you want`,
      );
    checkTrackRefs(g.name, g.track, known, ctx);
    if (!g.syncGroupTrackingWeight)
      for (const m of g.members) {
        const inst = instances.get(m.name);
        if (!inst) continue;
        for (const ref of weighted(inst.track))
          warn(
            ctx,
            ref.location,
            'weight',
            `(${inst.name}) member of sync group ${g.name}: weight of ${ref.name} ignored (set sync_group_tracking_weight)`,
          );
      }
  }
}

function checkInterfaces(side: VrrpSide, ctx: BuildContext): void {
  const present = ctx.hostFacts?.interfaces;
  if (!present || side.global.dynamicInterfaces) return;
  for (const inst of side.instances) {
    const n = `(${inst.name})`;
    if (inst.interface !== undefined && !present.has(inst.interface))
      err(
        ctx,
        inst.interfaceLocation ?? inst.location,
        'interface',
        `${n} interface ${inst.interface} does not exist on this host`,
      );
    for (const t of inst.track.interfaces)
      if (!present.has(t.name))
        warn(ctx, t.location, 'track_interface', `${n} interface ${t.name} does not exist on this host`);
    if (inst.vrf !== undefined && !present.has(inst.vrf))
      err(
        ctx,
        inst.vrfLocation ?? inst.location,
        'vrf',
        `${n} WARNING - VRF interface ${inst.vrf} doesn't exist`,
      );
    for (const a of [...inst.virtualIpaddresses, ...inst.virtualIpaddressesExcluded])
      if (a.dev !== undefined && !present.has(a.dev))
        warn(ctx, a.location, 'dev', `${n} interface ${a.dev} of ${a.address} does not exist on this host`);
  }
  // a sync group's tracked interfaces too (vrrp_track.c, as keepalived reads the line)
  for (const g of side.syncGroups)
    for (const t of g.track.interfaces)
      if (!present.has(t.name))
        warn(
          ctx,
          t.location,
          'track_interface',
          `(${g.name}) interface ${t.name} does not exist on this host`,
        );
}

/** Cross-block checks; run after finalizeInstances. */
export function checkVrrpReferences(side: VrrpSide, ctx: BuildContext): void {
  const known = knownTrackables(side);
  for (const inst of side.instances) checkTrackRefs(inst.name, inst.track, known, ctx);
  checkDuplicateVrids(side, ctx);
  const sync = side.global.lvsSyncDaemon;
  if (sync?.instance !== undefined && !side.instances.some((i) => i.name === sync.instance))
    err(
      ctx,
      side.global.location ?? { file: '', line: 0 },
      'lvs_sync_daemon',
      `vrrp_instance '${sync.instance}' does not exist`,
    );
  checkSyncGroups(side, known, ctx);
  checkInterfaces(side, ctx);
}
