// vrrp_instance: what one virtual router is, as written in the config. Values that keepalived derives
// from other settings (version from the VIP family, priority from state, strict-mode adjustments, garp
// values inherited from global_defs) are settled afterwards by finalize.ts `finalizeInstances`.
import { blockEnd } from '../../blocks.js';
import type { ConfigNode, SourceLocation } from '../../types.js';
import { type Family } from '../shared/ip.js';
import { formatAddressLine, type IpAddressSpec, readAddressBlock } from '../static/addresses.js';
import { formatRouteLine, readRouteBlock, type RouteSpec } from '../static/routes.js';
import { formatRuleLine, readRuleBlock, type RuleSpec } from '../static/rules.js';
import { printSimple, quoteWord, type SimpleKeyword, simpleHandlers } from '../shared/table.js';
import {
  emptyTrackers,
  notifyHandlers,
  type NotifyScripts,
  printNotify,
  printTrackers,
  trackHandlers,
  type Trackers,
} from './tracking.js';
import { type GarpExtraIf, readGarpExtraIf } from '../global/global.js';
import { type Authentication, type AuthHmac, readAuthentication, readAuthHmac } from './auth.js';

export type { Authentication, AuthHmac, HmacKey } from './auth.js';
import {
  type BuildContext,
  blockChildren,
  arg,
  decimal,
  flag,
  type Handlers,
  int,
  socketAddress,
  missingArgument,
  walk,
} from '../shared/values.js';

export interface UnicastPeer {
  location: SourceLocation;
  address: string;
  family: Family;
  minTtl?: number;
  maxTtl?: number;
}

export interface UseVmac {
  name?: string;
  mac?: string;
  netlinkNotifyMsg: boolean;
  group?: string;
}

export interface UseIpvlan {
  name?: string;
  address?: string;
  mode?: 'bridge' | 'private' | 'vepa';
  group?: string;
}

export interface VrrpInstance {
  name: string;
  location: SourceLocation;
  /** Initial state as configured. */
  state: 'MASTER' | 'BACKUP';
  interface?: string;
  /** Where `interface` was set: keepalived's messages about it point there. */
  interfaceLocation?: SourceLocation;
  /** `vrf`: the VRF device a unicast instance without an interface binds its socket to. */
  vrf?: string;
  vrfLocation?: SourceLocation;
  useVmac?: UseVmac;
  useVmacAddr: boolean;
  vmacXmitBase: boolean;
  useIpvlan?: UseIpvlan;
  nativeIpv6: boolean;
  dontTrackPrimary: boolean;
  track: Trackers;
  /** mcast_src_ip / unicast_src_ip (synonyms). */
  srcIp?: string;
  mcastDstIp?: string;
  trackSrcIp: boolean;
  /** 2 or 3; settled by finalizeInstances (global vrrp_version, IPv6 -> 3). */
  version: 2 | 3;
  /** Whether `version` was written in the instance. */
  versionSet: boolean;
  checkUnicastSrc: boolean;
  unicastPeers: UnicastPeer[];
  unicastFaultNoPeer: boolean;
  unicastTtl?: number;
  oldUnicastChecksum?: 'auto' | 'never';
  v3ChecksumAsV2?: boolean;
  garpMasterDelay?: number;
  garpMasterRepeat?: number;
  garpLowerPrioDelay?: number;
  garpLowerPrioRepeat?: number;
  garpMasterRefresh?: number;
  garpMasterRefreshRepeat?: number;
  garpExtraIf?: GarpExtraIf;
  downTimerAdverts?: number;
  timerExpiredBackup?: number;
  lowerPrioNoAdvert?: boolean;
  higherPrioSendAdvert?: boolean;
  /** keepalived 2.4: an address owner drops the adverts it receives (undefined: as written, not given). */
  ownerIgnoreAdverts?: boolean;
  virtualRouterId?: number;
  /** 1..255; 0 until finalizeInstances settles the default (255 for state MASTER, else 100). */
  priority: number;
  /** Seconds (0.01 resolution). */
  advertInt: number;
  authentication?: Authentication;
  authHmac?: AuthHmac;
  virtualIpaddresses: IpAddressSpec[];
  virtualIpaddressesExcluded: IpAddressSpec[];
  noVirtualIpaddress: boolean;
  promoteSecondaries: boolean;
  virtualRoutes: RouteSpec[];
  virtualRules: RuleSpec[];
  /** undefined until settled: true unless strict mode (then priority 255 only). */
  accept?: boolean;
  preempt: boolean;
  preemptDelay: number;
  skipCheckAdvAddr?: boolean;
  strictMode?: boolean;
  debug: number;
  notify: NotifyScripts;
  notifyPriorityChanges?: boolean;
  smtpAlert?: boolean;
  kernelRxBufSize?: number;
  linkbeatUsePolling: boolean;
  /** Deprecated `lvs_sync_daemon_interface` in the instance; moved to global lvs_sync_daemon by the checks. */
  lvsSyncDaemonInterface?: string;
  /** Address family of the instance, from native_ipv6 or its first VIP (settled by finalizeInstances). */
  family: Family;
}

