// The VRRP firewall's nftables objects, planned as keepalived 2.2.7 builds them (vrrp_nftables.c), so that
// `nft list ruleset` shows the same tables, chains, sets and rules in the same order. Pure: it takes the
// VIPs of an instance entering or leaving MASTER and gives the operations of one nf_tables transaction;
// the daemon encodes and commits them (daemon/vrrp/firewall.ts).
//
// What keepalived builds, and when:
// - Nothing until the first VIP of a family needs a drop rule. Then, once per run: any table of that name
//   left by an earlier run is deleted (both families), and the family's table is built:
//     ip:  chain out (hook output), chain in (hook input), set vips, rules `in: ip daddr @vips drop`,
//          `out: ip saddr @vips drop`
//     ip6: chain out, chain in, chains in_link_local and out_link_local (regular), set vips, constant set
//          neighbor-discovery {NS, NA}, rules `in: icmpv6 type @neighbor-discovery accept`,
//          `in: ip6 daddr fe80::/10 goto in_link_local`, the same two in out (saddr), then the vips drops.
//   The first link-local VIP adds set vips_link_local (address . iif index) or vips_link_local_name
//   (address . iif name) and one drop rule in each link-local chain.
// - Entering MASTER adds the instance's VIPs to the sets; leaving removes them. The tables stay, empty,
//   until the daemon stops, which deletes them.
import type { FirewallAddress, FirewallSettings } from './settings.js';

export type FirewallFamily = 'ip' | 'ip6';
export type FirewallDirection = 'in' | 'out';

export type FirewallSetType =
  'ipv4_addr' | 'ipv6_addr' | 'icmpv6_type' | 'ipv6_addr . iface_index' | 'ipv6_addr . ifname';

/** A rule, by what it matches (its realisation in expressions is the daemon's). */
export type FirewallRule =
  /** `ip[6] daddr|saddr @SET VERDICT`: daddr in the input chains, saddr in the output chains. */
  | { match: 'address'; direction: FirewallDirection; set: string; verdict: 'drop' }
  /** `ip6 daddr . iif[name] @SET drop` (input) or `ip6 saddr . oif[name] @SET drop` (output). */
  | {
      match: 'address-interface';
      direction: FirewallDirection;
      set: string;
      byName: boolean;
      verdict: 'drop';
    }
  /** `icmpv6 type @SET accept`. */
  | { match: 'icmpv6-type'; set: string; verdict: 'accept' }
  /** `ip6 daddr|saddr fe80::/10 goto CHAIN`. */
  | { match: 'link-local'; direction: FirewallDirection; goto: string };

export type FirewallElement =
  | { address: string }
  | { address: string; ifindex: number }
  | { address: string; ifname: string }
  | { icmpv6Type: number };

export type FirewallOp =
  /** Delete this table in these families if it exists (what an earlier run left). */
  | { op: 'delete-stale-tables'; families: FirewallFamily[] }
  | { op: 'add-table'; family: FirewallFamily }
  | {
      op: 'add-chain';
      family: FirewallFamily;
      name: string;
      hook?: { hook: 'input' | 'output'; priority: number };
    }
  | { op: 'add-set'; family: FirewallFamily; name: string; type: FirewallSetType; constant?: boolean }
  | { op: 'add-rule'; family: FirewallFamily; chain: string; rule: FirewallRule; counter: boolean }
  | { op: 'add-elements'; family: FirewallFamily; set: string; elements: FirewallElement[] }
  | { op: 'delete-elements'; family: FirewallFamily; set: string; elements: FirewallElement[] }
  | { op: 'delete-table'; family: FirewallFamily };

export const ND_NEIGHBOR_SOLICIT = 135;
export const ND_NEIGHBOR_ADVERT = 136;

type Setup = 'ip' | 'ip6' | 'll-ifindex' | 'll-ifname';

/** One element of one set, as the firewall holds it. */
interface Held {
  family: FirewallFamily;
  set: string;
  element: FirewallElement;
}

/** The kernel device index of a device name, as the daemon knows it now (undefined: no such device). */
export type IfindexOf = (device: string) => number | undefined;

