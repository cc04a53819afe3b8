// TCP, SMTP, DNS, UDP, MISC, PING and FILE checkers and the runner, against real servers: dnsmasq,
// Python's smtpd, and small servers written here for behaviours no daemon offers on demand (accept and
// never answer, drop SYNs). checkers.test.ts runs this file inside a fresh network namespace
// (`ip netns exec kts-chk-<pid> node --test ...`), so everything binds 127.0.0.x of that namespace.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tcpProbe } from '../../src/check/probes/tcp.js';
import { smtpProbe } from '../../src/check/probes/smtp.js';
import { dnsProbe } from '../../src/check/probes/dns.js';
import { udpProbe } from '../../src/check/probes/udp.js';
import { miscProbe } from '../../src/check/probes/misc.js';
import { pingProbe } from '../../src/check/probes/ping.js';
import { fileProbe } from '../../src/check/probes/file.js';
import { CheckRunner } from '../../src/daemon/checker/check-runner.js';
import type { CheckAction } from '../../src/check/schedule/scheduler.js';
import type { CheckOptions, UdpCheckOptions } from '../../src/check/schedule/spec.js';
import {
  Server,
  close,
  elapsed,
  freePort,
  LOAD_MARGIN_MS,
  listen,
  silentTcpServer,
  spec,
  tcpReady,
  waitFor,
  workDir,
} from './check-helpers.js';
import { outsideSuiteNamespace } from '../helpers/namespace-guard.js';
import { gated, missingTools } from '../helpers/requirements.js';
import { smtpSinkSkipReason } from '../helpers/smtp-sink.js';

// Outside a namespace the suite made, every test here is skipped and no hook runs.
const { after, before, describe, test } = gated(outsideSuiteNamespace());

// ---------------------------------------------------------------------------------------------------

describe('TCP_CHECK', () => {
  test('up: a listening server', async () => {
    const port = freePort();
    const server = createServer((s) => s.destroy());
    await listen(server, port);
    const r = await tcpProbe(spec({ kind: 'TCP_CHECK' }, port));
    await close(server);
    assert.equal(r.ok, true, r.detail);
  });

  test('down: nothing listening (refused)', async () => {
    const r = await tcpProbe(spec({ kind: 'TCP_CHECK' }, freePort()));
    assert.equal(r.ok, false);
    assert.match(r.detail, /ECONNREFUSED/);
  });

  test('accepts and never answers: a TCP check only needs the handshake', async () => {
    const port = freePort();
    const silent = await silentTcpServer(port);
    const r = await tcpProbe(spec({ kind: 'TCP_CHECK' }, port));
    await silent.close();
    assert.equal(r.ok, true);
  });

  test('slow: SYNs dropped by nftables -> fails at connect_timeout', async (t) => {
    const noNft = missingTools('nft');
    if (noNft) return t.skip(noNft);
    const port = freePort();
    const nft = (cmd: string): void => {
      const r = spawnSync('nft', ['-f', '-'], { input: cmd });
      assert.equal(r.status, 0, r.stderr?.toString());
    };
    nft(`table inet ktschk { chain input { type filter hook input priority 0; tcp dport ${port} drop; }; }`);
    try {
      const [r, ms] = await elapsed(() => tcpProbe(spec({ kind: 'TCP_CHECK' }, port, { timeoutMs: 400 })));
      assert.equal(r.ok, false);
      assert.match(r.detail, /timed out/);
      assert.ok(ms >= 390 && ms < 400 + LOAD_MARGIN_MS, `took ${ms} ms`);
    } finally {
      nft('delete table inet ktschk');
    }
  });

  test('bindto: the connection comes from the configured source address', async () => {
    const port = freePort();
    let peer = '';
    const server = createServer((s) => {
      peer = s.remoteAddress ?? '';
      s.destroy();
    });
    await listen(server, port);
    const s = spec({ kind: 'TCP_CHECK' }, port);
    s.connect.bindTo = '127.0.0.7';
    const r = await tcpProbe(s);
    await waitFor(() => peer !== '');
    await close(server);
    assert.equal(r.ok, true);
    assert.equal(peer, '127.0.0.7');
  });
});

