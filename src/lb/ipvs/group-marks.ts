// nftables_ipvs: the nftables side of a virtual_server_group served as one IPVS fwmark service per
// protocol (lb/table/resolve.ts decides the marks). Laid out as keepalived's check_nftables.c lays it, so
// that `nft list ruleset` reads the same: tables `ip` / `ip6` NAME, each with a base chain `in` on the
// input hook (priority nftables_ipvs_priority, policy accept), a map per protocol (`tcp_map`, `udp_map`,
// `sctp_map`: address . port intervals to a mark, made when its first range goes in) and a rule per map:
//   meta l4proto P meta mark set <ip|ip6> daddr . P dport map @P_map [counter] return
// A reload adds and removes ranges (what stays keeps its counters); the stop deletes the tables.
import { NfnetlinkBatchClient } from '../../net/netlink/nfnetlink-batch.js';
import { addressBuffer } from '../../net/netlink/ip-text.js';
import type { NftExpr } from '../../net/netlink/nft-expr.js';
import {
  deleteTable,
  NF_INET_LOCAL_IN,
  NFT_SET_CONCAT,
  NFT_SET_INTERVAL,
  newChain,
  newRule,
  newSet,
  newSetElements,
  newTable,
  deleteSetElements,
  type SetElement,
  type TableFamily,
} from '../../net/netlink/nftables.js';
import type { NfnlMessage } from '../../net/netlink/nfnetlink.js';
import type { LvsProtocol } from '../../config/model/lvs/types.js';
import type { GroupMarks, MarkedRange } from '../table/resolve.js';
import { wireProtocol } from './table-wire.js';

const CHAIN = 'in';
// nft(8)'s datatype numbers (the kernel stores them for nft's listing): a concatenated key's type is
// its fields' types, 6 bits each.
const TYPE_IPADDR = 7;
const TYPE_IP6ADDR = 8;
const TYPE_INET_SERVICE = 13;
const TYPE_MARK = 19;
const TYPE_BITS = 6;
// Registers as keepalived loads them: the address in NFT_REG_1, the port right after it.
const NFT_REG_1 = 1;
const NFT_REG_2 = 2;
const NFT_REG32_01 = 9;

interface FamilyLayout {
  table: TableFamily;
  addressLen: number;
  /** Offset of the destination address in the network header. */
  daddrOffset: number;
  addressType: number;
  portRegister: number;
}

const LAYOUTS: Record<MarkedRange['family'], FamilyLayout> = {
  inet: { table: 'ip', addressLen: 4, daddrOffset: 16, addressType: TYPE_IPADDR, portRegister: NFT_REG32_01 },
  inet6: {
    table: 'ip6',
    addressLen: 16,
    daddrOffset: 24,
    addressType: TYPE_IP6ADDR,
    portRegister: NFT_REG_2,
  },
};

function mapName(protocol: LvsProtocol): string {
  return `${protocol.toLowerCase()}_map`;
}

/** An address and a port as the map's key: each field padded to 4 bytes. */
function keyBytes(layout: FamilyLayout, address: string, port: number): Buffer {
  const key = Buffer.alloc(layout.addressLen + 4);
  addressBuffer(address).copy(key, 0);
  key.writeUInt16BE(port, layout.addressLen);
  return key;
}

/** A mark is a host-order number to nftables. */
function markBytes(fwmark: number): Uint8Array {
  return new Uint8Array(new Uint32Array([fwmark]).buffer);
}

function ruleExpressions(layout: FamilyLayout, protocol: LvsProtocol, counters: boolean): NftExpr[] {
  return [
    { kind: 'meta', key: 'l4proto', dreg: NFT_REG_1 },
    { kind: 'cmp', sreg: NFT_REG_1, op: 'eq', data: Uint8Array.of(wireProtocol(protocol)) },
    { kind: 'payload', base: 'network', offset: layout.daddrOffset, len: layout.addressLen, dreg: NFT_REG_1 },
    // the destination port is the second 16-bit word of TCP, UDP and SCTP headers alike
    { kind: 'payload', base: 'transport', offset: 2, len: 2, dreg: layout.portRegister },
    { kind: 'lookup', set: mapName(protocol), sreg: NFT_REG_1, dreg: NFT_REG_1 },
    { kind: 'meta-set', key: 'mark', sreg: NFT_REG_1 },
    ...(counters ? [{ kind: 'counter' } as const] : []),
    { kind: 'verdict', verdict: { code: 'return' } },
  ];
}

/** What this process's marking tables hold: keepalived makes a family's table and a protocol's map and
 * rule with their first range, and keeps them until it stops, empty or not. */
