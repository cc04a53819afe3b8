// The virtual servers' state as keepalived's checker process keeps it (ipwrapper.c): which real servers
// are alive and at what weight, whether each virtual server has its quorum, whether its sorry server is
// in, and which checkers ha_suspend has suspended. Fed with the checker scheduler's verdicts, it returns
// what keepalived does besides programming the kernel: its log lines, the quorum_up / quorum_down and
// notify_up / notify_down scripts, the notify FIFO lines; table() is the kernel table for the state.
// Pure: no I/O, no clock.
import { canonicalAddress } from '../../common/inet.js';
import type { ScriptRef } from '../../config/model/lvs/types.js';
import {
  buildService,
  initialHealth,
  kernelWeight,
  serviceSources,
  type LbState,
  type ServiceSource,
  type StateView,
} from './desired.js';
import { diffService } from './diff.js';
import type { LbConfig, LbRealServer, LbVirtualServer } from './resolve.js';
import type { LbChange, LbTable, Service } from './types.js';

export type ScriptEvent = 'quorum_up' | 'quorum_down' | 'notify_up' | 'notify_down';

export type LbEffect =
  | { type: 'log'; message: string }
  /** Run a script. `stopping`: keepalived runs it while shutting down and waits at most 1 s for it. */
  | { type: 'script'; event: ScriptEvent; script: ScriptRef; stopping: boolean }
  /** A line for notify_fifo and lvs_notify_fifo (newline included). */
  | { type: 'fifo'; line: string }
  /** A quorum change as keepalived reports it by mail and SNMP (its figures, and whether at start-up). */
  | {
      type: 'quorum';
      virtualServer: string;
      up: boolean;
      init: boolean;
      stopping: boolean;
      quorum: number;
      hysteresis: number;
      threshold: number;
      weightSum: number;
    }
  /** A live real server removed at shutdown with omega (keepalived mails "=> Shutting down <="). */
  | { type: 'server-shutdown'; server: string; virtualServer: string }
  /** ha_suspend: run (true) or suspend (false) the checkers of this real server. */
  | { type: 'checkers'; server: string; enabled: boolean }
  /**
   * keepalived's SNMP notifications: a real server's new state (check_snmp_rs_trap; `server` set) or a
   * virtual server's quorum state (check_snmp_quorum_trap). `virtualServer` is its position in
   * model.virtualServers; `aliveServers` the ids of its real servers alive at that moment; `stopping`:
   * sent while shutting down (the quorum then reads "stopping").
   */
  | {
      type: 'notification';
      virtualServer: number;
      server?: string;
      stopping: boolean;
      quorumUp: boolean;
      aliveServers: string[];
    };

interface ServerState {
  alive: boolean;
  weight: number;
  /** One flag per checker of the server, as keepalived's checker->enabled. */
  checkersEnabled: boolean[];
}

interface VirtualServerState {
  quorumUp: boolean;
  /** The sorry server is in the table (keepalived's s_svr->alive). */
  sorryIn: boolean;
  /** ha_suspend: how many times the virtual address is present on this host. */
  addressCount: number;
  servers: ServerState[];
}

type Phase = 'configured' | 'running' | 'stopped';

/** keepalived's quorum arithmetic is unsigned 32-bit. */
const u32 = (n: number): number => n >>> 0;

export class VirtualServerTracker {
  private readonly states: VirtualServerState[];
  /** Real-server id -> where it sits (an id appears once per virtual server that has it). */
  private readonly byId = new Map<string, Array<[number, number]>>();
  private phase: Phase = 'configured';
  private readonly sources: ServiceSource[];
  /** Per virtual server: the indices of the services it fills. */
  private readonly sourcesOf: number[][];
  /** Per service: what the last takeChanges() handed out (undefined: not in the kernel). */
  private readonly held: Array<Service | undefined>;
  /** Virtual servers whose services may have changed since the last takeChanges(). */
  private readonly dirty = new Set<number>();
  private readonly view: StateView = {
    health: (v, _rs, i) => {
      const s = (this.states[v] as VirtualServerState).servers[i] as ServerState;
      return { up: s.alive, weight: s.weight };
    },
    quorumUp: (v) => (this.states[v] as VirtualServerState).quorumUp,
  };

