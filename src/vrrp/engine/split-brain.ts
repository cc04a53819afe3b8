// Split-brain detection for one instance while it is MASTER. Per RFC 5798 (6.4.3) and keepalived's
// vrrp_state_master_rx, a MASTER that hears an advert of lower priority (or equal priority from a lower
// address) stays MASTER: if the other router keeps advertising, it does not hear us, and both hold the
// VIPs. This watch only observes those adverts and reports: an episode begins when another master has been
// heard without a gap for one master-down interval (at once when it has our priority but another VIP set),
// and ends (healed) when it has been silent for a master-down interval or when we leave MASTER.
import type { SplitBrainHealedReport, SplitBrainReport, SplitBrainRouter } from './reports.js';

interface OtherMaster {
  firstAt: number;
  lastAt: number;
  priority: number;
  addresses: readonly string[];
  /** Reported as split brain (once per episode). */
  reported: boolean;
}

export interface WatchContext {
  instance: string;
  vrid: number;
  us: SplitBrainRouter;
  /** Our master-down interval now: how long another master must be heard, or silent. */
  intervalMs: number;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

export class SplitBrainWatch {
  private readonly others = new Map<string, OtherMaster>();

  /** Whether an episode is under way (some other master reported and not healed). */
  get active(): boolean {
    for (const o of this.others.values()) if (o.reported) return true;
    return false;
  }

  /** We are MASTER and stay so after an advert from `from` (lower priority, or equal from a lower address). */
  heard(
    now: number,
    from: string,
    priority: number,
    addresses: readonly string[],
    c: WatchContext,
  ): SplitBrainReport | undefined {
    let o = this.others.get(from);
    // A gap of a whole interval: the earlier run was another episode (healed, or never long enough).
    if (o !== undefined && now - o.lastAt > c.intervalMs && !o.reported) o = undefined;
    if (o === undefined) {
      o = { firstAt: now, lastAt: now, priority, addresses, reported: false };
      this.others.set(from, o);
    }
    o.lastAt = now;
    o.priority = priority;
    o.addresses = addresses;
    if (o.reported) return undefined;
    const vipsDiffer = priority === c.us.priority && !sameSet(addresses, c.us.addresses);
    if (!vipsDiffer && now - o.firstAt < c.intervalMs) return undefined;
    o.reported = true;
    return {
      type: 'split-brain',
      instance: c.instance,
      vrid: c.vrid,
      cause: vipsDiffer ? 'vip-set-differs' : 'other-master',
      since: o.firstAt,
      at: now,
      us: c.us,
      other: { address: from, priority, addresses },
    };
  }

  /** At each of our adverts: other masters silent for an interval are gone; reported ones are healed. */
  expire(now: number, c: Pick<WatchContext, 'instance' | 'vrid' | 'intervalMs'>): SplitBrainHealedReport[] {
    const out: SplitBrainHealedReport[] = [];
    for (const [from, o] of this.others) {
      if (now - o.lastAt <= c.intervalMs) continue;
      this.others.delete(from);
      if (o.reported) out.push(this.healed(now, from, o, c, 'not heard for a master-down interval'));
    }
    return out;
  }

  /** We leave MASTER: every episode ends with it. */
  end(now: number, c: Pick<WatchContext, 'instance' | 'vrid'>, reason: string): SplitBrainHealedReport[] {
    const out: SplitBrainHealedReport[] = [];
    for (const [from, o] of this.others) if (o.reported) out.push(this.healed(now, from, o, c, reason));
    this.others.clear();
    return out;
  }

  private healed(
    now: number,
    from: string,
    o: OtherMaster,
    c: Pick<WatchContext, 'instance' | 'vrid'>,
    reason: string,
  ): SplitBrainHealedReport {
    return {
      type: 'split-brain-healed',
      instance: c.instance,
      vrid: c.vrid,
      other: from,
      at: now,
      durationMs: now - o.firstAt,
      reason,
    };
  }
}
