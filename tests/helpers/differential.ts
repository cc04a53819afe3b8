// Differential testing against Debian's keepalived 2.2.7: the same two-node scenario run with keepalived on
// node a and with ours on node a (node b is keepalived in both runs, or ours for "ours on both"), the two
// runs side by side in separate labs so that their steps line up in time, then what a user of node a
// observes compared step by step: state transitions (order and timing class), notify script calls, the
// kernel's addresses/routes/rules, the adverts / gratuitous ARPs / unsolicited NAs a sent, pid files and the
// exit code.
//
// Topology of each lab: a and b on two LANs: eth0 10.9.0.{1,2}/24 + 2001:db8:9::{1,2}/64 and
// eth1 10.9.1.{1,2}/24 + 2001:db8:9:1::{1,2}/64, with fixed MACs (so that link-local addresses and frames
// compare between labs).
//
// Steps: start (a and b together) -> kill-peer (b -9) -> restore-peer -> hup (a reloads its 'reloaded'
// config) -> link-down (a's eth0) -> link-up -> term (SIGTERM a).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { exec, run, waitForLinkLocal, type LanMember } from './netns.js';
import { sleep, VrrpLab, type Implementation, type VrrpDaemon } from './vrrp-lab.js';
import {
  countByText,
  decodeFrames,
  FRAME_FILTER,
  kernelState,
  type Frame,
  type KernelState,
} from './differential-observe.js';

export type StepName = 'start' | 'kill-peer' | 'restore-peer' | 'hup' | 'link-down' | 'link-up' | 'term';
export const ALL_STEPS: StepName[] = [
  'start',
  'kill-peer',
  'restore-peer',
  'hup',
  'link-down',
  'link-up',
  'term',
];

export interface ConfigContext {
  node: 'a' | 'b';
  /** 'reloaded' is node a's config for the hup step. */
  phase: 'initial' | 'reloaded';
  /** A notify script appending its arguments to the node's notify log. */
  notify: string;
  /** This node's and the other node's host number (1 or 2) on both LANs. */
  self: 1 | 2;
  peer: 1 | 2;
}

export interface DiffCase {
  name: string;
  /** The whole keepalived.conf of a node. */
  config: (ctx: ConfigContext) => string;
  /** Instances whose transitions are followed. */
  instances: string[];
  /** How long each step lasts (ms): default 7000, link-down 4000, term 3000. */
  stepMs?: Partial<Record<StepName, number>>;
  steps?: StepName[];
  /** Extra set-up of a node's namespace before the daemons start (more addresses, sysctls). */
  setup?: (member: LanMember, host: 1 | 2, lab: VrrpLab) => void;
}

export interface Transition {
  instance: string;
  state: string;
  /** ms after the step began. */
  ms: number;
}

export interface StepObservation {
  step: StepName;
  transitions: Transition[];
  notify: string[];
  kernel: KernelState;
  frames: Frame[];
  /** Which of a's pid files exist at the end of the step ('main', 'vrrp'). */
  pidFiles: string[];
  exitCode?: number | null;
}

export interface RunObservation {
  impl: { a: Implementation; b: Implementation };
  steps: StepObservation[];
  logA: string[];
  /** The log of node b's last daemon. */
  logB: string[];
}

const DEFAULT_STEP_MS: Record<StepName, number> = {
  start: 7000,
  'kill-peer': 7000,
  'restore-peer': 7000,
  hup: 7000,
  'link-down': 4000,
  'link-up': 7000,
  term: 3000,
};

const MAC = (host: number, lan: number): string => `02:00:00:09:0${lan}:0${host}`;

