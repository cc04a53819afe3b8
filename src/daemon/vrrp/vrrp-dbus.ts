// The VRRP child on the system bus, as keepalived's VRRP process with enable_dbus (vrrp_dbus.c): it owns
// org.keepalived.Vrrp1 (or dbus_service_name), exports /org/keepalived/Vrrp1/Vrrp and one object per instance
// (dbus-objects.ts), emits VrrpStarted, VrrpReloaded, VrrpStopped and each instance's VrrpStatusChange, and
// answers PrintData, PrintStats, PrintStatsClear, ReloadConfig, SendGarp and the Name / State properties.
// The bus is reached at DBUS_SYSTEM_BUS_ADDRESS, else the standard socket, as GLib does. Nothing here holds
// the daemon up: the connection is made in the background, signals are written to the socket as they come,
// calls are answered from the live state; a bus that is absent or goes away is logged and DBus stays off.
import { readFileSync } from 'node:fs';
import { Message, RequestNameReply, Variant, systemBus, type MessageBus } from 'dbus-next';
import type { Model } from '../../config/index.js';
import type { VrrpSetup } from '../../vrrp/from-model.js';
import type { VrrpState } from '../../vrrp/engine/spec.js';
import type { Logger } from '../process/log.js';
import {
  DbusObjects,
  INSTANCE_INTERFACE,
  STATE_CODE,
  VRRP_INTERFACE,
  instanceObjectPath,
  type DbusAnswer,
  type DbusInstance,
  type DbusNaming,
  type DbusRequest,
  type Typed,
} from './dbus-objects.js';

/** What the daemon gives the bus: its live state and the things a call may ask of it. */
export interface VrrpDbusHost {
  setup(): VrrpSetup;
  state(instance: string): VrrpState | undefined;
  printData(): void;
  printStats(clear: boolean): void;
  sendGarp(instance: string): void;
  reloadConfig(): void;
}

const MACHINE_ID_FILES = ['/etc/machine-id', '/var/lib/dbus/machine-id'];
/** How long a stop waits for VrrpStopped to reach the bus. */
const STOP_WAIT_MS = 1000;

function instancesOf(setup: VrrpSetup): DbusInstance[] {
  return setup.engine.instances.map((i) => ({
    name: i.name,
    ifname: i.interface,
    vrid: i.vrid,
    family: i.family,
  }));
}

function variant(t: Typed): Variant {
  return new Variant(t.signature, t.value);
}

/** A reply body as dbus-next marshals it: typed values become variants. */
function marshalBody(signature: string, body: unknown[]): unknown[] {
  if (signature === 'v') return [variant(body[0] as Typed)];
  if (signature === 'a{sv}')
    return [
      Object.fromEntries(Object.entries(body[0] as Record<string, Typed>).map(([k, t]) => [k, variant(t)])),
    ];
  return body;
}

export class VrrpDbus {
  private bus: MessageBus | undefined;
  private objects: DbusObjects;
  /** Set once the name is ours: before that, state changes are not signalled (keepalived neither). */
  private owned = false;
  private closed = false;
  /** Instance name -> the path its VrrpStatusChange leaves from (keepalived signals on the instance's
   * path even when another instance's object holds it). */
  private signalPaths = new Map<string, string>();

  private constructor(
    private model: Model,
    private readonly options: { namespace?: string },
    private readonly host: VrrpDbusHost,
    private readonly log: Logger,
  ) {
    this.objects = this.build();
  }

  /** The bus service enable_dbus asks for, or undefined. */
  static create(
    model: Model,
    options: { namespace?: string },
    host: VrrpDbusHost,
    log: Logger,
  ): VrrpDbus | undefined {
    return model.global.enableDbus ? new VrrpDbus(model, options, host, log) : undefined;
  }

  private get serviceName(): string {
    return this.model.global.dbusServiceName;
  }

  private naming(): DbusNaming {
    const g = this.model.global;
    const namespace = this.options.namespace ?? g.netNamespace;
    return {
      ...(namespace !== undefined ? { namespace } : {}),
      ...(g.instanceName !== undefined ? { instance: g.instanceName } : {}),
      noInterfaceName: g.dbusNoInterfaceName,
    };
  }

  private build(): DbusObjects {
    const naming = this.naming();
    const instances = instancesOf(this.host.setup());
    this.signalPaths = new Map(instances.map((i) => [i.name, instanceObjectPath(naming, i)]));
    return new DbusObjects(naming, instances, (name) => this.host.state(name));
  }

  /** Connects and takes the name in the background. */
  start(): void {
    let bus: MessageBus;
    try {
      bus = systemBus();
    } catch (e) {
      this.log.info(`DBus: cannot connect to the system bus: ${(e as Error).message}`);
      return;
    }
    this.bus = bus;
    bus.on('error', (e: unknown) => this.lost(`${(e as Error).message}`));
    bus.addMethodHandler((msg: Message) => this.onCall(msg));
    bus.on('connect', () => void this.acquire(bus));
  }

