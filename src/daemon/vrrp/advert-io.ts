// Adverts between the engine and the wire: the engine's send-advert actions are encoded (IPv4 with our
// own header, AH when configured; IPv6 payloads with the kernel computing the checksum) and sent; bytes
// read from the raw sockets are decoded, validated per instance (TTL, auth, interval, addresses...) and
// handed to the engine, or counted as drops by reason. Nothing here decides anything about VRRP state.
import type { Action, EngineEvent } from '../../vrrp/engine/engine.js';
import { instanceExtras } from '../../vrrp/from-model.js';
import { nextAhSequence, type AhReceiveState, type AhSendState } from '../../vrrp/wire/auth-ah.js';
import {
  appendHmacTrailer,
  hmacSends,
  newHmacReceiveState,
  newHmacSendState,
  type HmacConfig,
  type HmacReceiveState,
  type HmacSendState,
} from '../../vrrp/wire/auth-hmac.js';
import { addressToBytes } from '../../common/inet.js';
import { IPPROTO_AH, IPPROTO_VRRP, nextIpv4Id, setIpv4Id } from '../../vrrp/wire/ipv4.js';
import {
  buildIpv4Packet,
  decodeIpv4Packet,
  decodeVrrp,
  encodeAdvert,
  type ChecksumMode,
} from '../../vrrp/wire/packet.js';
import type { EngineSpec, InstanceSpec } from '../../vrrp/engine/spec.js';
import { compileExpectations, validateAdvert, type CompiledExpectations } from '../../vrrp/wire/validate.js';
import type { IpFamily } from '../../vrrp/advert.js';
import { resolveHmacConfig } from './hmac-keys.js';
import type { HostState } from './host-state.js';
import type { Logger } from '../process/log.js';
import { VrrpTransport, type RawVrrpPacket } from './transport.js';
import { getSystemErrorName } from 'node:util';
import type { TimedDatagram } from '../../net/timed-sender.js';

type SendAdvert = Extract<Action, { type: 'send-advert' }>;

interface InstanceIo {
  spec: InstanceSpec;
  expectations: CompiledExpectations;
  /** keepalived keeps one AH sequence counter per instance for sending and receiving: a backup learns
   * the master's sequence, so that when it takes over its own adverts continue above it and the old
   * master (which rejects sequences below its counter) accepts them. */
  ah: AhSendState & AhReceiveState;
  /** auth_hmac: the resolved keys, and sequence / replay state, kept across a reload so that our sequence
   * keeps growing and an advert captured before the reload cannot be replayed after it. */
  hmac?: { config: HmacConfig; send: HmacSendState; receive: HmacReceiveState };
  /** Source of the last accepted advert, for skip_check_adv_addr. */
  lastMaster?: string;
  /** Last send error, logged once until sending works again. */
  sendError?: string;
  /** Adverts without AH or auth_hmac encoded once per priority, source and destination: a MASTER sends the
   * same bytes every interval except the IPv4 identification (setIpv4Id). Reset by a reload. */
  encoded?: Map<string, Uint8Array>;
}

/** A few keys per instance at most (priority changes, priority 0, unicast peers); more means churn. */
const ENCODED_CACHE_LIMIT = 16;

export class AdvertIo {
  private transport: VrrpTransport;
  private instances = new Map<string, InstanceIo>();
  /** `ifname/family/vrid` -> instances receiving there. */
  private byKey = new Map<string, InstanceIo[]>();
  private ipId = 0;
  private reloads = 0;

  constructor(
    private readonly host: HostState,
    private readonly log: Logger,
    private readonly feed: (event: EngineEvent) => void,
    spec: EngineSpec,
  ) {
    this.transport = new VrrpTransport(
      (p) => this.receive(p),
      (where, e) => this.log.warn(`${where}: ${e.message}`),
    );
    this.reconfigure(spec);
  }

