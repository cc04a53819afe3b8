// The fault matrix on the process side (issue #14; docs/reliability.md, Faults): the VRRP, checker and BFD
// children SIGKILLed (the parent starts new ones, as keepalived's does), the parent SIGKILLed (its
// children stop and clean up, as keepalived's do on PR_SET_PDEATHSIG), SIGHUP under traffic and a SIGHUP
// storm, tracker scripts that hang, flood and flap, too few file descriptors and too little memory,
// SIGTERM's priority-0 advert, and the realtime clock stepped an hour each way under the daemons.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import {
  ADVERT_S,
  childKilled,
  parentKilled,
  reloads,
  resourceLimit,
  termPriorityZero,
  trackerScripts,
} from '../helpers/fault-scenarios.js';
import { assertNoLoss, record } from '../helpers/fault-lab.js';
import {
  daemonUnderTest,
  globalDefs,
  instanceConfig,
  OURS_LAUNCHER,
  sleep,
  withLab,
  type VrrpDaemon,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import { netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';

// Every scenario here runs our daemon (keepalived's side of them is in daemon-faults.test.ts): the oracle
// tier (KTS_DAEMON_IMPL=keepalived) would only run ours a second time.
const { describe, test } = gated(
  (daemonUnderTest() !== 'ours'
    ? 'not applicable: these scenarios fault our own processes; keepalived runs in daemon-faults.test.ts'
    : undefined) ??
    netnsSkipReason() ??
    missingTools('nft', 'tcpdump', 'tshark'),
);
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';

function fault(tag: string, scenario: (lab: VrrpLab) => Promise<unknown>): () => Promise<void> {
  return async () => {
    await withLab(tag, scenario);
  };
}

/**
 * Our daemon with libfaketime: its CLOCK_REALTIME (Date.now, gettimeofday) is offset by what `offsetFile`
 * says, re-read every second; CLOCK_MONOTONIC is left alone. Returns the daemon.
 */
function startWithFakeRealtime(
  lab: VrrpLab,
  member: LanMember,
  label: string,
  config: string,
  offsetFile: string,
): VrrpDaemon {
  const files = lab.daemonFiles(label);
  writeFileSync(files.config, config);
  return lab.startOther(
    label,
    member.ns,
    [
      'env',
      `LD_PRELOAD=${FAKETIME_LIB}`,
      `FAKETIME_TIMESTAMP_FILE=${offsetFile}`,
      'FAKETIME_CACHE_DURATION=1',
      'FAKETIME_DONT_FAKE_MONOTONIC=1',
      process.execPath,
      OURS_LAUNCHER,
      '-P',
      '-n',
      '-l',
      '-D',
      ...lab.fileArgs(files),
    ],
    { impl: 'ours', files },
  );
}

describe('faults: processes (ours)', () => {
  test(
    'VRRP child SIGKILLed: a new one at once; MASTER with the VIP again within start + master-down',
    fault('fkvrrp', (lab) => childKilled(lab, 'vrrp')),
  );

  test(
    'checker child SIGKILLed: a new one; the VIP never moves',
    fault('fkchk', (lab) => childKilled(lab, 'checker')),
  );

  test(
    'BFD child SIGKILLed: a new one; the VIP never moves',
    fault('fkbfd', (lab) => childKilled(lab, 'bfd')),
  );

  test(
    'parent SIGKILLed: children send priority 0, remove the VIP and exit; nothing left behind',
    fault('fkpar', (lab) => parentKilled(lab)),
  );

  test(
    "SIGHUP under traffic keeps an unchanged instance's VIP; 100 SIGHUPs in a second end on the last config",
    fault('fhup', (lab) => reloads(lab, 'ours')),
  );

  test(
    'tracker scripts that hang (timeout), flood their output, flap',
    fault('ftrack', (lab) => trackerScripts(lab, 'ours')),
  );

  test('too few file descriptors or too little address space: runs, or exits saying why', async () => {
    // 64 descriptors: the parent starts, its VRRP child runs out loading its modules (Node's loader opens
    // many at once; in one CI run of two the parent itself ran out first, before starting anything);
    // 1 GB of address space: the child cannot start the advert sender's thread. Below
    // ~20 descriptors or ~300 MB Node itself aborts before any of our code runs (bench/faults.ts notes).
    const fds = await withLab('flimfd', (lab) =>
      resourceLimit(lab, '--nofile=64:64', /EMFILE|too many open files/i),
    );
    const mem = await withLab('flimas', (lab) =>
      resourceLimit(lab, '--as=1000000000', /EAGAIN|ENOMEM|memory|pthread_create/i),
    );
    console.log(`FAULT resource limits | nofile=64: ${fds}; as=1 GB: ${mem}`);
  });

  test(
    'SIGTERM: every stop puts a priority-0 advert on the wire (3 stops; 200 in bench/faults.ts)',
    fault('fterm', async (lab) => {
      const { missing } = await termPriorityZero(lab, 'ours', 3);
      assert.deepEqual(missing, []);
    }),
  );

  test('realtime clock stepped +1 h under both routers (libfaketime): no state change', async (t) => {
    if (!existsSync(FAKETIME_LIB)) {
      t.skip('missing tool: libfaketime (Debian package libfaketime)');
      return;
    }
    // libfaketime also moves timerfd deadlines on CLOCK_MONOTONIC by its offset (see below), which no real
    // clock step does: the daemons' timers then fire early or late and the outcome depends on the tool,
    // not on the daemon (seen failing once in a clean-clone run). Run by hand: KTS_FAULTS_FAKETIME=1.
    if (process.env.KTS_FAULTS_FAKETIME !== '1') {
      t.skip('not applicable: libfaketime shifts monotonic timers too; KTS_FAULTS_FAKETIME=1 runs it');
      return;
    }
    await withLab('fclock', async (lab) => {
      const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.61.0' }) as [LanMember, LanMember];
      const offA = lab.writeFile('offset-a', '+0\n');
      const offB = lab.writeFile('offset-b', '+0\n');
      const cfg = (node: string, priority: number): string =>
        globalDefs(node) +
        instanceConfig({
          name: 'VI_1',
          vrid: 61,
          version: 3,
          advertInt: ADVERT_S,
          priority,
          vips: ['10.61.0.100/24'],
        });
      const da = startWithFakeRealtime(lab, a, 'a', cfg('a', 200), offA);
      await da.waitForState('VI_1', 'MASTER', 15_000);
      const db = startWithFakeRealtime(lab, b, 'b', cfg('b', 100), offB);
      await db.waitForState('VI_1', 'BACKUP', 15_000);
      const marks = [da.mark(), db.mark()] as const;
      // Only forward: libfaketime also rewrites timerfd_settime's absolute deadlines by its offset, even on
      // CLOCK_MONOTONIC timerfds with FAKETIME_DONT_FAKE_MONOTONIC (seen in /proc/PID/fdinfo: it_value
      // 3601 s after a -1h step), so a backward step would stall every timerfd for an hour: an artefact of
      // the tool, not of the daemon. The backward case is covered by the queued-time clamp (transport.ts)
      // and tests/unit/daemon/vrrp/monotonic-clock.test.ts.
      lab.writeFile('offset-a', '+1h\n');
      lab.writeFile('offset-b', '+1h\n');
      await sleep(4000);
      // proof that the step reached the daemons: their log's wall-clock stamp moved by about an hour
      process.kill(da.child.pid as number, 'SIGUSR1');
      const line = (await da.waitForLog(/Printing VRRP data/, 3000, da.mark())).line;
      const skew = (Date.parse(line.slice(0, line.indexOf(': '))) - Date.now()) / 3_600_000;
      assert.ok(Math.abs(skew - 1) < 0.1, `log stamp ${line} vs now: skew ${skew} h`);
      const changes =
        da.lines.slice(marks[0]).filter((l) => /Entering/.test(l)).length +
        db.lines.slice(marks[1]).filter((l) => /Entering/.test(l)).length;
      assertNoLoss([a, b], { '10.61.0.100': a.ns }, `${da.log()}\n${db.log()}`);
      record(
        {
          fault: 'realtime clock stepped +1 h',
          what: 'state changes',
          value: changes,
          bound: 0,
          unit: 'count',
        },
        `${da.log()}\n${db.log()}`,
      );
    });
  });
});
