// From the config model (as written, with keepalived's defaults) to what runs VRRP: the engine's resolved
// spec (global defaults folded into each instance, seconds into milliseconds, tracker weights settled) and,
// per instance, what the wire and the kernel need besides (InstanceSetup). Pure.
import { type RxBufferShare, rxBufferShare } from './rx-buffer.js';
import type { Model } from '../config/index.js';
import type { IpAddressSpec } from '../config/model/static/addresses.js';
import { staticTrackInterfaces } from '../config/model/static/track-groups.js';
import type { TrackRef, NotifyScripts } from '../config/model/vrrp/tracking.js';
import type { AuthHmac, VrrpInstance } from '../config/model/vrrp/instance.js';
import { withoutInterfaceRefusal } from '../config/model/vrrp/finalize.js';
import type { AuthType } from './advert.js';
import type { AdvertWireSettings } from './wire/datagram.js';
import { placeAddresses, type AddressVmac, type AddressVmacContext } from './address-vmacs.js';
import { VmacNamer } from './vmac-names.js';
import { familyOf } from '../common/inet.js';
import type {
  EngineSpec,
  GarpGroupSpec,
  InstanceSpec,
  NotifySpec,
  ScriptSpec,
  SyncGroupSpec,
  TrackInterfaceSpec,
  TrackRefSpec,
  VipSpec,
} from './engine/spec.js';

/** What an instance needs besides the engine's view. */
export interface InstanceSetup {
  /** The engine's view: the very object in EngineSpec.instances. */
  spec: InstanceSpec;
  /** How its adverts are framed on the wire. */
  wire: AdvertWireSettings;
  /** auth_hmac as written (keys unresolved: `file:` keys are read by the daemon). */
  authHmac?: AuthHmac;
  /** The model's address lines, for the kernel calls (brd, scope, label, flags). */
  vips: IpAddressSpec[];
  excluded: IpAddressSpec[];
  vmacName?: string;
  /** use_ipvlan: the instance's interface `vmacName` is an L2 ipvlan (not a macvlan), with this flag and
   * the address it holds (also the adverts' source). */
  ipvlan?: { flags: 'bridge' | 'private' | 'vepa'; address?: string };
  vmacXmitBase: boolean;
  /** No interface (keepalived 2.4.3, unicast only): the socket is bound to the source address (the spec's
   * sourceAddress) and, with `vrf`, to that VRF device, not to an interface; the engine's interface is ''. */
  unbound?: { vrf?: string };
  /** Address -> the interface it goes on (its dev, the instance's VMAC or interface, or an address VMAC). */
  vipDevices: ReadonlyMap<string, string>;
  /** use_vmac_addr / use_vmac on an address line: the macvlans those addresses go on (address-vmacs.ts). */
  addressVmacs: AddressVmac[];
  /** use_vmac_addr as written (keepalived's data dump says so). */
  useVmacAddr?: true;
  /** promote_secondaries: the interface's sysctl is set to 1 while we run (not for a VMAC: see finalize). */
  promoteSecondaries: boolean;
  /** Its share of its socket's receive buffer (kernel_rx_buf_size, vrrp_rx_bufs_policy); none: the default. */
  rxBuffer?: RxBufferShare;
  /** kernel_rx_buf_size and `debug` as written: keepalived shows them in its data dump. */
  kernelRxBufSize?: number;
  debug?: number;
}

/** A configuration's VRRP side, ready to run. */
export interface VrrpSetup {
  engine: EngineSpec;
  /** By instance name, each holding the same InstanceSpec as `engine`. */
  instances: ReadonlyMap<string, InstanceSetup>;
  /** log_unknown_vrids: the daemon logs adverts for VRIDs no instance runs. */
  logUnknownVrids: boolean;
}

export function vipSpec(a: IpAddressSpec): VipSpec {
  return {
    address: a.address,
    prefix: a.prefix,
    ...(a.dev !== undefined ? { ifname: a.dev } : {}),
  };
}

function notifySpec(n: NotifyScripts): NotifySpec {
  const out: NotifySpec = {};
  // the model's ScriptCommand is the engine's NotifyCommand (command, user, group); copied, not shared
  if (n.master) out.master = { ...n.master };
  if (n.backup) out.backup = { ...n.backup };
  if (n.fault) out.fault = { ...n.fault };
  if (n.stop) out.stop = { ...n.stop };
  if (n.deleted !== undefined && n.deleted !== true) out.deleted = { ...n.deleted };
  if (n.any) out.generic = { ...n.any };
  if (n.masterRxLowerPri) out.masterRxLowerPri = { ...n.masterRxLowerPri };
  return out;
}

