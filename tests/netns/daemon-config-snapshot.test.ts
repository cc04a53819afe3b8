// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// Every process reads the configuration the parent read: keepalived's parent keeps a copy of it (a memfd,
// or a file in tmp_config_directory) and its children read that, so a child started again after a crash
// runs what the others run even when the file was edited since; a SIGHUP reads the file anew. The test
// edits the VIP in the file, SIGKILLs the VRRP child, and checks the new child's VIP, then reloads.
// A reload that changes a setting keepalived cannot change at a reload (disable_local_igmp here) is
// refused as a whole: logged, and the running configuration stays.
// KTS_DAEMON_IMPL=keepalived runs it against Debian's keepalived 2.2.7.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  daemonUnderTest,
  hasAddress,
  keepalivedSkipReason,
  pidFileAlive,
  waitUntil,
  withLab,
} from '../helpers/vrrp-lab.js';
import { netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const skipReason = impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason();
const { describe, test } = gated(skipReason);

function config(vip: string, extraGlobal = ''): string {
  return [
    'global_defs {',
    '  router_id a',
    ...(extraGlobal ? [`  ${extraGlobal}`] : []),
    '}',
    'vrrp_instance VI_1 {',
    '  interface eth0',
    '  virtual_router_id 73',
    '  priority 150',
    '  advert_int 0.3',
    '  version 3',
    '  virtual_ipaddress {',
    `    ${vip}/24`,
    '  }',
    '}',
    '',
  ].join('\n');
}

const pidIn = (path: string): number => Number(readFileSync(path, 'utf8').trim());

async function snapshotRun(label: string, extraGlobal: string, reload: boolean): Promise<void> {
  await withLab(label, async (lab) => {
    const [a] = lab.lan(['a']) as [LanMember];
    lab.addAddress(a, '10.2.0.1/24');
    const d = lab.start(impl, a, label, config('10.2.0.100', extraGlobal));
    await d.waitForState('VI_1', 'MASTER', 15_000);
    await waitUntil(() => (hasAddress(a.ns, '10.2.0.100') ? true : undefined), 'the first VIP', 5000);
    await waitUntil(() => (pidFileAlive(d.files.vrrpPid) ? true : undefined), 'the VRRP pid file', 10_000);
    // the file edited, not reloaded; then the VRRP child dies and the parent starts another
    writeFileSync(d.files.config, config('10.2.0.101', extraGlobal));
    const old = pidIn(d.files.vrrpPid);
    const since = d.mark();
    process.kill(old, 'SIGKILL');
    await waitUntil(
      () => (pidFileAlive(d.files.vrrpPid) && pidIn(d.files.vrrpPid) !== old ? true : undefined),
      () => `a new VRRP child\n${d.log()}`,
      15_000,
    );
    await d.waitForState('VI_1', 'MASTER', 15_000, since);
    await waitUntil(() => (hasAddress(a.ns, '10.2.0.100') ? true : undefined), 'the VIP again', 5000);
    assert.equal(hasAddress(a.ns, '10.2.0.101'), false, `the new child read the edited file\n${d.log()}`);
    // a reload reads the file
    if (!reload) {
      assert.equal(await d.stop('SIGTERM'), 0, d.log());
      return;
    }
    process.kill(pidIn(d.files.pid), 'SIGHUP');
    await waitUntil(
      () => (hasAddress(a.ns, '10.2.0.101') && !hasAddress(a.ns, '10.2.0.100') ? true : undefined),
      () => `the edited VIP after SIGHUP\n${d.log()}`,
      10_000,
    );
    assert.equal(await d.stop('SIGTERM'), 0, d.log());
  });
}

/** SIGHUP with `global` added to the edited file: refused, the first VIP stays; then without it. */
async function refusedReload(label: string, global: string, logged: RegExp): Promise<void> {
  await withLab(label, async (lab) => {
    const [a] = lab.lan(['a']) as [LanMember];
    lab.addAddress(a, '10.2.0.1/24');
    const d = lab.start(impl, a, label, config('10.2.0.100'));
    await d.waitForState('VI_1', 'MASTER', 15_000);
    await waitUntil(() => (hasAddress(a.ns, '10.2.0.100') ? true : undefined), 'the first VIP', 5000);
    writeFileSync(d.files.config, config('10.2.0.101', global));
    let since = d.mark();
    process.kill(pidIn(d.files.pid), 'SIGHUP');
    await d.waitForLog(logged, 10_000, since);
    // what the children would do with it has had time to happen: nothing
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(hasAddress(a.ns, '10.2.0.101'), false, `the refused reload went through\n${d.log()}`);
    assert.equal(hasAddress(a.ns, '10.2.0.100'), true, d.log());
    // the same edit without that setting reloads
    writeFileSync(d.files.config, config('10.2.0.101'));
    since = d.mark();
    process.kill(pidIn(d.files.pid), 'SIGHUP');
    await waitUntil(
      () => (hasAddress(a.ns, '10.2.0.101') && !hasAddress(a.ns, '10.2.0.100') ? true : undefined),
      () => `the edited VIP after the second SIGHUP\n${d.log()}`,
      10_000,
    );
    assert.equal(await d.stop('SIGTERM'), 0, d.log());
  });
}

describe(`the configuration every process reads (${impl})`, () => {
  test('a reload that changes what a reload cannot (disable_local_igmp) is refused; the VIPs stay', () =>
    refusedReload(
      'snaprefuse',
      'disable_local_igmp',
      /Cannot change disable_local_igmp at a reload - please restart keepalived/,
    ));

  test("a VRRP child started again runs the parent's copy, not the file edited since; SIGHUP reads the file", () =>
    snapshotRun('snapmem', '', true));

  test('with tmp_config_directory the copy is kept there: a VRRP child started again runs it', () =>
    snapshotRun('snapdir', 'tmp_config_directory /tmp', false));

  test('with tmp_config_directory a SIGHUP reads the files anew', async (t) => {
    if (impl === 'keepalived') {
      // seen here: "Reload complete", and the VRRP child still has the VIP of the start
      t.skip('keepalived differs: 2.2.7 with tmp_config_directory reloads the copy made at start (README)');
      return;
    }
    await snapshotRun('snapdirhup', 'tmp_config_directory /tmp', true);
  });
});
