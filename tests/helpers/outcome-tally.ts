// "Never throws" properties prove little if every generated case stops at the first check. A tally counts
// where each case ended (accepted, or the reason it was refused) so the test can require that the cases
// reached the deep stages too, and say how many did when it fails.
import assert from 'node:assert/strict';

export class OutcomeTally {
  private readonly counts = new Map<string, number>();
  total = 0;

  add(outcome: string): void {
    this.total++;
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
  }

  count(outcome: string): number {
    return this.counts.get(outcome) ?? 0;
  }

  /** Outcomes with their counts, most frequent first: "ok 120, packet_len_err 80, ...". */
  toString(): string {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  }

  /** At least `min` cases ended with `outcome`. */
  atLeast(outcome: string, min: number): void {
    assert.ok(this.count(outcome) >= min, `expected >= ${min} cases ending "${outcome}"; got ${this}`);
  }

  /** At least `min` different outcomes were reached. */
  distinct(min: number): void {
    assert.ok(this.counts.size >= min, `expected >= ${min} different outcomes; got ${this}`);
  }
}
