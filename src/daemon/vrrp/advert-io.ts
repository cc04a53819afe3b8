// Adverts between the engine and the wire: the wire side (vrrp/wire/endpoint.ts) assembles the engine's
// send-advert actions into datagrams and judges the packets the raw sockets read; here are the sockets
// (VrrpTransport), the host's addresses (the source an instance speaks from, our own addresses), the
// auth_hmac key files and the log lines. Nothing here decides anything about VRRP state.
import { getSystemErrorName } from 'node:util';
import type { IpFamily } from '../../vrrp/advert.js';
import { shareBytes } from '../../vrrp/rx-buffer.js';
import type { EngineEvent, SendAdvertAction } from '../../vrrp/engine/events.js';
import type { InstanceSetup, VrrpSetup } from '../../vrrp/from-model.js';
import type { HmacConfig } from '../../vrrp/wire/auth-hmac.js';
import { AdvertEndpoint, type UnknownVrid, type WireTally } from '../../vrrp/wire/endpoint.js';
import { resolveHmacConfig } from '../../vrrp/wire/hmac-keys.js';
import { IPPROTO_AH, IPPROTO_VRRP } from '../../vrrp/wire/ipv4.js';
import type { TimedDatagram } from '../../net/timed-sender.js';
import { readKeyFileBytes } from '../../system/key-file.js';
import type { Logger } from '../process/log.js';
import type { RateLimitedLog } from '../process/rate-limited-log.js';
import type { HostState } from './host-state.js';
import { placeName, VrrpTransport, type RawVrrpPacket, type SocketPlace } from './transport.js';

/** keepalived's line (vrrp_scheduler.c, vrrp_dispatcher_read), one per advert, not rate limited. */
export function unknownVridMessage(u: UnknownVrid): string {
  const from = u.source === undefined ? '' : ` from ${u.source}`;
  return `Unknown VRID(${u.vrid}) received on interface(${u.ifname})${from}. ignoring...`;
}

/** What the transport tags a place's packets with: the interface, '' for an unbound socket. */
function packetsTag(place: SocketPlace): string {
  return typeof place === 'string' ? place : '';
}

export class AdvertIo {
  private readonly transport: VrrpTransport;
  private readonly wire = new AdvertEndpoint();
  private instances = new Map<string, InstanceSetup>();
  /** Last send error per instance, logged once until sending works again. */
  private readonly sendErrors = new Map<string, string>();
  private reloads = 0;
  /** log_unknown_vrids: each advert for a VRID no instance runs is logged. */
  private logUnknownVrids = false;
  private opened = false;

  constructor(
    private readonly host: HostState,
    private readonly log: Logger,
    /** Per-packet lines, a few of each kind a second (the counters count every packet). */
    private readonly packetLog: RateLimitedLog,
    private readonly feed: (event: EngineEvent) => void,
    setup: VrrpSetup,
  ) {
    this.transport = new VrrpTransport(
      (p) => this.receive(p),
      (where, e) => this.log.warn(`${where}: ${e.message}`),
    );
    this.reconfigure(setup);
  }

  reconfigure(setup: VrrpSetup): void {
    this.reloads++;
    this.logUnknownVrids = setup.logUnknownVrids;
    this.instances = new Map(setup.instances);
    this.wire.configure(
      [...setup.instances.values()].map((inst) => {
        const hmac = this.hmacFor(inst);
        return {
          spec: inst.spec,
          settings: inst.wire,
          ...(hmac ? { hmac } : {}),
          receiveOn: this.rxPlaces(inst).map(packetsTag),
          listenOn: packetsTag(this.txPlace(inst)),
        };
      }),
      (family) => this.host.ownAddresses(family),
    );
    if (this.opened) this.open();
  }

  private hmacFor(inst: InstanceSetup): HmacConfig | undefined {
    if (inst.authHmac === undefined) return undefined;
    const { config, problems } = resolveHmacConfig(
      inst.authHmac,
      inst.spec.advertIntervalCs,
      readKeyFileBytes,
    );
    for (const p of problems) this.log.error(`(${inst.spec.name}) auth_hmac: ${p}`);
    return config;
  }

  /** Opens the sockets every instance needs; failures are logged and leave that instance deaf. */
  open(): void {
    this.opened = true;
    this.openSockets();
    this.sizeReceiveBuffers();
  }