  private async acquire(bus: MessageBus): Promise<void> {
    this.log.info(`Acquired DBus bus ${this.serviceName}`);
    let reply: number;
    try {
      reply = await bus.requestName(this.serviceName, 0);
    } catch (e) {
      this.lost((e as Error).message);
      return;
    }
    if (reply !== RequestNameReply.PRIMARY_OWNER && reply !== RequestNameReply.ALREADY_OWNER) {
      this.lost('the name has another owner');
      return;
    }
    if (this.closed) return;
    this.owned = true;
    this.log.info(`Acquired the name ${this.serviceName} on the session bus`);
    // keepalived: VrrpStarted only when there are instances, then each instance's current state.
    const instances = instancesOf(this.host.setup());
    if (instances.length === 0) return;
    this.signal(this.objects.vrrpPath, VRRP_INTERFACE, 'VrrpStarted');
    for (const i of instances) {
      const state = this.host.state(i.name);
      if (state !== undefined) this.stateChanged(i.name, state);
    }
  }

  /** keepalived's words (it says "session bus" for the system bus too); DBus is off from here on. */
  private lost(why: string): void {
    // said once: a connection that fails may report more than one error
    if (this.closed || this.bus === undefined) return;
    this.log.info(`Lost the name ${this.serviceName} on the session bus`);
    this.log.debug(`DBus: ${why}`);
    this.owned = false;
    const bus = this.bus;
    this.bus = undefined;
    try {
      bus?.disconnect();
    } catch {
      // already closed
    }
  }

  /** An instance's notify (keepalived's send_instance_notifies): VrrpStatusChange on its object. */
  stateChanged(instance: string, state: VrrpState): void {
    if (!this.owned) return;
    const path = this.signalPaths.get(instance);
    if (path === undefined) return;
    this.signal(path, INSTANCE_INTERFACE, 'VrrpStatusChange', 'u', [STATE_CODE[state]]);
  }

  /** A reload: the new configuration's objects, then VrrpReloaded. */
  reload(model: Model): void {
    this.model = model;
    this.objects = this.build();
    if (this.owned) this.signal(this.objects.vrrpPath, VRRP_INTERFACE, 'VrrpReloaded');
  }

  /** VrrpStopped, then the name is released and the connection closed. */
  async close(waitMs = STOP_WAIT_MS): Promise<void> {
    const bus = this.bus;
    const owned = this.owned;
    this.closed = true;
    this.owned = false;
    this.bus = undefined;
    if (bus === undefined) return;
    if (owned) {
      this.signal(this.objects.vrrpPath, VRRP_INTERFACE, 'VrrpStopped', '', [], bus);
      // Messages leave in order: once the bus answers this, VrrpStopped has reached it.
      await Promise.race([
        bus.releaseName(this.serviceName).catch(() => undefined),
        new Promise((r) => setTimeout(r, waitMs).unref()),
      ]);
      this.log.info('Released DBus');
    }
    try {
      bus.disconnect();
    } catch {
      // already closed
    }
  }

  private signal(
    path: string,
    iface: string,
    name: string,
    signature = '',
    body: unknown[] = [],
    bus = this.bus,
  ): void {
    try {
      bus?.send(Message.newSignal(path, iface, name, signature, body));
    } catch (e) {
      this.log.info(`Emitting DBus signal ${iface}.${name} on ${path} failed: ${(e as Error).message}`);
      // the bus went away: DBus is off, as keepalived's on_name_lost leaves it
      this.lost((e as Error).message);
    }
  }

  /** Every method call to this connection: answered here, never by the library's own handlers. */
  private onCall(msg: Message): boolean {
    const bus = this.bus;
    if (bus === undefined) return false;
    const answer = this.objects.answer({
      path: msg.path,
      interface: msg.interface || undefined,
      member: msg.member,
      signature: msg.signature || '',
      body: msg.body ?? [],
    });
    const request = answer.kind === 'reply' ? answer.request : undefined;
    // keepalived answers once the work is done (the dump file is there when the reply arrives), except
    // ReloadConfig, answered before the reload starts
    if (request !== undefined && request.type !== 'reload') this.run(request);
    this.reply(bus, msg, answer);
    if (request?.type === 'reload') this.run(request);
    return true;
  }

  private reply(bus: MessageBus, msg: Message, answer: DbusAnswer): void {
    if (answer.kind === 'error') {
      // dbus-next's typing names the first parameter a string; it is the call being answered.
      bus.send(Message.newError(msg as unknown as string, answer.name, answer.text));
      return;
    }
    if (answer.request?.type === 'machine-id') {
      const id = machineId();
      if (id === undefined)
        bus.send(
          Message.newError(
            msg as unknown as string,
            'org.freedesktop.DBus.Error.Failed',
            'Unable to load machine ID',
          ),
        );
      else bus.send(Message.newMethodReturn(msg, 's', [id]));
      return;
    }
    bus.send(Message.newMethodReturn(msg, answer.signature, marshalBody(answer.signature, answer.body)));
  }

  /** What a call asked of the daemon. */
  private run(request: DbusRequest): void {
    switch (request.type) {
      case 'print-data':
        this.log.info('Printing VRRP data on DBus request');
        this.host.printData();
        return;
      case 'print-stats':
        this.log.info(
          request.clear
            ? 'Printing and clearing VRRP stats on DBus request'
            : 'Printing VRRP stats on DBus request',
        );
        this.host.printStats(request.clear);
        return;
      case 'reload':
        this.host.reloadConfig();
        return;
      case 'send-garp':
        this.log.info(`Sending garps on ${request.instance} on DBus request`);
        this.host.sendGarp(request.instance);
        return;
      case 'machine-id':
        return;
    }
  }
}

function machineId(): string | undefined {
  for (const f of MACHINE_ID_FILES) {
    try {
      const id = readFileSync(f, 'utf8').trim();
      if (id !== '') return id;
    } catch {
      // the next one
    }
  }
  return undefined;
}
