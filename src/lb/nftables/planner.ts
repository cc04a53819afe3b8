// The pure planner: from what the kernel holds (the realisations of the services we programmed), a list
// of table changes and the next table, the nf_tables operations of ONE transaction that touch only what
// changed: a real server's removal is a few element deletions in its service's maps, plus, where the
// rules name servers or count them, that service chain's rules rewritten (flush and add, in the same
// transaction) and the server's own chain and sets deleted; never a rebuild of anything else.
//
// The first plan of a run replaces whatever a previous run left (`add table; delete table; add table` in
// the same transaction: atomic, and no error when there was nothing).

import type { LbChange, LbTable, Service, ServiceKey } from '../table/types.js';
import { NFT_DATA_VERDICT, type SetElement } from '../../net/netlink/nftables.js';
import {
  jumpToServices,
  type PlaneTable,
  SERVICES_CHAIN,
  serviceName,
  skeleton,
  tableRef,
} from './layout.js';
import {
  type CheckedElements,
  NO_CHECKED_ELEMENTS,
  notrackChains,
  notrackRules,
  notrackSets,
} from './notrack.js';
import type { NftOp } from './ops.js';
import {
  type PlaneEnvironment,
  type RealisedChain,
  type RealisedSet,
  realiseService,
  type ServiceRealisation,
} from './realise.js';

export interface PlaneState {
  /** Whether this run has already replaced the tables a previous run may have left. */
  started: boolean;
  /** Tables whose skeleton exists. */
  tables: ReadonlySet<PlaneTable>;
  /** What each programmed service looks like in the kernel, by service name. */
  services: ReadonlyMap<string, ServiceRealisation>;
  /** The check targets exempted from conntrack the inet table holds (notrack.ts). */
  checked: CheckedElements;
}

export const EMPTY_STATE: PlaneState = {
  started: false,
  tables: new Set(),
  services: new Map(),
  checked: NO_CHECKED_ELEMENTS,
};

export interface PlanOptions {
  /** Devices whose ingress the netdev table hooks (DR). */
  ingressDevices: readonly string[];
  /** The check targets to exempt from conntrack; unset: those the state holds. */
  checked?: CheckedElements;
}

export interface Plan {
  ops: NftOp[];
  /** The state once the transaction is committed. */
  state: PlaneState;
}

/** "add-destination 10.0.1.1:80 to tcp4_10.0.0.1_80", for error reports. */
export function describeChange(c: LbChange): string {
  switch (c.op) {
    case 'add-service':
    case 'edit-service':
      return `${c.op} ${serviceName(c.service.key)}`;
    case 'delete-service':
      return `delete-service ${serviceName(c.key)}`;
    default: {
      const d = c.destination;
      const at = d.family === 'inet6' ? `[${d.address}]:${d.port}` : `${d.address}:${d.port}`;
      return `${c.op} ${at} ${c.op === 'add-destination' ? 'to' : 'of'} ${serviceName(c.service)}`;
    }
  }
}

function changeKey(c: LbChange): ServiceKey {
  if (c.op === 'add-service' || c.op === 'edit-service') return c.service.key;
  if (c.op === 'delete-service') return c.key;
  return c.service;
}

function skeletonOps(table: PlaneTable, devices: readonly string[], cause: string): NftOp[] {
  const ref = tableRef(table);
  const s = skeleton(table, devices);
  const ops: NftOp[] = [];
  for (const set of s.sets) ops.push({ op: 'add-set', table: ref, name: set.name, shape: set.shape, cause });
  for (const chain of s.chains) ops.push({ op: 'add-chain', chain, cause });
  for (const chain of s.chains) {
    if (chain.hook)
      ops.push({ op: 'add-rule', table: ref, chain: chain.name, exprs: jumpToServices(), cause });
  }
  for (const exprs of s.dispatchRules)
    ops.push({ op: 'add-rule', table: ref, chain: SERVICES_CHAIN, exprs, cause });
  if (table === 'inet') {
    // The checker's own connections out of conntrack (notrack.ts).
    for (const set of notrackSets())
      ops.push({ op: 'add-set', table: ref, name: set.name, shape: set.shape, cause });
    for (const chain of notrackChains(ref)) ops.push({ op: 'add-chain', chain, cause });
    for (const r of notrackRules())
      ops.push({ op: 'add-rule', table: ref, chain: r.chain, exprs: r.exprs, cause });
  }
  return ops;
}

