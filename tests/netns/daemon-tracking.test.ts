// Our VRRP daemon against itself on the real kernel: what moves mastership besides the peer: tracked
// interfaces, scripts, files and processes, sync groups that move together, and notify scripts.
// KTS_DAEMON_IMPL=keepalived runs the same tests with Debian's keepalived on both sides.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addresses,
  daemonUnderTest,
  globalDefs,
  hasAddress,
  instanceConfig,
  keepalivedSkipReason,
  sleep,
  waitUntil,
  withLab,
  type InstanceSpec,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import { netnsSkipReason, run, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const skipReason = impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason();
const { describe, test } = gated(skipReason);
const VIP = '10.2.0.100';
const ADVERT = 0.3;

function pair(lab: VrrpLab): [LanMember, LanMember] {
  return lab.routers(['a', 'b'], { ipv4: '10.2.0' }) as [LanMember, LanMember];
}

function instance(spec: Partial<InstanceSpec> & { priority: number }): string {
  return instanceConfig({
    name: 'VI_1',
    vrid: 61,
    version: 3,
    advertInt: ADVERT,
    vips: [`${VIP}/24`],
    ...spec,
  });
}

/** a (priority 200, with `aExtra` config and instance settings) and a plain b (100); a ends up MASTER. */
async function startPair(
  lab: VrrpLab,
  tag: string,
  aTop: string,
  aSpec: Partial<InstanceSpec>,
): Promise<{
  a: LanMember;
  b: LanMember;
  da: ReturnType<VrrpLab['start']>;
  db: ReturnType<VrrpLab['start']>;
}> {
  const [a, b] = pair(lab);
  const da = lab.start(impl, a, `${tag}-a`, globalDefs('a') + aTop + instance({ priority: 200, ...aSpec }));
  const db = lab.start(impl, b, `${tag}-b`, globalDefs('b') + instance({ priority: 100 }));
  await da.waitForState('VI_1', 'MASTER', 10_000);
  await db.waitForState('VI_1', 'BACKUP', 10_000);
  return { a, b, da, db };
}

describe(`VRRP trackers, sync groups and notify (${impl} vs ${impl})`, () => {
  test('track_interface: the tracked link going down faults the instance; back up, it is MASTER again', () =>
    withLab('tif', async (lab) => {
      const [a, b] = pair(lab);
      run(['ip', '-n', a.ns, 'link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1']);
      lab.setLink(a, 'trk1', true);
      lab.setLink(a, 'trk0', true);
      const da = lab.start(
        impl,
        a,
        'tif-a',
        globalDefs('a') + instance({ priority: 200, trackInterfaces: ['trk0'] }),
      );
      const db = lab.start(impl, b, 'tif-b', globalDefs('b') + instance({ priority: 100 }));
      await da.waitForState('VI_1', 'MASTER', 10_000);
      await db.waitForState('VI_1', 'BACKUP', 10_000);
      const [sa, sb] = [da.mark(), db.mark()];
      lab.setLink(a, 'trk0', false);
      await da.waitForState('VI_1', 'FAULT', 5000, sa);
      await db.waitForState('VI_1', 'MASTER', 5000, sb);
      await waitUntil(() => hasAddress(b.ns, VIP) && !hasAddress(a.ns, VIP), 'VIP on b only', 3000);
      lab.setLink(a, 'trk0', true);
      await da.waitForState('VI_1', 'MASTER', 10_000, sa);
      await waitUntil(() => hasAddress(a.ns, VIP) && !hasAddress(b.ns, VIP), 'VIP back on a only', 3000);
    }));

  test('a VIP on another interface: that link going down faults the instance; with no_track it does not', () =>
    withLab('vipif', async (lab) => {
      const [a, b] = pair(lab);
      // the interfaces on both routers (keepalived 2.2.7 refuses to start with a VIP on a missing one)
      for (const r of [a, b])
        for (const [x, y] of [
          ['vif0', 'vif1'],
          ['vnt0', 'vnt1'],
        ] as const) {
          run(['ip', '-n', r.ns, 'link', 'add', x, 'type', 'veth', 'peer', 'name', y]);
          lab.setLink(r, y, true);
          lab.setLink(r, x, true);
        }
      const vips = [`${VIP}/24`, '10.2.9.1/24 dev vif0', '10.2.8.1/24 dev vnt0 no_track'];
      const da = lab.start(impl, a, 'vipif-a', globalDefs('a') + instance({ priority: 200, vips }));
      // b has the same VIPs: keepalived 2.2.7 drops adverts whose address list differs
      const db = lab.start(impl, b, 'vipif-b', globalDefs('b') + instance({ priority: 100, vips }));
      await da.waitForState('VI_1', 'MASTER', 10_000);
      await db.waitForState('VI_1', 'BACKUP', 10_000);
      await waitUntil(
        () => hasAddress(a.ns, '10.2.9.1', 'vif0') && hasAddress(a.ns, '10.2.8.1', 'vnt0'),
        'VIPs on a',
        3000,
      );
      // no_track: its link going down changes nothing
      lab.setLink(a, 'vnt0', false);
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(da.state('VI_1'), 'MASTER', da.log(20));
      assert.ok(hasAddress(a.ns, VIP), 'a still holds the VIP');
      lab.setLink(a, 'vnt0', true);
      // the tracked one: FAULT (keepalived's TRACK_ADDR), b takes over; back up, a is MASTER again
      const [sa, sb] = [da.mark(), db.mark()];
      lab.setLink(a, 'vif0', false);
      await da.waitForState('VI_1', 'FAULT', 5000, sa);
      await db.waitForState('VI_1', 'MASTER', 5000, sb);
      lab.setLink(a, 'vif0', true);
      await da.waitForState('VI_1', 'MASTER', 10_000, sa);
      await waitUntil(
        () => hasAddress(a.ns, VIP) && hasAddress(a.ns, '10.2.9.1', 'vif0'),
        'VIPs back on a',
        3000,
      );
    }));

  test('a VIP on an interface that does not exist: keepalived 2.2.7 refuses to run; ours says so, FAULT until it appears', () =>
    withLab('vipnoif', async (lab) => {
      const [a] = pair(lab);
      const vips = [`${VIP}/24`, '10.2.7.1/24 dev vlate0'];
      const da = lab.start(impl, a, 'vipnoif-a', globalDefs('a') + instance({ priority: 200, vips }));
      if (impl === 'keepalived') {
        // Documented difference (README, Migrating): keepalived's VRRP child exits, and the daemon with it.
        await da.waitForLog(/Non-existent interface specified in configuration/, 10_000);
        await waitUntil(() => !da.running, 'keepalived stops', 10_000);
        return;
      }
      await da.waitForLog(
        /\(VI_1\) interface vlate0 of its addresses does not exist on this host: FAULT until it appears/,
        10_000,
      );
      await da.waitForState('VI_1', 'FAULT', 10_000);
      run(['ip', '-n', a.ns, 'link', 'add', 'vlate0', 'type', 'veth', 'peer', 'name', 'vlate1']);
      lab.setLink(a, 'vlate1', true);
      lab.setLink(a, 'vlate0', true);
      await da.waitForState('VI_1', 'MASTER', 10_000);
      await waitUntil(() => hasAddress(a.ns, '10.2.7.1', 'vlate0'), 'the VIP on the new interface', 3000);
    }));

  test('interface_up_down_delays: a tracked link down for less than the delay changes nothing; longer, FAULT after it', () =>
    withLab('tud', async (lab) => {
      const [a, b] = pair(lab);
      run(['ip', '-n', a.ns, 'link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1']);
      lab.setLink(a, 'trk1', true);
      lab.setLink(a, 'trk0', true);
      const top = 'interface_up_down_delays {\n  trk0 2\n}\n';
      const da = lab.start(
        impl,
        a,
        'tud-a',
        globalDefs('a') + top + instance({ priority: 200, trackInterfaces: ['trk0'] }),
      );
      const db = lab.start(impl, b, 'tud-b', globalDefs('b') + instance({ priority: 100 }));
      await da.waitForState('VI_1', 'MASTER', 10_000);
      await db.waitForState('VI_1', 'BACKUP', 10_000);
      const seen = da.states('VI_1').length;
      lab.setLink(a, 'trk0', false);
      await new Promise((r) => setTimeout(r, 1000));
      lab.setLink(a, 'trk0', true);
      await new Promise((r) => setTimeout(r, 2500));
      assert.deepEqual(da.states('VI_1').slice(seen), [], 'no change for a link back within the delay');
      const sa = da.mark();
      const downAt = Date.now();
      lab.setLink(a, 'trk0', false);
      const fault = await da.waitForState('VI_1', 'FAULT', 8000, sa);
      assert.ok(fault.at - downAt >= 1800, `FAULT ${fault.at - downAt} ms after the link went down`);
      // up has no delay (one value is the down delay)
      const upAt = Date.now();
      lab.setLink(a, 'trk0', true);
      const back = await da.waitForState('VI_1', 'MASTER', 8000, sa);
      assert.ok(back.at - upAt < 1500, `MASTER again ${back.at - upAt} ms after the link came up`);
    }));

  test('track_script: a failing script faults the instance, a passing one brings it back', () =>
    withLab('tsc', async (lab) => {
      const flag = join(lab.dir, 'fail-flag');
      const script = lab.writeScript('check.sh', `[ ! -e ${flag} ]`);
      const top = `vrrp_script chk_flag {\n  script "${script}"\n  interval 1\n  fall 1\n  rise 1\n}\n`;
      const { a, b, da, db } = await startPair(lab, 'tsc', top, { trackScripts: ['chk_flag'] });
      const [sa, sb] = [da.mark(), db.mark()];
      writeFileSync(flag, '1');
      await da.waitForState('VI_1', 'FAULT', 6000, sa);
      await db.waitForState('VI_1', 'MASTER', 5000, sb);
      await waitUntil(() => hasAddress(b.ns, VIP) && !hasAddress(a.ns, VIP), 'VIP on b only', 3000);
      rmSync(flag);
      await da.waitForState('VI_1', 'MASTER', 8000, sa);
      await waitUntil(() => hasAddress(a.ns, VIP) && !hasAddress(b.ns, VIP), 'VIP back on a only', 3000);
    }));

  test('track_script failing from the start: FAULT without "Entering FAULT STATE", notified; its first success enters BACKUP', () =>
    withLab('tsf', async (lab) => {
      // keepalived 2.2.7 and 2.4.3 (vrrp_init_state) put the instance in FAULT quietly while the script has no
      // result, so its first failure logs no state line; the FAULT notifies and FIFO line still come
      const [a] = lab.routers(['a'], { ipv4: '10.2.0' }) as [LanMember];
      const flag = lab.writeFile('fail-flag', '1');
      const script = lab.writeScript('check.sh', `[ ! -e ${flag} ]`);
      const notifyLog = join(lab.dir, 'notify.log');
      const notify = lab.writeScript('notify.sh', `echo "$1 $2 $3 $4" >> ${notifyLog}`);
      const faultLog = join(lab.dir, 'fault.log');
      const notifyFault = lab.writeScript('notify-fault.sh', `echo fault >> ${faultLog}`);
      const fifoLog = join(lab.dir, 'fifo.log');
      const reader = lab.writeScript(
        'fifo-reader.sh',
        `while read l; do echo "$l" >> ${fifoLog}; done < "$1"`,
      );
      const top = `vrrp_script chk_flag {\n  script "${script}"\n  interval 1\n  fall 1\n  rise 1\n}\n`;
      const da = lab.start(
        impl,
        a,
        'tsf-a',
        globalDefs('a', [`notify_fifo ${join(lab.dir, 'fifo')}`, `notify_fifo_script ${reader}`]) +
          top +
          instance({
            priority: 200,
            trackScripts: ['chk_flag'],
            notify,
            extra: [`notify_fault ${notifyFault}`],
          }),
      );
      await da.waitForLog(/VRRP_Script\(chk_flag\) failed/, 10_000);
      const read = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
      await waitUntil(
        () =>
          read(notifyLog).includes('INSTANCE VI_1 FAULT 200') &&
          read(faultLog).includes('fault') &&
          read(fifoLog).includes('INSTANCE "VI_1" FAULT 200'),
        () =>
          `FAULT notified (notify: ${read(notifyLog)}, notify_fault: ${read(faultLog)}, fifo: ${read(fifoLog)})`,
        5000,
      );
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(da.states('VI_1'), [], `no state line while the script fails\n${da.log()}`);
      assert.ok(!hasAddress(a.ns, VIP), 'no VIP while in FAULT');
      const sa = da.mark();
      rmSync(flag);
      await da.waitForState('VI_1', 'BACKUP', 8000, sa);
      await da.waitForState('VI_1', 'MASTER', 8000, sa);
      await waitUntil(() => read(notifyLog).includes('INSTANCE VI_1 MASTER 200'), 'MASTER notified', 3000);
      assert.deepEqual(read(notifyLog).trim().split('\n'), [
        'INSTANCE VI_1 FAULT 200',
        'INSTANCE VI_1 BACKUP 200',
        'INSTANCE VI_1 MASTER 200',
      ]);
      assert.deepEqual(read(faultLog).trim().split('\n'), ['fault'], 'notify_fault ran once');
    }));

  test('track_script of a script not there or not executable: left out at start, as keepalived does; a reload looks again', () =>
    withLab('tsg', async (lab) => {
      // keepalived (check_vrrp_script_security) drops such a vrrp_script and every track_script naming it:
      // the instance runs untracked rather than in FAULT. Found running real-world configs beside it.
      const [a] = lab.routers(['a'], { ipv4: '10.2.0' }) as [LanMember];
      const gone = join(lab.dir, 'gone.sh');
      const plain = lab.writeFile('plain.sh', '#!/bin/sh\nexit 1\n');
      const top =
        `vrrp_script chk_gone {\n  script "${gone}"\n  interval 1\n  fall 1\n}\n` +
        `vrrp_script chk_plain {\n  script "${plain}"\n  interval 1\n  fall 1\n}\n`;
      const da = lab.start(
        impl,
        a,
        'tsg-a',
        globalDefs('a') +
          top +
          instance({
            priority: 200,
            trackScripts: ['chk_gone', 'chk_plain'],
            extra: [`notify_master ${join(lab.dir, 'no-notify.sh')}`],
          }),
      );
      await da.waitForState('VI_1', 'MASTER', 10_000);
      await waitUntil(() => hasAddress(a.ns, VIP), 'VIP on a', 3000);
      const log = da.log(400);
      assert.match(log, new RegExp(`Script ${gone} cannot be accessed - No such file or directory`));
      assert.match(log, /Disabling track script chk_gone since not found\/accessible/);
      assert.match(
        log,
        new RegExp(`WARNING - script '${plain}' is not executable for uid:gid 0:0 - disabling\\.`),
      );
      assert.doesNotMatch(log, /VRRP_Script\(chk_(gone|plain)\)/, 'neither script is run');
      // Now there and failing: a reload checks the scripts again and tracks it.
      writeFileSync(gone, '#!/bin/sh\nexit 1\n');
      chmodSync(gone, 0o755);
      const since = da.mark();
      process.kill(Number(readFileSync(da.files.pid, 'utf8').trim()), 'SIGHUP');
      await da.waitForState('VI_1', 'FAULT', 10_000, since);
      await waitUntil(() => !hasAddress(a.ns, VIP), 'VIP gone in FAULT', 3000);
    }));

  test('vrrp_script user: the script runs as that user and group, not as script_user', () =>
    withLab('tsu', async (lab) => {
      // a directory the user can read (the script) and write (its answer) in, outside the lab's own
      const dir = mkdtempSync(join(tmpdir(), 'kts-script-user-'));
      try {
        chmodSync(dir, 0o777);
        const script = join(dir, 'who.sh');
        writeFileSync(
          script,
          `#!/bin/sh\nid -u > ${dir}/uid.tmp && id -g >> ${dir}/uid.tmp && mv ${dir}/uid.tmp ${dir}/uid\n`,
          {
            mode: 0o755,
          },
        );
        const top = `vrrp_script chk_who {\n  script "${script}"\n  interval 1\n  user nobody nogroup\n}\n`;
        await startPair(lab, 'tsu', top, { trackScripts: ['chk_who'] });
        await waitUntil(() => existsSync(join(dir, 'uid')), 'the script ran', 5000);
        const ids = (name: string, db: string): string =>
          (run(['getent', db, name]).split(':')[2] ?? '').trim();
        assert.deepEqual(readFileSync(join(dir, 'uid'), 'utf8').trim().split('\n'), [
          ids('nobody', 'passwd'),
          ids('nogroup', 'group'),
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }));

  test('track_file with a weight: the value times the weight lowers the priority below the peer', () =>
    withLab('tfi', async (lab) => {
      const file = lab.writeFile('track-value', '0\n');
      const top = `track_file tf {\n  file "${file}"\n  weight -1\n}\n`;
      const { a, b, da, db } = await startPair(lab, 'tfi', top, { trackFiles: ['tf'] });
      const [sa, sb] = [da.mark(), db.mark()];
      writeFileSync(file, '150\n'); // 200 - 150 = 50 < 100: b preempts
      await db.waitForState('VI_1', 'MASTER', 6000, sb);
      await da.waitForState('VI_1', 'BACKUP', 5000, sa);
      assert.ok(!da.states('VI_1').slice(1).includes('FAULT'), `a went to FAULT, not BACKUP\n${da.log()}`);
      await waitUntil(() => hasAddress(b.ns, VIP) && !hasAddress(a.ns, VIP), 'VIP on b only', 3000);
      writeFileSync(file, '0\n');
      await da.waitForState('VI_1', 'MASTER', 6000, sa);
      await waitUntil(() => hasAddress(a.ns, VIP) && !hasAddress(b.ns, VIP), 'VIP back on a only', 3000);
    }));

  test('track_process: the instance faults while the tracked process is gone', (t) => {
    if (impl === 'keepalived') {
      // its proc connector socket only works in the initial network namespace (ECONNREFUSED elsewhere)
      t.skip(
        "not applicable: keepalived's track_process needs the proc connector, absent outside the host's namespace",
      );
      return;
    }
    return withLab('tpr', async (lab) => {
      // a unique argument, so that no other sleep on the machine matches
      const arg = `${process.pid}.${Date.now() % 100000}`;
      const top = `vrrp_track_process tp {\n  process sleep ${arg}\n  weight 0\n  quorum 1\n}\n`;
      const [a, b] = pair(lab);
      let proc = lab.spawnOther(a.ns, ['sleep', arg]);
      const da = lab.start(
        impl,
        a,
        'tpr-a',
        globalDefs('a') + top + instance({ priority: 200, trackProcesses: ['tp'] }),
      );
      const db = lab.start(impl, b, 'tpr-b', globalDefs('b') + instance({ priority: 100 }));
      await da.waitForState('VI_1', 'MASTER', 10_000);
      await db.waitForState('VI_1', 'BACKUP', 10_000);
      const [sa, sb] = [da.mark(), db.mark()];
      proc.kill('SIGKILL');
      await da.waitForState('VI_1', 'FAULT', 5000, sa);
      await db.waitForState('VI_1', 'MASTER', 5000, sb);
      await waitUntil(() => hasAddress(b.ns, VIP) && !hasAddress(a.ns, VIP), 'VIP on b only', 3000);
      proc = lab.spawnOther(a.ns, ['sleep', arg]);
      await da.waitForState('VI_1', 'MASTER', 8000, sa);
      await waitUntil(() => hasAddress(a.ns, VIP) && !hasAddress(b.ns, VIP), 'VIP back on a only', 3000);
    });
  });

  test('track_process terminate_delay: a process back within the delay changes nothing; gone longer, FAULT after it', (t) => {
    if (impl === 'keepalived') {
      t.skip(
        "not applicable: keepalived's track_process needs the proc connector, absent outside the host's namespace",
      );
      return;
    }
    return withLab('tpd', async (lab) => {
      const arg = `${process.pid}.${(Date.now() % 100000) + 1}`;
      const top = `vrrp_track_process tp {\n  process sleep ${arg}\n  weight 0\n  terminate_delay 4\n}\n`;
      const [a, b] = pair(lab);
      let proc = lab.spawnOther(a.ns, ['sleep', arg]);
      const da = lab.start(
        impl,
        a,
        'tpd-a',
        globalDefs('a') + top + instance({ priority: 200, trackProcesses: ['tp'] }),
      );
      const db = lab.start(impl, b, 'tpd-b', globalDefs('b') + instance({ priority: 100 }));
      await da.waitForState('VI_1', 'MASTER', 10_000);
      await db.waitForState('VI_1', 'BACKUP', 10_000);
      const sa = da.mark();
      const seen = da.states('VI_1').length;
      // gone for 1.5 s: within the delay
      proc.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 1500));
      proc = lab.spawnOther(a.ns, ['sleep', arg]);
      await new Promise((r) => setTimeout(r, 5000));
      assert.deepEqual(
        da.states('VI_1').slice(seen),
        [],
        'no change for a process back within terminate_delay',
      );
      // gone for good: FAULT, not before the delay
      const killedAt = Date.now();
      proc.kill('SIGKILL');
      const entered = await da.waitForState('VI_1', 'FAULT', 10_000, sa);
      assert.ok(entered.at - killedAt >= 3500, `FAULT ${entered.at - killedAt} ms after the process left`);
    });
  });

  test('no address of its family on its interface: FAULT until one appears, and again when the last goes', () =>
    withLab('trk', async (lab) => {
      // keepalived 2.2.7: set_vrrp_src_addr finds nothing to speak from ("no IPv4 address for interface");
      // an address added brings the instance up, its removal takes it down (keepalived_netlink.c)
      const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
      const d = lab.start(impl, a, 'noaddr', globalDefs('a') + instance({ priority: 200 }));
      await d.waitForLog(/\(VI_1\) entering FAULT state \(no IPv4 address for interface\)/, 10_000);
      await sleep(ADVERT * 5000); // longer than the master-down interval
      assert.ok(!d.states('VI_1').includes('MASTER'), d.log());
      assert.ok(!hasAddress(a.ns, VIP), addresses(a.ns).join(' '));
      let since = d.mark();
      lab.addAddress(a, '10.2.0.1/24');
      await d.waitForState('VI_1', 'MASTER', 10_000, since);
      await waitUntil(
        () => hasAddress(a.ns, VIP),
        () => `VIP on a (${addresses(a.ns)})`,
        3000,
      );
      since = d.mark();
      run(['ip', '-n', a.ns, 'addr', 'del', '10.2.0.1/24', 'dev', 'eth0']);
      await d.waitForState('VI_1', 'FAULT', 10_000, since);
      await waitUntil(
        () => !hasAddress(a.ns, VIP),
        () => `no VIP on a (${addresses(a.ns)})`,
        3000,
      );
      assert.equal(await d.stop(), 0, d.log());
    }));

  test('sync group: two instances move together; a fault in one faults both; notify scripts report it', () =>
    withLab('sync', async (lab) => {
      const [a, b] = pair(lab);
      const [a1, b1] = lab.joinLan([a, b], 'eth1') as [LanMember, LanMember];
      lab.addAddress(a1, '10.3.0.1/24');
      lab.addAddress(b1, '10.3.0.2/24');
      const VIP2 = '10.3.0.100';
      const notifyLog = (node: string): string => join(lab.dir, `notify-${node}.log`);
      const notify = (node: string): string =>
        lab.writeScript(`notify-${node}.sh`, `echo "$1 $2 $3 $4" >> ${notifyLog(node)}`);
      const cfg = (node: string, priority: number): string =>
        globalDefs(node) +
        `vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_2\n  }\n  notify ${notify(node)}\n}\n` +
        instance({ priority, notify: notify(node) }) +
        instanceConfig({
          name: 'VI_2',
          vrid: 62,
          version: 3,
          advertInt: ADVERT,
          priority,
          interface: 'eth1',
          vips: [`${VIP2}/24`],
          notify: notify(node),
        });
      const da = lab.start(impl, a, 'sync-a', cfg('a', 200));
      const db = lab.start(impl, b, 'sync-b', cfg('b', 100));
      for (const name of ['VI_1', 'VI_2']) {
        await da.waitForState(name, 'MASTER', 10_000);
        await db.waitForState(name, 'BACKUP', 10_000);
      }
      await waitUntil(() => hasAddress(a.ns, VIP) && hasAddress(a1.ns, VIP2, 'eth1'), 'both VIPs on a', 3000);
      const [sa, sb] = [da.mark(), db.mark()];
      lab.setLink(a1, 'eth1', false); // only VI_2's link fails...
      await da.waitForState('VI_2', 'FAULT', 5000, sa);
      await da.waitForState('VI_1', 'FAULT', 5000, sa); // ...and VI_1 follows it
      await db.waitForState('VI_1', 'MASTER', 5000, sb);
      await db.waitForState('VI_2', 'MASTER', 5000, sb);
      await waitUntil(
        () => hasAddress(b.ns, VIP) && hasAddress(b1.ns, VIP2, 'eth1') && !hasAddress(a.ns, VIP),
        () => `both VIPs on b, none on a (a: ${addresses(a.ns)})`,
        3000,
      );
      await waitUntil(
        () => existsSync(notifyLog('a')) && readFileSync(notifyLog('a'), 'utf8').includes('GROUP G1 FAULT'),
        'notify GROUP G1 FAULT on a',
        3000,
      );
      const notesA = readFileSync(notifyLog('a'), 'utf8');
      assert.match(notesA, /^INSTANCE VI_1 MASTER 200$/m, notesA);
      assert.match(notesA, /^GROUP G1 MASTER/m, notesA);
      assert.match(notesA, /^INSTANCE VI_2 FAULT 200$/m, notesA);
      await waitUntil(
        () => existsSync(notifyLog('b')) && readFileSync(notifyLog('b'), 'utf8').includes('GROUP G1 MASTER'),
        'notify GROUP G1 MASTER on b',
        3000,
      );
    }));
});
