// The bounded fuzz run of the unit tier: for each target, the seeds and the kept corpus replayed, a
// fast-check property over arbitrary bytes, then the coverage-guided fuzzer for a few seconds
// (KTS_FUZZ_SECONDS per target, default 5). The longer run is `npm run fuzz -- --minutes N`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzz, startCoverage, type FuzzTarget } from '../../fuzz/engine.js';

startCoverage();
const { readCorpus, targetNamed } = await import('../../fuzz/targets.js');

const SECONDS = Number(process.env.KTS_FUZZ_SECONDS ?? '5');

function describeFinding(target: FuzzTarget, kind: string, input: Uint8Array, message: string): string {
  return `${target.name}: ${kind} on input ${Buffer.from(input).toString('hex').slice(0, 400)}\n${message}`;
}

/** The three checks above, for the named targets. */
export function fuzzTargets(names: readonly string[]): void {
  for (const name of names) {
    const target = targetNamed(name);
    test(`${name}: seeds and the kept corpus decode without an exception`, () => {
      const inputs = [...target.seeds(), ...readCorpus(name)];
      assert.ok(inputs.length > 0);
      for (const input of inputs)
        assert.doesNotThrow(() => target.run(input), Buffer.from(input).toString('hex'));
    });
    test(`${name}: arbitrary bytes never make it throw (fast-check)`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: Math.min(target.maxLength, 512) }), (bytes) => {
          target.run(bytes);
        }),
        { numRuns: 2000 },
      );
    });
    test(`${name}: ${SECONDS} s of coverage-guided fuzzing find nothing`, () => {
      const stats = fuzz(target, [...target.seeds(), ...readCorpus(name)], {
        durationMs: SECONDS * 1000,
        seed: Date.now() % 0xffffffff,
      });
      const first = stats.findings[0];
      assert.equal(
        stats.findings.length,
        0,
        first && describeFinding(target, first.kind, first.input, first.message),
      );
      assert.ok(stats.executions > 0 && stats.features > 0, 'the fuzzer ran and saw coverage');
    });
  }
}
