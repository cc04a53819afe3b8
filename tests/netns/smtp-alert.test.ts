// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// SMTP alerts against a real SMTP server (Python's smtpd) in the lab's namespaces:
// - a two-node VRRP election mails BACKUP / MASTER as keepalived does; the very same scenario is run with
//   Debian's keepalived 2.2.7 against the same kind of server, and the mails are compared field by field
//   (all but the Date value and the HELO/EHLO verb);
// - a checker's real server going down and back mails DOWN / UP (and the virtual server's quorum);
// - the sender never holds the daemon: a dead or silent server is logged, later alerts still leave, the
//   queue stays bounded and keeps its order.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab, type LanMember } from '../helpers/netns.js';
import {
  globalDefs,
  instanceConfig,
  keepalivedSkipReason,
  sleep,
  waitUntil,
  withLab,
  type Implementation,
} from '../helpers/vrrp-lab.js';
import {
  parseMail,
  SmtpSink,
  smtpSinkSkipReason,
  subjectOf,
  type ReceivedMail,
} from '../helpers/smtp-sink.js';
import { Logger, type LogLevel } from '../../src/daemon/process/log.js';
import { SmtpAlertSender } from '../../src/daemon/alerts/smtp-sender.js';
import type { SmtpAlertSettings } from '../../src/daemon/alerts/policy.js';
import { gated } from '../helpers/requirements.js';

/** A TCP listener that accepts and never writes a byte (a hung mail server). */
const SILENT_LISTENER = `
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
`;

const BIN = fileURLToPath(new URL('../../../bin/keepalived-ts', import.meta.url));
// Every mail test compares with keepalived 2.2.7's mails: without keepalived none of them proves anything.
const skip = keepalivedSkipReason() ?? smtpSinkSkipReason();
const { describe, test } = gated(skip);
const DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/;

/** What must be equal between keepalived's mails and ours: everything but the time and the HELO verb. */
function comparable(m: ReceivedMail): unknown {
  const { headers, body } = parseMail(m.data);
  return {
    heloName: m.greeting?.split(' ')[1],
    mailfrom: m.mailfrom,
    rcpttos: m.rcpttos,
    headers: headers.map(([n, v]) => (n === 'Date' ? [n, DATE.test(v) ? '<date>' : v] : [n, v])),
    body,
  };
}

function byRouter(mails: ReceivedMail[], routerId: string): ReceivedMail[] {
  return mails.filter((m) => subjectOf(m)?.startsWith(`[${routerId}] `));
}

const SMTP_GLOBALS = [
  'notification_email {',
  // two addresses on one line are two recipients in keepalived
  '  ops@example.com oncall@example.com',
  '  "noc@example.com"',
  '}',
  'notification_email_from keepalived@lab.example',
  'smtp_server 10.61.0.9 2525',
  'smtp_helo_name lb.lab.example',
  'smtp_connect_timeout 5',
  'smtp_alert_vrrp',
];

/** b starts alone (BACKUP then MASTER), a joins and preempts, a stops and b takes over again. */
async function election(impl: Implementation): Promise<ReceivedMail[]> {
  return withLab(`smtp-${impl === 'ours' ? 'o' : 'k'}`, async (lab) => {
    const [a, b, m] = lab.lan(['a', 'b', 'm']) as [LanMember, LanMember, LanMember];
    lab.addAddress(a, '10.61.0.1/24');
    lab.addAddress(b, '10.61.0.2/24');
    lab.addAddress(m, '10.61.0.9/24');
    const sink = await SmtpSink.start('10.61.0.9', 2525, join(lab.dir, 'mails.jsonl'), (argv) =>
      lab.spawnOther(m.ns, argv),
    );
    const conf = (routerId: string, priority: number): string =>
      globalDefs(routerId, SMTP_GLOBALS) +
      instanceConfig({ name: 'VI_1', vrid: 61, priority, vips: ['10.61.0.100/24'] });
    const count = (router: string, n: number) => (mails: ReceivedMail[]) =>
      byRouter(mails, router).length >= n;

    const db = lab.start(impl, b, 'b', conf('nodeB', 100));
    await db.waitForState('VI_1', 'MASTER', 15_000);
    await sink.waitFor(count('nodeB', 2), 'nodeB BACKUP + MASTER mails');

    const markB = db.mark();
    const da = lab.start(impl, a, 'a', conf('nodeA', 150));
    await da.waitForState('VI_1', 'MASTER', 15_000);
    await db.waitForState('VI_1', 'BACKUP', 15_000, markB);
    await sink.waitFor((ms) => count('nodeA', 2)(ms) && count('nodeB', 3)(ms), 'preemption mails');

    const markB2 = db.mark();
    await da.stop();
    await db.waitForState('VI_1', 'MASTER', 15_000, markB2);
    await sink.waitFor(count('nodeB', 4), 'nodeB MASTER mail after a stopped');
    // Anything else (a STOP mail, a duplicate) would arrive now.
    await sleep(2000);
    await db.stop();
    await sleep(500);
    return sink.messages();
  });
}

