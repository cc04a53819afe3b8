// The engine's own, fully resolved view of the configuration. A mapper from the config model fills these;
// the engine never reads keepalived.conf. Every time is in milliseconds, every default already applied.

import type { AuthType, IpFamily, VrrpVersion } from '../advert.js';
import type { RouteSpec } from '../../config/model/static/routes.js';
import type { RuleSpec } from '../../config/model/static/rules.js';

export type { RouteSpec } from '../../config/model/static/routes.js';
export type { RuleSpec } from '../../config/model/static/rules.js';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

/** A virtual address (the daemon finds the address line, with its scope, label..., by `address`). */
export interface VipSpec {
  address: string;
  prefix: number;
  /** Interface the address lives on; the instance's interface when absent. */
  ifname?: string;
  /** `ifname` is a VMAC made for such addresses (use_vmac_addr): garp_extra_if announces there even
   * without `all`. */
  addressVmac?: true;
}

/** A link this instance depends on. weight 0: link down faults the instance; otherwise it moves priority. */
export interface TrackInterfaceSpec {
  ifname: string;
  weight: number;
  reverse: boolean;
}

/** A reference from an instance or group to a named tracker (vrrp_script, vrrp_track_file, vrrp_track_process).
 * `weight` overrides the tracker's own weight when present. */
export interface TrackRefSpec {
  name: string;
  weight?: number;
  reverse?: boolean;
}

/** vrrp_script: the engine says when it is due (run-script action); results come back as events. */
export interface ScriptSpec {
  name: string;
  /** Passthrough for the daemon (command line, user). */
  command?: string;
  /** `user USER [GROUP]` of the vrrp_script: the script runs as them instead of script_user. */
  user?: string;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive successes needed to go from failed to ok (keepalived default 1). */
  rise: number;
  /** Consecutive failures needed to go from ok to failed (keepalived default 1). */
  fall: number;
  weight: number;
  reverse: boolean;
  /** keepalived `init_fail`: start in the failed state instead of ok-pending. */
  initFail?: boolean;
}

/** vrrp_track_file: the daemon reads the file and reports its integer value. */
export interface TrackFileSpec {
  name: string;
  weight: number;
  reverse: boolean;
  /** Value assumed before the first report (keepalived: 0 unless init_file says otherwise). */
  initialValue?: number;
}

/** vrrp_track_process: the daemon watches processes and reports whether the quorum runs. */
export interface TrackProcessSpec {
  name: string;
  weight: number;
  reverse: boolean;
}

/** Gratuitous ARP / unsolicited NA scheduling for one instance. */
export interface GarpSpec {
  /** Delay before the second burst after becoming MASTER (0 = no second burst). keepalived default 5 s. */
  masterDelayMs: number;
  /** Packets per address per burst. keepalived default 5. */
  masterRepeat: number;
  /** Period of refresh bursts while MASTER (0 = off, the default). */
  masterRefreshMs: number;
  /** Packets per address per refresh burst. keepalived default 1. */
  masterRefreshRepeat: number;
  /** Delay of the second burst after a lower-priority advert was received while MASTER (0 = none). */
  lowerPrioDelayMs: number;
  /** Packets per address sent when a lower-priority advert is received while MASTER (0 = off). */
  lowerPrioRepeat: number;
  /** Pacing between consecutive gratuitous ARPs (vrrp_garp_interval; 0 = back to back). */
  garpIntervalMs: number;
  /** Pacing between consecutive unsolicited NAs (vrrp_gna_interval; 0 = back to back). */
  gnaIntervalMs: number;
  /** garp_extra_if: while MASTER, every this often (checked at each advert) one gratuitous ARP / NA on
   * each interface other than the instance's that holds one of its addresses (0 or absent = off). */
  extraIfIntervalMs?: number;
  /** garp_extra_if `all`: any other interface counts, not only VMACs keepalived created for VIPs. */
  extraIfAll?: boolean;
}

