// What goes into the VRRP engine (events) and what comes out (actions, snapshots). Its own file so that
// every part of the engine can name them without importing the engine itself.
import type { Advert, AdvertDropReason, IpFamily, ReceivedAdvert } from '../advert.js';
import type { EngineSpec, NotifyCommand, RouteSpec, RuleSpec, VipSpec, VrrpState } from './spec.js';
import type { VrrpStats } from './stats.js';
import type { HandoverState } from './handover.js';

export type EngineEvent =
  /** Begin: instances leave INIT. */
  | { type: 'start' }
  /** Fire everything due at `now`. */
  | { type: 'timer' }
  /** With periodic adverts armed (EngineOptions.periodicAdverts 'arm'): the driver sent the instance's
   * armed periodic advert; `now` is when it left. The engine does the timer's bookkeeping for it. */
  | { type: 'advert-sent'; instance: string }
  /** A received advert the wire layer accepted for an instance (vrrp/wire/reception.ts judged it as
   * keepalived's vrrp_check_packet does). The engine finds the instance by interface, family and VRID.
   * `notes`: problems the validation counted but accepted (keepalived's addr_list_err). */
  | { type: 'advert'; received: ReceivedAdvert; notes?: readonly AdvertDropReason[] }
  /** A packet the wire layer dropped (malformed, or refused by the instance's validation); counted in the
   * instance's statistics. */
  | {
      type: 'advert-dropped';
      ifname: string;
      family: IpFamily;
      vrid?: number;
      /** The sender, when known: tells apart unicast instances sharing the VRID. */
      source?: string;
      reason: AdvertDropReason;
    }
  /** `via`: the daemon polled the link (linkbeat) and said so; netlink's own line is not logged then. */
  | { type: 'link'; ifname: string; up: boolean; via?: 'linkbeat' }
  /** The daemon's timers fired `lateMs` late (keepalived's scheduler check, with min_auto_priority_delay):
   * sent before the late timer's own event, for timer_expired_backup (timer-expired-backup.ts). */
  | { type: 'timers-late'; lateMs: number }
  /** A vrrp_script finished: ok is exit status 0 (a timeout is not ok). */
  | { type: 'script-result'; name: string; ok: boolean; exitStatus?: number }
  | { type: 'file-value'; name: string; value: number }
  | { type: 'process'; name: string; running: boolean }
  /** A bfd_instance session went Up or fell Down (from the BFD child). */
  | { type: 'bfd'; name: string; up: boolean }
  /** Someone else deleted a VIP of this instance from the interface (keepalived's address_is_ours). */
  | { type: 'vip-removed'; instance: string; address: string }
  /** An instance without a configured source address got (or lost) an address to send adverts from. */
  | { type: 'source-address'; instance: string; present: boolean }
  /** Stop everything: MASTERs send priority 0 and release their addresses. */
  | { type: 'shutdown' }
  /** One round of gratuitous ARPs / unsolicited NAs for the instance's addresses if they are set (DBus's
   * SendGarp: keepalived's vrrp_send_link_update with one repeat). */
  | { type: 'send-garp-now'; instance: string }
  /** Replace the configuration: kept instances keep their state, removed ones stop, new ones start. */
  | { type: 'reload'; spec: EngineSpec }
  /** Planned handover of a MASTER instance and its sync group (handover.ts); `to`: the one unicast peer to
   * tell; `holdMs`: how long to hold BACKUP afterwards (absent: until handover-release or a reload). */
  | { type: 'handover'; instance: string; to?: string; holdMs?: number }
  /** End a handover's hold (or give up one still releasing). */
  | { type: 'handover-release'; instance: string };

export type NotifyKind = 'INSTANCE' | 'GROUP';
export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error';

/** One advert to send now: to the multicast group or to each unicast peer. */
export interface SendAdvertAction {
  type: 'send-advert';
  instance: string;
  ifname: string;
  family: IpFamily;
  /** Configured source address, if any (else the daemon uses the interface's primary address). */
  source?: string;
  to: 'multicast' | string[];
  advert: Advert;
}