/** Element changes of the `checked` sets from `held` to `wanted`. */
function checkedOps(held: CheckedElements, wanted: CheckedElements, cause: string): NftOp[] {
  const ref = tableRef('inet');
  const ops: NftOp[] = [];
  for (const name of new Set([...held.keys(), ...wanted.keys()])) {
    const before = held.get(name) ?? new Map<string, SetElement>();
    const after = wanted.get(name) ?? new Map<string, SetElement>();
    const gone = [...before].filter(([k]) => !after.has(k)).map(([, e]) => e);
    const added = [...after].filter(([k]) => !before.has(k)).map(([, e]) => e);
    if (gone.length) ops.push({ op: 'delete-elements', table: ref, set: name, elements: gone, cause });
    if (added.length) ops.push({ op: 'add-elements', table: ref, set: name, elements: added, cause });
  }
  return ops;
}

/**
 * The check targets exempted from conntrack changed: their element changes, when the inet table exists
 * (else the next plan that creates it adds them).
 */
export function planChecked(state: PlaneState, wanted: CheckedElements): Plan {
  if (!state.started || !state.tables.has('inet'))
    return { ops: [], state: state.started ? { ...state, checked: NO_CHECKED_ELEMENTS } : state };
  return {
    ops: checkedOps(state.checked, wanted, "the checkers' targets changed"),
    state: { ...state, checked: wanted },
  };
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function sameData(a: SetElement['data'], b: SetElement['data']): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  return sameJson(a, b);
}

function isVerdictMap(set: RealisedSet): boolean {
  return set.shape.dataType === NFT_DATA_VERDICT;
}

/** The sets and chains a chain's rules name (lookups, dynsets, jumps and gotos). */
function namedBy(chain: RealisedChain): Set<string> {
  const names = new Set<string>();
  for (const rule of chain.rules) {
    for (const e of rule) {
      if (e.kind === 'lookup' || e.kind === 'dynset') names.add(e.set);
      else if (e.kind === 'verdict' && (e.verdict.code === 'jump' || e.verdict.code === 'goto'))
        names.add(e.verdict.chain);
    }
  }
  return names;
}

// Objects are created before what names them and deleted after: sets, then chains, then rules, then
// elements (a verdict map's elements name chains); the dispatch element last.
function addServiceOps(r: ServiceRealisation, cause: string): NftOp[] {
  const ref = tableRef(r.table);
  const ops: NftOp[] = r.sets.map((s) => ({
    op: 'add-set',
    table: ref,
    name: s.name,
    shape: s.shape,
    cause,
  }));
  for (const c of r.chains) ops.push({ op: 'add-chain', chain: { ...ref, name: c.name }, cause });
  for (const c of r.chains)
    for (const exprs of c.rules) ops.push({ op: 'add-rule', table: ref, chain: c.name, exprs, cause });
  for (const s of r.sets) {
    if (s.elements.size)
      ops.push({ op: 'add-elements', table: ref, set: s.name, elements: [...s.elements.values()], cause });
  }
  ops.push({
    op: 'add-elements',
    table: ref,
    set: r.dispatch.map,
    elements: [{ key: r.dispatch.key, data: { code: 'goto', chain: r.name } }],
    cause,
  });
  return ops;
}

