// The TCP prober's lifetime at process and thread exit: an idle prober must not keep node alive, a probe
// in flight must keep it alive only until it settles, and exiting (or ending a worker) with probes in
// flight must not crash in the addon's teardown. Each scenario runs in a child node process; the probes
// go to 127.0.0.1 port 1, where nothing listens (refused at once, loopback only).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const netDir = new URL('../../../src/net/', import.meta.url).href;
const prelude = `
import { TcpProber, encodeTcpProbe, errnoName } from '${netDir}tcp-prober.js';
const refused = encodeTcpProbe({ address: '127.0.0.1', port: 1, timeoutMs: 60_000 });
void TcpProber; void refused; void errnoName;
`;

const scenarios: Record<string, [body: string, expected: string]> = {
  'idle prober: the script ends': [`new TcpProber(); console.log('ok');`, 'ok'],
  'a probe in flight keeps node alive until its verdict': [
    `new TcpProber().start(refused, (e) => console.log('ok', errnoName(e)));`,
    'ok ECONNREFUSED',
  ],
  'process.exit() with probes in flight': [
    `const p = new TcpProber(); for (let i = 0; i < 100; i++) p.start(refused, () => {});
     console.log('ok'); process.exit(0);`,
    'ok',
  ],
  'prober closed from inside its own callback': [
    `const p = new TcpProber(); let calls = 0;
     p.start(refused, () => { calls++; p.close(); globalThis.gc(); setTimeout(() => console.log('ok', calls), 20); });
     p.start(refused, () => { calls++; });`,
    'ok 1',
  ],
  'worker thread ends with probes in flight': [
    `const { Worker } = await import('node:worker_threads');
     const body = ${JSON.stringify(`
       import { TcpProber, encodeTcpProbe } from '${netDir}tcp-prober.js';
       const p = new TcpProber();
       for (let i = 0; i < 50; i++) p.start(encodeTcpProbe({ address: '127.0.0.1', port: 1, timeoutMs: 60000 }), () => {});
       process.exit(0);
     `)};
     const w = new Worker(new URL('data:text/javascript,' + encodeURIComponent(body)));
     w.on('exit', (code) => console.log('ok worker', code));`,
    'ok worker 0',
  ],
};

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kts-tcp-prober-exit-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, [body, expected]] of Object.entries(scenarios)) {
  test(name, async () => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.mjs`);
    writeFileSync(file, prelude + body);
    const r = await new Promise<{ code: number | null; signal: string | null; out: string; err: string }>(
      (resolve) => {
        execFile(process.execPath, ['--expose-gc', file], { timeout: 10_000 }, (error, stdout, stderr) => {
          const e = error as (Error & { code?: number; signal?: string }) | null;
          resolve({ code: e ? (e.code ?? 1) : 0, signal: e?.signal ?? null, out: stdout, err: stderr });
        });
      },
    );
    assert.equal(r.signal, null, `killed by ${r.signal} (timeout: the prober kept node alive?)\n${r.err}`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), expected);
  });
}
