import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, type DaemonOptions } from '../../../src/cli/options.js';

function daemon(argv: string[]): DaemonOptions {
  const r = parseCommandLine(argv);
  assert.equal(r.kind, 'daemon', JSON.stringify(r));
  return (r as { options: DaemonOptions }).options;
}

describe('command line', () => {
  test('defaults are keepalived defaults', () => {
    const o = daemon([]);
    assert.equal(o.configFile, '/etc/keepalived/keepalived.conf');
    assert.equal(o.pidFile, '/run/keepalived.pid');
    assert.equal(o.vrrpPidFile, '/run/vrrp.pid');
    assert.equal(o.checkersPidFile, '/run/checkers.pid');
    assert.equal(o.logFacility, 'daemon');
    assert.equal(o.configTest, false);
  });

  test('short options bundle and take attached or separate values', () => {
    const o = daemon(['-nlD', '-f', '/tmp/a.conf', '-Plocal3'.replace('P', 'S'), '-P']);
    assert.equal(o.dontFork, true);
    assert.equal(o.logConsole, true);
    assert.equal(o.logDetail, true);
    assert.equal(o.configFile, '/tmp/a.conf');
    assert.equal(o.logFacility, 'local3');
    assert.equal(o.vrrpOnly, true);
    assert.equal(daemon(['-f/x.conf']).configFile, '/x.conf');
    assert.equal(daemon(['-nf', '/y.conf']).configFile, '/y.conf');
  });

  test('long options with = or a separate value', () => {
    const o = daemon([
      '--use-file=/a',
      '--pid',
      '/p',
      '--vrrp_pid=/v',
      '--checkers_pid',
      '/c',
      '--config-id',
      'lb1',
    ]);
    assert.deepEqual(
      [o.configFile, o.pidFile, o.vrrpPidFile, o.checkersPidFile, o.configId],
      ['/a', '/p', '/v', '/c', 'lb1'],
    );
  });

  test('-t takes an optional attached log file only', () => {
    assert.equal(daemon(['-t']).configTest, true);
    assert.equal(daemon(['-t']).configTestLog, undefined);
    assert.equal(daemon(['--config-test=/tmp/log']).configTestLog, '/tmp/log');
    // A separate word after -t is not its value: it is an error, as with getopt's optional arguments.
    assert.equal(parseCommandLine(['-t', '/tmp/log']).kind, 'error');
  });

  test('a numeric facility means localN', () => {
    assert.equal(daemon(['-S', '5']).logFacility, 'local5');
    assert.deepEqual(parseCommandLine(['-S', 'kern']), {
      kind: 'error',
      message: "invalid log facility 'kern'",
    });
  });

  test('--dump-config and -d', () => {
    assert.equal(daemon(['--dump-config']).dumpConfig, true);
    assert.equal(daemon(['-d']).dumpConfig, true);
  });

  test('errors name the option', () => {
    assert.deepEqual(parseCommandLine(['-q']), { kind: 'error', message: "invalid option -- 'q'" });
    assert.deepEqual(parseCommandLine(['--nope']), {
      kind: 'error',
      message: "unrecognized option '--nope'",
    });
    assert.deepEqual(parseCommandLine(['-f']), {
      kind: 'error',
      message: "option requires an argument -- 'f'",
    });
    assert.deepEqual(parseCommandLine(['--vrrp=1']), {
      kind: 'error',
      message: "option '--vrrp' doesn't allow an argument",
    });
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
  });
});
