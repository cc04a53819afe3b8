// Gratuitous ARP / unsolicited NA bursts and their pacing, as keepalived 2.2.7 does them (vrrp_arp.c,
// vrrp_ndisc.c, vrrp_scheduler.c vrrp_arp_thread). A burst is `repeat` rounds over the instance's VIPs and
// eVIPs. An interface may have a minimum spacing between its ARPs (and, apart, between its NAs): from a
// garp_group naming it, else from vrrp_garp_interval / vrrp_gna_interval. A garp_group's interfaces share
// one spacing; a group without an interval for a family leaves that family unpaced, whatever the globals.
// When the spacing is not over, the address is only marked pending: one pending mark per instance and
// address however many rounds ask for it, so a paced burst sends each address about twice, not `repeat`
// times. Pending addresses go one per slot, instances in configuration order, VIPs before eVIPs.

import type { IpFamily } from '../advert.js';
import type { Action } from './events.js';
import type { GarpGroupSpec, GarpSpec } from './spec.js';
import { later } from './timers.js';

export interface GarpTarget {
  address: string;
  ifname: string;
  /** On a VMAC made for the address (use_vmac_addr). */
  addressVmac?: true;
}

/** Where an (interface, family) is paced: the shared slot's key and its spacing. */
interface Pacing {
  key: string;
  intervalMs: number;
}

interface Pending {
  instance: string;
  address: string;
  ifname: string;
  family: IpFamily;
  /** Position among the instance's VIPs then eVIPs: the order keepalived walks them. */
  rank: number;
  pacing: Pacing;
}

export function addressFamily(address: string): IpFamily {
  return address.includes(':') ? 6 : 4;
}

export class GarpScheduler {
  /** interface -> its garp_group (index and intervals); the first group naming an interface has it. */
  private groupOf = new Map<string, { index: number; group: GarpGroupSpec }>();
  /** instance -> its position in the configuration. */
  private instanceOrder = new Map<string, number>();
  /** pacing key -> the earliest time of its next packet (keepalived's garp_next_time / gna_next_time). */
  private readonly nextAt = new Map<string, number>();
  private pending: Pending[] = [];

  /** The configuration's garp_groups and instance order (again at each reload). */
  configure(groups: readonly GarpGroupSpec[], instances: readonly string[]): void {
    this.groupOf = new Map();
    groups.forEach((group, index) => {
      for (const ifname of group.interfaces)
        if (!this.groupOf.has(ifname)) this.groupOf.set(ifname, { index, group });
    });
    this.instanceOrder = new Map(instances.map((name, i) => [name, i]));
  }

  /** Send `repeat` rounds for `targets` now, or mark them pending behind their interface's spacing.
   * `ranks`: each target's position among the instance's addresses (default: its index in `targets`). */
  burst(
    now: number,
    instance: string,
    targets: readonly GarpTarget[],
    repeat: number,
    garp: GarpSpec,
    ranks?: readonly number[],
  ): Action[] {
    const out: Action[] = [];
    for (let round = 0; round < repeat; round++) {
      // Unpaced packets of a round go together, one action per interface and family.
      const unpaced = new Map<string, { ifname: string; family: IpFamily; addresses: string[] }>();
      targets.forEach((t, i) => {
        const family = addressFamily(t.address);
        const pacing = this.pacing(t.ifname, family, garp);
        if (pacing === undefined) {
          const key = `${t.ifname}/${family}`;
          let g = unpaced.get(key);
          if (!g) unpaced.set(key, (g = { ifname: t.ifname, family, addresses: [] }));
          g.addresses.push(t.address);
          return;
        }
        const next = this.nextAt.get(pacing.key);
        if (next !== undefined && now < next) {
          const rank = ranks?.[i] ?? i;
          if (!this.pending.some((p) => p.instance === instance && p.address === t.address))
            this.pending.push({ instance, address: t.address, ifname: t.ifname, family, rank, pacing });
          return;
        }
        this.nextAt.set(pacing.key, later(now, pacing.intervalMs));
        out.push({ type: 'send-garp', instance, ifname: t.ifname, family, addresses: [t.address] });
      });
      for (const g of unpaced.values()) out.push({ type: 'send-garp', instance, ...g });
    }
    return out;
  }

  /** Pending packets whose slot has come by `now` (give or take `toleranceMs`), one per slot. */
  due(now: number, toleranceMs = 0): Action[] {
    const out: Action[] = [];
    if (this.pending.length === 0) return out;
    const order = (name: string): number => this.instanceOrder.get(name) ?? Number.MAX_SAFE_INTEGER;
    this.pending.sort((a, b) => order(a.instance) - order(b.instance) || a.rank - b.rank);
    this.pending = this.pending.filter((p) => {
      const next = this.nextAt.get(p.pacing.key);
      if (next !== undefined && next > now + toleranceMs) return true;
      this.nextAt.set(p.pacing.key, later(now, p.pacing.intervalMs));
      out.push({
        type: 'send-garp',
        instance: p.instance,
        ifname: p.ifname,
        family: p.family,
        addresses: [p.address],
      });
      return false;
    });
    return out;
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const p of this.pending) {
      const at = this.nextAt.get(p.pacing.key);
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  /** Drop everything still pending for an instance (it left MASTER). */
  cancel(instance: string): void {
    this.pending = this.pending.filter((p) => p.instance !== instance);
  }

  /** The slot an interface's ARPs (family 4) or NAs (6) wait for; undefined when they are not paced. */
  private pacing(ifname: string, family: IpFamily, garp: GarpSpec): Pacing | undefined {
    const grouped = this.groupOf.get(ifname);
    const intervalMs = grouped
      ? family === 4
        ? grouped.group.garpIntervalMs
        : grouped.group.gnaIntervalMs
      : family === 4
        ? garp.garpIntervalMs
        : garp.gnaIntervalMs;
    if (intervalMs === undefined || intervalMs <= 0) return undefined;
    const key = grouped ? `group ${grouped.index}/${family}` : `${ifname}/${family}`;
    return { key, intervalMs };
  }
}
