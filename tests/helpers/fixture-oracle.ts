// The fixture oracle: runs one VRRP replay fixture (tests/fixtures/vrrp/NAME.jsonl) against Debian's
// keepalived 2.2.7 and says, expectation by expectation, whether keepalived does what the fixture says.
//
//   1. keepalived.conf from the fixture's spec (oracle-config.ts), a lab of namespaces (oracle-lab.ts)
//   2. keepalived starts at the fixture's t=0; its time base is the first "VRRP sockpool:" log line, which
//      keepalived prints (-D) right after arming its timers (vrrp_init_state, vrrp_init_sands); the delay from
//      launch to it is recorded
//   3. the fixture's events at their times: adverts and malformed packets from the injector agent (sent at
//      their wall-clock time by the agent itself, their real time read back from the capture), links through
//      `ip -batch`, track files written, script results as the exit status of the waiting vrrp_script
//      wrapper, SIGHUP with the new config (its time base: the next "VRRP sockpool:" line), SIGTERM
//   4. what keepalived did (oracle-observe.ts) judged against the fixture (oracle-compare.ts)
// The result is the evidence kept beside the fixture as NAME.keepalived.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { release } from 'node:os';
import type { EngineSpec } from '../../src/vrrp/engine/spec.js';
import {
  buildSpec,
  fixtureHash,
  readFixture,
  replayFixture,
  type FixtureRecord,
  type Json,
} from './vrrp-fixture.js';
import {
  KEEPALIVED_RT_PRIORITY,
  ORACLE_RT_PRIORITY,
  OracleConfigBuilder,
  type OracleConfig,
} from './oracle-config.js';
import { native } from '../../src/net/native.js';
import { OracleLab, realTimeAllowed, type JsonSnapshot, type KernelSnapshot } from './oracle-lab.js';
import { advertPacket, droppedPacket, type InjectedPacket } from './oracle-packets.js';
import {
  decodeWire,
  fifoObservations,
  logObservations,
  scriptRunObservations,
  wireObservations,
  type WireFrame,
} from './oracle-observe.js';
import { compare, TOLERANCE_MS, type Check, type DrivenEvent, type Verdict } from './oracle-compare.js';
import { KEEPALIVED_BIN, sleep } from './vrrp-lab.js';
import { EVIDENCE_FORMAT, type Evidence } from './oracle-evidence.js';

export { EVIDENCE_FORMAT, type Evidence } from './oracle-evidence.js';
import { waitUntilWall, wallNow } from './wall-clock.js';

export interface OracleOptions {
  log?: (line: string) => void;
}

/** Fixture time up to which keepalived is watched: the last expectation, or a deadline it names. */
function horizonOf(records: FixtureRecord[]): number {
  let horizon = 0;
  const eventTimes = records.filter((r) => r.line.event !== undefined).map((r) => r.line.t as number);
  for (const { line } of records) {
    if (line.t === undefined) continue;
    horizon = Math.max(horizon, line.t as number);
    const d = (line.expect as Json | undefined)?.deadline;
    if (typeof d === 'number') {
      const next = eventTimes.find((t) => t > (line.t as number));
      if (next === undefined || next > d) horizon = Math.max(horizon, d);
    }
  }
  return horizon;
}

function keepalivedVersion(): string {
  const r = spawnSync(KEEPALIVED_BIN, ['-v'], { encoding: 'utf8' });
  return (r.stderr || r.stdout).split('\n')[0]?.trim() ?? 'unknown';
}

/** Plain setTimeout to a wall time (no spin: for snapshots, where a few ms do not matter). */
function sleepUntilWall(at: number): Promise<void> {
  return sleep(Math.max(0, at - wallNow()));
}

