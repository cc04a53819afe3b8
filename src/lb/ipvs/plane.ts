// The IPVS data plane: applies the table's changes with keepalived's commands and tolerances
// (check/ipvswrapper.c ipvs_talk: an add that finds the entry present, or a delete that finds it gone,
// is not a failure; an edit of a missing destination adds it), plus lvs_timeouts and lvs_sync_daemon.
//
// Commands are pipelined: netlink runs each command inside the sendmsg that carries it, so the kernel
// applies them in the order sent while their answers are read in batches. Should any fail, the failed
// ones are run again one by one, in order, with the fallbacks (all of them are idempotent).

import { canonicalAddress } from '../../common/inet.js';
import type { LvsSyncDaemon, LvsTimeouts } from '../../config/model/global/global.js';
import type { DataPlane, Destination, LbChange, LbTable, Service, ServiceKey } from '../table/types.js';
import {
  counterKey,
  zeroCounters,
  type DestinationCounters,
  type IpvsCounters,
  type KernelCounters,
} from '../table/counters.js';
import { type IpvsClientOptions, IpvsClient } from './client.js';
import { IP_VS_STATE_BACKUP, IP_VS_STATE_MASTER } from './constants.js';
import type { IpvsDaemon, IpvsTimeouts } from './daemon.js';
import type { IpvsDestination } from './destination.js';
import { IpvsCommandError, formatServiceForLog, ipvsErrorLogLine } from './errors.js';
import { type IpvsCommand, ipvsCommands } from './messages.js';
import type { IpvsService } from './service.js';
import {
  destinationFromWire,
  destinationToWire,
  serviceFromWire,
  serviceKeyToWire,
  serviceToWire,
  wireFamily,
} from './table-wire.js';

export interface IpvsDataPlaneOptions extends IpvsClientOptions {
  /** keepalived's log lines for commands that failed and were tolerated or worked around. */
  log?: (line: string) => void;
  /** Commands in flight at once (default 64). */
  window?: number;
}

export type SyncDaemonRole = 'master' | 'backup';

const roleState = (role: SyncDaemonRole): number =>
  role === 'master' ? IP_VS_STATE_MASTER : IP_VS_STATE_BACKUP;

/** Ids by key object: successive tables share their keys (the tracker builds them from the config), and
 * canonicalising every service's address on every apply would cost the whole table per verdict. */
const keyIds = new WeakMap<ServiceKey, string>();

/** "address|inet|TCP|10.0.0.1|80" or "fwmark|inet6|5": equal for equal keys whatever the address text. */
export function serviceKeyId(k: ServiceKey): string {
  let id = keyIds.get(k);
  if (id === undefined) {
    id =
      k.kind === 'fwmark'
        ? `fwmark|${k.family}|${k.fwmark}`
        : `address|${k.family}|${k.protocol}|${canonicalAddress(k.address) ?? k.address}|${k.port}`;
    keyIds.set(k, id);
  }
  return id;
}

const destinationId = (d: Pick<Destination, 'family' | 'address' | 'port'>): string =>
  `${d.family}|${canonicalAddress(d.address) ?? d.address}|${d.port}`;

function describeChange(c: LbChange): string {
  switch (c.op) {
    case 'add-service':
    case 'edit-service':
      return `${c.op} ${formatServiceForLog(serviceKeyToWire(c.service.key))}`;
    case 'delete-service':
      return `${c.op} ${formatServiceForLog(serviceKeyToWire(c.key))}`;
    default:
      return `${c.op} ${formatServiceForLog(serviceKeyToWire(c.service))} -> ${c.destination.address}:${c.destination.port}`;
  }
}

/** One change as IPVS commands: the one to send, and what to do when the kernel refuses it. */
interface Plan {
  change: LbChange;
  command: IpvsCommand;
  service: IpvsService;
  destination?: IpvsDestination;
  /** errno name -> the command to send instead ('ignore': the wanted state is already there). Built only
   * when needed: a table load would otherwise encode every command twice. */
  fallbacks: Partial<Record<string, (() => IpvsCommand) | 'ignore'>>;
}

