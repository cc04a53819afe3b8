// The status listener's HTTP side on loopback: the token (401 with the Bearer challenge), methods and
// paths, the page (GET /), the event stream (Last-Event-ID, live events, ?follow=0, the cap on streams), and HTTPS.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BURST_BYTES,
  MAX_BYTES_PER_SECOND,
  StatusHttpServer,
} from '../../../../src/daemon/vrrp/status-http.js';
import { performance } from 'node:perf_hooks';
import { EventHistory } from '../../../../src/api/events.js';
import { STATUS_PAGE, STATUS_PAGE_SCRIPT, STATUS_PAGE_STYLE } from '../../../../src/api/status-page.js';
import { Logger } from '../../../../src/daemon/process/log.js';
import { missingTools } from '../../../helpers/requirements.js';

const log = new Logger({ console: false, syslog: false, facility: 'daemon', detail: false, ident: 'test' });
const TOKEN = 'tok en';

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function ask(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; tls?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = (opts.tls ? httpsRequest : httpRequest)(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        rejectUnauthorized: false,
      },
      (res) => {
        res.setEncoding('utf8');
        let body = '';
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens a stream and resolves once its text contains `until`; the response is left open. */
function stream(
  port: number,
  headers: Record<string, string>,
  until: string,
): Promise<{ text: string; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/events', headers }, (res) => {
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (c: string) => {
        text += c;
        if (text.includes(until)) resolve({ text, res });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };

void describe('status listener (HTTP on loopback)', () => {
  const history = new EventHistory(3);
  let server: StatusHttpServer;
  let port = 0;
  const measured: string[] = [];

  before(async () => {
    for (let i = 1; i <= 5; i++) history.push({ type: 'bfd', session: `b${i}`, up: true }, `t${i}`);
    server = await StatusHttpServer.open(
      {
        location: { file: 'x', line: 1 },
        listen: [{ location: { file: 'x', line: 2 }, address: '127.0.0.1', family: 4, port: 0 }],
        token: TOKEN,
      },
      {
        status: () => '{"schemaVersion":1}',
        metrics: () =>
          Promise.resolve({ contentType: 'text/plain; version=0.0.4', body: 'keepalived_up 1\n' }),
        history,
        measured: (path, code) => measured.push(`${path} ${code}`),
      },
      log,
    );
    port = server.addresses()[0]?.port ?? 0;
    assert.ok(port > 0);
  });
  after(() => server.close());

  void test('the token: 401 with a Bearer challenge, without it or with another', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer nope' },
      { authorization: `Basic ${TOKEN}` },
    ] as Array<Record<string, string>>) {
      const r = await ask(port, '/status', { headers });
      assert.equal(r.status, 401);
      assert.equal(r.headers['www-authenticate'], 'Bearer');
      assert.ok(!r.body.includes(TOKEN));
    }
    const ok = await ask(port, '/status', { headers: auth });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, '{"schemaVersion":1}');
    assert.ok(measured.includes('/status 401') && measured.includes('/status 200'));
  });

  void test('methods and paths', async () => {
    assert.equal((await ask(port, '/status', { method: 'POST', headers: auth })).status, 405);
    const head = await ask(port, '/status', { method: 'HEAD', headers: auth });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await ask(port, '/nope', { headers: auth })).status, 404);
    const m = await ask(port, '/metrics', { headers: auth });
    assert.equal(m.body, 'keepalived_up 1\n');
    assert.match(m.headers['content-type'] ?? '', /text\/plain/);
  });

  void test('the page: the token like every path, HTML with a policy that allows its own script and style', async () => {
    assert.equal((await ask(port, '/')).status, 401);
    const r = await ask(port, '/', { headers: auth });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.body, STATUS_PAGE);
    const hash = (t: string): string => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;
    const csp = String(r.headers['content-security-policy'] ?? '');
    assert.match(csp, /^default-src 'none'; /);
    assert.ok(csp.includes(`script-src ${hash(STATUS_PAGE_SCRIPT)};`), csp);
    assert.ok(csp.includes(`style-src ${hash(STATUS_PAGE_STYLE)};`), csp);
    assert.ok(csp.includes("connect-src 'self'"), csp);
    assert.ok(measured.includes('/ 401') && measured.includes('/ 200'));
  });

  void test('events: Last-Event-ID resumes (with a gap notice), live events follow, ?follow=0 ends', async () => {
    const once = await ask(port, '/events?follow=0', { headers: { ...auth, 'last-event-id': '3' } });
    assert.match(once.headers['content-type'] ?? '', /text\/event-stream/);
    assert.deepEqual(
      [...once.body.matchAll(/^id: (\d+)$/gm)].map((m) => m[1]),
      ['4', '5'],
    );
    const lost = await ask(port, '/events?follow=0', { headers: { ...auth, 'last-event-id': '1' } });
    assert.match(lost.body, /^event: gap\ndata: \{"after":1,"resumedAt":3\}$/m);
    assert.deepEqual(
      [...lost.body.matchAll(/^id: (\d+)$/gm)].map((m) => m[1]),
      ['3', '4', '5'],
    );
    // without Last-Event-ID the stream starts live
    const live = await stream(port, auth, 'live from 5');
    const next = new Promise<string>((resolve) => {
      let text = '';
      live.res.on('data', (c: string) => {
        text += c;
        if (text.includes('\n\n')) resolve(text);
      });
    });
    server.publish(history.push({ type: 'bfd', session: 'b6', up: false }, 't6'));
    const frame = await next;
    assert.match(frame, /^id: 6\nevent: bfd\ndata: \{.*"session":"b6".*\}\n\n$/);
    live.res.destroy();
  });

  void test('at most 32 streams at a time: the next one is told to come back', async () => {
    const open = await Promise.all(Array.from({ length: 32 }, () => stream(port, auth, 'retry: 2000')));
    const refused = await ask(port, '/events', { headers: auth });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '5');
    for (const s of open) s.res.destroy();
  });
});