function refs(list: TrackRef[]): TrackRefSpec[] {
  return list.map((r) => ({
    name: r.name,
    ...(r.weight !== undefined ? { weight: r.weight } : {}),
    reverse: r.reverse,
  }));
}

function interfaces(list: TrackRef[]): TrackInterfaceSpec[] {
  return list.map((r) => ({ ifname: r.name, weight: r.weight ?? 0, reverse: r.reverse }));
}

function authType(inst: VrrpInstance): AuthType {
  if (inst.version !== 2 || inst.authentication === undefined) return 'none';
  return inst.authentication.type === 'AH' ? 'ah' : 'pass';
}

/** Interface names the configuration uses, which a generated VMAC name must not take. */
function configuredInterfaces(model: Model): string[] {
  const names: string[] = [];
  for (const i of model.instances) {
    if (i.interface !== undefined) names.push(i.interface);
    names.push(...i.track.interfaces.map((t) => t.name));
  }
  return names;
}

/** track_interface, plus the interfaces of the static objects its static track groups hold (unweighted:
 * keepalived's add_vrrp_to_interface makes an interface tracked both ways unweighted). */
function trackedInterfaces(
  inst: VrrpInstance,
  staticTracks: ReadonlyMap<string, string[]>,
): TrackInterfaceSpec[] {
  const out = interfaces(inst.track.interfaces);
  for (const ifname of staticTracks.get(inst.name) ?? []) {
    const existing = out.find((t) => t.ifname === ifname);
    if (existing !== undefined) existing.weight = 0;
    else out.push({ ifname, weight: 0, reverse: false });
  }
  return out;
}

/** Names the configuration's VMACs in keepalived's order (vrrp_complete_instance, instance by instance:
 * its own VMAC, then its address VMACs), avoiding the interfaces it names and the names use_vmac gives. */
function vmacContext(model: Model): AddressVmacContext {
  const given = model.instances.flatMap((i) => (i.useVmac?.name !== undefined ? [i.useVmac.name] : []));
  return {
    namer: new VmacNamer([...configuredInterfaces(model), ...given]),
    prefix: model.global.vmacAddrPrefix ?? model.global.vmacPrefix,
    made: new Map(),
  };
}

/** The instance's VMAC name, named in `vmacs` (a fresh naming when alone). */
function instanceVmacName(inst: VrrpInstance, model: Model, vmacs: AddressVmacContext): string | undefined {
  const own = inst.useVmac ?? inst.useIpvlan;
  if (own === undefined) return undefined;
  return own.name ?? vmacs.namer.next(model.global.vmacPrefix, inst.virtualRouterId ?? 0, inst.family);
}

function withoutPrefix(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}

/** use_ipvlan (without use_vmac, which wins): its flag and address, as vrrp_ipvlan_handler reads them. */
function ipvlanOf(inst: VrrpInstance): InstanceSetup['ipvlan'] {
  const v = inst.useIpvlan;
  if (v === undefined || inst.useVmac !== undefined) return undefined;
  const address =
    v.address !== undefined && familyOf(withoutPrefix(v.address)) === inst.family ? v.address : undefined;
  return { flags: v.mode ?? 'bridge', ...(address !== undefined ? { address } : {}) };
}

/** `vmacs`: the configuration's VMAC naming (vrrpSetupFromModel); alone, the instance's own.
 * `staticTracks`: staticTrackInterfaces of the model (computed once for all instances). */