export interface MarkTablesState {
  table: string;
  families: TableFamily[];
  /** `family map`, in the order made. */
  maps: string[];
  /** By rangeId. */
  ranges: Map<string, MarkedRange>;
}

function rangeId(r: MarkedRange): string {
  return `${r.family} ${r.protocol} ${r.first} ${r.last} ${r.port} ${r.fwmark}`;
}

function element(layout: FamilyLayout, r: MarkedRange): SetElement {
  return {
    key: keyBytes(layout, r.first, r.port),
    keyEnd: keyBytes(layout, r.last, r.port),
    data: markBytes(r.fwmark),
  };
}

/**
 * One transaction from what the tables hold (`before`; undefined in a process that has not written them:
 * any left by a checker that died go first) to what `marks` asks: tables, maps and rules made as their
 * first range needs them, ranges removed and added (what stays keeps its counters, as over keepalived's
 * reloads). No marks: the tables go.
 */
export function markTableChanges(
  before: MarkTablesState | undefined,
  marks: GroupMarks | undefined,
): { messages: NfnlMessage[]; state: MarkTablesState | undefined } {
  const messages: NfnlMessage[] = [];
  if (marks === undefined) {
    for (const family of before?.families ?? []) messages.push(deleteTable({ family, table: before!.table }));
    return { messages, state: undefined };
  }
  const table = marks.table;
  if (before === undefined)
    for (const family of ['ip', 'ip6'] as const)
      messages.push(newTable({ family, table }), deleteTable({ family, table }));
  const state: MarkTablesState = {
    table,
    families: [...(before?.families ?? [])],
    maps: [...(before?.maps ?? [])],
    ranges: new Map(),
  };
  const wanted = new Map(marks.ranges.map((r) => [rangeId(r), r]));
  const removed = [...(before?.ranges.values() ?? [])].filter((r) => !wanted.has(rangeId(r)));
  for (const r of removed) {
    const layout = LAYOUTS[r.family];
    messages.push(
      ...deleteSetElements({ family: layout.table, table, set: mapName(r.protocol) }, [element(layout, r)]),
    );
  }
  let setId = 1;
  for (const [id, range] of wanted) {
    state.ranges.set(id, range);
    if (before?.ranges.has(id)) continue;
    const layout = LAYOUTS[range.family];
    const ref = { family: layout.table, table };
    if (!state.families.includes(layout.table)) {
      state.families.push(layout.table);
      messages.push(
        newTable(ref),
        newChain({
          ...ref,
          name: CHAIN,
          hook: { hooknum: NF_INET_LOCAL_IN, priority: marks.priority, type: 'filter', policy: 'accept' },
        }),
      );
    }
    const map = mapName(range.protocol);
    if (!state.maps.includes(`${layout.table} ${map}`)) {
      state.maps.push(`${layout.table} ${map}`);
      messages.push(
        newSet({
          ...ref,
          name: map,
          id: setId++,
          flags: NFT_SET_CONCAT | NFT_SET_INTERVAL,
          keyType: (layout.addressType << TYPE_BITS) | TYPE_INET_SERVICE,
          keyLen: layout.addressLen + 4,
          dataType: TYPE_MARK,
          dataLen: 4,
          concatFields: [layout.addressLen, 2],
          // what keepalived's libnftnl writes for nft's listing (a concatenation counts as host order)
          byteOrder: { key: 'host', data: 'host' },
          ...(marks.counters ? { elementExpression: { kind: 'counter' } as const } : {}),
        }),
        newRule({ ...ref, chain: CHAIN, exprs: ruleExpressions(layout, range.protocol, marks.counters) }),
      );
    }
    messages.push(...newSetElements({ ...ref, set: map }, [element(layout, range)]));
  }
  return { messages, state };
}

/** The marking tables of one IPVS load balancer, in the namespace its socket was opened in; kept over
 * reloads. */
export class GroupMarkTables {
  private state: MarkTablesState | undefined;

  private constructor(private readonly batch: NfnetlinkBatchClient) {}

  static open(): GroupMarkTables {
    return new GroupMarkTables(NfnetlinkBatchClient.open());
  }

  /** Makes the kernel's marking tables hold `marks` (none: removes them). */
  async apply(marks: GroupMarks | undefined): Promise<void> {
    const { messages, state } = markTableChanges(this.state, marks);
    if (messages.length > 0) await this.batch.commit(messages);
    this.state = state;
  }

  /** At stop: the tables go, as keepalived's nft_ipvs_end removes them. */
  async remove(): Promise<void> {
    await this.apply(undefined);
  }

  close(): void {
    this.batch.close();
  }
}
