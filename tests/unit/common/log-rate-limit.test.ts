// The per-kind log rate limit: the first messages of a kind pass, the rest of its window are counted, and
// the count comes back once (with the next message of the kind, or from due() when the window ends).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LogRateLimiter, suppressedLine } from '../../../src/common/log-rate-limit.js';

const limit = { burst: 3, windowMs: 1000 };

describe('LogRateLimiter', () => {
  test('the first `burst` of a kind pass, the rest of the window are suppressed, other kinds apart', () => {
    const l = new LogRateLimiter(limit);
    const a = [0, 10, 20, 30, 40].map((t) => l.admit('(VI_1) dropped advert: auth_failure', t).log);
    assert.deepEqual(a, [true, true, true, false, false]);
    assert.deepEqual(l.admit('(VI_2) dropped advert: auth_failure', 50), { log: true, suppressed: 0 });
    assert.deepEqual(l.admit('(VI_1) dropped advert: ip_ttl_err', 60), { log: true, suppressed: 0 });
  });

  test('the next message after the window carries the count left out; due() does not report it again', () => {
    const l = new LogRateLimiter(limit);
    for (let t = 0; t < 10; t++) l.admit('k', t);
    assert.deepEqual(l.admit('k', 999), { log: false });
    assert.deepEqual(l.admit('k', 1000), { log: true, suppressed: 8 });
    assert.deepEqual(l.due(5000), []);
  });

  test('due() reports a window once it has ended, once, and forgets ended windows', () => {
    const l = new LogRateLimiter(limit);
    for (let t = 0; t < 7; t++) l.admit('k', t * 100);
    l.admit('quiet', 0);
    assert.equal(l.nextDue(), 1000);
    assert.deepEqual(l.due(999), []);
    assert.deepEqual(l.due(1000), [{ kind: 'k', suppressed: 4 }]);
    assert.deepEqual(l.due(2000), []);
    assert.equal(l.nextDue(), undefined);
    // a fresh window after it was collected: nothing owed
    assert.deepEqual(l.admit('k', 2100), { log: true, suppressed: 0 });
  });

  test('every message is either logged or counted exactly once, whatever the timing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 400 })), {
          maxLength: 300,
        }),
        fc.integer({ min: 1, max: 5 }),
        (steps, burst) => {
          const l = new LogRateLimiter({ burst, windowMs: 1000 });
          let now = 0;
          let logged = 0;
          let reported = 0;
          const perWindow = new Map<string, { start: number; n: number }>();
          for (const [kind, gap] of steps) {
            now += gap;
            if (gap % 3 === 0) for (const d of l.due(now)) reported += d.suppressed;
            const r = l.admit(kind, now);
            if (r.log) {
              logged++;
              reported += r.suppressed;
            }
            // never more than `burst` logged per kind within one window
            const w = perWindow.get(kind);
            if (w === undefined || now - w.start >= 1000)
              perWindow.set(kind, { start: now, n: r.log ? 1 : 0 });
            else if (r.log) assert.ok(++w.n <= burst);
          }
          for (const d of l.due(Infinity)) reported += d.suppressed;
          assert.equal(logged + reported, steps.length);
        },
      ),
    );
  });

  test('the summary line names the kind and the count', () => {
    assert.equal(
      suppressedLine('(VI_1) dropped advert: auth_failure', 42),
      '(VI_1) dropped advert: auth_failure: suppressed 42 similar messages',
    );
    assert.equal(suppressedLine('k', 1), 'k: suppressed 1 similar message');
  });
});
