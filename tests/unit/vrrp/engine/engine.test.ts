import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Engine } from '../../../../src/vrrp/engine/engine.js';
import type { Action, EngineEvent } from '../../../../src/vrrp/engine/engine.js';
import type { ReceivedAdvert } from '../../../../src/vrrp/advert.js';
import { instanceSpec } from '../../../../src/vrrp/engine/spec.js';
import type { EngineSpec, InstanceSpec } from '../../../../src/vrrp/engine/spec.js';

const vip = (address: string) => ({ address, prefix: 24 });

function engineSpec(...instances: InstanceSpec[]): EngineSpec {
  return { instances, syncGroups: [], scripts: [], trackFiles: [], trackProcesses: [] };
}

function router(
  name: string,
  priority: number,
  source: string,
  extra: Partial<InstanceSpec> = {},
): InstanceSpec {
  return instanceSpec({
    name,
    vrid: 10,
    priority,
    sourceAddress: source,
    addresses: [vip('10.0.0.100')],
    ...extra,
  });
}

/** Zero-latency LAN: every advert one engine sends is received by all the others at the same instant. */
class Lan {
  now = 0;
  /** false: a partition, adverts are lost. */
  connected = true;
  readonly log: { t: number; node: string; action: Action }[] = [];
  constructor(readonly nodes: Map<string, Engine>) {}

  private deliver(from: string, actions: Action[]): void {
    for (const action of actions) {
      this.log.push({ t: this.now, node: from, action });
      if (action.type !== 'send-advert' || !this.connected) continue;
      const received: ReceivedAdvert = {
        advert: action.advert,
        family: action.family,
        source: action.source ?? '0.0.0.0',
        destination: '224.0.0.18',
        ttl: 255,
        ifname: 'eth0',
      };
      for (const [name, engine] of this.nodes) {
        if (name !== from) this.deliver(name, engine.handle(this.now, { type: 'advert', received }));
      }
    }
  }