void describe('status listener over HTTPS', () => {
  const skip = missingTools('openssl');
  void test('tls_certificate and tls_key: HTTPS with the same routes', { skip }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-status-tls-'));
    try {
      const [cert, key] = [join(dir, 'c.pem'), join(dir, 'k.pem')];
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-subj',
          '/CN=127.0.0.1',
          '-days',
          '1',
          '-keyout',
          key,
          '-out',
          cert,
        ],
        { stdio: 'ignore' },
      );
      const server = await StatusHttpServer.open(
        {
          location: { file: 'x', line: 1 },
          listen: [{ location: { file: 'x', line: 2 }, address: '127.0.0.1', family: 4, port: 0 }],
          tlsCertificate: cert,
          tlsKey: key,
        },
        {
          status: () => '{}',
          metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }),
          history: new EventHistory(1),
          measured: () => undefined,
        },
        log,
      );
      try {
        const port = server.addresses()[0]?.port ?? 0;
        const r = await ask(port, '/status', { tls: true });
        assert.equal(r.status, 200);
        assert.equal(r.body, '{}');
        await assert.rejects(ask(port, '/status'), 'plain HTTP is not served');
      } finally {
        await server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

void describe('status listener: bytes per second bounded', () => {
  const body = Buffer.alloc(48 * 1024 * 1024, 0x20);
  let server: StatusHttpServer;
  let port = 0;
  before(async () => {
    server = await StatusHttpServer.open(
      {
        location: { file: 'x', line: 1 },
        listen: [{ location: { file: 'x', line: 2 }, address: '127.0.0.1', family: 4, port: 0 }],
      },
      {
        status: () => body,
        metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }),
        history: new EventHistory(1),
        measured: () => undefined,
      },
      log,
    );
    port = server.addresses()[0]?.port ?? 0;
  });
  after(() => server.close());

  void test('three 48 MiB answers at once leave no faster than the bucket allows', async () => {
    const size = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/status' }, (res) => {
          let n = 0;
          res.on('data', (c: Buffer) => (n += c.length));
          res.on('end', () => resolve(n));
        });
        req.on('error', reject);
        req.end();
      });
    const started = performance.now();
    const sizes = await Promise.all([size(), size(), size()]);
    const elapsed = (performance.now() - started) / 1000;
    assert.deepEqual(sizes, [body.length, body.length, body.length]);
    // the bucket's burst pays for the first, the third starts once the first two's overdraft is earned back
    const least = (3 * body.length - BURST_BYTES - body.length) / MAX_BYTES_PER_SECOND;
    assert.ok(
      elapsed >= least * 0.95,
      `${elapsed.toFixed(3)} s for 144 MiB; the bucket allows no less than ${least.toFixed(3)} s`,
    );
  });
});
