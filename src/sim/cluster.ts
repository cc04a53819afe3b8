// A whole VRRP cluster in one process: N routers running the very engine the daemon runs, on simulated
// LANs with a simulated clock. Nothing here sleeps or touches the network; a seed replays a run exactly.
import type { IpFamily } from '../vrrp/advert.js';
import { Engine, type Action, type EngineEvent } from '../vrrp/engine/engine.js';
import type { EngineSpec, InstanceSpec, VrrpState } from '../vrrp/engine/spec.js';
import type { HmacConfig } from '../vrrp/wire/auth-hmac.js';
import { defaultWireSettings, type AdvertWireSettings } from '../vrrp/wire/datagram.js';
import { AdvertEndpoint, type ReceivedPacket } from '../vrrp/wire/endpoint.js';
import { EventQueue } from './event-queue.js';
import { Network, type NetworkConditions } from './network.js';
import { Random } from './random.js';

export interface RouterConfig {
  name: string;
  spec: EngineSpec;
  /** How instances frame their adverts, by name (keepalived's defaults for the others). */
  wire?: ReadonlyMap<string, { settings: AdvertWireSettings; hmac?: HmacConfig }>;
  /** Relative clock rate error, e.g. 1e-4 runs this router's clock 100 ppm fast. */
  clockDrift?: number;
}

export interface SimOptions {
  seed: number;
  network?: Partial<NetworkConditions>;
  /** How long a vrrp_script takes to answer, ms. */
  scriptDelayMs?: number;
  /** Keep the full action log (tests); off for long benchmarks. */
  recordActions?: boolean;
}

export type ScenarioEvent =
  | { type: 'down' | 'up' | 'crash' | 'start' | 'stop'; node: string }
  /** A tracker of `node` named `name` (script, file, process or interface) fails or recovers. */
  | { type: 'tracker'; node: string; name: string; ok: boolean }
  | { type: 'partition'; groups: string[][] }
  | { type: 'heal' }
  | { type: 'network'; conditions: Partial<NetworkConditions> };

export interface Transition {
  /** Simulated time, ms. */
  t: number;
  node: string;
  instance: string;
  from: VrrpState;
  to: VrrpState;
}

export interface VipMove {
  t: number;
  node: string;
  instance: string;
  address: string;
  op: 'add' | 'remove';
}

export interface RecordedAction {
  t: number;
  node: string;
  action: Action;
}

type QueueItem =
  | { kind: 'timer'; node: string; incarnation: number }
  | { kind: 'deliver'; node: string; incarnation: number; packet: ReceivedPacket }
  | { kind: 'script'; node: string; incarnation: number; name: string }
  | { kind: 'scenario'; event: ScenarioEvent };

/** One simulated host. `incarnation` changes on crash/restart so that its stale queue entries are ignored. */
export class SimRouter {
  engine: Engine | undefined;
  running = false;
  incarnation = 0;
  /** Next deadline scheduled in the queue (global ms), to avoid queueing duplicates. */
  scheduledAt: number | undefined;
  readonly states = new Map<string, VrrpState>();
  /** VIPs this host holds now, per instance. */
  readonly held = new Map<string, Set<string>>();
  /** Tracker name -> ok; unknown names are ok. */
  readonly trackerOk = new Map<string, boolean>();
  /** Address of this host per `ifname/family`, used as the advert source and to match unicast peers. */
  readonly addresses = new Map<string, string>();
  /** Its adverts' bytes, and its judgement of the adverts it hears: the daemon's own (vrrp/wire). */
  readonly wire = new AdvertEndpoint();

  readonly config: RouterConfig;

