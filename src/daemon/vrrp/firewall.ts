// The VRRP firewall at the edge: the planner's operations (vrrp/firewall/planner.ts) encoded as nf_tables
// messages and committed, each change one transaction, through our own nfnetlink socket. The rules are
// realised with the expressions keepalived 2.2.7 uses (vrrp_nftables.c), registers included, so that the
// kernel holds the same rules and `nft list ruleset` prints them alike.
import { addressBuffer } from '../../net/netlink/ip-text.js';
import { NfnetlinkBatchClient, NfnetlinkBatchError } from '../../net/netlink/nfnetlink-batch.js';
import type { NfnlMessage } from '../../net/netlink/nfnetlink.js';
import type { NftExpr } from '../../net/netlink/nft-expr.js';
import {
  deleteSetElements,
  deleteTable,
  NF_INET_LOCAL_IN,
  NF_INET_LOCAL_OUT,
  NFT_SET_CONSTANT,
  newChain,
  newRule,
  newSet,
  newSetElements,
  newTable,
  type SetElement,
  type TableRef,
} from '../../net/netlink/nftables.js';
import type {
  FirewallElement,
  FirewallFamily,
  FirewallOp,
  FirewallRule,
  FirewallSetType,
} from '../../vrrp/firewall/planner.js';
import { FirewallPlanner, type FirewallVmac, type IfindexOf } from '../../vrrp/firewall/planner.js';
import type { FirewallAddress, FirewallSettings } from '../../vrrp/firewall/settings.js';
import type { Logger } from '../process/log.js';

// The 16-byte registers keepalived loads into (NFT_REG_1, NFT_REG_2): a concatenated key is read from
// NFT_REG_1 on into NFT_REG_2.
const REG_1 = 1;
const REG_2 = 2;
const IFNAMSIZ = 16;
const IPPROTO_ICMPV6 = 58;

// nft(8)'s datatype numbers (its include/datatype.h), concatenations packed 6 bits a type.
const TYPE_BITS = 6;
const NFT_TYPE = { IPADDR: 7, IP6ADDR: 8, IFINDEX: 20, ICMPV6_TYPE: 29, IFNAME: 41 };

interface SetShape {
  keyType: number;
  keyLen: number;
  byteOrder: 'big' | 'host';
  /** A map's values: nft's type and length (host byte order, as keepalived declares them). */
  data?: { type: number; len: number };
}

const SET_SHAPES: Record<FirewallSetType, SetShape> = {
  ipv4_addr: { keyType: NFT_TYPE.IPADDR, keyLen: 4, byteOrder: 'big' },
  ipv6_addr: { keyType: NFT_TYPE.IP6ADDR, keyLen: 16, byteOrder: 'big' },
  icmpv6_type: { keyType: NFT_TYPE.ICMPV6_TYPE, keyLen: 1, byteOrder: 'host' },
  'ipv6_addr . iface_index': {
    keyType: (NFT_TYPE.IP6ADDR << TYPE_BITS) | NFT_TYPE.IFINDEX,
    keyLen: 20,
    byteOrder: 'host',
  },
  'ipv6_addr . ifname': {
    keyType: (NFT_TYPE.IP6ADDR << TYPE_BITS) | NFT_TYPE.IFNAME,
    keyLen: 16 + IFNAMSIZ,
    byteOrder: 'host',
  },
  iface_index: { keyType: NFT_TYPE.IFINDEX, keyLen: 4, byteOrder: 'host' },
  'iface_index : iface_index': {
    keyType: NFT_TYPE.IFINDEX,
    keyLen: 4,
    byteOrder: 'host',
    data: { type: NFT_TYPE.IFINDEX, len: 4 },
  },
};

// IGMP's protocol number, ICMPv6's MLDv2 report and router solicitation types.
const IPPROTO_IGMP = 2;
const ICMPV6_MLD2_REPORT = 143;
const ND_ROUTER_SOLICIT = 133;

/** An interface index as the kernel keeps it in a register or set (host order). */
function ifindexBytes(ifindex: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(ifindex >>> 0, 0);
  return b;
}

/** `meta oifkind "macvlan"`: the kind name compared as IFNAMSIZ bytes, as keepalived does. */
function macvlanKind(): NftExpr[] {
  const kind = Buffer.alloc(IFNAMSIZ);
  kind.write('macvlan', 'ascii');
  return [
    { kind: 'meta', key: 'oifkind', dreg: REG_2 },
    { kind: 'cmp', sreg: REG_2, op: 'eq', data: kind },
  ];
}

/** `icmpv6 type TYPE` (meta l4proto, then the type byte). */
function icmpv6Type(type: number): NftExpr[] {
  return [
    { kind: 'meta', key: 'l4proto', dreg: REG_1 },
    { kind: 'cmp', sreg: REG_1, op: 'eq', data: Buffer.from([IPPROTO_ICMPV6]) },
    { kind: 'payload', base: 'transport', offset: 0, len: 1, dreg: REG_1 },
    { kind: 'cmp', sreg: REG_1, op: 'eq', data: Buffer.from([type]) },
  ];
}

