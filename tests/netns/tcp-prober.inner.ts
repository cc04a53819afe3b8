// Kernel tests of the batched TCP prober (src/net/tcp-prober.ts + native/src/tcp_probe.c) and of
// TCP_CHECK on top of it. tcp-prober.test.ts runs this file inside a fresh network namespace (loopback
// up, veth ktp0 fe80::1 towards a peer namespace holding ktp1 fe80::2), so nothing leaves it.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { encodeTcpProbe, errnoName, TcpProber, type TcpProbeTarget } from '../../src/net/tcp-prober.js';
import { tcpProbe } from '../../src/check/probes/tcp.js';
import { spec } from './check-helpers.js';
import { outsideSuiteNamespace } from '../helpers/namespace-guard.js';
import { gated, missingTools } from '../helpers/requirements.js';

// Outside a namespace the suite made, every test here is skipped and no hook runs.
const skipReason = outsideSuiteNamespace();
const { after, describe, test } = gated(skipReason);

// Opened only where the tests run: a skipped run has nothing to close it.
const prober = (skipReason === undefined ? new TcpProber() : undefined) as TcpProber;
after(() => prober.close());

// Below the namespace's ephemeral range (32768-60999): a probe's own source port can then never be one
// of the test's ports (a black-holed one would swallow its SYN-ACK; a closed one could self-connect).
let nextPort = 20000 + (process.pid % 500) * 20;
const freePort = (): number => nextPort++;

/** One probe; resolves with the errno name ('OK' for a connection) and the elapsed ms. */
function probe(
  target: Omit<TcpProbeTarget, 'timeoutMs'> & { timeoutMs?: number },
): Promise<[string, number]> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    prober.start(encodeTcpProbe({ timeoutMs: 2000, ...target }), (errno) =>
      resolve([errno === 0 ? 'OK' : errnoName(errno), performance.now() - t0]),
    );
  });
}

interface Listener {
  server: Server;
  peers: Socket[];
  /** "address port" of every accepted connection, taken at accept (a reset socket forgets it). */
  sources: string[];
}

const open = new Set<Listener>();
after(async () => {
  for (const l of open) await stop(l);
});

/** A listener that keeps every accepted socket and remembers where it came from. */
async function listener(port: number, host = '127.0.0.1'): Promise<Listener> {
  const l: Listener = { server: createServer(), peers: [], sources: [] };
  l.server.on('connection', (s) => {
    s.on('error', () => {});
    l.peers.push(s);
    l.sources.push(`${s.remoteAddress} ${s.remotePort}`);
  });
  await new Promise<void>((resolve) => l.server.listen({ port, host, backlog: 4096 }, resolve));
  open.add(l);
  return l;
}

async function stop(l: Listener): Promise<void> {
  if (!open.delete(l)) return;
  for (const s of l.peers) s.destroy();
  await new Promise<void>((resolve) => l.server.close(() => resolve()));
}

