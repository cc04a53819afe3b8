// The VRRP firewall's nftables objects, planned as keepalived 2.2.7 builds them (vrrp_nftables.c), so that
// `nft list ruleset` shows the same tables, chains, sets and rules in the same order. Pure: it takes the
// VIPs of an instance entering or leaving MASTER, and the VMACs the daemon creates, and gives the
// operations of one nf_tables transaction; the daemon encodes and commits them (daemon/vrrp/firewall.ts).
//
// What keepalived builds, and when (each step once per run, in this order of need):
// - A family's table: at the first need of either family, any table of that name left by an earlier run
//   is deleted (both families); then the table and its chain out (hook output).
// - A family's VIP objects, at its first VIP that needs a drop rule:
//     ip:  chain in (hook input), set vips, rules `in: ip daddr @vips drop`, `out: ip saddr @vips drop`
//     ip6: chain in, chains in_link_local and out_link_local (regular), set vips, constant set
//          neighbor-discovery {NS, NA}, rules `in: icmpv6 type @neighbor-discovery accept`,
//          `in: ip6 daddr fe80::/10 goto in_link_local`, the same two in out (saddr), then the vips drops.
//   The first link-local VIP adds set vips_link_local (address . iif index) or vips_link_local_name
//   (address . iif name) and one drop rule in each link-local chain.
// - A family's VMAC objects, at the first VMAC (use_vmac) of an instance of that family (or with VIPs of
//   it): map vmac_map (VMAC index : base index) and the rule that sends IGMP (ip) / MLDv2 reports (ip6)
//   leaving a macvlan out of its base interface instead; ip6 also set vmac_set and a rule dropping router
//   solicitations sent from a VMAC. Each VMAC is an element of those, from its creation to its deletion.
// - Entering MASTER adds the instance's VIPs to the sets; leaving removes them. The tables stay, empty,
//   until the daemon stops, which deletes them.
import type { FirewallAddress, FirewallSettings } from './settings.js';

export type FirewallFamily = 'ip' | 'ip6';
export type FirewallDirection = 'in' | 'out';

export type FirewallSetType =
  | 'ipv4_addr'
  | 'ipv6_addr'
  | 'icmpv6_type'
  | 'ipv6_addr . iface_index'
  | 'ipv6_addr . ifname'
  | 'iface_index'
  /** A map from a VMAC's index to its base interface's index. */
  | 'iface_index : iface_index';

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
  | { match: 'link-local'; direction: FirewallDirection; goto: string }
  /** `ip protocol igmp` / `icmpv6 type mld2-listener-report`, `meta oifkind "macvlan" dup to ip[6] daddr
   * device oif map @MAP drop`: multicast reports leave by the base interface, not the VMAC. */
  | { match: 'move-multicast-report'; map: string; verdict: 'drop' }
  /** `icmpv6 type nd-router-solicit meta oifkind "macvlan" oif @SET drop`. */
  | { match: 'vmac-router-solicit'; set: string; verdict: 'drop' };

export type FirewallElement =
  | { address: string }
  | { address: string; ifindex: number }
  | { address: string; ifname: string }
  | { icmpv6Type: number }
  /** A VMAC in vmac_set, or (with `base`) in vmac_map. */
  | { ifindex: number; base?: number };

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

type Setup =
  FirewallFamily | `${FirewallFamily}-vips` | `${FirewallFamily}-vmac` | 'll-ifindex' | 'll-ifname';

