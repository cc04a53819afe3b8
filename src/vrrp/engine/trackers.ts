// Trackers: what the outside world (links, vrrp_scripts, track files, processes) says about an instance.
// Each tracked object either moves the instance's priority (weighted) or faults it (weight 0), the way
// keepalived's vrrp_track.c does. Rather than keepalived's running sums we recompute the whole picture from
// the current world state; the result is the same numbers without the bookkeeping.

import type {
  InstanceSpec,
  ScriptSpec,
  SyncGroupSpec,
  TrackBfdSpec,
  TrackFileSpec,
  TrackProcessSpec,
} from './spec.js';

export type ScriptStatus = 'init' | 'ok' | 'failed';

/** A vrrp_script's rise/fall state. keepalived keeps one counter in 0..rise+fall-1: the script is good when
 * the counter is at least `rise`; a success below rise-1 only counts up, a failure above `rise` only counts
 * down, and crossing the threshold jumps to the far end. Before the first result the script is 'init'. */
export class ScriptTracker {
  private counter: number;
  status: ScriptStatus;

  constructor(readonly spec: ScriptSpec) {
    if (spec.initFail) {
      this.counter = 0;
      this.status = 'failed';
    } else {
      // One result of either kind decides the first status.
      this.counter = Math.max(0, spec.rise - 1);
      this.status = 'init';
    }
  }

  /** Carry the state of the same script across a reload, clamped to the new rise/fall range. */
  adopt(old: ScriptTracker): void {
    this.status = old.status;
    const top = this.spec.rise + this.spec.fall - 1;
    if (old.status === 'ok') this.counter = Math.max(this.spec.rise, Math.min(old.counter, top));
    else if (old.status === 'failed') this.counter = Math.min(old.counter, this.spec.rise - 1);
  }

  /** Record one run's outcome; returns true when the status changed. */
  report(ok: boolean): boolean {
    const { rise, fall } = this.spec;
    const top = rise + fall - 1;
    const before = this.status;
    if (ok) {
      if (this.counter < rise - 1) this.counter++;
      else {
        this.counter = top;
        this.status = 'ok';
      }
    } else {
      if (this.counter > rise && this.status !== 'init') this.counter--;
      else {
        this.counter = 0;
        this.status = 'failed';
      }
    }
    // A success that does not yet reach `rise` leaves an 'init' script undecided only if rise > 1.
    if (before === 'init' && ok && this.status === 'init') return false;
    return before !== this.status;
  }
}

/** Everything trackers can observe. Links default to up; processes default to running. */
export class TrackerWorld {
  readonly linksDown = new Set<string>();
  readonly scripts = new Map<string, ScriptTracker>();
  readonly fileValues = new Map<string, number>();
  readonly processesDown = new Set<string>();
  readonly fileSpecs = new Map<string, TrackFileSpec>();
  readonly processSpecs = new Map<string, TrackProcessSpec>();
  /** BFD sessions currently Up (reported by the BFD child); a session not in here counts as down. */
  readonly bfdsUp = new Set<string>();
  readonly bfdSpecs = new Map<string, TrackBfdSpec>();
  /** Instances with no address to send adverts from (none configured, none on the interface): keepalived
   * holds them in FAULT until one appears ("no IPv4 address for interface"). */
  readonly withoutSource = new Set<string>();

  constructor(
    scripts: ScriptSpec[],
    files: TrackFileSpec[],
    processes: TrackProcessSpec[],
    linksDown: string[] = [],
    processesDown: string[] = [],
    bfds: TrackBfdSpec[] = [],
    bfdsUp: string[] = [],
  ) {
    for (const b of bfds) this.bfdSpecs.set(b.name, b);
    for (const b of bfdsUp) this.bfdsUp.add(b);
    for (const s of scripts) this.scripts.set(s.name, new ScriptTracker(s));
    for (const f of files) {
      this.fileSpecs.set(f.name, f);
      this.fileValues.set(f.name, f.initialValue ?? 0);
    }
    for (const p of processes) this.processSpecs.set(p.name, p);
    for (const l of linksDown) this.linksDown.add(l);
    for (const p of processesDown) this.processesDown.add(p);
  }
}

export type TrackerKind = 'interface' | 'script' | 'file' | 'process' | 'bfd';

/** One tracked object as seen by one instance, with keepalived's weight and multiplier (-1 when reversed). */
export interface ResolvedTracker {
  kind: TrackerKind;
  name: string;
  weight: number;
  reverse: boolean;
}

/** The trackers of an instance: its own interface (unweighted), its track_* lists and its sync group's.
 * In a sync group without sync_group_tracking_weight keepalived ignores weights: weighted interfaces become
 * unweighted and weighted scripts/files/processes are dropped (their "kind:name" goes to `ignored`). */
