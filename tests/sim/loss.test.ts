import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../src/sim/cluster.js';
import { router, VIP4 } from './helpers.js';

// Under independent loss p, a BACKUP declares the MASTER down when the three adverts after one it heard
// are all lost (the fourth would arrive after 3 x interval + skew): (1 - p) p^3 per advert interval.
function falseTakeovers(
  loss: number,
  backups: number,
  durationMs: number,
  seed: number,
): { count: number; intervals: number } {
  const common = { name: 'VI_1', vrid: 7, version: 3 as const, advertIntervalCs: 10, addresses: VIP4 };
  const routers = [router('m', { ...common, priority: 254, initialState: 'MASTER' })];
  for (let i = 0; i < backups; i++) routers.push(router(`b${i}`, { ...common, priority: 10 + i }));
  const c = new Cluster(routers, { seed, network: { loss } });
  c.startAll();
  c.run(durationMs);
  // Skip the start (everybody begins BACKUP and elects).
  const count = c.transitions.filter((x) => x.node !== 'm' && x.to === 'MASTER' && x.t > 5_000).length;
  return { count, intervals: backups * ((durationMs - 5_000) / 100) };
}

describe('loss', () => {
  test('no flap at 1% loss over ten simulated minutes', () => {
    const { count } = falseTakeovers(0.01, 2, 600_000, 3);
    assert.equal(count, 0);
  });

  test('at 20% loss the false-takeover rate matches (1-p) p^3 per interval', () => {
    const p = 0.2;
    const { count, intervals } = falseTakeovers(p, 4, 600_000, 11);
    const expected = intervals * (1 - p) * p ** 3;
    // Poisson-ish: allow four standard deviations.
    const sd = Math.sqrt(expected);
    assert.ok(
      Math.abs(count - expected) < 4 * sd,
      `observed ${count}, expected ${expected.toFixed(1)} ± ${sd.toFixed(1)}`,
    );
  });
});