function removeServiceOps(r: ServiceRealisation, cause: string): NftOp[] {
  const ref = tableRef(r.table);
  const ops: NftOp[] = [
    { op: 'delete-elements', table: ref, set: r.dispatch.map, elements: [{ key: r.dispatch.key }], cause },
  ];
  // A verdict map's elements hold the chains they name until the elements go.
  for (const s of r.sets)
    if (isVerdictMap(s) && s.elements.size) ops.push({ op: 'flush-set', table: ref, name: s.name, cause });
  // Deleting a chain deletes its rules, which releases the sets and chains they name; the service chain
  // (which names the others) goes first.
  for (const c of r.chains) ops.push({ op: 'delete-chain', chain: { ...ref, name: c.name }, cause });
  for (const s of r.sets) ops.push({ op: 'delete-set', table: ref, name: s.name, cause });
  return ops;
}

function changeServiceOps(old: ServiceRealisation, next: ServiceRealisation, cause: string): NftOp[] {
  if (old.table !== next.table) return [...removeServiceOps(old, cause), ...addServiceOps(next, cause)];
  const ref = tableRef(next.table);
  const oldSets = new Map(old.sets.map((s) => [s.name, s]));
  const nextSets = new Map(next.sets.map((s) => [s.name, s]));
  const removedSets = old.sets.filter((s) => !nextSets.has(s.name));
  const addedSets = next.sets.filter((s) => !oldSets.has(s.name));
  const reshaped = next.sets.filter((s) => {
    const o = oldSets.get(s.name);
    return o !== undefined && !sameJson(o.shape, s.shape);
  });
  const keptSets = next.sets.filter((s) => {
    const o = oldSets.get(s.name);
    return o !== undefined && sameJson(o.shape, s.shape);
  });
  // Sets that go away (or come back with another shape): the rules naming them go first.
  const goneSets = new Set([...removedSets, ...reshaped].map((s) => s.name));

  const oldChains = new Map(old.chains.map((c) => [c.name, c]));
  const nextChains = new Map(next.chains.map((c) => [c.name, c]));
  const removedChains = old.chains.filter((c) => !nextChains.has(c.name));
  const addedChains = next.chains.filter((c) => !oldChains.has(c.name));
  const rewritten = next.chains.filter((c) => {
    const o = oldChains.get(c.name);
    return o !== undefined && (!sameJson(o.rules, c.rules) || [...namedBy(o)].some((n) => goneSets.has(n)));
  });

  const ops: NftOp[] = [];
  for (const c of rewritten) ops.push({ op: 'flush-chain', chain: { ...ref, name: c.name }, cause });
  const fresh = new Map<string, SetElement[]>();
  for (const s of keptSets) {
    const before = (oldSets.get(s.name) as RealisedSet).elements;
    const gone: SetElement[] = [];
    const added: SetElement[] = [];
    for (const [k, e] of before) {
      const now = s.elements.get(k);
      if (!now || !sameData(e.data, now.data)) gone.push({ key: e.key });
    }
    for (const [k, e] of s.elements) {
      const was = before.get(k);
      if (!was || !sameData(was.data, e.data)) added.push(e);
    }
    // A changed value is a deletion then an addition: the kernel refuses to overwrite a map value.
    if (gone.length) ops.push({ op: 'delete-elements', table: ref, set: s.name, elements: gone, cause });
    if (added.length) fresh.set(s.name, added);
  }
  for (const s of [...removedSets, ...reshaped]) {
    const o = oldSets.get(s.name) as RealisedSet;
    if (isVerdictMap(o) && o.elements.size) ops.push({ op: 'flush-set', table: ref, name: s.name, cause });
  }
  for (const c of removedChains) ops.push({ op: 'delete-chain', chain: { ...ref, name: c.name }, cause });
  for (const s of [...removedSets, ...reshaped])
    ops.push({ op: 'delete-set', table: ref, name: s.name, cause });
  for (const s of [...reshaped, ...addedSets])
    ops.push({ op: 'add-set', table: ref, name: s.name, shape: s.shape, cause });
  for (const c of addedChains) ops.push({ op: 'add-chain', chain: { ...ref, name: c.name }, cause });
  const withRules = new Set([...addedChains, ...rewritten]);
  for (const c of next.chains) {
    if (!withRules.has(c)) continue;
    for (const exprs of c.rules) ops.push({ op: 'add-rule', table: ref, chain: c.name, exprs, cause });
  }
  for (const s of [...reshaped, ...addedSets]) {
    if (s.elements.size)
      ops.push({ op: 'add-elements', table: ref, set: s.name, elements: [...s.elements.values()], cause });
  }
  for (const [set, elements] of fresh) ops.push({ op: 'add-elements', table: ref, set, elements, cause });
  return ops;
}

