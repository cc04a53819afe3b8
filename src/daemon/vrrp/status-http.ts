// The status listener's sockets (status_http): one HTTP (or HTTPS) server per `listen` line, in the VRRP
// child. GET / (the web page), /status, /metrics and /events; a bearer token when configured (401
// otherwise), for the page as for the rest. POST /instances/NAME/handover and /release (api/handover.ts)
// only when a token is configured (403 otherwise). Its work is
// bounded: few connections, short timeouts, a cap on event streams and on what a slow stream may buffer,
// and on the bytes of answers written per second.
// The periodic adverts leave from the native sender thread whatever this does, but that thread's plans are
// topped up from the JavaScript loop (a few tens of ms ahead): answers are therefore paced, so that many
// clients asking for megabytes at once never hold the loop for long (bench/status-load.ts). What a request
// costs the JavaScript thread is measured (keepalived_status_http_request_duration_seconds).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { StatusHttpConfig } from '../../config/model/global/status-http.js';
import type { EventHistory, StatusEvent } from '../../api/events.js';
import { authorized, parseLastEventId, sseComment, sseFrame, sseGap } from '../../api/sse.js';
import { STATUS_PAGE, STATUS_PAGE_SCRIPT, STATUS_PAGE_STYLE } from '../../api/status-page.js';
import {
  isHandoverPath,
  MAX_HANDOVER_BODY,
  parseHandoverRequest,
  type HandoverAnswer,
  type HandoverRequest,
} from '../../api/handover.js';
import type { Logger } from '../process/log.js';

const MAX_CONNECTIONS = 64;
const MAX_EVENT_STREAMS = 32;
/** A stream whose client reads slower than this much buffered output is closed (it reconnects with
 * Last-Event-ID and loses nothing the history still holds). */
const MAX_STREAM_BUFFER = 1 << 20;
const KEEPALIVE_COMMENT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Answers being written at once: each write hands up to a socket buffer (megabytes once TCP has grown it)
 * to the kernel, and on a veth the receiver's side of TCP runs in the same system call; the others wait. */
const MAX_SENDING = 16;
/** Longest a turn of the event loop spends starting answers before it lets the rest of the loop run. */
const SLICE_MS = 2;
/** Bytes of answers written per second at most, all clients together (a token bucket holding a quarter
 * second): a client polling as fast as it can gets ~100 /status of 1,000 instances per second, or
 * thousands of a small config, and no longer a core's worth of rendering and of the kernel's copying. */
export const MAX_BYTES_PER_SECOND = 128 * 1024 * 1024;
export const BURST_BYTES = MAX_BYTES_PER_SECOND / 4;

