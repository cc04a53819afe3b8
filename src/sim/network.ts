// The simulated LANs: which routers hear a packet, when, how many times. Interfaces of the same name
// on different routers are one LAN; partitions, cut-off routers, loss, duplication, delay and jitter
// decide delivery. All randomness comes from the seeded stream handed in.
import type { Random } from './random.js';

export interface NetworkConditions {
  /** One-way delay of every packet, ms. */
  delayMs: number;
  /** Uniform extra delay in [0, jitterMs], ms; packets can overtake each other (reordering). */
  jitterMs: number;
  /** Probability that one delivery is lost. */
  loss: number;
  /** Probability that one delivery arrives twice. */
  duplicate: number;
}

export const DEFAULT_CONDITIONS: NetworkConditions = { delayMs: 0.2, jitterMs: 0.1, loss: 0, duplicate: 0 };

export class Network {
  conditions: NetworkConditions;
  /** Node -> partition group; nodes absent from the map are all in group -1 together. */
  private groupOf = new Map<string, number>();
  /** Nodes cut off every LAN (`down`). */
  private cutOff = new Set<string>();

  constructor(
    conditions: Partial<NetworkConditions>,
    private readonly random: Random,
  ) {
    this.conditions = { ...DEFAULT_CONDITIONS, ...conditions };
  }

  setCutOff(node: string, cut: boolean): void {
    if (cut) this.cutOff.add(node);
    else this.cutOff.delete(node);
  }

  isCutOff(node: string): boolean {
    return this.cutOff.has(node);
  }

  partition(groups: string[][]): void {
    this.groupOf.clear();
    groups.forEach((members, i) => members.forEach((m) => this.groupOf.set(m, i)));
  }

  heal(): void {
    this.groupOf.clear();
  }

  /** Whether a packet from `a` can reach `b` right now (ignoring loss). */
  connected(a: string, b: string): boolean {
    if (this.cutOff.has(a) || this.cutOff.has(b)) return false;
    return (this.groupOf.get(a) ?? -1) === (this.groupOf.get(b) ?? -1);
  }

  /** Delivery delays (ms) for one packet to one receiver: [] when lost, two entries when duplicated. */
  deliveries(): number[] {
    const c = this.conditions;
    if (this.random.chance(c.loss)) return [];
    const one = (): number => c.delayMs + (c.jitterMs > 0 ? this.random.next() * c.jitterMs : 0);
    const first = one();
    return this.random.chance(c.duplicate) ? [first, one()] : [first];
  }
}
