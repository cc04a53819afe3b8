// The checker child's load balancer: the virtual servers' kernel table kept in step with the checkers'
// verdicts, as keepalived's checker process keeps IPVS. The pure tracker (lb/table) decides the table and
// what keepalived says and runs besides (log lines, quorum and notify scripts, FIFO lines); a data plane
// realises each batch of changes in the kernel: IPVS where the kernel has it, else nftables (our
// `lvs_data_plane` keyword chooses). Where neither can run, the checkers go on without a table and say
// so once; the VRRP side is never affected (keepalived itself exits when the kernel has no IPVS).
import type { LvsSyncDaemon } from '../../config/model/global/global.js';
import type { Model } from '../../config/model/index.js';
import type { ScriptRef } from '../../config/model/lvs/types.js';
import { probeIpvs } from '../../lb/ipvs/client.js';
import { inNetNamespace, namespacePath } from '../../net/netns.js';
import { IpvsDataPlane } from '../../lb/ipvs/plane.js';
import { lbCounters, type LbCounters } from '../../lb/table/counters.js';
import type { CheckerSpec } from '../../check/schedule/spec.js';
import type { CheckTarget } from '../../lb/nftables/notrack.js';
import { NftablesPlane } from '../../lb/nftables/plane.js';
import { nftablesRefusals } from '../../lb/nftables/config-check.js';
import { serviceId } from '../../lb/table/desired.js';
import { diffTables } from '../../lb/table/diff.js';
import { resolveLbConfig, type LbConfig, type MarkAllocation } from '../../lb/table/resolve.js';
import { GroupMarkTables } from '../../lb/ipvs/group-marks.js';
import { VirtualServerTracker, type LbEffect } from '../../lb/table/tracker.js';
import type { DataPlane, LbChange, LbTable, ServiceKey } from '../../lb/table/types.js';
import type { Logger } from '../process/log.js';

/** What the load balancer asks of the checker child besides the kernel table. */
export interface LoadBalancerHooks {
  log: Logger;
  /** notify_up / notify_down / quorum_up / quorum_down. */
  runScript(script: ScriptRef, stopping: boolean): void;
  /** A line for notify_fifo and lvs_notify_fifo. */
  writeFifo(line: string): void;
  /** ha_suspend: run or suspend a real server's checkers. */
  setCheckersEnabled(serverId: string, enabled: boolean): void;
  /** Effects for the SMTP alerts (quorum changes, omega shutdown). */
  alert?(effect: Extract<LbEffect, { type: 'quorum' | 'server-shutdown' }>): void;
  /** keepalived's SNMP notifications (real server and quorum states). */
  notification?(effect: Extract<LbEffect, { type: 'notification' }>): void;
}

export interface LoadBalancerOptions {
  /** A plane to use instead of choosing one (tests); `null`: run without a kernel table. */
  plane?: DataPlane | null;
  /** A reload: the nftables_ipvs marks the previous configuration gave, and its marking tables. */
  marks?: { given?: MarkAllocation; tables?: GroupMarkTables };
}

/** The checkers' view of the real servers at start. */
type Verdicts = Iterable<{ server: string; up: boolean; weight: number }>;

export class LoadBalancer {
  private readonly tracker: VirtualServerTracker;
  /** Services the plane cannot realise (nftables without a matching scheduler, say): left out. */
  private readonly excluded = new Set<string>();
  /** Applies in order; each waits for the previous. */
  private queue: Promise<void> = Promise.resolve();

  /** After a reload: the table the previous configuration left in the kernel, to diff the first one from. */
  private inherited: LbTable | undefined;
  private syncDaemon: LvsSyncDaemon | undefined;
  /** The table the last queued apply leads to. */
  private lastTable: LbTable = { services: [] };
  /** nftables_ipvs: the tables that mark the groups' traffic for IPVS (opened with an IPVS plane). */
  private markTables: GroupMarkTables | undefined;

  private constructor(
    readonly config: LbConfig,
    private readonly plane: DataPlane | undefined,
    private readonly hooks: LoadBalancerHooks,
  ) {
    this.tracker = new VirtualServerTracker(config);
  }