/** The two lab nodes with fixed MACs and addresses on both LANs. */
function buildNodes(lab: VrrpLab, c: DiffCase): [LanMember, LanMember] {
  const lan0 = lab.lan(['a', 'b']) as [LanMember, LanMember];
  const lan1 = lab.joinLan(lan0, 'eth1');
  for (const [lan, members] of [lan0, lan1].entries())
    members.forEach((m, i) => {
      const host = i + 1;
      // a new MAC while down: the link-local address is derived again on up
      run(['ip', '-n', m.ns, 'link', 'set', m.ifname, 'down']);
      run(['ip', '-n', m.ns, 'link', 'set', m.ifname, 'address', MAC(host, lan)]);
      run(['ip', '-n', m.ns, 'link', 'set', m.ifname, 'up']);
      waitForLinkLocal(m);
      lab.addAddress(m, `10.9.${lan}.${host}/24`);
      lab.addAddress(m, `2001:db8:9:${lan}::${host}/64`);
    });
  const nodes = lan0.map((m, i) => ({ ...m, mac: MAC(i + 1, 0) })) as [LanMember, LanMember];
  nodes.forEach((m, i) => c.setup?.(m, (i + 1) as 1 | 2, lab));
  return nodes;
}

function pidFilesOf(d: VrrpDaemon): string[] {
  return [
    ['main', d.files.pid],
    ['vrrp', d.files.vrrpPid],
  ].flatMap(([name, path]) => (existsSync(path as string) ? [name as string] : []));
}