// ---------------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------------

describe('SMTP_CHECK', () => {
  const noSmtpd = smtpSinkSkipReason();
  const smtp: CheckOptions = { kind: 'SMTP_CHECK', heloName: 'smtpchecker.keepalived.org' };

  test("up: Python's smtpd DebuggingServer completes banner/HELO/QUIT", async (t) => {
    if (noSmtpd) return t.skip(noSmtpd);
    const port = freePort();
    const server = new Server('python3', [
      '-W',
      'ignore',
      '-m',
      'smtpd',
      '-n',
      '-c',
      'DebuggingServer',
      `127.0.0.1:${port}`,
    ]);
    try {
      await waitFor(() => tcpReady(port));
      const r = await smtpProbe(spec(smtp, port));
      assert.equal(r.ok, true, r.detail);
    } finally {
      await server.stop();
    }
  });

  test('down: refused', async () => {
    const r = await smtpProbe(spec(smtp, freePort()));
    assert.equal(r.ok, false);
  });

  test('accepts and never answers: no banner -> timeout', async () => {
    const port = freePort();
    const silent = await silentTcpServer(port);
    const [r, ms] = await elapsed(() => smtpProbe(spec(smtp, port, { timeoutMs: 300 })));
    await silent.close();
    assert.equal(r.ok, false);
    assert.ok(ms >= 290 && ms < 300 + LOAD_MARGIN_MS, `took ${ms} ms`);
  });

  test('refusing banner (554) fails; multi-line 250 replies are followed', async () => {
    const port = freePort();
    let mode: 'refuse' | 'multi' = 'refuse';
    const lines: string[] = [];
    const server = createServer((s) => {
      if (mode === 'refuse') return s.end('554 go away\r\n');
      s.write('220 hi\r\n');
      s.on('data', (d) => {
        const line = d.toString().trim();
        lines.push(line);
        if (line.startsWith('HELO')) s.write('250-first\r\n250-second\r\n250 last\r\n');
        else if (line === 'QUIT') s.end('221 bye\r\n');
      });
    });
    await listen(server, port);
    const refused = await smtpProbe(spec(smtp, port));
    mode = 'multi';
    const multi = await smtpProbe(spec(smtp, port));
    await close(server);
    assert.equal(refused.ok, false);
    assert.match(refused.detail, /554/);
    assert.equal(multi.ok, true, multi.detail);
    assert.deepEqual(lines, ['HELO smtpchecker.keepalived.org', 'QUIT']);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('DNS_CHECK against dnsmasq', () => {
  const port = freePort();
  let dnsmasq: Server | undefined;
  before(async () => {
    if (missingTools('dnsmasq')) return;
    dnsmasq = new Server('dnsmasq', [
      '--no-daemon',
      '--conf-file=/dev/null',
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      '--pid-file=',
      '--address=/example.test/10.1.2.3',
    ]);
    // ready when it answers our own probe
    await waitFor(
      async () => (await dnsProbe(spec({ kind: 'DNS_CHECK', type: 'A', name: 'example.test' }, port))).ok,
    );
  });
  after(async () => {
    await dnsmasq?.stop();
  });

  test('up: A example.test answered with NOERROR', async (t) => {
    if (!dnsmasq) return t.skip(missingTools('dnsmasq') ?? 'dnsmasq did not start');
    const r = await dnsProbe(spec({ kind: 'DNS_CHECK', type: 'A', name: 'example.test' }, port));
    assert.equal(r.ok, true, r.detail);
    assert.match(r.detail, /1 answer/);
  });

  test('down: the default SOA "." query is REFUSED by an upstream-less dnsmasq', async (t) => {
    if (!dnsmasq) return t.skip(missingTools('dnsmasq') ?? 'dnsmasq did not start');
    const r = await dnsProbe(spec({ kind: 'DNS_CHECK', type: 'SOA', name: '.' }, port));
    assert.equal(r.ok, false);
    assert.match(r.detail, /rcode 5/);
  });

  test('down: no server (ICMP port unreachable)', async () => {
    const r = await dnsProbe(spec({ kind: 'DNS_CHECK', type: 'A', name: 'example.test' }, freePort()));
    assert.equal(r.ok, false);
  });

  test('silent server: read timeout at connect_timeout', async () => {
    const p = freePort();
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(p, '127.0.0.1', r));
    const [r, ms] = await elapsed(() =>
      dnsProbe(spec({ kind: 'DNS_CHECK', type: 'A', name: 'x' }, p, { timeoutMs: 300 })),
    );
    sock.close();
    assert.equal(r.ok, false);
    assert.ok(ms >= 290 && ms < 300 + LOAD_MARGIN_MS, `took ${ms} ms`);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('UDP_CHECK', () => {
  let echo: UdpSocket;
  let silent: UdpSocket;
  const echoPort = freePort();
  const silentPort = freePort();
  before(async () => {
    echo = createSocket('udp4');
    echo.on('message', (m, rinfo) =>
      echo.send(Buffer.concat([Buffer.from('OK:'), m]), rinfo.port, rinfo.address),
    );
    await new Promise<void>((r) => echo.bind(echoPort, '127.0.0.1', r));
    silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(silentPort, '127.0.0.1', r));
  });
  after(() => {
    echo.close();
    silent.close();
  });
  const udp = (over: Partial<UdpCheckOptions> = {}): UdpCheckOptions => ({
    kind: 'UDP_CHECK',
    requireReply: false,
    minReplyLength: 0,
    maxReplyLength: 255,
    payload: Buffer.from('ping'),
    ...over,
  });

  test('up: require_reply with matching reply data', async () => {
    const r = await udpProbe(spec(udp({ requireReply: true, replyData: Buffer.from('OK:ping') }), echoPort));
    assert.equal(r.ok, true, r.detail);
  });

  test('down: reply data mismatch; mask can hide the difference', async () => {
    const bad = await udpProbe(spec(udp({ requireReply: true, replyData: Buffer.from('NO') }), echoPort));
    assert.equal(bad.ok, false);
    const masked = await udpProbe(
      spec(
        udp({ requireReply: true, replyData: Buffer.from('NO'), replyMask: Buffer.from([0xff, 0xff]) }),
        echoPort,
      ),
    );
    assert.equal(masked.ok, true, masked.detail);
  });

  test('down: reply length outside min/max', async () => {
    const r = await udpProbe(
      spec(udp({ requireReply: true, replyData: Buffer.from('OK'), maxReplyLength: 4 }), echoPort),
    );
    assert.equal(r.ok, false);
    assert.match(r.detail, /length/);
  });

  test('down: no listener -> ICMP port unreachable, fails well before the timeout', async () => {
    const [r, ms] = await elapsed(() => udpProbe(spec(udp(), freePort(), { timeoutMs: 2000 })));
    assert.equal(r.ok, false);
    assert.match(r.detail, /ECONNREFUSED/);
    assert.ok(ms < 2000, `took ${ms} ms: a refusal must not wait for the 2 s timeout`);
  });

  test('silent server: healthy without require_reply, failed with it (at connect_timeout)', async () => {
    const quiet = await udpProbe(spec(udp(), silentPort, { timeoutMs: 300 }));
    assert.equal(quiet.ok, true, quiet.detail);
    const [r, ms] = await elapsed(() =>
      udpProbe(spec(udp({ requireReply: true }), silentPort, { timeoutMs: 300 })),
    );
    assert.equal(r.ok, false);
    assert.ok(ms >= 290 && ms < 300 + LOAD_MARGIN_MS, `took ${ms} ms`);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('MISC_CHECK', () => {
  const misc = (command: string, over: { timeoutMs?: number; dynamic?: boolean } = {}): CheckOptions => ({
    kind: 'MISC_CHECK',
    command,
    timeoutMs: over.timeoutMs ?? 2000,
    dynamic: over.dynamic ?? false,
  });

  test('exit 0 up, exit 1 down, exit 7 down unless misc_dynamic', async () => {
    assert.equal((await miscProbe(spec(misc('exit 0'), 0))).ok, true);
    assert.equal((await miscProbe(spec(misc('exit 1'), 0))).ok, false);
    assert.equal((await miscProbe(spec(misc('exit 7'), 0))).ok, false);
    const dyn = await miscProbe(spec(misc('exit 7', { dynamic: true }), 0));
    assert.equal(dyn.ok, true);
    assert.equal(dyn.exitCode, 7);
    assert.equal((await miscProbe(spec(misc('exit 1', { dynamic: true }), 0))).ok, false);
  });

  test('slow: timeout kills the whole process group', async () => {
    const dir = workDir('misc');
    const pidFile = join(dir, 'grandchild.pid');
    const [r, ms] = await elapsed(() =>
      miscProbe(spec(misc(`sleep 30 & echo $! > ${pidFile}; wait`, { timeoutMs: 300 }), 0)),
    );
    assert.equal(r.ok, false);
    assert.match(r.detail, /timed out/);
    assert.ok(ms >= 290 && ms < 300 + LOAD_MARGIN_MS, `took ${ms} ms`);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // Killed is what counts: the orphan may stay a zombie until whoever inherited it reaps it (slow when
    // the machine is loaded).
    await waitFor(
      () => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return /^\d+ \(.*\) [ZX] /.test(stat);
        } catch {
          return true;
        }
      },
      5000,
      `the script's background sleep (pid ${pid}) to be killed`,
    );
  });

  test('a script ignoring SIGTERM is SIGKILLed after the grace period', async () => {
    const [r, ms] = await elapsed(() =>
      miscProbe(spec(misc(`trap '' TERM; sleep 30`, { timeoutMs: 200 }), 0)),
    );
    assert.equal(r.ok, false);
    assert.ok(ms >= 2100 && ms < 2200 + LOAD_MARGIN_MS, `took ${ms} ms`);
  });

  test('user: uid/gid are applied', async () => {
    const dir = workDir('uid');
    chmodSync(dir, 0o777);
    const out = join(dir, 'id');
    const options = { ...misc(`id -u > ${out}`), uid: 65534, gid: 65534 } as CheckOptions;
    const r = await miscProbe(spec(options, 0));
    assert.equal(r.ok, true, r.detail);
    assert.equal(readFileSync(out, 'utf8').trim(), '65534');
  });

  test('missing script fails (exit 127) without throwing', async () => {
    const r = await miscProbe(spec(misc('/nonexistent/script'), 0));
    assert.equal(r.ok, false);
    assert.match(r.detail, /127/);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('PING_CHECK (native ICMP socket)', () => {
  const addonBuilt = existsSync(
    new URL('../../../native/build/Release/keepalived_native.node', import.meta.url),
  );

  test('up: 127.0.0.1 and ::1 answer echo requests', async () => {
    assert.ok(addonBuilt, 'the native addon is built (npm run build:native)');
    const v4 = await pingProbe(spec({ kind: 'PING_CHECK' }, 0));
    assert.equal(v4.ok, true, v4.detail);
    const v6 = await pingProbe(spec({ kind: 'PING_CHECK' }, 0, { address: '::1' }));
    assert.equal(v6.ok, true, v6.detail);
  });

  test('down: echo requests dropped -> timeout', async (t) => {
    assert.ok(addonBuilt, 'the native addon is built (npm run build:native)');
    const noNft = missingTools('nft');
    if (noNft) return t.skip(noNft);
    spawnSync('nft', ['-f', '-'], {
      input:
        'table ip ktsping { chain input { type filter hook input priority 0; ip daddr 127.0.0.9 icmp type echo-request drop; }; }',
    });
    try {
      const [r, ms] = await elapsed(() =>
        pingProbe(spec({ kind: 'PING_CHECK' }, 0, { address: '127.0.0.9', timeoutMs: 300 })),
      );
      assert.equal(r.ok, false);
      assert.ok(ms >= 290 && ms < 300 + LOAD_MARGIN_MS, `took ${ms} ms`);
    } finally {
      spawnSync('nft', ['delete', 'table', 'ip', 'ktsping']);
    }
  });

  test('down: no route to the target fails at once', async () => {
    assert.ok(addonBuilt, 'the native addon is built (npm run build:native)');
    const r = await pingProbe(spec({ kind: 'PING_CHECK' }, 0, { address: '10.255.255.1' }));
    assert.equal(r.ok, false);
    assert.match(r.detail, /ENETUNREACH|unreachable/i);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('FILE_CHECK', () => {
  test('value x weight becomes the offset; weight 0 fails on non-zero; fault at -254', async () => {
    const dir = workDir('file');
    const path = join(dir, 'v');
    const file = (weight: number, reverse = false): CheckOptions => ({
      kind: 'FILE_CHECK',
      path,
      weight,
      reverse,
    });
    writeFileSync(path, '3\n');
    assert.deepEqual(await fileProbe(spec(file(2), 0)), { ok: true, detail: 'value 3', weightOffset: 6 });
    assert.equal((await fileProbe(spec(file(2, true), 0))).weightOffset, -6);
    assert.equal((await fileProbe(spec(file(0), 0))).ok, false);
    writeFileSync(path, '-127');
    assert.equal((await fileProbe(spec(file(2), 0))).ok, false);
    writeFileSync(path, 'garbage');
    assert.equal((await fileProbe(spec(file(0), 0))).ok, true);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('CheckRunner end to end', () => {
  test('flapping TCP server: DOWN within timeout + retry x delay_before_retry, then UP again', async () => {
    const port = freePort();
    const server = createServer((s) => s.destroy());
    await listen(server, port);
    const events: Array<{ at: number; action: CheckAction }> = [];
    const runner = new CheckRunner({
      servers: [{ id: 'rs', weight: 3, omega: true, notifyDown: 'echo down' }],
      checkers: [
        spec({ kind: 'TCP_CHECK' }, port, {
          timing: { delayLoopMs: 150, retry: 2, delayBeforeRetryMs: 100 },
        }),
      ],
      onAction: (action) => events.push({ at: performance.now(), action }),
    });
    const states = (): boolean[] =>
      events.flatMap((e) => (e.action.type === 'server-state' ? [e.action.up] : []));
    runner.start();
    try {
      await waitFor(() => runner.snapshot()[0]?.hasRun === true, 3000);
      assert.deepEqual(states(), [true]);
      const failedAt = performance.now();
      await close(server);
      await waitFor(() => states().length === 2, 3000);
      const verdictAt = events.find((e) => e.action.type === 'server-state' && !e.action.up)?.at as number;
      // worst case: a full delay_loop before the first failing probe, then 2 retries 100 ms apart
      const bound = 150 + 2 * 100 + 100 + 100;
      assert.ok(verdictAt - failedAt <= bound, `verdict after ${verdictAt - failedAt} ms`);
      const again = createServer((s) => s.destroy());
      await listen(again, port);
      await waitFor(() => states().length === 3, 3000);
      assert.deepEqual(states(), [true, false, true]);
      await close(again);
    } finally {
      await runner.stop();
    }
    // omega: the server was up at shutdown -> notify_down
    assert.ok(events.some((e) => e.action.type === 'notify' && e.action.event === 'down'));
  });

  test('stop() aborts probes in flight promptly', async () => {
    const port = freePort();
    const silent = await silentTcpServer(port);
    const runner = new CheckRunner({
      servers: [{ id: 'rs', weight: 1, omega: false }],
      checkers: [
        spec(
          {
            kind: 'HTTP_GET',
            urls: [{ path: '/', statusCodes: [[200, 299]] }],
            protocol: '1.0',
            enableSni: false,
          },
          port,
          {
            timeoutMs: 10_000,
          },
        ),
      ],
      onAction: () => undefined,
    });
    runner.start();
    await waitFor(() => runner.snapshot()[0]?.inFlight === true, 3000);
    const [, ms] = await elapsed(() => runner.stop());
    await silent.close();
    assert.ok(ms < 3000, `stop took ${ms} ms: it must abort the probe, not wait for its 10 s timeout`);
  });
});