  reconfigure(spec: EngineSpec): void {
    this.reloads++;
    const old = this.instances;
    this.instances = new Map();
    this.byKey = new Map();
    for (const inst of spec.instances) {
      const previous = old.get(inst.name);
      const hmac = this.hmacFor(inst, previous);
      const io: InstanceIo = {
        spec: inst,
        expectations: this.compile(inst, hmac?.config),
        ah: previous?.ah ?? { sequence: 0 },
        ...(hmac ? { hmac } : {}),
      };
      this.instances.set(inst.name, io);
      for (const ifname of this.rxDevices(inst)) {
        const key = `${ifname}/${inst.family}/${inst.vrid}`;
        this.byKey.set(key, [...(this.byKey.get(key) ?? []), io]);
      }
    }
    if (old.size > 0) this.open();
  }

  private hmacFor(inst: InstanceSpec, previous: InstanceIo | undefined): InstanceIo['hmac'] {
    const model = instanceExtras(inst).authHmac;
    if (model === undefined) return undefined;
    const { config, problems } = resolveHmacConfig(model, inst.advertIntervalCs);
    for (const p of problems) this.log.error(`(${inst.name}) auth_hmac: ${p}`);
    return {
      config,
      send: previous?.hmac?.send ?? newHmacSendState(),
      receive: previous?.hmac?.receive ?? newHmacReceiveState(),
    };
  }

  private compile(inst: InstanceSpec, hmac: HmacConfig | undefined): CompiledExpectations {
    const extras = instanceExtras(inst);
    return compileExpectations({
      vrid: inst.vrid,
      version: inst.version,
      family: inst.family,
      authType: inst.authType,
      ...(inst.authPass !== undefined ? { authPass: inst.authPass } : {}),
      intervalCs: inst.advertIntervalCs,
      vips: inst.addresses.map((a) => a.address),
      unicastPeers: inst.unicastPeers,
      skipCheckAdvAddr: inst.skipCheckAdvAddr,
      strict: inst.strict,
      v3ChecksumAsV2: extras.v3ChecksumAsV2,
      ownAddresses: this.host.ownAddresses(inst.family),
      ...(hmac ? { hmac } : {}),
    });
  }

  /** Opens the sockets every instance needs; failures are logged and leave that instance deaf. */
  open(): void {
    for (const io of this.instances.values()) {
      const inst = io.spec;
      const extras = instanceExtras(inst);
      const groups = inst.unicastPeers.length > 0 ? [] : [extras.multicastGroup];
      const protocols = inst.authType === 'ah' ? [IPPROTO_AH] : [IPPROTO_VRRP];
      for (const protocol of protocols) {
        try {
          for (const ifname of this.rxDevices(inst))
            this.transport.open(ifname, inst.family, protocol, groups);
          const tx = this.txDevice(inst);
          if (!this.rxDevices(inst).includes(tx)) this.transport.open(tx, inst.family, protocol, []);
        } catch (e) {
          this.log.error(
            `(${inst.name}) cannot open VRRP socket on ${inst.interface}: ${(e as Error).message}`,
          );
        }
      }
    }
  }

  /** Where adverts arrive: the interface, and with use_vmac the VMAC too: the macvlan driver hands a
   * frame whose source is our own virtual MAC (the other routers' adverts) to the macvlan only. */
  private rxDevices(inst: InstanceSpec): string[] {
    const vmac = instanceExtras(inst).vmacName;
    return vmac === undefined ? [inst.interface] : [inst.interface, vmac];
  }

  /** Adverts leave from the VMAC (so the source MAC is the virtual one) unless vmac_xmit_base. */
  private txDevice(inst: InstanceSpec): string {
    const extras = instanceExtras(inst);
    return extras.vmacName !== undefined && !extras.vmacXmitBase ? extras.vmacName : inst.interface;
  }

  /** Changes whenever adverts prepared for the timed sender may be stale (a reload). */
  get generation(): number {
    return this.reloads;
  }

