// The VRRP conformance fixture format (tests/fixtures/vrrp/*.jsonl), read in one place for the two
// programs that use it: the replay test (tests/fixtures/replay.test.ts), which checks the engine against
// each fixture, and the keepalived oracle (tests/helpers/fixture-oracle.ts), which checks each fixture
// against keepalived 2.2.7.
//
// One JSON object a line (a line starting with whitespace continues the previous one):
//   {"what": "..."}                         what the case shows (any line may carry "what")
//   {"spec": {...}}                          the engine spec; instances/groups/scripts are partial, the rest
//                                            is keepalived's defaults (instanceSpec())
//   {"t": ms, "event": {...}}                an EngineEvent; before it, every timer due strictly before t fires
//                                            ({"type": "reload", "spec": {...}} takes a partial spec too)
//   {"t": ms, "expect": {...}}               first fires every timer due at or before t, then checks:
//       actions:  the non-log actions since the previous expect, in order, each a deep subset of the actual
//       includes: actions that must appear among them, in any order
//       state / priority / group: {name: value} from the snapshot
//       counters: {instance: partial counters}
//       deadline: engine.nextDeadline() (null: nothing scheduled)
// Advert shorthand: {"type": "advert", "from": "10.0.0.2", "priority": 100, "instance": "VI_1"} builds a
// well-formed advert for that instance (override any of version, vrid, intervalCs, addresses, authType, ttl),
// puts it in a packet as a peer would send it (to the group, or to the instance for a unicast one) and has
// the daemon's wire side judge it (vrrp/wire/endpoint.ts): the engine gets what the daemon would feed it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Engine } from '../../src/vrrp/engine/engine.js';
import type { Action, EngineEvent } from '../../src/vrrp/engine/engine.js';
import type { Advert } from '../../src/vrrp/advert.js';
import { assembleAdvert, defaultWireSettings } from '../../src/vrrp/wire/datagram.js';
import { AdvertEndpoint } from '../../src/vrrp/wire/endpoint.js';
import { DEFAULT_GARP, instanceSpec } from '../../src/vrrp/engine/spec.js';
import type { EngineSpec, InstanceSpec, ScriptSpec, SyncGroupSpec } from '../../src/vrrp/engine/spec.js';

/** The fixture directory (this file runs from dist/tests/helpers/). */
export const FIXTURE_DIR = new URL('../../../tests/fixtures/vrrp/', import.meta.url);

export type Json = Record<string, unknown>;

/** One record of a fixture: its 1-based index and the parsed object. */
export interface FixtureRecord {
  index: number;
  line: Json;
}

/** The records of a fixture file, continuation lines joined. */
export function readFixture(file: string): FixtureRecord[] {
  return parseFixture(readFileSync(new URL(file, FIXTURE_DIR), 'utf8'));
}

export function parseFixture(text: string): FixtureRecord[] {
  // A line that starts with whitespace continues the record above it (long expectations stay readable).
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    if (/^\s/.test(raw) && lines.length > 0) lines[lines.length - 1] += raw;
    else lines.push(raw);
  }
  return lines.map((text, i) => ({ index: i + 1, line: JSON.parse(text) as Json }));
}

/** SHA-256 (hex) of a fixture file's bytes: what the oracle's evidence is tied to. */
export function fixtureHash(file: string): string {
  return createHash('sha256')
    .update(readFileSync(new URL(file, FIXTURE_DIR)))
    .digest('hex');
}

