// The engine's reports (reports.ts): takeover timing and split brain, from events alone, on a LAN of
// engines where adverts can be lost one way.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../../../src/vrrp/engine/engine.js';
import type { Action, EngineEvent, EngineReport } from '../../../../src/vrrp/engine/engine.js';
import type { ReceivedAdvert } from '../../../../src/vrrp/advert.js';
import { instanceSpec } from '../../../../src/vrrp/engine/spec.js';
import type { InstanceSpec } from '../../../../src/vrrp/engine/spec.js';
import { masterDownIntervalMs } from '../../../../src/vrrp/engine/timers.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

function router(priority: number, source: string, vips = ['10.0.0.100']): InstanceSpec {
  return instanceSpec({
    name: 'VI_1',
    vrid: 10,
    priority,
    sourceAddress: source,
    addresses: vips.map((address) => ({ address, prefix: 24 })),
  });
}

/** Zero-latency LAN of engines named by their source address; `cut` holds "from>to" links that lose adverts. */
class Lan {
  now = 0;
  readonly cut = new Set<string>();
  readonly reports: { node: string; report: EngineReport }[] = [];
  readonly actions: { t: number; node: string; action: Action }[] = [];
  readonly nodes = new Map<string, Engine>();

  constructor(...specs: InstanceSpec[]) {
    for (const s of specs)
      this.nodes.set(
        s.sourceAddress as string,
        new Engine({ instances: [s], syncGroups: [], scripts: [], trackFiles: [], trackProcesses: [] }),
      );
  }

  send(node: string, event: EngineEvent): void {
    const engine = this.nodes.get(node) as Engine;
    const actions = engine.handle(this.now, event);
    for (const report of engine.reports()) this.reports.push({ node, report });
    for (const action of actions) {
      this.actions.push({ t: this.now, node, action });
      if (action.type !== 'send-advert') continue;
      const received: ReceivedAdvert = {
        advert: action.advert,
        family: action.family,
        source: action.source ?? '0.0.0.0',
        destination: '224.0.0.18',
        ttl: 255,
        ifname: 'eth0',
      };
      for (const other of this.nodes.keys())
        if (other !== node && !this.cut.has(`${node}>${other}`))
          this.send(other, { type: 'advert', received });
    }
  }

  start(): void {
    for (const node of this.nodes.keys()) this.send(node, { type: 'start' });
  }

  runUntil(t: number): void {
    for (;;) {
      let next: { node: string; at: number } | undefined;
      for (const [node, engine] of this.nodes) {
        const at = engine.nextDeadline();
        if (at !== undefined && at <= t && (next === undefined || at < next.at)) next = { node, at };
      }
      if (!next) break;
      this.now = next.at;
      this.send(next.node, { type: 'timer' });
    }
    this.now = t;
  }

  state(node: string): string | undefined {
    return this.nodes.get(node)?.snapshot().instances[0]?.state;
  }

  of<T extends EngineReport['type']>(node: string, type: T): Extract<EngineReport, { type: T }>[] {
    return this.reports
      .filter((r) => r.node === node && r.report.type === type)
      .map((r) => r.report as Extract<EngineReport, { type: T }>);
  }

  /** When `from` last sent an advert (on this zero-latency LAN: when the others last heard it). */
  lastAdvert(from: string): number | undefined {
    const sent = this.actions.filter((a) => a.node === from && a.action.type === 'send-advert');
    return sent.at(-1)?.t;
  }
}

void describe('engine reports: takeover timing', () => {
  void test('a takeover reports the last advert heard from the old master and the master-down interval', () => {
    const lan = new Lan(router(200, A), router(100, B));
    lan.start();
    lan.runUntil(10_000);
    assert.equal(lan.state(A), 'MASTER');
    assert.equal(lan.state(B), 'BACKUP');
    const before = lan.of(B, 'takeover').length;
    // A falls silent (its adverts no longer reach B)
    lan.cut.add(`${A}>${B}`);
    const lastHeard = lan.lastAdvert(A) as number;
    lan.runUntil(20_000);
    assert.equal(lan.state(B), 'MASTER');
    const takeovers = lan.of(B, 'takeover').slice(before);
    assert.equal(takeovers.length, 1);
    const t = takeovers[0];
    assert.ok(t !== undefined);
    assert.equal(t.reason, 'master-down timer');
    assert.deepEqual(t.lastAdvert, { at: lastHeard, from: A, priority: 200 });
    const mdi = masterDownIntervalMs(2, 100, 100);
    assert.equal(t.masterDownIntervalMs, mdi);
    // the decision comes exactly one master-down interval after the last advert heard
    assert.ok(Math.abs(t.decidedAt - lastHeard - mdi) < 0.01, `${t.decidedAt - lastHeard} vs ${mdi}`);
  });

  void test('a priority-0 advert makes the takeover quick, and the report says so', () => {
    const lan = new Lan(router(200, A), router(100, B));
    lan.start();
    lan.runUntil(10_000);
    lan.send(A, { type: 'shutdown' });
    const stoppedAt = lan.now;
    lan.runUntil(12_000);
    const t = lan.of(B, 'takeover').at(-1);
    assert.ok(t !== undefined);
    assert.equal(t.lastAdvert?.priority, 0);
    assert.equal(t.lastAdvert?.at, stoppedAt);
    // skew time only: (256 - 100) / 256 s
    assert.ok(Math.abs(t.decidedAt - stoppedAt - 609.375) < 0.01, `${t.decidedAt - stoppedAt}`);
  });

  void test("the kernel's receive time of the last advert rides along, and changes no timer", () => {
    const engine = new Engine({
      instances: [router(100, B)],
      syncGroups: [],
      scripts: [],
      trackFiles: [],
      trackProcesses: [],
    });
    engine.handle(0, { type: 'start' });
    const advert = {
      version: 2 as const,
      vrid: 10,
      priority: 200,
      intervalCs: 100,
      addresses: ['10.0.0.100'],
      authType: 'none' as const,
    };
    const received: ReceivedAdvert = {
      advert,
      family: 4,
      source: A,
      destination: '224.0.0.18',
      ttl: 255,
      ifname: 'eth0',
      arrivedAt: 999.25,
    };
    engine.handle(1000, { type: 'advert', received });
    // the master-down timer runs from the handling (keepalived's behaviour), not from the arrival
    assert.equal(engine.nextDeadline(), 1000 + masterDownIntervalMs(2, 100, 100));
    engine.handle(engine.nextDeadline() as number, { type: 'timer' });
    const t = engine.reports().find((r) => r.type === 'takeover');
    assert.ok(t?.type === 'takeover');
    assert.deepEqual(t.lastAdvert, { at: 1000, arrivedAt: 999.25, from: A, priority: 200 });
  });

  void test('a start with nobody else on the LAN reports a takeover with no advert heard', () => {
    const lan = new Lan(router(100, B));
    lan.start();
    lan.runUntil(5_000);
    const t = lan.of(B, 'takeover');
    assert.equal(t.length, 1);
    assert.equal(t[0]?.lastAdvert, undefined);
  });
});

