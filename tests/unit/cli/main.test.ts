// The command line end to end: the real launcher, real files, exit codes and output.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab } from '../../helpers/netns.js';
import { needsRoot } from '../../helpers/requirements.js';

const BIN = fileURLToPath(new URL('../../../../bin/keepalived-ts', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../../examples/', import.meta.url));

function run(args: string[], ns?: string): { code: number | null; stdout: string; stderr: string } {
  const argv = [process.execPath, BIN, ...args];
  const r =
    ns === undefined
      ? spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 30_000 })
      : spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('keepalived-ts command line', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kts-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('-t exits 0 for a good config and prints nothing', () => {
    const r = run(['-t', '-f', join(EXAMPLES, 'lb1.conf')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  test('-t exits 5 for a broken config and names file:line and keyword', () => {
    const file = join(dir, 'bad.conf');
    writeFileSync(
      file,
      'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n  priority 100\n}\n',
    );
    const r = run(['-t', '-f', file]);
    assert.equal(r.code, 5);
    assert.match(r.stderr, new RegExp(`^${file}:3: error: virtual_router_id: `, 'm'));
  });

  test('-t with lvs_data_plane nftables: a scheduler nftables cannot realise is an error at its file:line', () => {
    const file = join(dir, 'nft.conf');
    writeFileSync(
      file,
      'global_defs {\n  lvs_data_plane nftables\n}\n' +
        'virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched lc\n  lvs_method NAT\n  real_server 10.1.1.1 80 {\n  }\n}\n' +
        'virtual_server 10.0.0.2 80 {\n  protocol TCP\n  lvs_sched rr\n  lvs_method NAT\n  real_server 10.1.1.1 80 {\n  }\n}\n',
    );
    const r = run(['-t', '-f', file]);
    assert.equal(r.code, 5, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0] as string,
      new RegExp(
        `^${file}:4: error: virtual_server: \\[10\\.0\\.0\\.1\\]:tcp:80 cannot run on the nftables data plane .*lb_algo lc.*use `,
      ),
    );
  });

  test('-t=FILE writes the messages to that file', () => {
    const file = join(dir, 'bad2.conf');
    const log = join(dir, 'test.log');
    writeFileSync(file, 'global_defs {\n  no_such_keyword 1\n}\n');
    const r = run([`--config-test=${log}`, '-f', file]);
    assert.equal(r.code, 5, 'an unknown keyword fails the test, as in keepalived 2.2.7');
    assert.equal(r.stderr, '');
    assert.match(
      spawnSync('cat', [log], { encoding: 'utf8' }).stdout,
      new RegExp(`${file}:2: warning: no_such_keyword: `),
    );
  });

  test('--config-test-warnings-ok: only errors fail -t', () => {
    const file = join(dir, 'warn.conf');
    writeFileSync(file, 'global_defs {\n  no_such_keyword 1\n}\n');
    const r = run(['-t', '--config-test-warnings-ok', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^${file}:2: warning: no_such_keyword: `, 'm'));
    const bad = join(dir, 'bad3.conf');
    writeFileSync(
      bad,
      'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n  priority 100\n}\n',
    );
    assert.equal(run(['-t', '--config-test-warnings-ok', '-f', bad]).code, 5);
  });

  test('-t exits 6 for scripts run without enable_script_security, and notes do not count', () => {
    const file = join(dir, 'insecure.conf');
    writeFileSync(
      file,
      'vrrp_script chk {\n  script "/bin/sh -c true"\n}\n' +
        'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 30\n  priority 100\n' +
        '  track_script {\n    chk\n  }\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n',
    );
    const r = run(['-t', '-f', file]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /SECURITY VIOLATION - scripts are being executed but script_security not enabled/);
    const noted = join(dir, 'noted.conf');
    writeFileSync(
      noted,
      'virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lb_algo rr\n  lb_kind NAT\n  real_server 10.1.1.1 80 {\n  }\n}\n',
    );
    const n = run(['-t', '-f', noted]);
    assert.equal(n.code, 0, n.stderr);
    assert.match(n.stderr, new RegExp(`^${noted}:3: note: lb_algo: deprecated keyword`, 'm'));
  });

  test('--dump-config prints the resolved model as JSON', () => {
    const r = run(['--dump-config', '-f', join(EXAMPLES, 'lb1.conf')]);
    assert.equal(r.code, 0, r.stderr);
    const model = JSON.parse(r.stdout) as {
      instances: { name: string; virtualRouterId: number; priority: number }[];
    };
    assert.deepEqual(
      model.instances.map((i) => [i.name, i.virtualRouterId, i.priority]),
      [
        ['VI_1', 201, 150],
        ['VI_2', 202, 100],
      ],
    );
  });

  test('-v and -h write to stderr and exit 0, as keepalived does', () => {
    const v = run(['-v']);
    assert.equal(v.code, 0);
    assert.match(v.stderr, /^Keepalived v\d+\.\d+\.\d+ \(keepalived-ts\)\n\n/);
    const h = run(['-h']);
    assert.equal(h.code, 0);
    assert.match(h.stderr, /^Usage: .* \[OPTION\.\.\.\]/);
    assert.match(h.stderr, /--config-test/);
  });

  test('bad options: each named on stderr, exit 1', () => {
    const bad = run(['--bogus', '-Z', '-f']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'Unknown option --bogus\nUnknown option -Z\nMissing parameter for option -f\n');
  });

  test('--signum prints the numbers keepalived uses', () => {
    // The rest of the table is checked without processes in daemon-files.test.ts.
    for (const [name, number] of [
      ['STATS_CLEAR', '63'],
      ['JSON', '36'],
    ]) {
      const r = run([`--signum=${name}`]);
      assert.deepEqual([r.code, r.stdout], [0, `${number}\n`], name);
    }
    const unknown = run(['--signum=TDATA']);
    assert.deepEqual([unknown.code, unknown.stderr], [1, 'Unknown sigfunc TDATA\n']);
  });

  test('unexpected words are reported on stdout and the run goes on', () => {
    const r = run(['extra', '-t', '-f', join(EXAMPLES, 'lb1.conf')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Unexpected argument(s): extra \n');
  });

  // The daemon is started, if only to fail: like every test daemon, inside a namespace made for it.
  test(
    'a missing configuration file: keepalived exit status 6, before anything starts',
    { skip: needsRoot() },
    () => {
      const lab = new NetnsLab('cli');
      let r;
      try {
        r = run(
          ['-n', '-l', '-G', '-P', '-f', join(dir, 'nope.conf'), '-p', join(dir, 'k.pid')],
          lab.namespace('d'),
        );
      } finally {
        lab.cleanup();
      }
      assert.equal(r.code, 6, r.stderr);
      assert.match(r.stderr, /: Starting Keepalived v/);
      assert.match(r.stderr, /: Stopped Keepalived v/);
    },
  );

  test('simulate --json: a crash moves the VIP within the master-down interval', () => {
    const r = run([
      'simulate',
      '-f',
      join(EXAMPLES, 'lb1.conf'),
      '-f',
      join(EXAMPLES, 'lb2.conf'),
      '--duration',
      '30',
      '--event',
      '10 crash lb1',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      transitions: { t: number; node: string; instance: string; from: string; to: string }[];
      violations: string[];
    };
    assert.deepEqual(out.violations, []);
    const takeover = out.transitions.find(
      (x) => x.node === 'lb2' && x.instance === 'VI_1' && x.to === 'MASTER',
    );
    assert.ok(takeover, JSON.stringify(out.transitions));
    // lb2 has priority 120: master-down interval 3 + (256 - 120) / 256 = 3.53 s after lb1's last advert.
    assert.ok(takeover.t > 10 && takeover.t <= 10 + 3.532, `took over at ${takeover.t}`);
  });

  test('simulate rejects an event naming an unknown router', () => {
    const r = run(['simulate', '-f', join(EXAMPLES, 'lb1.conf'), '--event', '5 crash nobody']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown router 'nobody'/);
  });
});