export function defaultVrrpInstance(name: string, location: SourceLocation): VrrpInstance {
  return {
    name,
    location,
    state: 'BACKUP',
    useVmacAddr: false,
    vmacXmitBase: false,
    nativeIpv6: false,
    dontTrackPrimary: false,
    track: emptyTrackers(),
    trackSrcIp: false,
    version: 2,
    versionSet: false,
    checkUnicastSrc: false,
    unicastPeers: [],
    unicastFaultNoPeer: false,
    priority: 0,
    advertInt: 1,
    virtualIpaddresses: [],
    virtualIpaddressesExcluded: [],
    noVirtualIpaddress: false,
    promoteSecondaries: false,
    virtualRoutes: [],
    virtualRules: [],
    preempt: true,
    preemptDelay: 0,
    debug: 0,
    notify: {},
    linkbeatUsePolling: false,
    family: 4,
  };
}

const flagKw = { kind: 'flag' } as const;
const INSTANCE_TABLE: readonly SimpleKeyword<VrrpInstance>[] = [
  { keyword: 'interface', field: 'interface', spec: { kind: 'word' } },
  { keyword: 'use_vmac_addr', field: 'useVmacAddr', spec: flagKw },
  { keyword: 'vmac_xmit_base', field: 'vmacXmitBase', spec: flagKw },
  { keyword: 'native_ipv6', field: 'nativeIpv6', spec: flagKw },
  { keyword: 'dont_track_primary', field: 'dontTrackPrimary', spec: flagKw },
  { keyword: 'track_src_ip', field: 'trackSrcIp', spec: flagKw },
  { keyword: 'check_unicast_src', field: 'checkUnicastSrc', spec: flagKw },
  { keyword: 'unicast_fault_no_peer', field: 'unicastFaultNoPeer', spec: flagKw },
  { keyword: 'unicast_ttl', field: 'unicastTtl', spec: { kind: 'int', min: 0, max: 255 } },
  { keyword: 'v3_checksum_as_v2', field: 'v3ChecksumAsV2', spec: flagKw },
  { keyword: 'garp_master_delay', field: 'garpMasterDelay', spec: { kind: 'int', min: 0, max: 255 } },
  { keyword: 'garp_master_repeat', field: 'garpMasterRepeat', spec: { kind: 'int', min: 0, max: 255 } },
  { keyword: 'garp_lower_prio_delay', field: 'garpLowerPrioDelay', spec: { kind: 'int', min: 0, max: 255 } },
  {
    keyword: 'garp_lower_prio_repeat',
    field: 'garpLowerPrioRepeat',
    spec: { kind: 'int', min: 0, max: 255 },
  },
  {
    keyword: 'garp_master_refresh',
    field: 'garpMasterRefresh',
    spec: { kind: 'int', min: 0, max: 2147483647 },
  },
  {
    keyword: 'garp_master_refresh_repeat',
    field: 'garpMasterRefreshRepeat',
    spec: { kind: 'int', min: 1, max: 255 },
  },
  { keyword: 'down_timer_adverts', field: 'downTimerAdverts', spec: { kind: 'int', min: 1, max: 100 } },
  { keyword: 'lower_prio_no_advert', field: 'lowerPrioNoAdvert', spec: flagKw },
  { keyword: 'higher_prio_send_advert', field: 'higherPrioSendAdvert', spec: flagKw },
  { keyword: 'owner_ignore_adverts', field: 'ownerIgnoreAdverts', spec: flagKw },
  { keyword: 'no_virtual_ipaddress', field: 'noVirtualIpaddress', spec: flagKw },
  { keyword: 'promote_secondaries', field: 'promoteSecondaries', spec: flagKw },
  { keyword: 'skip_check_adv_addr', field: 'skipCheckAdvAddr', spec: flagKw },
  { keyword: 'strict_mode', field: 'strictMode', spec: flagKw },
  { keyword: 'debug', field: 'debug', spec: { kind: 'int', min: 0, max: 4 } },
  { keyword: 'notify_priority_changes', field: 'notifyPriorityChanges', spec: flagKw },
  { keyword: 'smtp_alert', field: 'smtpAlert', spec: flagKw },
  { keyword: 'kernel_rx_buf_size', field: 'kernelRxBufSize', spec: { kind: 'int', min: 0, max: 2147483647 } },
  { keyword: 'linkbeat_use_polling', field: 'linkbeatUsePolling', spec: flagKw },
];

