// The byte pipe a netlink client talks through, and its implementation over the native addon's socket.

import { native } from '../native.js';
import { NativeSocket } from '../socket.js';
import { NETLINK_ROUTE } from './rtnl-constants.js';

/** Datagrams to and from the kernel on one netlink socket. */
export interface NetlinkTransport {
  /** Sends one datagram to the kernel (port 0). May throw an errno-coded Error. */
  send(datagram: Buffer): void;
  /** Delivers every datagram received; `onError` gets receive errors (ENOBUFS: messages were lost). */
  onMessage(onDatagram: (datagram: Buffer) => void, onError?: (error: Error) => void): void;
  /** Stops delivering until onMessage is called again; datagrams stay queued in the kernel meanwhile. */
  stopReading?(): void;
  /** Whether the open socket alone keeps the process alive (request clients turn it off). */
  setKeepAlive?(keepAlive: boolean): void;
  /** SO_RCVBUF (SO_RCVBUFFORCE when `force`, which passes net.core.rmem_max but needs CAP_NET_ADMIN);
   * undefined puts back the size the socket had once opened. May throw an errno-coded Error. */
  setReceiveBuffer?(buffer: ReceiveBuffer | undefined): void;
  /** Grows the send buffer so that one datagram of `bytes` fits (nfnetlink batches are one datagram). */
  setSendBuffer?(bytes: number): void;
  close(): void;
}

/** A receive buffer size asked of the kernel (which doubles it for its bookkeeping). */
export interface ReceiveBuffer {
  bytes: number;
  force: boolean;
}

export interface NetlinkSocketOptions {
  /** NETLINK_ROUTE by default. */
  protocol?: number;
  /** Multicast groups to join (RTNLGRP_* numbers, via NETLINK_ADD_MEMBERSHIP). */
  groups?: number[];
  /** SO_RCVBUF in bytes: event sockets want room for bursts (ENOBUFS otherwise). */
  receiveBufferBytes?: number;
}

// Large enough for any single netlink datagram the kernel builds for a dump (it caps them near 32 KiB).
const DATAGRAM_BUFFER_BYTES = 256 * 1024;

/** A netlink socket from the native addon, bound to an automatic port id. */
export function openNetlinkSocket(options: NetlinkSocketOptions = {}): NetlinkTransport {
  const c = native().constants;
  const sock = NativeSocket.open(
    c.AF_NETLINK,
    c.SOCK_RAW,
    options.protocol ?? NETLINK_ROUTE,
    DATAGRAM_BUFFER_BYTES,
  );
  try {
    if (options.receiveBufferBytes) sock.setOption(c.SOL_SOCKET, c.SO_RCVBUF, options.receiveBufferBytes);
    sock.bind({ family: 'netlink', pid: 0, groups: 0 });
    for (const group of options.groups ?? []) sock.setOption(c.SOL_NETLINK, c.NETLINK_ADD_MEMBERSHIP, group);
    // Ask for the kernel's error text in NLMSG_ERROR; older kernels refuse the option, which is fine.
    const extAck = c['NETLINK_EXT_ACK'];
    if (extAck !== undefined) {
      try {
        sock.setOption(c.SOL_NETLINK, extAck, 1);
      } catch {
        /* optional */
      }
    }
  } catch (error) {
    sock.close();
    throw error;
  }
  // What getsockopt reports is twice what was asked: half of it asks for the same again.
  const openedReceiveBytes = Math.floor(sock.getIntOption(c.SOL_SOCKET, c.SO_RCVBUF) / 2);
  return {
    send: (datagram) => {
      sock.send(datagram, { family: 'netlink', pid: 0, groups: 0 });
    },
    onMessage: (onDatagram, onError) => {
      sock.onMessage(
        (m) => {
          if (m.truncated) {
            onError?.(Object.assign(new Error('netlink datagram truncated'), { code: 'EMSGSIZE' }));
            return;
          }
          onDatagram(m.data);
        },
        onError ?? (() => undefined),
      );
    },
    stopReading: () => sock.stopReading(),
    setKeepAlive: (keepAlive) => sock.setKeepAlive(keepAlive),
    setReceiveBuffer: (buffer) => {
      const force = c['SO_RCVBUFFORCE'];
      if (buffer?.force === true && force !== undefined) sock.setOption(c.SOL_SOCKET, force, buffer.bytes);
      else sock.setOption(c.SOL_SOCKET, c.SO_RCVBUF, buffer?.bytes ?? openedReceiveBytes);
    },
    setSendBuffer: (bytes) => {
      // The kernel doubles the value and refuses datagrams above it; SO_SNDBUFFORCE (root) passes
      // net.core.wmem_max, which is often only 208 KiB.
      const force = c['SO_SNDBUFFORCE'];
      if (force !== undefined) {
        try {
          sock.setOption(c.SOL_SOCKET, force, bytes);
          return;
        } catch {
          /* not privileged: the plain option, capped by wmem_max */
        }
      }
      sock.setOption(c.SOL_SOCKET, c['SO_SNDBUF'] as number, bytes);
    },
    close: () => sock.close(),
  };
}
