// global_defs keywords the kernel or the process table shows: the VRRP child's rtnetlink receive buffers
// (vrrp_netlink_{cmd,monitor}_rcv_bufs[_force], read back with `ss -m` and set again on reload), the
// checker child's (lvs_netlink_*, its ha_suspend address watch), and
// child_wait_time (how long the parent waits for a child that does not stop before it SIGKILLs it).
// KTS_DAEMON_IMPL=keepalived runs the same test with Debian's keepalived 2.2.7: the expectations are its.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import {
  daemonUnderTest,
  globalDefs,
  instanceConfig,
  hasAddress,
  keepalivedSkipReason,
  sleep,
  waitUntil,
  withLab,
} from '../helpers/vrrp-lab.js';
import { netnsExec, netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';

const impl = daemonUnderTest();
// ss comes with ip (iproute2), which the namespaces need anyway.
const skipReason = impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason();
const { describe, test } = gated(skipReason);

function pidOf(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

/** The receive buffer sizes (skmem rb, what getsockopt(SO_RCVBUF) says) of `pid`'s rtnetlink sockets:
 * its socket inodes (/proc/PID/fd) give their port ids (/proc/net/netlink), which `ss -m` lists. */
function rtnlReceiveBuffers(ns: string, pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const row of netnsExec(ns, ['cat', '/proc/net/netlink']).stdout.split('\n').slice(1)) {
    const f = row.trim().split(/\s+/);
    // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode; Eth 0 is NETLINK_ROUTE, Pid the port id
    if (f[1] === '0' && inodes.has(f[9] ?? '')) ports.add(Number(f[2]) | 0);
  }
  const sizes: number[] = [];
  for (const line of netnsExec(ns, ['ss', '-f', 'netlink', '-a', '-m']).stdout.split('\n')) {
    // "rtnl:-1019211381" or, when the port is a pid, "rtnl:comm/PID"
    const port = /\brtnl:(?:[^\s/]*\/)?(-?\d+)\s/.exec(line)?.[1];
    const rb = /\brb(\d+)/.exec(line)?.[1];
    if (port !== undefined && rb !== undefined && ports.has(Number(port) | 0)) sizes.push(Number(rb));
  }
  return sizes.sort((a, b) => a - b);
}

/** SO_RCVBUF (as getsockopt says it) of each raw VRRP socket (protocol 112) of `pid`, read by borrowing the
 * descriptors with pidfd_getfd(2) (raw sockets show no buffer sizes in `ss`). */
function vrrpSocketBuffers(pid: number): number[] {
  const script = [
    'import ctypes, os, socket, sys',
    'libc = ctypes.CDLL(None, use_errno=True)',
    'pid = int(sys.argv[1]); pfd = libc.syscall(434, pid, 0)',
    "for fd in os.listdir('/proc/%d/fd' % pid):",
    "    try: link = os.readlink('/proc/%d/fd/%s' % (pid, fd))",
    '    except OSError: continue',
    "    if not link.startswith('socket:'): continue",
    '    local = libc.syscall(438, pfd, int(fd), 0)',
    '    if local < 0: continue',
    '    s = socket.socket(fileno=local)',
    '    if s.type == socket.SOCK_RAW and s.family in (socket.AF_INET, socket.AF_INET6) and s.proto == 112:',
    '        print(s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))',
    '    s.close()',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`reading socket buffers of ${pid}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
}

/** The instance of these tests, with more lines in its block. */
function instanceWith(extra: string[] = []): string {
  return instanceConfig({
    name: 'VI_G',
    vrid: 61,
    priority: 150,
    advertInt: 1,
    vips: ['10.6.0.100/24'],
    extra,
  });
}
const INSTANCE = instanceWith();

describe(`global_defs process keywords (${impl})`, () => {
  test('vrrp_netlink_cmd/monitor_rcv_bufs[_force] size the VRRP child sockets, again on reload', () =>
    withLab('gbufs', async (lab) => {
      const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
      lab.addAddress(a, '10.6.0.1/24');
      // Below the stock net.core.rmem_max (212992) for the plain option; above it with force.
      const config = (cmd: string[], monitor: string[]): string =>
        globalDefs('a', [...cmd, ...monitor]) + INSTANCE;
      const d = lab.start(
        impl,
        a,
        'bufs',
        config(
          ['vrrp_netlink_cmd_rcv_bufs 100000'],
          ['vrrp_netlink_monitor_rcv_bufs 500000', 'vrrp_netlink_monitor_rcv_bufs_force'],
        ),
      );
      await d.waitForState('VI_G', 'MASTER', 15_000);
      const vrrpPid = await waitUntil(
        () => existsSync(d.files.vrrpPid) && pidOf(d.files.vrrpPid),
        'VRRP pid file',
      );
      // The kernel reports twice the size asked.
      const first = rtnlReceiveBuffers(a.ns, vrrpPid);
      assert.ok(first.includes(200000), `command socket rb 200000 in ${JSON.stringify(first)}\n${d.log()}`);
      assert.ok(first.includes(1000000), `monitor socket rb 1000000 in ${JSON.stringify(first)}`);

      writeFileSync(
        d.files.config,
        config(
          ['vrrp_netlink_cmd_rcv_bufs 300000', 'vrrp_netlink_cmd_rcv_bufs_force'],
          ['vrrp_netlink_monitor_rcv_bufs 50000'],
        ),
      );
      const mark = d.mark();
      process.kill(pidOf(d.files.pid), 'SIGHUP');
      await d.waitForLog(/Reloading/i, 10_000, mark);
      const after = await waitUntil(
        () => {
          const now = rtnlReceiveBuffers(a.ns, vrrpPid);
          return now.includes(600000) && now.includes(100000) ? now : undefined;
        },
        () => `rb 600000 and 100000 after reload: ${JSON.stringify(rtnlReceiveBuffers(a.ns, vrrpPid))}`,
        10_000,
      );
      assert.ok(!after.includes(1000000), `the monitor socket shrank: ${JSON.stringify(after)}`);
      assert.equal(await d.stop(), 0, d.log());
    }));

  test('child_wait_time: a child that does not stop is killed after that many seconds', () =>
    withLab('gwait', async (lab) => {
      const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
      lab.addAddress(a, '10.6.0.1/24');
      const d = lab.start(impl, a, 'wait', 'child_wait_time 1\n' + globalDefs('a') + INSTANCE);
      await d.waitForState('VI_G', 'MASTER', 15_000);
      const vrrpPid = await waitUntil(
        () => existsSync(d.files.vrrpPid) && pidOf(d.files.vrrpPid),
        'VRRP pid file',
      );
      // A stopped child cannot act on SIGTERM: only the parent's SIGKILL ends it.
      process.kill(vrrpPid, 'SIGSTOP');
      const mark = d.mark();
      const started = Date.now();
      await d.stop('SIGTERM', 8000);
      const tookMs = Date.now() - started;
      await d.waitForLog(/vrrp process failed to die - forcing termination/, 1000, mark);
      // keepalived's default is 5 s (ours was 10 s): 1 s asked, give the shutdown a second more.
      assert.ok(tookMs >= 900 && tookMs < 2500, `stopped after ${tookMs} ms\n${d.log()}`);
      // SIGKILLed: gone, or a zombie its new parent has not reaped yet
      const gone = (): boolean => {
        try {
          return /^State:\s+[ZX]/m.test(readFileSync(`/proc/${vrrpPid}/status`, 'utf8'));
        } catch {
          return true;
        }
      };
      await waitUntil(gone, `VRRP child ${vrrpPid} killed`, 3000);
    }));

  test('reload_check_config: a config that fails -t is not loaded (the log says why); a good one is', () =>
    withLab('gcheck', async (lab) => {
      const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
      lab.addAddress(a, '10.6.0.1/24');
      const checkLog = `${lab.dir}/check.log`;
      const config = (vips: string[], extra: string[] = []): string =>
        globalDefs('a', [`reload_check_config ${checkLog}`]) +
        instanceConfig({ name: 'VI_G', vrid: 61, priority: 150, advertInt: 1, vips, extra });
      const d = lab.start(impl, a, 'check', config(['10.6.0.100/24']));
      await d.waitForState('VI_G', 'MASTER', 15_000);
      await waitUntil(() => hasAddress(a.ns, '10.6.0.100'), 'VIP 10.6.0.100');

      // An error (priority out of range) beside a new VIP: keepalived alone would load the VIP.
      writeFileSync(d.files.config, config(['10.6.0.100/24', '10.6.0.101/24'], ['priority 300']));
      let mark = d.mark();
      process.kill(pidOf(d.files.pid), 'SIGHUP');
      await d.waitForLog(/New config failed validation, see \S*check\.log for details/, 10_000, mark);
      assert.match(readFileSync(checkLog, 'utf8'), /300/, 'the check log says what failed');
      await sleep(2000);
      assert.ok(!hasAddress(a.ns, '10.6.0.101'), `the failed config was not loaded\n${d.log()}`);
      assert.ok(hasAddress(a.ns, '10.6.0.100'));

      writeFileSync(d.files.config, config(['10.6.0.100/24', '10.6.0.102/24']));
      mark = d.mark();
      process.kill(pidOf(d.files.pid), 'SIGHUP');
      await waitUntil(
        () => hasAddress(a.ns, '10.6.0.102'),
        () => `VIP 10.6.0.102 after a good reload\n${d.log()}`,
      );
      assert.ok(!d.lines.slice(mark).some((l) => /New config failed validation/.test(l)), d.log());
      assert.doesNotMatch(readFileSync(checkLog, 'utf8'), /300/, 'the check log was truncated');
      assert.equal(await d.stop(), 0, d.log());
    }));

  test('reload_file: exists while a reload reads the configuration (its check included), then goes', () =>
    withLab('grfile', async (lab) => {
      const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
      lab.addAddress(a, '10.6.0.1/24');
      const reloadFile = `${lab.dir}/keepalived.reload`;
      const checkLog = `${lab.dir}/check.log`;
      // With reload_check_config keepalived 2.2.7 keeps the file through its check (-t in a process of its
      // own): a window a poller sees. Without it the window is its parent's reading of the file alone.
      const config = (vips: string[]): string =>
        globalDefs('a', [`reload_file ${reloadFile}`, `reload_check_config ${checkLog}`]) +
        instanceConfig({ name: 'VI_G', vrid: 61, priority: 150, advertInt: 1, vips });
      const d = lab.start(impl, a, 'rfile', config(['10.6.0.100/24']));
      await d.waitForState('VI_G', 'MASTER', 15_000);
      await sleep(500);
      assert.ok(!existsSync(reloadFile), 'no reload file outside a reload');
      writeFileSync(d.files.config, config(['10.6.0.100/24', '10.6.0.104/24']));
      // A shell loop watching for the file: started before the SIGHUP, it says when it first saw it.
      const poller = spawn(
        'sh',
        [
          '-c',
          `i=0; while [ $i -lt 2000000 ]; do [ -e '${reloadFile}' ] && { echo seen; exit 0; }; i=$((i+1)); done; exit 1`,
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      let seen = false;
      poller.stdout.on('data', (b: Buffer) => (seen ||= b.toString().includes('seen')));
      const polled = new Promise<void>((resolve) => poller.on('exit', () => resolve()));
      await sleep(100);
      process.kill(pidOf(d.files.pid), 'SIGHUP');
      await polled;
      assert.ok(seen, `the reload file appeared during the reload\n${d.log()}`);
      await waitUntil(
        () => hasAddress(a.ns, '10.6.0.104'),
        () => `VIP 10.6.0.104 after the reload\n${d.log()}`,
      );
      await waitUntil(() => !existsSync(reloadFile), 'the reload file removed after the reload', 10_000);
      assert.equal(await d.stop(), 0, d.log());
      assert.ok(!existsSync(reloadFile));
    }));

  test('reload_time_file: the daemon reloads at the time written in the file, then removes it', () =>
    withLab('gtime', async (lab) => {
      const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
      lab.addAddress(a, '10.6.0.1/24');
      const timeFile = `${lab.dir}/reload.time`;
      const config = (vips: string[]): string =>
        globalDefs('a', [`reload_time_file ${timeFile}`]) +
        instanceConfig({ name: 'VI_G', vrid: 61, priority: 150, advertInt: 1, vips });
      const d = lab.start(impl, a, 'time', config(['10.6.0.100/24']));
      await d.waitForState('VI_G', 'MASTER', 15_000);
      // the new configuration is on disk, and nobody sends SIGHUP
      writeFileSync(d.files.config, config(['10.6.0.100/24', '10.6.0.103/24']));
      const mark = d.mark();
      const at = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000);
      const p = (v: number): string => String(v).padStart(2, '0');
      const text = `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())} ${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}`;
      writeFileSync(timeFile, `${text}\n`);
      await d.waitForLog(new RegExp(`Scheduling reload for ${text}`), 5000, mark);
      await sleep(Math.max(0, at.getTime() - Date.now() - 500));
      assert.ok(!hasAddress(a.ns, '10.6.0.103'), `no reload before ${text}\n${d.log()}`);
      await waitUntil(
        () => hasAddress(a.ns, '10.6.0.103'),
        () => `VIP 10.6.0.103 after ${text}\n${d.log()}`,
        8000,
      );
      // a dated time is used up: the file goes
      assert.ok(!existsSync(timeFile), 'reload_time_file removed');
      assert.equal(await d.stop(), 0, d.log());
    }));

  test('vrrp_rx_bufs_policy / _multiplier and kernel_rx_buf_size size the VRRP socket, again on reload', (t) =>
    withLab('grx', async (lab) => {
      const missing = missingTools('python3');
      if (missing !== undefined) {
        t.skip(missing);
        return;
      }
      const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
      lab.addAddress(a, '10.6.0.1/24');
      const config = (policy: string[]): string =>
        globalDefs('a', policy) +
        instanceConfig({ name: 'VI_1', vrid: 61, priority: 150, advertInt: 1, vips: ['10.6.0.100/24'] }) +
        instanceConfig({
          name: 'VI_2',
          vrid: 62,
          priority: 150,
          advertInt: 1,
          vips: ['10.6.0.101/24', '10.6.0.102/24'],
        }) +
        instanceConfig({
          name: 'VI_3',
          vrid: 63,
          priority: 150,
          advertInt: 1,
          vips: ['10.6.0.103/24'],
          extra: ['kernel_rx_buf_size 30000'],
        });
      const d = lab.start(
        impl,
        a,
        'rx',
        config(['vrrp_rx_bufs_policy ADVERT', 'vrrp_rx_bufs_multiplier 100']),
      );
      await d.waitForState('VI_3', 'MASTER', 15_000);
      const vrrpPid = await waitUntil(
        () => existsSync(d.files.vrrpPid) && pidOf(d.files.vrrpPid),
        'VRRP pid file',
      );
      // VRRPv2 over IPv4 adverts of 40 and 44 bytes (20 IP + 8 + 8 auth + 4 a VIP), 100 times each, plus
      // VI_3's own 30000: 38400, which the kernel doubles.
      const first = vrrpSocketBuffers(vrrpPid);
      assert.ok(first.includes(76800), `a VRRP socket of 76800 in ${JSON.stringify(first)}\n${d.log()}`);

      writeFileSync(d.files.config, config(['vrrp_rx_bufs_policy 20000']));
      const mark = d.mark();
      process.kill(pidOf(d.files.pid), 'SIGHUP');
      await d.waitForLog(/Reloading/i, 10_000, mark);
      // 20000 + 20000 + 30000, doubled
      await waitUntil(
        () =>
          vrrpSocketBuffers(existsSync(d.files.vrrpPid) ? pidOf(d.files.vrrpPid) : vrrpPid).includes(140000),
        () =>
          `a VRRP socket of 140000 after reload: ${JSON.stringify(vrrpSocketBuffers(vrrpPid))}\n${d.log()}`,
        10_000,
      );
      assert.equal(await d.stop(), 0, d.log());
    }));

  test("config_save_dir: the parent's copy of each configuration read; the VRRP child's dump before (.pre) and after (.post) each reload", () =>
    withLab('gsave', async (lab) => {
      const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
      lab.addAddress(a, '10.6.0.1/24');
      const saveDir = `${lab.dir}/saved`;
      mkdirSync(saveDir);
      // A virtual server too, for the checker child's dumps (keepalived's checker needs ip_vs).
      const withChecker = impl === 'ours' || existsSync('/proc/net/ip_vs');
      const virtualServer = withChecker
        ? 'virtual_server 10.6.0.1 80 {\n  lvs_method NAT\n  protocol TCP\n  real_server 10.6.0.2 80 {\n' +
          '    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n'
        : '';
      const config = (vips: string[]): string =>
        globalDefs('a', [`config_save_dir ${saveDir}`]) +
        instanceConfig({ name: 'VI_G', vrid: 61, priority: 150, advertInt: 1, vips }) +
        virtualServer;
      const d = lab.start(impl, a, 'save', config(['10.6.0.100/24']), withChecker ? [] : undefined);
      await d.waitForState('VI_G', 'MASTER', 15_000);
      const vrrpPid = await waitUntil(
        () => existsSync(d.files.vrrpPid) && pidOf(d.files.vrrpPid),
        'VRRP pid file',
      );
      // The parent's copy of the configuration it read: the logical lines, file by file.
      const parentPid = pidOf(d.files.pid);
      const copy = (n: number): string => `${saveDir}/keepalived.conf.${parentPid}.${n}`;
      assert.deepEqual(
        readdirSync(saveDir),
        [`keepalived.conf.${parentPid}.0`],
        'only the copy before a reload',
      );
      assert.match(
        readFileSync(copy(0), 'utf8'),
        new RegExp(`^# ${d.files.config}\\n[^]*^10\\.6\\.0\\.100/24$[^]*^!$`, 'm'),
      );
      const reload = async (vips: string[]): Promise<void> => {
        writeFileSync(d.files.config, config(vips));
        const mark = d.mark();
        process.kill(pidOf(d.files.pid), 'SIGHUP');
        await d.waitForLog(/Reloading/i, 10_000, mark);
      };
      await reload(['10.6.0.100/24', '10.6.0.104/24']);
      const name = (n: number, when: string): string => `${saveDir}/keepalived_vrrp.${vrrpPid}.${n}.${when}`;
      await waitUntil(
        () => existsSync(name(1, 'pre')) && existsSync(name(1, 'post')),
        () => `${name(1, 'pre')} and .post: ${JSON.stringify(readdirSync(saveDir))}\n${d.log()}`,
        10_000,
      );
      // The dump lists the VIPs: the new one only after the reload.
      await waitUntil(
        () => readFileSync(name(1, 'post'), 'utf8').includes('10.6.0.104'),
        () => `10.6.0.104 in the .post dump:\n${readFileSync(name(1, 'post'), 'utf8')}`,
        5000,
      );
      const pre = readFileSync(name(1, 'pre'), 'utf8');
      assert.ok(pre.includes('10.6.0.100') && !pre.includes('10.6.0.104'), `.pre dump:\n${pre}`);
      await waitUntil(
        () => existsSync(copy(1)) && readFileSync(copy(1), 'utf8').includes('10.6.0.104/24'),
        () => `the parent's copy of the reloaded configuration: ${JSON.stringify(readdirSync(saveDir))}`,
        10_000,
      );
      if (withChecker) {
        const checkerPid = pidOf(d.files.checkersPid);
        const checkerFile = (when: string): string => `${saveDir}/keepalived_check.${checkerPid}.1.${when}`;
        await waitUntil(
          () => existsSync(checkerFile('pre')) && existsSync(checkerFile('post')),
          () => `the checker's dumps: ${JSON.stringify(readdirSync(saveDir))}\n${d.log()}`,
          10_000,
        );
      }
      // The next reload counts on.
      await reload(['10.6.0.100/24']);
      await waitUntil(
        () => existsSync(name(2, 'pre')) && existsSync(name(2, 'post')),
        () => `reload 2 files: ${JSON.stringify(readdirSync(saveDir))}`,
        10_000,
      );
      assert.equal(await d.stop(), 0, d.log());
    }));

  test('a notify script reached through a symbolic link runs as the file it leads to; use_symlink_paths: as written', (t) =>
    withLab('glink', async (lab) => {
      const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
      lab.addAddress(a, '10.6.0.1/24');
      mkdirSync(`${lab.dir}/real`);
      mkdirSync(`${lab.dir}/links`);
      const record = `${lab.dir}/run-as`;
      // $0 of a script is the path it was executed by
      const target = lab.writeScript('real/target.sh', `echo "$0 $1" >> ${record}`);
      const link = `${lab.dir}/links/notify.sh`;
      symlinkSync(target, link);
      const runs = async (keepLinks: boolean): Promise<string> => {
        rmSync(record, { force: true });
        const config =
          globalDefs('a', keepLinks ? ['use_symlink_paths'] : []) +
          instanceWith([`notify_master "${link} master"`]);
        const d = lab.start(impl, a, keepLinks ? 'links' : 'targets', config);
        await d.waitForState('VI_G', 'MASTER', 15_000);
        const line = await waitUntil(
          () => existsSync(record) && readFileSync(record, 'utf8').trim(),
          () => `notify_master ran\n${d.log()}`,
        );
        assert.equal(await d.stop(), 0, d.log());
        return line;
      };
      // keepalived resolves the link (check_script_secure): the target's directory, its name when no file
      // of the link's name there is the same file
      assert.equal(await runs(false), `${target} master`);
      if (impl === 'keepalived') {
        t.diagnostic('use_symlink_paths: keepalived 2.3 and later; 2.2.7 does not know it');
        return;
      }
      assert.equal(await runs(true), `${link} master`);
    }));

  test('iproute_etc_dir: a route in `table NAME` lands in the table rt_tables there names', (t) =>
    withLab('gtab', async (lab) => {
      if (impl === 'keepalived') {
        t.skip('not applicable: keepalived 2.2.7 has no iproute_etc_dir (it reads /etc/iproute2 only)');
        return;
      }
      const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
      lab.addAddress(a, '10.6.0.1/24');
      const etc = `${lab.dir}/iproute2`;
      mkdirSync(`${etc}/rt_tables.d`, { recursive: true });
      writeFileSync(`${etc}/rt_tables`, '# test tables\n100 kts_red\n');
      writeFileSync(`${etc}/rt_tables.d/extra.conf`, '101 kts_blue\n');
      const config =
        globalDefs('a', [`iproute_etc_dir ${etc}`]) +
        'static_routes {\n  10.61.0.0/16 dev eth0 table kts_red\n}\n' +
        instanceWith(['virtual_routes {', '  10.62.0.0/16 dev eth0 table kts_blue', '}']);
      const d = lab.start(impl, a, 'tables', config);
      await d.waitForState('VI_G', 'MASTER', 15_000);
      const table = (n: number): string =>
        netnsExec(a.ns, ['ip', 'route', 'show', 'table', String(n)]).stdout;
      await waitUntil(
        () => table(100).includes('10.61.0.0/16') && table(101).includes('10.62.0.0/16'),
        () => `routes in tables 100 and 101: ${table(100)} | ${table(101)}\n${d.log()}`,
      );
      assert.ok(!table(254).includes('10.61.0.0/16'), 'not in main');
      assert.equal(await d.stop(), 0, d.log());
    }));
});