export function buildSpec(raw: Json): EngineSpec {
  const instances = ((raw.instances as Json[]) ?? []).map((i) => {
    const partial = i as Partial<InstanceSpec> & Pick<InstanceSpec, 'name' | 'vrid'>;
    return instanceSpec({ ...partial, garp: { ...DEFAULT_GARP, ...(partial.garp ?? {}) } });
  });
  const syncGroups = ((raw.syncGroups as Json[]) ?? []).map((g): SyncGroupSpec => ({
    notify: {},
    trackInterfaces: [],
    trackScripts: [],
    trackFiles: [],
    trackProcesses: [],
    ...(g as Partial<SyncGroupSpec> & Pick<SyncGroupSpec, 'name' | 'members'>),
  }));
  const scripts = ((raw.scripts as Json[]) ?? []).map((s): ScriptSpec => ({
    intervalMs: 1000,
    timeoutMs: 1000,
    rise: 1,
    fall: 1,
    weight: 0,
    reverse: false,
    ...(s as Partial<ScriptSpec> & Pick<ScriptSpec, 'name'>),
  }));
  return {
    instances,
    syncGroups,
    scripts,
    trackFiles: (raw.trackFiles as EngineSpec['trackFiles']) ?? [],
    trackProcesses: (raw.trackProcesses as EngineSpec['trackProcesses']) ?? [],
    linksDown: (raw.linksDown as string[]) ?? [],
    ...(raw.startupDelayMs !== undefined ? { startupDelayMs: raw.startupDelayMs as number } : {}),
  };
}

/** The wire side of the router under test. */
export function endpointFor(spec: EngineSpec): AdvertEndpoint {
  const endpoint = new AdvertEndpoint();
  endpoint.configure(
    spec.instances.map((i) => ({
      spec: i,
      settings: defaultWireSettings(i.family),
      receiveOn: [i.interface],
    })),
    () => [],
  );
  return endpoint;
}

/** A fixture's advert shorthand: the advert a peer sends, from where to where, and on which interface. */
export interface ShorthandAdvert {
  instance: InstanceSpec;
  advert: Advert;
  source: string;
  destination: string;
  ttl: number;
  ifname: string;
}

export function shorthandAdvert(raw: Json, spec: EngineSpec): ShorthandAdvert {
  const inst = spec.instances.find((i) => i.name === (raw.instance ?? spec.instances[0]?.name));
  if (!inst) throw new Error(`advert shorthand: no instance ${String(raw.instance)}`);
  const unicast = inst.unicastPeers.length > 0;
  return {
    instance: inst,
    advert: {
      version: (raw.version as 2 | 3) ?? inst.version,
      vrid: (raw.vrid as number) ?? inst.vrid,
      priority: raw.priority as number,
      intervalCs: (raw.intervalCs as number) ?? inst.advertIntervalCs,
      addresses: (raw.addresses as string[]) ?? inst.addresses.map((a) => a.address),
      authType: (raw.authType as Advert['authType']) ?? inst.authType,
    },
    source: raw.from as string,
    // to the group, or to the instance itself for a unicast one
    destination: unicast ? (inst.sourceAddress as string) : defaultWireSettings(inst.family).multicastGroup,
    ttl: (raw.ttl as number) ?? 255,
    ifname: (raw.ifname as string) ?? inst.interface,
  };
}

/** The engine events a fixture event stands for (an advert shorthand judged by the wire side, a reload
 * spec completed). */
export function expandEvent(raw: Json, spec: EngineSpec, endpoint: AdvertEndpoint): EngineEvent[] {
  // a reload carries a partial spec like the fixture's own
  if (raw.type === 'reload') return [{ type: 'reload', spec: buildSpec(raw.spec as Json) }];
  if (raw.type !== 'advert' || raw.received !== undefined) return [raw as unknown as EngineEvent];
  const a = shorthandAdvert(raw, spec);
  const inst = a.instance;
  const datagram = assembleAdvert(a.advert, {
    family: inst.family,
    source: a.source,
    destination: a.destination,
    unicast: inst.unicastPeers.length > 0,
    settings: defaultWireSettings(inst.family),
    ...(inst.authPass !== undefined ? { authPass: inst.authPass } : {}),
    ipId: 1,
    ttl: a.ttl,
  });
  return endpoint.receive(
    inst.family === 4
      ? { family: 4, ifname: a.ifname, data: datagram.bytes }
      : {
          family: 6,
          ifname: a.ifname,
          data: datagram.bytes,
          source: a.source,
          destination: a.destination,
          hopLimit: a.ttl,
        },
    0,
  );
}