// Where the addresses are in the network header.
const ADDRESS_AT = {
  ip: { len: 4, in: 16, out: 12 },
  ip6: { len: 16, in: 24, out: 8 },
};

function elementKey(e: FirewallElement): Buffer {
  if ('icmpv6Type' in e) return Buffer.from([e.icmpv6Type]);
  if (!('address' in e)) return ifindexBytes(e.ifindex);
  const address = addressBuffer(e.address);
  if ('ifindex' in e) {
    return Buffer.concat([address, ifindexBytes(e.ifindex)]);
  }
  if ('ifname' in e) {
    const name = Buffer.alloc(IFNAMSIZ);
    name.write(e.ifname.slice(0, IFNAMSIZ - 1), 'utf8');
    return Buffer.concat([address, name]);
  }
  return address;
}

/** The expressions of one rule, in keepalived's order. */
export function ruleExpressions(family: FirewallFamily, rule: FirewallRule, counter: boolean): NftExpr[] {
  const tail = (verdict: NftExpr): NftExpr[] => (counter ? [{ kind: 'counter' }, verdict] : [verdict]);
  const at = ADDRESS_AT[family];
  switch (rule.match) {
    case 'address':
      return [
        { kind: 'payload', base: 'network', offset: at[rule.direction], len: at.len, dreg: REG_1 },
        { kind: 'lookup', set: rule.set, sreg: REG_1 },
        ...tail({ kind: 'verdict', verdict: { code: rule.verdict } }),
      ];
    case 'address-interface': {
      const key =
        rule.direction === 'in' ? (rule.byName ? 'iifname' : 'iif') : rule.byName ? 'oifname' : 'oif';
      return [
        { kind: 'payload', base: 'network', offset: at[rule.direction], len: at.len, dreg: REG_1 },
        { kind: 'meta', key, dreg: REG_2 },
        { kind: 'lookup', set: rule.set, sreg: REG_1 },
        ...tail({ kind: 'verdict', verdict: { code: rule.verdict } }),
      ];
    }
    case 'icmpv6-type':
      return [
        { kind: 'payload', base: 'network', offset: 6, len: 1, dreg: REG_1 },
        { kind: 'cmp', sreg: REG_1, op: 'eq', data: Buffer.from([IPPROTO_ICMPV6]) },
        { kind: 'payload', base: 'transport', offset: 0, len: 1, dreg: REG_1 },
        { kind: 'lookup', set: rule.set, sreg: REG_1 },
        ...tail({ kind: 'verdict', verdict: { code: rule.verdict } }),
      ];
    case 'link-local': {
      const mask = Buffer.alloc(16);
      mask.writeUInt32BE(0xffc00000, 0);
      const prefix = Buffer.alloc(16);
      prefix.writeUInt32BE(0xfe800000, 0);
      return [
        { kind: 'payload', base: 'network', offset: ADDRESS_AT.ip6[rule.direction], len: 16, dreg: REG_1 },
        { kind: 'bitwise', sreg: REG_1, dreg: REG_1, len: 16, mask, xor: Buffer.alloc(16) },
        { kind: 'cmp', sreg: REG_1, op: 'eq', data: prefix },
        ...tail({ kind: 'verdict', verdict: { code: 'goto', chain: rule.goto } }),
      ];
    }
    case 'move-multicast-report': {
      // the report's destination in NFT_REG_1, the base interface's index (looked up by the VMAC's) in
      // NFT_REG_2, a copy sent there, the original dropped
      const match: NftExpr[] =
        family === 'ip'
          ? [
              { kind: 'payload', base: 'network', offset: 9, len: 1, dreg: REG_1 },
              { kind: 'cmp', sreg: REG_1, op: 'eq', data: Buffer.from([IPPROTO_IGMP]) },
              { kind: 'payload', base: 'network', offset: 16, len: 4, dreg: REG_1 },
            ]
          : [
              ...icmpv6Type(ICMPV6_MLD2_REPORT),
              { kind: 'payload', base: 'network', offset: 24, len: 16, dreg: REG_1 },
            ];
      return [
        ...match,
        ...macvlanKind(),
        { kind: 'meta', key: 'oif', dreg: REG_2 },
        { kind: 'lookup', set: rule.map, sreg: REG_2, dreg: REG_2 },
        { kind: 'dup', addrReg: REG_1, devReg: REG_2 },
        ...tail({ kind: 'verdict', verdict: { code: rule.verdict } }),
      ];
    }
    case 'vmac-router-solicit':
      return [
        ...icmpv6Type(ND_ROUTER_SOLICIT),
        ...macvlanKind(),
        { kind: 'meta', key: 'oif', dreg: REG_2 },
        { kind: 'lookup', set: rule.set, sreg: REG_2 },
        ...tail({ kind: 'verdict', verdict: { code: rule.verdict } }),
      ];
  }
}

