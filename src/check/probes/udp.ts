// UDP_CHECK: send the payload (an empty datagram when none) on a connected UDP socket. Without
// require_reply the check fails only if an ICMP error (port unreachable -> ECONNREFUSED) comes back
// before connect_timeout; with require_reply a reply must arrive, and when reply data is given the
// reply's length must lie in [min_reply_length, max_reply_length] and its bytes must match under the mask.
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { CheckerSpec, ProbeResult, UdpCheckOptions } from '../schedule/spec.js';
import { dialAddress, errorText, runProbe } from './common.js';

/** Why a reply fails, or undefined when it passes (keepalived's check_udp_reply). */
export function judgeUdpReply(options: UdpCheckOptions, reply: Uint8Array): string | undefined {
  const expected = options.replyData;
  if (expected === undefined) return undefined;
  if (reply.length < options.minReplyLength || reply.length > options.maxReplyLength) {
    return `reply length ${reply.length} outside ${options.minReplyLength}..${options.maxReplyLength}`;
  }
  const n = Math.min(expected.length, reply.length);
  for (let i = 0; i < n; i++) {
    const careBits = options.replyMask !== undefined ? ~(options.replyMask[i] ?? 0) & 0xff : 0xff;
    if ((((reply[i] as number) ^ (expected[i] as number)) & careBits) !== 0) return `reply byte ${i} differs`;
  }
  return undefined;
}

export function udpProbe(spec: CheckerSpec, signal?: AbortSignal): Promise<ProbeResult> {
  const options = spec.options as UdpCheckOptions;
  return runProbe(
    spec.connect.timeoutMs,
    signal,
    (ctx) => {
      const socket = createSocket(isIPv6(spec.connect.address) ? 'udp6' : 'udp4');
      ctx.onCleanup(() => socket.close());
      socket.on('error', (e) => ctx.fail(errorText(e)));
      socket.on('message', (msg) => {
        if (!options.requireReply) return ctx.succeed('reply received');
        const why = judgeUdpReply(options, msg);
        if (why === undefined) ctx.succeed(`reply of ${msg.length} bytes`);
        else ctx.fail(why);
      });
      const send = (): void => {
        socket.connect(spec.connect.port, dialAddress(spec), () => {
          socket.send(options.payload ?? new Uint8Array(0), (e) => {
            if (e) ctx.fail(errorText(e));
          });
        });
      };
      if (spec.connect.bindTo !== undefined || spec.connect.bindPort !== undefined) {
        socket.bind({ address: spec.connect.bindTo, port: spec.connect.bindPort ?? 0 }, send);
      } else {
        send();
      }
    },
    () =>
      options.requireReply
        ? { ok: false, detail: 'no reply within connect_timeout' }
        : { ok: true, detail: 'no ICMP error within connect_timeout' },
  );
}
