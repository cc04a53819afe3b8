import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, type DaemonOptions, type ParsedCommandLine } from '../../../src/cli/options.js';

function parsed(argv: string[]): Extract<ParsedCommandLine, { kind: 'daemon' }> {
  const r = parseCommandLine(argv);
  assert.equal(r.kind, 'daemon', JSON.stringify(r));
  return r as Extract<ParsedCommandLine, { kind: 'daemon' }>;
}

function daemon(argv: string[]): DaemonOptions {
  return parsed(argv).options;
}

function errors(argv: string[]): string[] {
  const r = parseCommandLine(argv);
  assert.equal(r.kind, 'error', JSON.stringify(r));
  return (r as { messages: string[] }).messages;
}

describe('command line', () => {
  test('defaults are keepalived defaults', () => {
    const o = daemon([]);
    assert.equal(o.configFile, '/etc/keepalived/keepalived.conf');
    assert.equal(o.pidFile, '/run/keepalived.pid');
    assert.equal(o.vrrpPidFile, '/run/vrrp.pid');
    assert.equal(o.checkersPidFile, '/run/checkers.pid');
    assert.equal(o.bfdPidFile, '/run/bfd.pid');
    assert.deepEqual(o.pidFilesGiven, { main: false, vrrp: false, checkers: false, bfd: false });
    assert.equal(o.logFacility, 'daemon');
    assert.equal(o.configTest, false);
  });

  test('short options bundle and take attached or separate values', () => {
    const o = daemon(['-nlD', '-f', '/tmp/a.conf', '-Slocal3', '-P']);
    assert.equal(o.dontFork, true);
    assert.equal(o.logConsole, true);
    assert.equal(o.logDetail, true);
    assert.equal(o.logExtraDetail, false);
    assert.equal(o.configFile, '/tmp/a.conf');
    assert.equal(o.logFacility, 'local3');
    assert.equal(o.vrrpOnly, true);
    assert.equal(daemon(['-f/x.conf']).configFile, '/x.conf');
    assert.equal(daemon(['-nf', '/y.conf']).configFile, '/y.conf');
    assert.equal(daemon(['-DD']).logExtraDetail, true);
  });

  test('long options with = or a separate value, and unambiguous prefixes', () => {
    const o = daemon([
      '--use-file=/a',
      '--pid',
      '/p',
      '--vrrp_pid=/v',
      '--checkers_pid',
      '/c',
      '--bfd_pid=/b',
      '--config-id',
      'lb1',
    ]);
    assert.deepEqual(
      [o.configFile, o.pidFile, o.vrrpPidFile, o.checkersPidFile, o.bfdPidFile, o.configId],
      ['/a', '/p', '/v', '/c', '/b', 'lb1'],
    );
    assert.deepEqual(o.pidFilesGiven, { main: true, vrrp: true, checkers: true, bfd: true });
    assert.equal(daemon(['--use=/z']).configFile, '/z');
    assert.equal(daemon(['--dont-f']).dontFork, true);
    // --dont-re is both --dont-release-* and --dont-respawn: ambiguous, so unknown.
    assert.deepEqual(errors(['--dont-re']), ['Unknown option --dont-re']);
  });

  test('every keepalived 2.4 option is accepted', () => {
    const o = daemon([
      '-B',
      '--all',
      '-a',
      '-x',
      '-A',
      '/sock',
      '-m',
      '-e',
      '-X',
      '-V',
      '-I',
      '-R',
      '-G',
      '-u',
      '022',
      '-s',
      'blue',
      '--flush-log-file',
      '-g/tmp/k.log',
      '--no-mem-check',
      '--debug=DvEc',
      '--perf=all',
      '--ignore-sigint',
      '--config-fd=7',
    ]);
    assert.equal(o.noBfd, true);
    assert.equal(o.runAll, true);
    assert.equal(o.addressMonitoring, true);
    assert.equal(o.snmp, true);
    assert.equal(o.snmpAgentSocket, '/sock');
    assert.equal(o.coreDump, true);
    assert.equal(o.allConfig, true);
    assert.deepEqual(
      [o.releaseVips, o.dontReleaseVrrp, o.dontReleaseIpvs, o.dontRespawn, o.noSyslog],
      [true, true, true, true, true],
    );
    assert.equal(o.umask, 0o22);
    assert.equal(o.namespace, 'blue');
    assert.equal(o.flushLogFile, true);
    assert.equal(o.logFile, '/tmp/k.log');
    assert.equal(o.noMemCheck, true);
    assert.equal(o.debugOptions, 'DvEc');
    assert.equal(o.perf, 'all');
    assert.equal(o.ignoreSigint, true);
    assert.equal(o.configFd, 7);
  });

  test('optional values: -g, -M and -t only take an attached value', () => {
    assert.equal(daemon(['-g']).logFile, '/tmp/keepalived.log');
    assert.equal(daemon(['-M']).coreDumpPattern, 'core');
    assert.equal(daemon(['-Mcore.%p']).coreDumpPattern, 'core.%p');
    assert.equal(daemon(['--core-dump-pattern=x']).coreDumpPattern, 'x');
    assert.equal(daemon(['-M']).coreDump, true);
    assert.equal(daemon(['-t']).configTestLog, undefined);
    assert.equal(daemon(['--config-test=/tmp/log']).configTestLog, '/tmp/log');
    assert.equal(daemon(['-t/tmp/log']).configTestLog, '/tmp/log');
    // A separate word after -t is not its value: keepalived reports it as unexpected and still tests.
    const r = parsed(['-t', '/tmp/log']);
    assert.equal(r.options.configTest, true);
    assert.deepEqual(r.unexpected, ['/tmp/log']);
  });

  test('-t implies no fork, no respawn and no syslog, as in keepalived', () => {
    const o = daemon(['-t']);
    assert.deepEqual([o.configTest, o.dontFork, o.dontRespawn, o.noSyslog], [true, true, true, true]);
  });

  test('log facility: 0-7, local0-7, user, daemon; anything else is reported and ignored', () => {
    assert.equal(daemon(['-S', '5']).logFacility, 'local5');
    assert.equal(daemon(['--log-facility=user']).logFacility, 'user');
    const r = parsed(['-S', 'kern']);
    assert.equal(r.options.logFacility, 'daemon');
    assert.deepEqual(r.warnings, ["Invalid log facility 'kern'"]);
    assert.deepEqual(parsed(['-S8']).warnings, ["Invalid log facility '8'"]);
  });

  test('umask in C notation', () => {
    assert.equal(daemon(['-u', '0177']).umask, 0o177);
    assert.equal(daemon(['-u', '18']).umask, 18);
    assert.equal(daemon(['--umask=0x3f']).umask, 0o77);
    const r = parsed(['-u', 'abc']);
    assert.equal(r.options.umask, undefined);
    assert.deepEqual(r.warnings, ['Invalid --umask option abc']);
  });

  test('-d logs the configuration and runs; --dump-config prints JSON and exits', () => {
    assert.equal(daemon(['--dump-config']).dumpConfig, true);
    assert.equal(daemon(['-d']).dumpConf, true);
    assert.equal(daemon(['-d']).dumpConfig, false);
  });

  test('bad options: keepalived messages, all of them', () => {
    assert.deepEqual(errors(['-q']), ['Unknown option -q']);
    assert.deepEqual(errors(['--nope']), ['Unknown option --nope']);
    assert.deepEqual(errors(['-f']), ['Missing parameter for option -f']);
    assert.deepEqual(errors(['--use-file']), ['Missing parameter for option --use-file']);
    assert.deepEqual(errors(['--use-file=']), ['Missing parameter for option --use-file']);
    assert.deepEqual(errors(['--vrrp=1']), ['Unknown option --vrrp=1']);
    assert.deepEqual(errors(['-Z', '-n', '--bogus']), ['Unknown option -Z', 'Unknown option --bogus']);
  });

  test('words that are not options are unexpected, not fatal', () => {
    const r = parsed(['extra', '-n', 'more']);
    assert.equal(r.options.dontFork, true);
    assert.deepEqual(r.unexpected, ['extra', 'more']);
  });

  test('-v, -h and --signum act where they stand', () => {
    assert.equal(daemon(['-v', '--bogus']).version, true);
    assert.equal(daemon(['--help']).help, true);
    assert.equal(daemon(['--signum=JSON']).signum, 'JSON');
    assert.equal(daemon(['--signum', 'STOP', '-Z']).signum, 'STOP');
  });

  test('subcommands and -T', () => {
    assert.deepEqual(parseCommandLine(['simulate', '-f', 'a.conf']), {
      kind: 'subcommand',
      name: 'simulate',
      args: ['-f', 'a.conf'],
    });
    assert.deepEqual(parseCommandLine(['-T', '-s', 'h']), {
      kind: 'subcommand',
      name: 'genhash',
      args: ['-s', 'h'],
    });
    assert.deepEqual(parseCommandLine(['-n', '--genhash', '-s', 'h']), {
      kind: 'subcommand',
      name: 'genhash',
      args: ['-s', 'h'],
      warnings: ['Warning -- `genhash` not used as first option, previous options ignored'],
    });
  });
});
