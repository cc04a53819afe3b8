// The fixture oracle kept alive: three representative fixtures run again against Debian's keepalived 2.2.7
// (tests/helpers/fixture-oracle.ts) and must come out as their kept evidence says: the same verdict, and
// for a fixture that differs, the very same differing checks. The whole set is
// `node dist/bench/fixture-oracle.js` (about 5 minutes); tests/fixtures/evidence.test.ts checks that every
// fixture's evidence is current.
//   init-backup-to-master-v2   start, master-down takeover, adverts, GARP bursts, notify scripts, counters
//   reception-validation-v2    injected adverts and malformed packets; differs (advert_interval_err)
//   track-file-process         track files, the track_process stand-in, priorities every 10 ms
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runFixtureOracle } from '../helpers/fixture-oracle.js';
import type { Evidence } from '../helpers/oracle-evidence.js';
import { FIXTURE_DIR } from '../helpers/vrrp-fixture.js';
import { keepalivedSkipReason } from '../helpers/vrrp-lab.js';
import { gated, missingTools } from '../helpers/requirements.js';

const { describe, test } = gated(keepalivedSkipReason() ?? missingTools('tcpdump'));
const FIXTURES = ['init-backup-to-master-v2', 'reception-validation-v2', 'track-file-process'];

function differing(e: Evidence): string[] {
  return e.differences.map((d) => `record ${d.record}: ${d.what}`).sort();
}

describe('fixture oracle: keepalived 2.2.7 still does what the kept evidence says', () => {
  for (const name of FIXTURES)
    test(name, async (t) => {
      const kept = JSON.parse(
        readFileSync(new URL(`${name}.keepalived.json`, FIXTURE_DIR), 'utf8'),
      ) as Evidence;
      // a busy machine may push one run off its times: one more run before failing
      let run: Evidence | undefined;
      for (let attempt = 1; attempt <= 2; attempt++) {
        run = await runFixtureOracle(`${name}.jsonl`);
        if (run.verdict === kept.verdict && differing(run).join('\n') === differing(kept).join('\n')) break;
        t.diagnostic(`attempt ${attempt}: ${run.verdict}; ${differing(run).join('; ') || 'no difference'}`);
      }
      const r = run as Evidence;
      assert.ok(r.summary.agree > 0, 'the run compared nothing');
      assert.equal(
        r.verdict,
        kept.verdict,
        `verdict; differences now: ${JSON.stringify(r.differences, null, 1)}`,
      );
      assert.deepEqual(differing(r), differing(kept));
    });
});
