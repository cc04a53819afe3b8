// PING_CHECK: one ICMP (or ICMPv6) echo request; healthy when the matching echo reply arrives within
// connect_timeout. Node has no ICMP sockets, so this goes through the native addon (src/net/socket.ts):
// a raw ICMP socket when we are allowed one (root / CAP_NET_RAW), else an unprivileged ICMP datagram
// ("ping") socket, which needs the gid inside net.ipv4.ping_group_range.
import { isIPv6 } from 'node:net';
import { native, isNativeError, type SockAddr } from '../../net/native.js';
import { NativeSocket } from '../../net/socket.js';
import type { CheckerSpec, ProbeResult } from '../schedule/spec.js';
import { errorText, runProbe } from './common.js';

const IPPROTO_ICMP = 1;
const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;
const ICMP6_ECHO_REQUEST = 128;
const ICMP6_ECHO_REPLY = 129;

let sequence = 0;

/** RFC 1071 ones' complement checksum. */
export function inetChecksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += ((data[i] as number) << 8) | (data[i + 1] as number);
  if (data.length % 2 === 1) sum += (data[data.length - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An echo request; for ICMPv6 the kernel fills in the checksum (it covers a pseudo-header). */
export function encodeEchoRequest(v6: boolean, id: number, seq: number, payload: Uint8Array): Buffer {
  const msg = Buffer.alloc(8 + payload.length);
  msg[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO_REQUEST;
  msg.writeUInt16BE(id & 0xffff, 4);
  msg.writeUInt16BE(seq & 0xffff, 6);
  msg.set(payload, 8);
  if (!v6) msg.writeUInt16BE(inetChecksum(msg), 2);
  return msg;
}

/** The echo reply's (id, seq) or undefined; `withIpHeader` for IPv4 raw sockets, which see the IP header. */
export function decodeEchoReply(
  v6: boolean,
  data: Buffer,
  withIpHeader: boolean,
): { id: number; seq: number } | undefined {
  let icmp = data;
  if (withIpHeader) {
    const ihl = ((data[0] ?? 0) & 0x0f) * 4;
    icmp = data.subarray(ihl);
  }
  if (icmp.length < 8) return undefined;
  if (icmp[0] !== (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHO_REPLY) || icmp[1] !== 0) return undefined;
  return { id: icmp.readUInt16BE(4), seq: icmp.readUInt16BE(6) };
}

function openIcmpSocket(v6: boolean): { socket: NativeSocket; raw: boolean } {
  const c = native().constants;
  const domain = v6 ? c.AF_INET6 : c.AF_INET;
  const protocol = v6 ? c.IPPROTO_ICMPV6 : IPPROTO_ICMP;
  try {
    return { socket: NativeSocket.open(domain, c.SOCK_RAW, protocol, 2048), raw: true };
  } catch (e) {
    if (!isNativeError(e) || (e.code !== 'EPERM' && e.code !== 'EACCES')) throw e;
    return { socket: NativeSocket.open(domain, c.SOCK_DGRAM, protocol, 2048), raw: false };
  }
}

function sockAddr(v6: boolean, address: string, scopeId?: number): SockAddr {
  return v6 ? { family: 'inet6', address, port: 0, scopeId } : { family: 'inet', address, port: 0 };
}

export function pingProbe(spec: CheckerSpec, signal?: AbortSignal): Promise<ProbeResult> {
  return runProbe(spec.connect.timeoutMs, signal, (ctx) => {
    const target = spec.connect.address.replace(/%.*$/, '');
    const v6 = isIPv6(target);
    const { socket, raw } = openIcmpSocket(v6);
    ctx.onCleanup(() => socket.close());
    const scopeId =
      spec.connect.bindIf !== undefined ? native().ifNameToIndex(spec.connect.bindIf) : undefined;
    if (spec.connect.bindIf !== undefined) {
      socket.setOption(
        native().constants.SOL_SOCKET,
        native().constants.SO_BINDTODEVICE,
        spec.connect.bindIf,
      );
    }
    if (spec.connect.bindTo !== undefined) socket.bind(sockAddr(v6, spec.connect.bindTo));
    const id = (process.pid ^ 0x4b41) & 0xffff;
    const seq = (sequence = (sequence + 1) & 0xffff);
    const payload = Buffer.from(`keepalived-ts ${spec.id}`.slice(0, 48));
    socket.onMessage(
      (message) => {
        // Raw sockets see every ICMP message of the host: keep only our reply from our target.
        const from = message.from;
        if (raw && (from === null || !('address' in from) || from.address !== target)) return;
        const reply = decodeEchoReply(v6, message.data, raw && !v6);
        // Ping sockets rewrite the id to their own port, so only the sequence is ours to compare there.
        if (reply !== undefined && reply.seq === seq && (!raw || reply.id === id)) ctx.succeed('echo reply');
      },
      (e) => ctx.fail(errorText(e)),
    );
    socket.send(encodeEchoRequest(v6, id, seq, payload), sockAddr(v6, target, scopeId));
  });
}