/** Old keywords still accepted, with their replacement named in the warning. */
const INSTANCE_DEPRECATED: Record<string, string> = {
  vrrp_unicast_bind: 'unicast_src_ip',
  vrrp_unicast_peer: 'unicast_peer',
  virtual_ipaddress_excluded_static: 'virtual_ipaddress_excluded',
};

/** vrrp_instance keywords whose keepalived handlers check for their argument: a missing one is an ordinary
 * error there, not the stop of the parser that the others cause (each seen with 2.2.7). */
const GUARDED_INSTANCE_KEYWORDS = ['garp_extra_if', 'kernel_rx_buf_size'];

function withGuardedArguments(handlers: Handlers, ctx: BuildContext): Handlers {
  const out: Handlers = { ...handlers };
  for (const keyword of GUARDED_INSTANCE_KEYWORDS) {
    const handler = handlers[keyword];
    if (handler === undefined) continue;
    out[keyword] = (n) => {
      if (n.args.length === 0) ctx.diags.error(n, n.keyword, 'missing argument');
      else handler(n);
    };
  }
  return out;
}

function readUnicastPeers(node: ConfigNode, ctx: BuildContext, inst: VrrpInstance): void {
  for (const child of blockChildren(node, ctx)) {
    const words = [child.keyword, ...child.args];
    const ip = socketAddress({ ...child, keyword: 'unicast_peer', args: words }, ctx, 0);
    if (!ip) continue;
    const peer: UnicastPeer = {
      location: { file: child.file, line: child.line },
      address: ip.address,
      family: ip.family,
    };
    // vrrp_data.c alloc_vrrp_unicast_peer: a bad option is reported and ends the options; the peer stays
    for (let i = 1; i < words.length; i += 2) {
      const w = words[i];
      if (i + 1 >= words.length) {
        ctx.diags.error(child, 'unicast_peer', `(${inst.name}) ${w} is missing a value`);
        break;
      }
      const v = int({ ...child, keyword: 'unicast_peer', args: words }, ctx, 0, 255, i + 1);
      if (v === undefined) continue;
      if (w === 'min_ttl') peer.minTtl = v;
      else if (w === 'max_ttl') peer.maxTtl = v;
      else {
        ctx.diags.error(child, 'unicast_peer', `(${inst.name}) unknown unicast_peer option ${w}`);
        break;
      }
    }
    inst.unicastPeers.push(peer);
  }
}

