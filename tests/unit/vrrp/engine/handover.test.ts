// Planned handover in the engine (handover.ts): priority 0 out, VIPs kept until the new master advertises,
// then a hold without preemption; on a LAN of engines with 1 ms latency that honours unicast destinations.
import { YIELD_GRACE_MS } from '../../../../src/vrrp/engine/handover-steps.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../../../src/vrrp/engine/engine.js';
import type {
  Action,
  EngineEvent,
  EngineReport,
  HandoverReport,
} from '../../../../src/vrrp/engine/engine.js';
import type { ReceivedAdvert } from '../../../../src/vrrp/advert.js';
import { instanceSpec, type InstanceSpec, type SyncGroupSpec } from '../../../../src/vrrp/engine/spec.js';
import { masterDownIntervalMs, skewTimeMs } from '../../../../src/vrrp/engine/timers.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';
const LATENCY_MS = 1;

function spec(
  name: string,
  priority: number,
  source: string,
  extra: Partial<InstanceSpec> = {},
): InstanceSpec {
  return instanceSpec({
    name,
    vrid: name === 'VI_2' ? 11 : 10,
    priority,
    sourceAddress: source,
    addresses: [{ address: name === 'VI_2' ? '10.0.0.101' : '10.0.0.100', prefix: 24 }],
    ...extra,
  });
}

interface Delivery {
  at: number;
  to: string;
  received: ReceivedAdvert;
}

/** Engines named by source address; adverts arrive LATENCY_MS later, at their destinations only. */
class Lan {
  now = 0;
  readonly nodes = new Map<string, Engine>();
  readonly actions: { t: number; node: string; action: Action }[] = [];
  readonly reports: { node: string; report: EngineReport }[] = [];
  private inFlight: Delivery[] = [];

  constructor(routers: Record<string, InstanceSpec[]>, groups: SyncGroupSpec[] = []) {
    for (const [node, instances] of Object.entries(routers))
      this.nodes.set(
        node,
        new Engine({ instances, syncGroups: groups, scripts: [], trackFiles: [], trackProcesses: [] }),
      );
  }

  send(node: string, event: EngineEvent): void {
    const engine = this.nodes.get(node) as Engine;
    const actions = engine.handle(this.now, event);
    for (const report of engine.reports()) this.reports.push({ node, report });
    for (const action of actions) {
      this.actions.push({ t: this.now, node, action });
      if (action.type !== 'send-advert') continue;
      const targets =
        action.to === 'multicast' ? [...this.nodes.keys()].filter((n) => n !== node) : action.to;
      for (const to of targets)
        this.inFlight.push({
          at: this.now + LATENCY_MS,
          to,
          received: {
            advert: action.advert,
            family: action.family,
            source: action.source ?? '0.0.0.0',
            destination: action.to === 'multicast' ? '224.0.0.18' : to,
            ttl: 255,
            ifname: 'eth0',
          },
        });
    }
  }

  start(): void {
    for (const node of this.nodes.keys()) this.send(node, { type: 'start' });
  }

  runUntil(t: number): void {
    for (;;) {
      let next: { node: string; at: number; delivery?: Delivery } | undefined;
      for (const [node, engine] of this.nodes) {
        const at = engine.nextDeadline();
        if (at !== undefined && at <= t && (next === undefined || at < next.at)) next = { node, at };
      }
      for (const d of this.inFlight)
        if (d.at <= t && (next === undefined || d.at < next.at)) next = { node: d.to, at: d.at, delivery: d };
      if (next === undefined) break;
      this.now = next.at;
      if (next.delivery !== undefined) {
        this.inFlight = this.inFlight.filter((d) => d !== next.delivery);
        if (this.nodes.has(next.node))
          this.send(next.node, { type: 'advert', received: next.delivery.received });
      } else this.send(next.node, { type: 'timer' });
    }
    this.now = t;
  }

  state(node: string, name = 'VI_1'): string | undefined {
    return this.nodes
      .get(node)
      ?.snapshot()
      .instances.find((i) => i.name === name)?.state;
  }

  handover(node: string, name = 'VI_1'): ReturnType<Engine['snapshot']>['instances'][number]['handover'] {
    return this.nodes
      .get(node)
      ?.snapshot()
      .instances.find((i) => i.name === name)?.handover;
  }

