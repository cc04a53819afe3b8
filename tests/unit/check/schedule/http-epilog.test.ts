// HTTP_GET / SSL_GET as keepalived 2.4.3's check_http.c epilog schedules them: one url per probe, a
// delay_loop apart; UP once every url passed in one round; after a failure, the failed url must pass and
// then a whole new round; fast_recovery drops the delay_loop between urls while the checker is not known
// healthy.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckScheduler, type CheckAction } from '../../../../src/check/schedule/scheduler.js';
import type { CheckerSpec, HttpCheckOptions } from '../../../../src/check/schedule/spec.js';

const RS = '10.0.0.1:80';
const DELAY_LOOP = 10_000;
const DELAY_BEFORE_RETRY = 3_000;

function httpChecker(urls: number, over: { fastRecovery?: boolean; alpha?: boolean; retry?: number } = {}) {
  const options: HttpCheckOptions = {
    kind: 'HTTP_GET',
    urls: Array.from({ length: urls }, (_, i) => ({ path: `/u${i}`, statusCodes: [[200, 299]] })),
    protocol: '1.0',
    enableSni: false,
    ...(over.fastRecovery === true ? { fastRecovery: true } : {}),
  };
  const spec: CheckerSpec = {
    id: 'h',
    server: RS,
    connect: { address: '10.0.0.1', port: 80, timeoutMs: 1000 },
    timing: {
      delayLoopMs: DELAY_LOOP,
      retry: over.retry ?? 1,
      delayBeforeRetryMs: DELAY_BEFORE_RETRY,
      warmupMs: 0,
      alpha: over.alpha ?? false,
    },
    options,
    enabled: true,
  };
  return new CheckScheduler([{ id: RS, weight: 1, omega: false }], [spec], () => 0);
}

interface Step {
  at: number;
  url: number | undefined;
  up: boolean | undefined;
}

/** Runs probes as they fall due until `until`, answering `answer(url, at)`; returns each probe and the
 * server state announced after it. */
function run(sched: CheckScheduler, until: number, answer: (url: number, at: number) => boolean): Step[] {
  const steps: Step[] = [];
  sched.start(0);
  for (let now = sched.nextDue(); now !== undefined && now <= until; now = sched.nextDue()) {
    for (const a of sched.tick(now)) {
      if (a.type !== 'start-probe') continue;
      const ok = answer(a.url ?? -1, now);
      const out: CheckAction[] = sched.probeResult(now, a.checker, { ok, detail: ok ? 'ok' : 'bad' });
      const state = out.find((x) => x.type === 'server-state');
      steps.push({ at: now, url: a.url, up: state?.type === 'server-state' ? state.up : undefined });
    }
  }
  return steps;
}

describe('HTTP_GET scheduling (keepalived check_http.c epilog)', () => {
  test('one url per probe, a delay_loop apart, round after round', () => {
    const steps = run(httpChecker(3), 1_000 + 4 * DELAY_LOOP, () => true);
    assert.deepEqual(
      steps.map((s) => [s.at, s.url]),
      [0, 1, 2, 0, 1].map((url, i) => [1_000 + i * DELAY_LOOP, url]),
    );
  });

  test('with alpha the server comes UP after a whole round: a delay_loop per url, or at once with fast_recovery', () => {
    const slow = run(httpChecker(3, { alpha: true }), 100_000, () => true);
    assert.deepEqual(
      slow.filter((s) => s.up !== undefined).map((s) => [s.at, s.up]),
      [[1_000 + 2 * DELAY_LOOP, true]],
    );
    const fast = run(httpChecker(3, { alpha: true, fastRecovery: true }), 100_000, () => true);
    assert.deepEqual(
      fast.slice(0, 4).map((s) => [s.at, s.url]),
      [
        [1_000, 0],
        [1_000, 1],
        [1_000, 2],
        [1_000 + DELAY_LOOP, 0],
      ],
    );
    assert.deepEqual(
      fast.filter((s) => s.up !== undefined).map((s) => [s.at, s.up]),
      [[1_000, true]],
    );
  });

  test('a failing url is retried, takes the server DOWN, and recovery needs it and then a whole round', () => {
    // url 1 fails from 30 s to 60 s; retry 1
    const bad = (url: number, at: number): boolean => !(url === 1 && at >= 30_000 && at < 60_000);
    const steps = run(httpChecker(2), 120_000, bad);
    const at = (t: number): Step | undefined => steps.find((s) => s.at === t);
    // 1 s: u0, 11 s: u1, 21 s: u0, 31 s: u1 fails, retried 3 s later, fails again: DOWN
    assert.deepEqual([at(31_000)?.url, at(31_000)?.up], [1, undefined]);
    assert.deepEqual([at(34_000)?.url, at(34_000)?.up], [1, false]);
    // down: the failed url again every max(delay_before_retry, delay_loop)
    assert.deepEqual([at(44_000)?.url, at(54_000)?.url, at(64_000)?.url], [1, 1, 1]);
    // 64 s: url 1 passes; the round restarts at url 0 (74 s) and url 1 (84 s) brings the server UP
    assert.equal(at(64_000)?.up, undefined);
    assert.deepEqual([at(74_000)?.url, at(74_000)?.up], [0, undefined]);
    assert.deepEqual([at(84_000)?.url, at(84_000)?.up], [1, true]);
  });

  test('fast_recovery: once the failed url passes, the rest of the round follows at once', () => {
    const bad = (url: number, at: number): boolean => !(url === 1 && at >= 30_000 && at < 60_000);
    const steps = run(httpChecker(2, { fastRecovery: true }), 120_000, bad);
    const upAgain = steps.find((s) => s.up === true && s.at > 34_000);
    assert.deepEqual(
      steps.filter((s) => s.at >= 64_000 && s.at <= 64_000).map((s) => [s.url, s.up]),
      [
        [1, undefined],
        [0, undefined],
        [1, true],
      ],
    );
    assert.equal(upAgain?.at, 64_000);
  });
});