function readUseVmac(node: ConfigNode, ctx: BuildContext, inst: VrrpInstance): void {
  const v: UseVmac = { netlinkNotifyMsg: false };
  const args = node.args;
  for (let i = 0; i < args.length; i++) {
    const w = args[i] ?? '';
    if (w === 'netlink_notify_msg') v.netlinkNotifyMsg = true;
    else if (w === 'group' || w === 'name') {
      const val = args[i + 1];
      i++;
      if (val === undefined) {
        ctx.diags.error(node, node.keyword, `'${w}' needs a value`);
        return;
      }
      if (w === 'group') v.group = val;
      else v.name = val;
    } else if (/^([0-9a-fA-F]{1,2}:){4,5}[0-9a-fA-F]{1,2}$/.test(w)) v.mac = w.toLowerCase();
    else if (v.name === undefined && i === 0) v.name = w;
    else {
      ctx.diags.error(node, node.keyword, `unknown option '${w}'`);
      return;
    }
  }
  if (v.name !== undefined && v.name.length > 15) {
    ctx.diags.error(node, node.keyword, `interface name '${v.name}' is longer than 15 characters`);
    return;
  }
  // use_vmac written again: keepalived keeps the name and address it already has
  const before = inst.useVmac;
  if (before?.name !== undefined && v.name !== undefined) {
    ctx.diags.error(node, node.keyword, 'VMAC interface name already specified');
    v.name = before.name;
  }
  if (before?.mac !== undefined && v.mac !== undefined) {
    ctx.diags.error(node, node.keyword, 'VMAC interface address already specified');
    v.mac = before.mac;
  }
  if (v.name === undefined && before?.name !== undefined) v.name = before.name;
  if (v.mac === undefined && before?.mac !== undefined) v.mac = before.mac;
  inst.useVmac = v;
}

function readUseIpvlan(node: ConfigNode, ctx: BuildContext, inst: VrrpInstance): void {
  const v: UseIpvlan = {};
  const args = node.args;
  for (let i = 0; i < args.length; i++) {
    const w = args[i] ?? '';
    if (w === 'bridge' || w === 'private' || w === 'vepa') v.mode = w;
    else if (w === 'group' || w === 'name') {
      const val = args[i + 1];
      i++;
      if (val === undefined) {
        ctx.diags.error(node, node.keyword, `'${w}' needs a value`);
        return;
      }
      if (w === 'group') v.group = val;
      else v.name = val;
    } else if (/^[0-9a-fA-F:.]+(\/\d+)?$/.test(w) && /[.:]/.test(w)) v.address = w;
    else if (v.name === undefined && i === 0) v.name = w;
    else {
      ctx.diags.error(node, node.keyword, `unknown option '${w}'`);
      return;
    }
  }
  inst.useIpvlan = v;
}

/** vrrp_parser.c vrrp_vrf_handler, line by line: refused after `interface`, once only, never `lo`. Whether
 * the device exists, and whether the instance can use it, is finalize.ts's. */
function readVrf(children: readonly ConfigNode[], ctx: BuildContext, inst: VrrpInstance): void {
  const n = `(${inst.name})`;
  children.forEach((node, index) => {
    if (node.keyword !== 'vrf') return;
    const name = node.args[0];
    if (name === undefined) return;
    if (name.length >= 16)
      ctx.diags.error(node, 'vrf', `${n} VRF interface name '${name}' too long - ignoring`);
    else if (children.slice(0, index).some((c) => c.keyword === 'interface'))
      ctx.diags.error(node, 'vrf', `${n} Cannot specify VRF interface and interface - ignoring`);
    else if (inst.vrf !== undefined)
      ctx.diags.error(node, 'vrf', `${n} VRF interface already specified as '${inst.vrf}' - ignoring`);
    else if (name === 'lo')
      ctx.diags.error(node, 'vrf', `${n} cannot use a loopback interface (${name}) for VRF - ignoring`);
    else {
      inst.vrf = name;
      inst.vrfLocation = { file: node.file, line: node.line };
    }
  });
}