/** Runs one fixture against keepalived and returns the evidence. */
export async function runFixtureOracle(file: string, options: OracleOptions = {}): Promise<Evidence> {
  const say = options.log ?? (() => undefined);
  const began = Date.now();
  const records = readFixture(file);
  const horizon = horizonOf(records);
  const replay = replayFixture(records, file, undefined, horizon + 100);
  const specRecord = records.find((r) => r.line.spec !== undefined);
  if (!specRecord) throw new Error(`${file}: no spec`);
  const rawSpec = specRecord.line.spec as Json;
  let spec: EngineSpec = buildSpec(rawSpec);
  const oracle = new OracleLab('fo');
  const files = {
    dir: oracle.dir,
    notifyFifo: `${oracle.dir}/notify.fifo`,
    eventsFifo: `${oracle.dir}/events.fifo`,
  };
  const builder = new OracleConfigBuilder(files, records);
  builder.substitutions.push(
    realTimeAllowed()
      ? `keepalived runs under chrt --rr ${KEEPALIVED_RT_PRIORITY} (its VRRP child and scripts inherit it), the ` +
          `oracle's drivers at SCHED_FIFO ${ORACLE_RT_PRIORITY}: scheduling only, so that a loaded machine does ` +
          'not shift the times; the configuration is untouched by it'
      : 'real-time scheduling is not allowed here: keepalived and the drivers run at normal priority, so a ' +
          'loaded machine may shift the times',
  );
  const configText = builder.config(rawSpec, spec);
  const config: OracleConfig = {
    text: configText,
    ...builder.topology(spec),
    scripts: builder.scripts,
    notifies: builder.notifies,
    trackFiles: builder.trackFiles,
    substitutions: builder.substitutions,
  };
  const reloadConfigs: string[][] = [];
  const events: DrivenEvent[] = [];
  const json = new Map<number, JsonSnapshot | undefined>();
  const kernel = new Map<number, KernelSnapshot | undefined>();
  try {
    oracle.build(config);
    await oracle.startWatchers(config.lans.map((l) => l.ifname));
    oracle.setInitialLinks(config.linksDown);
    const injectorMacs = new Set(
      config.lans.map((l) => {
        const r = spawnSync('ip', ['-n', oracle.p.ns, '-j', 'link', 'show', 'dev', l.ifname], {
          encoding: 'utf8',
        });
        return (JSON.parse(r.stdout) as { address: string }[])[0]?.address ?? '';
      }),
    );

    // while driving and watching, this thread is real-time too (its children are not: SCHED_RESET_ON_FORK)
    const scheduling = realTime(true);
    // start: keepalived's timers are armed just before it logs its socket pool
    const launchedAt = wallNow();
    const daemon = oracle.startKeepalived(configText);
    const anchorLine = await oracle.log.waitFor(/VRRP sockpool:/, 0, 15_000);
    const T0 = anchorLine.at;
    say(`  keepalived pid ${daemon.child.pid}: timers armed ${(T0 - launchedAt).toFixed(1)} ms after launch`);
    events.push({
      t: 0,
      what: 'start',
      plannedWall: T0,
      actualWall: T0,
      how: 'first "VRRP sockpool:" log line',
    });

    // injected packets: all queued now, each sent by the agent at its time
    const timed = records.filter((r) => r.line.event !== undefined && typeof r.line.t === 'number');
    const injections: {
      t: number;
      packet: InjectedPacket;
      event: DrivenEvent;
      sent: Promise<{ sentAt: number }>;
    }[] = [];
    let id = 0;
    for (const r of timed) {
      const ev = r.line.event as Json;
      const t = r.line.t as number;
      let packet: InjectedPacket | undefined;
      if (ev.type === 'advert') packet = advertPacket(ev, spec);
      else if (ev.type === 'advert-dropped') {
        const lan = config.lans.find((l) => l.ifname === ev.ifname);
        const source = lan?.injector.find((a) => a.includes(':') === (ev.family === 6))?.split('/')[0];
        if (!source)
          throw new Error(`${file}: no injector address on ${String(ev.ifname)} for a malformed packet`);
        packet = droppedPacket(ev, spec, source);
      }
      if (!packet) continue;
      const event: DrivenEvent = {
        t,
        what: `${String(ev.type)}: ${packet.summary}`,
        plannedWall: T0 + t,
        how: "capture on keepalived's interface",
      };
      events.push(event);
      const sent = oracle.inject(++id, T0 + t, packet);
      sent.catch(() => undefined);
      injections.push({ t, packet, event, sent });
    }

    // background work (script answers, snapshots) must not crash the run: what fails is reported at the end
    const failures: string[] = [];
    const failed = (e: unknown): void => void failures.push(String(e));
    // vrrp_script runs: each is answered with the fixture's result meant for it, or at once with the last
    const scripts = planScripts(records, replay.timeline);
    let scriptLines = 0;
    const answering: Promise<void>[] = [];
    const watchScripts = setInterval(() => {
      const lines = oracle.eventsFifo.log.lines;
      for (; scriptLines < lines.length; scriptLines++) {
        const m = /^run (\S+)/.exec((lines[scriptLines] as { text: string }).text);
        if (!m) continue;
        const at = (lines[scriptLines] as { at: number }).at;
        answering.push(answerRun(oracle, scripts, m[1] as string, at - T0, T0, events).catch(failed));
      }
    }, 2);

    // snapshots after each expectation that needs them: once keepalived has taken the script results due
    // by then, and half-way to the next event or engine action at most
    const snapshots: Promise<void>[] = [];
    const nextTimes = [...timed.map((r) => r.line.t as number), ...replay.timeline.map((a) => a.at)].sort(
      (a, b) => a - b,
    );
    for (const r of records) {
      const ex = r.line.expect as Json | undefined;
      if (!ex) continue;
      const t = r.line.t as number;
      const gap = Math.min(1000, (nextTimes.find((x) => x > t) ?? Infinity) - t);
      const resultsDue = (): Promise<unknown> =>
        Promise.all(scripts.results.filter((x) => x.t <= t).map((x) => x.taken?.promise));
      if (ex.counters !== undefined || ex.priority !== undefined)
        snapshots.push(
          sleepUntilWall(T0 + t + Math.min(5, gap / 2))
            .then(() => Promise.race([resultsDue(), sleepUntilWall(T0 + t + gap / 2)]))
            .then(async () => void json.set(r.index, await oracle.jsonSnapshot()))
            .catch(failed),
        );
      const types = [...((ex.actions as Json[]) ?? []), ...((ex.includes as Json[]) ?? [])].map((a) =>
        String(a.type),
      );
      if (types.some((x) => /-(addresses|routes|rules)$/.test(x)))
        snapshots.push(
          sleepUntilWall(T0 + t + Math.min(60, gap / 2))
            .then(async () => void kernel.set(r.index, await oracle.kernelSnapshot()))
            .catch(failed),
        );
    }

    // the other events, in order, at their times
    for (const r of timed) {
      const ev = r.line.event as Json;
      const t = r.line.t as number;
      if (['start', 'advert', 'advert-dropped', 'script-result'].includes(String(ev.type))) continue;
      await waitUntilWall(T0 + t);
      const event: DrivenEvent = { t, what: String(ev.type), plannedWall: T0 + t, how: '' };
      events.push(event);
      switch (ev.type) {
        case 'link':
          event.what = `link ${String(ev.ifname)} ${ev.up ? 'up' : 'down'}`;
          event.actualWall = oracle.setLink(String(ev.ifname), ev.up === true);
          event.how = "written to `ip -batch` in keepalived's namespace";
          break;
        case 'file-value': {
          const f = config.trackFiles.find((x) => x.name === ev.name);
          if (!f) throw new Error(`no track file ${String(ev.name)}`);
          event.what = `track file ${String(ev.name)} = ${String(ev.value)}`;
          event.actualWall = writeTrackFile(f.path, Number(ev.value));
          event.how = 'file written (keepalived watches it with inotify)';
          break;
        }
        case 'process': {
          const f = config.trackFiles.find((x) => x.forProcess?.name === ev.name);
          if (!f?.forProcess) throw new Error(`no stand-in for process ${String(ev.name)}`);
          const running = ev.running === true;
          // a positive weight counts while running, the others while not running (processSubstitute)
          const value = f.forProcess.weight > 0 === running ? 1 : 0;
          event.what = `process ${String(ev.name)} ${running ? 'running' : 'stopped'} (stand-in file ${f.name} = ${value})`;
          event.actualWall = writeTrackFile(f.path, value);
          event.how = 'stand-in track file written';
          event.note = 'track_process has a vrrp_track_file stand-in (see substitutions)';
          break;
        }
        case 'reload': {
          const raw = ev.spec as Json;
          spec = buildSpec(raw);
          const text = builder.config(raw, spec);
          reloadConfigs.push(text.split('\n'));
          const from = oracle.log.lines.length;
          writeFileSyncText(oracle.configPath, text);
          const hupAt = oracle.signal('SIGHUP');
          event.what = 'reload (SIGHUP)';
          const rearmed = await oracle.log.waitFor(/VRRP sockpool:/, from, 10_000).catch(() => undefined);
          event.actualWall = rearmed?.at;
          event.how = 'the "VRRP sockpool:" log line after SIGHUP (timers re-armed)';
          event.note = rearmed
            ? `SIGHUP sent ${(rearmed.at - hupAt).toFixed(1)} ms before`
            : 'keepalived did not re-arm';
          break;
        }
        case 'shutdown':
          event.what = 'shutdown (SIGTERM)';
          event.actualWall = oracle.signal('SIGTERM');
          event.how = 'SIGTERM sent';
          break;
        default:
          event.note = `event type ${String(ev.type)} is not driven by the oracle`;
      }
    }
    await sleepUntilWall(T0 + horizon + 500);
    clearInterval(watchScripts);
    for (const res of scripts.results) res.taken?.resolve();
    await Promise.all([...snapshots, ...answering]);
    if (failures.length) throw new Error(`${file}: ${failures.join('; ')}`);
    // script results that no run carried stay unreproduced
    for (const res of scripts.results)
      if (!res.delivered)
        events.push({
          t: res.t,
          what: `script-result ${res.name} ${res.ok ? 'ok' : 'failed'}`,
          plannedWall: T0 + res.t,
          how: 'exit status of the waiting vrrp_script wrapper',
          note: 'no run of the script was waiting for it: keepalived runs a vrrp_script only at its interval',
        });
    if (daemon.running) await daemon.stop('SIGTERM', 10_000).catch(() => undefined);
    realTime(false);
    const captures = await oracle.stopCaptures();
    const frames: WireFrame[] = captures.flatMap((c) => decodeWire(c.file, c.ifname));

    // the injected packets' real times: the capture on keepalived's side, in sending order per interface
    for (const inj of injections) {
      const r = await inj.sent.catch(() => undefined);
      inj.event.actualWall = r?.sentAt;
    }
    for (const ifname of new Set(injections.map((i) => i.packet.ifname))) {
      const sent = injections.filter((i) => i.packet.ifname === ifname);
      const seen = frames.filter(
        (f) => f.ifname === ifname && injectorMacs.has(f.srcMac) && f.kind === 'advert',
      );
      if (seen.length === sent.length)
        sent.forEach((s, k) => (s.event.actualWall = (seen[k] as WireFrame).at));
      else
        for (const s of sent)
          s.event.how = `injector's send time (capture shows ${seen.length} of ${sent.length})`;
    }

    const { observations: logObs, priorities } = logObservations(oracle.log.lines, launchedAt);
    const notifyObs = fifoObservations(
      oracle.notifyFifo.log.lines,
      oracle.eventsFifo.log.lines,
      config.notifies,
    ).filter(
      (o) =>
        !(
          o.action.type === 'notify' &&
          o.seen.includes('MASTER_RX_LOWER_PRI') &&
          !spec.instances.some(
            (i) => i.name === (o.action as { name?: string }).name && i.notify.masterRxLowerPri,
          )
        ),
    );
    // a state change the log shows is not counted again from the FIFO
    const loggedChange = (o: (typeof notifyObs)[number]): boolean =>
      o.action.type === 'state-change' &&
      logObs.some(
        (l) =>
          l.action.type === 'state-change' &&
          (l.action as { instance?: string }).instance === (o.action as { instance?: string }).instance &&
          (l.action as { to?: string }).to === (o.action as { to?: string }).to &&
          Math.abs(l.at - o.at) < 100,
      );
    const observations = [
      ...wireObservations(frames, oracle.macs, spec),
      ...logObs,
      ...notifyObs.filter((o) => !loggedChange(o)),
      ...scriptRunObservations(oracle.eventsFifo.log.lines),
    ];
    events.sort((a, b) => a.t - b.t);
    const result = compare({
      replay,
      spec: buildSpec(rawSpec),
      events,
      observations,
      priorities,
      log: oracle.log.lines,
      json,
      kernel,
      horizon,
      substitutions: config.substitutions,
      linkDown: linkDownAt(records, config.linksDown),
    });
    const summary: Record<Verdict, number> = {
      agree: 0,
      differ: 0,
      'not-observable': 0,
      'not-reproducible': 0,
      inconclusive: 0,
    };
    const differences: Evidence['differences'] = [];
    for (const ex of result.expectations)
      for (const c of ex.checks) {
        summary[c.verdict]++;
        if (c.verdict === 'differ') differences.push({ record: ex.record, t: ex.t, ...pick(c) });
      }
    const first = records[0]?.line.what;
    return {
      format: EVIDENCE_FORMAT,
      fixture: file,
      fixtureSha256: fixtureHash(file),
      what: typeof first === 'string' ? first : '',
      keepalived: keepalivedVersion(),
      kernel: release(),
      date: new Date().toISOString(),
      verdict: differences.length ? 'differ' : 'agree',
      summary,
      tolerancesMs: { ...TOLERANCE_MS },
      timeBase: {
        anchor:
          'fixture t=0 is the arrival of keepalived\'s first "VRRP sockpool:" log line, printed right after ' +
          'vrrp_init_state and vrrp_init_sands arm the timers; a reload is anchored the same way on the line ' +
          'after SIGHUP; other events at their measured times',
        launchToAnchorMs: round(T0 - launchedAt),
        scheduling,
        eventOffsetsMs: events.map((e) => ({
          t: e.t,
          what: e.what,
          ms: e.actualWall === undefined ? null : round(e.actualWall - e.plannedWall),
        })),
      },
      config: configText.split('\n'),
      reloadConfigs,
      substitutions: config.substitutions,
      events: events.map((e) => ({
        ...e,
        plannedWall: round(e.plannedWall - T0),
        ...(e.actualWall !== undefined ? { actualWall: round(e.actualWall - T0) } : {}),
      })),
      expectations: result.expectations,
      differences,
      observed: result.timeline,
      log: oracle.log.lines.map(
        (l) =>
          `${round(l.at - T0)
            .toFixed(3)
            .padStart(10)} ${l.text.replace(/^\w{3} \w{3} [ \d]\d [\d:]{8} \d{4}: /, '')}`,
      ),
      runMs: Date.now() - began,
    };
  } finally {
    realTime(false);
    await oracle.cleanup();
  }
}