// keepalived's checker child exits (FATAL, taking the daemon with it) without the ip_vs module.
const checkerSkip =
  skipReason ??
  (impl === 'keepalived' && !existsSync('/proc/net/ip_vs')
    ? "not applicable: keepalived's checker child needs the ip_vs kernel module, absent here"
    : undefined);

gated(checkerSkip).describe(`global_defs checker keywords (${impl})`, () => {
  gated(checkerSkip).test(
    'lvs_netlink_cmd/monitor_rcv_bufs[_force] size the checker child sockets, again on reload',
    () =>
      withLab('glvsbufs', async (lab) => {
        const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
        lab.addAddress(a, '10.6.0.1/24');
        // ha_suspend: the checker watches this host's addresses (keepalived opens its sockets only then).
        const config = (bufs: string[]): string =>
          globalDefs('a', bufs) +
          [
            'virtual_server 10.6.0.1 80 {',
            '  lvs_method NAT',
            '  protocol TCP',
            '  ha_suspend',
            '  real_server 10.6.0.2 80 {',
            '    TCP_CHECK {',
            '      connect_timeout 1',
            '    }',
            '  }',
            '}',
            '',
          ].join('\n');
        const d = lab.start(
          impl,
          a,
          'lvsbufs',
          config([
            'lvs_netlink_cmd_rcv_bufs 110000',
            'lvs_netlink_monitor_rcv_bufs 450000',
            'lvs_netlink_monitor_rcv_bufs_force',
          ]),
          [],
        );
        const checkerPid = await waitUntil(
          () => (existsSync(d.files.checkersPid) ? pidOf(d.files.checkersPid) : undefined),
          () => `checker pid file\n${d.log()}`,
          10_000,
        );
        // The kernel reports twice the size asked; keepalived closes its command socket once it has listed
        // the addresses, ours keeps it for the re-listing after an overrun.
        const first = await waitUntil(
          () => {
            const now = rtnlReceiveBuffers(a.ns, checkerPid);
            return now.includes(900000) ? now : undefined;
          },
          () =>
            `monitor socket rb 900000: ${JSON.stringify(rtnlReceiveBuffers(a.ns, checkerPid))}\n${d.log()}`,
          10_000,
        );
        if (impl === 'ours')
          assert.ok(first.includes(220000), `command socket rb 220000 in ${JSON.stringify(first)}`);

        writeFileSync(
          d.files.config,
          config([
            'lvs_netlink_cmd_rcv_bufs 330000',
            'lvs_netlink_cmd_rcv_bufs_force',
            'lvs_netlink_monitor_rcv_bufs 60000',
          ]),
        );
        const mark = d.mark();
        process.kill(pidOf(d.files.pid), 'SIGHUP');
        await d.waitForLog(/Reloading/i, 10_000, mark);
        const pidNow = (): number =>
          existsSync(d.files.checkersPid) ? pidOf(d.files.checkersPid) : checkerPid;
        const after = await waitUntil(
          () => {
            const now = rtnlReceiveBuffers(a.ns, pidNow());
            return now.includes(120000) && (impl !== 'ours' || now.includes(660000)) ? now : undefined;
          },
          () =>
            `rb 120000 (and 660000) after reload: ${JSON.stringify(rtnlReceiveBuffers(a.ns, pidNow()))}\n${d.log()}`,
          10_000,
        );
        assert.ok(!after.includes(900000), `the monitor socket shrank: ${JSON.stringify(after)}`);
        assert.equal(await d.stop(), 0, d.log());
      }),
  );
});