  send(a: Extract<Action, { type: 'send-advert' }>): void {
    const io = this.instances.get(a.instance);
    if (io === undefined) return;
    const inst = io.spec;
    const extras = instanceExtras(inst);
    const source =
      a.source ??
      this.host.primaryAddress(inst.interface, a.family, new Set(inst.addresses.map((v) => v.address)));
    if (source === undefined) {
      this.sendFailed(io, `no IPv${a.family} address on ${inst.interface} to send adverts from`);
      return;
    }
    const destinations = a.to === 'multicast' ? [extras.multicastGroup] : a.to;
    const unicast = a.to !== 'multicast';
    const tx = this.txDevice(inst);
    const hmac = io.hmac && hmacSends(io.hmac.config) ? io.hmac : undefined;
    try {
      for (const destination of destinations) {
        if (a.family === 4) {
          const checksumMode: ChecksumMode = extras.v3ChecksumAsV2
            ? 'v2-style'
            : unicast && extras.oldUnicastChecksum === 'auto'
              ? 'old-unicast'
              : 'rfc';
          this.ipId = nextIpv4Id(this.ipId);
          const ah = a.advert.authType === 'ah' ? { sequence: nextAhSequence(io.ah), unicast } : undefined;
          const cacheKey = ah || hmac ? undefined : `${a.advert.priority}/${source}/${destination}`;
          const cached = cacheKey === undefined ? undefined : io.encoded?.get(cacheKey);
          if (cached !== undefined) {
            setIpv4Id(cached, this.ipId);
            this.transport.sendIpv4(tx, IPPROTO_VRRP, cached, destination);
            continue;
          }
          const packet = buildIpv4Packet(a.advert, {
            source,
            destination,
            id: this.ipId,
            checksumMode,
            multicastGroup4: extras.multicastGroup,
            ...(inst.authPass !== undefined ? { authPass: inst.authPass } : {}),
            ...(ah ? { ah } : {}),
            ...(hmac ? { hmac: { config: hmac.config, state: hmac.send, nowRealtimeMs: Date.now() } } : {}),
          });
          if (cacheKey !== undefined) this.remember(io, cacheKey, packet);
          this.transport.sendIpv4(tx, ah ? IPPROTO_AH : IPPROTO_VRRP, packet, destination);
        } else {
          // The kernel fills the IPv6 checksum (IPV6_CHECKSUM), over the source it actually uses.
          // The HMAC reads the checksum field as zero, so signing before the kernel fills it is exact.
          const key6 = hmac ? undefined : `${a.advert.priority}`;
          let pdu = key6 === undefined ? undefined : io.encoded?.get(key6);
          if (pdu === undefined) {
            pdu = encodeAdvert(a.advert, { family: 6 });
            if (key6 !== undefined) this.remember(io, key6, pdu);
          }
          const payload = hmac
            ? appendHmacTrailer(pdu, {
                family: 6,
                version: a.advert.version,
                vrid: a.advert.vrid,
                source: addressToBytes(source, 6) ?? new Uint8Array(16),
                config: hmac.config,
                state: hmac.send,
                nowRealtimeMs: Date.now(),
              })
            : pdu;
          this.transport.sendIpv6(tx, IPPROTO_VRRP, payload, destination, source);
        }
      }
      if (io.sendError !== undefined) {
        this.log.info(`(${inst.name}) sending adverts works again`);
        io.sendError = undefined;
      }
    } catch (e) {
      this.sendFailed(io, `cannot send advert on ${tx}: ${(e as Error).message}`);
    }
  }

