// A small owner for one native socket descriptor: options, send, and reads driven by libuv readiness.
// On each readable event it drains datagrams until EAGAIN (bounded per wakeup so one busy socket cannot
// starve the event loop; the level-triggered poll fires again for the rest).
import { endianness } from 'node:os';
import { addressBuffer } from './netlink/ip-text.js';
import { native, type PacketInfo, type PollHandle, type SockAddr } from './native.js';

/** One received datagram, copied out of the socket's receive buffer. */
export interface ReceivedMessage {
  data: Buffer;
  from: SockAddr | null;
  truncated: boolean;
  /** Arrival interface (IPV6_PKTINFO / IP_PKTINFO ancillary data, or sockaddr_ll). */
  ifindex?: number;
  /** Destination address (from pktinfo ancillary data). */
  dst?: string;
  /** IPv6 hop limit (IPV6_RECVHOPLIMIT). */
  hopLimit?: number;
  /** IPv4 TTL (IP_RECVTTL). */
  ttl?: number;
  /** SO_TIMESTAMPNS: how long (ns) the datagram waited since the kernel received it, as read. */
  queuedNs?: number;
  /** With queuedNs: when the kernel received it on CLOCK_MONOTONIC (ns), from a clock read taken as soon
   * as recvmsg returned (a read later, after the message went through its handlers, would make the
   * datagram look tens of microseconds younger than it is). */
  receivedAtNs?: bigint;
}

export type MessageHandler = (message: ReceivedMessage) => void;
export type ErrorHandler = (error: Error) => void;

const MAX_DATAGRAMS_PER_WAKEUP = 256;

export class NativeSocket {
  private poll: PollHandle | undefined;
  private receiveBuffer: Buffer;
  private isClosed = false;
  private keepAlive = true;

  private constructor(
    readonly fd: number,
    receiveBufferSize: number,
  ) {
    this.receiveBuffer = Buffer.alloc(receiveBufferSize);
  }

  /** socket(2), non-blocking. `receiveBufferSize` bounds one datagram (larger ones come back truncated). */
  static open(domain: number, type: number, protocol: number, receiveBufferSize = 65536): NativeSocket {
    return new NativeSocket(native().socket(domain, type, protocol), receiveBufferSize);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  bind(addr: SockAddr): void {
    native().bind(this.fd, addr);
  }

  localAddress(): SockAddr | null {
    return native().getsockname(this.fd);
  }

  setOption(level: number, name: number, value: number | string | Uint8Array): void {
    native().setsockopt(this.fd, level, name, value);
  }

  getIntOption(level: number, name: number): number {
    return native().getsockoptInt(this.fd, level, name);
  }

  /** Sends one datagram; throws (code EAGAIN, ENETDOWN, ...) when the kernel refuses it. */
  send(data: Uint8Array, to?: SockAddr | null, pktinfo?: PacketInfo | null): number {
    return native().sendto(this.fd, data, to ?? null, pktinfo ?? null);
  }

  /** Reads one queued datagram now, or returns null (never blocks). */
  receive(): ReceivedMessage | null {
    const r = native().recvmsg(this.fd, this.receiveBuffer);
    if (r === null) return null;
    const readAt = r.queuedNs !== undefined ? native().monotonicNow() : 0n;
    const message: ReceivedMessage = {
      data: Buffer.from(this.receiveBuffer.subarray(0, r.length)),
      from: r.from,
      truncated: r.truncated,
    };
    if (r.ifindex !== undefined) message.ifindex = r.ifindex;
    if (r.dst !== undefined) message.dst = r.dst;
    if (r.hopLimit !== undefined) message.hopLimit = r.hopLimit;
    if (r.ttl !== undefined) message.ttl = r.ttl;
    if (r.queuedNs !== undefined) {
      message.queuedNs = r.queuedNs;
      message.receivedAtNs = readAt - BigInt(Math.round(r.queuedNs));
    }
    return message;
  }

  /**
   * Starts delivering datagrams to `onMessage`. Receive errors (ENOBUFS on a netlink socket, ENETDOWN...)
   * go to `onError` and reading continues; without `onError` they are thrown. Replaces earlier handlers.
   */
  onMessage(onMessage: MessageHandler, onError?: ErrorHandler): void {
    if (this.isClosed) throw new Error('socket is closed');
    this.stopReading();
    const fail = (error: Error): void => {
      if (onError) onError(error);
      else throw error;
    };
    this.poll = native().pollStart(this.fd, (status) => {
      if (status < 0) {
        fail(
          Object.assign(new Error(`poll failed (libuv status ${status})`), { code: 'EPOLL', errno: status }),
        );
        return;
      }
      for (let i = 0; i < MAX_DATAGRAMS_PER_WAKEUP && !this.isClosed && this.poll; i++) {
        let message: ReceivedMessage | null;
        try {
          message = this.receive();
        } catch (error) {
          fail(error as Error);
          break; // the level-triggered poll wakes us again if more is queued
        }
        if (message === null) break;
        onMessage(message);
      }
    });
    if (!this.keepAlive) native().pollRef(this.poll, false);
  }

  /** Stops reading; queued datagrams stay in the kernel until read or closed. */
  stopReading(): void {
    if (this.poll) native().pollStop(this.poll);
    this.poll = undefined;
  }

  /** Whether a reading socket alone keeps the process alive (default true). */
  setKeepAlive(keepAlive: boolean): void {
    this.keepAlive = keepAlive;
    if (this.poll) native().pollRef(this.poll, keepAlive);
  }

  close(): void {
    if (this.isClosed) return;
    this.stopReading();
    this.isClosed = true;
    native().close(this.fd);
  }
}

// ---- option structs whose layout the C headers fix: ints are host order, addresses network order ----

function writeHostInt32(buf: Buffer, value: number, offset: number): void {
  if (endianness() === 'LE') buf.writeInt32LE(value, offset);
  else buf.writeInt32BE(value, offset);
}

function writeHostUInt16(buf: Buffer, value: number, offset: number): void {
  if (endianness() === 'LE') buf.writeUInt16LE(value, offset);
  else buf.writeUInt16BE(value, offset);
}

/** struct ip_mreqn for IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP / IP_MULTICAST_IF, chosen by ifindex. */
export function ipMreqn(group: string, ifindex: number, localAddress = '0.0.0.0'): Buffer {
  const buf = Buffer.alloc(12);
  addressBuffer(group).copy(buf, 0);
  addressBuffer(localAddress).copy(buf, 4);
  writeHostInt32(buf, ifindex, 8);
  return buf;
}

/** struct ipv6_mreq for IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP. */
export function ipv6Mreq(group: string, ifindex: number): Buffer {
  const buf = Buffer.alloc(20);
  addressBuffer(group).copy(buf, 0);
  writeHostInt32(buf, ifindex, 16);
  return buf;
}

/** struct packet_mreq for PACKET_ADD_MEMBERSHIP (type PACKET_MR_MULTICAST with a MAC, or PROMISC). */
export function packetMreq(ifindex: number, type: number, mac?: Uint8Array): Buffer {
  const buf = Buffer.alloc(16);
  writeHostInt32(buf, ifindex, 0);
  writeHostUInt16(buf, type, 4);
  writeHostUInt16(buf, mac ? mac.length : 0, 6);
  if (mac) Buffer.from(mac).copy(buf, 8);
  return buf;
}
