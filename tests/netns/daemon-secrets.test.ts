// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// No secret of the configuration leaves the daemon (issue #14): auth_pass (PASS and AH), an auth_hmac key,
// the status listener's token and the SSL block's password must appear in none of the log lines (with -d,
// which logs the configuration it read), the dump files (DATA, STATS, JSON), the /status answer and the
// process titles (/proc/PID/cmdline and comm of the parent and every child), and no core can hold them:
// without -m every process of ours runs with a core size limit of 0; with -m (keepalived's --core-dump) it
// is unlimited. The status listener's own answers are checked in more depth by status-http.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { netnsExec } from '../helpers/netns.js';
import {
  daemonUnderTest,
  globalDefs,
  instanceConfig,
  oursMissingReason,
  waitUntil,
  withLab,
  type VrrpDaemon,
} from '../helpers/vrrp-lab.js';
import { firstReason, gated, needsRoot } from '../helpers/requirements.js';

const { describe, test } = gated(
  firstReason(
    needsRoot(),
    oursMissingReason(),
    daemonUnderTest() === 'keepalived'
      ? 'not applicable: keepalived 2.2.7 logs auth_pass with -d and has no auth_hmac or status listener'
      : undefined,
  ),
);

const SECRETS = {
  pass: 'Pz7qKv2w',
  ah: 'Ah9xRt4m',
  hmac: 'HmacKeyThatIsThirtyTwoBytesLong9',
  token: 'TokenQ3vX8sLw0pZ',
  ssl: 'SslPwN5bG7yT',
};
const PORT = 9650;

function config(): string {
  return [
    globalDefs('sec'),
    'status_http {',
    `  listen 127.0.0.1 ${PORT}`,
    `  token ${SECRETS.token}`,
    '}',
    'SSL {',
    `  password ${SECRETS.ssl}`,
    '}',
    instanceConfig({
      name: 'V_PASS',
      vrid: 71,
      version: 2,
      priority: 150,
      vips: ['10.7.1.100/24'],
      extra: ['authentication {', '  auth_type PASS', `  auth_pass ${SECRETS.pass}`, '}'],
    }),
    instanceConfig({
      name: 'V_AH',
      vrid: 72,
      version: 2,
      priority: 150,
      vips: ['10.7.1.101/24'],
      extra: ['authentication {', '  auth_type AH', `  auth_pass ${SECRETS.ah}`, '}'],
    }),
    instanceConfig({
      name: 'V_HMAC',
      vrid: 73,
      version: 3,
      priority: 150,
      vips: ['10.7.1.102/24'],
      extra: ['auth_hmac {', `  key 1 ${SECRETS.hmac}`, '}'],
    }),
  ].join('\n');
}

/** The daemon's processes: the parent (its pid file) and its children. */
function processTree(d: VrrpDaemon): number[] {
  const parent = Number(readFileSync(d.files.pid, 'utf8').trim());
  const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number);
  return [parent, ...children];
}

function coreLimit(pid: number): string {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max core file size'));
  return line?.slice('Max core file size'.length).trim().split(/\s+/)[0] ?? '?';
}

const agent = fileURLToPath(new URL('./status-client.agent.js', import.meta.url));

/** GET /status inside the namespace, with the token (the CLI's own client, as status-http.test.ts). */
function status(ns: string): string {
  const r = netnsExec(ns, [
    process.execPath,
    agent,
    'get',
    `http://127.0.0.1:${PORT}`,
    '/status',
    SECRETS.token,
  ]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

async function dumpAll(d: VrrpDaemon): Promise<string> {
  const pid = Number(readFileSync(d.files.pid, 'utf8').trim());
  const since = Date.now() - 50;
  for (const signal of ['SIGUSR1', 'SIGUSR2'] as const) process.kill(pid, signal);
  process.kill(pid, 36); // keepalived --signum=JSON
  const names = ['keepalived.data', 'keepalived.stats', 'keepalived.json'];
  return waitUntil(
    () => {
      const paths = names.map((n) => join(d.files.tmpDir, n));
      if (!paths.every((p) => existsSync(p) && statSync(p).mtimeMs >= since)) return undefined;
      return paths.map((p) => readFileSync(p, 'utf8')).join('\n');
    },
    'the three dump files',
    10_000,
  );
}

describe('no secret leaves the daemon', () => {
  test('logs with -d, dumps, /status and process titles hold no secret; no core without -m', () =>
    withLab('sec', async (lab) => {
      const [a] = lab.routers(['a'], { ipv4: '10.7.1' });
      assert.ok(a);
      const d = lab.start('ours', a, 'sec', config(), ['-P', '-d']);
      await Promise.all(['V_PASS', 'V_AH', 'V_HMAC'].map((i) => d.waitForState(i, 'MASTER', 20_000)));
      const dumps = await dumpAll(d);
      const answer = status(a.ns);
      assert.match(answer, /V_HMAC/, 'the status answer is about our instances');
      const pids = processTree(d);
      assert.ok(pids.length >= 2, `parent and VRRP child: ${pids.join(' ')}`);
      const titles = pids
        .map(
          (p) => `${readFileSync(`/proc/${p}/cmdline`, 'utf8')}\n${readFileSync(`/proc/${p}/comm`, 'utf8')}`,
        )
        .join('\n');
      // -d logged the configuration (so the check below is about something), with the secrets hidden
      assert.ok(
        d.lines.some((l) => /auth_pass \*{8}/.test(l)),
        'the -d dump shows auth_pass hidden',
      );
      for (const pid of pids) assert.equal(coreLimit(pid), '0', `core size limit of ${pid}`);
      await d.stop('SIGTERM');
      const log = d.lines.join('\n');
      const leftovers = readdirSync(d.files.tmpDir)
        .map((n) => readFileSync(join(d.files.tmpDir, n), 'utf8'))
        .join('\n');
      for (const [what, secret] of Object.entries(SECRETS)) {
        assert.ok(!log.includes(secret), `${what} secret in the log`);
        assert.ok(!dumps.includes(secret), `${what} secret in a dump file`);
        assert.ok(!leftovers.includes(secret), `${what} secret in a file the daemon left`);
        assert.ok(!answer.includes(secret), `${what} secret in /status`);
        assert.ok(!titles.includes(secret), `${what} secret in a process title`);
      }

      // -m: cores wanted, the limit is lifted (keepalived's core_dump_init)
      const m = lab.start('ours', a, 'sec-m', config(), ['-P', '-m']);
      await m.waitForState('V_PASS', 'MASTER', 20_000);
      for (const pid of processTree(m)) assert.equal(coreLimit(pid), 'unlimited', `-m: core limit of ${pid}`);
      await m.stop('SIGTERM');
    }));
});
