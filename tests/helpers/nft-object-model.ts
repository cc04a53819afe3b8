// A model of what the kernel checks when it runs a batch of nf_tables operations, for the planner's unit
// tests: objects must exist before anything names them (ENOENT) and nothing may still name an object
// being deleted (EBUSY): rules naming sets and chains, verdict map elements naming chains. It also keeps
// the resulting objects, so a test can compare them with the state the planner believes in.
import type { NftOp } from '../../src/lb/nftables/ops.js';
import type { PlaneState } from '../../src/lb/nftables/planner.js';
import type { NftExpr, Verdict } from '../../src/net/netlink/nft-expr.js';

interface ModelSet {
  elements: Map<string, string>;
}
interface ModelTable {
  sets: Map<string, ModelSet>;
  chains: Map<string, NftExpr[][]>;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function dataText(data: Uint8Array | Verdict | undefined): string {
  if (data === undefined) return '';
  return data instanceof Uint8Array ? hex(data) : JSON.stringify(data);
}

/** The chain a verdict map element's data names. */
function chainOf(text: string): string | undefined {
  if (!text.startsWith('{')) return undefined;
  const v = JSON.parse(text) as Verdict;
  return v.code === 'jump' || v.code === 'goto' ? v.chain : undefined;
}

/** The sets and chains one rule names. */
export function namesOf(rule: readonly NftExpr[]): { sets: string[]; chains: string[] } {
  const sets: string[] = [];
  const chains: string[] = [];
  for (const e of rule) {
    if (e.kind === 'lookup' || e.kind === 'dynset') sets.push(e.set);
    if (e.kind === 'verdict' && (e.verdict.code === 'jump' || e.verdict.code === 'goto'))
      chains.push(e.verdict.chain);
  }
  return { sets, chains };
}

export class NftObjectModel {
  readonly tables = new Map<string, ModelTable>();

  /** Runs a batch; throws, naming the operation, where the kernel would refuse it. */
  apply(ops: readonly NftOp[]): void {
    ops.forEach((o, i) => {
      try {
        this.one(o);
      } catch (error) {
        throw new Error(`operation ${i} (${o.op}): ${(error as Error).message}`);
      }
    });
  }

  private table(family: string, name: string): ModelTable {
    const t = this.tables.get(`${family} ${name}`);
    if (!t) throw new Error(`ENOENT table ${family} ${name}`);
    return t;
  }

  private chainUsers(t: ModelTable, chain: string): string[] {
    const users: string[] = [];
    for (const [name, rules] of t.chains)
      if (name !== chain && rules.some((r) => namesOf(r).chains.includes(chain))) users.push(`chain ${name}`);
    for (const [name, s] of t.sets)
      if ([...s.elements.values()].some((d) => chainOf(d) === chain)) users.push(`set ${name}`);
    return users;
  }

  private one(o: NftOp): void {
    switch (o.op) {
      case 'add-table': {
        const k = `${o.table.family} ${o.table.table}`;
        if (!this.tables.has(k)) this.tables.set(k, { sets: new Map(), chains: new Map() });
        return;
      }
      case 'delete-table':
        this.table(o.table.family, o.table.table);
        this.tables.delete(`${o.table.family} ${o.table.table}`);
        return;
      case 'add-chain': {
        const t = this.table(o.chain.family, o.chain.table);
        if (!t.chains.has(o.chain.name)) t.chains.set(o.chain.name, []);
        return;
      }
      case 'delete-chain': {
        const t = this.table(o.chain.family, o.chain.table);
        if (!t.chains.has(o.chain.name)) throw new Error(`ENOENT chain ${o.chain.name}`);
        const users = this.chainUsers(t, o.chain.name);
        if (users.length) throw new Error(`EBUSY chain ${o.chain.name}: named by ${users.join(', ')}`);
        t.chains.delete(o.chain.name);
        return;
      }
      case 'flush-chain': {
        const t = this.table(o.chain.family, o.chain.table);
        if (!t.chains.has(o.chain.name)) throw new Error(`ENOENT chain ${o.chain.name}`);
        t.chains.set(o.chain.name, []);
        return;
      }
      case 'add-rule': {
        const t = this.table(o.table.family, o.table.table);
        const rules = t.chains.get(o.chain);
        if (!rules) throw new Error(`ENOENT chain ${o.chain}`);
        const named = namesOf(o.exprs);
        for (const s of named.sets) if (!t.sets.has(s)) throw new Error(`ENOENT set ${s}`);
        for (const c of named.chains) if (!t.chains.has(c)) throw new Error(`ENOENT chain ${c}`);
        rules.push(o.exprs);
        return;
      }
      case 'add-set': {
        const t = this.table(o.table.family, o.table.table);
        if (!t.sets.has(o.name)) t.sets.set(o.name, { elements: new Map() });
        return;
      }
      case 'delete-set': {
        const t = this.table(o.table.family, o.table.table);
        if (!t.sets.has(o.name)) throw new Error(`ENOENT set ${o.name}`);
        for (const [name, rules] of t.chains)
          if (rules.some((r) => namesOf(r).sets.includes(o.name)))
            throw new Error(`EBUSY set ${o.name}: named by chain ${name}`);
        t.sets.delete(o.name);
        return;
      }
      case 'flush-set': {
        const s = this.table(o.table.family, o.table.table).sets.get(o.name);
        if (!s) throw new Error(`ENOENT set ${o.name}`);
        s.elements.clear();
        return;
      }
      case 'add-elements': {
        const t = this.table(o.table.family, o.table.table);
        const s = t.sets.get(o.set);
        if (!s) throw new Error(`ENOENT set ${o.set}`);
        for (const e of o.elements) {
          const k = hex(e.key);
          const d = dataText(e.data);
          const chain = chainOf(d);
          if (chain !== undefined && !t.chains.has(chain)) throw new Error(`ENOENT chain ${chain}`);
          const was = s.elements.get(k);
          if (was !== undefined && was !== d) throw new Error(`EEXIST element ${k} of ${o.set}`);
          s.elements.set(k, d);
        }
        return;
      }
      case 'delete-elements': {
        const s = this.table(o.table.family, o.table.table).sets.get(o.set);
        if (!s) throw new Error(`ENOENT set ${o.set}`);
        for (const e of o.elements) {
          if (!s.elements.delete(hex(e.key))) throw new Error(`ENOENT element ${hex(e.key)} of ${o.set}`);
        }
        return;
      }
    }
  }