/** Puts this (main) thread on SCHED_FIFO (above keepalived) or back; returns what it got. */
function realTime(on: boolean): string {
  try {
    native().setScheduler(on ? 'fifo' : 'other', on ? ORACLE_RT_PRIORITY : 0);
    return on ? `SCHED_FIFO ${ORACLE_RT_PRIORITY}` : 'normal';
  } catch (e) {
    return `normal (${String(e)})`;
  }
}

/** Whether keepalived's interface `ifname` is down at fixture time t (the fixture's link events). */
function linkDownAt(
  records: FixtureRecord[],
  initiallyDown: string[],
): (ifname: string, t: number) => boolean {
  return (ifname, t) => {
    let down = initiallyDown.includes(ifname);
    for (const { line } of records) {
      const ev = line.event as Json | undefined;
      if (ev?.type === 'link' && ev.ifname === ifname && (line.t as number) <= t) down = ev.up !== true;
    }
    return down;
  };
}

function pick(c: Check): Omit<Evidence['differences'][number], 'record' | 't'> {
  return { what: c.what, expected: c.expected, observed: c.observed, ...(c.note ? { note: c.note } : {}) };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function writeFileSyncText(path: string, text: string): void {
  // a whole new config at once: keepalived reads it only on the SIGHUP that follows
  writeFileSync(path, text);
}

function writeTrackFile(path: string, value: number): number {
  writeFileSync(path, `${value}\n`);
  return wallNow();
}

// ---------------------------------------------------------------------------------------------------
// vrrp_script runs and the fixture's results

interface ScriptResult {
  name: string;
  t: number;
  ok: boolean;
  /** The engine run (its time) this result answers. */
  run?: number;
  delivered?: boolean;
  /** Settles when keepalived has taken the result (its log line) or gave no sign of it in 200 ms. */
  taken?: { promise: Promise<void>; resolve: () => void };
}

interface ScriptPlan {
  /** Engine run times per script. */
  runs: Map<string, number[]>;
  results: ScriptResult[];
  /** Engine runs already met by a keepalived run. */
  seen: Set<string>;
}

/** Each fixture result goes to the latest engine run of its script before it that no result took yet. */
function planScripts(
  records: FixtureRecord[],
  timeline: { at: number; action: { type: string; name?: string } }[],
): ScriptPlan {
  const runs = new Map<string, number[]>();
  for (const a of timeline)
    if (a.action.type === 'run-script') {
      const name = String(a.action.name);
      runs.set(name, [...(runs.get(name) ?? []), a.at]);
    }
  const taken = new Set<string>();
  const results: ScriptResult[] = [];
  for (const { line } of records) {
    const ev = line.event as Json | undefined;
    if (ev?.type !== 'script-result') continue;
    const name = String(ev.name);
    const t = line.t as number;
    const run = [...(runs.get(name) ?? [])].reverse().find((r) => r <= t && !taken.has(`${name}@${r}`));
    if (run !== undefined) taken.add(`${name}@${run}`);
    let resolve = (): void => undefined;
    const promise = new Promise<void>((r) => (resolve = r));
    results.push({
      name,
      t,
      ok: ev.ok === true,
      ...(run !== undefined ? { run } : {}),
      taken: { promise, resolve },
    });
  }
  return { runs, results, seen: new Set() };
}

/** A keepalived run of `name` at fixture time `ft`: answer it as the fixture says. */
async function answerRun(
  oracle: OracleLab,
  plan: ScriptPlan,
  name: string,
  ft: number,
  T0: number,
  events: DrivenEvent[],
): Promise<void> {
  const run = (plan.runs.get(name) ?? []).find(
    (r) => Math.abs(r - ft) <= 300 && !plan.seen.has(`${name}@${r}`),
  );
  if (run !== undefined) plan.seen.add(`${name}@${run}`);
  const result = run !== undefined ? plan.results.find((r) => r.name === name && r.run === run) : undefined;
  if (result) {
    await waitUntilWall(T0 + result.t);
    const from = oracle.log.lines.length;
    const at = oracle.answerScript(name, result.ok ? 0 : 1);
    result.delivered = true;
    // the wrapper (a forked /bin/sh) may exit late on a busy machine: the result's time is when keepalived
    // logs it, when it logs it (a result that changes nothing is not logged)
    const re = new RegExp(`VRRP_Script\\(${name}\\) (succeeded|failed)|Script \`${name}\` now returning`);
    const taken = await oracle.log.waitFor(re, from, 200).catch(() => undefined);
    events.push({
      t: result.t,
      what: `script-result ${name} ${result.ok ? 'ok' : 'failed'}`,
      plannedWall: T0 + result.t,
      actualWall: taken?.at ?? at,
      how: taken
        ? `keepalived's log line "${taken.text.replace(/^.*?: /, '')}"`
        : 'exit status written to the waiting vrrp_script wrapper (keepalived logs no change)',
      ...(taken ? { note: `exit status written ${(taken.at - at).toFixed(1)} ms before` } : {}),
    });
    result.taken?.resolve();
    return;
  }
  // a run the fixture gives no result for: the script answers as it last did (no change for keepalived)
  const last = plan.results.filter((r) => r.name === name && r.t <= ft).at(-1);
  if (last) oracle.answerScript(name, last.ok ? 0 : 1);
  // with no result at all yet the wrapper is left waiting: keepalived's timeout ends it
}

export function readEvidence(path: string): Evidence {
  return JSON.parse(readFileSync(path, 'utf8')) as Evidence;
}