  /** Chooses and opens the data plane (IPVS, else nftables, as `lvs_data_plane` says). */
  static async open(
    model: Model,
    hooks: LoadBalancerHooks,
    options: LoadBalancerOptions = {},
  ): Promise<LoadBalancer> {
    let config = resolveLbConfig(model);
    const plane =
      options.plane === null
        ? undefined
        : (options.plane ??
          (config.virtualServers.length > 0 ? await choosePlane(model, hooks.log) : undefined));
    // nftables_ipvs marks the groups' addresses for IPVS; our nftables plane serves them as they are.
    if (plane instanceof IpvsDataPlane)
      config = resolveLbConfig(model, { ipvs: true, previous: options.marks?.given });
    for (const reason of config.ignored) hooks.log.warn(reason);
    const lb = new LoadBalancer(config, plane, hooks);
    lb.markTables = options.marks?.tables;
    if (plane instanceof IpvsDataPlane && config.groupMarks !== undefined)
      lb.markTables ??= openMarkTables(model, hooks.log);
    // lvs_sync_daemon without a VRRP instance: the checker process runs both roles (keepalived's
    // checker_ipvs_syncd_needed); with an instance the VRRP process drives it (lvs-sync-daemon.ts).
    const sync = model.global.lvsSyncDaemon;
    if (sync !== undefined && sync.instance === undefined) lb.syncDaemon = sync;
    if (plane?.name === 'nftables') lb.excludeUnsupported(model);
    return lb;
  }

  /**
   * A reload: the new configuration's load balancer on the same data plane, starting from the table this
   * one leaves in the kernel, so that what both hold is left alone or edited, as keepalived's
   * clear_diff_services() does, and only what changed is removed or added. Call stop({ reload: true })
   * on this one first.
   */
  async reload(model: Model, hooks: LoadBalancerHooks): Promise<LoadBalancer> {
    await this.queue;
    const next = await LoadBalancer.open(model, hooks, {
      plane: this.plane ?? null,
      marks: { tables: this.markTables, given: this.config.groupMarks?.given },
    });
    next.inherited = this.lastTable;
    return next;
  }

  get dataPlane(): DataPlane['name'] | undefined {
    return this.plane?.name;
  }

  /** Starts with the checkers' first view (servers not in it start as configured: alpha down, else up). */
  start(verdicts?: Verdicts, localAddresses?: Iterable<string>): void {
    const plane = this.plane;
    const marks = this.markTables;
    if (marks !== undefined) this.enqueue('nftables_ipvs marking', () => marks.apply(this.config.groupMarks));
    if (plane !== undefined) {
      if (this.config.flushOnStart) this.enqueue('lvs_flush', () => plane.flush());
      const timeouts = this.config.timeouts;
      if (timeouts !== undefined && plane instanceof IpvsDataPlane)
        this.enqueue('lvs_timeouts', () => plane.setTimeouts(timeouts));
      const sync = this.syncDaemon;
      if (sync !== undefined && plane instanceof IpvsDataPlane)
        this.enqueue('lvs_sync_daemon', async () => {
          for (const role of ['master', 'backup'] as const)
            await plane.stopSyncDaemon(role, sync.syncId ?? 0);
          await plane.startSyncDaemon('master', sync);
          await plane.startSyncDaemon('backup', sync);
        });
    }
    this.handle(this.tracker.start(verdicts, localAddresses));
  }

  /**
   * nftables: the checkers' own connections (to what `checkers` connect to) are kept out of the
   * namespace's conntrack, which the plane's NAT turned on (lb/nftables/notrack.ts).
   */
  exemptChecks(checkers: readonly CheckerSpec[]): void {
    const plane = this.plane;
    if (!(plane instanceof NftablesPlane)) return;
    const targets = checkTargets(checkers);
    this.enqueue('conntrack exemption of the checks', () => plane.setCheckTargets(targets));
  }

  /** A real server's verdict from the checkers (server-state). */
  serverState(id: string, up: boolean, weight: number): void {
    this.handle(this.tracker.serverState(id, up, weight));
  }

  /** ha_suspend: the addresses this host holds now. */
  setLocalAddresses(addresses: Iterable<string>): void {
    this.handle(this.tracker.setLocalAddresses(addresses));
  }

