// Engine.plannedAdverts: what a MASTER's advert timer will send, so a driver can send it itself on time.
// The promise under test: when the timer event comes, the engine emits exactly the planned send-advert
// actions, and nothing is planned for an instance that will not send a periodic advert.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Engine, type Action } from '../../../../src/vrrp/engine/engine.js';
import { instanceSpec, type EngineSpec, type InstanceSpec } from '../../../../src/vrrp/engine/spec.js';

const vip = (address: string) => ({ address, prefix: 24, options: {} });

function spec(...instances: InstanceSpec[]): EngineSpec {
  return { instances, syncGroups: [], scripts: [], trackFiles: [], trackProcesses: [] };
}

function master(name: string, vrid: number, advertIntervalCs: number): InstanceSpec {
  return instanceSpec({
    name,
    vrid,
    priority: 200,
    initialState: 'MASTER',
    version: 3,
    advertIntervalCs,
    sourceAddress: '10.0.0.1',
    addresses: [vip(`10.0.${vrid}.100`)],
  });
}

const adverts = (actions: Action[]) => actions.filter((a) => a.type === 'send-advert');

/** Runs the engine's own timer until every instance is MASTER with its addresses set. */
function settle(engine: Engine): number {
  let now = 0;
  engine.handle(now, { type: 'start' });
  for (let i = 0; i < 50; i++) {
    const next = engine.nextDeadline();
    if (next === undefined) break;
    now = next;
    engine.handle(now, { type: 'timer' });
  }
  return now;
}

describe('Engine.plannedAdverts', () => {
  test('nothing is planned before start, nor for a BACKUP', () => {
    const engine = new Engine(spec(master('VI_1', 1, 100)));
    assert.deepEqual(engine.plannedAdverts(), []);
    const backup = new Engine(spec(instanceSpec({ name: 'B', vrid: 9, priority: 100, addresses: [] })));
    backup.handle(0, { type: 'start' });
    assert.equal(backup.snapshot().instances[0]?.state, 'BACKUP');
    assert.deepEqual(backup.plannedAdverts(), []);
  });

  test('a MASTER plans its next advert at its timer, and the timer emits exactly that advert', () => {
    const engine = new Engine(spec(master('VI_1', 1, 100)));
    settle(engine);
    const [planned] = engine.plannedAdverts();
    assert.ok(planned);
    assert.equal(planned.at, engine.nextDeadline());
    const emitted = adverts(engine.handle(planned.at + 0.05, { type: 'timer' }));
    assert.deepEqual(emitted, [planned.action]);
    // the next one is planned from when the timer event was handled, as keepalived re-arms
    assert.equal(engine.plannedAdverts()[0]?.at, planned.at + 0.05 + 1000);
  });

  test('a shutdown leaves nothing planned', () => {
    const engine = new Engine(spec(master('VI_1', 1, 100)));
    const now = settle(engine);
    engine.handle(now + 1, { type: 'shutdown' });
    assert.deepEqual(engine.plannedAdverts(), []);
  });

  test('with several masters, every advert planned at the earliest deadline is what the timer sends', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 4 }),
        (ints) => {
          const engine = new Engine(spec(...ints.map((cs, i) => master(`VI_${i + 1}`, i + 1, cs))));
          let now = settle(engine);
          for (let step = 0; step < 40; step++) {
            const deadline = engine.nextDeadline();
            assert.ok(deadline !== undefined);
            const planned = engine.plannedAdverts();
            const due = planned.filter((p) => p.at <= deadline).map((p) => p.action);
            const names = new Set(planned.map((p) => p.action.instance));
            now = deadline;
            // instances without a plan (not yet MASTER) may send their first advert: not the driver's business
            const sent = adverts(engine.handle(now, { type: 'timer' })).filter((a) => names.has(a.instance));
            const byName = (a: { instance: string }, b: { instance: string }) =>
              a.instance.localeCompare(b.instance);
            assert.deepEqual(sent.sort(byName), due.sort(byName));
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