  constructor(private readonly config: LbConfig) {
    this.sources = serviceSources(config);
    this.sourcesOf = config.virtualServers.map(() => []);
    this.sources.forEach((source, i) => {
      for (const v of source.contributors) (this.sourcesOf[v] as number[]).push(i);
    });
    this.held = this.sources.map(() => undefined);
    this.states = config.virtualServers.map((vs, v) => {
      vs.realServers.forEach((rs, r) => {
        const at = this.byId.get(rs.id);
        if (at) at.push([v, r]);
        else this.byId.set(rs.id, [[v, r]]);
      });
      return {
        quorumUp: false,
        sorryIn: false,
        addressCount: 0,
        servers: vs.realServers.map((rs) => {
          const h = initialHealth(rs);
          return { alive: h.up, weight: h.weight, checkersEnabled: rs.checkers.map(() => true) };
        }),
      };
    });
  }

  /**
   * keepalived's start: the real servers found up are put in (`initial`: the scheduler's first
   * verdicts; a server not given starts as configured), each virtual server's quorum is judged, and
   * every checker is activated, or deactivated when ha_suspend finds its address absent from
   * `localAddresses` (one entry per address and interface holding it).
   */
  start(
    initial: Iterable<{ server: string; up: boolean; weight: number }> = [],
    localAddresses: Iterable<string> = [],
  ): LbEffect[] {
    if (this.phase !== 'configured') return [];
    for (const s of initial) this.record(s.server, s.up, s.weight);
    this.phase = 'running';
    this.config.virtualServers.forEach((_vs, v) => this.dirty.add(v));
    const effects: LbEffect[] = [];
    const counts = countAddresses(localAddresses);
    this.config.virtualServers.forEach((vs, v) => {
      const state = this.states[v] as VirtualServerState;
      state.addressCount = vs.haSuspendAddress !== undefined ? (counts.get(vs.haSuspendAddress) ?? 0) : 0;
      if (this.config.rsInitNotifies)
        vs.realServers.forEach((rs, r) => {
          if (state.servers[r]?.alive) this.serverNotifies(vs, rs, true, false, effects);
        });
      this.updateQuorum(v, true, effects);
    });
    // register_checkers_thread: every checker with a thread of its own says whether it runs.
    this.config.virtualServers.forEach((vs, v) => {
      const state = this.states[v] as VirtualServerState;
      const suspended = vs.haSuspend && state.addressCount === 0;
      vs.realServers.forEach((rs, r) => {
        const server = state.servers[r] as ServerState;
        rs.checkers.forEach((c, i) => {
          if (!c.launched) return;
          if (suspended) server.checkersEnabled[i] = false;
          effects.push({
            type: 'log',
            message: `${suspended ? 'Dea' : 'A'}ctivating healthchecker for service ${rs.name} for VS ${vs.name}`,
          });
        });
        if (vs.haSuspend) effects.push({ type: 'checkers', server: rs.id, enabled: !suspended });
      });
    });
    return effects;
  }

  /** A verdict of the checker scheduler ('server-state'): the server's aliveness and effective weight. */
  serverState(id: string, up: boolean, weight: number): LbEffect[] {
    if (this.phase !== 'running') {
      if (this.phase === 'configured') this.record(id, up, weight);
      return [];
    }
    const effects: LbEffect[] = [];
    for (const [v, r] of this.byId.get(id) ?? []) {
      const server = (this.states[v] as VirtualServerState).servers[r] as ServerState;
      this.dirty.add(v);
      if (server.alive === up) {
        if (server.weight !== weight) this.changeWeight(v, r, weight, effects);
        continue;
      }
      // A MISC_CHECK success sets its weight before the server comes up; a failure restores it silently.
      if (up && server.weight !== weight) this.changeWeight(v, r, weight, effects);
      else server.weight = weight;
      this.changeAlive(v, r, up, effects);
    }
    return effects;
  }

