// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// nftables_ipvs's marking tables on the real kernel, in a namespace of their own: after the start and after
// a reload, `nft list ruleset` must read as keepalived 2.2.7's did on the same configurations
// (tests/fixtures/nftables-ipvs/*.nft, listed in the IPVS VM, where keepalived's checker can run; the VM
// test tests/vm/lvs-keepalived.test.ts compares the start with keepalived live); after the stop, nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NetnsLab, netnsRun, netnsSkipReason } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';

const { after, describe, test } = gated(netnsSkipReason() ?? missingTools('nft'));
const repo = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const agent = fileURLToPath(new URL('./group-marks.agent.js', import.meta.url));

/** A listing without its blank lines (nft separates blocks with them). */
function lines(listing: string): string {
  return listing
    .split('\n')
    .filter((l) => l.trim() !== '')
    .join('\n');
}

describe('nftables_ipvs: the marking tables keepalived 2.2.7 makes', () => {
  const lab = new NetnsLab('gmark');
  after(() => lab.cleanup());

  test('start, reload and stop leave what keepalived leaves', () => {
    const ns = lab.namespace('lb');
    const start = repo('tests/corpus/lvs-vm/28-nftables-ipvs.conf');
    const reload = repo('tests/fixtures/nftables-ipvs/reload.conf');
    const steps = netnsRun(ns, [process.execPath, agent, start, reload], { timeoutMs: 60_000 }).split(
      '@@@\n',
    );
    assert.equal(steps.length, 3);
    const [afterStart, afterReload, afterStop] = steps as [string, string, string];
    assert.equal(
      lines(afterStart),
      lines(readFileSync(repo('tests/fixtures/nftables-ipvs/start.nft'), 'utf8')),
    );
    // the reload keeps the emptied udp_map and its rule, as keepalived does; group EXTRA gets the next mark
    assert.equal(
      lines(afterReload),
      lines(readFileSync(repo('tests/fixtures/nftables-ipvs/reload.nft'), 'utf8')),
    );
    assert.equal(afterStop.trim(), '');
  });
});