async function until(check: () => boolean, what: string | (() => string), ms = 3000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) {
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

function nft(cmd: string): void {
  const r = spawnSync('nft', ['-f', '-'], { input: cmd });
  assert.equal(r.status, 0, r.stderr?.toString());
}

/**
 * Drops SYNs to `port` for the duration of `body` (a black hole: connects time out). Only bare SYNs: a
 * plain `tcp dport` rule would also drop the SYN-ACK or RST answering any other probe whose ephemeral
 * source port happens to equal `port`, and that probe would time out too.
 */
async function blackHoled<T>(port: number, body: () => Promise<T>): Promise<T> {
  const syn = `tcp dport ${port} tcp flags & (syn | ack) == syn`;
  nft(`table inet ktsprobe { chain input { type filter hook input priority 0; ${syn} drop; }; }`);
  try {
    return await body();
  } finally {
    nft('delete table inet ktsprobe');
  }
}

describe('TCP prober outcomes', () => {
  test('listening port: connected, and the socket is closed with an RST when asked', async () => {
    const port = freePort();
    const l = await listener(port);
    const ended: string[] = [];
    l.server.on('connection', (s) => {
      s.on('error', (e: NodeJS.ErrnoException) => ended.push(e.code ?? 'error'));
      s.on('end', () => ended.push('FIN'));
    });
    assert.equal((await probe({ address: '127.0.0.1', port, resetOnClose: true }))[0], 'OK');
    await until(() => ended.length === 1, 'the server to see the close');
    assert.deepEqual(ended, ['ECONNRESET']);
    await stop(l);
  });

  test('by default the socket is closed with a FIN, as keepalived 2.2 does', async () => {
    const port = freePort();
    const l = await listener(port);
    const ended: string[] = [];
    l.server.on('connection', (s) => {
      s.on('error', (e: NodeJS.ErrnoException) => ended.push(e.code ?? 'error'));
      s.on('end', () => ended.push('FIN'));
      s.resume();
    });
    assert.equal((await probe({ address: '127.0.0.1', port }))[0], 'OK');
    await until(() => ended.length === 1, 'the server to see the close');
    assert.deepEqual(ended, ['FIN']);
    await stop(l);
  });

  test('closed port: ECONNREFUSED', async () => {
    assert.equal((await probe({ address: '127.0.0.1', port: freePort() }))[0], 'ECONNREFUSED');
  });

  test('IPv6 loopback', async () => {
    const port = freePort();
    const l = await listener(port, '::1');
    assert.equal((await probe({ address: '::1', port }))[0], 'OK');
    await stop(l);
    assert.equal((await probe({ address: '::1', port }))[0], 'ECONNREFUSED');
  });

  test('black-holed SYNs: ETIMEDOUT once connect_timeout has passed', async (t) => {
    const noNft = missingTools('nft');
    if (noNft) return t.skip(noNft);
    const port = freePort();
    const [code, ms] = await blackHoled(port, () => probe({ address: '127.0.0.1', port, timeoutMs: 300 }));
    assert.equal(code, 'ETIMEDOUT');
    // never early; the upper bound only catches a lost deadline (the kernel alone would take ~2 min)
    assert.ok(ms >= 295 && ms < 5000, `timed out after ${ms} ms`);
  });

  test('bindto and bind_port: the server sees that source, again and again (RST: no TIME_WAIT)', async () => {
    const port = freePort();
    const sourcePort = freePort();
    // Python's accept() returns the peer from the accept call itself; node asks later, and by then
    // the probe's RST has made the address unavailable.
    const script = [
      'import socket,sys',
      's=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      `s.bind(("127.0.0.1", ${port})); s.listen(16); print("ready", flush=True)`,
      'while True:',
      '  c,a=s.accept(); print(a[0], a[1], flush=True); c.close()',
    ].join('\n');
    const child = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    after(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until(() => out.includes('ready'), 'the python listener', 10_000);
      for (let i = 0; i < 3; i++) {
        const target = { address: '127.0.0.1', port, bindTo: '127.0.0.7', bindPort: sourcePort };
        const [code] = await probe({ ...target, resetOnClose: true });
        assert.equal(code, 'OK', `probe ${i}`);
      }
      await until(() => out.split('\n').length >= 5, 'three connections');
      assert.deepEqual(out.trim().split('\n').slice(1), Array(3).fill(`127.0.0.7 ${sourcePort}`));
    } finally {
      child.kill();
    }
  });

  test('a source address that is not ours fails at bind, reported asynchronously', async () => {
    let called = false;
    const done = new Promise<string>((resolve) => {
      prober.start(
        encodeTcpProbe({ address: '127.0.0.1', port: 9, bindTo: '192.0.2.1', timeoutMs: 500 }),
        (e) => {
          called = true;
          resolve(errnoName(e));
        },
      );
    });
    assert.equal(called, false, 'never called back synchronously');
    assert.equal(await done, 'EADDRNOTAVAIL');
  });

  test('bind_if: SO_BINDTODEVICE is applied (lo works, an unknown device is ENODEV)', async () => {
    const port = freePort();
    const l = await listener(port);
    assert.equal((await probe({ address: '127.0.0.1', port, bindIf: 'lo' }))[0], 'OK');
    assert.equal((await probe({ address: '127.0.0.1', port, bindIf: 'ktsnosuch0' }))[0], 'ENODEV');
    await stop(l);
  });

  test('IPv6 link-local through a veth pair: bind_if gives the scope', async () => {
    const peer = process.env.KTS_PEER_NETNS;
    assert.ok(peer !== undefined, 'KTS_PEER_NETNS: the wrapper names the peer namespace');
    const port = freePort();
    const script = [
      'import socket',
      's=socket.socket(socket.AF_INET6)',
      `s.bind(("fe80::2", ${port}, 0, socket.if_nametoindex("ktp1"))); s.listen(16); print("ready", flush=True)`,
      'while True:',
      '  c,a=s.accept(); print("peer", a[0], flush=True); c.close()',
    ].join('\n');
    const child = spawn('ip', ['netns', 'exec', peer, 'python3', '-c', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    after(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until(() => out.includes('ready'), 'the peer listener', 10_000);
      // the link also has a kernel-made EUI-64 address: bindto picks ours (scoped like the target)
      const [code] = await probe({ address: 'fe80::2', port, bindIf: 'ktp0', bindTo: 'fe80::1' });
      assert.equal(code, 'OK');
      await until(
        () => out.includes('peer fe80::1'),
        () => `the peer to see fe80::1 (it said ${JSON.stringify(out)})`,
      );
      // without a scope the kernel cannot pick the link
      assert.equal((await probe({ address: 'fe80::2', port }))[0], 'EINVAL');
    } finally {
      child.kill();
    }
  });

  test('cancel: the callback never runs and nothing stays in flight', async (t) => {
    const noNft = missingTools('nft');
    if (noNft) return t.skip(noNft);
    const port = freePort();
    await blackHoled(port, async () => {
      let called = false;
      const id = prober.start(encodeTcpProbe({ address: '127.0.0.1', port, timeoutMs: 100 }), () => {
        called = true;
      });
      prober.cancel(id);
      assert.equal(prober.inFlight, 0);
      await new Promise((r) => setTimeout(r, 250));
      assert.equal(called, false);
    });
  });

  test('3000 concurrent probes: every handle gets its own verdict, in few batches', async (t) => {
    const noNft = missingTools('nft');
    if (noNft) return t.skip(noNft);
    const up = [freePort(), freePort(), freePort()];
    const closed = freePort();
    const dropped = freePort();
    const listeners = await Promise.all(up.map((p) => listener(p)));
    const expected: string[] = [];
    const got: Array<string | undefined> = [];
    const batches0 = prober.batches;
    await blackHoled(dropped, async () => {
      const waits: Array<Promise<void>> = [];
      for (let i = 0; i < 3000; i++) {
        const kind = i % 5;
        const port = kind < 3 ? (up[kind] as number) : kind === 3 ? closed : dropped;
        const address = '127.0.0.1';
        expected[i] = kind < 3 ? 'OK' : kind === 3 ? 'ECONNREFUSED' : 'ETIMEDOUT';
        waits.push(
          new Promise<void>((resolve) => {
            prober.start(encodeTcpProbe({ address, port, timeoutMs: kind === 4 ? 400 : 10_000 }), (e) => {
              got[i] = e === 0 ? 'OK' : errnoName(e);
              resolve();
            });
          }),
        );
      }
      await Promise.all(waits);
    });
    await Promise.all(listeners.map(stop));
    const wrong = expected.flatMap((want, i) => (got[i] === want ? [] : [`${i}: ${got[i]} != ${want}`]));
    assert.deepEqual(wrong.slice(0, 5), []);
    const batches = prober.batches - batches0;
    assert.ok(batches <= 300, `3000 probes took ${batches} callbacks`);
    assert.equal(prober.inFlight, 0);
  });
});

describe('TCP_CHECK on the prober', () => {
  test('up, refused, and aborted through the runner signal', async (t) => {
    const port = freePort();
    const l = await listener(port);
    assert.deepEqual(await tcpProbe(spec({ kind: 'TCP_CHECK' }, port)), { ok: true, detail: 'connected' });
    await stop(l);
    const refused = await tcpProbe(spec({ kind: 'TCP_CHECK' }, port));
    assert.equal(refused.ok, false);
    assert.match(refused.detail, /ECONNREFUSED/);
    const noNft = missingTools('nft');
    if (noNft) return t.skip(noNft);
    await blackHoled(port, async () => {
      const controller = new AbortController();
      const pending = tcpProbe(spec({ kind: 'TCP_CHECK' }, port, { timeoutMs: 5000 }), controller.signal);
      setTimeout(() => controller.abort(), 50);
      assert.deepEqual(await pending, { ok: false, detail: 'aborted' });
    });
  });

  test('an unusable spec fails the probe instead of throwing', async () => {
    const bad = spec({ kind: 'TCP_CHECK' }, 80, { address: 'not-an-address' });
    const r = await tcpProbe(bad);
    assert.equal(r.ok, false);
    assert.match(r.detail, /not an IP address/);
  });
});
