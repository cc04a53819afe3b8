// VRRP's sockets: one raw receive socket per interface, family and IP protocol (112 VRRP, 51 AH),
// joined to the VRRP multicast group on that interface only; sends go out of the same socket. IPv4
// packets carry our own IP header (IP_HDRINCL, as keepalived does, so TTL, TOS and AH coverage are
// exact); IPv6 packets are payload only, with hop limit 255 and the source chosen per packet. A unicast
// instance without an interface (keepalived 2.4.3) has a socket of its own, bound to its source address
// (and to its `vrf`) instead: its packets are tagged with the interface ''.
import { native, type SockAddr } from '../../net/native.js';
import { ipMreqn, ipv6Mreq, NativeSocket, type ReceivedMessage } from '../../net/socket.js';
import type { TimedDatagram } from '../../net/timed-sender.js';
import type { IpFamily } from '../../vrrp/advert.js';
import { nsToMs } from '../../common/units.js';

export interface RawVrrpPacket {
  ifname: string;
  family: IpFamily;
  protocol: number;
  /** IPv4: the whole IP packet. IPv6: the payload after the IPv6 header(s). */
  data: Buffer;
  /** IPv6 only (IPv4 carries them in its header). */
  source?: string;
  destination?: string;
  hopLimit?: number;
  /** When the kernel received it (SO_TIMESTAMPNS), on the monotonic ms clock of the engine. */
  arrivedAt?: number;
}

/** When an advert that waited `queuedNs` in the socket arrived, on the monotonic ms clock read as `nowMs`
 * (the read time when the wait is not plausible: the realtime clock was stepped meanwhile). */
export function arrivalTime(nowMs: number, queuedNs: number): number {
  return queuedNs >= 0 && queuedNs <= MAX_QUEUED_NS ? nowMs - queuedNs / 1e6 : nowMs;
}

/** Where a socket is bound: an interface (by name), or an address (with the VRF device, if any). */
export type SocketPlace = string | UnboundPlace;
export interface UnboundPlace {
  source: string;
  vrf?: string;
}

function placeKey(place: SocketPlace): string {
  return typeof place === 'string' ? place : `@${place.source}%${place.vrf ?? ''}`;
}

/** The device whose index a socket's sends and (re)binding follow: the interface, or the VRF. */
function placeDevice(place: SocketPlace): string | undefined {
  return typeof place === 'string' ? place : place.vrf;
}

interface Endpoint {
  place: SocketPlace;
  /** What its packets say they came in on: the interface, '' for an unbound socket. */
  ifname: string;
  /** The interface's (or the VRF's) index; 0 unbound. */
  ifindex: number;
  family: IpFamily;
  protocol: number;
  socket: NativeSocket;
  joined: Set<string>;
  /** SO_RCVBUF as opened (what getsockopt says, halved: what to ask for to get it back). */
  defaultReceiveBytes: number;
}

const IPV6_HOPS = 255;
/** Longest plausible wait of an advert in the socket queue. The kernel stamps arrivals on the realtime
 * clock: a queued time outside [0, this] means that clock was stepped between the stamp and the read (by
 * an hour, say), and the read time stands instead, or the engine's timers would jump with the wall clock. */
const MAX_QUEUED_NS = 2e9;

/** How logs name a place: the interface, or the address (and VRF) an unbound socket has. */
export function placeName(place: SocketPlace): string {
  return typeof place === 'string'
    ? place
    : `${place.source}${place.vrf !== undefined ? ` (vrf ${place.vrf})` : ''}`;
}

/**
 * An unbound socket (keepalived's open_vrrp_read_socket with a unicast source and no interface): bound to
 * the source address, even before that address is there (IP_FREEBIND), so it reads what is sent to it only.
 */
function bindUnbound(socket: NativeSocket, place: UnboundPlace, family: IpFamily): void {
  const c = native().constants;
  if (family === 4) {
    socket.setOption(c.IPPROTO_IP, c.IP_FREEBIND, 1);
    socket.setOption(c.IPPROTO_IP, c.IP_HDRINCL, 1);
    socket.setOption(c.IPPROTO_IP, c.IP_MULTICAST_ALL, 0);
    socket.bind({ family: 'inet', address: place.source });
  } else {
    socket.setOption(c.IPPROTO_IPV6, c.IPV6_FREEBIND, 1);
    socket.setOption(c.IPPROTO_IPV6, c.IPV6_CHECKSUM, 6);
    socket.setOption(c.IPPROTO_IPV6, c.IPV6_RECVHOPLIMIT, 1);
    socket.setOption(c.IPPROTO_IPV6, c.IPV6_RECVPKTINFO, 1);
    socket.setOption(c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS, IPV6_HOPS);
    socket.bind({ family: 'inet6', address: place.source });
  }
}

