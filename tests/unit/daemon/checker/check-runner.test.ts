// CheckRunner as a driver: probe failures of every shape (a failed result, a rejected promise, a throw)
// reach the scheduler as failures, and stop() waits for the probes in flight, which it aborts. Probes
// are plugged in through the runner's `probes` option (as the simulator does); timings are a few ms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckRunner } from '../../../../src/daemon/checker/check-runner.js';
import type { CheckAction } from '../../../../src/check/schedule/scheduler.js';
import type { CheckerSpec, ProbeResult, RealServerSpec } from '../../../../src/check/schedule/spec.js';
import type { Probe } from '../../../../src/check/probes/index.js';

type Emitted = Exclude<CheckAction, { type: 'start-probe' }>;

function setup(count: number): { servers: RealServerSpec[]; checkers: CheckerSpec[] } {
  const servers: RealServerSpec[] = [];
  const checkers: CheckerSpec[] = [];
  for (let i = 0; i < count; i++) {
    servers.push({ id: `rs${i}`, weight: 1, omega: false });
    checkers.push({
      id: `c${i}`,
      server: `rs${i}`,
      connect: { address: '192.0.2.1', port: 80, timeoutMs: 1000 },
      timing: { delayLoopMs: 20, retry: 0, delayBeforeRetryMs: 20, warmupMs: 0, alpha: false },
      options: { kind: 'TCP_CHECK' },
      enabled: true,
    });
  }
  return { servers, checkers };
}

/** A clock that skips the scheduler's 1 s bootstrap delay: every reading after the first is 1 s ahead. */
function skippingClock(): () => number {
  let first = true;
  return () => {
    const now = performance.now() + (first ? 0 : 1000);
    first = false;
    return now;
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = performance.now() + 2000;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a failed result, a rejected promise and a throwing probe all mark their server DOWN', async () => {
  const { servers, checkers } = setup(3);
  const behaviours: Probe[] = [
    () => Promise.resolve({ ok: false, detail: 'refused' }),
    () => Promise.reject(new Error('boom')),
    () => {
      throw new Error('sync boom');
    },
  ];
  const actions: Emitted[] = [];
  const runner = new CheckRunner({
    servers,
    checkers,
    now: skippingClock(),
    probes: { TCP_CHECK: (spec, signal) => (behaviours[Number(spec.id.slice(1))] as Probe)(spec, signal) },
    onAction: (a) => actions.push(a),
  });
  runner.start();
  try {
    await until(() => servers.every((s) => runner.serverUp(s.id) === false), 'three DOWN verdicts');
  } finally {
    await runner.stop();
  }
  const logs = actions.flatMap((a) => (a.type === 'log' ? [a.message] : []));
  assert.ok(
    logs.some((m) => m.includes('c0') && m.includes('(refused)')),
    logs.join('\n'),
  );
  assert.ok(
    logs.some((m) => m.includes('c1') && m.includes('probe error: boom')),
    logs.join('\n'),
  );
  assert.ok(
    logs.some((m) => m.includes('c2') && m.includes('probe error: sync boom')),
    logs.join('\n'),
  );
});

test('stop() aborts the probes in flight and resolves only once they all settled', async () => {
  const { servers, checkers } = setup(50);
  let started = 0;
  let settled = 0;
  const slowUntilAborted: Probe = (_spec, signal) =>
    new Promise<ProbeResult>((resolve) => {
      started++;
      signal?.addEventListener('abort', () =>
        setTimeout(() => {
          settled++;
          resolve({ ok: false, detail: 'aborted' });
        }, 10),
      );
    });
  const actions: Emitted[] = [];
  const runner = new CheckRunner({
    servers,
    checkers,
    now: skippingClock(),
    probes: { TCP_CHECK: slowUntilAborted },
    onAction: (a) => actions.push(a),
  });
  runner.start();
  await until(() => started === 50, 'every probe to start');
  const before = actions.length;
  await runner.stop();
  assert.equal(settled, 50, 'stop() returned before every probe settled');
  // results that arrive after stop() are not fed to the scheduler: no DOWN verdicts
  assert.deepEqual(actions.slice(before), []);
  await runner.stop(); // idempotent
});

test('a healthy run keeps probing each checker once per delay_loop', async () => {
  const { servers, checkers } = setup(20);
  const perChecker = new Map<string, number>();
  const runner = new CheckRunner({
    servers,
    checkers,
    now: skippingClock(),
    probes: {
      TCP_CHECK: (spec) => {
        perChecker.set(spec.id, (perChecker.get(spec.id) ?? 0) + 1);
        return Promise.resolve({ ok: true, detail: 'connected' });
      },
    },
    onAction: () => {},
  });
  runner.start();
  try {
    await until(() => checkers.every((c) => (perChecker.get(c.id) ?? 0) >= 3), 'three rounds');
  } finally {
    await runner.stop();
  }
  assert.ok(servers.every((s) => runner.serverUp(s.id) === true));
});