export class IpvsDataPlane implements DataPlane {
  readonly name = 'ipvs' as const;
  private held: LbTable = { services: [] };
  private originalTimeouts: IpvsTimeouts | undefined;
  private readonly window: number;
  private readonly log: (line: string) => void;

  constructor(
    readonly client: IpvsClient,
    options: Pick<IpvsDataPlaneOptions, 'log' | 'window'> = {},
  ) {
    this.window = Math.max(1, options.window ?? 64);
    this.log = options.log ?? (() => undefined);
  }

  /** Rejects with IpvsUnavailableError where the kernel has no IPVS. */
  static async open(options: IpvsDataPlaneOptions = {}): Promise<IpvsDataPlane> {
    return new IpvsDataPlane(await IpvsClient.open(options), options);
  }

  /** The table as of the last successful apply. */
  get table(): LbTable {
    return this.held;
  }

  close(): void {
    this.client.close();
  }

  async apply(changes: readonly LbChange[], next: LbTable): Promise<void> {
    const lookup = new TableLookup(next, this.held);
    const plans = changes.map((c) => this.plan(c, lookup));
    // Every refused change is retried and, failing again, logged as keepalived logs it; the first
    // failure is then thrown (keepalived too goes on with the next command after a failed one).
    let firstFailure: Error | undefined;
    for (const { index, error } of await this.pipeline(plans)) {
      const failure = await this.retry(plans[index] as Plan, error);
      firstFailure ??= failure;
    }
    if (firstFailure) throw firstFailure;
    this.held = next;
  }

  /** IPVS_CMD_FLUSH: every service of the namespace, as keepalived's lvs_flush and lvs_flush_onstop. */
  async flush(): Promise<void> {
    await this.client.flush();
    this.held = { services: [] };
  }

  /** Every service's counters and its destinations', as the kernel keeps them now (SNMP's figures). */
  async readCounters(): Promise<KernelCounters> {
    const out = new Map<string, { stats: IpvsCounters; destinations: DestinationCounters[] }>();
    for (const s of await this.client.listServices()) {
      const attrs = serviceFromWire(s);
      if (!attrs) continue;
      const destinations: DestinationCounters[] = [];
      for (const d of await this.client.listDestinations(s)) {
        const dest = destinationFromWire(d);
        if (!dest) continue;
        destinations.push({
          family: dest.family,
          address: dest.address,
          port: dest.port,
          activeConns: d.activeConns ?? 0,
          inactConns: d.inactConns ?? 0,
          persistConns: d.persistConns ?? 0,
          stats: d.stats64 ?? d.stats ?? zeroCounters(),
        });
      }
      out.set(counterKey(attrs.key), { stats: s.stats64 ?? s.stats ?? zeroCounters(), destinations });
    }
    return out;
  }

  /** What the kernel holds, in table terms (entries the table cannot express are left out). */
  async readTable(): Promise<LbTable> {
    const services: Service[] = [];
    for (const s of await this.client.listServices()) {
      const attrs = serviceFromWire(s);
      if (!attrs) continue;
      const destinations = (await this.client.listDestinations(s)).flatMap(
        (d) => destinationFromWire(d) ?? [],
      );
      services.push({ ...attrs, destinations });
    }
    return { services };
  }