/** Waits until no new mail arrived for `quietMs`. */
async function settle(sink: SmtpSink, quietMs: number): Promise<void> {
  let seen = -1;
  while (sink.messages().length !== seen) {
    seen = sink.messages().length;
    await sleep(quietMs);
  }
}

/** One node: sync group G {VI_1, VI_2} and VI_3 alone, all MASTER; then a reload drops VI_3. */
async function groupAndReload(impl: Implementation): Promise<ReceivedMail[]> {
  return withLab(`smtpg-${impl === 'ours' ? 'o' : 'k'}`, async (lab) => {
    const [a, m] = lab.lan(['a', 'm']) as [LanMember, LanMember];
    lab.addAddress(a, '10.61.0.1/24');
    lab.addAddress(m, '10.61.0.9/24');
    const sink = await SmtpSink.start('10.61.0.9', 2525, join(lab.dir, 'mails.jsonl'), (argv) =>
      lab.spawnOther(m.ns, argv),
    );
    const inst = (name: string, vrid: number): string =>
      instanceConfig({ name, vrid, priority: 150, vips: [`10.61.0.${100 + vrid}/24`] });
    const group = 'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n';
    const base = globalDefs('nodeG', SMTP_GLOBALS) + group + inst('VI_1', 1) + inst('VI_2', 2);
    const d = lab.start(impl, a, 'a', base + inst('VI_3', 3));
    for (const i of ['VI_1', 'VI_2', 'VI_3']) await d.waitForState(i, 'MASTER', 15_000);
    await settle(sink, 2000);
    writeFileSync(d.files.config, base);
    process.kill(Number(readFileSync(d.files.pid, 'utf8').trim()), 'SIGHUP');
    await sink.waitFor(
      (ms) => ms.some((x) => subjectOf(x) === '[nodeG] VRRP Instance VI_3 - Entering FAULT state'),
      'the mail of VI_3 removed by the reload',
    );
    await settle(sink, 2000);
    await d.stop();
    return sink.messages();
  });
}

/** Mails as comparable text, sorted: keepalived sends simultaneous alerts on parallel connections. */
function sortedComparable(mails: ReceivedMail[]): string[] {
  return mails.map((x) => JSON.stringify(comparable(x))).sort();
}

const EXPECTED: Record<string, string[]> = {
  nodeB: ['BACKUP', 'MASTER', 'BACKUP', 'MASTER'],
  nodeA: ['BACKUP', 'MASTER'],
};

function assertElectionMails(mails: ReceivedMail[], who: string): void {
  for (const [router, states] of Object.entries(EXPECTED)) {
    const mine = byRouter(mails, router);
    assert.deepEqual(
      mine.map((m) => subjectOf(m)),
      states.map((s) => `[${router}] VRRP Instance VI_1 - Entering ${s} state`),
      `${who}: ${router}'s subjects`,
    );
    for (const [i, m] of mine.entries()) {
      const { headers, body } = parseMail(m.data);
      assert.deepEqual(
        headers.map(([n]) => n),
        ['Date', 'From', 'Subject', 'X-Mailer', 'To'],
        `${who}: header set`,
      );
      assert.match(headers[0]?.[1] ?? '', DATE);
      assert.deepEqual(headers.slice(1, 2), [['From', 'keepalived@lab.example']]);
      assert.deepEqual(headers.slice(3), [
        ['X-Mailer', 'Keepalived'],
        ['To', 'ops@example.com, oncall@example.com, noc@example.com'],
      ]);
      const owning = states[i] === 'MASTER' ? 'is now owning' : 'is no longer owning';
      assert.equal(body, `=> VRRP Instance ${owning} VRRP VIPs <=\n`, `${who}: body`);
      assert.equal(m.mailfrom, 'keepalived@lab.example');
      assert.deepEqual(m.rcpttos, ['ops@example.com', 'oncall@example.com', 'noc@example.com']);
      assert.equal(m.greeting?.split(' ')[1], 'lb.lab.example');
    }
  }
  assert.equal(mails.length, 6, `${who}: no other mail (keepalived sends no STOP mail as it exits)`);
}

