// Judges a fixture against what keepalived did: every expectation of the fixture (actions, includes, state,
// priority, group, counters, deadline) becomes one or more checks with a verdict:
//   agree           keepalived did what the fixture says, within the stated tolerance
//   differ          it did something else (the check says what)
//   not-observable  keepalived does not show it (an internal deadline that a later event supersedes, a field
//                   no log line carries, a counter only SNMP exposes)
//   not-reproducible the fixture drives an event keepalived cannot receive in this lab (a script result with
//                   no script run to carry it, an IPv6 packet the kernel drops before keepalived)
//   inconclusive    it comes after an event that could not be reproduced (agreement would be by chance)
// Times: keepalived's observations are put on the fixture's clock piecewise: an observation at wall time w
// is at t_e + (w - wall_e), e being the last driven event at or before w (the start is anchored at the
// log line keepalived prints right after arming its timers). The engine's own timeline (the replay of the
// fixture) says when each expected action happens; keepalived's must be within the channel's tolerance.
import type { Action } from '../../src/vrrp/engine/engine.js';
import type { EngineSpec, VrrpState } from '../../src/vrrp/engine/spec.js';
import { subset, type Json, type Replay, type ReplayedExpect, type TimedAction } from './vrrp-fixture.js';
import type { Channel, Observation, PriorityChange, TimedLine } from './oracle-observe.js';
import type { JsonSnapshot, KernelSnapshot } from './oracle-lab.js';

export type Verdict = 'agree' | 'differ' | 'not-observable' | 'not-reproducible' | 'inconclusive';

/**
 * Tolerances, ms, by channel (how late or early keepalived's action may be seen, against the engine's time).
 * The machine is a busy 2-core box: keepalived and the oracle's drivers run real-time, the log and FIFO
 * lines cross a pipe, and a script wrapper is a /bin/sh that keepalived forks and execs (tens of ms under load
 * when it ran at normal priority). Seen in the 29 runs: within 3 ms on every channel.
 */
export const TOLERANCE_MS: Record<Channel, number> = { wire: 20, log: 30, fifo: 30, script: 100 };

export interface Check {
  what: string;
  expected: unknown;
  observed: unknown;
  verdict: Verdict;
  note?: string;
}

export interface ExpectVerdict {
  record: number;
  t: number;
  checks: Check[];
}

/** A fixture event as it was driven: its fixture time and when it happened (undefined: not reproduced). */
export interface DrivenEvent {
  t: number;
  what: string;
  plannedWall: number;
  actualWall?: number;
  /** How `actualWall` was measured. */
  how: string;
  note?: string;
}

export interface CompareInput {
  replay: Replay;
  spec: EngineSpec;
  events: DrivenEvent[];
  observations: Observation[];
  priorities: PriorityChange[];
  log: TimedLine[];
  json: Map<number, JsonSnapshot | undefined>;
  kernel: Map<number, KernelSnapshot | undefined>;
  /** Last fixture time compared. */
  horizon: number;
  /** Fields of the fixture's records keepalived is given differently (from the config), by action type. */
  substitutions: string[];
  /** Whether keepalived's interface is down at a fixture time (nothing it sends reaches the wire). */
  linkDown: (ifname: string, t: number) => boolean;
}

export interface CompareResult {
  expectations: ExpectVerdict[];
  /** Every keepalived observation on the fixture's clock, for the evidence. */
  timeline: { t: number; channel: Channel; seen: string; matched: boolean }[];
}

// ---------------------------------------------------------------------------------------------------
// Clock

/** wall -> fixture time, piecewise on the reproduced events. */
export function fixtureClock(events: DrivenEvent[]): (wall: number) => number {
  const anchors = events
    .filter((e): e is DrivenEvent & { actualWall: number } => e.actualWall !== undefined)
    .sort((a, b) => a.actualWall - b.actualWall);
  return (wall) => {
    let ref = anchors[0];
    for (const a of anchors) if (a.actualWall <= wall) ref = a;
    if (!ref) return NaN;
    return ref.t + (wall - ref.actualWall);
  };
}

// ---------------------------------------------------------------------------------------------------
// Matching engine actions with keepalived observations

interface Item {
  t: number;
  key: string;
  channel: Channel;
  action: Partial<Action> & { type: Action['type'] };
  /** engine items: the timed action they come from; keepalived items: the observation */
  source: TimedAction | Observation;
  match?: Item;
}