  constructor(
    config: RouterConfig,
    readonly index: number,
  ) {
    for (const inst of config.spec.instances) {
      const key = `${inst.interface}/${inst.family}`;
      if (!this.addresses.has(key))
        this.addresses.set(key, inst.sourceAddress ?? syntheticAddress(index, inst.family));
    }
    // Like the daemon, tell each instance its primary address: the equal-priority tie-break needs it.
    const instances = config.spec.instances.map((i) =>
      i.sourceAddress !== undefined ? i : { ...i, sourceAddress: this.addressOn(i.interface, i.family) },
    );
    this.config = { ...config, spec: { ...config.spec, instances } };
    this.wire.configure(
      instances.map((spec) => {
        const wire = config.wire?.get(spec.name);
        return {
          spec,
          settings: wire?.settings ?? defaultWireSettings(spec.family),
          ...(wire?.hmac !== undefined ? { hmac: wire.hmac } : {}),
          receiveOn: [spec.interface],
        };
      }),
      (family) => [...this.addresses.values()].filter((a) => a.includes(':') === (family === 6)),
    );
  }

  get name(): string {
    return this.config.name;
  }

  /** Global simulated ms -> this router's own clock. */
  local(t: number): number {
    return t * (1 + (this.config.clockDrift ?? 0));
  }

  global(local: number): number {
    return local / (1 + (this.config.clockDrift ?? 0));
  }

  addressOn(ifname: string, family: IpFamily): string {
    return this.addresses.get(`${ifname}/${family}`) ?? syntheticAddress(this.index, family);
  }
}

function syntheticAddress(index: number, family: IpFamily): string {
  const n = index + 1;
  return family === 4 ? `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` : `fe80::${n.toString(16)}`;
}

/** The simulated wall clock (auth_hmac's time window) starts here. */
const REALTIME_EPOCH_MS = Date.UTC(2026, 0, 1);

export class Cluster {
  readonly routers: SimRouter[];
  readonly network: Network;
  readonly transitions: Transition[] = [];
  readonly vipMoves: VipMove[] = [];
  readonly actions: RecordedAction[] = [];
  /** Time of the last scenario event that disturbs the cluster (for convergence checks). */
  lastDisturbance = 0;
  now = 0;
  private readonly queue = new EventQueue<QueueItem>();
  private readonly byName = new Map<string, SimRouter>();
  /** `ifname/family/vrid` -> routers with such an instance: who hears an advert. */
  private readonly listeners = new Map<string, SimRouter[]>();
  private readonly scriptDelayMs: number;
  private readonly record: boolean;

  constructor(configs: RouterConfig[], options: SimOptions) {
    const random = new Random(options.seed);
    this.network = new Network(options.network ?? {}, random.fork());
    this.scriptDelayMs = options.scriptDelayMs ?? 5;
    this.record = options.recordActions ?? false;
    this.routers = configs.map((c, i) => new SimRouter(c, i));
    for (const r of this.routers) {
      if (this.byName.has(r.name)) throw new Error(`two routers named '${r.name}'`);
      this.byName.set(r.name, r);
      for (const inst of r.config.spec.instances) {
        const key = listenerKey(inst.interface, inst.family, inst.vrid);
        const list = this.listeners.get(key) ?? [];
        if (!list.includes(r)) list.push(r);
        this.listeners.set(key, list);
      }
    }
  }

  router(name: string): SimRouter {
    const r = this.byName.get(name);
    if (r === undefined) throw new Error(`no router named '${name}'`);
    return r;
  }

  /** Queue a scenario event at simulated time `t` (ms). */
  schedule(t: number, event: ScenarioEvent): void {
    this.queue.push(t, { kind: 'scenario', event });
  }

  /** Start every router at time 0 (or now). */
  startAll(): void {
    for (const r of this.routers) this.start(r);
  }

  /** Run until simulated time `until` (ms); `onStep` sees the cluster after every processed event. */
  run(until: number, onStep?: (c: Cluster) => void): void {
    for (;;) {
      const at = this.queue.peekTime();
      if (at === undefined || at > until) break;
      const next = this.queue.pop() as { at: number; item: QueueItem };
      this.now = next.at;
      this.process(next.item);
      onStep?.(this);
    }
    this.now = until;
  }

  stateOf(node: string, instance: string): VrrpState {
    return this.router(node).states.get(instance) ?? 'INIT';
  }