  private plan(change: LbChange, lookup: TableLookup): Plan {
    switch (change.op) {
      case 'add-service': {
        const s = serviceToWire(change.service, true);
        return {
          change,
          command: ipvsCommands.newService(s),
          service: s,
          fallbacks: { EEXIST: () => ipvsCommands.setService(s) },
        };
      }
      case 'edit-service': {
        const s = serviceToWire(change.service, true);
        return {
          change,
          command: ipvsCommands.setService(s),
          service: s,
          fallbacks: { ESRCH: () => ipvsCommands.newService(s) },
        };
      }
      case 'delete-service': {
        const attrs = lookup.service(change.key);
        const s = attrs ? serviceToWire(attrs, true) : serviceKeyToWire(change.key);
        return { change, command: ipvsCommands.delService(s), service: s, fallbacks: { ESRCH: 'ignore' } };
      }
      case 'add-destination': {
        const s = lookup.destinationService(change.service);
        const d = destinationToWire(change.service, change.destination);
        return {
          change,
          command: ipvsCommands.newDestination(s, d),
          service: s,
          destination: d,
          fallbacks: { EEXIST: () => ipvsCommands.setDestination(s, d) },
        };
      }
      case 'edit-destination': {
        const s = lookup.destinationService(change.service);
        const d = destinationToWire(change.service, change.destination);
        return {
          change,
          command: ipvsCommands.setDestination(s, d),
          service: s,
          destination: d,
          fallbacks: { ENOENT: () => ipvsCommands.newDestination(s, d) },
        };
      }
      case 'delete-destination': {
        const s = lookup.destinationService(change.service);
        const known = lookup.destination(change.service, change.destination);
        const d: IpvsDestination = known
          ? destinationToWire(change.service, known)
          : {
              af: wireFamily(change.destination.family),
              address: change.destination.address,
              port: change.destination.port,
            };
        return {
          change,
          command: ipvsCommands.delDestination(s, d),
          service: s,
          destination: d,
          fallbacks: { ENOENT: 'ignore', ESRCH: 'ignore' },
        };
      }
    }
  }

