// The /status document (docs/status.schema.json, version STATUS_SCHEMA_VERSION): every instance with its
// state, priorities (base, effective, each tracker's part), master, timers, VIPs and keepalived's
// counters; sync groups; BFD sessions; virtual and real servers (the checker child's report); the recent
// transitions with their reasons. Built from what the VRRP child holds; pure, and chosen field by field,
// so that no secret of the configuration (auth_pass, auth_hmac keys, SMTP, the token) can appear in it.
import type { SplitBrainStatus, TakeoverTiming } from './failover.js';
import type { EngineSnapshot, InstanceSnapshot } from '../vrrp/engine/events.js';
import type { InstanceSpec, VipSpec, VrrpState } from '../vrrp/engine/spec.js';
import type { VrrpStats } from '../vrrp/engine/stats.js';
import type { TrackerContribution } from '../vrrp/engine/trackers.js';
import type { CheckerReport, VirtualServerStatus } from './checker-status.js';
import type { StatusEvent } from './events.js';

export const STATUS_SCHEMA_VERSION = 3;

/** Transitions shown in /status (the full recent history is /events). */
export const RECENT_TRANSITIONS = 50;

export interface VipStatus {
  address: string;
  prefix: number;
  interface: string;
}

export interface InstanceStatus {
  name: string;
  interface: string;
  vrid: number;
  version: 2 | 3;
  family: 4 | 6;
  state: VrrpState;
  wantState: VrrpState;
  priority: { base: number; effective: number; trackers: TrackerContribution[] };
  /** The master as this router knows it: itself when MASTER, else the last one heard (if any). */
  master: { self: boolean; address?: string; priority?: number };
  timers: {
    advertIntervalMs: number;
    /** The master's advert interval (VRRPv3 learns it from adverts). */
    masterAdvertIntervalMs: number;
    masterDownIntervalMs: number;
    preemptDelayMs: number;
    /** When the instance's protocol timer fires next, from now (absent: none armed). */
    nextTimerInMs?: number;
  };
  preempt: boolean;
  vips: VipStatus[];
  excludedVips: VipStatus[];
  /** Trackers holding the instance in FAULT ("kind:name"). */
  faults: string[];
  syncGroup?: string;
  lastTransition?: { at: string; from: VrrpState; to: VrrpState; reason: string };
  /** The last BACKUP -> MASTER of this instance, with its timing. */
  lastTakeover?: TakeoverTiming;
  /** The split brain under way (active), or the last one (healed). */
  splitBrain?: SplitBrainStatus;
  /** A planned handover under way (releasing: MASTER, priority 0 sent, VIPs kept until the new master
   * advertises) or its hold (held: BACKUP, not preempting); absent otherwise. */
  handover?: HandoverStatus;
  /** keepalived's statistic names (/tmp/keepalived.stats, the JSON dump). */
  counters: VrrpStats;
}

export interface HandoverStatus {
  phase: 'releasing' | 'held';
  requestedAt: string;
  /** The one unicast peer told (keepalived-ts handover --to). */
  to?: string;
  /** held: the router whose advert completed the handover (absent: the release timed out). */
  newMaster?: string;
  /** releasing: when the VIPs go even without a new master, from now. */
  deadlineInMs?: number;
  /** held: when the hold ends by itself, from now (absent: until released or reloaded). */
  holdEndsInMs?: number;
}

export interface StatusDocument {
  schemaVersion: typeof STATUS_SCHEMA_VERSION;
  generatedAt: string;
  daemon: {
    implementation: 'keepalived-ts';
    version: string;
    pid: number;
    startedAt: string;
    routerId?: string;
  };
  instances: InstanceStatus[];
  syncGroups: Array<{ name: string; state: VrrpState; members: string[] }>;
  bfd: Array<{ name: string; up: boolean }>;
  /** From the checker child; absent when no checker child reported (none runs, or not yet). */
  checker?: { reportedAt: string; truncated: number };
  virtualServers: VirtualServerStatus[];
  /** Oldest first, with their sequence numbers (the ids of /events). */
  transitions: Array<Extract<StatusEvent, { type: 'state-change' }>>;
}

export interface InstanceDetail {
  trackers: TrackerContribution[];
  /** Monotonic ms. */
  timerAt?: number;
  masterDownIntervalMs: number;
}

export interface StatusInput {
  snapshot: EngineSnapshot;
  specs: ReadonlyMap<string, InstanceSpec>;
  detail: (instance: string) => InstanceDetail | undefined;
  /** Monotonic now (ms), the clock of `timerAt`. */
  now: number;
  /** Wall-clock now (ISO 8601). */
  generatedAt: string;
  daemon: StatusDocument['daemon'];
  bfd: ReadonlyMap<string, boolean>;
  checker?: CheckerReport;
  transitions: StatusEvent[];
  /** Each instance's last takeover and split brain (daemon/vrrp/failover-reporter.ts). */
  takeovers?: ReadonlyMap<string, TakeoverTiming>;
  splitBrains?: ReadonlyMap<string, SplitBrainStatus>;
}