export function instanceSetupFromModel(
  inst: VrrpInstance,
  model: Model,
  vmacs: AddressVmacContext = vmacContext(model),
  staticTracks: ReadonlyMap<string, string[]> = staticTrackInterfaces(model),
): InstanceSetup {
  const g = model.global;
  const vmacName = instanceVmacName(inst, model, vmacs);
  // An ipvlan holds its own address only: keepalived 2.2.7 puts the VIPs on the configured interface
  // (seen in the IPVS VM, whose kernel has ipvlan), a VMAC holds them.
  const placement = placeAddresses(inst, inst.useVmac !== undefined ? vmacName : undefined, vmacs);
  // Addresses on a VMAC of their own are seen there by the engine (keepalived logs that name).
  const onAddressVmac = (a: IpAddressSpec): VipSpec => {
    const spec = vipSpec(a);
    const dev = placement.devices.get(a.address);
    return dev !== undefined && placement.vmacs.some((v) => v.name === dev)
      ? { ...spec, ifname: dev, addressVmac: true }
      : spec;
  };
  const seconds = (s: number): number => Math.round(s * 1000);
  const masterDelay = inst.garpMasterDelay ?? g.vrrpGarpMasterDelay;
  const masterRepeat = inst.garpMasterRepeat ?? g.vrrpGarpMasterRepeat;
  const spec: InstanceSpec = {
    name: inst.name,
    interface: inst.interface ?? '',
    family: inst.family,
    vrid: inst.virtualRouterId ?? 0,
    version: inst.version,
    priority: inst.priority,
    initialState: inst.state,
    advertIntervalCs: Math.max(1, Math.round(inst.advertInt * 100)),
    addresses: inst.virtualIpaddresses.map(onAddressVmac),
    excludedAddresses: inst.virtualIpaddressesExcluded.map(onAddressVmac),
    routes: inst.virtualRoutes,
    rules: inst.virtualRules,
    unicastPeers: inst.unicastPeers.map((p) => p.address),
    // keepalived (vrrp_complete_instance) clears nopreempt and preempt_delay for `state MASTER`.
    preempt: inst.preempt || inst.state === 'MASTER',
    preemptDelayMs: inst.state === 'MASTER' ? 0 : seconds(inst.preemptDelay),
    accept: inst.accept ?? true,
    authType: authType(inst),
    trackInterfaces: trackedInterfaces(inst, staticTracks),
    trackScripts: refs(inst.track.scripts),
    trackFiles: refs(inst.track.files),
    trackProcesses: refs(inst.track.processes),
    trackBfds: refs(inst.track.bfds),
    dontTrackPrimary: inst.dontTrackPrimary,
    ...(inst.downTimerAdverts !== undefined ? { downTimerAdverts: inst.downTimerAdverts } : {}),
    garp: {
      masterDelayMs: seconds(masterDelay),
      masterRepeat,
      masterRefreshMs: seconds(inst.garpMasterRefresh ?? g.vrrpGarpMasterRefresh),
      masterRefreshRepeat: inst.garpMasterRefreshRepeat ?? g.vrrpGarpMasterRefreshRepeat,
      lowerPrioDelayMs: seconds(inst.garpLowerPrioDelay ?? g.vrrpGarpLowerPrioDelay ?? masterDelay),
      lowerPrioRepeat: inst.garpLowerPrioRepeat ?? g.vrrpGarpLowerPrioRepeat ?? masterRepeat,
      garpIntervalMs: seconds(g.vrrpGarpInterval),
      gnaIntervalMs: seconds(g.vrrpGnaInterval),
      ...(inst.garpExtraIf && inst.garpExtraIf.interval > 0
        ? { extraIfIntervalMs: seconds(inst.garpExtraIf.interval), extraIfAll: inst.garpExtraIf.all }
        : {}),
    },
    lowerPrioNoAdvert: inst.lowerPrioNoAdvert ?? g.vrrpLowerPrioNoAdvert ?? false,
    higherPrioSendAdvert: inst.higherPrioSendAdvert ?? g.vrrpHigherPrioSendAdvert,
    notify: notifySpec(inst.notify),
    skipCheckAdvAddr: inst.skipCheckAdvAddr ?? g.vrrpSkipCheckAdvAddr,
    strict: inst.strictMode ?? g.vrrpStrict,
    useVmac: inst.useVmac !== undefined,
    ...(inst.notifyPriorityChanges === true ? { notifyPriorityChanges: true } : {}),
    ...(g.notifyFifo !== undefined || g.vrrpNotifyFifo !== undefined ? { notifyFifo: true } : {}),
  };
  // keepalived (vrrp_complete_instance) tracks the interface of every address without no_track (TRACK_ADDR,
  // unweighted): a VIP's `dev` going down faults the instance, since the address cannot be put back there.
  // The instance's own interface and VMAC are tracked as such (or not, with dont_track_primary).
  const own = new Set([inst.interface, vmacName]);
  const addressInterfaces = [
    ...new Set(
      [...inst.virtualIpaddresses, ...inst.virtualIpaddressesExcluded]
        .filter((a) => !a.noTrack)
        .flatMap((a) => placement.devices.get(a.address) ?? []),
    ),
  ].filter((dev) => !own.has(dev));
  const ipvlan = ipvlanOf(inst);
  // An ipvlan this kernel cannot make (or that goes away) faults the instance: keepalived's instance
  // interface is the ipvlan itself ("entering FAULT state (interface vrrp.51 down)").
  if (ipvlan !== undefined && vmacName !== undefined && !inst.dontTrackPrimary)
    addressInterfaces.push(vmacName);
  if (addressInterfaces.length > 0) spec.addressInterfaces = addressInterfaces;
  if (inst.srcIp !== undefined) spec.sourceAddress = inst.srcIp;
  // the ipvlan's address is the adverts' source when none is written (vrrp_ipvlan_handler)
  else if (ipvlan?.address !== undefined) spec.sourceAddress = withoutPrefix(ipvlan.address);
  // vrrp.c, vrrp_complete_instance: an IPv4 ipvlan cannot pick its address itself.
  if (ipvlan !== undefined && inst.family === 4 && ipvlan.address === undefined)
    spec.configFault =
      'IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state';
  if (inst.timerExpiredBackup !== undefined && !spec.preempt)
    spec.timerExpiredBackup = inst.timerExpiredBackup;
  // keepalived 2.4.3 (vrrp_complete_instance): unset, an address owner ignores adverts in strict mode, else
  // as vrrp_owner_ignore_adverts says (finalize.ts has refused it for anyone else).
  const owner = inst.priority === 255;
  if (inst.ownerIgnoreAdverts ?? (owner && (inst.strictMode === true || g.vrrpOwnerIgnoreAdverts)))
    spec.ownerIgnoreAdverts = true;
  // vrrp.c, vrrp_complete_instance: unicast_fault_no_peer asks for unicast, which needs peers.
  if (inst.unicastFaultNoPeer && inst.unicastPeers.length === 0)
    spec.configFault = 'Cannot use unicast without any peers - going to fault state';
  if (inst.authentication !== undefined && spec.authType !== 'none')
    spec.authPass = inst.authentication.password;
  const policy = g.vrrpRxBufsPolicy;
  const rxBuffer = rxBufferShare(
    inst.kernelRxBufSize,
    policy === undefined || policy === 'MTU' || policy === 'ADVERT' ? policy : Number(policy),
    g.vrrpRxBufsMultiplier,
    {
      family: spec.family,
      version: spec.version,
      vipCount: spec.addresses.length,
      ah: spec.authType === 'ah',
      hmacTrailer: inst.authHmac !== undefined && inst.authHmac.mode !== 'receive-only',
    },
  );
  return {
    spec,
    wire: {
      multicastGroup: inst.mcastDstIp ?? (inst.family === 6 ? g.vrrpMcastGroup6 : g.vrrpMcastGroup4),
      v3ChecksumAsV2: inst.v3ChecksumAsV2 ?? g.v3ChecksumAsV2,
      oldUnicastChecksum: inst.oldUnicastChecksum,
      ...(inst.unicastTtl !== undefined ? { ttl: inst.unicastTtl } : {}),
      checkUnicastSource: inst.checkUnicastSrc,
      peerTtls: inst.unicastPeers
        .filter((p) => p.minTtl !== undefined || p.maxTtl !== undefined)
        .map((p) => ({
          address: p.address,
          ...(p.minTtl !== undefined ? { minTtl: p.minTtl } : {}),
          ...(p.maxTtl !== undefined ? { maxTtl: p.maxTtl } : {}),
        })),
    },
    ...(inst.authHmac ? { authHmac: inst.authHmac } : {}),
    ...(inst.interface === undefined ? { unbound: inst.vrf !== undefined ? { vrf: inst.vrf } : {} } : {}),
    vips: inst.virtualIpaddresses,
    excluded: inst.virtualIpaddressesExcluded,
    vmacXmitBase: inst.vmacXmitBase,
    promoteSecondaries: inst.promoteSecondaries,
    ...(rxBuffer !== undefined ? { rxBuffer } : {}),
    ...(inst.kernelRxBufSize !== undefined ? { kernelRxBufSize: inst.kernelRxBufSize } : {}),
    ...(inst.debug > 0 ? { debug: inst.debug } : {}),
    ...(vmacName !== undefined ? { vmacName } : {}),
    ...(ipvlan !== undefined ? { ipvlan } : {}),
    vipDevices: placement.devices,
    addressVmacs: placement.vmacs,
    ...(inst.useVmacAddr ? { useVmacAddr: true } : {}),
  };
}