/** A VMAC as the firewall sees it: its index, its base interface's, and the families it serves. */
export interface FirewallVmac {
  ifindex: number;
  base: number;
  families: readonly FirewallFamily[];
}

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
  /** VMACs in the VMAC objects, by family and index. */
  private readonly vmacs = new Map<string, FirewallVmac>();

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
    this.vmacs.clear();
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
    if (!this.done.has(`${family}-vips`)) {
      this.tableOf(ops, family);
      ops.push(...(family === 'ip' ? this.ipVips() : this.ip6Vips()));
      this.done.add(`${family}-vips`);
    }
    if (a.linkLocal !== undefined) {
      const setup: Setup = a.linkLocal === 'ifname' ? 'll-ifname' : 'll-ifindex';
      if (!this.done.has(setup)) {
        ops.push(...this.linkLocalObjects(a.linkLocal === 'ifname'));
        this.done.add(setup);
      }
    }
  }

  /** The family's table and its output chain (nft_setup_ipv4 / nft_setup_ipv6), once. */
  private tableOf(ops: FirewallOp[], family: FirewallFamily): void {
    if (this.done.has(family)) return;
    if (!this.done.has('ip') && !this.done.has('ip6'))
      ops.push({ op: 'delete-stale-tables', families: ['ip', 'ip6'] });
    ops.push({ op: 'add-table', family }, this.baseChain(family, 'out'));
    this.done.add(family);
  }

  /** A VMAC was created: its multicast reports leave by its base interface (and, in ip6, its router
   * solicitations are dropped), in each family it serves (nft_add_vmac). */
  addVmac(vmac: FirewallVmac): FirewallOp[] {
    const ops: FirewallOp[] = [];
    for (const family of vmac.families) {
      if (!this.done.has(`${family}-vmac`)) {
        this.tableOf(ops, family);
        ops.push(...this.vmacObjects(family));
        this.done.add(`${family}-vmac`);
      }
      ops.push(...vmacElements('add-elements', family, vmac));
      this.vmacs.set(`${family} ${vmac.ifindex}`, { ...vmac, families: [family] });
    }
    return ops;
  }

  /** A VMAC is about to be deleted: its elements go (nft_remove_vmac). */
  removeVmac(ifindex: number): FirewallOp[] {
    const ops: FirewallOp[] = [];
    for (const family of ['ip', 'ip6'] as const) {
      const key = `${family} ${ifindex}`;
      const vmac = this.vmacs.get(key);
      if (vmac === undefined) continue;
      this.vmacs.delete(key);
      ops.push(...vmacElements('delete-elements', family, vmac));
    }
    return ops;
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

  private ipVips(): FirewallOp[] {
    return [
      this.baseChain('ip', 'in'),
      { op: 'add-set', family: 'ip', name: 'vips', type: 'ipv4_addr' },
      this.rule('ip', 'in', { match: 'address', direction: 'in', set: 'vips', verdict: 'drop' }),
      this.rule('ip', 'out', { match: 'address', direction: 'out', set: 'vips', verdict: 'drop' }),
    ];
  }

  private ip6Vips(): FirewallOp[] {
    const nd = 'neighbor-discovery';
    return [
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

  /** nft_setup_igmp: the map (and in ip6 the set) of VMACs and the rules that use them. */
  private vmacObjects(family: FirewallFamily): FirewallOp[] {
    const ops: FirewallOp[] = [{ op: 'add-set', family, name: VMAC_MAP, type: 'iface_index : iface_index' }];
    if (family === 'ip6') ops.push({ op: 'add-set', family, name: VMAC_SET, type: 'iface_index' });
    ops.push(this.rule(family, 'out', { match: 'move-multicast-report', map: VMAC_MAP, verdict: 'drop' }));
    if (family === 'ip6')
      ops.push(this.rule(family, 'out', { match: 'vmac-router-solicit', set: VMAC_SET, verdict: 'drop' }));
    return ops;
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

const VMAC_MAP = 'vmac_map';
const VMAC_SET = 'vmac_set';

/** A VMAC's elements: in vmac_map (index : base index), and in ip6 also in vmac_set. */
function vmacElements(
  op: 'add-elements' | 'delete-elements',
  family: FirewallFamily,
  vmac: FirewallVmac,
): FirewallOp[] {
  const ops: FirewallOp[] = [
    { op, family, set: VMAC_MAP, elements: [{ ifindex: vmac.ifindex, base: vmac.base }] },
  ];
  if (family === 'ip6') ops.push({ op, family, set: VMAC_SET, elements: [{ ifindex: vmac.ifindex }] });
  return ops;
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
