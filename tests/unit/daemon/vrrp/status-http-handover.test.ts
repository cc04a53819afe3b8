// POST /instances/NAME/handover and /release on the status listener (loopback): only with a token
// configured (403 otherwise) and carried (401), bodies checked (400), the daemon's answer passed through.
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusHttpServer, type StatusHandlers } from '../../../../src/daemon/vrrp/status-http.js';
import { EventHistory } from '../../../../src/api/events.js';
import type { HandoverRequest } from '../../../../src/api/handover.js';
import { Logger } from '../../../../src/daemon/process/log.js';

const log = new Logger({ console: false, syslog: false, facility: 'daemon', detail: false, ident: 'test' });
const TOKEN = 'secret';
const auth = { authorization: `Bearer ${TOKEN}` };

function post(
  port: number,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function open(token: string | undefined, seen: HandoverRequest[]): Promise<StatusHttpServer> {
  const handlers: StatusHandlers = {
    status: () => '{}',
    metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }),
    history: new EventHistory(3),
    measured: () => undefined,
    handover: (r) => {
      seen.push(r);
      return r.instance === 'VI_1'
        ? { code: 202, body: { instance: r.instance, phase: 'releasing' } }
        : { code: 404, body: { error: `no instance ${r.instance}` } };
    },
  };
  return StatusHttpServer.open(
    {
      location: { file: 'x', line: 1 },
      listen: [{ location: { file: 'x', line: 2 }, address: '127.0.0.1', family: 4, port: 0 }],
      ...(token !== undefined ? { token } : {}),
    },
    handlers,
    log,
  );
}

void describe('status listener: POST handover', () => {
  const seen: HandoverRequest[] = [];
  const seenOpen: HandoverRequest[] = [];
  let withToken: StatusHttpServer;
  let without: StatusHttpServer;
  let port = 0;
  let openPort = 0;
  before(async () => {
    withToken = await open(TOKEN, seen);
    without = await open(undefined, seenOpen);
    port = withToken.addresses()[0]?.port ?? 0;
    openPort = without.addresses()[0]?.port ?? 0;
  });
  after(async () => {
    await withToken.close();
    await without.close();
  });

  void test('a listener without a token refuses every POST (403) and never asks the daemon', async () => {
    const r = await post(openPort, '/instances/VI_1/handover', '{}');
    assert.equal(r.status, 403);
    assert.match(r.body, /token/);
    assert.equal(seenOpen.length, 0);
  });

  void test('the token must come with the request (401)', async () => {
    assert.equal((await post(port, '/instances/VI_1/handover', '{}')).status, 401);
    assert.equal(
      (await post(port, '/instances/VI_1/handover', '{}', { authorization: 'Bearer x' })).status,
      401,
    );
    assert.equal(seen.length, 0);
  });

  void test('requests reach the daemon checked; its answer comes back', async () => {
    const ok = await post(port, '/instances/VI_1/handover', '{"to":"10.0.0.2","holdSeconds":1.5}', auth);
    assert.equal(ok.status, 202);
    assert.deepEqual(JSON.parse(ok.body), { instance: 'VI_1', phase: 'releasing' });
    assert.deepEqual(seen.at(-1), { instance: 'VI_1', action: 'handover', to: '10.0.0.2', holdMs: 1500 });
    const rel = await post(port, '/instances/VI_1/release', '', auth);
    assert.equal(rel.status, 202);
    assert.deepEqual(seen.at(-1), { instance: 'VI_1', action: 'release' });
    assert.equal((await post(port, '/instances/VI_9/handover', '', auth)).status, 404);
    const n = seen.length;
    for (const bad of ['{', '[]', '{"hold":1}', '{"to":"x; rm"}', '{"holdSeconds":-1}'])
      assert.equal((await post(port, '/instances/VI_1/handover', bad, auth)).status, 400, bad);
    assert.equal((await post(port, '/instances/VI_1/handover', 'x'.repeat(5000), auth)).status, 413);
    assert.equal(seen.length, n);
    // other paths and GET are unchanged
    assert.equal((await post(port, '/status', '', auth)).status, 405);
  });
});