export function resolveTrackers(
  spec: InstanceSpec,
  group: SyncGroupSpec | undefined,
  world: TrackerWorld,
  ignored: string[] = [],
): ResolvedTracker[] {
  const out: ResolvedTracker[] = [];
  const seen = new Set<string>();
  const noWeights = group !== undefined && !group.trackingWeight;
  const add = (t: ResolvedTracker): void => {
    const key = `${t.kind}:${t.name}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (noWeights && t.weight !== 0) {
      if (t.kind !== 'interface') {
        ignored.push(key);
        return;
      }
      t = { ...t, weight: 0 };
    }
    out.push(t);
  };
  // an instance without an interface (interface '') tracks its addresses' interfaces only
  if (!spec.dontTrackPrimary && spec.interface !== '')
    add({ kind: 'interface', name: spec.interface, weight: 0, reverse: false });
  for (const name of spec.addressInterfaces ?? [])
    add({ kind: 'interface', name, weight: 0, reverse: false });
  const sources = group ? [spec, group] : [spec];
  for (const src of sources) {
    for (const i of src.trackInterfaces)
      add({ kind: 'interface', name: i.ifname, weight: i.weight, reverse: i.reverse });
    for (const r of src.trackScripts) {
      const s = world.scripts.get(r.name)?.spec;
      if (!s) continue;
      add({ kind: 'script', name: r.name, weight: r.weight ?? s.weight, reverse: r.reverse ?? s.reverse });
    }
    for (const r of src.trackFiles) {
      const f = world.fileSpecs.get(r.name);
      if (!f) continue;
      add({ kind: 'file', name: r.name, weight: r.weight ?? f.weight, reverse: r.reverse ?? f.reverse });
    }
    for (const r of src.trackProcesses) {
      const p = world.processSpecs.get(r.name);
      if (!p) continue;
      add({ kind: 'process', name: r.name, weight: r.weight ?? p.weight, reverse: r.reverse ?? p.reverse });
    }
    for (const r of src.trackBfds ?? []) {
      const b = world.bfdSpecs.get(r.name);
      if (!b) continue;
      add({ kind: 'bfd', name: r.name, weight: r.weight ?? b.weight, reverse: r.reverse ?? b.reverse });
    }
  }
  return out;
}

export interface TrackingVerdict {
  /** Trackers currently faulting the instance ("kind:name"). */
  faults: string[];
  /** An unweighted script has not reported yet: keepalived holds the instance in INIT. */
  initPending: boolean;
  /** Sum of weighted contributions, to add to the base priority. */
  delta: number;
}

/** A binary tracker's contribution: a positive weight counts while good, a negative one while bad. */
function binaryDelta(good: boolean, t: ResolvedTracker): number {
  const m = t.reverse ? -1 : 1;
  if (good) return t.weight > 0 ? t.weight * m : 0;
  return t.weight < 0 ? t.weight * m : 0;
}

export function evaluateTrackers(trackers: ResolvedTracker[], world: TrackerWorld): TrackingVerdict {
  const verdict: TrackingVerdict = { faults: [], initPending: false, delta: 0 };
  for (const t of trackers) {
    const label = `${t.kind}:${t.name}`;
    if (t.kind === 'file') {
      const value = world.fileValues.get(t.name) ?? 0;
      const m = t.reverse ? -1 : 1;
      // weight 0: a non-zero value (zero when reversed) is a failure; otherwise value x weight, where
      // -254 or below means fault and the contribution is capped at 253.
      const status = t.weight === 0 ? ((value !== 0) === (m === 1) ? -254 : 0) : value * t.weight * m;
      if (status <= -254) verdict.faults.push(label);
      else verdict.delta += Math.min(status, 253);
      continue;
    }
    let good: boolean;
    if (t.kind === 'interface') good = !world.linksDown.has(t.name);
    else if (t.kind === 'process') good = !world.processesDown.has(t.name);
    else if (t.kind === 'bfd') good = world.bfdsUp.has(t.name);
    else {
      const status = world.scripts.get(t.name)?.status ?? 'init';
      if (status === 'init') {
        if (t.weight === 0) verdict.initPending = true;
        continue;
      }
      good = status === 'ok';
    }
    if (t.weight === 0) {
      if (good === t.reverse) verdict.faults.push(label);
    } else verdict.delta += binaryDelta(good, t);
  }
  return verdict;
}

/** keepalived's effective priority: base plus tracker weights, kept within 1..254; an owner stays at 255. */
export function effectivePriority(base: number, delta: number): number {
  if (base === 255) return 255;
  return Math.min(254, Math.max(1, base + delta));
}

/** One tracker as the status listener shows it: what it observes now and what that does to the instance. */
export interface TrackerContribution {
  kind: TrackerKind;
  name: string;
  weight: number;
  reverse: boolean;
  /** 'up' / 'down' for links, processes and BFD; a script's 'ok' / 'failed' / 'init'; a file's value. */
  status: string;
  /** Added to the base priority now (0 for an unweighted tracker). */
  contribution: number;
  /** Whether this tracker alone holds the instance in FAULT. */
  fault: boolean;
}

/** evaluateTrackers, tracker by tracker (the same rules; the sum of `contribution` is its `delta`). */
export function trackerContributions(
  trackers: readonly ResolvedTracker[],
  world: TrackerWorld,
): TrackerContribution[] {
  return trackers.map((t) => {
    const v = evaluateTrackers([t], world);
    const base = { kind: t.kind, name: t.name, weight: t.weight, reverse: t.reverse };
    let status: string;
    if (t.kind === 'file') status = String(world.fileValues.get(t.name) ?? 0);
    else if (t.kind === 'interface') status = world.linksDown.has(t.name) ? 'down' : 'up';
    else if (t.kind === 'process') status = world.processesDown.has(t.name) ? 'down' : 'up';
    else if (t.kind === 'bfd') status = world.bfdsUp.has(t.name) ? 'up' : 'down';
    else status = world.scripts.get(t.name)?.status ?? 'init';
    return { ...base, status, contribution: v.delta, fault: v.faults.length > 0 };
  });
}
