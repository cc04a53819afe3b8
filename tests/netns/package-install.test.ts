// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// The Debian package (npm run package:deb) as a user gets it: built from this checkout, unpacked into a
// throwaway root with `dpkg-deb -x` (an `apt install` would change this host; a debootstrap chroot takes
// minutes: scripts/try-deb-in-chroot.sh does that by hand), its launcher run from there inside network
// namespaces, its unit checked by systemd-analyze; `apt-get install --simulate` resolves its Depends against
// this host's packages without changing anything, and its archive is checked with dpkg-deb --info/--contents.
// The daemon is started from the unpacked tree the way keepalived-ts.service starts it (--dont-fork,
// $NOTIFY_SOCKET set), and must say READY=1 with its own pid as systemd's Type=notify expects.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../../src/net/native.js';
import { NativeSocket } from '../../src/net/socket.js';
import { exec, NetnsLab, netnsExec, run, waitForExit, type LanMember } from '../helpers/netns.js';
import { firstReason, gated, missingTools, needsRoot } from '../helpers/requirements.js';

const { describe, test, before, after } = gated(
  firstReason(needsRoot(), missingTools('dpkgDeb', 'systemdAnalyze', 'aptGet')),
);

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const UNIT = 'lib/systemd/system/keepalived-ts.service';

/** Waits (polling, tests only) for a datagram on `socket` whose text satisfies `match`. */
async function notification(socket: NativeSocket, match: (text: string) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  const seen: string[] = [];
  while (Date.now() < deadline) {
    const message = socket.receive();
    if (message === null) await new Promise((r) => setTimeout(r, 20));
    else {
      const text = message.data.toString();
      seen.push(text);
      if (match(text)) return text;
    }
  }
  throw new Error(`no matching sd_notify message within ${timeoutMs} ms; got ${JSON.stringify(seen)}`);
}