  /**
   * ha_suspend: the addresses now on this host (one entry per address and interface). A virtual
   * server's checkers resume when its address appears and are suspended when its last copy goes.
   */
  setLocalAddresses(addresses: Iterable<string>): LbEffect[] {
    const counts = countAddresses(addresses);
    const effects: LbEffect[] = [];
    this.config.virtualServers.forEach((vs, v) => {
      if (!vs.haSuspend || vs.haSuspendAddress === undefined) return;
      const state = this.states[v] as VirtualServerState;
      const now = counts.get(vs.haSuspendAddress) ?? 0;
      const before = state.addressCount;
      state.addressCount = now;
      if (this.phase !== 'running' || before > 0 === now > 0) return;
      const enable = now > 0;
      vs.realServers.forEach((rs, r) => {
        const server = state.servers[r] as ServerState;
        server.checkersEnabled.forEach((enabled, i) => {
          if (enabled === enable) return;
          server.checkersEnabled[i] = enable;
          effects.push({
            type: 'log',
            message: `${enable ? 'Activat' : 'Suspend'}ing healthchecker for service ${rs.name} for VS ${vs.name}`,
          });
        });
        effects.push({ type: 'checkers', server: rs.id, enabled: enable });
      });
    });
    return effects;
  }

  /** keepalived's clear_services() at stop: what it says and runs; table() is empty afterwards. */
  shutdown(): LbEffect[] {
    if (this.phase !== 'running') {
      this.phase = 'stopped';
      return [];
    }
    const effects: LbEffect[] = [];
    this.config.virtualServers.forEach((vs, v) => {
      const state = this.states[v] as VirtualServerState;
      if (this.config.flushOnStop === 'none') {
        // The sorry server goes first, silently; the real servers it displaced are not in the kernel.
        const displaced = state.sorryIn;
        state.sorryIn = false;
        vs.realServers.forEach((rs, r) => this.shutDownServer(vs, state, rs, r, displaced, effects));
      }
      this.stoppingNotifies(v, effects);
      this.dirty.add(v);
    });
    this.phase = 'stopped';
    return effects;
  }

  /** The kernel table for the current state (empty before start() and after shutdown()). */
  table(): LbTable {
    if (this.phase !== 'running') return { services: [] };
    // Only the virtual servers touched since the last takeChanges() can differ from what it handed out
    // (every change of the state marks its virtual server dirty): rebuilding the rest would cost the
    // whole table on every verdict (tens of milliseconds for 1,000 x 10).
    const stale = new Set<number>();
    for (const v of this.dirty) for (const s of this.sourcesOf[v] ?? []) stale.add(s);
    return {
      services: this.sources.map((source, s) => {
        const held = stale.has(s) ? undefined : this.held[s];
        return held ?? buildService(this.config, source, this.view);
      }),
    };
  }

  /**
   * The changes from the table the previous call handed out (at first: an empty kernel table) to
   * table(), in an order the kernel accepts. Only the services of virtual servers touched since are
   * looked at, so one verdict costs the size of its virtual server, not of the whole table. After a
   * failed apply, diff what the kernel holds against table() instead (diffTables).
   */
  takeChanges(): LbChange[] {
    const affected = new Set<number>();
    for (const v of this.dirty) for (const s of this.sourcesOf[v] ?? []) affected.add(s);
    this.dirty.clear();
    const changes: LbChange[] = [];
    const deletions: LbChange[] = [];
    for (const s of [...affected].sort((a, b) => a - b)) {
      const old = this.held[s];
      const next =
        this.phase === 'running'
          ? buildService(this.config, this.sources[s] as ServiceSource, this.view)
          : undefined;
      this.held[s] = next;
      if (next !== undefined) changes.push(...diffService(old, next));
      else if (old !== undefined) deletions.push({ op: 'delete-service', key: old.key });
    }
    return [...changes, ...deletions];
  }

  state(): LbState {
    const servers = new Map<string, { up: boolean; weight: number }>();
    this.config.virtualServers.forEach((vs, v) => {
      const state = this.states[v] as VirtualServerState;
      vs.realServers.forEach((rs, r) => {
        const s = state.servers[r] as ServerState;
        servers.set(rs.id, { up: s.alive, weight: s.weight });
      });
    });
    return { servers, quorumUp: this.states.map((s) => s.quorumUp) };
  }

  quorumUp(virtualServer: number): boolean | undefined {
    return this.states[virtualServer]?.quorumUp;
  }

