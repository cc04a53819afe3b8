// The checker child's SNMP subagent, as keepalived's checker process runs it (check_snmp.c): started once
// at start with enable_snmp_checker (or -x), it registers the global objects and KEEPALIVED-MIB check,
// answers from the live state (each real server's state and weight from the load balancer, its failed
// checkers from the scheduler, each virtual server's quorum) and sends realServerStateChange and
// virtualServerQuorumStateChange when the load balancer reports them (ipwrapper.c's do_rs_notifies /
// do_vs_notifies, clear_service_rs at stop). IPVS counters read 0: we do not read them back from the kernel.
import { hostname } from 'node:os';
import type { Model } from '../../config/index.js';
import { VERSION_STRING } from '../../common/version.js';
import { realServerId, virtualServerLabel } from '../../check/schedule/from-model.js';
import type { CheckerSnapshot } from '../../check/schedule/scheduler.js';
import type { LbEffect } from '../../lb/table/tracker.js';
import {
  checkerSnapshotFromModel,
  type RealServerRuntime,
  type VirtualServerRuntime,
} from '../../snmp/from-model-check.js';
import { resolveCommandPath } from '../../system/script-path.js';
import { servedMibs, servesAnything, snmpSocket, snmpSwitches } from '../../snmp/mib/serve.js';
import { realServerStateTrap, quorumStateTrap } from '../../snmp/mib/traps.js';
import type { IpvsStats, SnmpSnapshot } from '../../snmp/snapshot.js';
import type { IpvsCounters, LbCounters, RealServerCounters } from '../../lb/table/counters.js';
import { SnmpSubagent } from '../../snmp/subagent.js';
import type { VarBind } from '../../snmp/types.js';
import type { Logger } from '../process/log.js';
import type { DaemonOptions } from '../process/options.js';
import { statsDue, statsRefreshIntervals } from '../../snmp/stats-refresh.js';
import { cachedResolver, freshSnapshot, NotificationQueue, startAgent } from '../process/snmp-common.js';

/** What the checker knows now. */
export interface CheckerSnmpSource {
  /** Real servers by checker id; quorums by position in model.virtualServers. */
  lb():
    | {
        servers: ReadonlyMap<string, { up: boolean; weight: number }>;
        quorumUp: ReadonlyMap<number, boolean>;
      }
    | undefined;
  checkers(): readonly CheckerSnapshot[];
  /** The IPVS counters now (undefined without IPVS). */
  counters?(): Promise<LbCounters | undefined>;
}

/** How old the IPVS counters may be when served (keepalived's STATS_REFRESH, seconds). */

/** A counter set in the snapshot's spelling. */
function snmpStats(c: IpvsCounters): IpvsStats {
  return {
    conns: c.conns,
    inPkts: c.inpkts,
    outPkts: c.outpkts,
    inBytes: c.inbytes,
    outBytes: c.outbytes,
    cps: c.cps,
    inPps: c.inpps,
    outPps: c.outpps,
    inBps: c.inbps,
    outBps: c.outbps,
  };
}

function serverRuntime(c: RealServerCounters): RealServerRuntime {
  return {
    stats: snmpStats(c.stats),
    activeConns: c.activeConns,
    inactiveConns: c.inactConns,
    persistentConns: c.persistConns,
  };
}

type Notification = Extract<LbEffect, { type: 'notification' }>;

export class CheckerSnmp {
  private model: Model;
  private readonly agent: SnmpSubagent;
  private readonly notifications: NotificationQueue;
  private readonly resolve = cachedResolver(resolveCommandPath);
  private readonly pending: Notification[] = [];
  /** Virtual-server and real-server counters, each refreshed on its own interval (stats-refresh.ts). */
  private vsCounters: Pick<LbCounters, 'virtualServers'> | undefined;
  private rsCounters: Pick<LbCounters, 'realServers' | 'sorryServers'> | undefined;
  private readonly countersAt = { vs: -Infinity, rs: -Infinity };

  private constructor(
    model: Model,
    private readonly socket: string,
    mibs: ReturnType<typeof servedMibs>,
    private source: CheckerSnmpSource,
    private readonly log: Logger,
  ) {
    this.model = model;
    this.agent = new SnmpSubagent({
      mibs,
      log: (level, message) => (level === 'info' ? log.info(message) : log.warn(message)),
    });
    this.notifications = new NotificationQueue(this.agent);
    this.agent.track(
      () => this.snapshot(),
      () => this.refreshCounters(),
    );
  }