function vip(spec: InstanceSpec, v: VipSpec): VipStatus {
  return { address: v.address, prefix: v.prefix, interface: v.ifname ?? spec.interface };
}

function instanceStatus(
  snap: InstanceSnapshot,
  spec: InstanceSpec,
  input: StatusInput,
  last: Extract<StatusEvent, { type: 'state-change' }> | undefined,
): InstanceStatus {
  const d = input.detail(snap.name);
  const self = snap.state === 'MASTER';
  const master: InstanceStatus['master'] = self
    ? {
        self,
        ...(spec.sourceAddress !== undefined ? { address: spec.sourceAddress } : {}),
        priority: snap.effectivePriority,
      }
    : {
        self,
        ...(snap.masterAddress !== undefined ? { address: snap.masterAddress } : {}),
        ...(snap.masterPriority !== undefined ? { priority: snap.masterPriority } : {}),
      };
  const out: InstanceStatus = {
    name: snap.name,
    interface: spec.interface,
    vrid: spec.vrid,
    version: spec.version,
    family: spec.family,
    state: snap.state,
    wantState: snap.wantState,
    priority: { base: snap.basePriority, effective: snap.effectivePriority, trackers: d?.trackers ?? [] },
    master,
    timers: {
      advertIntervalMs: spec.advertIntervalCs * 10,
      masterAdvertIntervalMs: snap.masterAdvertIntervalCs * 10,
      masterDownIntervalMs: d?.masterDownIntervalMs ?? 0,
      preemptDelayMs: spec.preemptDelayMs,
      ...(d?.timerAt !== undefined ? { nextTimerInMs: Math.max(0, Math.round(d.timerAt - input.now)) } : {}),
    },
    preempt: spec.preempt,
    vips: spec.addresses.map((v) => vip(spec, v)),
    excludedVips: spec.excludedAddresses.map((v) => vip(spec, v)),
    faults: [...snap.faults],
    counters: { ...snap.counters },
  };
  if (snap.syncGroup !== undefined) out.syncGroup = snap.syncGroup;
  if (last !== undefined)
    out.lastTransition = { at: last.at, from: last.from, to: last.to, reason: last.reason };
  const takeover = input.takeovers?.get(snap.name);
  if (takeover !== undefined) out.lastTakeover = takeover;
  const splitBrain = input.splitBrains?.get(snap.name);
  if (splitBrain !== undefined) out.splitBrain = splitBrain;
  const h = snap.handover;
  if (h !== undefined) {
    const inMs = (at: number): number => Math.max(0, Math.round(at - input.now));
    out.handover = {
      phase: h.phase,
      requestedAt: new Date(Date.parse(input.generatedAt) - (input.now - h.requestedAt)).toISOString(),
      ...(h.to !== undefined ? { to: h.to } : {}),
      ...(h.newMaster !== undefined ? { newMaster: h.newMaster } : {}),
      ...(h.phase === 'releasing' ? { deadlineInMs: inMs(h.deadline) } : {}),
      ...(h.holdUntil !== undefined ? { holdEndsInMs: inMs(h.holdUntil) } : {}),
    };
  }
  return out;
}

const stateChanges = (input: StatusInput): Array<Extract<StatusEvent, { type: 'state-change' }>> =>
  input.transitions.filter(
    (e): e is Extract<StatusEvent, { type: 'state-change' }> => e.type === 'state-change',
  );

/** The document's instances one at a time, so that a caller may spread thousands over several turns of
 * its event loop (the daemon does: see daemon/vrrp/status-service.ts). */
export function* statusInstances(input: StatusInput): Generator<InstanceStatus> {
  const lastOf = new Map<string, Extract<StatusEvent, { type: 'state-change' }>>();
  for (const t of stateChanges(input)) lastOf.set(t.instance, t);
  for (const snap of input.snapshot.instances) {
    const spec = input.specs.get(snap.name);
    if (spec !== undefined) yield instanceStatus(snap, spec, input, lastOf.get(snap.name));
  }
}

export function buildStatus(input: StatusInput): StatusDocument {
  return assembleStatus(input, [...statusInstances(input)]);
}

/** The document around instances built by statusInstances(). */
export function assembleStatus(input: StatusInput, instances: InstanceStatus[]): StatusDocument {
  const transitions = stateChanges(input);
  const doc: StatusDocument = {
    schemaVersion: STATUS_SCHEMA_VERSION,
    generatedAt: input.generatedAt,
    daemon: input.daemon,
    instances,
    syncGroups: input.snapshot.groups.map((g) => ({ name: g.name, state: g.state, members: [...g.members] })),
    bfd: [...input.bfd].map(([name, up]) => ({ name, up })).sort((a, b) => a.name.localeCompare(b.name)),
    virtualServers: input.checker?.virtualServers ?? [],
    transitions: transitions.slice(-RECENT_TRANSITIONS),
  };
  if (input.checker !== undefined)
    doc.checker = { reportedAt: input.checker.at, truncated: input.checker.truncated };
  return doc;
}