  /** The table as the tracker wants it (what the plane holds once the queue has drained). */
  table(): LbTable {
    return this.filterTable(this.tracker.table());
  }

  /** The real servers' states by checker id, and the quorum of each virtual server by its position in
   * model.virtualServers (what SNMP shows). */
  liveState(): {
    servers: ReadonlyMap<string, { up: boolean; weight: number }>;
    quorumUp: Map<number, boolean>;
  } {
    const state = this.tracker.state();
    const quorumUp = new Map<number, boolean>();
    this.config.virtualServers.forEach((vs, v) => quorumUp.set(vs.modelIndex, state.quorumUp[v] ?? false));
    return { servers: state.servers, quorumUp };
  }

  /** The IPVS counters of each virtual and real server (SNMP's), or undefined without IPVS. */
  async counters(): Promise<LbCounters | undefined> {
    const plane = this.plane;
    if (!(plane instanceof IpvsDataPlane)) return undefined;
    return lbCounters(this.config, await plane.readCounters());
  }

  /** Resolves once every change asked for so far has been applied (or has failed and been logged). */
  settled(): Promise<void> {
    return this.queue;
  }

  /**
   * keepalived's stop: the scripts and lines of clear_services(), the services removed from the kernel
   * (or the whole table flushed with lvs_flush_onstop), then the plane closed.
   */
  async stop(options: { reload?: boolean } = {}): Promise<void> {
    if (options.reload) {
      // The table stays for the next configuration to diff from; no script, no line.
      await this.queue;
      return;
    }
    this.handle(this.tracker.shutdown());
    const plane = this.plane;
    if (plane !== undefined && this.config.flushOnStop === 'full')
      this.enqueue('lvs_flush_onstop', () => plane.flush());
    await this.queue;
    if (this.markTables !== undefined) {
      await this.markTables.remove().catch((e: unknown) => {
        this.hooks.log.error(`nftables_ipvs: removing the marking tables failed: ${(e as Error).message}`);
      });
      this.markTables.close();
    }
    if (plane instanceof IpvsDataPlane) {
      await plane.restoreTimeouts().catch(() => undefined);
      const sync = this.syncDaemon;
      if (sync !== undefined)
        for (const role of ['master', 'backup'] as const)
          await plane.stopSyncDaemon(role, sync.syncId ?? 0).catch(() => undefined);
    }
    plane?.close();
  }

  private handle(effects: LbEffect[]): void {
    for (const e of effects) {
      switch (e.type) {
        case 'log':
          this.hooks.log.info(e.message);
          break;
        case 'script':
          this.hooks.runScript(e.script, e.stopping);
          break;
        case 'fifo':
          this.hooks.writeFifo(e.line);
          break;
        case 'checkers':
          this.hooks.setCheckersEnabled(e.server, e.enabled);
          break;
        case 'quorum':
        case 'server-shutdown':
          this.hooks.alert?.(e);
          break;
        case 'notification':
          this.hooks.notification?.(e);
          break;
      }
    }
    const fromTracker = this.tracker.takeChanges();
    const plane = this.plane;
    if (plane === undefined) return;
    const next = this.table();
    let changes: LbChange[];
    if (this.inherited !== undefined) {
      // The tracker counts from an empty kernel; after a reload the kernel holds the old table.
      changes = diffTables(this.inherited, next);
      this.inherited = undefined;
    } else changes = fromTracker.filter((c) => !this.excluded.has(serviceId(changeKey(c))));
    if (changes.length === 0) return;
    this.lastTable = next;
    this.enqueue(`${changes.length} table change(s)`, () => plane.apply(changes, next));
  }

  private enqueue(what: string, work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((e: unknown) => {
      this.hooks.log.error(`${this.plane?.name ?? 'data plane'}: ${what} failed: ${(e as Error).message}`);
    });
  }

  private filterTable(table: LbTable): LbTable {
    if (this.excluded.size === 0) return table;
    return { services: table.services.filter((s) => !this.excluded.has(serviceId(s.key))) };
  }

