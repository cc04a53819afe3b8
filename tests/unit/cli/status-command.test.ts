// `keepalived-ts status` and `events`: where they connect (arguments, environment, the configuration's
// status_http block) and the tables they print.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_URL, parseClientArgs } from '../../../src/cli/status-client.js';
import { formatStatus } from '../../../src/cli/status-command.js';
import type { StatusDocument } from '../../../src/api/status.js';

void describe('status client arguments', () => {
  void test('--url and --token win; the environment gives a token', () => {
    const o = parseClientArgs(['--url', 'http://10.0.0.1:1', '--token=t', '--json'], {});
    assert.deepEqual(o, { insecure: false, json: true, follow: false, url: 'http://10.0.0.1:1', token: 't' });
    const e = parseClientArgs(['--url', 'http://x:1', '--follow', '--since', '7'], {
      KEEPALIVED_TS_TOKEN: 'env',
    });
    assert.deepEqual(e, {
      insecure: false,
      json: false,
      follow: true,
      since: 7,
      url: 'http://x:1',
      token: 'env',
    });
  });

  void test('the configuration names the listener (IPv6 bracketed, https with TLS) and its token', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-status-cli-'));
    try {
      const conf = join(dir, 'k.conf');
      writeFileSync(
        conf,
        'status_http {\n  listen ::1 9651\n  token "from conf"\n  tls_certificate /c\n  tls_key /k\n}\n',
      );
      assert.deepEqual(parseClientArgs(['-f', conf], {}), {
        insecure: false,
        json: false,
        follow: false,
        url: 'https://[::1]:9651',
        token: 'from conf',
      });
      writeFileSync(conf, 'status_http {\n  listen 0.0.0.0 9652\n}\n');
      assert.deepEqual(parseClientArgs(['-f', conf], {}), {
        insecure: false,
        json: false,
        follow: false,
        url: 'http://127.0.0.1:9652',
      });
      writeFileSync(conf, 'global_defs {\n}\n');
      assert.match(String(parseClientArgs(['-f', conf], {})), /has no status_http block/);
      assert.match(String(parseClientArgs(['-f', join(dir, 'none.conf')], {})), /cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void test('errors name the argument; without a config the default URL', () => {
    assert.equal(parseClientArgs(['--bogus'], {}), "unknown argument '--bogus'");
    assert.equal(parseClientArgs(['--since', 'x'], {}), '--since needs an event number');
    const o = parseClientArgs(['--token', 't'], {});
    // the default config may or may not exist here: either it names a listener or the default is used
    assert.ok(typeof o !== 'string');
    assert.ok(o.url === DEFAULT_URL || o.url.startsWith('http'));
  });
});

const DOC: StatusDocument = {
  schemaVersion: 3,
  generatedAt: '2026-01-01T00:00:00.000Z',
  daemon: {
    implementation: 'keepalived-ts',
    version: '0.1.0',
    pid: 42,
    startedAt: '2026-01-01T00:00:00.000Z',
    routerId: 'lb1',
  },
  instances: [
    {
      name: 'VI_1',
      interface: 'eth0',
      vrid: 51,
      version: 3,
      family: 4,
      state: 'BACKUP',
      wantState: 'BACKUP',
      priority: {
        base: 100,
        effective: 80,
        trackers: [
          {
            kind: 'script',
            name: 'chk',
            weight: -20,
            reverse: false,
            status: 'failed',
            contribution: -20,
            fault: false,
          },
          {
            kind: 'interface',
            name: 'eth0',
            weight: 0,
            reverse: false,
            status: 'up',
            contribution: 0,
            fault: false,
          },
        ],
      },
      master: { self: false, address: '10.0.0.2', priority: 150 },
      timers: {
        advertIntervalMs: 1000,
        masterAdvertIntervalMs: 1000,
        masterDownIntervalMs: 3690,
        preemptDelayMs: 0,
      },
      preempt: true,
      vips: [{ address: '10.0.0.100', prefix: 24, interface: 'eth0' }],
      excludedVips: [],
      faults: [],
      lastTransition: { at: 't', from: 'MASTER', to: 'BACKUP', reason: 'higher priority advert' },
      counters: {} as StatusDocument['instances'][number]['counters'],
    },
  ],
  syncGroups: [],
  bfd: [{ name: 'b1', up: false }],
  virtualServers: [
    {
      name: '10.0.0.100:80/TCP',
      realServers: [
        {
          address: '10.1.0.1',
          port: 80,
          up: false,
          weight: 1,
          checkers: [
            {
              id: 'x',
              kind: 'TCP_CHECK',
              up: false,
              last: { ok: false, detail: 'refused', durationMs: 0.4, at: 't' },
            },
          ],
        },
      ],
    },
  ],
  transitions: [],
};

void describe('status tables', () => {
  void test('instances, trackers that move a priority, BFD, real servers; no colour off a terminal', () => {
    const text = formatStatus(DOC, false);
    assert.ok(!text.includes('\x1b['));
    const lines = text.split('\n');
    assert.equal(lines[0], 'keepalived-ts 0.1.0 pid 42 router lb1, up since 2026-01-01T00:00:00.000Z');
    assert.match(text, /^INSTANCE\s+STATE\s+PRIO\s+VRID\s+IF\s+MASTER\s+VIPS\s+LAST CHANGE$/m);
    assert.match(
      text,
      /^VI_1\s+BACKUP\s+80\/100\s+51\s+eth0\s+10\.0\.0\.2 \(150\)\s+10\.0\.0\.100\s+MASTER->BACKUP: higher priority advert$/m,
    );
    assert.match(text, /^VI_1\s+script:chk\s+failed\s+-20$/m);
    assert.ok(!/interface:eth0/.test(text), 'a tracker that changes nothing is not listed');
    assert.match(text, /^b1\s+Down$/m);
    assert.match(
      text,
      /^10\.0\.0\.100:80\/TCP\s+10\.1\.0\.1:80\s+DOWN\s+1\s+TCP_CHECK: refused \(0\.4 ms\)$/m,
    );
  });

  void test('colour on a terminal: the state and the health', () => {
    const text = formatStatus(DOC, true);
    assert.ok(text.includes('\x1b[33mBACKUP'));
    assert.ok(text.includes('\x1b[31mDOWN'));
  });
});