void describe('the Debian package, unpacked into a throwaway root', () => {
  let work: string;
  let deb: string;
  let root: string;
  let lab: NetnsLab;
  let router: LanMember;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'kts-pkg-'));
    const out = run([process.execPath, join(repo, 'scripts', 'package-deb.js'), '--out', work], {
      timeoutMs: 120_000,
    });
    deb = out.trim().split('\n').pop() as string;
    root = join(work, 'root');
    run(['dpkg-deb', '-x', deb, root]);
    lab = new NetnsLab('pkg');
    [router] = lab.lan(['r1']) as [LanMember];
    lab.addAddress(router, '192.0.2.1/24');
  });

  after(() => {
    lab?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  void test('control: Depends on nodejs >= 20, /etc/default/keepalived-ts is a conffile', () => {
    const field = (name: string) => run(['dpkg-deb', '--field', deb, name]).trim();
    assert.equal(field('Package'), 'keepalived-ts');
    assert.equal(field('Depends'), 'nodejs (>= 20)');
    assert.equal(field('Architecture'), run(['dpkg', '--print-architecture']).trim());
    assert.equal(
      field('Conflicts'),
      '',
      'coexists with keepalived: the units exclude each other, not the packages',
    );
    const control = join(work, 'control');
    run(['dpkg-deb', '--control', deb, control]);
    assert.equal(readFileSync(join(control, 'conffiles'), 'utf8'), '/etc/default/keepalived-ts\n');
    for (const script of ['postinst', 'prerm', 'postrm']) {
      assert.equal(exec(['sh', '-n', join(control, script)]).status, 0, `${script} parses`);
      const code = readFileSync(join(control, script), 'utf8')
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('#'))
        .join('\n');
      // Installing must not enable or start the service (it would stop a running keepalived).
      assert.doesNotMatch(
        code,
        /systemctl[^\n]*\s(start|enable|restart)\b|deb-systemd-invoke\s+start|helper\s+enable/,
      );
    }
  });

  void test('the tree: launcher, compiled sources, native addon, production dependencies only', () => {
    const lib = join(root, 'usr/lib/keepalived-ts');
    for (const path of [
      'usr/bin/keepalived-ts',
      'usr/lib/keepalived-ts/dist/src/cli/main.js',
      'usr/lib/keepalived-ts/native/build/Release/keepalived_native.node',
      'usr/lib/keepalived-ts/node_modules/prom-client/package.json',
      'usr/lib/keepalived-ts/node_modules/nodemailer/package.json',
      'usr/lib/keepalived-ts/node_modules/dbus-next/package.json',
      'usr/share/dbus-1/system.d/keepalived-ts.conf',
      UNIT,
      'etc/default/keepalived-ts',
    ])
      assert.ok(existsSync(join(root, path)), path);
    for (const dev of ['typescript', 'eslint', 'prettier'])
      assert.ok(!existsSync(join(lib, 'node_modules', dev)), `dev dependency ${dev} is not shipped`);
    assert.ok(!existsSync(join(lib, 'dist', 'tests')), 'tests are not shipped');
    assert.match(readFileSync(join(root, 'etc/default/keepalived-ts'), 'utf8'), /^DAEMON_ARGS=""$/m);
  });

  void test('dpkg-deb --info / --contents: maintainer scripts, root-owned files where a package puts them, md5sums of each', () => {
    const info = run(['dpkg-deb', '--info', deb]);
    for (const script of ['postinst', 'prerm', 'postrm'])
      assert.match(info, new RegExp(`^\\s+\\d+ bytes,\\s+\\d+ lines\\s+\\*\\s+${script}\\s+#!/bin/sh$`, 'm'));
    for (const member of ['control', 'conffiles', 'md5sums'])
      assert.match(info, new RegExp(`^\\s+\\d+ bytes,\\s+\\d+ lines\\s+${member}\\b`, 'm'));
    assert.match(info, /^ Installed-Size: \d+$/m);

    const allowed =
      /^\.\/(|etc\/|etc\/default\/|etc\/default\/keepalived-ts|lib\/|lib\/systemd\/|lib\/systemd\/system\/|lib\/systemd\/system\/keepalived-ts\.service|usr\/|usr\/bin\/|usr\/bin\/keepalived-ts|usr\/lib\/|usr\/lib\/keepalived-ts\/.*|usr\/share\/|usr\/share\/doc\/|usr\/share\/doc\/keepalived-ts\/.*|usr\/share\/dbus-1\/|usr\/share\/dbus-1\/system\.d\/|usr\/share\/dbus-1\/system\.d\/keepalived-ts\.conf)$/;
    const files: string[] = [];
    for (const line of run(['dpkg-deb', '--contents', deb]).trim().split('\n')) {
      const [mode = '', owner = '', , , , path = '', ...rest] = line.split(/\s+/);
      assert.equal(owner, 'root/root', line);
      assert.match(path, allowed, `${path}: outside the package's own places`);
      assert.ok(!/[sS]/.test(mode) && mode[8] !== 'w', `${line}: no set-id or world-writable entries`);
      assert.equal(rest.length, 0, `${line}: no links`);
      if (mode.startsWith('-')) files.push(path.slice(2));
    }
    assert.ok(files.includes('usr/bin/keepalived-ts'));

    const control = join(work, 'control-md5');
    run(['dpkg-deb', '--control', deb, control]);
    const sums = new Map(
      readFileSync(join(control, 'md5sums'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(34), l.slice(0, 32)] as const),
    );
    // every file but the conffile, with the sum of what dpkg-deb -x unpacked
    assert.deepEqual([...sums.keys()].sort(), files.filter((f) => f !== 'etc/default/keepalived-ts').sort());
    for (const [file, sum] of sums)
      assert.equal(
        createHash('md5')
          .update(readFileSync(join(root, file)))
          .digest('hex'),
        sum,
        file,
      );
  });

  void test('apt-get install --simulate resolves its Depends on this host (changing nothing), and refuses an unmet one', () => {
    const installed = () => exec(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'keepalived-ts']).stdout;
    const before = installed();
    // --simulate takes no lock and changes nothing (apt-get(8)); a path with a slash is a local .deb
    const ok = exec(['apt-get', 'install', '--simulate', '--no-install-recommends', deb], {
      timeoutMs: 120_000,
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^Inst keepalived-ts \(\d+\.\d+\.\d+ local-deb \[\w+\]\)/m);
    assert.match(ok.stdout, /^Conf keepalived-ts /m);
    assert.doesNotMatch(ok.stdout, /^Remv /m, 'installing removes nothing (keepalived stays)');
    assert.equal(installed(), before, 'the host is unchanged');

    // the same package wanting a Node that does not exist: apt must refuse it
    const raw = join(work, 'raw');
    run(['dpkg-deb', '-R', deb, raw]);
    const controlFile = join(raw, 'DEBIAN', 'control');
    writeFileSync(
      controlFile,
      readFileSync(controlFile, 'utf8').replace(/^Depends: .*$/m, 'Depends: nodejs (>= 999)'),
    );
    const unmeetable = join(work, 'unmeetable.deb');
    run(['dpkg-deb', '--root-owner-group', '-Zxz', '-b', raw, unmeetable], { timeoutMs: 120_000 });
    const refused = exec(['apt-get', 'install', '--simulate', unmeetable], { timeoutMs: 120_000 });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stdout + refused.stderr, /nodejs \(>= 999\)/);
  });

  void test('keepalived-ts --version and -t run from the unpacked root, inside namespaces', () => {
    const bin = join(root, 'usr/bin/keepalived-ts');
    const version = netnsExec(router.ns, [bin, '--version']);
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stderr, /^Keepalived v\d+\.\d+\.\d+ \(keepalived-ts\)$/m);

    // The example names eth0: the router's namespace has one, a bare namespace has none.
    const example = join(repo, 'examples', 'lb1.conf');
    const ok = netnsExec(router.ns, [bin, '-t', '-f', example]);
    assert.equal(ok.status, 0, ok.stderr);
    const bare = lab.namespace('bare');
    const missing = netnsExec(bare, [bin, '-t', '-f', example]);
    assert.equal(missing.status, 5, 'keepalived exit code for a config error');
    assert.match(missing.stderr, /interface eth0 does not exist/);
  });

  void test('systemd-analyze verify accepts the installed unit (and refuses it without its launcher)', () => {
    // Verified against the throwaway root, with the host's boot targets and /bin/kill (ExecReload) beside it,
    // as on any Debian system.
    const units = join(root, 'lib/systemd/system');
    for (const target of [
      'sysinit.target',
      'basic.target',
      'shutdown.target',
      'network-online.target',
      'multi-user.target',
    ])
      copyFileSync(join('/lib/systemd/system', target), join(units, target));
    mkdirSync(join(root, 'bin'), { recursive: true });
    copyFileSync('/bin/kill', join(root, 'bin', 'kill'));
    const verify = () =>
      exec(['systemd-analyze', 'verify', `--root=${root}`, join(root, UNIT)], { timeoutMs: 60_000 });
    const good = verify();
    assert.equal(good.status, 0, good.stderr);
    assert.equal(good.stderr.trim(), '');

    const launcher = join(root, 'usr/bin/keepalived-ts');
    const saved = readFileSync(launcher);
    rmSync(launcher);
    try {
      const bad = verify();
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /keepalived-ts is not executable/);
    } finally {
      writeFileSync(launcher, saved, { mode: 0o755 });
    }
  });

  void test('started as the unit starts it: READY=1 with MAINPID, a VIP, STOPPING=1 and exit 0 on SIGTERM', async () => {
    const dir = join(work, 'daemon');
    mkdirSync(dir);
    const config = join(dir, 'keepalived.conf');
    writeFileSync(
      config,
      [
        'vrrp_instance VI_1 {',
        '  state MASTER',
        `  interface ${router.ifname}`,
        '  virtual_router_id 51',
        '  priority 150',
        '  advert_int 1',
        '  virtual_ipaddress {',
        '    192.0.2.100/24',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const c = native().constants;
    const notifyPath = join(dir, 'notify');
    const socket = NativeSocket.open(c.AF_UNIX, c.SOCK_DGRAM, 0, 4096);
    socket.bind({ family: 'unix', path: notifyPath });
    try {
      const pids = ['pid', 'vrrp', 'checkers', 'bfd'].map((n) => join(dir, `${n}.pid`));
      const daemon = lab.spawn(
        router.ns,
        [
          join(root, 'usr/bin/keepalived-ts'),
          '--dont-fork',
          '-P',
          '-l',
          '-f',
          config,
          ...['-p', '-r', '-c', '-b'].flatMap((flag, i) => [flag, pids[i] as string]),
        ],
        { ...process.env, NOTIFY_SOCKET: notifyPath, TMPDIR: dir },
      );
      const exited = waitForExit(daemon, 60_000);
      const ready = await notification(socket, (t) => t.startsWith('READY=1'));
      // The launcher and `ip netns exec` exec, so the pid systemd would watch is the daemon itself.
      assert.equal(ready, `READY=1\nMAINPID=${daemon.pid}`);

      const deadline = Date.now() + 15_000;
      while (
        !run(['ip', '-n', router.ns, '-4', 'addr', 'show', 'dev', router.ifname]).includes('192.0.2.100/24')
      ) {
        assert.ok(Date.now() < deadline, 'the VIP is installed once MASTER');
        await new Promise((r) => setTimeout(r, 100));
      }

      daemon.kill('SIGTERM');
      await notification(socket, (t) => t === 'STOPPING=1');
      const result = await exited;
      assert.equal(result.status, 0, result.stderr);
    } finally {
      socket.close();
    }
  });
});