  /** Sends every plan's command, `window` at a time; resolves with the refusals, in plan order. */
  private async pipeline(plans: readonly Plan[]): Promise<Array<{ index: number; error: IpvsCommandError }>> {
    const failed: Array<{ index: number; error: IpvsCommandError }> = [];
    let nextIndex = 0;
    let broken = false;
    const worker = async (): Promise<void> => {
      while (nextIndex < plans.length && !broken) {
        const index = nextIndex++;
        try {
          await this.client.run((plans[index] as Plan).command);
        } catch (error) {
          // A socket failure or timeout (not a refusal) stops everything: the caller re-reads the kernel.
          if (!(error instanceof IpvsCommandError)) {
            broken = true;
            throw error;
          }
          failed.push({ index, error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.window, plans.length) }, worker));
    return failed.sort((a, b) => a.index - b.index);
  }

  /**
   * A refused change, again: its fallback when the refusal has one, else the command itself (it may
   * have failed only because an earlier change had not been made yet). Resolves with the failure
   * when that is refused too (after logging keepalived's line for it).
   */
  private async retry(p: Plan, refusal: IpvsCommandError): Promise<Error | undefined> {
    let error = refusal;
    let cmd = p.command;
    let retried = false;
    for (;;) {
      const fallback = cmd === p.command ? p.fallbacks[error.code] : undefined;
      if (fallback !== undefined) {
        this.log(ipvsErrorLogLine(cmd.cmd, error.errno, p.service, p.destination));
        if (fallback === 'ignore') return undefined;
        cmd = fallback();
      } else if (cmd !== p.command || retried) {
        this.log(ipvsErrorLogLine(cmd.cmd, error.errno, p.service, p.destination));
        return new Error(`IPVS: ${describeChange(p.change)}: ${error.message}`, { cause: error });
      } else {
        retried = true;
      }
      try {
        await this.client.run(cmd);
        return undefined;
      } catch (e) {
        if (!(e instanceof IpvsCommandError)) throw e;
        error = e;
      }
    }
  }

  // ---- lvs_timeouts --------------------------------------------------------------------------

  /**
   * Sets the connection timeouts as keepalived does: the kernel's values are saved first (to put them
   * back at stop), and every unset timeout is sent with its saved value. Nothing set: nothing done.
   */
  async setTimeouts(t: LvsTimeouts): Promise<void> {
    if (!t.tcp && !t.tcpfin && !t.udp) return;
    this.originalTimeouts ??= await this.client.getTimeouts();
    const o = this.originalTimeouts;
    await this.client.setTimeouts({ tcp: t.tcp || o.tcp, tcpFin: t.tcpfin || o.tcpFin, udp: t.udp || o.udp });
  }

  /** Puts back the timeouts setTimeouts found (keepalived does it at stop and on a reload without lvs_timeouts). */
  async restoreTimeouts(): Promise<void> {
    if (!this.originalTimeouts) return;
    await this.client.setTimeouts(this.originalTimeouts);
  }

  // ---- lvs_sync_daemon -----------------------------------------------------------------------

  /** Starts the kernel's sync daemon in `role` with lvs_sync_daemon's settings (sync id 0 unless set). */
  async startSyncDaemon(role: SyncDaemonRole, config: LvsSyncDaemon): Promise<void> {
    const d: IpvsDaemon = { state: roleState(role), mcastIfn: config.interface, syncId: config.syncId ?? 0 };
    if (config.maxlen) d.syncMaxlen = config.maxlen;
    if (config.port) d.mcastPort = config.port;
    if (config.ttl) d.mcastTtl = config.ttl;
    if (config.group) d.mcastGroup = config.group;
    await this.client.startDaemon(d);
  }

  /** Stops the sync daemon of `role`; false when none was running. */
  async stopSyncDaemon(role: SyncDaemonRole, syncId = 0): Promise<boolean> {
    try {
      await this.client.stopDaemon({ state: roleState(role), syncId });
      return true;
    } catch (error) {
      if (error instanceof IpvsCommandError && error.code === 'ESRCH') return false;
      throw error;
    }
  }

  /** keepalived's ipvs_syncd_master / ipvs_syncd_backup: stop the other role, start this one. */
  async switchSyncDaemon(role: SyncDaemonRole, config: LvsSyncDaemon): Promise<void> {
    await this.stopSyncDaemon(role === 'master' ? 'backup' : 'master', config.syncId ?? 0);
    await this.startSyncDaemon(role, config);
  }

  async listSyncDaemons(): Promise<IpvsDaemon[]> {
    return this.client.listDaemons();
  }
}

/** Services and destinations of the next table, then of the one held before, by key. */
class TableLookup {
  private readonly services = new Map<string, Service>();
  private readonly held: Map<string, Service>;

  constructor(next: LbTable, held: LbTable) {
    this.held = new Map(held.services.map((s) => [serviceKeyId(s.key), s]));
    for (const s of held.services) this.services.set(serviceKeyId(s.key), s);
    for (const s of next.services) this.services.set(serviceKeyId(s.key), s);
  }

  service(key: ServiceKey): Service | undefined {
    return this.services.get(serviceKeyId(key));
  }

  private readonly named = new Map<string, IpvsService>();

  /** The service as keepalived names it in destination commands (no persistence fields); one object
   * per service, so its encoding is shared by all of its destinations' commands. */
  destinationService(key: ServiceKey): IpvsService {
    const id = serviceKeyId(key);
    let wire = this.named.get(id);
    if (!wire) {
      const s = this.services.get(id);
      wire = s ? serviceToWire(s, false) : serviceKeyToWire(key);
      this.named.set(id, wire);
    }
    return wire;
  }

  /** A destination being removed is in the table held before; its method fixes the port the kernel has. */
  destination(key: ServiceKey, d: Pick<Destination, 'family' | 'address' | 'port'>): Destination | undefined {
    const id = destinationId(d);
    const k = serviceKeyId(key);
    for (const s of [this.held.get(k), this.services.get(k)]) {
      const found = s?.destinations.find((x) => destinationId(x) === id);
      if (found) return found;
    }
    return undefined;
  }
}