  /** Routers (running) whose instance `instance` is MASTER. */
  mastersOf(instance: string): string[] {
    return this.routers.filter((r) => r.running && r.states.get(instance) === 'MASTER').map((r) => r.name);
  }

  private process(item: QueueItem): void {
    switch (item.kind) {
      case 'scenario':
        this.applyScenario(item.event);
        return;
      case 'timer': {
        const r = this.router(item.node);
        if (!r.running || r.incarnation !== item.incarnation) return;
        r.scheduledAt = undefined;
        this.feed(r, { type: 'timer' });
        return;
      }
      case 'deliver': {
        const r = this.router(item.node);
        if (!r.running || r.incarnation !== item.incarnation) return;
        for (const event of r.wire.receive(item.packet, REALTIME_EPOCH_MS + r.local(this.now)))
          if (r.running && r.incarnation === item.incarnation) this.feed(r, event);
        return;
      }
      case 'script': {
        const r = this.router(item.node);
        if (!r.running || r.incarnation !== item.incarnation) return;
        const ok = r.trackerOk.get(item.name) ?? true;
        this.feed(r, { type: 'script-result', name: item.name, ok, exitStatus: ok ? 0 : 1 });
        return;
      }
    }
  }

  private applyScenario(e: ScenarioEvent): void {
    this.lastDisturbance = this.now;
    switch (e.type) {
      case 'down':
      case 'up':
        this.network.setCutOff(e.node, e.type === 'down');
        return;
      case 'crash': {
        const r = this.router(e.node);
        // A crashed host takes its addresses with it; nothing is sent.
        r.running = false;
        r.engine = undefined;
        r.incarnation++;
        r.scheduledAt = undefined;
        for (const [inst] of r.held) this.releaseAll(r, inst);
        r.states.clear();
        return;
      }
      case 'start':
        this.start(this.router(e.node));
        return;
      case 'stop': {
        const r = this.router(e.node);
        if (!r.running) return;
        this.feed(r, { type: 'shutdown' });
        r.running = false;
        r.engine = undefined;
        r.incarnation++;
        r.scheduledAt = undefined;
        return;
      }
      case 'tracker':
        this.applyTracker(this.router(e.node), e.name, e.ok);
        return;
      case 'partition':
        this.network.partition(e.groups);
        return;
      case 'heal':
        this.network.heal();
        return;
      case 'network':
        this.network.conditions = { ...this.network.conditions, ...e.conditions };
        return;
    }
  }

  private applyTracker(r: SimRouter, name: string, ok: boolean): void {
    r.trackerOk.set(name, ok);
    if (!r.running) return;
    const spec = r.config.spec;
    if (spec.trackFiles.some((f) => f.name === name))
      this.feed(r, { type: 'file-value', name, value: ok ? 0 : 1 });
    else if (spec.trackProcesses.some((p) => p.name === name))
      this.feed(r, { type: 'process', name, running: ok });
    else if (spec.bfds?.some((b) => b.name === name)) this.feed(r, { type: 'bfd', name, up: ok });
    else if (!spec.scripts.some((s) => s.name === name)) this.feed(r, { type: 'link', ifname: name, up: ok });
    // Scripts report their new result the next time they run.
  }

  private start(r: SimRouter): void {
    if (r.running) return;
    r.running = true;
    r.incarnation++;
    // BFD sessions count as Up unless failed: the simulated LAN has no BFD peers to bring them up.
    const bfdsUp = (r.config.spec.bfds ?? [])
      .filter((b) => r.trackerOk.get(b.name) !== false)
      .map((b) => b.name);
    r.engine = new Engine({ ...r.config.spec, bfdsUp });
    r.states.clear();
    this.feed(r, { type: 'start' });
    for (const [name, ok] of r.trackerOk) if (!ok) this.applyTracker(r, name, ok);
  }

