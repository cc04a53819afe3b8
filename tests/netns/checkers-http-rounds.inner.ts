// HTTP_GET through the checker's own driver (CheckRunner) against an HTTP server: keepalived fetches one
// url per probe, a delay_loop apart, and a checker starting DOWN (alpha) comes UP once every url passed;
// fast_recovery fetches the urls of that first round back to back.
// Run inside a network namespace by checkers-http-keywords.test.ts; everything binds 127.0.0.1 there.
import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import { CheckRunner } from '../../src/daemon/checker/check-runner.js';
import type { HttpCheckOptions } from '../../src/check/schedule/spec.js';
import { freePort, LOAD_MARGIN_MS, spec } from './check-helpers.js';
import { outsideSuiteNamespace } from '../helpers/namespace-guard.js';
import { gated } from '../helpers/requirements.js';

const { after, before, describe, test } = gated(outsideSuiteNamespace());

const DELAY_LOOP_MS = 2000;

describe('HTTP_GET rounds against an HTTP server', () => {
  const port = freePort();
  let server: HttpServer | undefined;
  const requests: Array<{ path: string; at: number }> = [];

  before(async () => {
    server = createServer((req, res) => {
      requests.push({ path: req.url ?? '', at: performance.now() });
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '2' });
      res.end('ok');
    });
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  /** Runs an alpha HTTP_GET of three urls until the server comes UP; what the server saw, and when. */
  async function firstRound(
    fastRecovery: boolean,
  ): Promise<{ paths: string[]; gaps: number[]; upAfter: number }> {
    requests.length = 0;
    const options: HttpCheckOptions = {
      kind: 'HTTP_GET',
      urls: ['/a', '/b', '/c'].map((path) => ({ path, statusCodes: [[200, 299]] })),
      protocol: '1.0',
      enableSni: false,
      ...(fastRecovery ? { fastRecovery: true } : {}),
    };
    const checker = {
      ...spec(options, port, { timeoutMs: 2000, timing: { delayLoopMs: DELAY_LOOP_MS, alpha: true } }),
      server: 'rs',
    };
    let upAt: number | undefined;
    const runner = new CheckRunner({
      servers: [{ id: 'rs', weight: 1, omega: false }],
      checkers: [checker],
      onAction: (a) => {
        if (a.type === 'server-state' && a.up && upAt === undefined) upAt = performance.now();
      },
      random: () => 0,
    });
    runner.start();
    const deadline = performance.now() + 1000 + 3 * DELAY_LOOP_MS + 2 * LOAD_MARGIN_MS;
    while (upAt === undefined && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await runner.stop();
    assert.ok(upAt !== undefined, `never came UP; requests ${requests.map((r) => r.path).join(' ')}`);
    const first = requests[0]?.at ?? 0;
    return {
      paths: requests.filter((r) => r.at <= (upAt as number)).map((r) => r.path),
      gaps: requests.slice(1, 3).map((r, i) => r.at - (requests[i]?.at ?? 0)),
      upAfter: (upAt as number) - first,
    };
  }

  test('without fast_recovery: one url per delay_loop, UP after the third', async () => {
    const r = await firstRound(false);
    assert.deepEqual(r.paths, ['/a', '/b', '/c']);
    for (const gap of r.gaps) assert.ok(gap >= DELAY_LOOP_MS - 50, `gap ${gap.toFixed(0)} ms between urls`);
    assert.ok(r.upAfter >= 2 * DELAY_LOOP_MS - 100, `UP ${r.upAfter.toFixed(0)} ms after the first url`);
  });

  test('with fast_recovery: the three urls back to back, UP at once', async () => {
    const r = await firstRound(true);
    assert.deepEqual(r.paths, ['/a', '/b', '/c']);
    for (const gap of r.gaps) assert.ok(gap < DELAY_LOOP_MS / 2, `gap ${gap.toFixed(0)} ms between urls`);
    assert.ok(r.upAfter < DELAY_LOOP_MS, `UP ${r.upAfter.toFixed(0)} ms after the first url`);
  });
});
