// late-timers.ts: keepalived's "A thread timer expired" line and max_auto_priority's steps
// (lib/scheduler.c, lib/process.c increment_process_priority).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextRealtimePriority, secondsText } from '../../../../src/daemon/vrrp/late-timers.js';

test('delays print as keepalived prints them: seconds and six digits of microseconds', () => {
  assert.equal(secondsText(2_731_292), '2.731292');
  assert.equal(secondsText(1_000_001.4), '1.000001');
  assert.equal(secondsText(40), '0.000040');
});

test('max_auto_priority: from normal scheduling to SCHED_RR 1, then one step at a time up to the maximum', () => {
  assert.equal(nextRealtimePriority(0, 99), 1);
  assert.equal(nextRealtimePriority(1, 99), 2);
  assert.equal(nextRealtimePriority(10, 11), 11);
  assert.equal(nextRealtimePriority(11, 11), undefined);
  // vrrp_rt_priority above the maximum: left where it is
  assert.equal(nextRealtimePriority(50, 20), undefined);
  // not set (0) or disabled (-1): never
  assert.equal(nextRealtimePriority(0, 0), undefined);
  assert.equal(nextRealtimePriority(0, -1), undefined);
});
