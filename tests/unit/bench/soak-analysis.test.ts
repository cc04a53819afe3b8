// The soak's verdicts (bench/soak-analysis.ts): a leak fails, noise around a flat line does not, one
// outlier cannot tilt the trend, descriptor jitter passes and a rising floor fails.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fdGrowth,
  memoryGrowth,
  memorySvg,
  rollingMin,
  theilSen,
  type Point,
} from '../../../bench/soak-analysis.js';

/** 10 minutes of samples every 10 s: f(t seconds). */
const series = (f: (t: number, i: number) => number): Point[] =>
  Array.from({ length: 60 }, (_, i) => ({ t: (i + 1) * 10, v: f((i + 1) * 10, i) }));

const LIMIT = { maxMbPerHour: 4, minRiseMb: 0.5 };

describe('soak analysis', () => {
  test('Theil-Sen finds the slope of a line and ignores one outlier', () => {
    const line = series((t) => 50 + t / 100);
    assert.ok(Math.abs(theilSen(line) - 0.01) < 1e-12);
    const spiked = line.map((p, i) => (i === 40 ? { t: p.t, v: 500 } : p));
    assert.ok(Math.abs(theilSen(spiked) - 0.01) < 1e-12);
  });

  test('a heap growing 12 MB/h fails; a flat noisy one and a falling one pass', () => {
    const leak = memoryGrowth(
      series((t) => 48 + (12 / 3600) * t),
      LIMIT,
    );
    assert.equal(leak.failed, true);
    assert.ok(Math.abs(leak.mbPerHour - 12) < 0.01, String(leak.mbPerHour));
    // saw-tooth noise of +-3 MB (a render in flight every sixth sample) around a flat floor
    const noisy = memoryGrowth(
      series((_, i) => 48 + (i % 6 === 0 ? 3 : 0) + (i % 2) * 0.1),
      LIMIT,
    );
    assert.equal(noisy.failed, false);
    assert.equal(
      memoryGrowth(
        series((t) => 60 - t / 100),
        LIMIT,
      ).failed,
      false,
    );
  });

  test('a slope above the rate but below the absolute rise does not fail a short run', () => {
    // 5 MB/h over a 5-minute half is 0.42 MB: under the 0.5 MB floor
    const g = memoryGrowth(
      series((t) => 20 + (5 / 3600) * t),
      LIMIT,
    );
    assert.ok(g.mbPerHour > LIMIT.maxMbPerHour);
    assert.equal(g.failed, false);
  });

  test('rolling minimum keeps the floor of the window', () => {
    const floor = rollingMin(
      [
        { t: 0, v: 5 },
        { t: 30, v: 9 },
        { t: 60, v: 7 },
        { t: 90, v: 8 },
      ],
      60,
    );
    assert.deepEqual(
      floor.map((p) => p.v),
      [5, 5, 5, 7],
    );
  });

  test('descriptors: jitter above a steady floor passes, a rising floor fails', () => {
    const jitter = fdGrowth(series((_, i) => 26 + (i % 3 === 0 ? 4000 : 0)));
    assert.equal(jitter.failed, false);
    const leak = fdGrowth(series((_, i) => 26 + Math.floor(i / 5)));
    assert.equal(leak.failed, true);
  });

  test('the picture is an SVG with one path per series', () => {
    const svg = memorySvg('t<1>', [
      { label: 'a', color: '#000', points: series((t) => t) },
      { label: 'b', color: '#111', dashed: true, points: series(() => 3) },
    ]);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal(svg.match(/<path /g)?.length, 2);
    assert.match(svg, /t&lt;1&gt;/);
  });
});
