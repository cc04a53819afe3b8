// A router's VRRP wire side, pure: what its instances' adverts look like on the wire, and how it judges
// the packets it receives, in keepalived's order (decode, then validate.ts per instance). The daemon puts
// sockets around it; the simulator passes the bytes between its routers: both judge adverts alike.
// Per instance it keeps what sending and receiving share: keepalived's one AH sequence counter (a backup
// learns the master's, so that its own adverts continue above it when it takes over) and the auth_hmac
// sequence and replay state, kept across a reconfiguration.
import type { AdvertDropReason, IpFamily } from '../advert.js';
import type { EngineEvent, SendAdvertAction } from '../engine/events.js';
import type { InstanceSpec } from '../engine/spec.js';
import { nextAhSequence, type AhReceiveState, type AhSendState } from './auth-ah.js';
import {
  hmacSends,
  newHmacReceiveState,
  newHmacSendState,
  type HmacConfig,
  type HmacReceiveState,
  type HmacSendState,
} from './auth-hmac.js';
import { assembleAdvert, type AdvertDatagram, type AdvertWireSettings } from './datagram.js';
import { IPPROTO_VRRP, nextIpv4Id, setIpv4Id } from './ipv4.js';
import { decodeIpv4Packet, decodeVrrp } from './packet.js';
import { dispatchBySource } from '../dispatch.js';
import { compileExpectations, validateAdvert, type CompiledExpectations } from './validate.js';

/** One instance as the wire side sees it. */
export interface WireInstance {
  spec: InstanceSpec;
  settings: AdvertWireSettings;
  /** auth_hmac with its keys resolved. */
  hmac?: HmacConfig;
  /** The devices its adverts arrive on (the interface, and its VMAC). */
  receiveOn: readonly string[];
  /** The one device keepalived's socket for it is bound to (the VMAC, or the interface with
   * vmac_xmit_base; default the first of receiveOn): adverts for unknown VRIDs are reported there only. */
  listenOn?: string;
}

/** A packet from a raw socket. */
export interface ReceivedPacket {
  ifname: string;
  family: IpFamily;
  /** IPv4: the whole IP packet. IPv6: the VRRP payload. */
  data: Uint8Array;
  /** IPv6 only (IPv4 carries them in its header). */
  source?: string;
  destination?: string;
  hopLimit?: number;
}

/** Why an instance dropped an advert, for a debug line. */
export interface RefusedAdvert {
  instance: string;
  source: string;
  reason: AdvertDropReason;
  detail: string;
}

/** An advert no instance takes because of its VRID: none runs it on that interface (and family), or (several
 * unicast instances sharing it) none has the source as a peer, then `source` is set. keepalived reads the
 * VRID as soon as the header is there, before any other check, so a malformed advert counts too. */
export interface UnknownVrid {
  vrid: number;
  ifname: string;
  source?: string;
}

interface InstanceWire {
  instance: WireInstance;
  expectations: CompiledExpectations;
  ah: AhSendState & AhReceiveState;
  hmac?: { config: HmacConfig; send: HmacSendState; receive: HmacReceiveState };
  /** Source of the last accepted advert, for skip_check_adv_addr. */
  lastMaster?: string;
  /** Source of the last advert dispatched to this instance, to tell apart those sharing a VRID. */
  lastSource?: string;
  /** Adverts without AH or auth_hmac encoded once per priority, source and destination: a MASTER sends the
   * same bytes every interval but for the IPv4 identification (setIpv4Id). */
  encoded?: Map<string, Uint8Array>;
}

/**
 * Every packet the wire side judged, by family, under exactly one verdict: `accepted` (an instance took
 * it) or the reason it was dropped. Drops that keepalived counts per instance only when it can name the
 * instance (a packet too short to carry a VRID, a VRID no instance runs (`vrid_mismatch`), a foreign IP
 * protocol, our own adverts looped back) are counted here too, so that hostile traffic is accounted for
 * whole.
 */
export interface WireCounts {
  received: number;
  accepted: number;
  dropped: Partial<Record<AdvertDropReason, number>>;
}

export type WireTally = Record<'ipv4' | 'ipv6', WireCounts>;

function newWireCounts(): WireCounts {
  return { received: 0, accepted: 0, dropped: {} };
}

/** A few keys per instance at most (priority changes, priority 0, unicast peers); more means churn. */
const ENCODED_CACHE_LIMIT = 16;

export class AdvertEndpoint {
  private instances = new Map<string, InstanceWire>();
  /** `ifname/family/vrid` -> instances receiving there. */
  private byKey = new Map<string, InstanceWire[]>();
  /** `ifname/family` where keepalived would have a socket: unknown VRIDs are reported from those only. */
  private listening = new Set<string>();
  private ipId = 0;
  /** Kept across reconfigurations, like keepalived's counters. */
  readonly tally: WireTally = { ipv4: newWireCounts(), ipv6: newWireCounts() };