/** A garp_group: interfaces sharing one spacing between their gratuitous ARPs, and one between their NAs.
 * An absent interval leaves that family unpaced on these interfaces. */
export interface GarpGroupSpec {
  interfaces: string[];
  garpIntervalMs?: number;
  gnaIntervalMs?: number;
}

/** Notify scripts: strings passed back verbatim in notify actions. */
/** A notify script's command line and the user (and group) it runs as (unset: the default script user). */
export interface NotifyCommand {
  command: string;
  user?: string;
  group?: string;
}

export interface NotifySpec {
  master?: NotifyCommand;
  backup?: NotifyCommand;
  fault?: NotifyCommand;
  stop?: NotifyCommand;
  deleted?: NotifyCommand;
  /** The generic `notify` script, called for every state with the state as an argument. */
  generic?: NotifyCommand;
  masterRxLowerPri?: NotifyCommand;
}

export interface InstanceSpec {
  name: string;
  /** The interface it runs on; '' for none (unicast with unicast_src_ip, as keepalived 2.4.3 runs it). */
  interface: string;
  family: IpFamily;
  vrid: number;
  version: VrrpVersion;
  /** Configured (base) priority 1..255; 255 makes this the address owner. */
  priority: number;
  /** `state MASTER` / `state BACKUP` in the config. MASTER only counts for the address owner (priority 255),
   * which then takes over at once; any other instance starts exactly as BACKUP (keepalived 2.2.7). */
  initialState: 'MASTER' | 'BACKUP';
  advertIntervalCs: number;
  addresses: VipSpec[];
  excludedAddresses: VipSpec[];
  /** virtual_routes / virtual_rules as written: the engine only says when to add or remove them. */
  routes: RouteSpec[];
  rules: RuleSpec[];
  /** Our primary address (mcast_src_ip / unicast_src_ip, else the interface's first address, filled in by the
   * daemon). Used as the advert source and for the equal-priority tie-break; without it ties compare equal. */
  sourceAddress?: string;
  /** Unicast peers; multicast when empty. */
  unicastPeers: string[];
  /** false when `nopreempt` is set. */
  preempt: boolean;
  /** keepalived 2.4 `timer_expired_backup`: the highest priority of the other routers; a MASTER whose timers
   * ran late past their takeover goes to BACKUP (timer-expired-backup.ts). Only with nopreempt. */
  timerExpiredBackup?: number;
  preemptDelayMs: number;
  accept: boolean;
  authType: AuthType;
  authPass?: string;
  trackInterfaces: TrackInterfaceSpec[];
  trackScripts: TrackRefSpec[];
  trackFiles: TrackRefSpec[];
  trackProcesses: TrackRefSpec[];
  /** track_bfd: bfd_instance sessions, reported by the BFD child (absent: none). */
  trackBfds?: TrackRefSpec[];
  garp: GarpSpec;
  /** keepalived `dont_track_primary`: a down instance interface does not fault the instance. */
  dontTrackPrimary?: boolean;
  /** The other interfaces its addresses go on (a `dev`, an address VMAC), for those without no_track: a
   * down one faults the instance, as keepalived's TRACK_ADDR does. */
  addressInterfaces?: string[];
  /** keepalived `down_timer_adverts`: adverts missed before the master is declared down (default 3). */
  downTimerAdverts?: number;
  /** Do not answer a lower-priority advert with an advert of our own while MASTER. */
  lowerPrioNoAdvert: boolean;
  /** While MASTER, send an advert of our own before yielding to a higher-priority advert (keepalived
   * higher_prio_send_advert). */
  higherPrioSendAdvert: boolean;
  notify: NotifySpec;
  skipCheckAdvAddr: boolean;
  strict: boolean;
  useVmac: boolean;
  /** notify_priority_changes: each change of the effective priority is written to the notify FIFOs. */
  notifyPriorityChanges?: boolean;
  /** A notify FIFO is configured: events without a script (MASTER_RX_LOWER_PRI) are still reported. */
  notifyFifo?: boolean;
  /** keepalived's num_config_faults: a configuration the instance cannot run with (this message is logged
   * at start). It stays in FAULT for good, whatever its trackers say. */
  configFault?: string;
  /** keepalived 2.4 owner_ignore_adverts: while its effective priority is 255, the instance drops every
   * advert it receives (before counting it). */
  ownerIgnoreAdverts?: boolean;
}

