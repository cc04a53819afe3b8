// The supervisor's restart policy against keepalived 2.2.7's (lib/scheduler.c calc_restart_delay,
// report_child_status).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { permanentExit, restartDelay } from '../../../../src/daemon/process/respawn-policy.js';

describe('child respawn policy', () => {
  test('a child that ran a minute or more restarts at once, and its delays start over', () => {
    const state = { nextDelayS: 8 };
    assert.deepEqual(restartDelay(state, 60_000), { seconds: 0, limited: false });
    assert.equal(state.nextDelayS, 0);
  });

  test('early deaths: at once, then 1, 2, 4 ... 32, then 60 s', () => {
    const state = { nextDelayS: 0 };
    const delays = Array.from({ length: 9 }, () => restartDelay(state, 500).seconds);
    assert.deepEqual(delays, [0, 1, 2, 4, 8, 16, 32, 60, 60]);
  });

  test('FATAL (1), CONFIG (2) and missing permission (4) are permanent; a crash or a signal is not', () => {
    assert.deepEqual(
      [1, 2, 4, 0, 70, null].map((c) => permanentExit(c)),
      ['FATAL', 'CONFIG', 'missing permission', undefined, undefined, undefined],
    );
  });
});
