import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../src/sim/cluster.js';
import { backupMasterDownMs, backupSkewMs, InvariantChecker } from '../../src/sim/invariants.js';
import { router, VIP4 } from './helpers.js';

const TRANSIT = 0.3; // default delay 0.2 ms + jitter up to 0.1 ms

function pair(v: { advertIntervalCs?: number; version?: 2 | 3; preempt?: boolean } = {}): Cluster {
  const common = { name: 'VI_1', vrid: 51, addresses: VIP4, ...v };
  return new Cluster(
    [
      router('a', { ...common, priority: 150, initialState: v.preempt === false ? 'BACKUP' : 'MASTER' }),
      router('b', { ...common, priority: 100, initialState: 'BACKUP' }),
    ],
    { seed: 1 },
  );
}

function firstTransition(c: Cluster, node: string, to: string, after: number): number | undefined {
  return c.transitions.find((x) => x.node === node && x.to === to && x.t >= after)?.t;
}

describe('simulated cluster', () => {
  test('the higher priority becomes MASTER, the other BACKUP, and only the MASTER holds the VIP', () => {
    const c = pair();
    c.startAll();
    const violations: string[] = [];
    const inv = new InvariantChecker(c);
    c.run(20_000, () => violations.push(...inv.check()));
    assert.deepEqual(violations, []);
    assert.equal(c.stateOf('a', 'VI_1'), 'MASTER');
    assert.equal(c.stateOf('b', 'VI_1'), 'BACKUP');
    assert.deepEqual([...(c.router('a').held.get('VI_1') ?? [])], ['192.0.2.1']);
    assert.equal(c.router('b').held.get('VI_1')?.size ?? 0, 0);
  });

  test('a crashed MASTER is replaced within the master-down interval plus one transit', () => {
    for (const cs of [100, 10]) {
      const c = pair({ advertIntervalCs: cs, version: 3 });
      c.startAll();
      c.schedule(10_000, { type: 'crash', node: 'a' });
      c.run(20_000);
      const took = (firstTransition(c, 'b', 'MASTER', 10_000) as number) - 10_000;
      const bound = backupMasterDownMs(c.router('b').config.spec.instances[0]!) + TRANSIT;
      assert.ok(took > 0 && took <= bound, `advert ${cs} cs: took ${took} ms, bound ${bound} ms`);
      // ... and no sooner than the master-down interval minus one advert interval.
      assert.ok(took >= bound - cs * 10 - TRANSIT, `advert ${cs} cs: took ${took} ms, too early`);
    }
  });

  test('a graceful stop (priority 0) hands over within the skew time', () => {
    const c = pair({ advertIntervalCs: 100, version: 3 });
    c.startAll();
    c.schedule(10_000, { type: 'stop', node: 'a' });
    c.run(20_000);
    const took = (firstTransition(c, 'b', 'MASTER', 10_000) as number) - 10_000;
    const skew = backupSkewMs(c.router('b').config.spec.instances[0]!);
    assert.ok(took <= skew + TRANSIT, `took ${took} ms, skew ${skew} ms`);
    assert.equal(c.stateOf('a', 'VI_1'), 'STOP');
  });

  test('preempt: the higher priority takes MASTER back when it returns; nopreempt: it does not', () => {
    for (const preempt of [true, false]) {
      const c = pair({ preempt });
      c.startAll();
      c.schedule(10_000, { type: 'crash', node: 'a' });
      c.schedule(20_000, { type: 'start', node: 'a' });
      c.run(40_000);
      assert.equal(c.stateOf('a', 'VI_1'), preempt ? 'MASTER' : 'BACKUP', `preempt=${preempt}`);
      assert.equal(c.stateOf('b', 'VI_1'), preempt ? 'BACKUP' : 'MASTER', `preempt=${preempt}`);
    }
  });

  test('a partition makes one MASTER per side, healing leaves one', () => {
    const c = pair();
    c.startAll();
    c.schedule(10_000, { type: 'partition', groups: [['a'], ['b']] });
    c.schedule(20_000, { type: 'heal' });
    const violations: string[] = [];
    const inv = new InvariantChecker(c);
    c.run(40_000, () => violations.push(...inv.check()));
    assert.deepEqual(violations, []);
    assert.ok(c.transitions.some((x) => x.node === 'b' && x.to === 'MASTER' && x.t > 10_000 && x.t < 20_000));
    assert.deepEqual(c.mastersOf('VI_1'), ['a']);
  });

  test('the same seed replays the same run; another seed may differ only in timing', () => {
    const run = (seed: number): string => {
      const c = new Cluster(
        [
          router('a', { name: 'VI_1', vrid: 1, priority: 100, addresses: VIP4 }),
          router('b', { name: 'VI_1', vrid: 1, priority: 100, addresses: VIP4 }),
        ],
        { seed, network: { jitterMs: 5, loss: 0.1 } },
      );
      c.startAll();
      c.run(60_000);
      return JSON.stringify(c.transitions);
    };
    assert.equal(run(7), run(7));
  });
});