/** The keyword handlers of vrrp_instance, built once per build context and pointed at each instance in
 * turn: building a fresh set of closures for every instance made configs with thousands of them slow. */
interface InstanceHandlers {
  handlers: Handlers;
  target(inst: VrrpInstance): void;
}
const handlerCache = new WeakMap<BuildContext, InstanceHandlers>();

function instanceHandlers(ctx: BuildContext): InstanceHandlers {
  const cached = handlerCache.get(ctx);
  if (cached) return cached;
  // The instance being read: target() sets it before any handler runs (the handlers outlive each instance).
  let inst = undefined as unknown as VrrpInstance;
  const srcIp = (n: ConfigNode) => {
    const ip = socketAddress(n, ctx);
    if (ip) inst.srcIp = ip.address;
  };
  const handlers: Handlers = {
    ...simpleHandlers(() => inst, INSTANCE_TABLE, ctx),
    ...trackHandlers(ctx, () => inst.track),
    ...notifyHandlers(
      ctx,
      () => inst.notify,
      () => `(${inst.name})`,
    ),
    // vrrp_parser.c vrrp_state_handler: exact words; anything else is BACKUP, and BACKUP never undoes MASTER
    state: (n) => {
      const v = arg(n, ctx);
      if (v === undefined) return;
      if (v === 'MASTER') inst.state = 'MASTER';
      else if (v !== 'BACKUP') {
        ctx.diags.error(n, n.keyword, `(${inst.name}) unknown state '${v}', defaulting to BACKUP`);
        inst.state = 'BACKUP';
      } else if (inst.state === 'MASTER')
        ctx.diags.error(n, n.keyword, `(${inst.name}) state previously set as MASTER - ignoring BACKUP`);
    },
    virtual_router_id: (n) => {
      const v = int(n, ctx, 1, 255);
      if (v !== undefined) inst.virtualRouterId = v;
    },
    priority: (n) => {
      // keepalived: "Priority not valid! ... Using default 100": not left unset, which would let
      // `state MASTER` derive the owner's 255 below.
      inst.priority = int(n, ctx, 1, 255) ?? 100;
    },
    advert_int: (n) => {
      const v = decimal(n, ctx, 0.01, 255);
      if (v !== undefined) inst.advertInt = Math.round(v * 100) / 100;
    },
    version: (n) => {
      const v = int(n, ctx, 2, 3);
      if (v === 2 || v === 3) {
        inst.version = v;
        inst.versionSet = true;
      }
    },
    mcast_src_ip: srcIp,
    unicast_src_ip: srcIp,
    mcast_dst_ip: (n) => {
      const ip = socketAddress(n, ctx);
      if (!ip) return;
      const multicast =
        ip.family === 4 ? /^2(2[4-9]|3\d)\./.test(ip.address) : /^ff[0-9a-f]2:/.test(ip.address);
      if (!multicast)
        ctx.diags.error(
          n,
          n.keyword,
          `'${ip.address}' is not a ${ip.family === 6 ? 'link-local ' : ''}multicast address`,
        );
      else inst.mcastDstIp = ip.address;
    },
    unicast_peer: (n) => readUnicastPeers(n, ctx, inst),
    authentication: (n) => {
      const a = readAuthentication(n, ctx, inst.name);
      if (a) inst.authentication = a;
    },
    auth_hmac: (n) => {
      const h = readAuthHmac(n, ctx);
      if (h) inst.authHmac = h;
    },
    use_vmac: (n) => readUseVmac(n, ctx, inst),
    use_ipvlan: (n) => readUseIpvlan(n, ctx, inst),
    // read with the block's other lines in view (readVrf)
    vrf: () => undefined,
    virtual_ipaddress: (n) => inst.virtualIpaddresses.push(...readAddressBlock(n, ctx)),
    virtual_ipaddress_excluded: (n) => inst.virtualIpaddressesExcluded.push(...readAddressBlock(n, ctx)),
    virtual_routes: (n) => inst.virtualRoutes.push(...readRouteBlock(n, ctx)),
    virtual_rules: (n) => inst.virtualRules.push(...readRuleBlock(n, ctx)),
    accept: (n) => {
      inst.accept = flag(n, ctx);
    },
    no_accept: (n) => {
      inst.accept = !flag(n, ctx);
    },
    nopreempt: (n) => {
      inst.preempt = !flag(n, ctx);
    },
    preempt: (n) => {
      // keepalived keeps `preempt` only for backward compatibility: preempting is the default.
      inst.preempt = flag(n, ctx);
    },
    preempt_delay: (n) => {
      const v = decimal(n, ctx, 0, 1000);
      if (v !== undefined) inst.preemptDelay = v;
    },
    garp_extra_if: (n) => {
      const v = readGarpExtraIf(n, ctx);
      if (v) inst.garpExtraIf = v;
    },
    old_unicast_checksum: (n) => {
      const opt = n.args[0];
      if (opt !== undefined && opt !== 'never')
        ctx.diags.error(n, n.keyword, `unknown option '${opt}' (never)`);
      else inst.oldUnicastChecksum = opt === 'never' ? 'never' : 'auto';
    },
    lvs_sync_daemon_interface: (n) => {
      ctx.diags.warn(n, n.keyword, "deprecated in vrrp_instance, use global_defs 'lvs_sync_daemon'");
      const v = n.args[0];
      if (v === undefined) missingArgument(n, ctx);
      else inst.lvsSyncDaemonInterface = v;
    },
    timer_expired_backup: (n) => {
      const v = n.args.length === 0 ? 254 : int(n, ctx, 1, 254);
      if (v !== undefined) inst.timerExpiredBackup = v;
    },
    // the name keepalived 2.4's release notes gave it, accepted with an error
    thread_timer_expired: (n) => {
      ctx.diags.error(
        n,
        n.keyword,
        `(${inst.name}) thread_timer_expired - please replace with keyword 'timer_expired_backup'`,
      );
      const v = n.args.length === 0 ? 254 : int(n, ctx, 1, 254);
      if (v !== undefined) inst.timerExpiredBackup = v;
    },
  };
  const made = { handlers, target: (i: VrrpInstance) => (inst = i) };
  handlerCache.set(ctx, made);
  return made;
}