  /** Takes the instances to run (again, on a reload); `ownAddresses` are this host's, whose adverts are
   * our own looped back. */
  configure(instances: readonly WireInstance[], ownAddresses: (family: IpFamily) => string[]): void {
    const old = this.instances;
    this.instances = new Map();
    this.byKey = new Map();
    this.listening = new Set();
    for (const instance of instances) {
      const { spec } = instance;
      const previous = old.get(spec.name);
      const hmac = instance.hmac
        ? {
            config: instance.hmac,
            send: previous?.hmac?.send ?? newHmacSendState(),
            receive: previous?.hmac?.receive ?? newHmacReceiveState(),
          }
        : undefined;
      const wire: InstanceWire = {
        instance,
        expectations: compileExpectations({
          vrid: spec.vrid,
          version: spec.version,
          family: spec.family,
          authType: spec.authType,
          ...(spec.authPass !== undefined ? { authPass: spec.authPass } : {}),
          intervalCs: spec.advertIntervalCs,
          vips: spec.addresses.map((a) => a.address),
          unicastPeers: spec.unicastPeers.map(
            (address) => instance.settings.peerTtls?.find((p) => p.address === address) ?? address,
          ),
          checkUnicastSource: instance.settings.checkUnicastSource ?? false,
          skipCheckAdvAddr: spec.skipCheckAdvAddr,
          strict: spec.strict,
          v3ChecksumAsV2: instance.settings.v3ChecksumAsV2,
          ownAddresses: ownAddresses(spec.family),
          ...(hmac ? { hmac: hmac.config } : {}),
        }),
        ah: previous?.ah ?? { sequence: 0 },
        ...(hmac ? { hmac } : {}),
      };
      this.instances.set(spec.name, wire);
      const listenOn = instance.listenOn ?? instance.receiveOn[0];
      if (listenOn !== undefined) this.listening.add(`${listenOn}/${spec.family}`);
      for (const ifname of instance.receiveOn) {
        const key = `${ifname}/${spec.family}/${spec.vrid}`;
        this.byKey.set(key, [...(this.byKey.get(key) ?? []), wire]);
      }
    }
  }

  /** The datagrams of one send-advert action from `source`, one per destination (each unicast peer, or the
   * multicast group); undefined for an instance not configured. Throws for an address that does not parse. */
  datagrams(a: SendAdvertAction, source: string, nowRealtimeMs: number): AdvertDatagram[] | undefined {
    const wire = this.instances.get(a.instance);
    if (wire === undefined) return undefined;
    const { spec, settings } = wire.instance;
    const unicast = a.to !== 'multicast';
    const destinations = a.to === 'multicast' ? [settings.multicastGroup] : a.to;
    const hmac = wire.hmac && hmacSends(wire.hmac.config) ? wire.hmac : undefined;
    const out: AdvertDatagram[] = [];
    for (const destination of destinations) {
      if (a.family === 4) this.ipId = nextIpv4Id(this.ipId);
      const ah = a.family === 4 && a.advert.authType === 'ah';
      // Numbered or signed adverts differ every time; the others only by their IPv4 identification.
      const key =
        ah || hmac
          ? undefined
          : a.family === 4
            ? `${a.advert.priority}/${source}/${destination}`
            : `${a.advert.priority}`;
      const cached = key === undefined ? undefined : wire.encoded?.get(key);
      if (cached !== undefined) {
        if (a.family === 4) setIpv4Id(cached, this.ipId);
        const hopLimit = a.family === 6 && unicast ? settings.ttl : undefined;
        out.push({
          destination,
          protocol: IPPROTO_VRRP,
          bytes: cached,
          ...(hopLimit !== undefined ? { hopLimit } : {}),
        });
        continue;
      }
      const datagram = assembleAdvert(a.advert, {
        family: a.family,
        source,
        destination,
        unicast,
        settings,
        ...(spec.authPass !== undefined ? { authPass: spec.authPass } : {}),
        ipId: a.family === 4 ? this.ipId : 0,
        ...(ah ? { ahSequence: nextAhSequence(wire.ah) } : {}),
        ...(hmac ? { hmac: { config: hmac.config, state: hmac.send, nowRealtimeMs } } : {}),
      });
      if (key !== undefined) this.remember(wire, key, datagram.bytes);
      out.push(datagram);
    }
    return out;
  }

  /**
   * The datagrams of a periodic advert that can go out many times unchanged (the daemon's timed sender):
   * the IPv4 identification is left 0 for the kernel to fill per packet. Undefined when the adverts cannot
   * repeat: AH and auth_hmac number or sign each one as it leaves. Throws for an address that does not parse.
   */
  repeatableDatagrams(a: SendAdvertAction, source: string): AdvertDatagram[] | undefined {
    const wire = this.instances.get(a.instance);
    if (wire === undefined || a.advert.authType === 'ah' || (wire.hmac && hmacSends(wire.hmac.config)))
      return undefined;
    const { spec, settings } = wire.instance;
    // unicast_ttl over IPv6 is a per-datagram hop limit, which only the ordinary send path sets.
    if (a.family === 6 && a.to !== 'multicast' && settings.ttl !== undefined) return undefined;
    const destinations = a.to === 'multicast' ? [settings.multicastGroup] : a.to;
    return destinations.map((destination) =>
      assembleAdvert(a.advert, {
        family: a.family,
        source,
        destination,
        unicast: a.to !== 'multicast',
        settings,
        ...(spec.authPass !== undefined ? { authPass: spec.authPass } : {}),
        ipId: 0,
      }),
    );
  }

