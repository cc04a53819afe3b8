// Regression: the process used to die with SIGSEGV (exit 139) at exit when a libuv poll of the native
// addon was still open, because its finalizer closed the handle during environment teardown and the close
// callback then used the dead napi environment. Each scenario runs in a child node process (a temporary
// .mjs importing the compiled modules by absolute URL) and must end with exit code 0 and no signal.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const netDir = new URL('../../../src/net/', import.meta.url).href;

const prelude = `
import { NativeSocket } from '${netDir}socket.js';
import { PreciseTimer } from '${netDir}precise-timer.js';
import { native } from '${netDir}native.js';
const c = native().constants;
function udpPair() {
  const receiver = NativeSocket.open(c.AF_INET, c.SOCK_DGRAM, 0);
  receiver.bind({ family: 'inet', address: '127.0.0.1', port: 0 });
  const to = receiver.localAddress();
  const sender = NativeSocket.open(c.AF_INET, c.SOCK_DGRAM, 0);
  return { receiver, sender, ping: (text) => sender.send(Buffer.from(text), to) };
}
void PreciseTimer; void udpPair;
`;

/** Scenario bodies; each prints a line starting with `ok` once it reached the state under test. */
const scenarios: Record<string, string> = {
  'netlink socket still polled, keepAlive false, script ends': `
    const s = NativeSocket.open(c.AF_NETLINK, c.SOCK_RAW, c.NETLINK_ROUTE);
    s.bind({ family: 'netlink', pid: 0, groups: 0 });
    s.onMessage(() => {});
    s.setKeepAlive(false);
    console.log('ok');
  `,
  'udp socket polled after a delivery, keepAlive false, script ends': `
    const { receiver, ping } = udpPair();
    receiver.onMessage((m) => {
      receiver.setKeepAlive(false);
      console.log('ok', m.data.toString());
    });
    ping('first');
  `,
  'idle precise timer (unreferenced poll) when the script ends': `
    new PreciseTimer(() => {});
    console.log('ok');
  `,
  'armed precise timer, then process.exit(0)': `
    const t = new PreciseTimer(() => console.log('fired too early'));
    t.armIn(60_000_000_000n);
    setTimeout(() => { console.log('ok'); process.exit(0); }, 5);
  `,
  'poll stopped from inside its own callback': `
    const { receiver, sender, ping } = udpPair();
    let calls = 0;
    receiver.onMessage(() => {
      calls++;
      receiver.stopReading();
      globalThis.gc();
      // Reported from here, not from a timer racing the first delivery on a loaded machine.
      setTimeout(() => { ping('c'); setTimeout(() => { console.log('ok', calls); sender.close(); }, 20); }, 20);
    });
    ping('a'); ping('b');
  `,
  'socket closed from inside its own callback': `
    const { receiver, sender, ping } = udpPair();
    let calls = 0;
    receiver.onMessage(() => {
      calls++;
      receiver.close();
      globalThis.gc();
      setTimeout(() => { console.log('ok', calls, receiver.closed); sender.close(); }, 20);
    });
    ping('a'); ping('b');
  `,
  'precise timer closed from inside its own callback': `
    let fired = 0;
    const t = new PreciseTimer(() => {
      fired++;
      t.close();
      globalThis.gc();
      setTimeout(() => console.log('ok', fired), 20);
    });
    t.armIn(1_000_000n);
  `,
  'worker thread ends with a live poll': `
    const { Worker } = await import('node:worker_threads');
    const body = ${JSON.stringify(`
      import { NativeSocket } from '${netDir}socket.js';
      import { native } from '${netDir}native.js';
      const c = native().constants;
      const s = NativeSocket.open(c.AF_NETLINK, c.SOCK_RAW, c.NETLINK_ROUTE);
      s.onMessage(() => {});
      s.setKeepAlive(false);
    `)};
    const w = new Worker(new URL('data:text/javascript,' + encodeURIComponent(body)));
    w.on('exit', (code) => console.log('ok worker', code));
  `,
};

const expectedOutput: Record<string, string> = {
  'udp socket polled after a delivery, keepAlive false, script ends': 'ok first',
  'poll stopped from inside its own callback': 'ok 1',
  'socket closed from inside its own callback': 'ok 1 true',
  'precise timer closed from inside its own callback': 'ok 1',
  'worker thread ends with a live poll': 'ok worker 0',
};

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(file: string): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--expose-gc', file], { timeout: 10_000 }, (error, stdout, stderr) => {
      const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
      resolve({
        code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
        signal: failure?.signal ?? null,
        stdout,
        stderr,
      });
    });
  });
}

describe('native addon at process exit', () => {
  let dir = '';
  const results = new Map<string, Promise<ChildResult>>();

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kts-addon-exit-'));
    // Start every child at once: they are independent, and the file stays fast.
    Object.entries(scenarios).forEach(([name, body], i) => {
      const file = join(dir, `scenario-${i}.mjs`);
      writeFileSync(file, `${prelude}\n${body}\n`);
      results.set(name, runChild(file));
    });
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of Object.keys(scenarios)) {
    test(`${name}: exits 0, no signal`, async () => {
      const result = await results.get(name)!;
      const context = `stdout: ${result.stdout}\nstderr: ${result.stderr}`;
      assert.equal(result.signal, null, context);
      assert.equal(result.code, 0, context);
      assert.equal(result.stdout.trim(), expectedOutput[name] ?? 'ok', context);
    });
  }
});
