// A binary min-heap of timed events. Ties break on insertion order, which keeps runs deterministic.

interface Entry<T> {
  at: number;
  seq: number;
  item: T;
}

export class EventQueue<T> {
  private heap: Entry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, item: T): void {
    const e = { at, seq: this.seq++, item };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(e, h[parent] as Entry<T>)) break;
      h[i] = h[parent] as Entry<T>;
      i = parent;
    }
    h[i] = e;
  }

  peekTime(): number | undefined {
    return this.heap[0]?.at;
  }

  pop(): { at: number; item: T } | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop() as Entry<T>;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let best = last;
        if (l < h.length && before(h[l] as Entry<T>, best)) {
          m = l;
          best = h[l] as Entry<T>;
        }
        if (r < h.length && before(h[r] as Entry<T>, best)) {
          m = r;
          best = h[r] as Entry<T>;
        }
        if (m === i) break;
        h[i] = best;
        i = m;
      }
      h[i] = last;
    }
    return { at: top.at, item: top.item };
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