const KERNEL_ONLY = new Set(['add-routes', 'remove-routes', 'add-rules', 'remove-rules']);

function channelOf(a: Partial<Action> & { type: Action['type'] }): Channel | undefined {
  switch (a.type) {
    case 'send-advert':
    case 'send-garp':
      return 'wire';
    case 'add-addresses':
    case 'remove-addresses':
      return 'log';
    case 'state-change':
      return (a as { to?: string }).to === 'STOP' ? 'fifo' : 'log';
    case 'notify':
      return 'fifo';
    case 'run-script':
      return 'script';
    default:
      return undefined;
  }
}

function keyOf(a: Partial<Action> & { type: Action['type'] }): string {
  const r = a as Record<string, unknown>;
  const who = String(r.instance ?? r.name ?? '');
  if (a.type === 'send-garp') return `${a.type}:${who}:${String((r.addresses as string[] | undefined)?.[0])}`;
  // a state change is paired by the state it enters: keepalived does not log every state it passes
  if (a.type === 'state-change') return `${a.type}:${who}:${String(r.to)}`;
  return `${a.type}:${who}`;
}

/** Engine actions as items (a send-garp for n addresses is n items: keepalived sends one frame each). */
function engineItems(timeline: TimedAction[], horizon: number, tol: (c: Channel) => number): Item[] {
  const items: Item[] = [];
  for (const ta of timeline) {
    const channel = channelOf(ta.action);
    if (!channel || ta.at > horizon + tol(channel)) continue;
    if (ta.action.type === 'send-garp') {
      for (const address of ta.action.addresses) {
        const action = { ...ta.action, addresses: [address] };
        items.push({ t: ta.at, key: keyOf(action), channel, action, source: ta });
      }
    } else items.push({ t: ta.at, key: keyOf(ta.action), channel, action: ta.action, source: ta });
  }
  return items;
}