/** Keywords that ask for unicast: without peers keepalived falls back to multicast, and says so. */
const UNICAST_KEYWORDS = new Set([
  'unicast_src_ip',
  'unicast_peer',
  'check_unicast_src',
  'old_unicast_checksum',
]);

export function buildVrrpInstance(node: ConfigNode, ctx: BuildContext): VrrpInstance | undefined {
  const name = node.args[0];
  if (name === undefined) {
    ctx.diags.error(node, node.keyword, 'missing name');
    return undefined;
  }
  // keepalived wants exactly one word after the keyword, and skips the block otherwise
  if (node.args.length > 1) {
    ctx.diags.error(node, node.keyword, 'vrrp_instance must have a name - skipping the block');
    return undefined;
  }
  const inst = defaultVrrpInstance(name, { file: node.file, line: node.line });
  const h = instanceHandlers(ctx);
  h.target(inst);
  const children = blockChildren(node, ctx);
  walk(children, ctx, withGuardedArguments(h.handlers, ctx), 'vrrp_instance', INSTANCE_DEPRECATED);
  // No state written: keepalived derives it from the priority (the address owner starts as MASTER).
  if (inst.priority === 255 && !children.some((c) => c.keyword === 'state')) inst.state = 'MASTER';
  const unicastAt = children.find((c) => UNICAST_KEYWORDS.has(c.keyword));
  if (unicastAt && inst.unicastPeers.length === 0 && !inst.unicastFaultNoPeer)
    ctx.diags.warn(
      unicastAt,
      unicastAt.keyword,
      `(${name}) a unicast keyword has been specified without any unicast peers: multicast is used (deprecated usage)`,
    );
  // vrrp_parser.c vrrp_end_handler, at the block's `}`: the TTL becomes 0, which keepalived then writes
  // into every IPv4 advert of the instance.
  if (inst.unicastTtl !== undefined && inst.unicastPeers.length === 0) {
    ctx.diags.warn(
      blockEnd(node),
      'unicast_ttl',
      `(${name}): Cannot use unicast_ttl without unicast peers - resetting`,
    );
    inst.unicastTtl = 0;
  }
  readVrf(children, ctx, inst);
  const ifAt = children.filter((c) => c.keyword === 'interface').pop();
  if (ifAt) inst.interfaceLocation = { file: ifAt.file, line: ifAt.line };
  // keepalived refuses the loopback device (hw_type ARPHRD_LOOPBACK: Linux's `lo`), as if no interface
  // was given: only a unicast instance then runs.
  if (ifAt && inst.interface === 'lo') {
    ctx.diags.error(ifAt, 'interface', `(${name}) cannot use a loopback interface (lo) for vrrp - ignoring`);
    inst.interface = undefined;
  }
  if (inst.nativeIpv6) {
    const at = children.find((c) => c.keyword === 'native_ipv6');
    if (at)
      ctx.diags.warn(at, 'native_ipv6', 'deprecated: the address family comes from the virtual addresses');
  }
  if (inst.linkbeatUsePolling) {
    const at = children.find((c) => c.keyword === 'linkbeat_use_polling');
    if (at) ctx.diags.warn(at, 'linkbeat_use_polling', "deprecated keyword, use 'linkbeat_interfaces'");
  }
  return inst;
}

