// What an operator types and sees, on the real kernel: pid files (written, refused when held, removed at
// exit), keepalived's signals (DATA, STATS, STATS_CLEAR, JSON dumps; TERM exit status), the start/stop log
// lines monitoring greps for, and -s NAMESPACE with an `instance` name (pid files under /run/keepalived/NS).
// KTS_DAEMON_IMPL=keepalived runs the same tests with Debian's keepalived 2.2.7: the expectations are its.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import {
  KEEPALIVED_BIN,
  OURS_LAUNCHER,
  daemonUnderTest,
  globalDefs,
  hasAddress,
  instanceConfig,
  keepalivedSkipReason,
  pidFileAlive,
  sleep,
  waitUntil,
  withLab,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import { netnsRun, netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const skipReason = impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason();
const { describe, test } = gated(skipReason);
const VIP = '10.7.0.100';
/** A name of our own, so that a dump file written by someone else's daemon is not mistaken for ours. */
const INSTANCE = 'VI_OPS';

function single(lab: VrrpLab): LanMember {
  const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
  lab.addAddress(a, '10.7.0.1/24');
  return a;
}

function config(extraTop = ''): string {
  return (
    extraTop +
    globalDefs('a') +
    instanceConfig({ name: INSTANCE, vrid: 77, priority: 150, advertInt: 1, vips: [`${VIP}/24`] })
  );
}

function pidOf(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

/**
 * Sends `signal` to `pid` and waits until `path` is (re)written and contains `needle`; returns its text.
 * Sent again when nothing shows within 2 s: the dump files are shared by every keepalived on the host, and
 * another test's daemon may overwrite ours between the write and the read.
 */
async function signalDump(
  pid: number,
  signal: NodeJS.Signals | number,
  path: string,
  needle: string,
  log: () => string,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    // File times come from the kernel's coarse clock, a tick behind Date.now(): allow for it.
    const since = Date.now() - 50;
    process.kill(pid, signal);
    try {
      return await waitUntil(
        () => {
          if (!existsSync(path) || statSync(path).mtimeMs < since) return undefined;
          const text = readFileSync(path, 'utf8');
          return text.includes(needle) ? text : undefined;
        },
        () => `${path} written with ${needle} after signal ${signal}\n${log()}`,
        2000,
      );
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

function sentCount(stats: string): number {
  const block = stats.slice(stats.indexOf(`VRRP Instance: ${INSTANCE}`));
  const m = /Advertisements:\n\s+Received: \d+\n\s+Sent: (\d+)/.exec(block);
  assert.ok(m, `no Sent counter in\n${stats}`);
  return Number(m[1]);
}

describe(`daemon operations (${impl})`, () => {
  test('pid files, a second start refused with exit 0, TERM: exit 0, files removed, start/stop lines', () =>
    withLab('ops', async (lab) => {
      const a = single(lab);
      const d = lab.start(impl, a, 'ops-a', config());
      await d.waitForState(INSTANCE, 'MASTER', 15_000);
      await d.waitForLog(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: Starting Keepalived v/, 1000);
      await waitUntil(() => pidFileAlive(d.files.vrrpPid), 'VRRP child pid file', 5000);
      // ip netns exec execs the daemon: the process we started is the parent the pid file names.
      assert.equal(pidOf(d.files.pid), d.child.pid);
      assert.ok(pidFileAlive(d.files.pid), 'parent pid file names a live process');
      assert.notEqual(pidOf(d.files.pid), pidOf(d.files.vrrpPid));

      // Same pid files again: keepalived says so and exits 0 without touching the running one.
      const again = lab.start(impl, a, 'ops-a', config());
      // It exits by itself: only a process still running after 10 s gets a TERM (and fails the test).
      await waitUntil(
        () => !again.running,
        () => `second daemon exits\n${again.log()}`,
        10_000,
      ).catch(() => undefined);
      const code = await again.stop('SIGTERM', 10_000);
      assert.equal(code, 0, again.log());
      assert.ok(
        again.lines.some((l) => /daemon is already running/.test(l)),
        again.log(),
      );
      assert.ok(pidFileAlive(d.files.pid), 'the running daemon keeps its pid file');
      assert.ok(hasAddress(a.ns, VIP), 'the running daemon keeps its VIP');

      assert.equal(await d.stop('SIGTERM'), 0, d.log());
      assert.ok(
        d.lines.some((l) => /: Stopped Keepalived v/.test(l)),
        d.log(),
      );
      assert.ok(!existsSync(d.files.pid), 'parent pid file removed');
      assert.ok(!existsSync(d.files.vrrpPid), 'VRRP pid file removed');
      assert.ok(!hasAddress(a.ns, VIP), 'VIP released at stop');
    }));

  test('DATA, STATS, JSON and STATS_CLEAR signals write keepalived dump files and do not stop it', () =>
    withLab('ops', async (lab) => {
      const a = single(lab);
      const d = lab.start(impl, a, 'ops-d', config());
      await d.waitForState(INSTANCE, 'MASTER', 15_000);
      await sleep(3000); // a few adverts to count
      const pid = pidOf(d.files.pid);

      const log = (): string => d.log();
      const data = await signalDump(
        pid,
        'SIGUSR1',
        `${d.files.tmpDir}/keepalived.data`,
        ` VRRP Instance = ${INSTANCE}`,
        log,
      );
      assert.match(data, /------< VRRP Topology >------/);
      assert.match(data, /\n {3}State = MASTER\n/);
      assert.match(data, /\n {3}Virtual Router ID = 77\n/);

      const stats = await signalDump(
        pid,
        'SIGUSR2',
        `${d.files.tmpDir}/keepalived.stats`,
        `VRRP Instance: ${INSTANCE}`,
        log,
      );
      const before = sentCount(stats);
      assert.ok(before >= 2, `sent ${before}`);

      // keepalived --signum=JSON
      const jsonText = await signalDump(
        pid,
        36,
        `${d.files.tmpDir}/keepalived.json`,
        `"iname":"${INSTANCE}"`,
        log,
      );
      const json = JSON.parse(jsonText) as {
        data: { iname: string; vrid: number; state: number };
        stats: { advert_sent: number };
      }[];
      const mine = json.find((e) => e.data.iname === INSTANCE);
      assert.ok(mine);
      assert.deepEqual([mine.data.vrid, mine.data.state], [77, 2]);

      // keepalived --signum=STATS_CLEAR: write, then zero the counters
      await signalDump(pid, 63, `${d.files.tmpDir}/keepalived.stats`, `VRRP Instance: ${INSTANCE}`, log);
      await sleep(300);
      const after = sentCount(
        await signalDump(
          pid,
          'SIGUSR2',
          `${d.files.tmpDir}/keepalived.stats`,
          `VRRP Instance: ${INSTANCE}`,
          log,
        ),
      );
      assert.ok(after < before, `counters cleared: ${after} < ${before}`);

      assert.ok(d.running, `still running after the signals\n${d.log()}`);
      assert.equal(d.state(INSTANCE), 'MASTER');
      assert.equal(await d.stop('SIGTERM'), 0, d.log());
    }));

  test('-s NAMESPACE with an instance name: runs there, pid files in /run/keepalived/NAMESPACE', () =>
    withLab('ops', async (lab) => {
      const a = single(lab);
      const conf = lab.writeFile('ops-ns.conf', config('instance opsinst\n'));
      const pidDir = `/run/keepalived/${a.ns}`;
      const mainPid = `${pidDir}/keepalived_opsinst.pid`;
      const vrrpPid = `${pidDir}/vrrp_opsinst.pid`;
      const argv =
        impl === 'ours'
          ? [process.execPath, OURS_LAUNCHER, '-s', a.ns, '-P', '-n', '-l', '-G', '-f', conf]
          : [KEEPALIVED_BIN, '-s', a.ns, '-P', '-n', '-l', '-G', '-f', conf];
      // Started from a throwaway namespace that has an eth0 of its own: the daemon itself must enter a.ns.
      // Were the switch to fail, the VIP and adverts would land on the throwaway eth0, never the host's.
      const [launch] = lab.lan(['launch']) as [LanMember];
      const child = spawn('ip', ['netns', 'exec', launch.ns, ...argv], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, TMPDIR: lab.dir },
      });
      let log = '';
      child.stdout.on('data', (c: Buffer) => (log += c.toString()));
      child.stderr.on('data', (c: Buffer) => (log += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      try {
        await waitUntil(
          () => hasAddress(a.ns, VIP),
          () => `VIP in ${a.ns}\n${log}`,
          15_000,
        );
        await waitUntil(
          () => pidFileAlive(mainPid) && pidFileAlive(vrrpPid),
          () => `pid files\n${log}`,
          5000,
        );
        assert.equal(pidOf(mainPid), child.pid);
        assert.ok(!hasAddress(launch.ns, VIP), 'nothing was configured in the namespace it was started from');
        child.kill('SIGTERM');
        assert.equal(await exited, 0, log);
        assert.ok(!existsSync(mainPid) && !existsSync(vrrpPid), 'pid files removed');
        assert.ok(!existsSync(pidDir), `${pidDir} removed`);
      } finally {
        if (child.exitCode === null && child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        rmSync(pidDir, { recursive: true, force: true });
      }
    }));

  test('-a (--address-monitoring): the addresses at start and every change made by others, not the VIPs it sets', () =>
    withLab('ops', async (lab) => {
      const a = single(lab);
      const d = lab.start(impl, a, 'ops-am', config(), ['-P', '-a']);
      await d.waitForLog(/Netlink reflector reports IP 10\.7\.0\.1 added to eth0/, 15_000);
      await d.waitForState(INSTANCE, 'MASTER', 15_000);
      await waitUntil(() => hasAddress(a.ns, VIP), `VIP in ${a.ns}`);
      lab.addAddress(a, '10.7.0.9/24');
      await d.waitForLog(/Netlink reflector reports IP 10\.7\.0\.9 added to eth0/);
      netnsRun(a.ns, ['ip', 'addr', 'del', '10.7.0.9/24', 'dev', 'eth0']);
      await d.waitForLog(/Netlink reflector reports IP 10\.7\.0\.9 removed from eth0/);
      assert.equal(await d.stop(), 0, d.log());
      // the VIP went in and out by the daemon's own hand: keepalived's reflector skips its own changes
      assert.doesNotMatch(d.log(), new RegExp(`reports IP ${VIP.replace(/\./g, '\\.')} `), d.log());
    }));

  test('an instance without an interface it cannot run without: the VRRP child stops, the daemon exits 2', () =>
    withLab('ops', async (lab) => {
      const a = single(lab);
      const unbound = (lines: string) => `vrrp_instance VI_NOIF {
  state BACKUP
  virtual_router_id 78
  priority 100
${lines}
  virtual_ipaddress {
    10.7.0.101/24 dev eth0
  }
}
`;
      // keepalived 2.4.3 runs a unicast instance with unicast_src_ip and no interface, as ours does
      // (tests/interop/keepalived-v3.test.ts); 2.2.7 refuses it too, and one without unicast_src_ip.
      const cases: Array<[string, string, RegExp]> = [
        ['multicast', '', /\(VI_NOIF\) Unknown interface!/],
        [
          'unicast-no-src',
          '  unicast_peer {\n    10.7.0.2\n  }',
          impl === 'ours'
            ? /\(VI_NOIF\): Unicast instances must have unicast_src_ip or interface/
            : /\(VI_NOIF\) Unknown interface!/,
        ],
      ];
      if (impl === 'keepalived')
        cases.push([
          'unicast',
          '  unicast_src_ip 10.7.0.1\n  unicast_peer {\n    10.7.0.2\n  }',
          /\(VI_NOIF\) Unknown interface!/,
        ]);
      for (const [tag, lines, message] of cases) {
        const d = lab.start(impl, a, `ops-noif-${tag}`, globalDefs('a') + unbound(lines));
        await d.waitForLog(/exited with permanent error CONFIG\. Terminating/, 15_000);
        assert.equal(await d.stop(), 2, d.log());
        assert.match(d.log(), message, tag);
      }
    }));

  test('nothing to run (-P on a config without instances): the parent says so and stays until SIGTERM', () =>
    withLab('ops', async (lab) => {
      const a = single(lab);
      const d = lab.start(impl, a, 'ops-idle', globalDefs('a'), ['-P']);
      await d.waitForLog(/Warning - keepalived has no configuration to run/, 15_000);
      await sleep(1500);
      assert.ok(d.running, d.log());
      assert.equal(await d.stop(), 0, d.log());
    }));

  test('-V (--dont-release-vrrp): the VIP stays on the interface after a clean stop', () =>
    withLab('ops', async (lab) => {
      const a = single(lab);
      const conf = lab.writeFile('ops-v.conf', config());
      const files = lab.fileArgs({ ...lab.daemonFiles('v'), config: conf }).slice(2);
      const argv =
        impl === 'ours'
          ? [process.execPath, OURS_LAUNCHER, '-V', '-P', '-n', '-l', '-G', '-f', conf, ...files]
          : [KEEPALIVED_BIN, '-V', '-P', '-n', '-l', '-G', '-f', conf, ...files];
      const child = spawn('ip', ['netns', 'exec', a.ns, ...argv], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, TMPDIR: lab.dir },
      });
      let log = '';
      child.stdout.on('data', (c: Buffer) => (log += c.toString()));
      child.stderr.on('data', (c: Buffer) => (log += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      try {
        await waitUntil(
          () => hasAddress(a.ns, VIP),
          () => `VIP in ${a.ns}\n${log}`,
          15_000,
        );
        child.kill('SIGTERM');
        assert.equal(await exited, 0, log);
        assert.ok(hasAddress(a.ns, VIP), `VIP kept after stop with -V\n${log}`);
      } finally {
        if (child.exitCode === null && child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
    }));
});