  private record(id: string, up: boolean, weight: number): void {
    for (const [v, r] of this.byId.get(id) ?? []) {
      const server = (this.states[v] as VirtualServerState).servers[r] as ServerState;
      server.alive = up;
      server.weight = weight;
    }
  }

  private liveWeight(v: number): number {
    const vs = this.config.virtualServers[v] as LbVirtualServer;
    const state = this.states[v] as VirtualServerState;
    return vs.realServers.reduce((sum, _rs, r) => {
      const s = state.servers[r] as ServerState;
      return s.alive ? sum + kernelWeight(s.weight) : sum;
    }, 0);
  }

  /** update_svr_wgt(): a new effective weight, logged when the kernel weight changes. */
  private changeWeight(v: number, r: number, weight: number, effects: LbEffect[]): void {
    const vs = this.config.virtualServers[v] as LbVirtualServer;
    const rs = vs.realServers[r] as LbRealServer;
    const server = (this.states[v] as VirtualServerState).servers[r] as ServerState;
    const before = kernelWeight(server.weight);
    const after = kernelWeight(weight);
    server.weight = weight;
    if (before === after) return;
    effects.push({
      type: 'log',
      message:
        `Changing weight from ${before} to ${after} for ${server.alive ? '' : 'in'}active service ` +
        `${rs.name} of VS ${vs.name}`,
    });
    this.updateQuorum(v, false, effects);
  }

  /** perform_svr_state(): a real server enters or leaves the pool. */
  private changeAlive(v: number, r: number, alive: boolean, effects: LbEffect[]): void {
    const vs = this.config.virtualServers[v] as LbVirtualServer;
    const rs = vs.realServers[r] as LbRealServer;
    const server = (this.states[v] as VirtualServerState).servers[r] as ServerState;
    const verb = alive ? (rs.inhibit ? 'Enabl' : 'Add') : rs.inhibit ? 'Disabl' : 'Remov';
    const preposition = rs.inhibit ? 'of' : alive ? 'to' : 'from';
    effects.push({ type: 'log', message: `${verb}ing service ${rs.name} ${preposition} VS ${vs.name}` });
    server.alive = alive;
    this.serverNotifies(vs, rs, alive, false, effects);
    this.updateQuorum(v, false, effects);
  }

  /** do_rs_notifies(): notify_up / notify_down and the FIFO line. */
  private serverNotifies(
    vs: LbVirtualServer,
    rs: LbRealServer,
    alive: boolean,
    stopping: boolean,
    effects: LbEffect[],
  ): void {
    const script = alive ? rs.notifyUp : rs.notifyDown;
    if (script)
      effects.push({ type: 'script', event: alive ? 'notify_up' : 'notify_down', script, stopping });
    effects.push({ type: 'fifo', line: `RS ${rs.name} ${vs.name} ${alive ? 'UP' : 'DOWN'}\n` });
    effects.push(this.notification(vs, stopping, rs.id));
  }

  private notification(vs: LbVirtualServer, stopping: boolean, server?: string): LbEffect {
    const v = this.config.virtualServers.indexOf(vs);
    const state = this.states[v] as VirtualServerState;
    return {
      type: 'notification',
      virtualServer: vs.modelIndex,
      ...(server !== undefined ? { server } : {}),
      stopping,
      quorumUp: state.quorumUp,
      aliveServers: vs.realServers.filter((_rs, r) => state.servers[r]?.alive).map((rs) => rs.id),
    };
  }

