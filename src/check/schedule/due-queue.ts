// A binary min-heap of (time, key) pairs with lazy invalidation: rescheduling a key pushes a new entry
// and bumps the key's generation, so stale entries are skipped when they surface. Pure; O(log n).

interface DueEntry {
  at: number;
  key: string;
  generation: number;
  /** Insertion order, so equal times pop first-in first-out (deterministic replays). */
  seq: number;
}

export class DueQueue {
  private heap: DueEntry[] = [];
  private generations = new Map<string, number>();
  private seq = 0;

  /** Schedules `key` at `at`, replacing any earlier schedule of the same key. */
  schedule(key: string, at: number): void {
    const generation = (this.generations.get(key) ?? 0) + 1;
    this.generations.set(key, generation);
    this.push({ at, key, generation, seq: this.seq++ });
  }

  /** Forgets `key`: its pending entry will never pop. */
  cancel(key: string): void {
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
  }

  /** The earliest live due time, or undefined when nothing is scheduled. */
  peekTime(): number | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** Removes and returns every key due at or before `now`, earliest first. */
  popDue(now: number): string[] {
    const due: string[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (top === undefined || top.at > now) return due;
      this.pop();
      this.generations.set(top.key, top.generation + 1);
      due.push(top.key);
    }
  }

  private isLive(entry: DueEntry): boolean {
    return this.generations.get(entry.key) === entry.generation;
  }

  private dropStale(): void {
    while (this.heap.length > 0 && !this.isLive(this.heap[0] as DueEntry)) this.pop();
  }

  private before(a: DueEntry, b: DueEntry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(entry: DueEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i] as DueEntry, heap[parent] as DueEntry)) break;
      [heap[i], heap[parent]] = [heap[parent] as DueEntry, heap[i] as DueEntry];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.before(heap[left] as DueEntry, heap[smallest] as DueEntry))
        smallest = left;
      if (right < heap.length && this.before(heap[right] as DueEntry, heap[smallest] as DueEntry))
        smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as DueEntry, heap[i] as DueEntry];
      i = smallest;
    }
  }
}