export class FirewallPlanner {
  private readonly done = new Set<Setup>();
  /** Elements held for each instance, by element key; an element shared by instances stays until the last. */
  private readonly held = new Map<string, Map<string, Held>>();

  constructor(readonly settings: FirewallSettings) {}

  /** Whether any table has been built (the daemon deletes them at stop). */
  get tablesBuilt(): FirewallFamily[] {
    return (['ip', 'ip6'] as const).filter((f) => this.done.has(f));
  }

  /** The operations that add `addresses` of `instance` to the drop sets (entering MASTER). */
  add(instance: string, addresses: readonly FirewallAddress[], ifindexOf: IfindexOf): FirewallOp[] {
    const ops: FirewallOp[] = [];
    const mine = this.held.get(instance) ?? new Map<string, Held>();
    this.held.set(instance, mine);
    const added: Held[] = [];
    for (const a of addresses) {
      const held = this.element(a, ifindexOf);
      if (held === undefined) continue;
      const key = elementKey(held);
      if (mine.has(key)) continue;
      this.setUp(ops, a);
      if (!this.heldByOthers(instance, key)) added.push(held);
      mine.set(key, held);
    }
    ops.push(...grouped('add-elements', added));
    return ops;
  }

  /** The operations that take `addresses` of `instance` (all of them when omitted) out of the sets. */
  remove(instance: string, addresses?: readonly FirewallAddress[]): FirewallOp[] {
    const mine = this.held.get(instance);
    if (mine === undefined) return [];
    let keys: string[];
    if (addresses === undefined) keys = [...mine.keys()];
    else {
      keys = [];
      const gone = new Set(addresses.map((a) => a.address));
      for (const [key, held] of mine)
        if ('address' in held.element && gone.has(held.element.address)) keys.push(key);
    }
    const removed: Held[] = [];
    for (const key of keys) {
      const held = mine.get(key);
      if (held === undefined) continue;
      mine.delete(key);
      if (!this.heldByOthers(instance, key)) removed.push(held);
    }
    return grouped('delete-elements', removed);
  }

  /** The operations that remove everything (the daemon stops). */
  stop(): FirewallOp[] {
    const ops: FirewallOp[] = this.tablesBuilt.map((family) => ({ op: 'delete-table', family }) as const);
    this.done.clear();
    this.held.clear();
    return ops;
  }

  private heldByOthers(instance: string, key: string): boolean {
    for (const [name, elements] of this.held) if (name !== instance && elements.has(key)) return true;
    return false;
  }

  private element(a: FirewallAddress, ifindexOf: IfindexOf): Held | undefined {
    if (a.family === 4) return { family: 'ip', set: 'vips', element: { address: a.address } };
    if (a.linkLocal === undefined) return { family: 'ip6', set: 'vips', element: { address: a.address } };
    if (a.linkLocal === 'ifname')
      return {
        family: 'ip6',
        set: 'vips_link_local_name',
        element: { address: a.address, ifname: a.device },
      };
    const ifindex = ifindexOf(a.device);
    if (ifindex === undefined) return undefined;
    return { family: 'ip6', set: 'vips_link_local', element: { address: a.address, ifindex } };
  }

  /** The objects this address needs that are not built yet, in keepalived's order. */
  private setUp(ops: FirewallOp[], a: FirewallAddress): void {
    const family: FirewallFamily = a.family === 4 ? 'ip' : 'ip6';
    if (!this.done.has(family)) {
      if (!this.done.has('ip') && !this.done.has('ip6'))
        ops.push({ op: 'delete-stale-tables', families: ['ip', 'ip6'] });
      ops.push(...(family === 'ip' ? this.ipTable() : this.ip6Table()));
      this.done.add(family);
    }
    if (a.linkLocal !== undefined) {
      const setup: Setup = a.linkLocal === 'ifname' ? 'll-ifname' : 'll-ifindex';
      if (!this.done.has(setup)) {
        ops.push(...this.linkLocalObjects(a.linkLocal === 'ifname'));
        this.done.add(setup);
      }
    }
  }