  /** Each socket's SO_RCVBUF: the shares of the instances on it added up (vrrp_rx_bufs_policy,
   * kernel_rx_buf_size); a socket nobody asks anything of gets its default back. keepalived keys its
   * sockets by unicast source and multicast group as well: instances of both kinds on one interface share
   * one socket here, and its buffer their shares. The MTU is the one known when this runs. */
  private sizeReceiveBuffers(): void {
    const sockets = new Map<
      string,
      { place: SocketPlace; family: IpFamily; protocol: number; bytes?: number }
    >();
    for (const inst of this.instances.values()) {
      const { spec } = inst;
      const protocol = spec.authType === 'ah' ? IPPROTO_AH : IPPROTO_VRRP;
      for (const place of this.places(inst)) {
        const key = `${placeName(place)}/${spec.family}/${protocol}`;
        const entry = sockets.get(key) ?? { place, family: spec.family, protocol };
        const mtu = typeof place === 'string' ? this.host.link(place)?.mtu : undefined;
        if (inst.rxBuffer !== undefined) entry.bytes = (entry.bytes ?? 0) + shareBytes(inst.rxBuffer, mtu);
        sockets.set(key, entry);
      }
    }
    for (const { place, family, protocol, bytes } of sockets.values()) {
      try {
        this.transport.setReceiveBuffer(place, family, protocol, bytes);
      } catch (e) {
        this.log.info(`vrrp set receive socket buffer size error ${(e as Error).message}`);
      }
    }
  }

  private openSockets(): void {
    for (const inst of this.instances.values()) {
      const { spec } = inst;
      const groups = spec.unicastPeers.length > 0 ? [] : [inst.wire.multicastGroup];
      const protocols = spec.authType === 'ah' ? [IPPROTO_AH] : [IPPROTO_VRRP];
      for (const protocol of protocols) {
        try {
          for (const place of this.rxPlaces(inst)) this.transport.open(place, spec.family, protocol, groups);
          const tx = this.txPlace(inst);
          if (typeof tx === 'string' && !this.rxPlaces(inst).includes(tx))
            this.transport.open(tx, spec.family, protocol, []);
        } catch (e) {
          const where = placeName(this.txPlace(inst));
          this.log.error(`(${spec.name}) cannot open VRRP socket on ${where}: ${(e as Error).message}`);
        }
      }
    }
  }

  /** Where adverts arrive: the interface, and with use_vmac the VMAC too: the macvlan driver hands a
   * frame whose source is our own virtual MAC (the other routers' adverts) to the macvlan only. Without
   * an interface: the instance's source address. */
  private rxPlaces(inst: InstanceSetup): SocketPlace[] {
    if (inst.unbound !== undefined) return [this.txPlace(inst)];
    return inst.vmacName === undefined ? [inst.spec.interface] : [inst.spec.interface, inst.vmacName];
  }

  /** Adverts leave from the VMAC (so the source MAC is the virtual one) unless vmac_xmit_base; without an
   * interface, from the socket bound to the source address. */
  private txPlace(inst: InstanceSetup): SocketPlace {
    if (inst.unbound !== undefined && inst.spec.sourceAddress !== undefined)
      return { source: inst.spec.sourceAddress, ...inst.unbound };
    return inst.vmacName !== undefined && !inst.vmacXmitBase ? inst.vmacName : inst.spec.interface;
  }

  private places(inst: InstanceSetup): SocketPlace[] {
    const tx = this.txPlace(inst);
    const rx = this.rxPlaces(inst);
    return typeof tx === 'string' && !rx.includes(tx) ? [...rx, tx] : rx;
  }

  /** Every packet read so far, by family and verdict (accepted, or why it was dropped). */
  get tally(): WireTally {
    return this.wire.tally;
  }

  /** After a link change: an interface deleted and created again gets new sockets (keepalived rebinds
   * its instances to the new ifindex too); adverts prepared on the old ones are stale. */
  refreshSockets(): void {
    if (!this.opened) return;
    let reopened: string[];
    try {
      reopened = this.transport.reopenRecreated();
    } catch (e) {
      this.log.error(`cannot reopen VRRP sockets: ${(e as Error).message}`);
      return;
    }
    if (reopened.length === 0) return;
    this.reloads++;
    for (const ifname of reopened) this.log.info(`${ifname} was created again: VRRP sockets reopened on it`);
  }