  /**
   * A periodic advert encoded ahead, for the timed sender to send (repeatedly) at its deadlines; undefined
   * when it cannot be: AH and auth_hmac number or sign each packet as it leaves, and without a source
   * address there is nothing to send from. The same bytes can go out many times: the IPv4 id is left 0
   * for the kernel to fill per packet (IP_HDRINCL), the kernel also fills the header checksum.
   */
  prepareTimed(a: SendAdvert): TimedDatagram[] | undefined {
    const io = this.instances.get(a.instance);
    if (io === undefined || a.advert.authType === 'ah' || (io.hmac && hmacSends(io.hmac.config)))
      return undefined;
    const inst = io.spec;
    const extras = instanceExtras(inst);
    const vipSet = new Set(inst.addresses.map((v) => v.address));
    const source = a.source ?? this.host.primaryAddress(inst.interface, a.family, vipSet);
    if (source === undefined) return undefined;
    const destinations = a.to === 'multicast' ? [extras.multicastGroup] : a.to;
    const unicast = a.to !== 'multicast';
    const tx = this.txDevice(inst);
    const datagrams: TimedDatagram[] = [];
    try {
      for (const destination of destinations) {
        if (a.family === 4) {
          const packet = buildIpv4Packet(a.advert, {
            source,
            destination,
            id: 0,
            checksumMode: extras.v3ChecksumAsV2
              ? 'v2-style'
              : unicast && extras.oldUnicastChecksum === 'auto'
                ? 'old-unicast'
                : 'rfc',
            multicastGroup4: extras.multicastGroup,
            ...(inst.authPass !== undefined ? { authPass: inst.authPass } : {}),
          });
          datagrams.push(this.transport.timedDatagram(tx, 4, IPPROTO_VRRP, packet, destination, source));
        } else {
          const pdu = encodeAdvert(a.advert, { family: 6 });
          datagrams.push(this.transport.timedDatagram(tx, 6, IPPROTO_VRRP, pdu, destination, source));
        }
      }
    } catch {
      return undefined; // the ordinary path will say what is wrong when it tries
    }
    return datagrams;
  }

  /** The timed sender sent an instance's advert; `errno` is the first failure, 0 when all went. */
  sentTimed(instance: string, errno: number): void {
    const io = this.instances.get(instance);
    if (io === undefined) return;
    if (errno !== 0) {
      this.sendFailed(
        io,
        `cannot send advert on ${this.txDevice(io.spec)}: sendmsg ${getSystemErrorName(-errno)}`,
      );
    } else if (io.sendError !== undefined) {
      this.log.info(`(${io.spec.name}) sending adverts works again`);
      io.sendError = undefined;
    }
  }

  /** Keeps an instance's encoded advert for its next sends (see InstanceIo.encoded). */
  private remember(io: InstanceIo, key: string, bytes: Uint8Array): void {
    if (io.encoded === undefined || io.encoded.size >= ENCODED_CACHE_LIMIT) io.encoded = new Map();
    io.encoded.set(key, bytes);
  }

  private sendFailed(io: InstanceIo, message: string): void {
    if (io.sendError === message) return;
    io.sendError = message;
    this.log.warn(`(${io.spec.name}) ${message}`);
  }

  private receive(p: RawVrrpPacket): void {
    const decoded =
      p.family === 4
        ? decodeIpv4Packet(p.data, p.ifname)
        : decodeVrrp(p.data, {
            family: 6,
            source: p.source ?? '::',
            destination: p.destination ?? 'ff02::12',
            ttl: p.hopLimit ?? -1,
            ifname: p.ifname,
            checksumVerified: true,
          });
    if (!decoded.ok) {
      this.feed({
        type: 'advert-dropped',
        ifname: p.ifname,
        family: p.family,
        ...(decoded.vrid !== undefined ? { vrid: decoded.vrid } : {}),
        reason: decoded.reason,
      });
      return;
    }
    const { received, wire } = decoded;
    const targets = this.byKey.get(`${p.ifname}/${p.family}/${received.advert.vrid}`);
    if (targets === undefined) return; // a VRID we do not run: not ours to judge
    for (const io of targets) {
      const result = validateAdvert(received, wire, io.expectations, {
        ah: io.ah,
        ...(io.hmac ? { hmac: io.hmac.receive } : {}),
        nowRealtimeMs: Date.now(),
        sameMasterAsLast: io.lastMaster === received.source,
      });
      if (!result.ok) {
        if (result.reason === 'own_packet') continue;
        this.log.debug(`(${io.spec.name}) dropped advert from ${received.source}: ${result.detail}`);
        this.feed({
          type: 'advert-dropped',
          ifname: io.spec.interface,
          family: p.family as IpFamily,
          vrid: received.advert.vrid,
          reason: result.reason,
        });
        continue;
      }
      io.lastMaster = received.source;
      // The engine knows instances by their interface, also when the advert came in on the VMAC.
      const onInterface =
        received.ifname === io.spec.interface ? received : { ...received, ifname: io.spec.interface };
      this.feed({ type: 'advert', received: onInterface, notes: result.notes });
    }
  }

  close(): void {
    this.transport.closeAll();
  }
}