/** garp_group blocks as keepalived keeps them: a group with no interval is dropped, and an interface
 * stays with the first group that names it. */
function garpGroups(model: Model): GarpGroupSpec[] {
  const taken = new Set<string>();
  const out: GarpGroupSpec[] = [];
  for (const g of model.garpGroups) {
    if (g.garpInterval === undefined && g.gnaInterval === undefined) continue;
    const interfaces = g.interfaces.filter((i) => !taken.has(i));
    for (const i of interfaces) taken.add(i);
    out.push({
      interfaces,
      ...(g.garpInterval !== undefined ? { garpIntervalMs: Math.round(g.garpInterval * 1e6) / 1000 } : {}),
      ...(g.gnaInterval !== undefined ? { gnaIntervalMs: Math.round(g.gnaInterval * 1e6) / 1000 } : {}),
    });
  }
  return out;
}

/** The engine's spec of a configuration (what the simulator runs). */
export function engineSpecFromModel(model: Model): EngineSpec {
  return vrrpSetupFromModel(model).engine;
}

/** What the host says that the configuration depends on (read by the daemon; absent: unknown). */
export interface HostFacts {
  /** /proc/uptime's first figure, in seconds. */
  uptimeS?: number;
}

/**
 * vrrp_startup_delay and keepalived 2.4's vrrp_delay_after_boot (global_parser.c): the latter delays the
 * start until the system has been up that long, so what is left of it counts, when the uptime is known and
 * short of it; the longer of the two delays wins, in either order.
 */