  /** update_quorum_state(): gain or lose the quorum, swapping the sorry server in or out. */
  private updateQuorum(v: number, init: boolean, effects: LbEffect[]): void {
    const vs = this.config.virtualServers[v] as LbVirtualServer;
    const state = this.states[v] as VirtualServerState;
    const weightSum = this.liveWeight(v);
    const threshold = u32(state.quorumUp ? vs.quorum - vs.hysteresis : vs.quorum + vs.hysteresis);
    const sorry = vs.sorryServer;
    const log = (message: string): void => void effects.push({ type: 'log', message });
    if (!state.quorumUp && weightSum >= threshold) {
      state.quorumUp = true;
      log(`Gained quorum ${vs.quorum}+${vs.hysteresis}=${threshold} <= ${weightSum} for VS ${vs.name}`);
      if (sorry && state.sorryIn) {
        log(`${sorry.inhibit ? 'Disabling' : 'Removing'} sorry server ${sorry.name} from VS ${vs.name}`);
        state.sorryIn = false;
        log(`Adding alive servers to the pool for VS ${vs.name}`);
      }
      this.quorumNotifies(v, init, threshold, weightSum, false, effects);
    } else if (
      (state.quorumUp && (weightSum === 0 || weightSum < threshold)) ||
      (init && !state.quorumUp && sorry !== undefined && !state.sorryIn)
    ) {
      state.quorumUp = false;
      // keepalived prints "-" here even at start, where the threshold it computed was quorum + hysteresis.
      log(
        `${init ? 'Starting with quorum down' : 'Lost quorum'} ${vs.quorum}-${vs.hysteresis}=${threshold} ` +
          `> ${weightSum} for VS ${vs.name}`,
      );
      if (sorry && !state.sorryIn) {
        log(`${sorry.inhibit ? 'Enabling' : 'Adding'} sorry server ${sorry.name} to VS ${vs.name}`);
        log(`Removing alive servers from the pool for VS ${vs.name}`);
        state.sorryIn = true;
      }
      this.quorumNotifies(v, init, threshold, weightSum, false, effects);
    }
  }

  /** do_vs_notifies(): quorum_up / quorum_down, the FIFO line, the mail. At stop only with omega. */
  private quorumNotifies(
    v: number,
    init: boolean,
    threshold: number,
    weightSum: number,
    stopping: boolean,
    effects: LbEffect[],
  ): void {
    const vs = this.config.virtualServers[v] as LbVirtualServer;
    const up = (this.states[v] as VirtualServerState).quorumUp;
    effects.push(this.notification(vs, stopping));
    if (stopping && !vs.omega) return;
    const script = up ? vs.quorumUp : vs.quorumDown;
    if (script) effects.push({ type: 'script', event: up ? 'quorum_up' : 'quorum_down', script, stopping });
    effects.push({ type: 'fifo', line: `VS ${vs.name} ${up ? 'UP' : 'DOWN'}\n` });
    effects.push({
      type: 'quorum',
      virtualServer: vs.name,
      up,
      init,
      stopping,
      quorum: vs.quorum,
      hysteresis: vs.hysteresis,
      threshold,
      weightSum,
    });
  }

  /** clear_service_rs() at stop, when keepalived removes its services real server by real server. */
  private shutDownServer(
    vs: LbVirtualServer,
    state: VirtualServerState,
    rs: LbRealServer,
    r: number,
    displaced: boolean,
    effects: LbEffect[],
  ): void {
    const server = state.servers[r] as ServerState;
    // keepalived's rs->set: an inhibited server is always in the kernel, another one while alive and
    // not displaced by the sorry server. One not in the kernel is logged but not notified.
    const inTable = rs.inhibit || (server.alive && !displaced);
    effects.push({
      type: 'log',
      message: `Shutting down ${rs.inhibit && !server.alive ? '(inhibited) ' : ''}service ${rs.name} from VS ${vs.name}`,
    });
    if (!inTable || !server.alive) return;
    server.alive = false;
    if (!vs.omega) {
      effects.push(this.notification(vs, true, rs.id));
      return;
    }
    this.serverNotifies(vs, rs, false, true, effects);
    effects.push({ type: 'server-shutdown', server: rs.id, virtualServer: vs.name });
  }

  /** update_vs_notifies(stopping): the quorum goes down with the service. */
  private stoppingNotifies(v: number, effects: LbEffect[]): void {
    const vs = this.config.virtualServers[v] as LbVirtualServer;
    const state = this.states[v] as VirtualServerState;
    const weightSum = this.liveWeight(v);
    state.quorumUp = false;
    this.quorumNotifies(v, false, u32(vs.quorum - vs.hysteresis), weightSum, true, effects);
  }
}

function countAddresses(addresses: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of addresses) {
    const a = canonicalAddress(text) ?? text;
    counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  return counts;
}