  /** An instance's advert source address changed: adverts prepared ahead carry the old one. */
  sourcesChanged(): void {
    this.reloads++;
  }

  /** Changes whenever adverts prepared for the timed sender may be stale (a reload, sockets reopened,
   * a source address changed). */
  get generation(): number {
    return this.reloads;
  }

  /** The address an instance's adverts come from: the configured one, else the interface's primary. */
  private sourceOf(inst: InstanceSetup, a: SendAdvertAction): string | undefined {
    const vips = new Set(inst.spec.addresses.map((v) => v.address));
    // the instance's source now (it follows the interface's primary address), not the one it was armed with
    return (
      inst.spec.sourceAddress ?? a.source ?? this.host.primaryAddress(inst.spec.interface, a.family, vips)
    );
  }

  send(a: SendAdvertAction): void {
    const inst = this.instances.get(a.instance);
    if (inst === undefined) return;
    const source = this.sourceOf(inst, a);
    if (source === undefined) {
      this.sendFailed(a.instance, `no IPv${a.family} address on ${inst.spec.interface} to send adverts from`);
      return;
    }
    const tx = this.txPlace(inst);
    try {
      for (const d of this.wire.datagrams(a, source, Date.now()) ?? []) {
        if (a.family === 4) this.transport.sendIpv4(tx, d.protocol, d.bytes, d.destination);
        else this.transport.sendIpv6(tx, d.protocol, d.bytes, d.destination, source, d.hopLimit);
      }
      this.sendWorks(a.instance);
    } catch (e) {
      this.sendFailed(a.instance, `cannot send advert on ${placeName(tx)}: ${(e as Error).message}`);
    }
  }

  /**
   * A periodic advert encoded ahead, for the timed sender to send (repeatedly) at its deadlines; undefined
   * when it cannot be: AH and auth_hmac number or sign each packet as it leaves, and without a source
   * address there is nothing to send from.
   */
  prepareTimed(a: SendAdvertAction): TimedDatagram[] | undefined {
    const inst = this.instances.get(a.instance);
    if (inst === undefined) return undefined;
    const source = this.sourceOf(inst, a);
    if (source === undefined) return undefined;
    const tx = this.txPlace(inst);
    try {
      return this.wire
        .repeatableDatagrams(a, source)
        ?.map((d) => this.transport.timedDatagram(tx, a.family, d.protocol, d.bytes, d.destination, source));
    } catch {
      return undefined; // the ordinary path will say what is wrong when it tries
    }
  }

  /** The timed sender sent an instance's advert; `errno` is the first failure, 0 when all went. */
  sentTimed(instance: string, errno: number): void {
    const inst = this.instances.get(instance);
    if (inst === undefined) return;
    if (errno !== 0)
      this.sendFailed(
        instance,
        `cannot send advert on ${placeName(this.txPlace(inst))}: sendmsg ${getSystemErrorName(-errno)}`,
      );
    else this.sendWorks(instance);
  }

  private sendWorks(instance: string): void {
    if (!this.sendErrors.has(instance)) return;
    this.log.info(`(${instance}) sending adverts works again`);
    this.sendErrors.delete(instance);
  }

  private sendFailed(instance: string, message: string): void {
    if (this.sendErrors.get(instance) === message) return;
    this.sendErrors.set(instance, message);
    this.log.warn(`(${instance}) ${message}`);
  }

  private receive(p: RawVrrpPacket): void {
    const events = this.wire.receive(
      p,
      Date.now(),
      (r) =>
        this.packetLog.write(
          'debug',
          `(${r.instance}) dropped advert: ${r.reason}`,
          `(${r.instance}) dropped advert from ${r.source}: ${r.detail}`,
        ),
      this.logUnknownVrids ? (u) => this.log.info(unknownVridMessage(u)) : undefined,
    );
    for (const event of events)
      this.feed(
        event.type === 'advert' && p.arrivedAt !== undefined
          ? { ...event, received: { ...event.received, arrivedAt: p.arrivedAt } }
          : event,
      );
  }

  close(): void {
    this.transport.closeAll();
  }
}