/** `name` is only needed (and only known to keepalived 2.4) when the name could be read as an option. */
function vmacName(name: string): string[] {
  const ambiguous =
    ['name', 'group', 'netlink_notify_msg', 'bridge', 'private', 'vepa'].includes(name) ||
    (/[:.]/.test(name) && /^[0-9a-fA-F:./]+$/.test(name));
  return ambiguous ? ['name', name] : [name];
}

function printUseVmac(v: UseVmac): string {
  const parts = ['use_vmac'];
  if (v.name !== undefined) parts.push(...vmacName(v.name));
  if (v.mac !== undefined) parts.push(v.mac);
  if (v.netlinkNotifyMsg) parts.push('netlink_notify_msg');
  if (v.group !== undefined) parts.push('group', v.group);
  return parts.join(' ');
}

function printUseIpvlan(v: UseIpvlan): string {
  const parts = ['use_ipvlan'];
  if (v.name !== undefined) parts.push(...vmacName(v.name));
  if (v.address !== undefined) parts.push(v.address);
  if (v.mode !== undefined) parts.push(v.mode);
  if (v.group !== undefined) parts.push('group', v.group);
  return parts.join(' ');
}

function block(keyword: string, lines: string[]): string[] {
  return [`${keyword} {`, ...lines.map((l) => `  ${l}`), '}'];
}

