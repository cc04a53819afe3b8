// The instances' next deadlines in a binary min-heap, so that finding the instance due next costs
// O(log n) instead of a scan of every instance per timer round (1,000 instances firing together made that
// a million deadline reads a second). Order is (deadline, position in the engine's instance list): the
// same instance a scan keeping the first of equal deadlines would pick.
//
// Entries are never updated in place: an instance whose timers change gets a new entry (its `generation`
// moves on) and the old one is dropped when it surfaces. Pure data structure: no clocks.

/** What the queue needs from an instance (Instance implements it). */
export interface Scheduled {
  /** Earliest of the instance's timers, or undefined when none is armed. */
  nextDeadline(): number | undefined;
  /** Bumped on every timer change: entries of older generations are stale. */
  timerGeneration: number;
}

interface Entry<T> {
  at: number;
  order: number;
  item: T;
  generation: number;
}

export class DeadlineQueue<T extends Scheduled> {
  private heap: Entry<T>[] = [];
  /** Each queued item's position (tie-break) and the generation last queued for it. */
  private readonly slots = new Map<T, { order: number; queued: number }>();

  /** Starts over with `items`, in their priority order for equal deadlines. */
  reset(items: readonly T[]): void {
    this.heap = [];
    this.slots.clear();
    items.forEach((item, order) => this.slots.set(item, { order, queued: NaN }));
    for (const item of items) this.update(item);
  }

  /** The item's timers changed: queue its new deadline (items not in the queue are ignored). */
  update(item: T): void {
    const slot = this.slots.get(item);
    if (slot === undefined || slot.queued === item.timerGeneration) return;
    slot.queued = item.timerGeneration;
    const at = item.nextDeadline();
    if (at === undefined) return;
    this.push({ at, order: slot.order, item, generation: item.timerGeneration });
    // Stale entries wait until they surface; bound them in case deadlines keep moving later.
    if (this.heap.length > 4 * this.slots.size + 64) this.compact();
  }

  /** The item due first and its deadline, or undefined when nothing is armed. */
  peek(): { item: T; at: number } | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined) return undefined;
      if (this.valid(top)) return { item: top.item, at: top.at };
      this.pop();
    }
  }

  /** Every item whose deadline is <= `until`, in their order (as given to reset). Leaves the queue as it is. */
  dueBy(until: number): T[] {
    const found: Entry<T>[] = [];
    const visit = (i: number): void => {
      const e = this.heap[i];
      if (e === undefined || e.at > until) return; // heap order: nothing below is earlier
      if (this.valid(e)) found.push(e);
      visit(2 * i + 1);
      visit(2 * i + 2);
    };
    visit(0);
    found.sort((a, b) => a.order - b.order);
    return found.map((e) => e.item);
  }

  private valid(e: Entry<T>): boolean {
    return e.generation === e.item.timerGeneration && this.slots.get(e.item)?.order === e.order;
  }

  private compact(): void {
    const live = this.heap.filter((e) => this.valid(e));
    this.heap = [];
    for (const e of live) this.push(e);
  }

  private push(e: Entry<T>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as Entry<T>;
      if (compare(p, e) <= 0) break;
      h[i] = p;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const child = r < h.length && compare(h[r] as Entry<T>, h[l] as Entry<T>) < 0 ? r : l;
      if (compare(h[child] as Entry<T>, last) >= 0) break;
      h[i] = h[child] as Entry<T>;
      i = child;
    }
    h[i] = last;
  }
}

function compare<T>(a: Entry<T>, b: Entry<T>): number {
  return a.at - b.at || a.order - b.order;
}
