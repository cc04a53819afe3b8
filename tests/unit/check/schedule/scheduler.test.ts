import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CheckScheduler, type CheckAction } from '../../../../src/check/schedule/scheduler.js';
import { DueQueue } from '../../../../src/check/schedule/due-queue.js';
import type {
  CheckOptions,
  CheckerSpec,
  CheckerTiming,
  RealServerSpec,
} from '../../../../src/check/schedule/spec.js';

const RS = '10.0.0.1:80';

function server(over: Partial<RealServerSpec> = {}): RealServerSpec {
  return { id: RS, weight: 5, notifyUp: '/bin/up', notifyDown: '/bin/down', omega: false, ...over };
}

function checker(
  id: string,
  timing: Partial<CheckerTiming> = {},
  options: CheckOptions = { kind: 'TCP_CHECK' },
  serverId = RS,
): CheckerSpec {
  return {
    id,
    server: serverId,
    connect: { address: '10.0.0.1', port: 80, timeoutMs: 1000 },
    timing: {
      delayLoopMs: 10_000,
      retry: 2,
      delayBeforeRetryMs: 1_000,
      warmupMs: 0,
      alpha: false,
      ...timing,
    },
    options,
    enabled: true,
  };
}

const ok = { ok: true, detail: 'ok' };
const fail = { ok: false, detail: 'refused' };

function states(actions: CheckAction[]): Array<[boolean, number]> {
  return actions.flatMap((a) => (a.type === 'server-state' ? [[a.up, a.weight] as [boolean, number]] : []));
}
function notifies(actions: CheckAction[]): string[] {
  return actions.flatMap((a) => (a.type === 'notify' ? [`${a.event}:${a.script}`] : []));
}
function probes(actions: CheckAction[]): string[] {
  return actions.flatMap((a) => (a.type === 'start-probe' ? [a.checker] : []));
}

/** Drives one checker: runs due probes at exact times, answering with `answer(probeIndex)`. */
function drive(
  sched: CheckScheduler,
  until: number,
  answer: (n: number, at: number) => { ok: boolean; detail: string; exitCode?: number },
  probeDurationMs = 0,
): { starts: number[]; actions: Array<{ at: number; action: CheckAction }> } {
  const starts: number[] = [];
  const actions: Array<{ at: number; action: CheckAction }> = [];
  for (;;) {
    const at = sched.nextDue();
    if (at === undefined || at > until) break;
    for (const a of sched.tick(at)) {
      if (a.type !== 'start-probe') continue;
      starts.push(at);
      const done = at + probeDurationMs;
      for (const r of sched.probeResult(done, a.checker, answer(starts.length - 1, at))) {
        actions.push({ at: done, action: r });
      }
    }
  }
  return { starts, actions };
}

describe('CheckScheduler timing', () => {
  test('first probe after the 1 s bootstrap plus a seeded share of warmup', () => {
    const s = new CheckScheduler([server()], [checker('c', { warmupMs: 10_000 })], () => 0.25);
    s.start(0);
    assert.equal(s.nextDue(), 1_000 + 2_500);
    assert.deepEqual(s.tick(3_499), []);
    assert.deepEqual(probes(s.tick(3_500)), ['c']);
  });

  test('no warmup: first probe exactly at the bootstrap delay', () => {
    const s = new CheckScheduler([server()], [checker('c')], () => 0.9);
    s.start(500);
    assert.equal(s.nextDue(), 1_500);
  });

  test('healthy server probes every delay_loop after the previous probe ended', () => {
    const s = new CheckScheduler([server()], [checker('c')], () => 0);
    s.start(0);
    const { starts } = drive(s, 40_000, () => ok, 200);
    assert.deepEqual(starts, [1_000, 11_200, 21_400, 31_600]);
  });

  test('MISC_CHECK period runs from the script start', () => {
    const misc: CheckOptions = { kind: 'MISC_CHECK', command: 'true', timeoutMs: 5000, dynamic: false };
    const s = new CheckScheduler([server()], [checker('m', {}, misc)], () => 0);
    s.start(0);
    const { starts } = drive(s, 35_000, () => ok, 700);
    assert.deepEqual(starts, [1_000, 11_000, 21_000, 31_000]);
  });
});