/** The instance as keepalived.conf text; every settled value is written explicitly. */
export function printVrrpInstance(
  i: VrrpInstance,
  inherited: VrrpInstance = defaultVrrpInstance(i.name, i.location),
): string[] {
  const body: string[] = [`state ${i.state}`];
  body.push(...printSimple(i, INSTANCE_TABLE, inherited));
  if (i.virtualRouterId !== undefined) body.push(`virtual_router_id ${i.virtualRouterId}`);
  if (i.priority !== 0) body.push(`priority ${i.priority}`);
  body.push(`advert_int ${i.advertInt}`);
  if (i.versionSet) body.push(`version ${i.version}`);
  // keepalived 2.2 takes unicast_src_ip as a sign of unicast mode, so multicast instances say mcast_src_ip.
  if (i.srcIp !== undefined)
    body.push(`${i.unicastPeers.length > 0 ? 'unicast_src_ip' : 'mcast_src_ip'} ${i.srcIp}`);
  if (i.mcastDstIp !== undefined) body.push(`mcast_dst_ip ${i.mcastDstIp}`);
  if (i.unicastPeers.length > 0)
    body.push(
      ...block(
        'unicast_peer',
        i.unicastPeers.map(
          (p) =>
            p.address +
            (p.minTtl !== undefined ? ` min_ttl ${p.minTtl}` : '') +
            (p.maxTtl !== undefined ? ` max_ttl ${p.maxTtl}` : ''),
        ),
      ),
    );
  if (i.useVmac) body.push(printUseVmac(i.useVmac));
  if (i.useIpvlan) body.push(printUseIpvlan(i.useIpvlan));
  if (i.vrf !== undefined) body.push(`vrf ${i.vrf}`);
  if (i.authentication)
    body.push(
      ...block('authentication', [
        `auth_type ${i.authentication.type}`,
        `auth_pass ${quoteWord(i.authentication.password)}`,
      ]),
    );
  if (i.authHmac) {
    const h = i.authHmac;
    const lines = h.keys.map((k) => `key ${k.id} ${quoteWord(k.value)}`);
    if (h.activeKey !== undefined) lines.push(`active_key ${h.activeKey}`);
    lines.push(`anti_replay ${h.antiReplay}`, `mode ${h.mode}`);
    if (h.timeWindow !== undefined) lines.push(`time_window ${h.timeWindow}`);
    body.push(...block('auth_hmac', lines));
  }
  if (i.virtualIpaddresses.length > 0)
    body.push(...block('virtual_ipaddress', i.virtualIpaddresses.map(formatAddressLine)));
  if (i.virtualIpaddressesExcluded.length > 0)
    body.push(...block('virtual_ipaddress_excluded', i.virtualIpaddressesExcluded.map(formatAddressLine)));
  if (i.virtualRoutes.length > 0) body.push(...block('virtual_routes', i.virtualRoutes.map(formatRouteLine)));
  if (i.virtualRules.length > 0) body.push(...block('virtual_rules', i.virtualRules.map(formatRuleLine)));
  body.push(...printTrackers(i.track));
  const defaultAccept = i.strictMode ? i.priority === 255 : true;
  if (i.accept !== undefined && i.accept !== defaultAccept) body.push(i.accept ? 'accept' : 'no_accept');
  if (!i.preempt) body.push('nopreempt');
  if (i.preemptDelay !== 0) body.push(`preempt_delay ${i.preemptDelay}`);
  if (i.garpExtraIf && JSON.stringify(i.garpExtraIf) !== JSON.stringify(inherited.garpExtraIf))
    body.push(`garp_extra_if ${i.garpExtraIf.all ? 'all ' : ''}${i.garpExtraIf.interval}`);
  if (i.oldUnicastChecksum !== undefined)
    body.push(i.oldUnicastChecksum === 'never' ? 'old_unicast_checksum never' : 'old_unicast_checksum');
  if (i.timerExpiredBackup !== undefined) body.push(`timer_expired_backup ${i.timerExpiredBackup}`);
  body.push(...printNotify(i.notify));
  return block(`vrrp_instance ${i.name}`, body);
}