/** Does `actual` contain everything `expected` says (objects by key, arrays element by element)? */
export function subset(expected: unknown, actual: unknown): boolean {
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => subset(e, actual[i]))
    );
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([k, v]) => subset(v, (actual as Json)[k]));
  }
  return Object.is(expected, actual);
}

/** An action with the engine time it was produced at. */
export interface TimedAction {
  at: number;
  action: Action;
}

function fireUntil(engine: Engine, limit: number, inclusive: boolean, sink: TimedAction[]): void {
  for (let guard = 0; guard < 100_000; guard++) {
    const d = engine.nextDeadline();
    if (d === undefined || d > limit || (!inclusive && d === limit)) return;
    for (const action of engine.handle(d, { type: 'timer' })) sink.push({ at: d, action });
  }
  throw new Error('timers do not settle');
}

/** What an expect record saw when the engine replayed the fixture up to it. */
export interface ReplayedExpect {
  record: FixtureRecord;
  t: number;
  expect: Json;
  /** The non-log actions since the previous expect, with their engine times. */
  visible: TimedAction[];
  snapshot: ReturnType<Engine['snapshot']>;
  deadline: number | undefined;
}

/** The whole replay: every expect record as the engine saw it, plus every non-log action with its time. */
export interface Replay {
  spec: EngineSpec;
  expects: ReplayedExpect[];
  timeline: TimedAction[];
}

/**
 * Replays a fixture's records through the engine; `onExpect` is called at every expect record (the replay
 * test asserts there). `until` fires the timers due up to that time after the last record (the oracle wants
 * the actions that follow the last expectation too).
 */
export function replayFixture(
  records: FixtureRecord[],
  where: string,
  onExpect?: (e: ReplayedExpect) => void,
  until?: number,
): Replay {
  let spec: EngineSpec | undefined;
  let engine: Engine | undefined;
  let endpoint: AdvertEndpoint | undefined;
  let pending: TimedAction[] = [];
  const timeline: TimedAction[] = [];
  const expects: ReplayedExpect[] = [];
  const keep = (list: TimedAction[]): void => {
    for (const a of list) if (a.action.type !== 'log') timeline.push(a);
  };
  for (const record of records) {
    const { line } = record;
    if (line.spec !== undefined) {
      spec = buildSpec(line.spec as Json);
      engine = new Engine(spec);
      endpoint = endpointFor(spec);
      continue;
    }
    if (line.t === undefined) continue;
    if (!engine || !spec || !endpoint) throw new Error(`${where}: record ${record.index}: event before spec`);
    const t = line.t as number;
    if (line.event !== undefined) {
      const fired: TimedAction[] = [];
      fireUntil(engine, t, false, fired);
      for (const event of expandEvent(line.event as Json, spec, endpoint))
        for (const action of engine.handle(t, event)) fired.push({ at: t, action });
      keep(fired);
      pending.push(...fired);
      continue;
    }
    const expect = line.expect as Json | undefined;
    if (!expect) continue;
    const fired: TimedAction[] = [];
    fireUntil(engine, t, true, fired);
    keep(fired);
    pending.push(...fired);
    const replayed: ReplayedExpect = {
      record,
      t,
      expect,
      visible: pending.filter((a) => a.action.type !== 'log'),
      snapshot: engine.snapshot(),
      deadline: engine.nextDeadline(),
    };
    expects.push(replayed);
    onExpect?.(replayed);
    pending = [];
  }
  if (!spec || !engine) throw new Error(`${where}: no spec`);
  if (until !== undefined) {
    const fired: TimedAction[] = [];
    fireUntil(engine, until, true, fired);
    keep(fired);
  }
  return { spec, expects, timeline };
}