  private baseChain(family: FirewallFamily, name: 'in' | 'out'): FirewallOp {
    return {
      op: 'add-chain',
      family,
      name,
      hook: { hook: name === 'in' ? 'input' : 'output', priority: this.settings.priority },
    };
  }

  private rule(family: FirewallFamily, chain: string, rule: FirewallRule): FirewallOp {
    return { op: 'add-rule', family, chain, rule, counter: this.settings.counters };
  }

  private ipTable(): FirewallOp[] {
    return [
      { op: 'add-table', family: 'ip' },
      this.baseChain('ip', 'out'),
      this.baseChain('ip', 'in'),
      { op: 'add-set', family: 'ip', name: 'vips', type: 'ipv4_addr' },
      this.rule('ip', 'in', { match: 'address', direction: 'in', set: 'vips', verdict: 'drop' }),
      this.rule('ip', 'out', { match: 'address', direction: 'out', set: 'vips', verdict: 'drop' }),
    ];
  }

  private ip6Table(): FirewallOp[] {
    const nd = 'neighbor-discovery';
    return [
      { op: 'add-table', family: 'ip6' },
      this.baseChain('ip6', 'out'),
      this.baseChain('ip6', 'in'),
      { op: 'add-chain', family: 'ip6', name: 'in_link_local' },
      { op: 'add-chain', family: 'ip6', name: 'out_link_local' },
      { op: 'add-set', family: 'ip6', name: 'vips', type: 'ipv6_addr' },
      { op: 'add-set', family: 'ip6', name: nd, type: 'icmpv6_type', constant: true },
      {
        op: 'add-elements',
        family: 'ip6',
        set: nd,
        elements: [{ icmpv6Type: ND_NEIGHBOR_SOLICIT }, { icmpv6Type: ND_NEIGHBOR_ADVERT }],
      },
      this.rule('ip6', 'in', { match: 'icmpv6-type', set: nd, verdict: 'accept' }),
      this.rule('ip6', 'in', { match: 'link-local', direction: 'in', goto: 'in_link_local' }),
      this.rule('ip6', 'out', { match: 'icmpv6-type', set: nd, verdict: 'accept' }),
      this.rule('ip6', 'out', { match: 'link-local', direction: 'out', goto: 'out_link_local' }),
      this.rule('ip6', 'in', { match: 'address', direction: 'in', set: 'vips', verdict: 'drop' }),
      this.rule('ip6', 'out', { match: 'address', direction: 'out', set: 'vips', verdict: 'drop' }),
    ];
  }

  private linkLocalObjects(byName: boolean): FirewallOp[] {
    const set = byName ? 'vips_link_local_name' : 'vips_link_local';
    return [
      {
        op: 'add-set',
        family: 'ip6',
        name: set,
        type: byName ? 'ipv6_addr . ifname' : 'ipv6_addr . iface_index',
      },
      this.rule('ip6', 'in_link_local', {
        match: 'address-interface',
        direction: 'in',
        set,
        byName,
        verdict: 'drop',
      }),
      this.rule('ip6', 'out_link_local', {
        match: 'address-interface',
        direction: 'out',
        set,
        byName,
        verdict: 'drop',
      }),
    ];
  }
}

function elementKey(h: Held): string {
  return `${h.family} ${h.set} ${JSON.stringify(h.element)}`;
}

/** One element operation per set, in keepalived's order of sets (ip vips, ip6 vips, link-local by index, by name). */
function grouped(op: 'add-elements' | 'delete-elements', held: readonly Held[]): FirewallOp[] {
  const order = ['ip vips', 'ip6 vips', 'ip6 vips_link_local', 'ip6 vips_link_local_name'];
  const out: FirewallOp[] = [];
  for (const name of order) {
    const [family, set] = name.split(' ') as [FirewallFamily, string];
    const elements = held.filter((h) => h.family === family && h.set === set).map((h) => h.element);
    if (elements.length > 0) out.push({ op, family, set, elements });
  }
  return out;
}
