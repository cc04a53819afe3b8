// Adverts between the engine and the wire: the engine's send-advert actions are encoded (IPv4 with our
// own header, AH when configured; IPv6 payloads with the kernel computing the checksum) and sent; bytes
// read from the raw sockets are decoded, validated per instance (TTL, auth, interval, addresses...) and
// handed to the engine, or counted as drops by reason. Nothing here decides anything about VRRP state.
import type { Action, EngineEvent } from '../vrrp/engine.js';
import { instanceExtras } from '../vrrp/from-model.js';
import { nextAhSequence, type AhReceiveState, type AhSendState } from '../vrrp/auth-ah.js';
import { IPPROTO_AH, IPPROTO_VRRP, nextIpv4Id } from '../vrrp/ipv4.js';
import {
  buildIpv4Packet,
  decodeIpv4Packet,
  decodeVrrp,
  encodeAdvert,
  type ChecksumMode,
} from '../vrrp/packet.js';
import type { EngineSpec, InstanceSpec } from '../vrrp/spec.js';
import { compileExpectations, validateAdvert, type CompiledExpectations } from '../vrrp/validate.js';
import type { IpFamily } from '../vrrp/advert.js';
import type { HostState } from './host-state.js';
import type { Logger } from './log.js';
import { VrrpTransport, type RawVrrpPacket } from './vrrp-transport.js';

interface InstanceIo {
  spec: InstanceSpec;
  expectations: CompiledExpectations;
  /** keepalived keeps one AH sequence counter per instance for sending and receiving: a backup learns
   * the master's sequence, so that when it takes over its own adverts continue above it and the old
   * master (which rejects sequences below its counter) accepts them. */
  ah: AhSendState & AhReceiveState;
  /** Source of the last accepted advert, for skip_check_adv_addr. */
  lastMaster?: string;
  /** Last send error, logged once until sending works again. */
  sendError?: string;
}

export class AdvertIo {
  private transport: VrrpTransport;
  private instances = new Map<string, InstanceIo>();
  /** `ifname/family/vrid` -> instances receiving there. */
  private byKey = new Map<string, InstanceIo[]>();
  private ipId = 0;

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
    const old = this.instances;
    this.instances = new Map();
    this.byKey = new Map();
    for (const inst of spec.instances) {
      const previous = old.get(inst.name);
      const io: InstanceIo = {
        spec: inst,
        expectations: this.compile(inst),
        ah: previous?.ah ?? { sequence: 0 },
      };
      this.instances.set(inst.name, io);
      for (const ifname of this.rxDevices(inst)) {
        const key = `${ifname}/${inst.family}/${inst.vrid}`;
        this.byKey.set(key, [...(this.byKey.get(key) ?? []), io]);
      }
    }
    if (old.size > 0) this.open();
  }

  private compile(inst: InstanceSpec): CompiledExpectations {
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

  send(a: Extract<Action, { type: 'send-advert' }>): void {
    const io = this.instances.get(a.instance);
    if (io === undefined) return;
    const inst = io.spec;
    const extras = instanceExtras(inst);
    const vipSet = new Set(inst.addresses.map((v) => v.address));
    const source = a.source ?? this.host.primaryAddress(inst.interface, a.family, vipSet);
    if (source === undefined) {
      this.sendFailed(io, `no IPv${a.family} address on ${inst.interface} to send adverts from`);
      return;
    }
    const destinations = a.to === 'multicast' ? [extras.multicastGroup] : a.to;
    const unicast = a.to !== 'multicast';
    const tx = this.txDevice(inst);
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
          const packet = buildIpv4Packet(a.advert, {
            source,
            destination,
            id: this.ipId,
            checksumMode,
            multicastGroup4: extras.multicastGroup,
            ...(inst.authPass !== undefined ? { authPass: inst.authPass } : {}),
            ...(ah ? { ah } : {}),
          });
          this.transport.sendIpv4(tx, ah ? IPPROTO_AH : IPPROTO_VRRP, packet, destination);
        } else {
          // The kernel fills the IPv6 checksum (IPV6_CHECKSUM), over the source it actually uses.
          const payload = encodeAdvert(a.advert, { family: 6 });
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