  send(node: string, event: EngineEvent): void {
    const engine = this.nodes.get(node);
    assert.ok(engine);
    this.deliver(node, engine.handle(this.now, event));
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
}

void describe('Engine API', () => {
  void test('nothing is scheduled before start; adverts before start are ignored', () => {
    const e = new Engine(engineSpec(router('VI', 100, '10.0.0.1')));
    assert.equal(e.nextDeadline(), undefined);
    assert.equal(e.snapshot().instances[0]?.state, 'INIT');
    const received: ReceivedAdvert = {
      advert: {
        version: 2,
        vrid: 10,
        priority: 200,
        intervalCs: 100,
        addresses: ['10.0.0.100'],
        authType: 'none',
      },
      family: 4,
      source: '10.0.0.2',
      destination: '224.0.0.18',
      ttl: 255,
      ifname: 'eth0',
    };
    assert.deepEqual(e.handle(0, { type: 'advert', received }), []);
    assert.equal(e.snapshot().instances[0]?.counters.advert_rcvd, 0);
  });

  void test('a link reported down before start makes the instance start in FAULT', () => {
    const e = new Engine(engineSpec(router('VI', 100, '10.0.0.1')));
    e.handle(0, { type: 'link', ifname: 'eth0', up: false });
    const out = e.handle(1, { type: 'start' });
    assert.equal(e.snapshot().instances[0]?.state, 'FAULT');
    assert.ok(out.some((a) => a.type === 'notify' && a.state === 'FAULT'));
    assert.equal(e.nextDeadline(), undefined);
    e.handle(5, { type: 'link', ifname: 'eth0', up: true });
    assert.equal(e.snapshot().instances[0]?.state, 'BACKUP');
    assert.equal(e.nextDeadline(), 5 + 3609.375);
  });

  void test('linksDown in the spec does the same', () => {
    const e = new Engine({ ...engineSpec(router('VI', 100, '10.0.0.1')), linksDown: ['eth0'] });
    e.handle(0, { type: 'start' });
    assert.equal(e.snapshot().instances[0]?.faults.join(), 'interface:eth0');
  });

  void test('after shutdown the engine is inert', () => {
    const e = new Engine(engineSpec(router('VI', 255, '10.0.0.1', { initialState: 'MASTER' })));
    e.handle(0, { type: 'start' });
    e.handle(10, { type: 'shutdown' });
    assert.equal(e.nextDeadline(), undefined);
    assert.deepEqual(e.handle(20, { type: 'timer' }), []);
    assert.deepEqual(e.handle(20, { type: 'start' }), []);
  });

  void test('a wake-up a hair before the deadline (clock conversion rounding) still fires it', () => {
    const e = new Engine(engineSpec(router('VI', 100, '10.0.0.1')));
    e.handle(0, { type: 'start' });
    const deadline = e.nextDeadline() as number;
    e.handle(deadline - 1e-8, { type: 'timer' });
    assert.equal(e.snapshot().instances[0]?.state, 'MASTER');
    const e2 = new Engine(engineSpec(router('VI', 100, '10.0.0.1')));
    e2.handle(0, { type: 'start' });
    e2.handle(deadline - 0.001, { type: 'timer' });
    assert.equal(e2.snapshot().instances[0]?.state, 'BACKUP', 'a microsecond early is early');
  });

  void test('adverts come in judged: an advert is accepted, advert-dropped is counted by its reason', () => {
    const e = new Engine(engineSpec(router('VI', 100, '10.0.0.1')));
    e.handle(0, { type: 'start' });
    const deadline = e.nextDeadline() as number;
    e.handle(100, {
      type: 'advert-dropped',
      ifname: 'eth0',
      family: 4,
      vrid: 10,
      reason: 'auth_failure',
    });
    assert.equal(e.nextDeadline(), deadline, "a dropped advert does not move the BACKUP's deadline");
    e.handle(200, {
      type: 'advert',
      received: {
        advert: {
          version: 2,
          vrid: 10,
          priority: 150,
          intervalCs: 100,
          addresses: ['10.0.0.100'],
          authType: 'none',
        },
        family: 4,
        source: '10.0.0.2',
        destination: '224.0.0.18',
        ttl: 1, // judged by the wire layer already: the engine takes what it is given
        ifname: 'eth0',
      },
    });
    const c = e.snapshot().instances[0]?.counters;
    assert.equal(c?.auth_failure, 1);
    assert.equal(c?.advert_rcvd, 1);
    assert.equal(e.masterAddress('VI'), '10.0.0.2');
    assert.ok((e.nextDeadline() as number) > deadline, 'an accepted advert re-arms the master-down timer');
  });
});

void describe('two routers on one LAN', () => {
  void test('the higher priority wins; on its shutdown the other takes over after Skew_Time', () => {
    const lan = new Lan(
      new Map([
        ['A', new Engine(engineSpec(router('VI', 150, '10.0.0.1')))],
        ['B', new Engine(engineSpec(router('VI', 100, '10.0.0.2')))],
      ]),
    );
    lan.send('A', { type: 'start' });
    lan.send('B', { type: 'start' });
    lan.runUntil(3414.062);
    assert.equal(lan.state('A'), 'MASTER'); // 3 s + skew(150)
    assert.equal(lan.state('B'), 'BACKUP');
    lan.runUntil(60_000);
    assert.equal(lan.state('A'), 'MASTER');
    assert.equal(lan.state('B'), 'BACKUP');
    assert.equal(lan.log.filter((l) => l.node === 'B' && l.action.type === 'send-advert').length, 0);
    lan.send('A', { type: 'shutdown' });
    lan.runUntil(60_000 + 609.374);
    assert.equal(lan.state('B'), 'BACKUP');
    lan.runUntil(60_000 + 609.375);
    assert.equal(lan.state('B'), 'MASTER');
  });

  void test('a VIP deleted on the MASTER (keepalived set_vrrp_backup): BACKUP, priority 0, MASTER again after its skew', () => {
    const lan = new Lan(
      new Map([
        ['A', new Engine(engineSpec(router('VI', 150, '10.0.0.1')))],
        ['B', new Engine(engineSpec(router('VI', 100, '10.0.0.2')))],
      ]),
    );
    lan.send('A', { type: 'start' });
    lan.send('B', { type: 'start' });
    lan.runUntil(10_000);
    assert.equal(lan.state('A'), 'MASTER');
    const mark = lan.log.length;
    lan.send('A', { type: 'vip-removed', instance: 'VI', address: '10.0.0.100' });
    assert.equal(lan.state('A'), 'BACKUP');
    const sent = lan.log.slice(mark).filter((l) => l.node === 'A');
    assert.ok(sent.some((l) => l.action.type === 'send-advert' && l.action.advert.priority === 0));
    assert.ok(sent.some((l) => l.action.type === 'remove-addresses'));
    // A's skew (150: 414 ms at 1 s) is shorter than B's (609 ms after the priority 0): A comes back
    lan.runUntil(10_000 + 414.0625);
    assert.equal(lan.state('A'), 'MASTER');
    assert.equal(lan.state('B'), 'BACKUP');
    assert.ok(lan.log.slice(mark).some((l) => l.node === 'A' && l.action.type === 'add-addresses'));
    // on a BACKUP it changes nothing
    const before = lan.log.length;
    lan.send('B', { type: 'vip-removed', instance: 'VI', address: '10.0.0.100' });
    assert.equal(lan.state('B'), 'BACKUP');
    assert.equal(lan.log.length, before);
  });

  void test('equal priorities: after a partition heals, the higher address keeps MASTER', () => {
    const lan = new Lan(
      new Map([
        ['low', new Engine(engineSpec(router('VI', 100, '10.0.0.9', { version: 3 })))],
        ['high', new Engine(engineSpec(router('VI', 100, '10.0.0.10', { version: 3 })))],
      ]),
    );
    lan.connected = false;
    lan.send('low', { type: 'start' });
    lan.send('high', { type: 'start' });
    lan.runUntil(5000);
    assert.equal(lan.state('low'), 'MASTER');
    assert.equal(lan.state('high'), 'MASTER');
    lan.connected = true;
    lan.runUntil(20_000);
    assert.equal(lan.state('high'), 'MASTER');
    assert.equal(lan.state('low'), 'BACKUP');
  });

  void test('equal priorities: a BACKUP does not preempt a running master, whatever the addresses', () => {
    const lan = new Lan(
      new Map([
        ['low', new Engine(engineSpec(router('VI', 100, '10.0.0.9')))],
        ['high', new Engine(engineSpec(router('VI', 100, '10.0.0.10')))],
      ]),
    );
    lan.send('low', { type: 'start' });
    lan.runUntil(5000);
    lan.send('high', { type: 'start' });
    lan.runUntil(20_000);
    assert.equal(lan.state('low'), 'MASTER');
    assert.equal(lan.state('high'), 'BACKUP');
  });

  void test('state MASTER without priority 255 waits out the master-down interval before taking over', () => {
    // What keepalived 2.2.7 was seen to do (advert_int 4): the newcomer logs BACKUP (init), discards the
    // lower-priority master's adverts and takes over 3 x 4 s + (256 - 150)/256 s after its start, never before.
    const slow = { advertIntervalCs: 400 };
    const lan = new Lan(
      new Map([
        ['A', new Engine(engineSpec(router('VI', 150, '10.0.0.1', { ...slow, initialState: 'MASTER' })))],
        ['B', new Engine(engineSpec(router('VI', 100, '10.0.0.2', slow)))],
      ]),
    );
    lan.send('B', { type: 'start' });
    lan.runUntil(20_000);
    assert.equal(lan.state('B'), 'MASTER');
    const started = lan.log.length;
    lan.send('A', { type: 'start' });
    assert.equal(lan.state('A'), 'BACKUP');
    lan.runUntil(32_414.061); // started at 20 s
    const early = lan.log.slice(started).filter((l) => l.node === 'A');
    assert.ok(
      early.some((l) => l.action.type === 'log' && /Entering BACKUP STATE \(init\)/.test(l.action.message)),
    );
    assert.ok(
      early.some(
        (l) => l.action.type === 'log' && /lower priority \(100\).*discarding/.test(l.action.message),
      ),
    );
    assert.deepEqual(
      early.filter((l) => ['send-advert', 'add-addresses', 'send-garp'].includes(l.action.type)),
      [],
    );
    assert.equal(lan.state('A'), 'BACKUP');
    assert.equal(lan.state('B'), 'MASTER');
    lan.runUntil(32_414.062);
    assert.equal(lan.state('A'), 'MASTER');
    assert.equal(lan.state('B'), 'BACKUP');
  });

  void test('a returning higher-priority router preempts; with nopreempt it does not', () => {
    for (const preempt of [true, false]) {
      const lan = new Lan(
        new Map([
          ['A', new Engine(engineSpec(router('VI', 150, '10.0.0.1', { preempt })))],
          ['B', new Engine(engineSpec(router('VI', 100, '10.0.0.2')))],
        ]),
      );
      lan.send('B', { type: 'start' });
      lan.runUntil(10_000);
      lan.send('A', { type: 'start' });
      lan.runUntil(30_000);
      assert.equal(lan.state('A'), preempt ? 'MASTER' : 'BACKUP');
      assert.equal(lan.state('B'), preempt ? 'BACKUP' : 'MASTER');
    }
  });
});

void describe('invariants under random events', () => {
  void test('addresses are held exactly while MASTER; BACKUP/MASTER always have a timer', () => {
    const event = fc.oneof(
      fc.record({
        kind: fc.constant('advert' as const),
        priority: fc.integer({ min: 0, max: 255 }),
        from: fc.constantFrom('10.0.0.2', '10.0.0.0', '10.0.0.1'),
        ttl: fc.constantFrom(255, 255, 64),
      }),
      fc.record({
        kind: fc.constant('link' as const),
        ifname: fc.constantFrom('eth0', 'eth1'),
        up: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('script' as const), ok: fc.boolean() }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 5000 }) }),
    );
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 1, max: 255 }),
        fc.array(event, { maxLength: 40 }),
        (master, priority, events) => {
          const spec: EngineSpec = {
            ...engineSpec(
              router('VI', priority, '10.0.0.1', {
                initialState: master ? 'MASTER' : 'BACKUP',
                trackInterfaces: [{ ifname: 'eth1', weight: -20, reverse: false }],
                trackScripts: [{ name: 'chk' }],
              }),
            ),
            scripts: [
              { name: 'chk', intervalMs: 2000, timeoutMs: 1000, rise: 1, fall: 2, weight: 0, reverse: false },
            ],
          };
          const e = new Engine(spec);
          let now = 0;
          let held = 0;
          const apply = (actions: Action[]): void => {
            for (const a of actions) {
              if (a.type === 'add-addresses') held++;
              if (a.type === 'remove-addresses') held--;
            }
          };
          const check = (): void => {
            const s = e.snapshot().instances[0];
            assert.ok(s);
            assert.equal(held, s.state === 'MASTER' ? 1 : 0, `held ${held} in ${s.state}`);
            if (s.state === 'MASTER' || s.state === 'BACKUP') assert.notEqual(e.nextDeadline(), undefined);
            assert.ok(s.effectivePriority >= 1 && s.effectivePriority <= 255);
          };
          apply(e.handle(now, { type: 'start' }));
          apply(e.handle(now, { type: 'script-result', name: 'chk', ok: true }));
          check();
          for (const ev of events) {
            if (ev.kind === 'wait') {
              const until = now + ev.ms;
              for (let d = e.nextDeadline(); d !== undefined && d <= until; d = e.nextDeadline()) {
                now = d;
                apply(e.handle(now, { type: 'timer' }));
              }
              now = until;
            } else if (ev.kind === 'advert') {
              const received: ReceivedAdvert = {
                advert: {
                  version: 2,
                  vrid: 10,
                  priority: ev.priority,
                  intervalCs: 100,
                  addresses: ['10.0.0.100'],
                  authType: 'none',
                },
                family: 4,
                source: ev.from,
                destination: '224.0.0.18',
                ttl: ev.ttl,
                ifname: 'eth0',
              };
              apply(e.handle(now, { type: 'advert', received }));
            } else if (ev.kind === 'link')
              apply(e.handle(now, { type: 'link', ifname: ev.ifname, up: ev.up }));
            else apply(e.handle(now, { type: 'script-result', name: 'chk', ok: ev.ok }));
            check();
          }
          apply(e.handle(now, { type: 'shutdown' }));
          assert.equal(held, 0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

void describe('reload', () => {
  void test('kept instances keep their state and take the new priority; removed ones release; new ones start', () => {
    const e = new Engine(
      engineSpec(
        router('VI_1', 200, '10.0.0.1', { initialState: 'MASTER' }),
        instanceSpec({
          name: 'OLD',
          vrid: 11,
          priority: 255,
          initialState: 'MASTER',
          addresses: [vip('10.0.0.111')],
        }),
      ),
    );
    e.handle(0, { type: 'start' });
    // VI_1 is not the address owner: it becomes MASTER when its master-down timer (3218.75 ms) expires.
    for (let d = e.nextDeadline(); d !== undefined && d <= 4000; d = e.nextDeadline())
      e.handle(d, { type: 'timer' });
    assert.deepEqual(
      e.snapshot().instances.map((i) => `${i.name}:${i.state}`),
      ['VI_1:MASTER', 'OLD:MASTER'],
    );
    const out = e.handle(4000, {
      type: 'reload',
      spec: engineSpec(
        router('VI_1', 120, '10.0.0.1', {
          initialState: 'MASTER',
          addresses: [vip('10.0.0.100'), vip('10.0.0.101')],
        }),
        instanceSpec({ name: 'NEW', vrid: 12, priority: 100 }),
      ),
    });
    const snap = e.snapshot();
    assert.deepEqual(
      snap.instances.map((i) => `${i.name}:${i.state}:${i.effectivePriority}`),
      ['VI_1:MASTER:120', 'NEW:BACKUP:100'],
    );
    assert.ok(out.some((a) => a.type === 'send-advert' && a.instance === 'OLD' && a.advert.priority === 0));
    assert.ok(out.some((a) => a.type === 'remove-addresses' && a.instance === 'OLD'));
    assert.ok(
      out.some(
        (a) =>
          a.type === 'add-addresses' && a.instance === 'VI_1' && a.addresses[0]?.address === '10.0.0.101',
      ),
    );
  });
});
