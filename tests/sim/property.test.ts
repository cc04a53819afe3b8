import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runScenario } from './run-scenario.js';

// Thousands of random clusters and event scripts; every step is checked against the invariants.
// A failure prints its seed; `node dist/tests/sim/replay.js SEED` replays it with a timeline.
test('random scenarios keep every invariant', () => {
  const runs = Number(process.env.SIM_RUNS ?? 1000);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
      const violations = runScenario(seed).violations;
      if (violations.length > 0) {
        assert.fail(
          `seed ${seed}: ${violations.slice(0, 3).join('; ')}\n  replay: node dist/tests/sim/replay.js ${seed}`,
        );
      }
    }),
    { numRuns: runs, seed: Number(process.env.SIM_SEED ?? 42) },
  );
});