  /** Keeps an instance's encoded advert for its next sends (see InstanceWire.encoded). */
  private remember(wire: InstanceWire, key: string, bytes: Uint8Array): void {
    if (wire.encoded === undefined || wire.encoded.size >= ENCODED_CACHE_LIMIT) wire.encoded = new Map();
    wire.encoded.set(key, bytes);
  }

  /**
   * Judges a received packet: the engine events it makes (an advert for each instance that accepts it,
   * advert-dropped for a malformed packet or an instance that refuses it; nothing for a VRID we do not run).
   * `refused` hears each instance's refusal with its detail, `unknownVrid` each advert for a VRID no
   * instance runs there (log_unknown_vrids).
   */
  receive(
    p: ReceivedPacket,
    nowRealtimeMs: number,
    refused?: (r: RefusedAdvert) => void,
    unknownVrid?: (u: UnknownVrid) => void,
  ): EngineEvent[] {
    const counts = p.family === 4 ? this.tally.ipv4 : this.tally.ipv6;
    counts.received++;
    const events = this.judge(p, nowRealtimeMs, refused, unknownVrid);
    if (events.verdict === 'accepted') counts.accepted++;
    else counts.dropped[events.verdict] = (counts.dropped[events.verdict] ?? 0) + 1;
    return events.out;
  }

  private judge(
    p: ReceivedPacket,
    nowRealtimeMs: number,
    refused: ((r: RefusedAdvert) => void) | undefined,
    unknownVrid: ((u: UnknownVrid) => void) | undefined,
  ): { verdict: AdvertDropReason | 'accepted'; out: EngineEvent[] } {
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
    const reportUnknown =
      unknownVrid && this.listening.has(`${p.ifname}/${p.family}`) ? unknownVrid : undefined;
    if (!decoded.ok) {
      if (decoded.vrid !== undefined && !this.byKey.has(`${p.ifname}/${p.family}/${decoded.vrid}`))
        reportUnknown?.({ vrid: decoded.vrid, ifname: p.ifname });
      const out: EngineEvent[] = [
        {
          type: 'advert-dropped',
          ifname: p.ifname,
          family: p.family,
          ...(decoded.vrid !== undefined ? { vrid: decoded.vrid } : {}),
          reason: decoded.reason,
        },
      ];
      return { verdict: decoded.reason, out };
    }
    const { received, wire } = decoded;
    const sharing = this.byKey.get(`${p.ifname}/${p.family}/${received.advert.vrid}`);
    // A VRID we do not run, or (several unicast instances sharing it) a source none of them knows.
    if (sharing === undefined) {
      reportUnknown?.({ vrid: received.advert.vrid, ifname: p.ifname });
      return { verdict: 'vrid_mismatch', out: [] };
    }
    const target = dispatchBySource(sharing, received.source, (w) => ({
      unicastPeers: w.instance.spec.unicastPeers,
      lastSource: w.lastSource,
    }));
    if (target === undefined) {
      reportUnknown?.({ vrid: received.advert.vrid, ifname: p.ifname, source: received.source });
      return { verdict: 'unicast_peer_unknown', out: [] };
    }
    if (sharing.length > 1) target.lastSource = received.source;
    const { spec } = target.instance;
    const result = validateAdvert(received, wire, target.expectations, {
      ah: target.ah,
      ...(target.hmac ? { hmac: target.hmac.receive } : {}),
      nowRealtimeMs,
      sameMasterAsLast: target.lastMaster === received.source,
    });
    if (!result.ok) {
      // our own advert, looped back: not an instance's drop
      if (result.reason === 'own_packet') return { verdict: 'own_packet', out: [] };
      refused?.({
        instance: spec.name,
        source: received.source,
        reason: result.reason,
        detail: result.detail,
      });
      const out: EngineEvent[] = [
        {
          type: 'advert-dropped',
          ifname: spec.interface,
          family: p.family,
          vrid: received.advert.vrid,
          source: received.source,
          reason: result.reason,
        },
      ];
      return { verdict: result.reason, out };
    }
    target.lastMaster = received.source;
    // The engine knows instances by their interface, also when the advert came in on the VMAC.
    const onInterface =
      received.ifname === spec.interface ? received : { ...received, ifname: spec.interface };
    return { verdict: 'accepted', out: [{ type: 'advert', received: onInterface, notes: result.notes }] };
  }
}
