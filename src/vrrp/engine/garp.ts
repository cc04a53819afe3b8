// Gratuitous ARP / unsolicited NA bursts and their pacing. keepalived sends `repeat` rounds over every virtual
// and excluded address; with vrrp_garp_interval / vrrp_gna_interval set, consecutive packets on one
// interface are spaced by that interval (the rest wait in a queue), otherwise they all go at once.

import type { IpFamily } from '../advert.js';
import type { Action } from './events.js';
import type { GarpSpec } from './spec.js';
import { later } from './timers.js';

export interface GarpTarget {
  address: string;
  ifname: string;
}

interface QueuedPacket {
  instance: string;
  address: string;
}

interface Pacer {
  ifname: string;
  family: IpFamily;
  intervalMs: number;
  lastSentAt: number | undefined;
  queue: QueuedPacket[];
}

export function addressFamily(address: string): IpFamily {
  return address.includes(':') ? 6 : 4;
}

export class GarpScheduler {
  private readonly pacers = new Map<string, Pacer>();

  /** Send `repeat` rounds for `targets` now (or queue them behind the pacing interval). */
  burst(now: number, instance: string, targets: GarpTarget[], repeat: number, garp: GarpSpec): Action[] {
    const out: Action[] = [];
    if (repeat <= 0 || targets.length === 0) return out;
    // Group by interface and family, keeping the configured order within each group.
    const groups = new Map<string, { ifname: string; family: IpFamily; addresses: string[] }>();
    for (const t of targets) {
      const family = addressFamily(t.address);
      const key = `${t.ifname}/${family}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { ifname: t.ifname, family, addresses: [] }));
      g.addresses.push(t.address);
    }
    for (let round = 0; round < repeat; round++) {
      for (const g of groups.values()) {
        const interval = g.family === 4 ? garp.garpIntervalMs : garp.gnaIntervalMs;
        if (interval <= 0) {
          out.push({
            type: 'send-garp',
            instance,
            ifname: g.ifname,
            family: g.family,
            addresses: [...g.addresses],
          });
          continue;
        }
        const pacer = this.pacer(g.ifname, g.family, interval);
        for (const address of g.addresses) pacer.queue.push({ instance, address });
      }
    }
    out.push(...this.due(now));
    return out;
  }

  /** Packets whose pacing slot has come by `now` (give or take `toleranceMs`). */
  due(now: number, toleranceMs = 0): Action[] {
    const out: Action[] = [];
    for (const p of this.pacers.values()) {
      while (
        p.queue.length > 0 &&
        (p.lastSentAt === undefined || later(p.lastSentAt, p.intervalMs) <= now + toleranceMs)
      ) {
        const packet = p.queue.shift() as QueuedPacket;
        // One packet per slot: the next one waits a full interval from this one.
        p.lastSentAt = now;
        out.push({
          type: 'send-garp',
          instance: packet.instance,
          ifname: p.ifname,
          family: p.family,
          addresses: [packet.address],
        });
      }
    }
    return out;
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const p of this.pacers.values()) {
      if (p.queue.length === 0 || p.lastSentAt === undefined) continue;
      const at = later(p.lastSentAt, p.intervalMs);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** Drop everything still queued for an instance (it left MASTER). */
  cancel(instance: string): void {
    for (const p of this.pacers.values()) p.queue = p.queue.filter((q) => q.instance !== instance);
  }

  private pacer(ifname: string, family: IpFamily, intervalMs: number): Pacer {
    const key = `${ifname}/${family}`;
    let p = this.pacers.get(key);
    if (!p) this.pacers.set(key, (p = { ifname, family, intervalMs, lastSentAt: undefined, queue: [] }));
    p.intervalMs = intervalMs;
    return p;
  }
}
