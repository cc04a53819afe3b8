// Periodic adverts armed for a driver (EngineOptions.periodicAdverts 'arm'): the engine tells the driver
// what to send from when (arm-periodic-advert), when to stop (disarm-periodic-advert), and hears of each
// send (advert-sent). The promise under test: a driver that carries out exactly what it is told puts the
// very adverts on the wire, at the very times, that the engine sends itself in 'send' mode.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Engine, type Action, type EngineEvent } from '../../../../src/vrrp/engine/engine.js';
import type { ArmPeriodicAdvertAction, SendAdvertAction } from '../../../../src/vrrp/engine/events.js';
import { instanceSpec, type EngineSpec, type InstanceSpec } from '../../../../src/vrrp/engine/spec.js';

const vip = (address: string) => ({ address, prefix: 24 });

function spec(...instances: InstanceSpec[]): EngineSpec {
  return { instances, syncGroups: [], scripts: [], trackFiles: [], trackProcesses: [] };
}

function master(name: string, vrid: number, advertIntervalCs: number, ifname = 'eth0'): InstanceSpec {
  return instanceSpec({
    name,
    vrid,
    interface: ifname,
    priority: 200,
    initialState: 'MASTER',
    version: 3,
    advertIntervalCs,
    sourceAddress: '10.0.0.1',
    addresses: [vip(`10.0.${vrid}.100`)],
  });
}

const arms = (actions: Action[]): ArmPeriodicAdvertAction[] =>
  actions.filter((a): a is ArmPeriodicAdvertAction => a.type === 'arm-periodic-advert');
const kinds = (actions: Action[]): string[] => actions.filter((a) => a.type !== 'log').map((a) => a.type);

/** Runs the engine's own timer until its next deadline is past `until`. */
function runTimers(engine: Engine, from: number, until: number, sink: Action[] = []): number {
  let now = from;
  for (let i = 0; i < 1000; i++) {
    const next = engine.nextDeadline();
    if (next === undefined || next > until) break;
    now = next;
    sink.push(...engine.handle(now, { type: 'timer' }));
  }
  return now;
}

function lowerAdvert(vrid: number, ifname = 'eth0'): EngineEvent {
  return {
    type: 'advert',
    received: {
      advert: {
        version: 3,
        vrid,
        priority: 50,
        intervalCs: 100,
        addresses: [`10.0.${vrid}.100`],
        authType: 'none',
      },
      family: 4,
      source: '10.0.0.2',
      destination: '224.0.0.18',
      ttl: 255,
      ifname,
    },
  };
}