export function startupDelayS(global: Model['global'], host: HostFacts = {}): number {
  const afterBoot = global.vrrpDelayAfterBoot;
  const left = afterBoot > 0 && host.uptimeS !== undefined ? afterBoot - host.uptimeS : 0;
  return Math.max(global.vrrpStartupDelay, left);
}

export function vrrpSetupFromModel(model: Model, host: HostFacts = {}): VrrpSetup {
  // Instances the model flagged unusable (no VRID, no interface where one is needed) are left out.
  const usable = model.instances.filter(
    (i) => i.virtualRouterId !== undefined && withoutInterfaceRefusal(i) === undefined,
  );
  const vmacs = vmacContext(model);
  // keepalived resolves the static track groups' members after it has dropped the unusable instances.
  const staticTracks = staticTrackInterfaces({ ...model, trackGroups: model.trackGroups, instances: usable });
  const setups = usable.map((i) => instanceSetupFromModel(i, model, vmacs, staticTracks));
  const instances = setups.map((i) => i.spec);
  const names = new Set(instances.map((i) => i.name));
  const syncGroups: SyncGroupSpec[] = model.syncGroups.map((g) => ({
    name: g.name,
    members: g.members.map((m) => m.name).filter((m) => names.has(m)),
    notify: notifySpec(g.notify),
    trackingWeight: g.syncGroupTrackingWeight,
    trackInterfaces: interfaces(g.track.interfaces),
    trackScripts: refs(g.track.scripts),
    trackFiles: refs(g.track.files),
    trackProcesses: refs(g.track.processes),
    trackBfds: refs(g.track.bfds),
  }));
  const scripts: ScriptSpec[] = model.vrrpScripts.map((s) => ({
    name: s.name,
    ...(s.script !== undefined ? { command: s.script } : {}),
    ...(s.user !== undefined ? { user: s.user } : {}),
    intervalMs: Math.round(s.interval * 1000),
    timeoutMs: Math.round((s.timeout ?? s.interval) * 1000),
    rise: s.rise,
    fall: s.fall,
    weight: s.weight,
    reverse: s.weightReverse,
    initFail: s.initFail,
  }));
  const engine: EngineSpec = {
    instances,
    syncGroups,
    scripts,
    ...(startupDelayS(model.global, host) > 0
      ? { startupDelayMs: Math.round(startupDelayS(model.global, host) * 1000) }
      : {}),
    ...(model.garpGroups.length > 0 ? { garpGroups: garpGroups(model) } : {}),
    trackFiles: model.trackFiles.map((f) => ({
      name: f.name,
      weight: f.weight,
      reverse: f.weightReverse,
      ...(f.initFile !== undefined ? { initialValue: f.initFile.value } : {}),
    })),
    trackProcesses: model.trackProcesses.map((p) => ({
      name: p.name,
      weight: p.weight,
      reverse: p.weightReverse,
    })),
    // Every bfd_instance name resolves (keepalived's VRRP process reads them all); weights come from the
    // valid ones, whose sessions the BFD child runs.
    bfds: (model.bfdInstances ?? []).map((b) => {
      const session = (model.bfd ?? []).find((x) => x.name === b.name);
      return { name: b.name, weight: session?.weight ?? 0, reverse: session?.weightReverse ?? false };
    }),
  };
  return {
    engine,
    instances: new Map(setups.map((i) => [i.spec.name, i])),
    logUnknownVrids: model.global.logUnknownVrids,
  };
}