  /** Times `node` added or removed addresses, after `since`. */
  vipChanges(node: string, type: 'add-addresses' | 'remove-addresses', since = 0): number[] {
    return this.actions
      .filter((a) => a.node === node && a.action.type === type && a.t >= since)
      .map((a) => a.t);
  }

  outcomes(node: string): HandoverReport['outcome'][] {
    return this.reports
      .filter((r) => r.node === node && r.report.type === 'handover')
      .map((r) => (r.report as HandoverReport).outcome);
  }
}

function twoRouters(): Lan {
  const lan = new Lan({ [A]: [spec('VI_1', 200, A)], [B]: [spec('VI_1', 100, B)] });
  lan.start();
  lan.runUntil(10_000);
  assert.equal(lan.state(A), 'MASTER');
  assert.equal(lan.state(B), 'BACKUP');
  return lan;
}

void describe('planned handover (engine)', () => {
  void test('the VIPs move make-before-break and the old master holds BACKUP without preempting', () => {
    const lan = twoRouters();
    const t0 = 10_000;
    lan.send(A, { type: 'handover', instance: 'VI_1' });
    const zero = lan.actions.filter((a) => a.node === A && a.t === t0 && a.action.type === 'send-advert');
    assert.equal(zero.length, 1);
    assert.equal(zero[0]?.action.type === 'send-advert' && zero[0].action.advert.priority, 0);
    assert.equal(lan.handover(A)?.phase, 'releasing');
    assert.equal(lan.state(A), 'MASTER');
    lan.runUntil(t0 + 5_000);
    // B took over a skew time after the priority-0 advert reached it
    const added = lan.vipChanges(B, 'add-addresses', t0);
    assert.equal(added.length, 1);
    assert.equal(added[0], t0 + LATENCY_MS + skewTimeMs(2, 100, 100));
    // A kept its VIPs until B's first advert reached it, and a grace after (B's VIPs and gratuitous ARPs
    // follow its advert), then removed them
    const removed = lan.vipChanges(A, 'remove-addresses', t0);
    assert.deepEqual(removed, [(added[0] as number) + LATENCY_MS + YIELD_GRACE_MS]);
    assert.equal(lan.state(A), 'BACKUP');
    assert.equal(lan.state(B), 'MASTER');
    assert.deepEqual(lan.outcomes(A), ['started', 'completed']);
    assert.equal(lan.handover(A)?.phase, 'held');
    assert.equal(lan.handover(A)?.newMaster, B);
    // no preempt back: A (200) keeps accepting B (100)
    lan.runUntil(t0 + 60_000);
    assert.equal(lan.state(A), 'BACKUP');
    assert.equal(lan.state(B), 'MASTER');
    assert.deepEqual(lan.vipChanges(A, 'add-addresses', t0), []);
    // release: the next advert of B is discarded and A takes over after its master-down interval
    const t1 = lan.now;
    lan.send(A, { type: 'handover-release', instance: 'VI_1' });
    assert.equal(lan.handover(A), undefined);
    lan.runUntil(t1 + 10_000);
    assert.equal(lan.state(A), 'MASTER');
    assert.equal(lan.state(B), 'BACKUP');
    const back = lan.vipChanges(A, 'add-addresses', t1)[0] as number;
    assert.ok(back - t1 <= 1_000 + masterDownIntervalMs(2, 200, 100) + 2, `${back - t1}`);
    assert.deepEqual(lan.outcomes(A), ['started', 'completed', 'released']);
  });

  void test('with no backup listening the VIPs go at the deadline anyway', () => {
    const lan = new Lan({ [A]: [spec('VI_1', 200, A)] });
    lan.start();
    lan.runUntil(10_000);
    assert.equal(lan.state(A), 'MASTER');
    lan.send(A, { type: 'handover', instance: 'VI_1' });
    lan.runUntil(20_000);
    // the longest master-down interval a backup can have: priority 1
    assert.deepEqual(lan.vipChanges(A, 'remove-addresses', 10_000), [
      10_000 + masterDownIntervalMs(2, 1, 100),
    ]);
    // priority 0 went again at each advert interval meanwhile
    const zeros = lan.actions.filter(
      (a) =>
        a.node === A && a.t >= 10_000 && a.action.type === 'send-advert' && a.action.advert.priority === 0,
    );
    assert.equal(zeros.length, 4);
    // alone and held: its master-down timer still runs, so it takes the VIPs back (failover, not
    // preemption), which ends the hold
    assert.deepEqual(lan.outcomes(A), ['started', 'timed-out', 'released']);
    const back = lan.vipChanges(A, 'add-addresses', 10_000);
    assert.equal(back.length, 1);
    assert.ok((back[0] as number) > 10_000 + masterDownIntervalMs(2, 1, 100));
    assert.equal(lan.state(A), 'MASTER');
  });

  void test('a hold time ends the hold by itself; then preemption runs as configured', () => {
    const lan = twoRouters();
    lan.send(A, { type: 'handover', instance: 'VI_1', holdMs: 20_000 });
    lan.runUntil(25_000);
    assert.equal(lan.state(A), 'BACKUP');
    assert.equal(lan.handover(A)?.phase, 'held');
    lan.runUntil(40_000);
    assert.equal(lan.state(A), 'MASTER');
    assert.equal(lan.state(B), 'BACKUP');
    assert.deepEqual(lan.outcomes(A), ['started', 'completed', 'released']);
  });

  void test('a release while still releasing gives up: the master advertises its priority again', () => {
    const lan = new Lan({ [A]: [spec('VI_1', 200, A)] });
    lan.start();
    lan.runUntil(10_000);
    lan.send(A, { type: 'handover', instance: 'VI_1' });
    lan.runUntil(10_500);
    lan.send(A, { type: 'handover-release', instance: 'VI_1' });
    lan.runUntil(20_000);
    assert.equal(lan.state(A), 'MASTER');
    assert.deepEqual(lan.vipChanges(A, 'remove-addresses', 10_000), []);
    assert.deepEqual(lan.outcomes(A), ['started', 'aborted']);
    const last = lan.actions.filter((a) => a.node === A && a.action.type === 'send-advert').at(-1);
    assert.equal(last?.action.type === 'send-advert' && last.action.advert.priority, 200);
  });

  void test('a reload ends the hold', () => {
    const lan = twoRouters();
    lan.send(A, { type: 'handover', instance: 'VI_1' });
    lan.runUntil(20_000);
    assert.equal(lan.handover(A)?.phase, 'held');
    lan.send(A, {
      type: 'reload',
      spec: {
        instances: [spec('VI_1', 200, A)],
        syncGroups: [],
        scripts: [],
        trackFiles: [],
        trackProcesses: [],
      },
    });
    assert.equal(lan.handover(A), undefined);
    lan.runUntil(30_000);
    assert.equal(lan.state(A), 'MASTER');
  });

  void test('refusals: not MASTER, twice, --to on a multicast instance or to a stranger', () => {
    const lan = twoRouters();
    const a = lan.nodes.get(A) as Engine;
    const b = lan.nodes.get(B) as Engine;
    assert.match(b.handoverRefusal('VI_1') ?? '', /not MASTER/);
    assert.match(a.handoverRefusal('VI_9') ?? '', /no instance/);
    assert.match(a.handoverRefusal('VI_1', B) ?? '', /unicast_peer/);
    assert.equal(a.handoverRefusal('VI_1'), undefined);
    lan.send(A, { type: 'handover', instance: 'VI_1' });
    assert.match(a.handoverRefusal('VI_1') ?? '', /already/);
    // a refused request changes nothing
    lan.send(B, { type: 'handover', instance: 'VI_1' });
    assert.equal(lan.handover(B), undefined);

    const uni = new Lan({
      [A]: [spec('VI_1', 200, A, { unicastPeers: [B] })],
      [B]: [spec('VI_1', 100, B, { unicastPeers: [A] })],
    });
    uni.start();
    uni.runUntil(10_000);
    assert.match(
      (uni.nodes.get(A) as Engine).handoverRefusal('VI_1', C) ?? '',
      /not one of the unicast peers/,
    );
    assert.equal((uni.nodes.get(A) as Engine).handoverRefusal('VI_1', B), undefined);
  });

  void test('--to with unicast peers: priority 0 goes to the named peer only; a better backup then preempts it', () => {
    const peers = (self: string): string[] => [A, B, C].filter((x) => x !== self);
    const lan = new Lan({
      [A]: [spec('VI_1', 200, A, { unicastPeers: peers(A) })],
      [B]: [spec('VI_1', 150, B, { unicastPeers: peers(B) })],
      [C]: [spec('VI_1', 100, C, { unicastPeers: peers(C) })],
    });
    lan.start();
    lan.runUntil(10_000);
    assert.equal(lan.state(A), 'MASTER');
    lan.send(A, { type: 'handover', instance: 'VI_1', to: C });
    const zero = lan.actions.filter((a) => a.node === A && a.t === 10_000 && a.action.type === 'send-advert');
    assert.deepEqual(
      zero.map((a) => a.action.type === 'send-advert' && a.action.to),
      [[C]],
    );
    lan.runUntil(12_000);
    // C took over first (only it heard priority 0), and A released to it
    assert.equal(lan.vipChanges(C, 'add-addresses', 10_000).length, 1);
    assert.equal(lan.handover(A)?.newMaster, C);
    assert.equal(lan.state(A), 'BACKUP');
    // B (150, preempt) discards C's (100) adverts and takes over after its master-down interval: VRRP decides
    lan.runUntil(20_000);
    assert.equal(lan.state(B), 'MASTER');
    assert.equal(lan.state(C), 'BACKUP');
    assert.equal(lan.state(A), 'BACKUP');
  });

  void test('--to a peer that is the best backup: it alone moves, the others follow its adverts', () => {
    const peers = (self: string): string[] => [A, B, C].filter((x) => x !== self);
    const lan = new Lan({
      [A]: [spec('VI_1', 200, A, { unicastPeers: peers(A) })],
      [B]: [spec('VI_1', 150, B, { unicastPeers: peers(B) })],
      [C]: [spec('VI_1', 100, C, { unicastPeers: peers(C) })],
    });
    lan.start();
    lan.runUntil(10_000);
    lan.send(A, { type: 'handover', instance: 'VI_1', to: B });
    lan.runUntil(30_000);
    assert.equal(lan.state(B), 'MASTER');
    assert.equal(lan.state(C), 'BACKUP');
    assert.equal(lan.state(A), 'BACKUP');
    assert.equal(lan.vipChanges(C, 'add-addresses', 10_000).length, 0);
  });

  void test('a sync group moves together; the hold covers every member', () => {
    const group: SyncGroupSpec = {
      name: 'G',
      members: ['VI_1', 'VI_2'],
      notify: {},
      trackInterfaces: [],
      trackScripts: [],
      trackFiles: [],
      trackProcesses: [],
    };
    const lan = new Lan(
      {
        [A]: [spec('VI_1', 200, A), spec('VI_2', 200, A)],
        [B]: [spec('VI_1', 100, B), spec('VI_2', 100, B)],
      },
      [group],
    );
    lan.start();
    lan.runUntil(10_000);
    assert.equal(lan.state(A, 'VI_2'), 'MASTER');
    lan.send(A, { type: 'handover', instance: 'VI_2' });
    assert.equal(lan.handover(A, 'VI_1')?.phase, 'releasing');
    lan.runUntil(40_000);
    for (const name of ['VI_1', 'VI_2']) {
      assert.equal(lan.state(A, name), 'BACKUP', name);
      assert.equal(lan.state(B, name), 'MASTER', name);
      assert.equal(lan.handover(A, name)?.phase, 'held', name);
    }
    lan.send(A, { type: 'handover-release', instance: 'VI_1' });
    lan.runUntil(50_000);
    assert.equal(lan.state(A, 'VI_2'), 'MASTER');
    assert.equal(lan.state(B, 'VI_1'), 'BACKUP');
  });

  void test("in 'arm' mode the periodic advert is disarmed while releasing", () => {
    const e = new Engine(
      { instances: [spec('VI_1', 200, A)], syncGroups: [], scripts: [], trackFiles: [], trackProcesses: [] },
      { periodicAdverts: 'arm' },
    );
    e.handle(0, { type: 'start' });
    let t = 0;
    while (e.snapshot().instances[0]?.state !== 'MASTER') {
      t = e.nextDeadline() as number;
      e.handle(t, { type: 'timer' });
    }
    const out = e.handle(t + 100, { type: 'handover', instance: 'VI_1' });
    assert.ok(out.some((a) => a.type === 'disarm-periodic-advert'));
    assert.ok(out.some((a) => a.type === 'send-advert' && a.advert.priority === 0));
    assert.ok(!out.some((a) => a.type === 'arm-periodic-advert'));
  });
});