void describe('engine reports: split brain', () => {
  void test('another master heard for a master-down interval is reported once, healed once', () => {
    const lan = new Lan(router(200, A), router(100, B));
    lan.start();
    lan.runUntil(10_000);
    // B stops hearing A: B becomes MASTER too, A hears B's lower-priority adverts and stays MASTER
    lan.cut.add(`${A}>${B}`);
    lan.runUntil(30_000);
    assert.equal(lan.state(A), 'MASTER');
    assert.equal(lan.state(B), 'MASTER');
    const reports = lan.of(A, 'split-brain');
    assert.equal(reports.length, 1, 'once per episode');
    const r = reports[0];
    assert.ok(r !== undefined);
    assert.equal(r.cause, 'other-master');
    assert.deepEqual(r.us, { address: A, priority: 200, addresses: ['10.0.0.100'] });
    assert.deepEqual(r.other, { address: B, priority: 100, addresses: ['10.0.0.100'] });
    // reported once B had been heard for A's master-down interval (at one of B's adverts)
    const mdi = masterDownIntervalMs(2, 200, 100);
    assert.ok(r.at - r.since >= mdi && r.at - r.since < mdi + 1000, `${r.at - r.since}`);
    assert.equal(lan.of(A, 'split-brain-healed').length, 0);
    assert.equal(lan.of(B, 'split-brain').length, 0, 'B hears nothing');

    // heal: B hears A again and yields; A stops hearing B and reports the end at one of its adverts
    lan.cut.clear();
    const healedFrom = lan.now;
    lan.runUntil(40_000);
    assert.equal(lan.state(B), 'BACKUP');
    const healed = lan.of(A, 'split-brain-healed');
    assert.equal(healed.length, 1);
    const h = healed[0];
    assert.ok(h !== undefined);
    assert.equal(h.other, B);
    assert.equal(h.reason, 'not heard for a master-down interval');
    assert.ok(h.at - healedFrom > mdi && h.at - healedFrom <= mdi + 2000, `${h.at - healedFrom}`);
    assert.equal(h.durationMs, h.at - r.since);
    assert.equal(lan.of(A, 'split-brain').length, 1);

    // a second partition is a second episode
    lan.cut.add(`${A}>${B}`);
    lan.runUntil(60_000);
    assert.equal(lan.of(A, 'split-brain').length, 2);
  });

  void test('a master with our priority and another VIP set is reported at its first advert', () => {
    // equal priority: the higher address (B) would win; B does not hear A, so both are MASTER
    const lan = new Lan(router(100, B, ['10.0.0.100']), router(100, A, ['10.0.0.200']));
    lan.start();
    lan.runUntil(10_000);
    lan.cut.add(`${B}>${A}`);
    lan.runUntil(20_000);
    assert.equal(lan.state(A), 'MASTER');
    assert.equal(lan.state(B), 'MASTER');
    const r = lan.of(B, 'split-brain');
    assert.equal(r.length, 1);
    assert.equal(r[0]?.cause, 'vip-set-differs');
    assert.equal(r[0]?.since, r[0]?.at, 'at the first advert');
    assert.deepEqual(r[0]?.other.addresses, ['10.0.0.200']);
  });

  void test('leaving MASTER ends the episode', () => {
    const lan = new Lan(router(200, A), router(100, B));
    lan.start();
    lan.runUntil(10_000);
    lan.cut.add(`${A}>${B}`);
    lan.runUntil(20_000);
    assert.equal(lan.of(A, 'split-brain').length, 1);
    lan.send(A, { type: 'shutdown' });
    const healed = lan.of(A, 'split-brain-healed');
    assert.equal(healed.length, 1);
    assert.equal(healed[0]?.reason, 'we left MASTER for STOP');
  });

  void test('a backup that hears a master never reports split brain, nor a master alone', () => {
    const lan = new Lan(router(200, A), router(100, B));
    lan.start();
    lan.runUntil(60_000);
    assert.equal(lan.reports.filter((r) => r.report.type.startsWith('split-brain')).length, 0);
  });
});
