// DNS_CHECK over node:dgram with a hand-built query rather than node:dns's Resolver: the verdict must
// be keepalived's (any reply with our id, QR set and RCODE 0 is healthy, even with no answers; RCODE != 0
// fails), which the Resolver hides behind ENODATA/ENOTFOUND, and it must honour bindto/bind_port and the
// RRSIG/DNSKEY types. Replies with the wrong id or without QR are ignored, as keepalived does.
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { randomInt } from 'node:crypto';
import type { CheckerSpec, DnsCheckOptions, ProbeResult } from '../schedule/spec.js';
import { dialAddress, errorText, runProbe } from './common.js';
import { decodeDnsHeader, encodeDnsQuery } from './dns-message.js';

export function dnsProbe(spec: CheckerSpec, signal?: AbortSignal): Promise<ProbeResult> {
  const options = spec.options as DnsCheckOptions;
  return runProbe(
    spec.connect.timeoutMs,
    signal,
    (ctx) => {
      const socket = createSocket(isIPv6(spec.connect.address) ? 'udp6' : 'udp4');
      ctx.onCleanup(() => socket.close());
      const id = randomInt(0, 0x10000);
      const query = encodeDnsQuery(id, options.name, options.type);
      socket.on('error', (e) => ctx.fail(errorText(e)));
      socket.on('message', (msg) => {
        const header = decodeDnsHeader(msg);
        if (header === undefined || header.id !== id || !header.isResponse) return;
        if (header.rcode !== 0) ctx.fail(`DNS reply rcode ${header.rcode}`);
        else ctx.succeed(`DNS reply with ${header.answers} answer(s)`);
      });
      const send = (): void => {
        socket.connect(spec.connect.port, dialAddress(spec), () => {
          socket.send(query, (e) => {
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
    () => ({ ok: false, detail: 'no DNS reply (read timeout)' }),
  );
}
