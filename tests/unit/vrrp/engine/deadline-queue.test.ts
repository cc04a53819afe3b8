import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeadlineQueue, type Scheduled } from '../../../../src/vrrp/engine/deadline-queue.js';

class Item implements Scheduled {
  timerGeneration = 0;
  constructor(
    readonly id: number,
    public at: number | undefined,
  ) {}
  nextDeadline(): number | undefined {
    return this.at;
  }
}

/** What the engine did before the queue: scan, earliest first, the first of equal deadlines. */
function scanFirst(items: Item[]): Item | undefined {
  let best: Item | undefined;
  for (const i of items) if (i.at !== undefined && (best?.at === undefined || i.at < best.at)) best = i;
  return best;
}

test('the queue picks what a scan picks, through any sequence of timer changes', () => {
  const deadline = fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined });
  fc.assert(
    fc.property(
      fc.array(deadline, { minLength: 1, maxLength: 12 }),
      fc.array(fc.tuple(fc.nat(), deadline), { maxLength: 60 }),
      fc.integer({ min: 0, max: 20 }),
      (initial, changes, until) => {
        const items = initial.map((at, id) => new Item(id, at));
        const q = new DeadlineQueue<Item>();
        q.reset(items);
        for (const [which, at] of changes) {
          const item = items[which % items.length] as Item;
          item.at = at;
          item.timerGeneration++;
          q.update(item);
          const expected = scanFirst(items);
          const got = q.peek();
          assert.equal(got?.item, expected);
          assert.equal(got?.at, expected?.at);
        }
        const due = items.filter((i) => i.at !== undefined && i.at <= until);
        assert.deepEqual(
          q.dueBy(until).map((i) => i.id),
          due.map((i) => i.id),
        );
      },
    ),
    { numRuns: 300 },
  );
});

test('items dropped by a reset are never returned, and stale entries stay bounded', () => {
  const a = new Item(0, 5);
  const b = new Item(1, 3);
  const q = new DeadlineQueue<Item>();
  q.reset([a, b]);
  assert.equal(q.peek()?.item, b);
  q.reset([a]);
  b.at = 1;
  b.timerGeneration++;
  q.update(b);
  assert.equal(q.peek()?.item, a);
  for (let t = 0; t < 10_000; t++) {
    a.at = 100 + t; // a deadline that keeps moving later, as a BACKUP hearing its master does
    a.timerGeneration++;
    q.update(a);
  }
  assert.deepEqual(q.peek(), { item: a, at: 10_099 });
  assert.ok((q as unknown as { heap: unknown[] }).heap.length <= 4 + 64 + 1);
});

test('an update without a timer change queues nothing new', () => {
  const a = new Item(0, 5);
  const q = new DeadlineQueue<Item>();
  q.reset([a]);
  q.update(a);
  q.update(a);
  assert.equal((q as unknown as { heap: unknown[] }).heap.length, 1);
  assert.deepEqual(q.dueBy(5), [a]);
});