describe('SMTP alerts', () => {
  test('VRRP election: ours mails what keepalived 2.2.7 mails', async () => {
    const ours = await election('ours');
    assertElectionMails(ours, 'ours');
    const theirs = await election('keepalived');
    assertElectionMails(theirs, 'keepalived');
    for (const router of Object.keys(EXPECTED))
      assert.deepEqual(
        byRouter(ours, router).map(comparable),
        byRouter(theirs, router).map(comparable),
        router,
      );
    // The one protocol difference: keepalived greets with HELO, nodemailer with EHLO (same name).
    assert.ok(theirs.every((m) => m.greeting?.startsWith('HELO ')));
    assert.ok(ours.every((m) => m.greeting?.startsWith('EHLO ')));
  });

  test('sync group and reload: the group mails and the removal mail match keepalived 2.2.7', async () => {
    const ours = await groupAndReload('ours');
    const summary = ours.map((x) => `${subjectOf(x)} | ${parseMail(x.data).body.trim()}`);
    for (const expected of [
      '[nodeG] VRRP Group G - Entering BACKUP state | => All VRRP group instances are now in BACKUP state <=',
      '[nodeG] VRRP Group G - Entering MASTER state | => All VRRP group instances are now in MASTER state <=',
      '[nodeG] VRRP Instance VI_3 - Entering MASTER state | => VRRP Instance is now owning VRRP VIPs <=',
      '[nodeG] VRRP Instance VI_3 - Entering FAULT state | => VRRP Instance is no longer owning VRRP VIPs <=',
    ])
      assert.ok(summary.includes(expected), `missing "${expected}" in:\n${summary.join('\n')}`);
    const theirs = await groupAndReload('keepalived');
    assert.deepEqual(sortedComparable(ours), sortedComparable(theirs));
  });

  test('a mail server that refuses or never answers is logged; VRRP goes on', async () => {
    await withLab('smtp-dead', async (lab) => {
      const [a, m] = lab.lan(['a', 'm']) as [LanMember, LanMember];
      lab.addAddress(a, '10.61.0.1/24');
      lab.addAddress(m, '10.61.0.9/24');
      // m answers TCP with a reset on 2525 (refused); 2526 accepts and never speaks.
      lab.spawnOther(m.ns, ['python3', '-c', SILENT_LISTENER, '10.61.0.9', '2526']);
      const globals = (port: number) => [
        'notification_email {',
        '  ops@example.com',
        '}',
        `smtp_server 10.61.0.9 ${port}`,
        'smtp_connect_timeout 1',
        'smtp_alert',
      ];
      const conf = (port: number, vrid: number): string =>
        globalDefs('nodeD', globals(port)) +
        instanceConfig({ name: 'VI_1', vrid, priority: 150, vips: ['10.61.0.100/24'] });
      const refused = lab.start('ours', a, 'a', conf(2525, 71));
      await refused.waitForLog(/SMTP connection ERROR to \[10\.61\.0\.9\]:2525\./, 10_000);
      await refused.waitForState('VI_1', 'MASTER', 15_000);
      // The BACKUP mail and the MASTER mail both failed, and were both tried.
      await waitUntil(
        () => refused.lines.filter((l) => l.includes('SMTP connection ERROR')).length >= 2,
        'two refused alerts',
      );
      assert.equal(await refused.stop(), 0);
      const silent = lab.start('ours', a, 'a2', conf(2526, 72));
      await silent.waitForState('VI_1', 'MASTER', 15_000);
      await silent.waitForLog(/Timeout reading data to remote SMTP server \[10\.61\.0\.9\]:2526\./, 10_000);
      assert.ok(silent.running);
      assert.equal(await silent.stop(), 0);
    });
  });

  test('checker: a real server going down and back mails DOWN and UP, with the quorum', async () => {
    const lab = new NetnsLab('smtpchk');
    const dir = mkdtempSync(join(tmpdir(), 'kts-smtpchk-'));
    try {
      const ns = lab.namespace('h');
      const sink = await SmtpSink.start('127.0.0.1', 2525, join(dir, 'mails.jsonl'), (argv) =>
        lab.spawn(ns, argv),
      );
      const conf = join(dir, 'k.conf');
      writeFileSync(
        conf,
        `global_defs {
  router_id chk1
  notification_email {
    ops@example.com
  }
  notification_email_from ka@example.com
  smtp_server 127.0.0.1 2525
  smtp_connect_timeout 3
}
virtual_server 10.9.9.9 80 {
  delay_loop 1
  lvs_sched rr
  protocol TCP
  smtp_alert
  real_server 127.0.0.1 18080 {
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
`,
      );
      const http = () => lab.spawn(ns, ['python3', '-m', 'http.server', '18080', '--bind', '127.0.0.1']);
      const server = http();
      lab.spawn(ns, [
        process.execPath,
        BIN,
        '-C',
        '-n',
        '-l',
        '-f',
        conf,
        '-p',
        join(dir, 'k.pid'),
        '-c',
        join(dir, 'c.pid'),
      ]);
      const vsSubject = '[chk1] Virtualserver [10.9.9.9]:tcp:80';
      const rsSubject = '[chk1] Realserver [127.0.0.1]:tcp:18080 of virtual server [10.9.9.9]:tcp:80';
      // Start-up: the real server starts alive, so the virtual server "starts with quorum up".
      await sink.waitFor((ms) => ms.length >= 1, 'the start-up quorum mail');
      // Let the first probe succeed (no mail: the checker was already up), then stop the web server.
      await sleep(2500);
      server.kill('SIGKILL');
      const down = await sink.waitFor((ms) => ms.length >= 3, 'the DOWN mails');
      http();
      const all = await sink.waitFor((ms) => ms.length >= 5, 'the UP mails');
      const summary = all.map((m) => [subjectOf(m), parseMail(m.data).body]);
      assert.deepEqual(summary, [
        [`${vsSubject} - UP`, '=> Starting with quorum up 1+0=1 <= 1 <=\n'],
        [`${rsSubject} - DOWN`, '=> TCP CHECK failed on service <=\n'],
        [`${vsSubject} - DOWN`, '=> Lost quorum 1+0=1 <= 0 <=\n'],
        [`${rsSubject} - UP`, '=> TCP CHECK succeed on service <=\n'],
        [`${vsSubject} - UP`, '=> Gained quorum 1+0=1 <= 1 <=\n'],
      ]);
      assert.equal(down.length, 3);
      for (const m of all) {
        assert.equal(m.mailfrom, 'ka@example.com');
        assert.deepEqual(m.rcpttos, ['ops@example.com']);
      }
      sink.stop();
    } finally {
      lab.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sender: dead and silent servers are logged, order kept, queue bounded', async () => {
    const lines: Array<[LogLevel, string]> = [];
    class CapturingLogger extends Logger {
      override log(level: LogLevel, message: string): void {
        lines.push([level, message]);
      }
    }
    const log = new CapturingLogger({
      console: false,
      syslog: false,
      facility: 'daemon',
      detail: true,
      ident: 't',
    });
    const settings = (port: number, timeoutMs = 1000): SmtpAlertSettings => ({
      host: '127.0.0.1',
      port,
      heloName: 'me.example',
      from: 'ka@example.com',
      to: ['ops@example.com'],
      timeoutMs,
      routerId: 'r',
    });
    const alert = (i: number) => ({ subject: `[r] alert ${i}`, body: `=> body ${i} <=` });

    // A server that accepts connections and never says a word: every send times out, none blocks.
    const silent: Socket[] = [];
    const mute: Server = createServer((s) => silent.push(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const mutePort = (mute.address() as { port: number }).port;
    const stuck = new SmtpAlertSender(settings(mutePort), log, 3);
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) stuck.send(alert(i));
    assert.ok(Date.now() - t0 < 200, 'send() returns at once');
    assert.ok(stuck.pending <= 3, `queue bounded (${stuck.pending})`);
    await sleep(2500);
    await stuck.close(100);
    assert.ok(
      lines.some(([, l]) =>
        /Timeout reading data to remote SMTP server \[127\.0\.0\.1\]:\d+\. \(Greeting never received\)/.test(
          l,
        ),
      ),
      lines.map((l) => l.join(' ')).join('\n'),
    );
    assert.ok(lines.some(([lvl, l]) => lvl === 'warning' && /older alert\(s\) dropped/.test(l)));
    for (const s of silent) s.destroy();
    mute.close();

    // Nobody listening: the error is logged; the sender keeps going once a server is there.
    const dir = mkdtempSync(join(tmpdir(), 'kts-smtpsend-'));
    try {
      const sink = await SmtpSink.start('127.0.0.1', 0, join(dir, 'mails.jsonl'));
      try {
        const deadPort = await new Promise<number>((resolve) => {
          const probe = createServer();
          probe.listen(0, '127.0.0.1', () => {
            const p = (probe.address() as { port: number }).port;
            probe.close(() => resolve(p));
          });
        });
        lines.length = 0;
        const dead = new SmtpAlertSender(settings(deadPort), log);
        dead.send(alert(0));
        await sleep(500);
        await dead.close(1000);
        assert.ok(
          lines.some(([, l]) => l.startsWith(`SMTP connection ERROR to [127.0.0.1]:${deadPort}.`)),
          lines.map((l) => l.join(' ')).join('\n'),
        );

        const live = new SmtpAlertSender(settings(sink.port), log);
        for (let i = 1; i <= 5; i++) live.send(alert(i));
        const got = await sink.waitFor((ms) => ms.length >= 5, 'five alerts', 15_000);
        assert.deepEqual(
          got.map((m) => subjectOf(m)),
          [1, 2, 3, 4, 5].map((i) => `[r] alert ${i}`),
        );
        assert.equal(got[0]?.greeting, 'EHLO me.example');
        await live.close(1000);
        live.send(alert(6));
        await sleep(300);
        assert.equal(sink.messages().length, 5, 'a closed sender sends nothing');
      } finally {
        sink.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