  private feed(r: SimRouter, event: EngineEvent): void {
    const engine = r.engine;
    if (engine === undefined) return;
    const actions = engine.handle(r.local(this.now), event);
    for (const a of actions) this.apply(r, a);
    const deadline = engine.nextDeadline();
    if (deadline !== undefined && r.running) {
      // Never schedule in the past: a deadline already due fires at once.
      const at = Math.max(this.now, r.global(deadline));
      if (r.scheduledAt === undefined || at < r.scheduledAt) {
        r.scheduledAt = at;
        this.queue.push(at, { kind: 'timer', node: r.name, incarnation: r.incarnation });
      }
    }
  }

  private apply(r: SimRouter, a: Action): void {
    if (this.record) this.actions.push({ t: this.now, node: r.name, action: a });
    switch (a.type) {
      case 'state-change':
        r.states.set(a.instance, a.to);
        this.transitions.push({ t: this.now, node: r.name, instance: a.instance, from: a.from, to: a.to });
        return;
      case 'add-addresses':
      case 'remove-addresses': {
        const set = r.held.get(a.instance) ?? new Set<string>();
        r.held.set(a.instance, set);
        for (const vip of a.addresses) {
          const had = set.has(vip.address);
          if (a.type === 'add-addresses' && !had) set.add(vip.address);
          else if (a.type === 'remove-addresses' && had) set.delete(vip.address);
          else continue;
          const op = a.type === 'add-addresses' ? 'add' : 'remove';
          this.vipMoves.push({ t: this.now, node: r.name, instance: a.instance, address: vip.address, op });
        }
        return;
      }
      case 'send-advert':
        this.transmit(r, a);
        return;
      case 'run-script':
        this.queue.push(this.now + this.scriptDelayMs, {
          kind: 'script',
          node: r.name,
          incarnation: r.incarnation,
          name: a.name,
        });
        return;
      default:
        return;
    }
  }

  private releaseAll(r: SimRouter, instance: string): void {
    const set = r.held.get(instance);
    if (set === undefined) return;
    for (const address of set)
      this.vipMoves.push({ t: this.now, node: r.name, instance, address, op: 'remove' });
    set.clear();
  }

  private transmit(r: SimRouter, a: Extract<Action, { type: 'send-advert' }>): void {
    const source = a.source ?? r.addressOn(a.ifname, a.family);
    const datagrams = r.wire.datagrams(a, source, REALTIME_EPOCH_MS + r.local(this.now)) ?? [];
    const receivers = this.listeners.get(listenerKey(a.ifname, a.family, a.advert.vrid)) ?? [];
    for (const peer of receivers) {
      if (peer === r || !peer.running || !this.network.connected(r.name, peer.name)) continue;
      const peerAddress = peer.addressOn(a.ifname, a.family);
      // multicast: the one datagram to the group; unicast: the one addressed to this peer
      const datagram = datagrams.find((d) => a.to === 'multicast' || d.destination === peerAddress);
      if (datagram === undefined) continue;
      for (const delay of this.network.deliveries()) {
        const packet: ReceivedPacket = {
          ifname: a.ifname,
          family: a.family,
          data: datagram.bytes.slice(), // the sender patches its cached bytes per advert (IPv4 id)
          source,
          destination: datagram.destination,
          hopLimit: 255,
        };
        this.queue.push(this.now + delay, {
          kind: 'deliver',
          node: peer.name,
          incarnation: peer.incarnation,
          packet,
        });
      }
    }
  }
}

function listenerKey(ifname: string, family: IpFamily, vrid: number): string {
  return `${ifname}/${family}/${vrid}`;
}

/** The instance specs of all routers that share one virtual router (same LAN, family and VRID). */
export function virtualRouters(
  routers: readonly SimRouter[],
): Map<string, { node: string; spec: InstanceSpec }[]> {
  const out = new Map<string, { node: string; spec: InstanceSpec }[]>();
  for (const r of routers) {
    for (const inst of r.config.spec.instances) {
      const key = listenerKey(inst.interface, inst.family, inst.vrid);
      const list = out.get(key) ?? [];
      list.push({ node: r.name, spec: inst });
      out.set(key, list);
    }
  }
  return out;
}