/** Runs the case once with `impl.a` on node a and `impl.b` on node b; returns what a's user saw. */
export async function runCase(
  c: DiffCase,
  impl: { a: Implementation; b: Implementation },
  tag: string,
): Promise<RunObservation> {
  const lab = new VrrpLab(tag);
  try {
    const [a, b] = buildNodes(lab, c);
    const notifyLog = (node: string): string => lab.writeFile(`${node}.notify.log`, '');
    const notifyScript = (node: string): string =>
      lab.writeScript(`${node}-notify.sh`, `echo "$@" >> ${notifyLog(node)}`);
    const scripts = { a: notifyScript('a'), b: notifyScript('b') };
    const ctx = (node: 'a' | 'b', phase: ConfigContext['phase']): ConfigContext => ({
      node,
      phase,
      notify: scripts[node],
      self: node === 'a' ? 1 : 2,
      peer: node === 'a' ? 2 : 1,
    });
    const captures = await Promise.all(
      ['eth0', 'eth1'].map((ifname) => lab.capture(a.ns, ifname, FRAME_FILTER)),
    );
    const startB = (): VrrpDaemon =>
      lab.start(impl.b, b, `b${lab.daemons.length}`, c.config(ctx('b', 'initial')));
    let da: VrrpDaemon | undefined;
    let db: VrrpDaemon | undefined;
    const steps: StepObservation[] = [];
    const stepTimes: [number, number][] = [];
    let notifySeen = 0;
    for (const step of c.steps ?? ALL_STEPS) {
      const mark = da?.mark() ?? 0;
      const began = Date.now();
      let exitCode: number | null | undefined;
      switch (step) {
        case 'start':
          da = lab.start(impl.a, a, 'a', c.config(ctx('a', 'initial')));
          db = startB();
          break;
        case 'kill-peer':
          await db?.kill9();
          break;
        case 'restore-peer':
          db = startB();
          break;
        case 'hup':
          if (da) {
            writeFileSync(da.files.config, c.config(ctx('a', 'reloaded')));
            da.child.kill('SIGHUP');
          }
          break;
        case 'link-down':
        case 'link-up':
          lab.setLink(a, 'eth0', step === 'link-up');
          break;
        case 'term':
          exitCode = da ? await da.stop('SIGTERM', 15_000).catch(() => -1) : undefined;
          break;
      }
      const stepMs = c.stepMs?.[step] ?? DEFAULT_STEP_MS[step];
      await sleep(Math.max(0, began + stepMs - Date.now()));
      const notifyLines = readFileSync(lab.dir + '/a.notify.log', 'utf8')
        .split('\n')
        .filter((l) => l);
      const transitions: Transition[] = [];
      if (da)
        for (let i = mark; i < da.lines.length; i++) {
          const m = /\((\S+)\) Entering (MASTER|BACKUP|FAULT) STATE/i.exec(da.lines[i] as string);
          if (m)
            transitions.push({
              instance: m[1] as string,
              state: (m[2] as string).toUpperCase(),
              ms: (da.times[i] as number) - began,
            });
        }
      steps.push({
        step,
        transitions,
        notify: notifyLines.slice(notifySeen),
        kernel: kernelState(a.ns),
        frames: [],
        pidFiles: da ? pidFilesOf(da) : [],
        ...(exitCode !== undefined ? { exitCode } : {}),
      });
      notifySeen = notifyLines.length;
      stepTimes.push([began / 1000, Date.now() / 1000]);
    }
    await Promise.all(captures.map((cap) => cap.stop()));
    const frames = ['eth0', 'eth1'].flatMap((ifname, lan) =>
      decodeFrames(captures[lan]?.file ?? '', ifname, MAC(1, lan)),
    );
    steps.forEach((s, i) => {
      const [from, to] = stepTimes[i] as [number, number];
      s.frames = frames.filter((f) => f.time >= from && f.time < to);
    });
    return { impl, steps, logA: da?.lines ?? [], logB: db?.lines ?? [] };
  } finally {
    exec(['true']);
    await lab.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------------
// Comparison

export interface Discrepancy {
  step: StepName;
  what: string;
  keepalived: string;
  ours: string;
}

/** Transition timing is "alike" within half a second or 15 % (two runs on a shared machine); after a kill
 * the takeover also depends on when the dead peer's last advert left (up to one advert interval). */
function timingAlike(step: StepName, x: number, y: number): boolean {
  const slack = step === 'kill-peer' ? 1300 : 500;
  return Math.abs(x - y) <= Math.max(slack, 0.15 * Math.max(x, y));
}

/** Frame counts are alike within one frame or 25 % (a step boundary may split a burst). */
function countAlike(x: number, y: number): boolean {
  return Math.abs(x - y) <= Math.max(1, 0.25 * Math.max(x, y));
}

/** Gaps (s, one decimal) between successive frames of each GARP/NA target, to compare spacing. */
export function announcementGaps(frames: Frame[]): Map<string, number[]> {
  const byTarget = new Map<string, number[]>();
  for (const f of frames) {
    if (f.kind === 'advert') continue;
    const key = `${f.ifname} ${f.kind} ${f.text}`;
    byTarget.set(key, [...(byTarget.get(key) ?? []), f.time]);
  }
  const gaps = new Map<string, number[]>();
  for (const [key, times] of byTarget)
    gaps.set(
      key,
      times.slice(1).map((t, i) => Math.round((t - (times[i] as number)) * 10) / 10),
    );
  return gaps;
}

function diffLists(step: StepName, what: string, k: string[], o: string[], out: Discrepancy[]): void {
  const onlyK = k.filter((x) => !o.includes(x));
  const onlyO = o.filter((x) => !k.includes(x));
  if (onlyK.length || onlyO.length)
    out.push({ step, what, keepalived: onlyK.join(' | ') || '-', ours: onlyO.join(' | ') || '-' });
  else if (k.join('\n') !== o.join('\n'))
    out.push({ step, what: `${what} (order)`, keepalived: k.join(' | '), ours: o.join(' | ') });
}

/** What differs between keepalived's run (`k`) and ours (`o`), step by step. */
export function compareRuns(k: RunObservation, o: RunObservation): Discrepancy[] {
  const out: Discrepancy[] = [];
  k.steps.forEach((ks, i) => {
    const os = o.steps[i];
    if (!os) return;
    const step = ks.step;
    // per instance: instances changing state at the same instant may log in either order
    const instances = [...new Set([...ks.transitions, ...os.transitions].map((t) => t.instance))];
    for (const name of instances) {
      const kt = ks.transitions.filter((t) => t.instance === name);
      const ot = os.transitions.filter((t) => t.instance === name);
      const show = (list: Transition[]): string => list.map((t) => `${t.state}@${t.ms}ms`).join(' ') || '-';
      if (kt.map((t) => t.state).join() !== ot.map((t) => t.state).join())
        out.push({ step, what: `transitions ${name}`, keepalived: show(kt), ours: show(ot) });
      else
        kt.forEach((t, j) => {
          const o = ot[j] as Transition;
          if (!timingAlike(step, t.ms, o.ms))
            out.push({
              step,
              what: `timing ${name}:${t.state}`,
              keepalived: `${t.ms} ms`,
              ours: `${o.ms} ms`,
            });
        });
    }
    diffLists(step, 'notify', [...ks.notify].sort(), [...os.notify].sort(), out);
    diffLists(step, 'addresses', ks.kernel.addresses, os.kernel.addresses, out);
    diffLists(step, 'routes', ks.kernel.routes, os.kernel.routes, out);
    diffLists(step, 'rules', ks.kernel.rules, os.kernel.rules, out);
    if (ks.pidFiles.join() !== os.pidFiles.join())
      out.push({
        step,
        what: 'pid files',
        keepalived: ks.pidFiles.join() || '-',
        ours: os.pidFiles.join() || '-',
      });
    if (ks.exitCode !== os.exitCode)
      out.push({ step, what: 'exit code', keepalived: String(ks.exitCode), ours: String(os.exitCode) });
    const kc = countByText(ks.frames);
    const oc = countByText(os.frames);
    for (const key of new Set([...kc.keys(), ...oc.keys()])) {
      const x = kc.get(key) ?? 0;
      const y = oc.get(key) ?? 0;
      // At SIGTERM, and as the link goes down, one periodic advert may or may not fall between the step's
      // start and the signal's arrival or the link's fall (a phase race, not a behaviour; CI saw it at a
      // link-down): only the priority-0 adverts must match exactly there.
      const phaseRace =
        (step === 'term' || step === 'link-down') && / advert /.test(key) && !/ prio 0 /.test(key);
      if (phaseRace && Math.abs(x - y) <= 1) continue;
      if (!countAlike(x, y) || (x === 0) !== (y === 0))
        out.push({ step, what: `frames ${key}`, keepalived: `${x}`, ours: `${y}` });
    }
    const kg = announcementGaps(ks.frames);
    const og = announcementGaps(os.frames);
    for (const [key, gaps] of kg) {
      const ours = og.get(key);
      if (!ours) continue;
      const big = (g: number[]): number[] => g.filter((x) => x >= 0.5);
      const kb = big(gaps);
      const ob = big(ours);
      if (kb.length !== ob.length || kb.some((g, j) => Math.abs(g - (ob[j] as number)) > 0.5))
        out.push({ step, what: `spacing ${key}`, keepalived: gaps.join(','), ours: ours.join(',') });
    }
  });
  return out;
}

/** A plain-text table of discrepancies. */
export function formatDiscrepancies(caseName: string, list: Discrepancy[]): string {
  if (!list.length) return `${caseName}: no discrepancy`;
  return [
    `${caseName}: ${list.length} discrepancies`,
    ...list.map(
      (d) => `  [${d.step}] ${d.what}\n      keepalived: ${d.keepalived}\n      ours:       ${d.ours}`,
    ),
  ].join('\n');
}

/** Runs keepalived-on-a and ours-on-a side by side (b is `peer`), returns both runs and their differences. */
export async function differential(
  c: DiffCase,
  peer: Implementation = 'keepalived',
): Promise<{ keepalived: RunObservation; ours: RunObservation; discrepancies: Discrepancy[] }> {
  const [keepalived, ours] = await Promise.all([
    runCase(c, { a: 'keepalived', b: 'keepalived' }, 'dk'),
    runCase(c, { a: 'ours', b: peer }, 'do'),
  ]);
  return { keepalived, ours, discrepancies: compareRuns(keepalived, ours) };
}