/**
 * The operations from `state` (what the kernel holds) to `next`, for the services `changes` name (all of
 * `next` on the first plan of a run). Throws NftablesUnsupportedError for a service the plane refuses,
 * before anything is sent.
 */
export function planApply(
  state: PlaneState,
  changes: readonly LbChange[],
  next: LbTable,
  env: PlaneEnvironment,
  options: PlanOptions,
): Plan {
  const byName = new Map<string, Service>(next.services.map((s) => [serviceName(s.key), s]));
  const causes = new Map<string, string[]>();
  const note = (name: string, cause: string): void => {
    const list = causes.get(name) ?? [];
    list.push(cause);
    causes.set(name, list);
  };
  for (const c of changes) note(serviceName(changeKey(c)), describeChange(c));
  if (!state.started) for (const name of byName.keys()) if (!causes.has(name)) note(name, `load ${name}`);

  // Realise first: a refused service stops the plan before any operation exists.
  const realised = new Map<string, ServiceRealisation | undefined>();
  for (const name of causes.keys()) {
    const service = byName.get(name);
    const previous = state.started ? state.services.get(name) : undefined;
    realised.set(name, service ? realiseService(service, env, previous) : undefined);
  }

  const ops: NftOp[] = [];
  const tables = new Set(state.tables);
  if (!state.started) {
    const cause = 'replace the tables of a previous run';
    for (const table of ['inet', 'netdev'] as const) {
      ops.push(
        { op: 'add-table', table: tableRef(table), cause },
        { op: 'delete-table', table: tableRef(table), cause },
      );
    }
    tables.clear();
  }
  const needed = new Set<PlaneTable>(['inet']);
  for (const r of realised.values()) if (r) needed.add(r.table);
  for (const table of ['inet', 'netdev'] as const) {
    if (!needed.has(table) || tables.has(table)) continue;
    if (table === 'netdev' && options.ingressDevices.length === 0) {
      throw new Error('DR needs the devices whose ingress the nftables plane hooks, and none is known');
    }
    const cause = `create table ${table} ${tableRef(table).table}`;
    ops.push(
      { op: 'add-table', table: tableRef(table), cause },
      ...skeletonOps(table, options.ingressDevices, cause),
    );
    tables.add(table);
  }

  // A fresh inet table holds no check target yet.
  const heldChecked = state.started && state.tables.has('inet') ? state.checked : NO_CHECKED_ELEMENTS;
  const checked = options.checked ?? state.checked;
  ops.push(...checkedOps(heldChecked, checked, "exempt the checkers' connections from conntrack"));

  const services = new Map(state.services);
  for (const [name, next] of realised) {
    const cause = (causes.get(name) as string[]).join('; ');
    const old = state.started ? state.services.get(name) : undefined;
    if (old && next) ops.push(...changeServiceOps(old, next, cause));
    else if (old) ops.push(...removeServiceOps(old, cause));
    else if (next) ops.push(...addServiceOps(next, cause));
    if (next) services.set(name, next);
    else services.delete(name);
  }
  return { ops, state: { started: true, tables, services, checked } };
}

/** Operations that remove everything (flush, clean stop): our tables, nothing else. */
export function planRemoveAll(): Plan {
  const ops: NftOp[] = [];
  for (const table of ['inet', 'netdev'] as const) {
    // add-then-delete: no error whether or not the table exists.
    const cause = `remove table ${table} ${tableRef(table).table}`;
    ops.push(
      { op: 'add-table', table: tableRef(table), cause },
      { op: 'delete-table', table: tableRef(table), cause },
    );
  }
  return {
    ops,
    state: { started: true, tables: new Set(), services: new Map(), checked: NO_CHECKED_ELEMENTS },
  };
}
