// BFD's UDP sockets (RFC 5881/5883), through the native addon because node:dgram cannot report the
// received TTL: one listening socket per family and port kind (3784 single hop, 4784 multihop) with
// IP_RECVTTL / IPV6_RECVHOPLIMIT and pktinfo, and one sending socket per session with the configured
// TTL, bound to its source address and a port from 49152-65535.
import { nsToMs } from '../../common/units.js';
import { native, isNativeError } from '../../net/native.js';
import { NativeSocket, type ReceivedMessage } from '../../net/socket.js';
import {
  BFD_MULTIHOP_PORT,
  BFD_SINGLE_HOP_PORT,
  BFD_SOURCE_PORT_MAX,
  BFD_SOURCE_PORT_MIN,
} from '../../bfd/packet.js';
import type { BfdEvent, BfdSessionSpec } from '../../bfd/spec.js';

export type BfdPacketEvent = Extract<BfdEvent, { type: 'packet' }>;

const IPPROTO_UDP = 17;

/** IPv4-mapped IPv6 text (::ffff:a.b.c.d) as plain IPv4. */
function unmap(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

export class BfdIo {
  private readonly listeners: NativeSocket[] = [];
  /** Whether each listener is a multihop one (parallel to listeners). */
  private readonly multihop: boolean[] = [];
  private readonly senders = new Map<string, NativeSocket>();
  private readonly sendFailing = new Set<string>();

  constructor(
    /** `arrivedAtMs`: when the kernel received it (SO_TIMESTAMPNS), on the monotonic ms clock. */
    private readonly onPacket: (event: BfdPacketEvent, arrivedAtMs?: number) => void,
    private readonly onError: (message: string) => void,
  ) {}

  /** Opens what `specs` need; a session whose socket cannot be opened is reported and left silent. */
  open(specs: readonly BfdSessionSpec[]): void {
    const c = native().constants;
    const kinds = new Set(specs.map((s) => `${s.family}/${s.multihop ? 'multi' : 'single'}`));
    for (const kind of kinds) {
      const [family, hop] = kind.split('/');
      const port = hop === 'multi' ? BFD_MULTIHOP_PORT : BFD_SINGLE_HOP_PORT;
      const multihop = hop === 'multi';
      const v6 = family === '6';
      const s = NativeSocket.open(v6 ? c.AF_INET6 : c.AF_INET, c.SOCK_DGRAM, IPPROTO_UDP);
      try {
        s.setOption(c.SOL_SOCKET, c.SO_REUSEADDR, 1);
        // Arrival times: packets read late (a busy JS thread) still count from when they came.
        s.setOption(c.SOL_SOCKET, c.SO_TIMESTAMPNS, 1);
        if (v6) {
          s.setOption(c.IPPROTO_IPV6, c.IPV6_V6ONLY, 1);
          s.setOption(c.IPPROTO_IPV6, c.IPV6_RECVHOPLIMIT, 1);
          s.setOption(c.IPPROTO_IPV6, c.IPV6_RECVPKTINFO, 1);
          s.bind({ family: 'inet6', address: '::', port });
        } else {
          s.setOption(c.IPPROTO_IP, c.IP_RECVTTL, 1);
          s.setOption(c.IPPROTO_IP, c.IP_PKTINFO, 1);
          s.bind({ family: 'inet', address: '0.0.0.0', port });
        }
      } catch (e) {
        s.close();
        throw e;
      }
      s.onMessage(
        (m) => this.received(m, multihop),
        (e) => this.onError(`BFD receive error: ${e.message}`),
      );
      this.listeners.push(s);
      this.multihop.push(multihop);
    }
    for (const spec of specs) {
      try {
        this.senders.set(spec.name, this.openSender(spec));
      } catch (e) {
        this.onError(`(${spec.name}) Unable to open output socket: ${(e as Error).message}`);
      }
    }
  }

  /** The descriptor a session's packets leave from (for the timed sender). */
  socketFd(session: string): number | undefined {
    return this.senders.get(session)?.fd;
  }

  /** Delivers every datagram queued on the listening sockets now (before a deadline is judged, so that
   * packets that came before it count). */
  drain(): void {
    this.listeners.forEach((s, i) => {
      const multihop = this.multihop[i] as boolean;
      try {
        for (let m = s.receive(); m !== null; m = s.receive()) this.received(m, multihop);
      } catch (e) {
        this.onError(`BFD receive error: ${(e as Error).message}`);
      }
    });
  }

  send(session: string, family: 4 | 6, to: string, port: number, data: Uint8Array): void {
    const s = this.senders.get(session);
    if (!s) return;
    try {
      s.send(
        data,
        family === 4 ? { family: 'inet', address: to, port } : { family: 'inet6', address: to, port },
      );
      this.sendFailing.delete(session);
    } catch (e) {
      // Logged once per run of failures, as keepalived does.
      if (!this.sendFailing.has(session))
        this.onError(`(${session}) Error sending packet: ${(e as Error).message}`);
      this.sendFailing.add(session);
    }
  }

  close(): void {
    for (const s of this.listeners) s.close();
    for (const s of this.senders.values()) s.close();
    this.listeners.length = 0;
    this.multihop.length = 0;
    this.senders.clear();
  }

  private received(m: ReceivedMessage, multihop: boolean): void {
    if (m.truncated || m.from === null) return;
    if (m.from.family !== 'inet' && m.from.family !== 'inet6') return;
    const event: BfdPacketEvent = { type: 'packet', from: unmap(m.from.address), multihop, data: m.data };
    if (m.dst !== undefined) event.to = unmap(m.dst);
    const ttl = m.ttl ?? m.hopLimit;
    if (ttl !== undefined) event.ttl = ttl;
    this.onPacket(event, m.receivedAtNs !== undefined ? nsToMs(m.receivedAtNs) : undefined);
  }

  private openSender(spec: BfdSessionSpec): NativeSocket {
    const c = native().constants;
    const v6 = spec.family === 6;
    const s = NativeSocket.open(v6 ? c.AF_INET6 : c.AF_INET, c.SOCK_DGRAM, IPPROTO_UDP);
    try {
      if (v6) s.setOption(c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS, spec.ttl);
      else s.setOption(c.IPPROTO_IP, c.IP_TTL, spec.ttl);
      this.bindSourcePort(s, spec);
    } catch (e) {
      s.close();
      throw e;
    }
    // Replies to our source port are not expected (peers send to 3784/4784); drain anything that comes.
    s.onMessage(
      () => undefined,
      () => undefined,
    );
    s.setKeepAlive(false);
    return s;
  }

  /** RFC 5881 section 4: a source port in 49152-65535, tried from a random start until one is free. */
  private bindSourcePort(s: NativeSocket, spec: BfdSessionSpec): void {
    const span = BFD_SOURCE_PORT_MAX - BFD_SOURCE_PORT_MIN + 1;
    const first = Math.floor(Math.random() * span);
    const address = spec.source ?? (spec.family === 6 ? '::' : '0.0.0.0');
    for (let i = 0; i < span; i++) {
      const port = BFD_SOURCE_PORT_MIN + ((first + i) % span);
      try {
        s.bind(spec.family === 6 ? { family: 'inet6', address, port } : { family: 'inet', address, port });
        return;
      } catch (e) {
        if (isNativeError(e) && e.code === 'EADDRINUSE') continue;
        throw e;
      }
    }
    throw new Error('no free source port in 49152-65535');
  }
}
