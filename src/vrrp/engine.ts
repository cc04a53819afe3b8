// The sans-I/O VRRP engine: every instance, tracker and sync group of one router. Time (monotonic ms) and
// events come in through handle(); what the daemon must do comes out as actions. No clocks, no sockets.

import type { Advert, AdvertDropReason, IpFamily, ReceivedAdvert } from './advert.js';
import type { EngineSpec, InstanceSpec, NotifySpec, RouteSpec, RuleSpec, VipSpec, VrrpState } from './spec.js';

export type { VrrpState } from './spec.js';

export type EngineEvent =
  /** Begin: instances leave INIT. */
  | { type: 'start' }
  /** Fire everything due at `now`. */
  | { type: 'timer' }
  /** A decoded advert from the wire. The engine finds the instance by interface, family and VRID. */
  | { type: 'advert'; received: ReceivedAdvert }
  /** A packet the codec dropped before it became an advert; counted in the instance's statistics. */
  | { type: 'advert-dropped'; ifname: string; family: IpFamily; vrid?: number; reason: AdvertDropReason }
  | { type: 'link'; ifname: string; up: boolean }
  /** A vrrp_script finished: ok is exit status 0 (a timeout is not ok). */
  | { type: 'script-result'; name: string; ok: boolean; exitStatus?: number }
  | { type: 'file-value'; name: string; value: number }
  | { type: 'process'; name: string; running: boolean }
  /** Stop everything: MASTERs send priority 0 and release their addresses. */
  | { type: 'shutdown' }
  /** Replace the configuration: kept instances keep their state, removed ones stop, new ones start. */
  | { type: 'reload'; spec: EngineSpec };

export type NotifyKind = 'INSTANCE' | 'GROUP';
export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error';

export type Action =
  | {
      type: 'send-advert';
      instance: string;
      ifname: string;
      family: IpFamily;
      /** Configured source address, if any (else the daemon uses the interface's primary address). */
      source?: string;
      to: 'multicast' | string[];
      advert: Advert;
    }
  | { type: 'add-addresses'; instance: string; ifname: string; addresses: VipSpec[] }
  | { type: 'remove-addresses'; instance: string; ifname: string; addresses: VipSpec[] }
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
      scripts: string[];
    }
  | { type: 'state-change'; instance: string; from: VrrpState; to: VrrpState; reason: string }
  | { type: 'log'; level: LogLevel; message: string }
  /** A vrrp_script is due: run it and report a script-result event. */
  | { type: 'run-script'; name: string; timeoutMs: number };

/** Per-instance counters, named like keepalived's statistics (vrrp.stats / SNMP). */
export interface InstanceCounters {
  advert_rcvd: number;
  advert_sent: number;
  become_master: number;
  release_master: number;
  pri_zero_rcvd: number;
  pri_zero_sent: number;
  /** Drops by reason (AdvertDropReason keys). */
  dropped: Partial<Record<AdvertDropReason, number>>;
}

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

/** Extra per-advert check supplied by the codec layer (validate.ts): returns why to drop, or undefined. */
export type AdvertValidator = (instance: InstanceSpec, received: ReceivedAdvert) => AdvertDropReason | undefined;

export interface EngineOptions {
  validate?: AdvertValidator;
}

export class Engine {
  private spec: EngineSpec;
  private readonly options: EngineOptions;

  constructor(spec: EngineSpec, options: EngineOptions = {}) {
    this.spec = spec;
    this.options = options;
  }

  /** Feed one event at monotonic time `now` (ms); returns the actions to perform, in order. */
  handle(_now: number, _event: EngineEvent): Action[] {
    void this.options;
    return [];
  }

  /** The earliest time a `timer` event is needed, or undefined when nothing is scheduled. */
  nextDeadline(): number | undefined {
    return undefined;
  }

  snapshot(): EngineSnapshot {
    return { instances: [], groups: this.spec.syncGroups.map((g) => ({ name: g.name, state: 'INIT', members: g.members })) };
  }
}

/** The notify scripts for a state, in the order keepalived runs them. */
export function notifyScripts(notify: NotifySpec, state: VrrpState): string[] {
  const specific =
    state === 'MASTER'
      ? notify.master
      : state === 'BACKUP'
        ? notify.backup
        : state === 'FAULT'
          ? notify.fault
          : state === 'STOP'
            ? notify.stop
            : undefined;
  return [specific, notify.generic].filter((s): s is string => s !== undefined);
}