export class VrrpTransport {
  private readonly endpoints = new Map<string, Endpoint>();

  constructor(
    private readonly onPacket: (p: RawVrrpPacket) => void,
    private readonly onError: (where: string, e: Error) => void,
  ) {}

  /** Opens (once) the socket for this place, family and protocol, and joins `groups` on it. */
  open(place: SocketPlace, family: IpFamily, protocol: number, groups: readonly string[]): void {
    const key = `${placeKey(place)}/${family}/${protocol}`;
    let ep = this.endpoints.get(key);
    if (ep === undefined) {
      const n = native();
      const c = n.constants;
      const device = placeDevice(place);
      const ifindex = device !== undefined ? n.ifNameToIndex(device) : 0;
      const socket = NativeSocket.open(family === 4 ? c.AF_INET : c.AF_INET6, c.SOCK_RAW, protocol);
      try {
        if (device !== undefined) socket.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, device);
        // the kernel's receive time of each advert: where a takeover's timing starts (failover-reporter.ts)
        socket.setOption(c.SOL_SOCKET, c.SO_TIMESTAMPNS, 1);
        if (typeof place !== 'string') bindUnbound(socket, place, family);
        else if (family === 4) {
          socket.setOption(c.IPPROTO_IP, c.IP_HDRINCL, 1);
          socket.setOption(c.IPPROTO_IP, c.IP_MULTICAST_LOOP, 0);
          socket.setOption(c.IPPROTO_IP, c.IP_MULTICAST_ALL, 0);
          socket.setOption(c.IPPROTO_IP, c.IP_MULTICAST_IF, ipMreqn('0.0.0.0', ifindex));
        } else {
          // The kernel computes and verifies the VRRP checksum at offset 6 over the real pseudo-header.
          socket.setOption(c.IPPROTO_IPV6, c.IPV6_CHECKSUM, 6);
          socket.setOption(c.IPPROTO_IPV6, c.IPV6_RECVHOPLIMIT, 1);
          socket.setOption(c.IPPROTO_IPV6, c.IPV6_RECVPKTINFO, 1);
          socket.setOption(c.IPPROTO_IPV6, c.IPV6_MULTICAST_HOPS, IPV6_HOPS);
          socket.setOption(c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS, IPV6_HOPS);
          socket.setOption(c.IPPROTO_IPV6, c.IPV6_MULTICAST_IF, ifindex);
          socket.setOption(c.IPPROTO_IPV6, c.IPV6_MULTICAST_LOOP, 0);
        }
      } catch (e) {
        socket.close();
        throw e;
      }
      const defaultReceiveBytes = Math.floor(socket.getIntOption(c.SOL_SOCKET, c.SO_RCVBUF) / 2);
      const ifname = typeof place === 'string' ? place : '';
      ep = { place, ifname, ifindex, family, protocol, socket, joined: new Set(), defaultReceiveBytes };
      const endpoint = ep;
      socket.onMessage(
        (m) => this.receive(endpoint, m),
        (e) => this.onError(`receive on ${placeName(place)}`, e),
      );
      this.endpoints.set(key, ep);
    }
    for (const group of groups) this.join(ep, group);
  }

  /** SO_RCVBUF of an open socket (vrrp_rx_bufs_policy, kernel_rx_buf_size); undefined: as it was opened.
   * Throws (errno-coded) when the kernel refuses. */
  setReceiveBuffer(place: SocketPlace, family: IpFamily, protocol: number, bytes: number | undefined): void {
    const ep = this.endpoints.get(`${placeKey(place)}/${family}/${protocol}`);
    if (ep === undefined) return;
    ep.socket.setOption(
      native().constants.SOL_SOCKET,
      native().constants.SO_RCVBUF,
      bytes ?? ep.defaultReceiveBytes,
    );
  }

  private join(ep: Endpoint, group: string): void {
    if (ep.joined.has(group)) return;
    const c = native().constants;
    if (ep.family === 4) ep.socket.setOption(c.IPPROTO_IP, c.IP_ADD_MEMBERSHIP, ipMreqn(group, ep.ifindex));
    else ep.socket.setOption(c.IPPROTO_IPV6, c.IPV6_JOIN_GROUP, ipv6Mreq(group, ep.ifindex));
    ep.joined.add(group);
  }

  private receive(ep: Endpoint, m: ReceivedMessage): void {
    if (m.truncated) return;
    const p: RawVrrpPacket = { ifname: ep.ifname, family: ep.family, protocol: ep.protocol, data: m.data };
    // The arrival on the monotonic clock: the read's time (taken as recvmsg returned) less the time the
    // kernel says it waited, unless that wait is implausible (the realtime clock stepped meanwhile).
    if (m.queuedNs !== undefined && m.receivedAtNs !== undefined) {
      const readAtMs = nsToMs(m.receivedAtNs + BigInt(Math.round(m.queuedNs)));
      p.arrivedAt = arrivalTime(readAtMs, m.queuedNs);
    }
    if (ep.family === 6) {
      if (m.from !== null && m.from.family === 'inet6') p.source = m.from.address;
      if (m.dst !== undefined) p.destination = m.dst;
      if (m.hopLimit !== undefined) p.hopLimit = m.hopLimit;
    }
    this.onPacket(p);
  }

  /** Sends a complete IPv4 packet (header included) towards `destination`. */
  sendIpv4(place: SocketPlace, protocol: number, packet: Uint8Array, destination: string): void {
    const ep = this.endpoint(place, 4, protocol);
    const to: SockAddr = { family: 'inet', address: destination };
    ep.socket.send(packet, to);
  }

  /** Sends an IPv6 payload from `source` (which must be on the interface) to `destination`. */
  sendIpv6(
    place: SocketPlace,
    protocol: number,
    payload: Uint8Array,
    destination: string,
    source: string,
    hopLimit?: number,
  ): void {
    const ep = this.endpoint(place, 6, protocol);
    const linkLocal =
      destination.toLowerCase().startsWith('fe80:') || destination.toLowerCase().startsWith('ff02:');
    const to: SockAddr = {
      family: 'inet6',
      address: destination,
      ...(linkLocal ? { scopeId: ep.ifindex } : {}),
    };
    ep.socket.send(payload, to, {
      ifindex: ep.ifindex,
      source,
      ...(hopLimit !== undefined ? { hopLimit } : {}),
    });
  }

  /** What sendIpv4 / sendIpv6 would write, as a datagram for the timed sender to write later. */
  timedDatagram(
    place: SocketPlace,
    family: IpFamily,
    protocol: number,
    data: Uint8Array,
    destination: string,
    source: string,
  ): TimedDatagram {
    const ep = this.endpoint(place, family, protocol);
    if (family === 4) return { fd: ep.socket.fd, data, to: { family: 'inet', address: destination } };
    const linkLocal =
      destination.toLowerCase().startsWith('fe80:') || destination.toLowerCase().startsWith('ff02:');
    return {
      fd: ep.socket.fd,
      data,
      to: { family: 'inet6', address: destination, ...(linkLocal ? { scopeId: ep.ifindex } : {}) },
      ifindex: ep.ifindex,
      source,
    };
  }

  private endpoint(place: SocketPlace, family: IpFamily, protocol: number): Endpoint {
    const key = `${placeKey(place)}/${family}/${protocol}`;
    const ep = this.endpoints.get(key);
    if (ep === undefined) {
      this.open(place, family, protocol, []);
      return this.endpoints.get(key) as Endpoint;
    }
    return ep;
  }

  /**
   * Reopens the sockets of interfaces that were deleted and created again under the same name: a socket
   * stays bound to the old ifindex and sends nothing (ENODEV). Returns the interfaces reopened.
   */
  reopenRecreated(): string[] {
    const stale = [...this.endpoints.entries()].filter(([, ep]) => {
      const device = placeDevice(ep.place);
      try {
        return device !== undefined && native().ifNameToIndex(device) !== ep.ifindex;
      } catch {
        return false; // not there (yet): nothing to bind to
      }
    });
    for (const [key, ep] of stale) {
      ep.socket.close();
      this.endpoints.delete(key);
      this.open(ep.place, ep.family, ep.protocol, [...ep.joined]);
    }
    return [...new Set(stale.map(([, ep]) => placeName(ep.place)))];
  }

  closeAll(): void {
    for (const ep of this.endpoints.values()) ep.socket.close();
    this.endpoints.clear();
  }
}