describe('CheckScheduler verdicts (keepalived counting)', () => {
  test('initially one failure is enough to mark DOWN, and notify_down runs', () => {
    const s = new CheckScheduler([server()], [checker('c')], () => 0);
    assert.deepEqual(states(s.start(0)), [[true, 5]]);
    s.tick(1_000);
    const acts = s.probeResult(1_000, 'c', fail);
    assert.deepEqual(states(acts), [[false, 5]]);
    assert.deepEqual(notifies(acts), ['down:/bin/down']);
    // down: no retries, next probe a full delay_loop later
    assert.equal(s.nextDue(), 11_000);
  });

  test('UP server goes DOWN after retry+1 consecutive failures spaced by delay_before_retry', () => {
    const s = new CheckScheduler([server()], [checker('c', { retry: 2 })], () => 0);
    s.start(0);
    // probe 0 ok (t=1000), then failures from probe 1 (t=11000)
    const { starts, actions } = drive(s, 30_000, (n) => (n === 0 ? ok : fail));
    assert.deepEqual(starts, [1_000, 11_000, 12_000, 13_000, 23_000]);
    const down = actions.filter((a) => a.action.type === 'server-state');
    assert.deepEqual(
      down.map((a) => a.at),
      [13_000],
    );
    assert.deepEqual(
      actions.filter((a) => a.action.type === 'notify').map((a) => a.at),
      [13_000],
    );
  });

  test('log_all_failures: each failed attempt of an UP checker is logged; without it only the verdict', () => {
    const logs = (logAllFailures: boolean): string[] => {
      const s = new CheckScheduler([server()], [checker('c', { retry: 2, logAllFailures })], () => 0);
      s.start(0);
      const { actions } = drive(s, 30_000, (n) => (n === 0 ? ok : fail));
      return actions
        .flatMap((a) => (a.action.type === 'log' ? [a.action.message] : []))
        .filter((m) => m.startsWith('TCP_CHECK'));
    };
    assert.deepEqual(logs(false), [`TCP_CHECK c on ${RS} failed after 2 retries (refused)`]);
    assert.deepEqual(logs(true), [
      `TCP_CHECK c on ${RS} failed (refused), attempt 1 of 3`,
      `TCP_CHECK c on ${RS} failed (refused), attempt 2 of 3`,
      `TCP_CHECK c on ${RS} failed (refused), attempt 3 of 3`,
      `TCP_CHECK c on ${RS} failed after 2 retries (refused)`,
    ]);
  });

  test('retry 0: the first failure of an UP server is final', () => {
    const s = new CheckScheduler([server()], [checker('c', { retry: 0 })], () => 0);
    s.start(0);
    const { starts, actions } = drive(s, 22_000, (n) => (n === 0 ? ok : fail));
    assert.deepEqual(starts, [1_000, 11_000, 21_000]);
    assert.deepEqual(
      actions.filter((a) => a.action.type === 'server-state').map((a) => a.at),
      [11_000],
    );
  });

  test('a success during retries resets the streak (flapping never goes DOWN)', () => {
    const s = new CheckScheduler([server()], [checker('c', { retry: 2 })], () => 0);
    s.start(0);
    // ok, fail, fail, ok, fail, fail, ok ...: never 3 in a row
    const pattern = [true, false, false, true, false, false, true, false, false, true];
    const { actions } = drive(s, 200_000, (n) => ((pattern[n % pattern.length] ?? true) ? ok : fail));
    assert.equal(actions.filter((a) => a.action.type === 'server-state').length, 0);
  });

  test('DOWN server comes back after one success and notify_up runs', () => {
    const s = new CheckScheduler([server()], [checker('c', { retry: 1 })], () => 0);
    s.start(0);
    const seq = [false, false, true];
    const { actions } = drive(s, 25_000, (n) => ((seq[n] ?? true) ? ok : fail));
    const evts = actions
      .filter((a) => a.action.type === 'notify')
      .map((a) => [a.at, notifies([a.action])[0]]);
    assert.deepEqual(evts, [
      [1_000, 'down:/bin/down'],
      [21_000, 'up:/bin/up'],
    ]);
  });

  test('alpha: server starts DOWN, comes UP on the first success', () => {
    const s = new CheckScheduler([server()], [checker('c', { alpha: true })], () => 0);
    assert.deepEqual(states(s.start(0)), [[false, 5]]);
    s.tick(1_000);
    const acts = s.probeResult(1_000, 'c', ok);
    assert.deepEqual(states(acts), [[true, 5]]);
    assert.deepEqual(notifies(acts), ['up:/bin/up']);
  });

  test('alpha: failures while never up produce no transition and no notify', () => {
    const s = new CheckScheduler([server()], [checker('c', { alpha: true })], () => 0);
    s.start(0);
    const { actions } = drive(s, 50_000, () => fail);
    assert.deepEqual(states(actions.map((a) => a.action)), []);
  });

  test('two checkers: server DOWN when either fails, UP only when both succeed', () => {
    const s = new CheckScheduler(
      [server()],
      [checker('a', { retry: 0 }), checker('b', { retry: 0 })],
      () => 0,
    );
    s.start(0);
    const acts: CheckAction[] = [];
    acts.push(...s.tick(1_000));
    acts.push(...s.probeResult(1_000, 'a', ok));
    acts.push(...s.probeResult(1_000, 'b', fail));
    assert.deepEqual(states(acts), [[false, 5]]);
    s.tick(11_000);
    assert.deepEqual(states(s.probeResult(11_000, 'a', fail)), []);
    assert.deepEqual(states(s.probeResult(11_000, 'b', ok)), []);
    s.tick(21_000);
    assert.deepEqual(states(s.probeResult(21_000, 'a', ok)), [[true, 5]]);
  });

  test('misc_dynamic: exit 2..255 sets weight code-2, exit 0 restores, 1 is a failure', () => {
    const misc: CheckOptions = { kind: 'MISC_CHECK', command: 'x', timeoutMs: 1000, dynamic: true };
    const s = new CheckScheduler([server()], [checker('m', { retry: 0 }, misc)], () => 0);
    s.start(0);
    s.tick(1_000);
    assert.deepEqual(states(s.probeResult(1_000, 'm', { ok: true, detail: '', exitCode: 12 })), [[true, 10]]);
    s.tick(11_000);
    assert.deepEqual(states(s.probeResult(11_000, 'm', { ok: true, detail: '', exitCode: 12 })), []);
    s.tick(21_000);
    assert.deepEqual(states(s.probeResult(21_000, 'm', { ok: true, detail: '', exitCode: 2 })), [[true, 0]]);
    s.tick(31_000);
    assert.deepEqual(states(s.probeResult(31_000, 'm', { ok: true, detail: '', exitCode: 0 })), [[true, 5]]);
    s.tick(41_000);
    assert.deepEqual(states(s.probeResult(41_000, 'm', { ok: false, detail: '', exitCode: 1 })), [
      [false, 5],
    ]);
  });

  test('misc_dynamic: a failure takes the dynamic weight back as the server falls (keepalived)', () => {
    const misc: CheckOptions = { kind: 'MISC_CHECK', command: 'x', timeoutMs: 1000, dynamic: true };
    const s = new CheckScheduler([server()], [checker('m', { retry: 0 }, misc)], () => 0);
    s.start(0);
    s.tick(1_000);
    assert.deepEqual(states(s.probeResult(1_000, 'm', { ok: true, detail: '', exitCode: 12 })), [[true, 10]]);
    s.tick(11_000);
    // Down with the configured weight at once: the load balancer restores it without a line.
    assert.deepEqual(states(s.probeResult(11_000, 'm', { ok: false, detail: '', exitCode: 1 })), [
      [false, 5],
    ]);
    s.tick(21_000);
    // Back up on exit 0: the weight is already the configured one.
    assert.deepEqual(states(s.probeResult(21_000, 'm', { ok: true, detail: '', exitCode: 0 })), [[true, 5]]);
    s.tick(31_000);
    assert.deepEqual(states(s.probeResult(31_000, 'm', { ok: false, detail: '', exitCode: 1 })), [
      [false, 5],
    ]);
    s.tick(41_000);
    // A dynamic weight again after the failure.
    assert.deepEqual(states(s.probeResult(41_000, 'm', { ok: true, detail: '', exitCode: 5 })), [[true, 3]]);
  });

  test('FILE_CHECK weight offsets add to the configured weight', () => {
    const file: CheckOptions = { kind: 'FILE_CHECK', path: '/x', weight: 2, reverse: false };
    const s = new CheckScheduler([server()], [checker('f', {}, file)], () => 0);
    s.start(0);
    s.tick(1_000);
    assert.deepEqual(states(s.probeResult(1_000, 'f', { ok: true, detail: '', weightOffset: 6 })), [
      [true, 11],
    ]);
    s.tick(11_000);
    assert.deepEqual(states(s.probeResult(11_000, 'f', { ok: true, detail: '', weightOffset: -100 })), [
      [true, 0],
    ]);
  });

  test('suspended checker does not probe but keeps its slot', () => {
    const s = new CheckScheduler([server()], [checker('c')], () => 0);
    s.start(0);
    s.setEnabled('c', false);
    assert.deepEqual(s.tick(1_000), []);
    assert.equal(s.nextDue(), 11_000);
    s.setEnabled('c', true);
    assert.deepEqual(probes(s.tick(11_000)), ['c']);
  });

  test('results for probes not in flight are ignored', () => {
    const s = new CheckScheduler([server()], [checker('c')], () => 0);
    s.start(0);
    assert.deepEqual(s.probeResult(10, 'c', fail), []);
    assert.deepEqual(s.probeResult(10, 'nope', fail), []);
  });

  test('omega: shutdown runs notify_down for live servers only', () => {
    const a = server({ id: 'a', omega: true });
    const b = server({ id: 'b', omega: true });
    const c = server({ id: 'c', omega: false });
    const s = new CheckScheduler(
      [a, b, c],
      [
        checker('ca', {}, undefined, 'a'),
        checker('cb', {}, undefined, 'b'),
        checker('cc', {}, undefined, 'c'),
      ],
      () => 0,
    );
    s.start(0);
    s.tick(1_000);
    s.probeResult(1_000, 'ca', ok);
    s.probeResult(1_000, 'cb', fail);
    s.probeResult(1_000, 'cc', ok);
    const acts = s.shutdown();
    assert.deepEqual(
      acts.map((x) => (x.type === 'notify' ? x.server : '')),
      ['a'],
    );
    assert.equal(s.nextDue(), undefined);
  });

  test('property: DOWN is reached exactly at the (retry+1)-th consecutive failure of an UP checker', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        (retry, dbr, loop) => {
          const s = new CheckScheduler(
            [server()],
            [checker('c', { retry, delayBeforeRetryMs: dbr, delayLoopMs: loop })],
            () => 0,
          );
          s.start(0);
          const { starts, actions } = drive(s, 1_000 + loop + retry * dbr, (n) => (n === 0 ? ok : fail));
          const downAt = actions.find((a) => a.action.type === 'server-state')?.at;
          // failure streak starts at 1000 + loop; DOWN after retry more probes dbr apart
          return downAt === 1_000 + loop + retry * dbr && starts.length === retry + 2;
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('DueQueue', () => {
  test('pops in time order, FIFO on ties, rescheduling replaces', () => {
    const q = new DueQueue();
    q.schedule('a', 5);
    q.schedule('b', 3);
    q.schedule('c', 3);
    q.schedule('a', 1);
    q.cancel('c');
    assert.equal(q.peekTime(), 1);
    assert.deepEqual(q.popDue(4), ['a', 'b']);
    assert.equal(q.peekTime(), undefined);
  });

  test('property: popDue returns keys sorted by their latest schedule', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 1000 }))),
        (ops) => {
          const q = new DueQueue();
          const latest = new Map<string, number>();
          for (const [k, t] of ops) {
            q.schedule(`k${k}`, t);
            latest.set(`k${k}`, t);
          }
          const got = q.popDue(Infinity);
          const times = got.map((k) => latest.get(k) as number);
          return (
            got.length === latest.size && times.every((t, i) => i === 0 || (times[i - 1] as number) <= t)
          );
        },
      ),
    );
  });
});