  /** Differences between the services' objects here and what `state` says the kernel holds. */
  mismatches(state: PlaneState): string[] {
    const out: string[] = [];
    for (const r of state.services.values()) {
      const t = this.tables.get(`${r.table} keepalived_ts`);
      if (!t) {
        out.push(`${r.name}: no table ${r.table}`);
        continue;
      }
      for (const c of r.chains) {
        const rules = t.chains.get(c.name);
        if (!rules) out.push(`${r.name}: no chain ${c.name}`);
        else if (JSON.stringify(rules) !== JSON.stringify(c.rules)) out.push(`${r.name}: rules of ${c.name}`);
      }
      for (const s of r.sets) {
        const held = t.sets.get(s.name);
        if (!held) {
          out.push(`${r.name}: no set ${s.name}`);
          continue;
        }
        const want = new Map([...s.elements.values()].map((e) => [hex(e.key), dataText(e.data)]));
        if (JSON.stringify([...held.elements].sort()) !== JSON.stringify([...want].sort()))
          out.push(`${r.name}: elements of ${s.name}`);
      }
    }
    // Nothing of a service left behind: every chain and set belongs to the skeleton or a service.
    const owned = new Set<string>();
    for (const r of state.services.values()) {
      for (const c of r.chains) owned.add(`${r.table} ${c.name}`);
      for (const s of r.sets) owned.add(`${r.table} ${s.name}`);
    }
    const skeleton =
      /^(prerouting|output|ingress|services|addr[46]|fwmark[46]|raw_output|raw_prerouting|checked[46]|checks[46]|pinged[46])$/;
    for (const [key, t] of this.tables) {
      const family = key.split(' ')[0] as string;
      for (const name of [...t.chains.keys(), ...t.sets.keys()])
        if (!skeleton.test(name) && !owned.has(`${family} ${name}`))
          out.push(`left behind: ${family} ${name}`);
    }
    return out;
  }
}

/**
 * nft(8) (1.0.6 included) cannot print a rule that uses a value read from a map anywhere but in a nat
 * statement (a set lookup or dynset keyed by it aborts the listing; fwd from it is refused). Returns the
 * offending expressions of a rule.
 */
export function unprintable(rule: readonly NftExpr[]): string[] {
  const fromMap = new Set<number>();
  const problems: string[] = [];
  const reads = (e: NftExpr): number[] => {
    switch (e.kind) {
      case 'cmp':
      case 'bitwise':
      case 'lookup':
      case 'hash':
        return [e.sreg];
      case 'dynset':
        return e.dataReg === undefined ? [e.keyReg] : [e.keyReg, e.dataReg];
      case 'fwd':
        return e.addrReg === undefined ? [e.devReg] : [e.devReg, e.addrReg];
      default:
        return [];
    }
  };
  for (const e of rule) {
    const bad = reads(e).filter((r) => fromMap.has(r));
    if (bad.length) problems.push(`${e.kind} reads a map's value`);
    if (e.kind === 'lookup' && e.dreg !== undefined && e.dreg !== 0) fromMap.add(e.dreg);
    else if ('dreg' in e && typeof e.dreg === 'number') fromMap.delete(e.dreg);
  }
  return problems;
}