/** The messages of one operation (delete-stale-tables is the firewall's own business: none); `setId`
 * numbers a new set within its batch (NFTA_SET_ID). */
function firewallMessages(table: string, o: FirewallOp, setId: number): NfnlMessage[] {
  if (o.op === 'delete-stale-tables') return [];
  const ref: TableRef = { family: o.family, table };
  switch (o.op) {
    case 'add-table':
      return [newTable(ref)];
    case 'delete-table':
      return [deleteTable(ref)];
    case 'add-chain':
      return [
        newChain({
          ...ref,
          name: o.name,
          ...(o.hook
            ? {
                hook: {
                  hooknum: o.hook.hook === 'input' ? NF_INET_LOCAL_IN : NF_INET_LOCAL_OUT,
                  priority: o.hook.priority,
                  type: 'filter',
                  policy: 'accept',
                },
              }
            : {}),
        }),
      ];
    case 'add-set': {
      const shape = SET_SHAPES[o.type];
      return [
        newSet({
          ...ref,
          name: o.name,
          id: setId,
          flags: o.constant ? NFT_SET_CONSTANT : 0,
          keyLen: shape.keyLen,
          keyType: shape.keyType,
          ...(shape.data ? { dataType: shape.data.type, dataLen: shape.data.len } : {}),
          byteOrder: { key: shape.byteOrder, ...(shape.data ? { data: 'host' as const } : {}) },
        }),
      ];
    }
    case 'add-rule':
      return [newRule({ ...ref, chain: o.chain, exprs: ruleExpressions(o.family, o.rule, o.counter) })];
    case 'add-elements':
    case 'delete-elements': {
      const elements: SetElement[] = o.elements.map((e) => ({
        key: elementKey(e),
        ...('base' in e && e.base !== undefined ? { data: ifindexBytes(e.base) } : {}),
      }));
      return o.op === 'add-elements'
        ? newSetElements({ ...ref, set: o.set }, elements)
        : deleteSetElements({ ...ref, set: o.set }, elements);
    }
  }
}

/** Encodes a batch of operations, sets numbered within it (NFTA_SET_ID). */
export function encodeFirewallOps(table: string, ops: readonly FirewallOp[]): NfnlMessage[] {
  let setId = 0;
  return ops.flatMap((o) => firewallMessages(table, o, o.op === 'add-set' ? ++setId : 0));
}

/** The VRRP child's firewall: the planner, and the nf_tables socket its changes go through. */
export class VrrpFirewall {
  private readonly planner: FirewallPlanner;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly settings: FirewallSettings,
    private readonly log: Logger,
    private readonly batch: NfnetlinkBatchClient,
  ) {
    this.planner = new FirewallPlanner(settings);
  }

  static open(settings: FirewallSettings, log: Logger, batch?: NfnetlinkBatchClient): VrrpFirewall {
    return new VrrpFirewall(settings, log, batch ?? NfnetlinkBatchClient.open());
  }

  /** Entering MASTER: drop traffic to and from these VIPs. Resolves once the kernel has the rules. */
  add(instance: string, addresses: readonly FirewallAddress[], ifindexOf: IfindexOf): Promise<void> {
    return this.run(() => this.planner.add(instance, addresses, ifindexOf));
  }

  /** A VMAC was created: its multicast reports go out of its base interface, its router solicitations
   * are dropped. */
  addVmac(vmac: FirewallVmac): Promise<void> {
    return this.run(() => this.planner.addVmac(vmac));
  }

  /** A VMAC is about to be deleted. */
  removeVmac(ifindex: number): Promise<void> {
    return this.run(() => this.planner.removeVmac(ifindex));
  }

  /** Leaving MASTER (or VIPs gone at a reload): stop dropping them. */
  remove(instance: string, addresses?: readonly FirewallAddress[]): Promise<void> {
    return this.run(() => this.planner.remove(instance, addresses));
  }

  /** The daemon stops: our tables go (synchronously: the kernel commits inside sendmsg). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      const messages = encodeFirewallOps(this.settings.table, this.planner.stop());
      if (messages.length > 0) this.batch.commitAndForget(messages);
    } finally {
      this.batch.close();
    }
  }

  private run(plan: () => FirewallOp[]): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.closed) return;
      const ops = plan();
      if (ops.length === 0) return;
      for (const o of ops) if (o.op === 'delete-stale-tables') await this.deleteStale(o.families);
      await this.batch.commit(encodeFirewallOps(this.settings.table, ops));
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Tables of our name an earlier run left: each deleted on its own (absent is the usual case). */
  private async deleteStale(families: readonly FirewallFamily[]): Promise<void> {
    for (const family of families) {
      try {
        await this.batch.commit([deleteTable({ family, table: this.settings.table })]);
        this.log.info(`Deleting old ${family} ${this.settings.table} table`);
      } catch (e) {
        if (e instanceof NfnetlinkBatchError && e.code === 'ENOENT') continue;
        throw e;
      }
    }
  }
}
