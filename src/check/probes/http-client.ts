// The one HTTP GET keepalived's HTTP_GET, SSL_GET and genhash perform, byte for byte: a hand-written
// request over net/tls (so the request line and headers match keepalived's exactly), the whole reply
// read until the server closes (or Content-Length is reached), and the MD5 of the raw body bytes after
// the header block (keepalived hashes what it receives; a chunked body is hashed with its framing).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext } from 'node:tls';
import type { HttpProtocol } from '../schedule/spec.js';
import { errorText, hostPort, watchAbort } from './common.js';
import { HttpResponseReader, type HttpReplyOutcome } from './http-response.js';

export interface HttpGetOptions {
  /** Address to dial (may carry %scope for IPv6 link-local). */
  address: string;
  port: number;
  path: string;
  /** Host header without port; default "address:port". */
  virtualhost?: string;
  protocol: HttpProtocol;
  tls: boolean;
  /** Send SNI (the virtualhost) in the TLS handshake. */
  sni: boolean;
  /** tls_compliant: end the session with a close_notify alert; otherwise close it quietly, as keepalived
   * does by default (SSL_set_quiet_shutdown). */
  tlsCompliant?: boolean;
  /** The top-level SSL block's client certificate, key and CA (daemon/checker/ssl-context.ts). */
  secureContext?: SecureContext;
  bindTo?: string;
  bindPort?: number;
  /** Hard deadline for the whole exchange. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Stop reading after this many body bytes (keeps a huge reply from eating memory). */
  maxBodyBytes?: number;
}

export interface HttpGetResult {
  statusCode: number;
  /** The header block as received, without the blank line. */
  header: Buffer;
  body: Buffer;
  /** Lower-case hex MD5 of `body`. */
  md5: string;
  elapsedMs: number;
}

export type HttpGetOutcome = { ok: true; response: HttpGetResult } | { ok: false; error: string };

/** keepalived's request, e.g. "GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: a:80\r\n\r\n". */
export function buildRequest(
  opts: Pick<HttpGetOptions, 'address' | 'port' | 'path' | 'virtualhost' | 'protocol'>,
): string {
  const version = opts.protocol === '1.1' ? '1.1' : '1.0';
  const host = opts.virtualhost ?? hostPort(opts.address.replace(/%.*$/, ''), opts.port);
  const close = opts.protocol === '1.0' ? '' : 'Connection: close\r\n';
  return `GET ${opts.path} HTTP/${version}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`;
}

export function httpGet(opts: HttpGetOptions): Promise<HttpGetOutcome> {
  const started = performance.now();
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  return new Promise<HttpGetOutcome>((resolve) => {
    let done = false;
    let socket: Socket | undefined;
    const reader = new HttpResponseReader(maxBody);
    let unwatch: () => void = () => undefined;

    const finish = (outcome: HttpGetOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unwatch();
      // end() sends close_notify, then FIN once it is written; destroy() closes without a word.
      if (opts.tls && opts.tlsCompliant === true && socket !== undefined && !socket.destroyed) {
        socket.on('error', () => undefined);
        socket.destroySoon();
        setTimeout(() => socket?.destroy(), 1000).unref();
      } else socket?.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, error: 'timed out' }), Math.max(1, opts.timeoutMs));
    if (opts.signal?.aborted) return finish({ ok: false, error: 'aborted' });
    if (opts.signal !== undefined)
      unwatch = watchAbort(opts.signal, () => finish({ ok: false, error: 'aborted' }));

    const settle = (outcome: HttpReplyOutcome): void =>
      finish(
        outcome.ok
          ? { ok: true, response: { ...outcome.reply, elapsedMs: performance.now() - started } }
          : outcome,
      );
    const complete = (): void => {
      if (!done) settle(reader.end());
    };
    const onData = (chunk: Buffer): void => {
      if (done) return;
      const outcome = reader.push(chunk);
      if (outcome !== undefined) settle(outcome);
    };

    try {
      const base = {
        host: opts.address,
        port: opts.port,
        localAddress: opts.bindTo,
        localPort: opts.bindPort,
      };
      if (opts.tls) {
        // keepalived does not verify the server certificate; SNI only when asked (enable_sni).
        const servername = opts.sni && opts.virtualhost !== undefined ? opts.virtualhost : '';
        socket = tlsConnect({
          ...base,
          rejectUnauthorized: false,
          servername,
          ...(opts.secureContext !== undefined ? { secureContext: opts.secureContext } : {}),
        });
        socket.once('secureConnect', () => socket?.write(buildRequest(opts)));
      } else {
        socket = netConnect(base);
        socket.once('connect', () => socket?.write(buildRequest(opts)));
      }
      socket.on('data', onData);
      socket.once('end', complete);
      socket.once('close', complete);
      socket.once('error', (e) => finish({ ok: false, error: errorText(e) }));
    } catch (e) {
      finish({ ok: false, error: errorText(e) });
    }
  });
}
