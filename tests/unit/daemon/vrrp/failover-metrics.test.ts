// Takeover and split-brain events into /metrics (status-service.ts): the histogram's stages, the gauge
// that stays 1 while any other master of the instance is still heard, the episode counter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../../../src/vrrp/engine/engine.js';
import { instanceSpec } from '../../../../src/vrrp/engine/spec.js';
import { StatusService } from '../../../../src/daemon/vrrp/status-service.js';
import { Logger } from '../../../../src/daemon/process/log.js';
import type { StatusEventBody } from '../../../../src/api/events.js';

const at = new Date(0).toISOString();

function service(): StatusService {
  const spec = instanceSpec({
    name: 'V',
    vrid: 9,
    priority: 200,
    addresses: [{ address: '10.9.9.9', prefix: 24 }],
  });
  const engine = new Engine({
    instances: [spec],
    syncGroups: [],
    scripts: [],
    trackFiles: [],
    trackProcesses: [],
  });
  engine.handle(0, { type: 'start' });
  return new StatusService(
    {
      input: () => ({
        snapshot: engine.snapshot(),
        specs: new Map([['V', spec]]),
        detail: (n) => engine.instanceDetail(n),
        now: 0,
        daemon: { implementation: 'keepalived-ts', version: 't', pid: 1, startedAt: at },
      }),
      garpDelayS: () => 5,
    },
    new Logger({ console: false, syslog: false, facility: 'daemon', detail: false, ident: 't' }),
  );
}

const episode = (other: string): StatusEventBody => ({
  type: 'split-brain',
  instance: 'V',
  vrid: 9,
  cause: 'other-master',
  since: at,
  detectedAt: at,
  us: { address: '10.9.9.1', priority: 200 },
  other: { address: other, priority: 100, vips: ['10.9.9.9'] },
});

const healed = (other: string): StatusEventBody => ({
  type: 'split-brain-healed',
  instance: 'V',
  vrid: 9,
  other,
  durationMs: 5000,
  reason: 'not heard for a master-down interval',
});

const value = (text: string, re: RegExp): number | undefined => {
  const line = text.split('\n').find((l) => re.test(l));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

test('takeover stages in the histogram; the split-brain gauge and counter', async () => {
  const s = service();
  try {
    s.event({
      type: 'takeover',
      instance: 'V',
      timing: {
        decidedAt: at,
        reason: 'master-down timer',
        masterDownIntervalMs: 3609.375,
        lastAdvert: { at, from: '10.9.9.2', priority: 200 },
        sinceLastAdvertMs: { decided: 3610, vipsInstalled: 3612, firstGarp: 3612.5 },
        sinceDecisionMs: { vipsInstalled: 2, firstGarp: 2.5 },
      },
    });
    let m = (await s.renderMetrics()).body;
    for (const [stage, seconds] of [
      ['decided', 3.61],
      ['vips_installed', 3.612],
      ['first_garp', 3.6125],
    ] as const) {
      assert.equal(
        value(m, new RegExp(`^keepalived_vrrp_takeover_seconds_count\\{iname="V",stage="${stage}"\\}`)),
        1,
      );
      assert.ok(
        Math.abs(
          (value(m, new RegExp(`^keepalived_vrrp_takeover_seconds_sum\\{iname="V",stage="${stage}"\\}`)) ??
            0) - seconds,
        ) < 1e-9,
      );
      // 3.5 s < t <= 4 s
      assert.equal(
        value(
          m,
          new RegExp(`^keepalived_vrrp_takeover_seconds_bucket\\{le="3.5",iname="V",stage="${stage}"\\}`),
        ),
        0,
      );
      assert.equal(
        value(
          m,
          new RegExp(`^keepalived_vrrp_takeover_seconds_bucket\\{le="4",iname="V",stage="${stage}"\\}`),
        ),
        1,
      );
    }

    s.event(episode('10.9.9.2'));
    s.event(episode('10.9.9.3'));
    m = (await s.renderMetrics()).body;
    assert.equal(value(m, /^keepalived_vrrp_split_brain\{iname="V"\}/), 1);
    assert.equal(value(m, /^keepalived_vrrp_split_brain_total\{iname="V"\}/), 2);
    // one of the two heals: still split
    s.event(healed('10.9.9.2'));
    m = (await s.renderMetrics()).body;
    assert.equal(value(m, /^keepalived_vrrp_split_brain\{iname="V"\}/), 1);
    s.event(healed('10.9.9.3'));
    m = (await s.renderMetrics()).body;
    assert.equal(value(m, /^keepalived_vrrp_split_brain\{iname="V"\}/), 0);
    assert.equal(value(m, /^keepalived_vrrp_split_brain_total\{iname="V"\}/), 2);
    // and on /events' history, in order
    assert.deepEqual(
      s.history.all().map((e) => e.type),
      ['takeover', 'split-brain', 'split-brain', 'split-brain-healed', 'split-brain-healed'],
    );
  } finally {
    await s.close();
  }
});