/** Pairs items of the same key in time order when they are within the channel's tolerance. */
function match(engine: Item[], keepalived: Item[], tol: (c: Channel) => number): void {
  const keys = new Set([...engine, ...keepalived].map((i) => i.key));
  for (const key of keys) {
    const a = engine.filter((i) => i.key === key).sort((x, y) => x.t - y.t);
    const b = keepalived.filter((i) => i.key === key).sort((x, y) => x.t - y.t);
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const ea = a[i] as Item;
      const kb = b[j] as Item;
      const d = kb.t - ea.t;
      if (Math.abs(d) <= Math.max(tol(ea.channel), tol(kb.channel))) {
        ea.match = kb;
        kb.match = ea;
        i++;
        j++;
      } else if (d < 0) j++;
      else i++;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Fields keepalived cannot show

/** The part of an expected action keepalived's observation can show, and what was left out. */
function observablePart(expected: Json): { part: Json; hidden: string[] } {
  const part: Json = { ...expected };
  const hidden: string[] = [];
  const drop = (k: string, why: string): void => {
    if (part[k] !== undefined) {
      delete part[k];
      hidden.push(`${k} (${why})`);
    }
  };
  switch (expected.type) {
    case 'state-change':
      drop('reason', 'keepalived logs no reason with the state');
      break;
    case 'run-script':
      drop('timeoutMs', 'the wrapper cannot see its timeout');
      break;
    case 'add-addresses':
    case 'remove-addresses':
      drop('ifname', 'checked in the kernel state instead');
      drop('addresses', 'checked in the kernel state instead');
      break;
    case 'notify':
      if (Array.isArray(part.scripts)) part.scripts = scriptCommands(part.scripts);
      break;
  }
  return { part, hidden };
}

/** A notify action's scripts as their sorted command lines (recordings hold strings, the engine
 * NotifyCommands, and who runs a script is not what these comparisons look at). */
function scriptCommands(scripts: unknown[]): string[] {
  return scripts
    .map((s) => (typeof s === 'string' ? s : String((s as { command?: unknown }).command)))
    .sort();
}

function sortScripts(action: Json): Json {
  return Array.isArray(action.scripts) ? { ...action, scripts: scriptCommands(action.scripts) } : action;
}

// ---------------------------------------------------------------------------------------------------
// Judging

export function compare(input: CompareInput): CompareResult {
  const { replay, events, horizon } = input;
  const tol = (c: Channel): number => TOLERANCE_MS[c];
  const clock = fixtureClock(events);
  const kItems: Item[] = input.observations
    .map((o) => ({ t: clock(o.at), key: keyOf(o.action), channel: o.channel, action: o.action, source: o }))
    .filter((i) => i.t <= horizon + tol(i.channel));
  const eItems = engineItems(replay.timeline, horizon, tol);
  match(eItems, kItems, tol);
  const byEngineAction = new Map<TimedAction, Item[]>();
  for (const item of eItems) {
    const list = byEngineAction.get(item.source as TimedAction) ?? [];
    list.push(item);
    byEngineAction.set(item.source as TimedAction, list);
  }
  const notReproducedAt = Math.min(
    ...events.filter((e) => e.actualWall === undefined).map((e) => e.t),
    Infinity,
  );
  const eventTimes = replay.expects.length ? fixtureEventTimes(input) : [];

  const expectations = replay.expects.map((e, n): ExpectVerdict => {
    const previous = n > 0 ? (replay.expects[n - 1] as ReplayedExpect).t : -Infinity;
    const checks: Check[] = [];
    const ctx: Ctx = { input, e, previous, kItems, byEngineAction, tol, clock, eventTimes, checks };
    if (e.expect.actions !== undefined) checkActions(ctx);
    for (const wanted of (e.expect.includes as Json[] | undefined) ?? []) checkIncludes(ctx, wanted);
    for (const [name, state] of Object.entries((e.expect.state as Json | undefined) ?? {}))
      checkState(ctx, name, state as VrrpState);
    for (const [name, prio] of Object.entries((e.expect.priority as Json | undefined) ?? {}))
      checkPriority(ctx, name, prio as number);
    for (const [name, state] of Object.entries((e.expect.group as Json | undefined) ?? {}))
      checkGroup(ctx, name, state as string);
    for (const [name, counters] of Object.entries((e.expect.counters as Json | undefined) ?? {}))
      checkCounters(ctx, name, counters as Record<string, number>);
    if (e.expect.deadline !== undefined) checkDeadline(ctx, e.expect.deadline as number | null);
    // after an event keepalived could not be given, agreement and difference alike may be by chance
    for (const c of checks)
      if ((c.verdict === 'differ' || c.verdict === 'agree') && e.t >= notReproducedAt) {
        c.note = `${c.note ? `${c.note}; ` : ''}would be ${c.verdict}, but comes after an event at t=${notReproducedAt} that could not be reproduced`;
        c.verdict = 'inconclusive';
      }
    return { record: e.record.index, t: e.t, checks };
  });
  const timeline = kItems
    .sort((a, b) => a.t - b.t)
    .map((i) => ({
      t: round(i.t),
      channel: i.channel,
      seen: (i.source as Observation).seen,
      matched: !!i.match,
    }));
  return { expectations, timeline };
}

interface Ctx {
  input: CompareInput;
  e: ReplayedExpect;
  previous: number;
  kItems: Item[];
  byEngineAction: Map<TimedAction, Item[]>;
  tol: (c: Channel) => number;
  clock: (wall: number) => number;
  eventTimes: number[];
  checks: Check[];
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function describeItem(i: Item): string {
  return `${(i.source as Observation).seen} at t=${round(i.t)}`;
}

/** Fixture times of the events that were driven (reproduced or not). */
function fixtureEventTimes(input: CompareInput): number[] {
  return input.events.map((e) => e.t).sort((a, b) => a - b);
}

function kernelCheck(ctx: Ctx, expected: Json): Check {
  const snap = ctx.input.kernel.get(ctx.e.record.index);
  const what = `${String(expected.type)} (kernel state after t=${ctx.e.t})`;
  if (!snap) return { what, expected, observed: 'no kernel snapshot', verdict: 'not-observable' };
  const type = String(expected.type);
  const adding = type.startsWith('add-');
  let present: boolean[] = [];
  let shown: string[] = [];
  if (type.endsWith('-addresses')) {
    const wanted = ((expected.addresses as Json[] | undefined) ?? []).map((a) => String(a.address));
    if (!wanted.length)
      return { what, expected, observed: snap.addresses, verdict: 'agree', note: 'no address named' };
    present = wanted.map((w) => snap.addresses.some((l) => l.split(' ')[1]?.split('/')[0] === w));
    shown = snap.addresses;
  } else if (type.endsWith('-routes')) {
    const wanted = ((expected.routes as Json[] | undefined) ?? []).map((r) => String(r.to));
    present = wanted.length
      ? wanted.map((w) => snap.routes.some((l) => l.startsWith(`${w} `)))
      : [snap.routes.some((l) => / via /.test(l))];
    shown = snap.routes;
  } else {
    const tables = ((expected.rules as Json[] | undefined) ?? []).map((r) => String(r.table));
    present = tables.length
      ? tables.map((tb) => snap.rules.some((l) => l.endsWith(` table ${tb}`)))
      : [snap.rules.some((l) => !/table (local|main|default)$/.test(l))];
    shown = snap.rules;
  }
  const ok = present.every((p) => p === adding);
  return {
    what,
    expected,
    observed: shown,
    verdict: ok ? 'agree' : 'differ',
    note: 'kernel state, no timing',
  };
}

function checkActions(ctx: Ctx): void {
  const { e, previous } = ctx;
  const expected = e.expect.actions as Json[];
  const orderByChannel = new Map<Channel, { index: number; at: number }[]>();
  expected.forEach((x, i) => {
    const engine = e.visible[i] as TimedAction;
    const what = `actions[${i}] ${String(x.type)} (engine t=${engine.at})`;
    if (KERNEL_ONLY.has(String(x.type))) {
      ctx.checks.push({ ...kernelCheck(ctx, x), what: `${what}: kernel state after t=${e.t}` });
      return;
    }
    const items = ctx.byEngineAction.get(engine) ?? [];
    if (!items.length) {
      ctx.checks.push({
        what,
        expected: x,
        observed: null,
        verdict: 'not-observable',
        note: 'no channel shows it',
      });
      return;
    }
    const missing = items.filter((it) => !it.match);
    const ifname = (engine.action as { ifname?: string }).ifname;
    if (missing.length && items[0]?.channel === 'wire' && ifname && ctx.input.linkDown(ifname, engine.at)) {
      ctx.checks.push({
        what,
        expected: x,
        observed: null,
        verdict: 'not-observable',
        note: `${ifname} is down: nothing reaches the wire, and keepalived logs no failed priority-0 send on a down link`,
      });
      return;
    }
    if (missing.length) {
      ctx.checks.push({
        what,
        expected: x,
        observed: null,
        verdict: 'differ',
        note: `keepalived showed no such action within ±${ctx.tol(items[0]?.channel ?? 'log')} ms`,
      });
      return;
    }
    const seen = items.map((it) => it.match as Item);
    const { part, hidden } = observablePart(x);
    // a send-garp for several addresses is seen as one frame each: compare with the frames together
    const observed: Json =
      x.type === 'send-garp'
        ? {
            ...(seen[0]?.action as Json),
            addresses: seen.map((s) => (s.action as { addresses: string[] }).addresses[0]),
          }
        : sortScripts(seen[0]?.action as Json);
    const ok = subset(part, observed);
    const offsets = seen.map((s, k) => round(s.t - (items[k] as Item).t));
    const notes = [
      `seen ${offsets.map((o) => (o >= 0 ? `+${o}` : `${o}`)).join(', ')} ms from the engine's time`,
      `as: ${(seen[0]?.source as Observation).seen}`,
    ];
    if (hidden.length) notes.push(`not observable: ${hidden.join(', ')}`);
    const check: Check = {
      what,
      expected: x,
      observed,
      verdict: ok ? 'agree' : 'differ',
      note: notes.join('; '),
    };
    ctx.checks.push(check);
    if (hidden.some((h) => h.startsWith('addresses')) && ok) {
      const k = kernelCheck(ctx, x);
      ctx.checks.push({ ...k, what: `${what}: addresses in the kernel after t=${e.t}` });
    }
    const channel = items[0]?.channel as Channel;
    const list = orderByChannel.get(channel) ?? [];
    list.push({ index: i, at: Math.min(...seen.map((s) => (s.source as Observation).at)) });
    orderByChannel.set(channel, list);
  });
  // the order the fixture gives, as far as one channel shows it
  for (const [channel, all] of orderByChannel) {
    // two vrrp_scripts due at one engine instant are independent timers: keepalived's order is their drift
    const list = channel === 'script' ? [] : all;
    if (channel === 'script' && all.length > 1)
      ctx.checks.push({
        what: `order of actions ${all.map((x) => x.index).join(', ')} (vrrp_script runs)`,
        expected: all.map((x) => x.index),
        observed: [...all].sort((a, b) => a.at - b.at).map((x) => x.index),
        verdict: 'not-observable',
        note: "runs of different scripts due at one instant are independent timers; keepalived's order follows their sub-millisecond drift",
      });
    if (list.length < 2) continue;
    const inOrder = list.every((x, k) => k === 0 || x.at >= (list[k - 1] as { at: number }).at);
    ctx.checks.push({
      what: `order of actions ${list.map((x) => x.index).join(', ')} on the ${channel} channel`,
      expected: list.map((x) => x.index),
      observed: [...list].sort((a, b) => a.at - b.at).map((x) => x.index),
      verdict: inOrder ? 'agree' : 'differ',
      note: 'order across different channels is not observable',
    });
  }
  // anything else keepalived did in the window: what matched no engine action at all
  const extra = ctx.kItems.filter((k) => !k.match && k.t > previous && k.t <= e.t);
  for (const k of extra)
    ctx.checks.push({
      what: `no other action in (${previous === -Infinity ? 'start' : previous}, ${e.t}]`,
      expected: null,
      observed: describeItem(k),
      verdict: 'differ',
      note: 'keepalived did this too; the fixture lists every action of the window',
    });
}

function checkIncludes(ctx: Ctx, wanted: Json): void {
  const { e, previous } = ctx;
  const what = `includes ${String(wanted.type)}`;
  if (KERNEL_ONLY.has(String(wanted.type))) {
    ctx.checks.push({ ...kernelCheck(ctx, wanted), what: `${what}: kernel state after t=${e.t}` });
    return;
  }
  const channel = channelOf(wanted as Partial<Action> & { type: Action['type'] });
  if (!channel) {
    ctx.checks.push({ what, expected: wanted, observed: null, verdict: 'not-observable' });
    return;
  }
  const { part, hidden } = observablePart(wanted);
  const tol = ctx.tol(channel);
  const candidates = ctx.kItems.filter(
    (k) => k.t > previous - tol && k.t <= e.t + tol && k.action.type === wanted.type,
  );
  const hit = candidates.find((k) => subset(part, sortScripts(k.action as Json)));
  ctx.checks.push({
    what,
    expected: wanted,
    observed: hit ? describeItem(hit) : candidates.map(describeItem),
    verdict: hit ? 'agree' : 'differ',
    ...(hidden.length ? { note: `not observable: ${hidden.join(', ')}` } : {}),
  });
}

/** keepalived's state of `name` over the fixture's clock, from its state changes (log, and STOP in the FIFO). */
function stateAt(ctx: Ctx, name: string, t: number): { state: string; changes: Item[] } {
  const changes = ctx.kItems
    .filter((k) => k.action.type === 'state-change' && (k.action as { instance?: string }).instance === name)
    .sort((a, b) => a.t - b.t);
  let state = 'INIT';
  for (const c of changes) if (c.t <= t) state = String((c.action as { to: string }).to);
  return { state, changes };
}

function checkState(ctx: Ctx, name: string, expected: VrrpState): void {
  const { state, changes } = stateAt(ctx, name, ctx.e.t);
  const what = `state of ${name} at t=${ctx.e.t}`;
  if (state === expected) {
    ctx.checks.push({ what, expected, observed: state, verdict: 'agree' });
    return;
  }
  // at a boundary: keepalived's change into (or out of) the expected state is within tolerance of t
  const near = changes.find(
    (c) =>
      Math.abs(c.t - ctx.e.t) <= ctx.tol(c.channel) &&
      [String((c.action as { to: string }).to), String((c.action as { from: string }).from)].includes(
        expected,
      ),
  );
  ctx.checks.push({
    what,
    expected,
    observed: state,
    verdict: near ? 'agree' : 'differ',
    ...(near
      ? { note: `keepalived's change ${describeItem(near)} is within ±${ctx.tol(near.channel)} ms of t` }
      : {}),
  });
}

/** The keepalived.json snapshot of this expectation, if it was taken after t and before the next event. */
function validSnapshot(ctx: Ctx): { snap?: JsonSnapshot; why?: string } {
  const snap = ctx.input.json.get(ctx.e.record.index);
  if (!snap) return { why: 'no keepalived.json snapshot' };
  const at = ctx.clock(snap.dumpedAt);
  const next = ctx.eventTimes.find((t) => t > ctx.e.t);
  if (next !== undefined && at >= next)
    return { why: `keepalived.json was written at t=${round(at)}, after the next event at t=${next}` };
  return { snap };
}

function checkPriority(ctx: Ctx, name: string, expected: number): void {
  const changes = ctx.input.priorities
    .filter((p) => p.instance === name)
    .map((p) => ({ ...p, t: ctx.clock(p.at) }))
    .sort((a, b) => a.t - b.t);
  // before its first change (logged at start-up when a tracker moves it at once) it is the configured one
  let value = changes[0]?.from ?? ctx.input.spec.instances.find((i) => i.name === name)?.priority;
  for (const c of changes) if (c.t <= ctx.e.t) value = c.to;
  const what = `effective priority of ${name} at t=${ctx.e.t}`;
  const { snap, why } = validSnapshot(ctx);
  const fromJson = snap?.instances.find((i) => i.data.iname === name)?.data.effective_priority;
  if (typeof fromJson === 'number') {
    // keepalived.json is the witness: a reload or a recovery from FAULT changes it without a log line
    ctx.checks.push({
      what,
      expected,
      observed: fromJson,
      verdict: fromJson === expected ? 'agree' : 'differ',
      note: `keepalived.json written at t=${round(ctx.clock((snap as JsonSnapshot).dumpedAt))}; its log says ${String(value)}`,
    });
    return;
  }
  const near = changes.find(
    (c) => Math.abs(c.t - ctx.e.t) <= ctx.tol('log') && (c.to === expected || c.from === expected),
  );
  const agree = value === expected || !!near;
  const notes: string[] = [`from keepalived's "Changing effective priority" log lines (${why ?? 'no JSON'})`];
  if (near && value !== expected) notes.push(`change at t=${round(near.t)} is within tolerance`);
  ctx.checks.push({
    what,
    expected,
    observed: value,
    verdict: agree ? 'agree' : 'differ',
    note: notes.join('; '),
  });
}

function checkGroup(ctx: Ctx, name: string, expected: string): void {
  const changes = ctx.kItems
    .filter(
      (k) =>
        k.action.type === 'notify' &&
        (k.action as { kind?: string }).kind === 'GROUP' &&
        (k.action as { name?: string }).name === name,
    )
    .sort((a, b) => a.t - b.t);
  let state = 'INIT';
  for (const c of changes) if (c.t <= ctx.e.t) state = String((c.action as { state: string }).state);
  const near = changes.find(
    (c) => Math.abs(c.t - ctx.e.t) <= ctx.tol('fifo') && (c.action as { state: string }).state === expected,
  );
  ctx.checks.push({
    what: `sync group ${name} at t=${ctx.e.t}`,
    expected,
    observed: state,
    verdict: state === expected || near ? 'agree' : 'differ',
    note: "from keepalived's notify_fifo GROUP lines",
  });
}

const LOG_COUNTERS: Record<string, RegExp> = {
  vers_err: /wrong version/,
  chk_err: /Invalid VRRPv[23] checksum/,
};

function checkCounters(ctx: Ctx, name: string, expected: Record<string, number>): void {
  const { snap, why } = validSnapshot(ctx);
  const stats = snap?.instances.find((i) => i.data.iname === name)?.stats;
  const inst = ctx.input.spec.instances.find((i) => i.name === name);
  for (const [key, value] of Object.entries(expected)) {
    const what = `counter ${name}.${key} at t=${ctx.e.t}`;
    if (LOG_COUNTERS[key]) {
      const re = LOG_COUNTERS[key] as RegExp;
      const count = ctx.input.log.filter(
        (l) => l.text.includes(`(${name})`) && re.test(l.text) && ctx.clock(l.at) <= ctx.e.t + ctx.tol('log'),
      ).length;
      const v6checksum = key === 'chk_err' && inst?.family === 6;
      ctx.checks.push({
        what,
        expected: value,
        observed: count,
        verdict: count === value ? 'agree' : v6checksum ? 'not-reproducible' : 'differ',
        note:
          `keepalived 2.2.7 exposes ${key} only through SNMP: counted from its log lines` +
          (v6checksum
            ? '; over IPv6 the kernel checks the VRRP checksum (IPV6_CHECKSUM) and drops a bad one before keepalived sees it'
            : ''),
      });
      continue;
    }
    if (!stats) {
      const stop = ctx.input.events.find((ev) => ev.what.startsWith('shutdown') && ev.t <= ctx.e.t);
      ctx.checks.push({
        what,
        expected: value,
        observed: null,
        ...(stop
          ? {
              verdict: 'not-observable',
              note: `keepalived is stopping (SIGTERM at t=${stop.t}): it writes no keepalived.json`,
            }
          : { verdict: 'inconclusive', note: why ?? 'no stats' }),
      });
      continue;
    }
    const observed = stats[key];
    ctx.checks.push({
      what,
      expected: value,
      observed: observed ?? null,
      verdict: observed === undefined ? 'not-observable' : observed === value ? 'agree' : 'differ',
      note: `keepalived.json written at t=${round(ctx.clock((snap as JsonSnapshot).dumpedAt))}`,
    });
  }
}

const TIMED = new Set([
  'send-advert',
  'send-garp',
  'state-change',
  'run-script',
  'add-addresses',
  'remove-addresses',
]);

function checkDeadline(ctx: Ctx, deadline: number | null): void {
  const { e } = ctx;
  const nextEvent = ctx.eventTimes.find((t) => t > e.t);
  const end = Math.min(nextEvent ?? ctx.input.horizon, ctx.input.horizon);
  const quiet = nextEvent === undefined || deadline === null || nextEvent > deadline;
  const what = `deadline ${deadline === null ? 'none' : deadline} after t=${e.t}`;
  const timed = (from: number, to: number): Item[] =>
    ctx.kItems.filter(
      (k) => TIMED.has(k.action.type) && k.t > from + ctx.tol(k.channel) && k.t < to - ctx.tol(k.channel),
    );
  if (deadline === null) {
    const early = timed(e.t, end);
    ctx.checks.push({
      what,
      expected: 'nothing timed until the next event',
      observed: early.length ? early.map(describeItem) : `nothing until t=${end}`,
      verdict: early.length ? 'differ' : 'agree',
    });
    return;
  }
  if (deadline > ctx.input.horizon) {
    const note = quiet
      ? 'beyond the run'
      : `the fixture's next event at t=${String(nextEvent)} comes first, and the run ends before ${deadline}`;
    ctx.checks.push({ what, expected: deadline, observed: null, verdict: 'not-observable', note });
    return;
  }
  // the timer is seen by what it does at its time, if it still fires then (a later event may move it)
  const due = ctx.input.replay.timeline.filter((a) => a.at === deadline);
  const items = due.flatMap((a) => ctx.byEngineAction.get(a) ?? []);
  // with no event in between, keepalived must also do nothing timed before it
  const early = quiet ? timed(e.t, deadline) : [];
  if (!items.length) {
    // with nothing in between, keepalived's next timed action is where its timer is: if the engine's timer
    // has no visible action, keepalived must at least do nothing before it, nor at it unless the engine does
    const next = quiet ? timed(e.t, end + 1)[0] : undefined;
    const silentTimer = e.deadline === deadline;
    const nextAtDeadline = next && Math.abs(next.t - deadline) <= ctx.tol(next.channel);
    const verdict: Verdict = early.length || (!silentTimer && !nextAtDeadline) ? 'differ' : 'not-observable';
    ctx.checks.push({
      what,
      expected: deadline,
      observed: early.length
        ? early.map(describeItem)
        : next
          ? `next timed action: ${describeItem(next)}`
          : null,
      verdict,
      note: !quiet
        ? `the fixture's next event at t=${String(nextEvent)} comes first and the timer does nothing visible at ${deadline}`
        : silentTimer
          ? `the engine's timer at ${deadline} has no visible action (${due.map((a) => a.action.type).join(', ') || 'none'}); keepalived did nothing timed before it`
          : `the engine's own next deadline is ${String(e.deadline)}: keepalived's next timed action decides`,
    });
    return;
  }
  const unmatched = items.filter((i) => !i.match);
  const offsets = items.filter((i) => i.match).map((i) => round((i.match as Item).t - i.t));
  ctx.checks.push({
    what,
    expected: `${items.map((i) => i.action.type).join(', ')} at t=${deadline}`,
    observed: {
      atDeadline: items.filter((i) => i.match).map((i) => describeItem(i.match as Item)),
      before: early.map(describeItem),
    },
    verdict: unmatched.length || early.length ? 'differ' : 'agree',
    note: `the timer is seen by what it does: offsets ${offsets.join(', ')} ms`,
  });
}