  /** nftables cannot realise every keepalived service: say which, where, and what to use instead. */
  private excludeUnsupported(model: Model): void {
    const locations = model.virtualServers.map((vs) => vs.at);
    for (const r of nftablesRefusals(this.config, locations)) {
      for (const id of r.services) this.excluded.add(id);
      this.hooks.log.error(
        `${r.at ? `${r.at.file}:${r.at.line}: ` : ''}virtual_server ${r.virtualServer}: not realised on the nftables data plane: ${r.reason}`,
      );
    }
  }
}

function changeKey(c: LbChange): ServiceKey {
  switch (c.op) {
    case 'add-service':
    case 'edit-service':
      return c.service.key;
    case 'delete-service':
      return c.key;
    default:
      return c.service;
  }
}

/** The TCP and UDP endpoints the checkers connect to, and the addresses PING_CHECKs ping (MISC, FILE
 * and BFD checks have none). */
export function checkTargets(checkers: readonly CheckerSpec[]): CheckTarget[] {
  const targets: CheckTarget[] = [];
  for (const c of checkers) {
    let protocol: CheckTarget['protocol'];
    switch (c.options.kind) {
      case 'TCP_CHECK':
      case 'HTTP_GET':
      case 'SSL_GET':
      case 'SMTP_CHECK':
        protocol = 'TCP';
        break;
      case 'DNS_CHECK':
      case 'UDP_CHECK':
        protocol = 'UDP';
        break;
      case 'PING_CHECK':
        protocol = 'ICMP';
        break;
      default:
        continue;
    }
    const { address, port } = c.connect;
    targets.push({ family: address.includes(':') ? 'inet6' : 'inet', protocol, address, port });
  }
  return targets;
}

/** nftables_ipvs's tables, in the namespace of the IPVS table (net_namespace_ipvs); none, said, when no
 * nfnetlink socket can be had (the fwmark services then receive nothing: the log says why). */
function openMarkTables(model: Model, log: Logger): GroupMarkTables | undefined {
  const ipvsNamespace = model.global.netNamespaceIpvs;
  try {
    return ipvsNamespace === undefined
      ? GroupMarkTables.open()
      : inNetNamespace(namespacePath(ipvsNamespace), () => GroupMarkTables.open());
  } catch (e) {
    log.error(`nftables_ipvs: cannot open an nftables socket: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * IPVS where the kernel has it (unless `lvs_data_plane nftables`), else nftables (unless `ipvs`); either in
 * the namespace net_namespace_ipvs names, whose sockets are opened there (keepalived's too).
 */
async function choosePlane(model: Model, log: Logger): Promise<DataPlane | undefined> {
  const want = model.global.lvsDataPlane ?? 'auto';
  const ipvsNamespace = model.global.netNamespaceIpvs;
  const netNamespace = ipvsNamespace === undefined ? undefined : namespacePath(ipvsNamespace);
  if (want !== 'nftables') {
    const probe = await probeIpvs({ netNamespace });
    if (probe.available) {
      log.info(`Using the IPVS data plane (IPVS ${probe.version})`);
      return IpvsDataPlane.open({ log: (line) => log.error(line), netNamespace });
    }
    if (probe.error.reason === 'no-namespace') {
      log.error(`${probe.error.message}: no load-balancing table will be programmed (net_namespace_ipvs)`);
      return undefined;
    }
    if (want === 'ipvs') {
      log.error(
        `${probe.error.message}; lvs_data_plane ipvs: no load-balancing table will be programmed ` +
          `(the health checks and the VRRP side go on)`,
      );
      return undefined;
    }
    log.info(`${probe.error.message}; using the nftables data plane`);
  }
  try {
    const ingress = model.global.lvsNftablesIngress;
    const open = (): NftablesPlane =>
      NftablesPlane.open(ingress && ingress.length > 0 ? { drIngressDevices: ingress } : {});
    const plane = netNamespace === undefined ? open() : inNetNamespace(netNamespace, open);
    if (want === 'nftables') log.info('Using the nftables data plane (lvs_data_plane nftables)');
    return plane;
  } catch (e) {
    log.error(
      `nftables data plane unavailable: ${(e as Error).message}; no load-balancing table will be programmed`,
    );
    return undefined;
  }
}