const cspHash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
/** The page may run its own inline script and style (by hash) and talk to this listener, nothing else. */
const PAGE_HEADERS = {
  'content-security-policy':
    `default-src 'none'; script-src ${cspHash(STATUS_PAGE_SCRIPT)}; style-src ${cspHash(STATUS_PAGE_STYLE)}; ` +
    "connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const PAGE_BYTES = Buffer.from(STATUS_PAGE);

export interface StatusHandlers {
  /** The /status document (a Buffer when it is shared between answers: written without a copy). */
  status(): string | Buffer | Promise<string | Buffer>;
  metrics(): Promise<{ contentType: string; body: string | Buffer }>;
  history: EventHistory;
  /** Each answered request: path, status code, seconds of the JavaScript thread it took. */
  measured(path: string, code: number, seconds: number): void;
  /** A planned handover or release (absent: POST paths answer 404). */
  handover?(request: HandoverRequest): HandoverAnswer;
}

interface Stream {
  res: ServerResponse;
}

/** An answer waiting for its turn: `write` writes it and says it was measured. */
interface Answer {
  res: ServerResponse;
  bytes: number;
  write(): void;
}

export class StatusHttpServer {
  private readonly servers: Server[] = [];
  private readonly streams = new Set<Stream>();
  private keepalive: NodeJS.Timeout | undefined;
  private readonly answers: Answer[] = [];
  private sending = 0;
  private pumpScheduled = false;
  /** The token bucket of MAX_BYTES_PER_SECOND: bytes that may still leave, as of `budgetAt` (ms). */
  private budget = BURST_BYTES;
  private budgetAt = performance.now();

  private constructor(
    private readonly cfg: StatusHttpConfig,
    private readonly handlers: StatusHandlers,
    private readonly log: Logger,
  ) {}

  /** Opens every listen line; a line that cannot be opened is logged and skipped (the VRRP side runs on). */
  static async open(cfg: StatusHttpConfig, handlers: StatusHandlers, log: Logger): Promise<StatusHttpServer> {
    const s = new StatusHttpServer(cfg, handlers, log);
    let tls: { cert: Buffer; key: Buffer } | undefined;
    if (cfg.tlsCertificate !== undefined && cfg.tlsKey !== undefined) {
      try {
        tls = { cert: readFileSync(cfg.tlsCertificate), key: readFileSync(cfg.tlsKey) };
      } catch (e) {
        log.error(
          `status_http: cannot read the TLS certificate or key: ${(e as Error).message}; listener off`,
        );
        return s;
      }
    }
    for (const l of cfg.listen) {
      const onRequest = (req: IncomingMessage, res: ServerResponse): void => s.request(req, res);
      const server = tls !== undefined ? createTlsServer({ ...tls }, onRequest) : createServer(onRequest);
      server.maxConnections = MAX_CONNECTIONS;
      server.requestTimeout = REQUEST_TIMEOUT_MS;
      server.headersTimeout = REQUEST_TIMEOUT_MS;
      const where = l.family === 6 ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: l.address, port: l.port, ipv6Only: l.family === 6 }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        server.on('error', (e) => log.warn(`status_http ${where}: ${e.message}`));
        s.servers.push(server);
        log.info(`status_http: listening on ${tls ? 'https' : 'http'}://${where}`);
      } catch (e) {
        log.error(`status_http: cannot listen on ${where}: ${(e as Error).message}`);
      }
    }
    s.keepalive = setInterval(() => {
      for (const st of s.streams) s.write(st, sseComment('keepalive'));
    }, KEEPALIVE_COMMENT_MS);
    s.keepalive.unref();
    return s;
  }

  /** The addresses actually listened on (a port 0 in tests becomes the one the kernel chose). */
  addresses(): Array<{ address: string; port: number }> {
    return this.servers.flatMap((server) => {
      const a = server.address();
      return a !== null && typeof a === 'object' ? [{ address: a.address, port: a.port }] : [];
    });
  }

  /** Whether this server runs the same configuration (a reload keeps it open). */
  sameConfig(cfg: StatusHttpConfig | undefined): boolean {
    const strip = (c: StatusHttpConfig | undefined): string =>
      JSON.stringify(
        c && { ...c, location: undefined, listen: c.listen.map((l) => ({ ...l, location: undefined })) },
      );
    return strip(cfg) === strip(this.cfg);
  }

  /** A new event for every open stream. */
  publish(e: StatusEvent): void {
    if (this.streams.size === 0) return;
    const frame = sseFrame(e);
    for (const st of this.streams) this.write(st, frame);
  }

  async close(): Promise<void> {
    clearInterval(this.keepalive);
    this.answers.length = 0;
    for (const st of this.streams) st.res.end();
    this.streams.clear();
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  private write(st: Stream, text: string): void {
    if (st.res.writableLength > MAX_STREAM_BUFFER) {
      this.streams.delete(st);
      st.res.destroy();
      return;
    }
    st.res.write(text);
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    let started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://listener');
    const path = url.pathname;
    const done = (code: number): void =>
      this.handlers.measured(
        ['/', '/status', '/metrics', '/events'].includes(path)
          ? path
          : isHandoverPath(path)
            ? 'handover'
            : 'other',
        code,
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    // queued behind the answers being written; measured from when its turn comes
    const reply = (
      code: number,
      type: string,
      body: string | Buffer,
      headers: Record<string, string> = {},
    ): void =>
      this.answer(res, Buffer.byteLength(body), () => {
        started = process.hrtime.bigint();
        res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store', ...headers });
        res.end(body);
        done(code);
      });
    if (!authorized(req.headers.authorization, this.cfg.token)) {
      reply(401, 'application/json', '{"error":"unauthorized"}\n', { 'www-authenticate': 'Bearer' });
      return;
    }
    if (req.method === 'POST' && isHandoverPath(path) && this.handlers.handover !== undefined) {
      this.post(req, path, this.handlers.handover, reply);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(405, 'application/json', '{"error":"method not allowed"}\n', { allow: 'GET, HEAD' });
      return;
    }
    try {
      if (path === '/') reply(200, 'text/html; charset=utf-8', PAGE_BYTES, PAGE_HEADERS);
      else if (path === '/status')
        void Promise.resolve()
          .then(() => this.handlers.status())
          .then(
            (body) => reply(200, 'application/json', body),
            (e: unknown) => reply(500, 'text/plain', `status: ${(e as Error).message}\n`),
          );
      else if (path === '/metrics')
        void this.handlers.metrics().then(
          (m) => reply(200, m.contentType, m.body),
          (e: unknown) => reply(500, 'text/plain', `metrics: ${(e as Error).message}\n`),
        );
      else if (path === '/events') this.events(req, res, url, done);
      else
        reply(
          404,
          'application/json',
          '{"error":"not found","paths":["/","/status","/metrics","/events"]}\n',
        );
    } catch (e) {
      this.log.error(`status_http ${path}: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) reply(500, 'application/json', '{"error":"internal"}\n');
    }
  }

  /** Queues an answer; see MAX_SENDING, SLICE_MS and MAX_BYTES_PER_SECOND. */
  private answer(res: ServerResponse, bytes: number, write: () => void): void {
    this.answers.push({ res, bytes, write });
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.answers.length === 0 || this.sending >= MAX_SENDING) return;
    this.pumpScheduled = true;
    const wait = this.refill() > 0 ? 0 : Math.ceil((-this.budget / MAX_BYTES_PER_SECOND) * 1000) + 1;
    if (wait === 0) setImmediate(() => this.pump());
    else setTimeout(() => this.pump(), wait).unref();
  }

  /** The bucket as of now. */
  private refill(): number {
    const now = performance.now();
    this.budget = Math.min(BURST_BYTES, this.budget + ((now - this.budgetAt) / 1000) * MAX_BYTES_PER_SECOND);
    this.budgetAt = now;
    return this.budget;
  }

  private pump(): void {
    this.pumpScheduled = false;
    const sliceEnd = performance.now() + SLICE_MS;
    while (
      this.answers.length > 0 &&
      this.sending < MAX_SENDING &&
      performance.now() < sliceEnd &&
      this.refill() > 0
    ) {
      const a = this.answers.shift() as Answer;
      if (a.res.destroyed) continue; // the client left while it waited
      this.budget -= a.bytes; // may go below zero: one large answer is not held back for ever
      this.sending++;
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        this.sending--;
        this.schedulePump();
      };
      a.res.once('finish', release);
      a.res.once('close', release);
      try {
        a.write();
      } catch (e) {
        this.log.error(`status_http: ${(e as Error).stack ?? String(e)}`);
        if (!a.res.headersSent) {
          a.res.writeHead(500, { 'content-type': 'application/json' });
          a.res.end('{"error":"internal"}\n');
        } else a.res.destroy();
      }
    }
    this.schedulePump();
  }

  /** A handover POST: only with a token configured (the request carried it: checked before), a small body. */
  private post(
    req: IncomingMessage,
    path: string,
    handover: NonNullable<StatusHandlers['handover']>,
    reply: (code: number, type: string, body: string) => void,
  ): void {
    const json = (code: number, body: unknown): void =>
      reply(code, 'application/json', JSON.stringify(body) + '\n');
    if (this.cfg.token === undefined) {
      req.resume();
      json(403, { error: 'POST needs a token in the status_http block' });
      return;
    }
    let body = '';
    let tooLong = false;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      if (tooLong) return;
      body += chunk;
      if (body.length > MAX_HANDOVER_BODY) tooLong = true;
    });
    req.on('end', () => {
      if (tooLong) return json(413, { error: 'body too long' });
      const request = parseHandoverRequest(path, body);
      if (typeof request === 'string') return json(400, { error: request });
      try {
        const answer = handover(request);
        json(answer.code, answer.body);
      } catch (e) {
        this.log.error(`status_http ${path}: ${(e as Error).stack ?? String(e)}`);
        json(500, { error: 'internal' });
      }
    });
  }

  private events(req: IncomingMessage, res: ServerResponse, url: URL, done: (code: number) => void): void {
    if (this.streams.size >= MAX_EVENT_STREAMS) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
      res.end('{"error":"too many event streams"}\n');
      done(503);
      return;
    }
    const header = req.headers['last-event-id'];
    const last = parseLastEventId(
      (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('lastEventId'),
    );
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const st: Stream = { res };
    // what the client missed (Last-Event-ID), else nothing old: the stream starts now
    let head = 'retry: 2000\n\n';
    if (last !== undefined) {
      const r = this.handlers.history.since(last);
      if (r.gap) head += sseGap(last, r.events[0]?.seq);
      for (const e of r.events) head += sseFrame(e);
    } else head += sseComment(`live from ${this.handlers.history.lastSeq}`);
    // ?follow=0: the history only, then the end (keepalived-ts events without --follow)
    if (url.searchParams.get('follow') === '0') {
      res.end(head);
      done(200);
      return;
    }
    res.write(head);
    this.streams.add(st);
    done(200);
    res.on('close', () => this.streams.delete(st));
    req.socket.setTimeout(0);
  }
}
