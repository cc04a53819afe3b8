// `keepalived-ts demo --live`: run whole (--quick), it shows r2 taking over with the daemon's measured
// time, the VIP moving to r2 and back, the client's lost requests, and exits 0; interrupted with SIGINT
// while the master's cable is out, it still removes its namespaces, processes and work directory; and
// without root it refuses before creating anything.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { netnsSkipReason } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';
import { test as plainTest } from 'node:test';

const { describe, test } = gated(netnsSkipReason());
const LAUNCHER = fileURLToPath(new URL('../../../bin/keepalived-ts', import.meta.url));

interface DemoRun {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}

/** Runs the demo to its end; `onLine` may act on a stdout line (e.g. interrupt it). */
function runDemo(
  args: string[],
  onLine: (line: string, pid: number) => void = () => undefined,
  spawnOptions: { uid?: number; gid?: number } = {},
): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, 'demo', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...spawnOptions,
    });
    let out = '';
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() as string;
      for (const l of lines) onLine(l, child.pid as number);
    });
    child.stderr.on('data', (chunk: string) => (out += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the demo did not end within 90 s:\n${out}`));
    }, 90_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ pid: child.pid as number, code, signal, out });
    });
  });
}

/** Nothing of the run is left: no kts-demo-<pid>-* namespace, no process using its work directory, no directory. */
function assertNothingLeft(run: DemoRun): void {
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  const prefix = `kts-demo-${run.pid}-`;
  assert.deepEqual(
    namespaces.split('\n').filter((l) => l.startsWith(prefix)),
    [],
    `namespaces left behind:\n${namespaces}`,
  );
  const dir = /work directory (\S+)/.exec(run.out)?.[1];
  assert.ok(dir, `the demo names its work directory:\n${run.out}`);
  assert.equal(existsSync(dir), false, `${dir} was not removed`);
  const left = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmdline.includes(dir) || cmdline.includes(prefix);
      } catch {
        return false; // exited meanwhile
      }
    });
  assert.deepEqual(left, [], `processes of the demo still running: ${left.join(' ')}`);
}

describe('keepalived-ts demo --live', () => {
  test('--quick: the takeover with its time, the VIP to r2 and back, lost requests counted, all removed', async () => {
    const run = await runDemo(['--live', '--quick']);
    assert.equal(run.code, 0, run.out);
    const decided =
      /r2's log: \(VI_1\) takeover \(master-down timer\): last advert from 192\.0\.2\.1 priority 200, decided after ([\d.]+) ms/.exec(
        run.out,
      );
    assert.ok(decided, `r2's takeover line:\n${run.out}`);
    // advert_int 0.5 s, priority 100: master-down interval 3 x 0.5 + (256 - 100) / 256 x 0.5 = 1.80 s
    const ms = Number(decided[1]);
    assert.ok(ms > 1700 && ms < 3000, `takeover decided after ${ms} ms`);
    assert.match(
      run.out,
      /r2's \/events: takeover \(master-down timer\), from the last advert heard: decided [\d.]+ ms, VIPs installed [\d.]+ ms/,
    );
    assert.match(run.out, /192\.0\.2\.10 moved to r2/);
    assert.match(run.out, /192\.0\.2\.10 came back to r1/);
    const client = /client: (\d+) echo requests, (\d+) lost/.exec(run.out);
    assert.ok(client, run.out);
    const [sent, lost] = [Number(client[1]), Number(client[2])];
    // about 1.8 s without a master at one request per 10 ms; the rest answered
    assert.ok(lost >= 100 && lost < sent / 2, `${lost} of ${sent} lost`);
    assert.match(
      run.out,
      /timeline[^\n]*\n(.*\n)*.*r1 cable pulled(.*\n)*.*r2: \(VI_1\) Entering MASTER STATE(.*\n)*.*r1 cable plugged back/,
    );
    assert.match(run.out, /removed 4 namespaces/);
    assertNothingLeft(run);
  });

  test('SIGINT while the master is cut off: exit 130, namespaces, processes and files removed', async () => {
    let interrupted = false;
    const run = await runDemo(['--live', '--quick'], (line, pid) => {
      if (!interrupted && line.startsWith("pulling r1's cable")) {
        interrupted = true;
        setTimeout(() => process.kill(pid, 'SIGINT'), 300);
      }
    });
    assert.ok(interrupted, run.out);
    assert.equal(run.code, 130, run.out);
    assert.match(run.out, /SIGINT: stopping the demo/);
    assert.doesNotMatch(run.out, /came back to r1/);
    assert.doesNotMatch(run.out, /keepalived-ts demo: /, 'an interruption is no error');
    assert.match(run.out, /removed 4 namespaces/);
    assertNothingLeft(run);
  });
});

plainTest(
  'keepalived-ts demo --live without root: refused with a clear message, nothing created',
  async () => {
    const asRoot = process.getuid?.() === 0;
    const run = await runDemo(['--live', '--quick'], undefined, asRoot ? { uid: 65534, gid: 65534 } : {});
    assert.equal(run.code, 1, run.out);
    assert.match(run.out, /demo --live needs root/);
    assert.match(run.out, /npm run demo/);
    const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    assert.equal(namespaces.includes(`kts-demo-${run.pid}-`), false);
  },
);