export interface SyncGroupSpec {
  name: string;
  members: string[];
  notify: NotifySpec;
  /** keepalived `sync_group_tracking_weight`. Without it, members' weighted tracked interfaces count as
   * unweighted (down = FAULT) and weighted scripts, files and processes are not tracked at all. */
  trackingWeight?: boolean;
  trackInterfaces: TrackInterfaceSpec[];
  trackScripts: TrackRefSpec[];
  trackFiles: TrackRefSpec[];
  trackProcesses: TrackRefSpec[];
  trackBfds?: TrackRefSpec[];
}

/** A bfd_instance as the VRRP side sees it: its default weight for track_bfd. */
export interface TrackBfdSpec {
  name: string;
  weight: number;
  reverse: boolean;
}

export interface EngineSpec {
  instances: InstanceSpec[];
  syncGroups: SyncGroupSpec[];
  scripts: ScriptSpec[];
  trackFiles: TrackFileSpec[];
  trackProcesses: TrackProcessSpec[];
  /** Links known to be down at start (the daemon reports changes with link events). Default: all up. */
  linksDown?: string[];
  /** Instances with no address to speak from at start (the daemon reports changes with source-address
   * events). Default: none. */
  withoutSource?: string[];
  /** Tracked processes without quorum at start. Default: all running. */
  processesDown?: string[];
  /** bfd_instances that track_bfd may name. */
  bfds?: TrackBfdSpec[];
  /** BFD sessions known to be Up at start. Default: all down, as keepalived until the BFD child reports. */
  bfdsUp?: string[];
  /** vrrp_startup_delay: a BACKUP's master-down timer armed before start + this counts from its end. */
  startupDelayMs?: number;
  /** garp_group blocks, in configuration order (an interface belongs to the first that names it). */
  garpGroups?: GarpGroupSpec[];
}

/** The notify scripts for a state, in the order keepalived runs them: the state's own, then `notify`. */
export function notifyScripts(notify: NotifySpec, state: VrrpState): NotifyCommand[] {
  const byState: Partial<Record<VrrpState, NotifyCommand | undefined>> = {
    MASTER: notify.master,
    BACKUP: notify.backup,
    FAULT: notify.fault,
    STOP: notify.stop,
  };
  return [byState[state], notify.generic].filter((s): s is NotifyCommand => s !== undefined);
}

/** keepalived's defaults for GARP scheduling. */
export const DEFAULT_GARP: GarpSpec = {
  masterDelayMs: 5000,
  masterRepeat: 5,
  masterRefreshMs: 0,
  masterRefreshRepeat: 1,
  lowerPrioDelayMs: 5000,
  lowerPrioRepeat: 5,
  garpIntervalMs: 0,
  gnaIntervalMs: 0,
};

/** A complete instance spec with keepalived's defaults, overridden by `partial`. Handy for tests and the mapper. */
export function instanceSpec(
  partial: Partial<InstanceSpec> & Pick<InstanceSpec, 'name' | 'vrid'>,
): InstanceSpec {
  return {
    interface: 'eth0',
    family: 4,
    version: 2,
    priority: 100,
    initialState: 'BACKUP',
    advertIntervalCs: 100,
    addresses: [],
    excludedAddresses: [],
    routes: [],
    rules: [],
    unicastPeers: [],
    preempt: true,
    preemptDelayMs: 0,
    accept: false,
    authType: 'none',
    trackInterfaces: [],
    trackScripts: [],
    trackFiles: [],
    trackProcesses: [],
    garp: { ...DEFAULT_GARP },
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    notify: {},
    skipCheckAdvAddr: false,
    strict: false,
    useVmac: false,
    ...partial,
  };
}
