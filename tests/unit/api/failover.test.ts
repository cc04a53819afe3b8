// Takeover timing and split brain as the listener shows them (src/api/failover.ts): the stages from the
// kernel's receive time of the last advert, the log lines, and /status valid against the schema with both.
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  splitBrainHealedLogLine,
  splitBrainLogLine,
  splitBrainStatus,
  takeoverLogLine,
  takeoverStages,
  takeoverTiming,
} from '../../../src/api/failover.js';
import { buildStatus } from '../../../src/api/status.js';
import { Engine } from '../../../src/vrrp/engine/engine.js';
import { instanceSpec } from '../../../src/vrrp/engine/spec.js';
import type { SplitBrainReport, TakeoverReport } from '../../../src/vrrp/engine/reports.js';

const schema = JSON.parse(
  readFileSync(new URL('../../../../docs/status.schema.json', import.meta.url), 'utf8'),
) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addFormat('date-time', true);
const validate = ajv.compile(schema);

/** Monotonic ms 0 is 2026-01-01T00:00:00Z. */
const wall = (ms: number): string => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();

const takeover: TakeoverReport = {
  type: 'takeover',
  instance: 'VI_1',
  decidedAt: 13_609.9,
  reason: 'master-down timer',
  lastAdvert: { at: 10_000.4, arrivedAt: 10_000.1, from: '10.0.0.1', priority: 200 },
  masterDownIntervalMs: 3609.375,
};

const splitBrain: SplitBrainReport = {
  type: 'split-brain',
  instance: 'VI_1',
  vrid: 57,
  cause: 'other-master',
  since: 20_000,
  at: 23_300,
  us: { address: '10.0.0.1', priority: 200, addresses: ['10.0.0.100'] },
  other: { address: '10.0.0.2', priority: 100, addresses: ['10.0.0.100'] },
};

void describe('takeover timing', () => {
  void test('stages count from the kernel receive time of the last advert', () => {
    const t = takeoverTiming(takeover, { vipsInstalledAt: 13_612.1, firstGarpAt: 13_612.3 }, wall);
    assert.deepEqual(t.lastAdvert, {
      at: wall(10_000.1),
      from: '10.0.0.1',
      priority: 200,
      handledAfterMs: 0.3,
    });
    assert.deepEqual(t.sinceLastAdvertMs, { decided: 3609.8, vipsInstalled: 3612, firstGarp: 3612.2 });
    assert.deepEqual(t.sinceDecisionMs, { vipsInstalled: 2.2, firstGarp: 2.4 });
    assert.deepEqual(
      takeoverStages(t).map((s) => [s.stage, Math.round(s.seconds * 1e4) / 1e4]),
      [
        ['decided', 3.6098],
        ['vips_installed', 3.612],
        ['first_garp', 3.6122],
      ],
    );
    assert.equal(
      takeoverLogLine('VI_1', t),
      '(VI_1) takeover (master-down timer): last advert from 10.0.0.1 priority 200, decided after 3609.8 ms; ' +
        'VIPs installed +2.2 ms, first gratuitous ARP/NA +2.4 ms; from the last advert: VIPs 3612.0 ms, ' +
        'first gratuitous ARP/NA 3612.2 ms',
    );
  });

  void test('without a kernel timestamp the handling time is the start; without an advert, no stages', () => {
    const { arrivedAt: _arrivedAt, ...handled } = takeover.lastAdvert ?? { at: 0, from: '', priority: 0 };
    const t = takeoverTiming({ ...takeover, lastAdvert: handled }, {}, wall);
    assert.equal(t.lastAdvert?.handledAfterMs, undefined);
    assert.equal(t.sinceLastAdvertMs?.decided, 3609.5);
    assert.deepEqual(t.sinceDecisionMs, {});
    const { lastAdvert: _last, ...none } = takeover;
    const lone = takeoverTiming(none, { firstGarpAt: 13_610 }, wall);
    assert.equal(lone.sinceLastAdvertMs, undefined);
    assert.deepEqual(takeoverStages(lone), []);
    assert.match(takeoverLogLine('VI_1', lone), /no advert heard before; VIPs installed \+n\/a/);
  });
});

void describe('split brain', () => {
  void test('log lines name both routers and their priorities', () => {
    assert.equal(
      splitBrainLogLine(splitBrain),
      '(VI_1) SPLIT BRAIN on VRID 57: 10.0.0.2 priority 100 advertises as MASTER for 3.3 s while we are MASTER; we are 10.0.0.1 priority 200',
    );
    assert.match(
      splitBrainLogLine({
        ...splitBrain,
        cause: 'vip-set-differs',
        other: { ...splitBrain.other, priority: 200, addresses: ['10.0.0.200'] },
      }),
      /10\.0\.0\.2 priority 200 advertises as MASTER with our priority and another VIP set \(10\.0\.0\.200\)/,
    );
    assert.equal(
      splitBrainHealedLogLine({
        type: 'split-brain-healed',
        instance: 'VI_1',
        vrid: 57,
        other: '10.0.0.2',
        at: 30_000,
        durationMs: 10_000,
        reason: 'not heard for a master-down interval',
      }),
      '(VI_1) split brain on VRID 57 with 10.0.0.2 healed after 10.0 s: not heard for a master-down interval',
    );
  });

  void test('/status with a last takeover and a split brain is valid against the schema', () => {
    const spec = instanceSpec({
      name: 'VI_1',
      vrid: 57,
      priority: 200,
      addresses: [{ address: '10.0.0.100', prefix: 24 }],
    });
    const engine = new Engine({
      instances: [spec],
      syncGroups: [],
      scripts: [],
      trackFiles: [],
      trackProcesses: [],
    });
    engine.handle(0, { type: 'start' });
    const input = {
      snapshot: engine.snapshot(),
      specs: new Map([['VI_1', spec]]),
      detail: (n: string) => engine.instanceDetail(n),
      now: 0,
      generatedAt: wall(0),
      daemon: { implementation: 'keepalived-ts' as const, version: '0', pid: 1, startedAt: wall(0) },
      bfd: new Map<string, boolean>(),
      transitions: [],
      takeovers: new Map([['VI_1', takeoverTiming(takeover, { firstGarpAt: 13_612 }, wall)]]),
      splitBrains: new Map([
        [
          'VI_1',
          { ...splitBrainStatus(splitBrain, wall), active: false, healedAt: wall(40_000), healedReason: 'x' },
        ],
      ]),
    };
    const doc = buildStatus(input);
    assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
    assert.equal(doc.instances[0]?.lastTakeover?.sinceLastAdvertMs?.firstGarp, 3611.9);
    assert.deepEqual(doc.instances[0]?.splitBrain?.other, {
      address: '10.0.0.2',
      priority: 100,
      vips: ['10.0.0.100'],
    });
    // the schema is strict about these too
    const drift = structuredClone(doc) as unknown as {
      instances: Array<{ lastTakeover: Record<string, unknown> }>;
    };
    (drift.instances[0] as { lastTakeover: Record<string, unknown> }).lastTakeover.surprise = 1;
    assert.equal(validate(drift), false);
  });
});