/** With EngineOptions.periodicAdverts 'arm': from `at` on, the driver sends `send` every `periodMs` (until
 * re-armed or disarmed) and reports each one with an advert-sent event. A new arm replaces the last one. */
export interface ArmPeriodicAdvertAction {
  type: 'arm-periodic-advert';
  instance: string;
  at: number;
  periodMs: number;
  send: SendAdvertAction;
}

/** VIPs (or eVIPs) of one interface go in or out. keepalived logs "setting VIPs." / "setting E-VIPs." once
 * per list: `continued` marks another interface's share of the list the previous action began. */
export interface AddressesAction {
  type: 'add-addresses' | 'remove-addresses';
  instance: string;
  ifname: string;
  addresses: VipSpec[];
  excluded?: true;
  continued?: true;
}

export type Action =
  | SendAdvertAction
  | ArmPeriodicAdvertAction
  /** The armed periodic adverts stop: the instance left MASTER, or is about to send one of its own (the
   * driver must not send an older advert after it). */
  | { type: 'disarm-periodic-advert'; instance: string }
  | AddressesAction
  | { type: 'add-routes'; instance: string; routes: RouteSpec[] }
  | { type: 'remove-routes'; instance: string; routes: RouteSpec[] }
  | { type: 'add-rules'; instance: string; rules: RuleSpec[] }
  | { type: 'remove-rules'; instance: string; rules: RuleSpec[] }
  /** One gratuitous ARP (IPv4) or unsolicited NA (IPv6) per listed address; bursts are paced by the engine. */
  | { type: 'send-garp'; instance: string; ifname: string; family: IpFamily; addresses: string[] }
  | {
      type: 'notify';
      name: string;
      kind: NotifyKind;
      state: VrrpState;
      priority: number;
      /** Scripts to run, in order: the state-specific one then the generic `notify` one. */
      scripts: NotifyCommand[];
      /** Not a state change but keepalived's event: notify_master_rx_lower_pri (its script only, and the
       * event's name on the notify FIFOs). */
      event?: 'MASTER_RX_LOWER_PRI';
    }
  /** notify_priority_changes: the effective priority changed (keepalived writes it to the notify FIFOs
   * only, as MASTER_PRIORITY for a MASTER, BACKUP_PRIORITY in any other state). */
  | { type: 'priority-change'; instance: string; state: VrrpState; priority: number }
  | { type: 'state-change'; instance: string; from: VrrpState; to: VrrpState; reason: string }
  /** `repeats`: a message that comes per packet; the driver may rate-limit those of one kind (the value). */
  | { type: 'log'; level: LogLevel; message: string; repeats?: string }
  /** A vrrp_script is due: run it and report a script-result event. */
  | { type: 'run-script'; name: string; timeoutMs: number };

/** Per-instance counters under keepalived's names (see stats.ts). */
export type InstanceCounters = VrrpStats;

export interface InstanceSnapshot {
  name: string;
  state: VrrpState;
  /** keepalived's wantstate: what the instance is heading for (e.g. BACKUP while FAULT). */
  wantState: VrrpState;
  basePriority: number;
  effectivePriority: number;
  /** Advert interval (cs) of the current master, learned from adverts in v3. */
  masterAdvertIntervalCs: number;
  masterAddress?: string;
  masterPriority?: number;
  /** Names of trackers currently faulting this instance. */
  faults: string[];
  syncGroup?: string;
  counters: InstanceCounters;
  /** A planned handover under way or held (engine times). */
  handover?: HandoverState;
}

export interface GroupSnapshot {
  name: string;
  state: VrrpState;
  members: string[];
}

export interface EngineSnapshot {
  instances: InstanceSnapshot[];
  groups: GroupSnapshot[];
}
