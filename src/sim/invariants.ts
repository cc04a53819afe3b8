// What must hold in every simulated run. Checked after every step by the property tests and by
// `keepalived-ts simulate`; a violation names the time, the virtual router and the routers involved.
import type { Cluster, SimRouter } from './cluster.js';
import { virtualRouters } from './cluster.js';
import type { InstanceSpec } from '../vrrp/engine/spec.js';
import { masterDownIntervalMs, skewTimeMs } from '../vrrp/engine/timers.js';

/** The master-down interval of a backup with this spec (its configured priority), ms. */
export function backupMasterDownMs(spec: InstanceSpec, masterIntervalCs = spec.advertIntervalCs): number {
  return masterDownIntervalMs(
    spec.version,
    Math.min(spec.priority, 255),
    masterIntervalCs,
    spec.downTimerAdverts,
  );
}

/** Skew time of a backup, ms: how long after a priority-0 advert it takes over. */
export function backupSkewMs(spec: InstanceSpec, masterIntervalCs = spec.advertIntervalCs): number {
  return skewTimeMs(spec.version, Math.min(spec.priority, 255), masterIntervalCs);
}

/** Every running router holds an instance's VIPs exactly while that instance is MASTER. */
export function vipViolations(cluster: Cluster): string[] {
  const out: string[] = [];
  for (const r of cluster.routers) {
    if (!r.running) continue;
    for (const inst of r.config.spec.instances) {
      if (inst.addresses.length === 0) continue;
      const held = r.held.get(inst.name) ?? new Set<string>();
      const master = r.states.get(inst.name) === 'MASTER';
      const missing = inst.addresses.filter((a) => !held.has(a.address)).map((a) => a.address);
      if (master && missing.length > 0)
        out.push(`${r.name}/${inst.name} is MASTER without ${missing.join(', ')}`);
      if (!master && held.size > 0)
        out.push(
          `${r.name}/${inst.name} is ${r.states.get(inst.name) ?? 'INIT'} but holds ${[...held].join(', ')}`,
        );
    }
  }
  return out;
}

/** How long after the last disturbance a lossless cluster must have settled, ms. */
export function settleTimeMs(cluster: Cluster): number {
  let worst = 0;
  for (const r of cluster.routers) {
    const spec = r.config.spec;
    const scriptMs = Math.max(
      0,
      ...spec.scripts.map((s) => s.intervalMs * Math.max(s.rise, s.fall) + s.timeoutMs),
    );
    for (const inst of spec.instances) {
      worst = Math.max(worst, 2 * backupMasterDownMs(inst) + inst.preemptDelayMs + scriptMs);
    }
  }
  const net = cluster.network.conditions;
  return worst + 10 * (net.delayMs + net.jitterMs) + 50;
}

/** Once a lossless cluster has settled: exactly one MASTER per virtual router in each connected group of
 * its running, non-faulted members. */
export function splitBrainViolations(cluster: Cluster): string[] {
  const out: string[] = [];
  for (const [key, members] of virtualRouters(cluster.routers)) {
    const live = members.filter((m) => {
      const r = cluster.router(m.node);
      const state = r.states.get(m.spec.name);
      return r.running && state !== 'FAULT' && state !== 'STOP';
    });
    for (const group of components(
      cluster,
      live.map((m) => cluster.router(m.node)),
    )) {
      const names = new Set(group.map((r) => r.name));
      const masters = live.filter(
        (m) => names.has(m.node) && cluster.router(m.node).states.get(m.spec.name) === 'MASTER',
      );
      if (masters.length !== 1) {
        const who = masters.map((m) => `${m.node}/${m.spec.name}`).join(', ') || 'none';
        out.push(`${key}: ${masters.length} MASTERs among {${[...names].join(', ')}} (${who})`);
      }
    }
  }
  return out;
}

function components(cluster: Cluster, routers: SimRouter[]): SimRouter[][] {
  const seen = new Set<SimRouter>();
  const out: SimRouter[][] = [];
  for (const start of routers) {
    if (seen.has(start)) continue;
    const group: SimRouter[] = [];
    const stack = [start];
    seen.add(start);
    while (stack.length > 0) {
      const r = stack.pop() as SimRouter;
      group.push(r);
      for (const other of routers) {
        if (!seen.has(other) && cluster.network.connected(r.name, other.name)) {
          seen.add(other);
          stack.push(other);
        }
      }
    }
    out.push(group);
  }
  return out;
}

/**
 * Takeover: a connected group of a virtual router's live members that has no MASTER must get one within
 * the master-down interval (every backup's timer runs unless a MASTER's advert resets it), plus the
 * transit of one advert and the clocks' drift. Holds under loss too: loss can only add MASTERs.
 */
export class TakeoverWatch {
  private readonly masterlessSince = new Map<string, number>();

  check(cluster: Cluster): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const net = cluster.network.conditions;
    for (const [key, members] of virtualRouters(cluster.routers)) {
      const eligible = members.filter((m) => {
        const r = cluster.router(m.node);
        const state = r.states.get(m.spec.name);
        return r.running && (state === 'BACKUP' || state === 'MASTER');
      });
      for (const group of components(
        cluster,
        eligible.map((m) => cluster.router(m.node)),
      )) {
        const names = new Set(group.map((r) => r.name));
        const inGroup = eligible.filter((m) => names.has(m.node));
        const id = `${key} {${[...names].sort().join(',')}}`;
        seen.add(id);
        if (inGroup.some((m) => cluster.router(m.node).states.get(m.spec.name) === 'MASTER')) {
          this.masterlessSince.delete(id);
          continue;
        }
        const since = this.masterlessSince.get(id) ?? cluster.now;
        this.masterlessSince.set(id, since);
        // Backups may have learned a longer interval from the last master (v3): allow the longest.
        const longest = Math.max(...members.map((m) => m.spec.advertIntervalCs));
        const mdi = Math.max(...inGroup.map((m) => backupMasterDownMs(m.spec, longest)));
        const bound = mdi * 1.001 + net.delayMs + net.jitterMs + 1;
        if (cluster.now - since > bound) {
          out.push(
            `${id}: no MASTER for ${(cluster.now - since).toFixed(1)} ms, bound ${bound.toFixed(1)} ms`,
          );
          this.masterlessSince.set(id, cluster.now); // report once per bound, not every step
        }
      }
    }
    for (const id of [...this.masterlessSince.keys()]) if (!seen.has(id)) this.masterlessSince.delete(id);
    return out;
  }
}

/** Checks every invariant after each step of one cluster's run; stateful (the takeover watch). */
export class InvariantChecker {
  private readonly takeover = new TakeoverWatch();

  constructor(private readonly cluster: Cluster) {}

  /** The violations found at this moment. */
  check(): string[] {
    const cluster = this.cluster;
    const out = vipViolations(cluster);
    const lossless = cluster.network.conditions.loss === 0;
    if (lossless && cluster.now - cluster.lastDisturbance > settleTimeMs(cluster))
      out.push(...splitBrainViolations(cluster));
    out.push(...this.takeover.check(cluster));
    return out.map((v) => `t=${(cluster.now / 1000).toFixed(3)}s: ${v}`);
  }
}
