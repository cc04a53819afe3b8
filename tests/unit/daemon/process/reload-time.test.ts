// reload_time_file's time formats and refusals, as keepalived 2.4.3's parse_datetime (reload_monitor.c).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLocalTime, parseReloadTime } from '../../../../src/daemon/process/reload-time.js';

process.env.TZ = 'UTC';
const now = Date.UTC(2026, 11, 7, 10, 30, 0); // 2026-12-07 10:30:00 UTC

describe('reload_time_file times', () => {
  test('HH:MM:SS is today, or tomorrow once passed; not dated', () => {
    assert.deepEqual(parseReloadTime('11:00:05', now), {
      kind: 'at',
      timeMs: Date.UTC(2026, 11, 7, 11, 0, 5),
      dateSpecified: false,
    });
    assert.deepEqual(parseReloadTime('09:00:00Z', now), {
      kind: 'at',
      timeMs: Date.UTC(2026, 11, 8, 9, 0, 0),
      dateSpecified: false,
    });
    // the very second now is passed too
    assert.equal(
      (parseReloadTime('10:30:00', now) as { timeMs: number }).timeMs,
      Date.UTC(2026, 11, 8, 10, 30),
    );
  });

  test('dated forms, two- and four-digit years', () => {
    assert.deepEqual(parseReloadTime('2026-12-31 23:59:59', now), {
      kind: 'at',
      timeMs: Date.UTC(2026, 11, 31, 23, 59, 59),
      dateSpecified: true,
    });
    assert.deepEqual(parseReloadTime('27-01-02 03:04:05Z', now), {
      kind: 'at',
      timeMs: Date.UTC(2027, 0, 2, 3, 4, 5),
      dateSpecified: true,
    });
  });

  test('a dated time gone by is refused; impossible times and bad formats are invalid', () => {
    assert.deepEqual(parseReloadTime('2026-12-07 10:29:59', now), { kind: 'past' });
    assert.match(
      (parseReloadTime('2027-02-30 10:00:00', now) as { message: string }).message,
      /is not valid/,
    );
    assert.match((parseReloadTime('25:00:00', now) as { message: string }).message, /invalid/);
    assert.match((parseReloadTime('10:00', now) as { message: string }).message, /format is incorrect/);
    assert.match((parseReloadTime('aa:bb:cc', now) as { message: string }).message, /invalid/);
  });

  test("times shown as keepalived's %Y-%m-%d %H:%M:%S", () => {
    assert.equal(formatLocalTime(Date.UTC(2027, 0, 2, 3, 4, 5)), '2027-01-02 03:04:05');
  });
});
