// Adverts and timers run on the monotonic clock, so that a step of the wall clock (NTP, an operator's
// `date -s`, an hour either way) moves no VRRP, BFD or checker timer. The host's clock cannot be stepped
// in a test (it is shared), so this holds the rule in the sources: every wall-clock read in the layers
// that schedule is listed here with why it does not schedule anything; a new one fails until it is.
// The one wall-clock value that does reach the engine, the kernel's receive stamp of an advert, is
// bounded (arrivalTime). The kernel test tests/netns/daemon-faults-process.test.ts steps the daemons'
// realtime clock an hour forward with libfaketime.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { arrivalTime } from '../../../../src/daemon/vrrp/transport.js';

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const SCHEDULING = [
  'src/vrrp',
  'src/bfd',
  'src/check',
  'src/net',
  'src/daemon/vrrp',
  'src/daemon/bfd',
  'src/daemon/checker',
];

/** file -> wall-clock reads allowed there, and why none of them schedules anything. */
const ALLOWED: Record<string, { count: number; why: string }> = {
  'src/daemon/vrrp/advert-io.ts': {
    count: 2,
    why: 'auth_hmac sequence numbers and replay window (wall-clock by design)',
  },
  'src/daemon/vrrp/failover-reporter.ts': { count: 2, why: 'ISO time stamp of a takeover report' },
  'src/daemon/vrrp/status-service.ts': { count: 2, why: 'ISO time stamps of /status and /events' },
  'src/daemon/vrrp/vrrp-daemon.ts': { count: 1, why: 'start time shown by /status' },
  'src/daemon/vrrp/vrrp-snmp.ts': { count: 2, why: 'SNMP sysUpTime-style values and DateAndTime objects' },
  'src/daemon/checker/check-runner.ts': { count: 1, why: 'when a probe finished, shown by /status' },
  'src/daemon/checker/status-reporter.ts': { count: 2, why: 'ISO time stamps of the health report' },
  'src/net/syslog.ts': { count: 1, why: 'the syslog line header' },
};

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('timers use the monotonic clock', () => {
  test('every wall-clock read in the scheduling layers is a listed, non-scheduling one', () => {
    const found: Record<string, number> = {};
    for (const dir of SCHEDULING)
      for (const file of files(dir)) {
        const text = readFileSync(join(ROOT, file), 'utf8');
        const n = (text.match(/Date\.now\(\)|new Date\(|performance\.timeOrigin/g) ?? []).length;
        if (n > 0) found[relative(ROOT, join(ROOT, file))] = n;
      }
    const allowed = Object.fromEntries(Object.entries(ALLOWED).map(([f, a]) => [f, a.count]));
    assert.deepEqual(found, allowed);
  });

  test('the native timer and sender threads wait on CLOCK_MONOTONIC only', () => {
    for (const file of ['native/src/timed_sender.c', 'native/src/readiness.c', 'native/src/tcp_probe.c']) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      assert.match(text, /CLOCK_MONOTONIC/, file);
      assert.doesNotMatch(text, /CLOCK_REALTIME|gettimeofday|\btime\(/, file);
    }
  });

  test("an advert's queued time is trusted only when plausible (a realtime step in between is ignored)", () => {
    assert.equal(arrivalTime(10_000, 2e6), 9998);
    assert.equal(arrivalTime(10_000, 0), 10_000);
    assert.equal(arrivalTime(10_000, -3.6e12), 10_000); // clock stepped back an hour after the stamp
    assert.equal(arrivalTime(10_000, 3.6e12), 10_000); // ... or forward
  });
});