describe("periodic adverts in 'arm' mode", () => {
  test('a BACKUP arms nothing; a new MASTER sends its first advert and arms the next', () => {
    const backup = new Engine(spec(instanceSpec({ name: 'B', vrid: 9, priority: 100 })), {
      periodicAdverts: 'arm',
    });
    assert.deepEqual(arms(backup.handle(0, { type: 'start' })), []);
    const engine = new Engine(spec(master('VI_1', 1, 100)), { periodicAdverts: 'arm' });
    const out: Action[] = [];
    out.push(...engine.handle(0, { type: 'start' }));
    runTimers(engine, 0, 10_000, out);
    const [arm] = arms(out);
    assert.ok(arm, `no arm in ${kinds(out).join()}`);
    assert.equal(out.filter((a) => a.type === 'send-advert').length, 1, 'the first advert as MASTER');
    assert.equal(arm.periodMs, 1000);
    assert.equal(arm.send.advert.priority, 200);
    assert.equal(engine.nextDeadline(), undefined, "the armed advert is the driver's, not a timer");
  });

  test('advert-sent does the timer bookkeeping and re-arms from when the advert left', () => {
    const engine = new Engine(spec(master('VI_1', 1, 100)), { periodicAdverts: 'arm' });
    const out = engine.handle(0, { type: 'start' });
    runTimers(engine, 0, 10_000, out);
    const arm = arms(out)[0] as ArmPeriodicAdvertAction;
    const before = engine.snapshot().instances[0]?.counters.advert_sent ?? 0;
    const after = engine.handle(arm.at + 0.05, { type: 'advert-sent', instance: 'VI_1' });
    assert.deepEqual(kinds(after), ['arm-periodic-advert'], 'the driver sent it: no send-advert');
    assert.equal(arms(after)[0]?.at, arm.at + 0.05 + 1000);
    assert.equal(engine.snapshot().instances[0]?.counters.advert_sent, before + 1);
  });

  test("an advert of the engine's own is preceded by a disarm, then the schedule is armed again", () => {
    const engine = new Engine(spec(master('VI_1', 1, 100)), { periodicAdverts: 'arm' });
    const out = engine.handle(0, { type: 'start' });
    runTimers(engine, 0, 10_000, out);
    const at = (arms(out)[0] as ArmPeriodicAdvertAction).at;
    const answer = engine.handle(at - 500, lowerAdvert(1));
    const visible = kinds(answer).filter((k) => k !== 'send-garp');
    assert.deepEqual(visible, ['disarm-periodic-advert', 'send-advert', 'arm-periodic-advert']);
    assert.equal(arms(answer)[0]?.at, at - 500 + 1000);
  });

  test('shutdown: disarm, then the priority-0 advert', () => {
    const engine = new Engine(spec(master('VI_1', 1, 100)), { periodicAdverts: 'arm' });
    const out = engine.handle(0, { type: 'start' });
    const now = runTimers(engine, 0, 10_000, out);
    const down = engine.handle(now + 1, { type: 'shutdown' });
    const sends = down.filter((a): a is SendAdvertAction => a.type === 'send-advert');
    const order = kinds(down);
    assert.equal(order.indexOf('disarm-periodic-advert') + 1, order.indexOf('send-advert'), order.join());
    assert.equal(sends[0]?.advert.priority, 0);
    assert.equal(arms(down).length, 0);
  });

  test('a driver carrying out the arms sends what the engine sends itself, at the same times', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 5, max: 300 }), { minLength: 1, maxLength: 4 }),
        fc.array(
          fc.record({
            t: fc.integer({ min: 1, max: 30_000 }),
            what: fc.constantFrom('lower', 'down', 'up'),
            which: fc.nat(3),
          }),
          { maxLength: 8 },
        ),
        (intervals, script) => {
          const instances = intervals.map((cs, i) => master(`VI_${i + 1}`, i + 1, cs, `eth${i}`));
          // Each event gets its own fraction of a millisecond: an event re-anchors the advert schedule at
          // its own time, so no later event can fall exactly on an advert's deadline (at such a tie the
          // order of "the driver's advert" and "the event" is arbitrary, and the two runs may differ).
          // Before the first event the schedule sits on the skew time's grid, (256 - 200) / 256 of an
          // interval: multiples of 1/16 ms, which .30 to .37 never are (.5 was: seed -223681081 put an
          // event on an advert at 1137.5 ms).
          const events = script
            .map((s, k) => {
              const i = s.which % intervals.length;
              const event: EngineEvent =
                s.what === 'lower'
                  ? lowerAdvert(i + 1, `eth${i}`)
                  : { type: 'link', ifname: `eth${i}`, up: s.what === 'up' };
              return { t: s.t + 0.3 + k * 0.01, event };
            })
            .sort((a, b) => a.t - b.t);
          assert.deepEqual(run(instances, events, 'send'), run(instances, events, 'arm'));
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** Every advert sent, per instance, as `time priority`; and every state change. */
function run(
  instances: InstanceSpec[],
  events: { t: number; event: EngineEvent }[],
  mode: 'send' | 'arm',
): Record<string, string[]> {
  const engine = new Engine(spec(...instances), { periodicAdverts: mode });
  const armed = new Map<string, ArmPeriodicAdvertAction>();
  const log: Record<string, string[]> = {};
  const note = (name: string, line: string): void => void (log[name] ??= []).push(line);
  const apply = (now: number, actions: Action[]): void => {
    for (const a of actions) {
      if (a.type === 'send-advert') note(a.instance, `${now} ${a.advert.priority}`);
      else if (a.type === 'state-change') note(a.instance, `${now} ${a.to}`);
      else if (a.type === 'arm-periodic-advert') armed.set(a.instance, a);
      else if (a.type === 'disarm-periodic-advert') armed.delete(a.instance);
    }
  };
  apply(0, engine.handle(0, { type: 'start' }));
  const end = 40_000;
  let next = 0;
  for (let guard = 0; guard < 100_000; guard++) {
    const deadline = engine.nextDeadline();
    let armedAt: ArmPeriodicAdvertAction | undefined;
    for (const a of armed.values()) if (armedAt === undefined || a.at < armedAt.at) armedAt = a;
    const scripted = events[next];
    const candidates = [deadline, armedAt?.at, scripted?.t].filter((x): x is number => x !== undefined);
    const now = Math.min(...candidates);
    if (candidates.length === 0 || now > end) break;
    if (armedAt !== undefined && armedAt.at === now) {
      // what a driver does: the armed advert leaves at its deadline, then the engine hears of it
      note(armedAt.instance, `${now} ${armedAt.send.advert.priority}`);
      armed.delete(armedAt.instance);
      apply(now, engine.handle(now, { type: 'advert-sent', instance: armedAt.instance }));
    } else if (scripted !== undefined && scripted.t === now) {
      next++;
      apply(now, engine.handle(now, scripted.event));
    } else apply(now, engine.handle(now, { type: 'timer' }));
  }
  return log;
}
