// Pid file naming, the already-running check, console log format and the dump files: pure parts of the
// daemon's operational surface, checked against what keepalived 2.2.7 does (see the comments).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { parseCommandLine, type DaemonOptions } from '../../../../src/cli/options.js';
import { alreadyRunning, resolvePidFiles } from '../../../../src/daemon/process/pidfile.js';
import { consoleTimestamp, logFileFor } from '../../../../src/daemon/process/log.js';
import { signalNumber } from '../../../../src/daemon/process/signals.js';

function options(argv: string[]): DaemonOptions {
  const r = parseCommandLine(argv);
  assert.equal(r.kind, 'daemon');
  return (r as { options: DaemonOptions }).options;
}

describe('pid files', () => {
  test('defaults: /run/keepalived.pid, /run/vrrp.pid, /run/checkers.pid, /run/bfd.pid', () => {
    const f = resolvePidFiles(options([]), {});
    assert.deepEqual(
      [f.main, f.vrrp, f.checkers, f.bfd, f.dir],
      ['/run/keepalived.pid', '/run/vrrp.pid', '/run/checkers.pid', '/run/bfd.pid', undefined],
    );
  });

  test('instance NAME: /run/keepalived/keepalived_NAME.pid and vrrp_NAME.pid', () => {
    const f = resolvePidFiles(options([]), { instance: 'foo' });
    assert.equal(f.main, '/run/keepalived/keepalived_foo.pid');
    assert.equal(f.vrrp, '/run/keepalived/vrrp_foo.pid');
    assert.equal(f.checkers, '/run/keepalived/checkers_foo.pid');
  });

  test('namespace (keepalived 2.2.7 observed): /run/keepalived/NS/keepalived_INSTANCE.pid', () => {
    const f = resolvePidFiles(options(['-s', 'blue']), { instance: 'foo' });
    assert.equal(f.main, '/run/keepalived/blue/keepalived_foo.pid');
    assert.equal(f.vrrp, '/run/keepalived/blue/vrrp_foo.pid');
    assert.equal(f.dir, '/run/keepalived/blue');
    const g = resolvePidFiles(options([]), { namespace: 'red' });
    assert.equal(g.main, '/run/keepalived/red/keepalived.pid');
  });

  test('use_pid_dir: /run/keepalived/NAME.pid; explicit -p/-r win over every rule', () => {
    assert.equal(resolvePidFiles(options([]), { usePidDir: true }).vrrp, '/run/keepalived/vrrp.pid');
    const f = resolvePidFiles(options(['-p', '/tmp/k.pid', '-r', '/tmp/v.pid']), { instance: 'x' });
    assert.deepEqual(
      [f.main, f.vrrp, f.checkers],
      ['/tmp/k.pid', '/tmp/v.pid', '/run/keepalived/checkers_x.pid'],
    );
  });

  test('already running: a live pid in the main file or in the file of a child this run would start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-pid-'));
    const sleeper = spawn('sleep', ['30']);
    try {
      const live = String(sleeper.pid);
      const o = options([
        '-p',
        join(dir, 'k.pid'),
        '-r',
        join(dir, 'v.pid'),
        '-c',
        join(dir, 'c.pid'),
        '-b',
        join(dir, 'b.pid'),
      ]);
      const files = resolvePidFiles(o, {});
      assert.equal(alreadyRunning(o, files), undefined, 'no files: not running');
      writeFileSync(files.main, '999999999\n');
      assert.equal(alreadyRunning(o, files), undefined, 'a dead pid does not count');
      writeFileSync(files.checkers, `${live}\n`);
      assert.deepEqual(alreadyRunning(o, files), { path: files.checkers, pid: sleeper.pid });
      // -P runs no checker child: its pid file does not matter (keepalived_running(daemon_mode)).
      const vrrpOnly = options([
        '-P',
        '-p',
        files.main,
        '-r',
        files.vrrp,
        '-c',
        files.checkers,
        '-b',
        files.bfd,
        '-B',
      ]);
      assert.equal(alreadyRunning(vrrpOnly, files), undefined);
    } finally {
      sleeper.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('log format', () => {
  test('console stamp is strftime %c in the C locale, as keepalived -l prints it', () => {
    assert.equal(consoleTimestamp(new Date(2026, 10, 27, 7, 32, 22)), 'Fri Nov 27 07:32:22 2026');
    assert.equal(consoleTimestamp(new Date(2026, 0, 5, 17, 3, 9)), 'Mon Jan  5 17:03:09 2026');
  });

  test('-g FILE: the child suffix goes before the extension', () => {
    assert.equal(logFileFor('/tmp/keepalived.log', '_vrrp'), '/tmp/keepalived_vrrp.log');
    assert.equal(logFileFor('/var/log/ka', '_healthcheckers'), '/var/log/ka_healthcheckers');
    assert.equal(logFileFor('/var/log.d/ka', '_vrrp'), '/var/log.d/ka_vrrp');
    assert.equal(logFileFor('/tmp/k.log', ''), '/tmp/k.log');
  });
});

describe('signal numbers', () => {
  test('as keepalived 2.2.7 --signum prints them on Linux/glibc', () => {
    assert.deepEqual(['STOP', 'RELOAD', 'DATA', 'STATS', 'STATS_CLEAR', 'JSON', 'TDATA'].map(signalNumber), [
      15,
      1,
      10,
      12,
      63,
      36,
      undefined,
    ]);
  });
});