  static create(
    model: Model,
    options: DaemonOptions,
    source: CheckerSnmpSource,
    log: Logger,
  ): CheckerSnmp | undefined {
    const mibs = servedMibs(snmpSwitches(model.global, options.snmp), 'checker', true);
    if (!servesAnything(mibs)) return undefined;
    return new CheckerSnmp(model, snmpSocket(model.global, options.snmpAgentSocket), mibs, source, log);
  }

  async start(): Promise<void> {
    await startAgent(this.agent, this.socket, this.log);
  }

  /** A reload: the same session, the new configuration's objects and state. */
  reload(model: Model, source: CheckerSnmpSource): void {
    this.model = model;
    this.source = source;
    this.agent.track(
      () => this.snapshot(),
      () => this.refreshCounters(),
    );
  }

  /** The load balancer reported a real server's or a quorum's change: keepalived's notification. The
   * changes of one verdict (or of a shutdown) are taken together, on one snapshot. */
  notify(n: Notification): void {
    this.pending.push(n);
    if (this.pending.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const changes = this.pending.splice(0);
    if (changes.length === 0) return;
    const snap = freshSnapshot(this.agent, () => this.snapshot(), this.log);
    if (snap === undefined) return;
    if (!snap.global.trapsEnabled) return;
    const lists: VarBind[][] = [];
    for (const n of changes) {
      const vs = this.model.virtualServers[n.virtualServer];
      const info = snap.checker?.virtualServers[n.virtualServer];
      if (vs === undefined || info === undefined) continue;
      // The state at the moment of the change (a shutdown reports its servers one by one).
      const alive = new Set(n.aliveServers);
      const ids = vs.realServers.map((rs) => realServerId(vs, rs));
      ids.forEach((id, r) => {
        const x = info.realServers[r];
        if (x) x.alive = alive.has(id);
      });
      info.quorumUp = n.quorumUp;
      if (n.server === undefined) lists.push(quorumStateTrap(info, n.stopping, snap.global.routerId));
      else {
        const rs = info.realServers[ids.indexOf(n.server)];
        if (rs) lists.push(realServerStateTrap(rs, info, snap.global.routerId));
      }
    }
    this.notifications.send(lists);
  }

  /** Sends what is queued (the stop notifications), then unregisters and closes. */
  async close(waitMs = 1000): Promise<void> {
    this.flush();
    await this.notifications.drain(waitMs);
    await this.agent.close();
  }

  /** Reads the kernel's counters again when those held are older than keepalived would serve them. */
  private async refreshCounters(): Promise<void> {
    const read = this.source.counters;
    if (read === undefined) return;
    const now = performance.now();
    const due = statsDue(now, this.countersAt, statsRefreshIntervals(this.model.global));
    if (!due.vs && !due.rs) return;
    if (due.vs) this.countersAt.vs = now;
    if (due.rs) this.countersAt.rs = now;
    const counters = await read.call(this.source);
    if (due.vs) this.vsCounters = counters;
    if (due.rs) this.rsCounters = counters;
  }

  private snapshot(): SnmpSnapshot {
    const live = this.source.lb();
    const failed = new Map<string, number>();
    for (const c of this.source.checkers()) if (!c.up) failed.set(c.server, (failed.get(c.server) ?? 0) + 1);
    const realServers = new Map<string, RealServerRuntime>();
    const virtualServers = new Map<string, VirtualServerRuntime>();
    this.model.virtualServers.forEach((vs, v) => {
      const quorumUp = live?.quorumUp.get(v);
      const vsCounters = this.vsCounters?.virtualServers.get(v);
      const sorry = this.rsCounters?.sorryServers.get(v);
      virtualServers.set(virtualServerLabel(vs), {
        ...(quorumUp !== undefined ? { quorumUp } : {}),
        ...(vsCounters ? { stats: snmpStats(vsCounters) } : {}),
        ...(sorry ? { sorry: serverRuntime(sorry) } : {}),
      });
      for (const rs of vs.realServers) {
        const id = realServerId(vs, rs);
        const s = live?.servers.get(id);
        const c = this.rsCounters?.realServers.get(id);
        const rt: RealServerRuntime = { failedChecks: failed.get(id) ?? 0, ...(c ? serverRuntime(c) : {}) };
        if (s) {
          rt.alive = s.up;
          rt.weight = s.weight;
        }
        realServers.set(id, rt);
      }
    });
    return checkerSnapshotFromModel(
      this.model,
      VERSION_STRING,
      { interfaces: new Map(), localName: hostname() },
      { realServers, virtualServers, resolveCommand: this.resolve },
    );
  }
}
