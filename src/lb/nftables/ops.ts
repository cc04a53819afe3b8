// The operations the planner emits (one nf_tables object each), and their encoding into the messages of
// one batch. Each operation remembers the table change that caused it, so that a refused transaction
// can say which change the kernel did not accept.

import type { NfnlMessage } from '../../net/netlink/nfnetlink.js';
import type { NftExpr } from '../../net/netlink/nft-expr.js';
import {
  type ChainSpec,
  type SetElement,
  type TableRef,
  deleteChain,
  deleteSet,
  deleteSetElements,
  deleteTable,
  flushChain,
  flushSetElements,
  newChain,
  newRule,
  newSet,
  newSetElements,
  newTable,
} from '../../net/netlink/nftables.js';
import type { SetShape } from './layout.js';

export type NftOp = (
  | { op: 'add-table'; table: TableRef }
  | { op: 'delete-table'; table: TableRef }
  | { op: 'add-chain'; chain: ChainSpec }
  | { op: 'delete-chain'; chain: TableRef & { name: string } }
  | { op: 'flush-chain'; chain: TableRef & { name: string } }
  | { op: 'add-rule'; table: TableRef; chain: string; exprs: NftExpr[] }
  | { op: 'add-set'; table: TableRef; name: string; shape: SetShape }
  | { op: 'delete-set'; table: TableRef; name: string }
  /** Every element of a set (a verdict map's elements release the chains they name). */
  | { op: 'flush-set'; table: TableRef; name: string }
  | { op: 'add-elements'; table: TableRef; set: string; elements: SetElement[] }
  | { op: 'delete-elements'; table: TableRef; set: string; elements: SetElement[] }
) & {
  /** The table change this serves (for error reports). */
  cause: string;
};

export interface EncodedOps {
  messages: NfnlMessage[];
  /** For each message, the index of the operation it came from. */
  opOf: number[];
}

/** Messages for `ops`, in order. Sets are numbered (NFTA_SET_ID) within the batch. */
export function encodeOps(ops: readonly NftOp[]): EncodedOps {
  const messages: NfnlMessage[] = [];
  const opOf: number[] = [];
  let setId = 0;
  ops.forEach((o, i) => {
    let produced: NfnlMessage[];
    switch (o.op) {
      case 'add-table':
        produced = [newTable(o.table)];
        break;
      case 'delete-table':
        produced = [deleteTable(o.table)];
        break;
      case 'add-chain':
        produced = [newChain(o.chain)];
        break;
      case 'delete-chain':
        produced = [deleteChain(o.chain)];
        break;
      case 'flush-chain':
        produced = [flushChain(o.chain)];
        break;
      case 'add-rule':
        produced = [newRule({ ...o.table, chain: o.chain, exprs: o.exprs })];
        break;
      case 'add-set':
        produced = [newSet({ ...o.table, name: o.name, id: ++setId, ...o.shape })];
        break;
      case 'delete-set':
        produced = [deleteSet({ ...o.table, name: o.name })];
        break;
      case 'flush-set':
        produced = [flushSetElements({ ...o.table, set: o.name })];
        break;
      case 'add-elements':
        produced = newSetElements({ ...o.table, set: o.set }, o.elements);
        break;
      case 'delete-elements':
        produced = deleteSetElements({ ...o.table, set: o.set }, o.elements);
        break;
    }
    for (const m of produced) {
      messages.push(m);
      opOf.push(i);
    }
  });
  return { messages, opOf };
}

/** One line per operation, nft-like, for logs and tests. */
export function describeOp(o: NftOp): string {
  const t = (r: TableRef): string => `${r.family} ${r.table}`;
  switch (o.op) {
    case 'add-table':
      return `add table ${t(o.table)}`;
    case 'delete-table':
      return `delete table ${t(o.table)}`;
    case 'add-chain':
      return `add chain ${t(o.chain)} ${o.chain.name}`;
    case 'delete-chain':
      return `delete chain ${t(o.chain)} ${o.chain.name}`;
    case 'flush-chain':
      return `flush chain ${t(o.chain)} ${o.chain.name}`;
    case 'add-rule':
      return `add rule ${t(o.table)} ${o.chain} (${o.exprs.map((e) => e.kind).join(' ')})`;
    case 'add-set':
      return `add ${o.shape.dataLen !== undefined ? 'map' : 'set'} ${t(o.table)} ${o.name}`;
    case 'delete-set':
      return `delete set ${t(o.table)} ${o.name}`;
    case 'flush-set':
      return `flush set ${t(o.table)} ${o.name}`;
    case 'add-elements':
      return `add element ${t(o.table)} ${o.set} (${o.elements.length})`;
    case 'delete-elements':
      return `delete element ${t(o.table)} ${o.set} (${o.elements.length})`;
  }
}
