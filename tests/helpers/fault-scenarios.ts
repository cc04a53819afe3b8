// The fault matrix (issue #14): each scenario builds routers on a namespace LAN of its own, injects one
// fault, asserts the expected outcome and its time bound, and returns what it measured. The kernel tests
// (tests/netns/daemon-faults*.test.ts) run each once, kept short; bench/faults.ts repeats them and prints
// the worst case of every figure (docs/reliability.md, Faults).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  assertNoLoss,
  assertNothingLeft,
  cutOff,
  dropAdvertsAtRandom,
  droppedAdverts,
  duplicateAdverts,
  flap,
  hostSnapshot,
  lossProblems,
  nft,
  reconnect,
  record,
  waitForNoLoss,
  type FaultFigure,
} from './fault-lab.js';
import { exec, run, waitForLine, type LanMember } from './netns.js';
import {
  globalDefs,
  hasAddress,
  instanceConfig,
  OURS_LAUNCHER,
  pidFileAlive,
  sleep,
  waitUntil,
  type Implementation,
  type InstanceSpec,
  type VrrpDaemon,
  type VrrpLab,
} from './vrrp-lab.js';

/** Advert interval of the fast scenarios (VRRPv3, seconds). */
export const ADVERT_S = 0.3;
/** Allowance for a shared, busy test host (two cores, other suites): netlink, logging, scheduling. */
export const SLACK_MS = 500;
/** Start of a Node daemon (parent, then child, then config) on that host, up to its first election. */
export const START_MS = 4000;
const VIP = '10.61.0.100';
const A = '10.61.0.1';

/** RFC 5798's Master_Down_Interval of a backup with `priority` (ms). */
export function masterDownMs(priority: number, advertS = ADVERT_S): number {
  return (3 * advertS + ((256 - priority) / 256) * advertS) * 1000;
}

function config(node: string, priority: number, spec: Partial<InstanceSpec> = {}, top = ''): string {
  return (
    globalDefs(node) +
    top +
    instanceConfig({
      name: 'VI_1',
      vrid: 61,
      version: 3,
      advertInt: ADVERT_S,
      priority,
      vips: [`${VIP}/24`],
      ...spec,
    })
  );
}

function logs(...daemons: VrrpDaemon[]): () => string {
  return () => daemons.map((d) => d.log(25)).join('\n');
}

/** How many times `instance` entered `state` at or after log position `since`. */
function entered(d: VrrpDaemon, state: string, since = 0, instance = 'VI_1'): number {
  const re = new RegExp(`\\(${instance}\\) Entering ${state} STATE`, 'i');
  return d.lines.slice(since).filter((l) => re.test(l)).length;
}

/** a (priority 200) MASTER and b (100) BACKUP on 10.61.0.0/24, settled. */
async function masterAndBackup(
  lab: VrrpLab,
  impl: Implementation,
  spec: Partial<InstanceSpec> = {},
  subsystems?: string[],
): Promise<{ a: LanMember; b: LanMember; da: VrrpDaemon; db: VrrpDaemon }> {
  const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.61.0' }) as [LanMember, LanMember];
  const da = lab.start(impl, a, 'a', config('a', 200, spec), subsystems);
  await da.waitForState('VI_1', 'MASTER', 15_000);
  const db = lab.start(impl, b, 'b', config('b', 100, spec), subsystems);
  await db.waitForState('VI_1', 'BACKUP', 15_000);
  await waitForNoLoss([a, b], { [VIP]: a.ns }, Date.now(), 3000, 0, logs(da, db));
  return { a, b, da, db };
}

// ---------------------------------------------------------------------------------------------------
// Crash, loss of a host, flapping, partition

/** The master's whole process tree SIGKILLed, then restarted. */
export async function masterCrash(lab: VrrpLab, impl: Implementation): Promise<FaultFigure[]> {
  const { a, b, da, db } = await masterAndBackup(lab, impl);
  const since = db.mark();
  const killedAt = Date.now();
  await da.kill9();
  const m = await db.waitForState('VI_1', 'MASTER', 5000, since);
  const takeover = record(
    {
      fault: 'master crash',
      what: 'SIGKILL of the tree -> backup MASTER',
      value: m.at - killedAt,
      bound: masterDownMs(100) + SLACK_MS,
      unit: 'ms',
    },
    db.log(),
  );
  // A killed daemon cannot remove its VIP: the kernel keeps it on a (keepalived's too) until a restarts.
  const stale = hasAddress(a.ns, VIP) ? 1 : 0;
  const restartAt = Date.now();
  const da2 = lab.start(impl, a, 'a2', config('a', 200));
  const back = await waitForNoLoss([a, b], { [VIP]: a.ns }, restartAt, 20_000, 1000, logs(da2, db));
  const restart = record(
    {
      fault: 'master crash',
      what: 'restart -> VIP on a only (stale one removed, preempted)',
      value: back,
      bound: START_MS + masterDownMs(200) + SLACK_MS,
      unit: 'ms',
    },
    logs(da2, db)(),
  );
  return [
    takeover,
    restart,
    { fault: 'master crash', what: 'stale VIP left by the kill', value: stale, bound: 1, unit: 'count' },
  ];
}

/** The master cut off the LAN (its bridge port leaves the bridge), then put back. */
export async function hostLoss(lab: VrrpLab, impl: Implementation): Promise<FaultFigure[]> {
  const { a, b, da, db } = await masterAndBackup(lab, impl);
  const since = db.mark();
  const cutAt = Date.now();
  cutOff(lab, 0);
  const m = await db.waitForState('VI_1', 'MASTER', 5000, since);
  const takeover = record(
    {
      fault: 'host loss',
      what: 'cut -> backup MASTER',
      value: m.at - cutAt,
      bound: masterDownMs(100) + SLACK_MS,
      unit: 'ms',
    },
    db.log(),
  );
  await waitForNoLoss([b], { [VIP]: b.ns }, cutAt, 3000, 0, logs(db));
  const healAt = Date.now();
  reconnect(lab, 0);
  const healed = await waitForNoLoss([a, b], { [VIP]: a.ns }, healAt, 5000, 500, logs(da, db));
  const heal = record(
    {
      fault: 'host loss',
      what: 'reconnect -> VIP on a only',
      value: healed,
      bound: ADVERT_S * 1000 + SLACK_MS,
      unit: 'ms',
    },
    logs(da, db)(),
  );
  return [takeover, heal];
}

/** a's link flapping (carrier down/up every `periodMs`) for `durationMs`; then it must settle. */
export async function linkFlap(
  lab: VrrpLab,
  impl: Implementation,
  durationMs: number,
  periodMs = 200,
): Promise<FaultFigure[]> {
  const { a, b, da, db } = await masterAndBackup(lab, impl);
  const sinceA = da.mark();
  const flaps = await flap(lab, a, 0, periodMs, durationMs);
  const upAt = Date.now();
  const settled = await waitForNoLoss([a, b], { [VIP]: a.ns }, upAt, 15_000, 1000, logs(da, db));
  assert.ok(da.running && db.running, `a daemon died while flapping\n${logs(da, db)()}`);
  return [
    record(
      {
        fault: `link flap ${periodMs} ms x ${flaps}`,
        what: 'last up -> VIP on a only (stable 1 s)',
        value: settled,
        bound: masterDownMs(200) + ADVERT_S * 1000 + SLACK_MS,
        unit: 'ms',
      },
      logs(da, db)(),
    ),
    {
      fault: `link flap ${periodMs} ms x ${flaps}`,
      what: 'FAULT entries of a',
      value: entered(da, 'FAULT', sinceA),
      bound: flaps,
      unit: 'count',
    },
  ];
}

/** Three routers; the master is partitioned off, then the partition heals. */
export async function partition(lab: VrrpLab, impl: Implementation): Promise<FaultFigure[]> {
  const [a, b, c] = lab.routers(['a', 'b', 'c'], { ipv4: '10.61.0' }) as [LanMember, LanMember, LanMember];
  // b's and c's Master_Down_Intervals (RFC 5798's skew) as far apart as priorities allow (~290 ms at a
  // 300 ms interval): b's first advert must reach c before c's own timer ends, even on a busy host.
  const da = lab.start(impl, a, 'a', config('a', 254));
  await da.waitForState('VI_1', 'MASTER', 15_000);
  const db = lab.start(impl, b, 'b', config('b', 253));
  const dc = lab.start(impl, c, 'c', config('c', 1));
  await db.waitForState('VI_1', 'BACKUP', 15_000);
  await dc.waitForState('VI_1', 'BACKUP', 15_000);
  const all = [a, b, c];
  await waitForNoLoss(all, { [VIP]: a.ns }, Date.now(), 3000, 0, logs(da, db, dc));
  const sinceB = db.mark();
  const sinceC = dc.mark();
  const cutAt = Date.now();
  cutOff(lab, 0);
  const m = await db.waitForState('VI_1', 'MASTER', 5000, sinceB);
  await waitForNoLoss([b, c], { [VIP]: b.ns }, cutAt, 3000, 300, logs(db, dc));
  assert.equal(entered(dc, 'MASTER', sinceC), 0, `c (lowest) must stay BACKUP\n${dc.log()}`);
  const takeover = record(
    {
      fault: 'partition (3 routers)',
      what: 'cut -> b MASTER',
      value: m.at - cutAt,
      bound: masterDownMs(253) + SLACK_MS,
      unit: 'ms',
    },
    db.log(),
  );
  const healMark = db.mark();
  const healAt = Date.now();
  reconnect(lab, 0);
  const yielded = await db.waitForState('VI_1', 'BACKUP', 5000, healMark);
  const one = record(
    {
      fault: 'partition (3 routers)',
      what: 'heal -> exactly one MASTER (b yields)',
      value: yielded.at - healAt,
      bound: ADVERT_S * 1000 + 100,
      unit: 'ms',
    },
    db.log(),
  );
  const clean = await waitForNoLoss(all, { [VIP]: a.ns }, healAt, 5000, 500, logs(da, db, dc));
  const vips = record(
    {
      fault: 'partition (3 routers)',
      what: 'heal -> VIP on a only',
      value: clean,
      bound: ADVERT_S * 1000 + SLACK_MS,
      unit: 'ms',
    },
    logs(da, db, dc)(),
  );
  return [takeover, one, vips];
}

// ---------------------------------------------------------------------------------------------------
// Advert loss, duplication, delay and reordering

/** P(a backup sees a flap) per advert: the 3 adverts after any one it received are all lost. */
export function expectedFlaps(lossRatio: number, adverts: number): number {
  return adverts * (1 - lossRatio) * lossRatio ** 3;
}

/**
 * `percent` % of a's adverts lost at b (nftables numgen random in b's namespace) for `durationS`, default
 * timers (VRRPv2, advert_int 1): b's MASTER entries against what P(3 lost in a row) predicts.
 */
export async function advertLoss(
  lab: VrrpLab,
  impl: Implementation,
  percent: number,
  durationS: number,
): Promise<FaultFigure[]> {
  const { b, da, db } = await masterAndBackup(lab, impl, { version: 2, advertInt: 1 });
  dropAdvertsAtRandom(b.ns, b.ifname, percent);
  const since = db.mark();
  await sleep(durationS * 1000);
  const flaps = entered(db, 'MASTER', since);
  const expected = expectedFlaps(percent / 100, durationS);
  // Poisson: the count may exceed its mean by chance; three standard deviations, at least one flap above.
  const bound = percent <= 5 ? 0 : Math.ceil(expected + 3 * Math.sqrt(expected)) + 1;
  const dropped = droppedAdverts(b.ns);
  assert.ok(da.running && db.running, logs(da, db)());
  return [
    record(
      {
        fault: `advert loss ${percent} % for ${durationS} s`,
        what: `backup MASTER entries (expected ${expected.toFixed(2)}; ${dropped} dropped)`,
        value: flaps,
        bound,
        unit: 'count',
      },
      logs(da, db)(),
    ),
  ];
}

/** Every advert of a reaches b twice (nftables dup in the bridge's namespace) for `durationMs`. */
export async function duplicatedAdverts(
  lab: VrrpLab,
  impl: Implementation,
  durationMs: number,
): Promise<FaultFigure[]> {
  const { a, b, da, db } = await masterAndBackup(lab, impl);
  duplicateAdverts(lab, 0, 1);
  const since = db.mark();
  const sinceA = da.mark();
  await sleep(durationMs);
  assertNoLoss([a, b], { [VIP]: a.ns }, logs(da, db)());
  const changes = entered(db, 'MASTER', since) + entered(da, 'BACKUP', sinceA);
  return [
    record(
      { fault: 'duplicated adverts', what: 'state changes', value: changes, bound: 0, unit: 'count' },
      logs(da, db)(),
    ),
  ];
}

const RELAY_AGENT = fileURLToPath(new URL('../netns/fault-relay.agent.js', import.meta.url));

/**
 * b hears a's adverts only through a relay on the LAN that delays each by a random 0..`maxDelayMs`: with a
 * spread wider than the interval they arrive reordered; below master-down minus the interval, no flap.
 */
export async function delayedAdverts(
  lab: VrrpLab,
  impl: Implementation,
  durationMs: number,
  maxDelayMs = 1.5 * ADVERT_S * 1000,
): Promise<FaultFigure[]> {
  const [a, b, r] = lab.routers(['a', 'b', 'r'], { ipv4: '10.61.0', hosts: [1, 2, 9] }) as [
    LanMember,
    LanMember,
    LanMember,
  ];
  const da = lab.start(impl, a, 'a', config('a', 200));
  await da.waitForState('VI_1', 'MASTER', 15_000);
  const db = lab.start(impl, b, 'b', config('b', 100));
  await db.waitForState('VI_1', 'BACKUP', 15_000);
  const relay = lab.spawnOther(r.ns, [process.execPath, RELAY_AGENT, r.ifname, A, '0', String(maxDelayMs)]);
  await waitForLine(relay, (l) => l === 'ready', 10_000);
  nft(
    b.ns,
    `table netdev kts_fault_direct {\n  chain ingress {\n    type filter hook ingress device ${b.ifname} priority 0;\n` +
      `    ether saddr ${a.mac} ip protocol 112 counter drop\n  }\n}\n`,
  );
  const since = db.mark();
  await sleep(durationMs);
  const changes = entered(db, 'MASTER', since);
  assertNoLoss([a, b], { [VIP]: a.ns }, logs(da, db)());
  return [
    record(
      {
        fault: `adverts delayed 0-${maxDelayMs.toFixed(0)} ms (reordered)`,
        what: 'backup MASTER entries',
        value: changes,
        bound: 0,
        unit: 'count',
      },
      logs(da, db)(),
    ),
  ];
}

// ---------------------------------------------------------------------------------------------------
// Tracker scripts

/**
 * A track_script that behaves as `mode` file says: pass, fail, hang (sleeps past its timeout), flood (20 MB
 * on stdout), flap (fails every other run).
 */
function trackedScript(lab: VrrpLab): { script: string; mode: (m: string) => void; top: string } {
  const modeFile = lab.writeFile('mode', 'pass\n');
  const flip = `${lab.dir}/flip`;
  const script = lab.writeScript(
    'tracker.sh',
    [
      `case "$(cat ${modeFile})" in`,
      '  hang) exec sleep 30 ;;',
      '  fail) exit 1 ;;',
      "  flood) head -c 20000000 /dev/zero | tr '\\0' x; exit 0 ;;",
      `  flap) if [ -e ${flip} ]; then rm -f ${flip}; exit 1; else : > ${flip}; exit 0; fi ;;`,
      '  *) exit 0 ;;',
      'esac',
    ].join('\n'),
  );
  const top =
    'vrrp_script chk {\n' + `  script "${script}"\n  interval 1\n  timeout 1\n  fall 1\n  rise 1\n}\n`;
  return { script, mode: (m) => lab.writeFile('mode', `${m}\n`), top };
}

/** Processes in `ns` whose command line contains `needle`. */
function processesIn(ns: string, needle: string): number {
  const pids = exec(['ip', 'netns', 'pids', ns]).stdout.split(/\s+/).filter(Boolean);
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(needle);
    } catch {
      return false;
    }
  }).length;
}

function rssMb(pidFile: string): number {
  const pid = readFileSync(pidFile, 'utf8').trim();
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** A tracker script that hangs, one that floods its output, one that flaps. */
export async function trackerScripts(lab: VrrpLab, impl: Implementation): Promise<FaultFigure[]> {
  const [a] = lab.routers(['a', 'x'], { ipv4: '10.61.0' }) as [LanMember];
  const t = trackedScript(lab);
  const d = lab.start(impl, a, 'a', config('a', 200, { trackScripts: ['chk'] }, t.top));
  await d.waitForState('VI_1', 'MASTER', 15_000);
  const figures: FaultFigure[] = [];

  // hang: the timeout fails it; the hung script is killed, not left to pile up
  let since = d.mark();
  let at = Date.now();
  t.mode('hang');
  const fault = await d.waitForState('VI_1', 'FAULT', 6000, since);
  figures.push(
    record(
      {
        fault: 'tracker hangs',
        what: 'hang -> FAULT',
        value: fault.at - at,
        bound: 2000 + SLACK_MS + 1000,
        unit: 'ms',
      },
      d.log(),
    ),
  );
  await sleep(4000);
  figures.push(
    record(
      {
        fault: 'tracker hangs',
        what: 'hung scripts alive after 4 runs',
        value: processesIn(a.ns, 'sleep 30'),
        bound: 1,
        unit: 'count',
      },
      d.log(),
    ),
  );
  since = d.mark();
  at = Date.now();
  t.mode('pass');
  const back = await d.waitForState('VI_1', 'MASTER', 6000, since);
  figures.push(
    record(
      {
        fault: 'tracker hangs',
        what: 'pass again -> MASTER',
        value: back.at - at,
        bound: 2000 + masterDownMs(200) + SLACK_MS,
        unit: 'ms',
      },
      d.log(),
    ),
  );

  // flood: 20 MB of output a run changes nothing (keepalived sends it to /dev/null too)
  const before = rssMb(d.files.vrrpPid);
  since = d.mark();
  t.mode('flood');
  await sleep(5000);
  t.mode('pass');
  figures.push(
    record(
      {
        fault: 'tracker floods',
        what: 'state changes in 5 runs',
        value: entered(d, 'FAULT', since) + entered(d, 'BACKUP', since),
        bound: 0,
        unit: 'count',
      },
      d.log(),
    ),
    record(
      {
        fault: 'tracker floods',
        what: 'VRRP child RSS growth (MB)',
        value: Math.max(0, rssMb(d.files.vrrpPid) - before),
        bound: 50,
        unit: 'count',
      },
      d.log(),
    ),
  );

  // flap: FAULT / MASTER alternate while it flaps; once it passes, MASTER with the VIP
  since = d.mark();
  t.mode('flap');
  await sleep(5000);
  const flapped = entered(d, 'FAULT', since);
  at = Date.now();
  t.mode('pass');
  const settled = await waitForNoLoss([a], { [VIP]: a.ns }, at, 8000, 1500, logs(d));
  assert.equal(d.state('VI_1'), 'MASTER', d.log());
  figures.push(
    { fault: 'tracker flaps', what: 'FAULT entries in 5 s', value: flapped, bound: 5, unit: 'count' },
    record(
      {
        fault: 'tracker flaps',
        what: 'pass again -> MASTER with VIP, stable 1.5 s',
        value: settled,
        bound: 2000 + masterDownMs(200) + SLACK_MS,
        unit: 'ms',
      },
      d.log(),
    ),
  );
  assert.ok(d.running, d.log());
  return figures;
}

// ---------------------------------------------------------------------------------------------------
// Children and parent killed

function pidIn(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs (a zombie does not: an orphan waits for the host's init to reap it). */
function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * One child (VRRP, checker, BFD) SIGKILLed on a lone master running all three (--all): the parent starts
 * a new one; the VIP stays (checker, BFD) or is back within the bound (VRRP: the new child starts as
 * BACKUP, clears the dead one's VIP and wins the election after master-down).
 */
export async function childKilled(lab: VrrpLab, kind: 'vrrp' | 'checker' | 'bfd'): Promise<FaultFigure[]> {
  const [a] = lab.routers(['a', 'x'], { ipv4: '10.61.0' }) as [LanMember];
  const d = lab.start('ours', a, 'a', config('a', 200), ['--all']);
  await d.waitForState('VI_1', 'MASTER', 15_000);
  await waitUntil(() => hasAddress(a.ns, VIP), 'VIP', 5000);
  const files = { vrrp: d.files.vrrpPid, checker: d.files.checkersPid, bfd: d.files.bfdPid };
  await waitUntil(() => pidFileAlive(files[kind]), `${kind} pid file`, 10_000);
  const old = pidIn(files[kind]) as number;
  const since = d.mark();
  const killedAt = Date.now();
  process.kill(old, 'SIGKILL');
  const respawned = await waitUntil(
    () => {
      const pid = pidIn(files[kind]);
      return pid !== undefined && pid !== old && alive(pid) ? Date.now() : undefined;
    },
    () => `a new ${kind} child\n${d.log()}`,
    10_000,
    20,
  );
  const figures = [
    record(
      {
        fault: `${kind} child SIGKILL`,
        what: 'kill -> new child running',
        value: respawned - killedAt,
        bound: START_MS,
        unit: 'ms',
      },
      d.log(),
    ),
  ];
  if (kind === 'vrrp') {
    await d.waitForState('VI_1', 'MASTER', START_MS + 5000, since);
    const restored = await waitForNoLoss([a], { [VIP]: a.ns }, killedAt, 5000, 500, logs(d));
    figures.push(
      record(
        {
          fault: 'vrrp child SIGKILL',
          what: 'kill -> MASTER with VIP again',
          value: restored,
          bound: START_MS + masterDownMs(200) + SLACK_MS,
          unit: 'ms',
        },
        d.log(),
      ),
    );
  } else {
    // the VIP never moves: checked every 20 ms for 2 s after the new child is up
    const until = Date.now() + 2000;
    let gaps = 0;
    while (Date.now() < until) {
      if (lossProblems([a], { [VIP]: a.ns }).length > 0) gaps++;
      await sleep(20);
    }
    figures.push(
      record(
        { fault: `${kind} child SIGKILL`, what: 'VIP missing (polls)', value: gaps, bound: 0, unit: 'count' },
        d.log(),
      ),
    );
    assert.equal(entered(d, 'BACKUP', since) + entered(d, 'FAULT', since), 0, d.log());
  }
  assert.ok(d.running, d.log());
  return figures;
}

/**
 * The parent SIGKILLed (children left): they must stop as keepalived's do on PR_SET_PDEATHSIG's SIGTERM:
 * priority 0 on the wire, VIP removed, nothing left behind, no child left running.
 */
export async function parentKilled(lab: VrrpLab): Promise<FaultFigure[]> {
  const [a, obs] = lab.routers(['a', 'obs'], { ipv4: '10.61.0', hosts: [1, 9] }) as [LanMember, LanMember];
  const before = hostSnapshot(a.ns);
  const d = lab.start('ours', a, 'a', config('a', 200), ['--all']);
  await d.waitForState('VI_1', 'MASTER', 15_000);
  const files = [d.files.vrrpPid, d.files.checkersPid, d.files.bfdPid];
  await waitUntil(() => files.every(pidFileAlive), 'child pid files', 10_000);
  const children = files.map((f) => pidIn(f) as number);
  const capture = await lab.capture(obs.ns);
  await sleep(500);
  const killedAt = Date.now();
  process.kill(d.child.pid as number, 'SIGKILL');
  // when each thing happened: the VIP removed, each child gone
  const when: Record<string, number> = {};
  await waitUntil(
    () => {
      const now = Date.now();
      if (when.vip === undefined && !hasAddress(a.ns, VIP)) when.vip = now - killedAt;
      children.forEach((p, i) => {
        const name = ['vrrp', 'checker', 'bfd'][i] as string;
        if (when[name] === undefined && !alive(p)) when[name] = now - killedAt;
      });
      return Object.keys(when).length === 4;
    },
    () => `children gone and VIP removed (${JSON.stringify(when)})\n${d.log()}`,
    10_000,
    20,
  );
  const gone = killedAt + Math.max(...Object.values(when));
  console.log(`parent SIGKILL: ${JSON.stringify(when)} ms after the kill`);
  const adverts = await capture.stop();
  const last = adverts.filter((x) => x.src === A).at(-1);
  assert.equal(last?.priority, 0, `a's last advert: ${JSON.stringify(last)}\n${d.log()}`);
  assertNothingLeft(a.ns, before);
  return [
    record(
      {
        fault: 'parent SIGKILL',
        what: 'kill -> children exited, VIP removed, priority 0 sent',
        value: gone - killedAt,
        bound: 2000,
        unit: 'ms',
      },
      d.log(),
    ),
  ];
}

// ---------------------------------------------------------------------------------------------------
// Reloads

const VIP2 = '10.61.0.102';
const VIP3 = '10.61.0.103';

function twoInstances(vi2Priority: number, vi2Vips: string[]): string {
  return (
    globalDefs('a') +
    instanceConfig({
      name: 'VI_1',
      vrid: 61,
      version: 3,
      advertInt: ADVERT_S,
      priority: 200,
      vips: [`${VIP}/24`],
    }) +
    instanceConfig({
      name: 'VI_2',
      vrid: 62,
      version: 3,
      advertInt: ADVERT_S,
      priority: vi2Priority,
      vips: vi2Vips.map((v) => `${v}/24`),
    })
  );
}

/** Writes the config through a rename, so that a reload never reads half a file. */
function writeConfig(lab: VrrpLab, d: VrrpDaemon, text: string): void {
  const tmp = lab.writeFile('next.conf', text);
  run(['mv', '-f', tmp, d.files.config]);
}

/**
 * SIGHUP with VI_2 changed (priority, one VIP more) while VI_1 is unchanged: VI_1's VIP never leaves
 * (`ip monitor address` sees no deletion of it); then 100 SIGHUPs in a second with the file switching
 * between two configs: the daemon survives and ends on the last one.
 */
export async function reloads(lab: VrrpLab, impl: Implementation): Promise<FaultFigure[]> {
  const [a] = lab.routers(['a', 'x'], { ipv4: '10.61.0' }) as [LanMember];
  const d = lab.start(impl, a, 'a', twoInstances(150, [VIP2]));
  await d.waitForState('VI_1', 'MASTER', 15_000);
  await d.waitForState('VI_2', 'MASTER', 15_000);
  await waitUntil(() => hasAddress(a.ns, VIP) && hasAddress(a.ns, VIP2), 'both VIPs', 5000);
  const monitor = lab.spawnOther(a.ns, ['ip', 'monitor', 'address']);
  let events = '';
  monitor.stdout?.on('data', (c: string) => (events += c));
  await sleep(300);
  writeConfig(lab, d, twoInstances(160, [VIP2, VIP3]));
  const hupAt = Date.now();
  process.kill(d.child.pid as number, 'SIGHUP');
  const applied = await waitUntil(
    () => (hasAddress(a.ns, VIP3) ? Date.now() : undefined),
    () => `VIP3\n${d.log()}`,
    10_000,
    20,
  );
  await sleep(1000);
  const vi1Deleted = events
    .split('\n')
    .filter((l) => l.startsWith('Deleted') && l.includes(`${VIP}/`)).length;
  const figures = [
    record(
      {
        fault: 'SIGHUP, config changed',
        what: 'HUP -> new VIP set',
        value: applied - hupAt,
        bound: 2000 + SLACK_MS,
        unit: 'ms',
      },
      d.log(),
    ),
    record(
      {
        fault: 'SIGHUP, config changed',
        what: 'unchanged instance VIP deletions',
        value: vi1Deleted,
        bound: 0,
        unit: 'count',
      },
      `${events}\n${d.log()}`,
    ),
  ];

  // the storm: 100 HUPs in a second, the file switching between two configs, the last with VIP2 only
  const configs = [twoInstances(150, [VIP2]), twoInstances(160, [VIP2, VIP3])];
  const pid = d.child.pid as number;
  for (let i = 0; i < 100; i++) {
    writeConfig(lab, d, configs[(i + 1) % 2] as string);
    process.kill(pid, 'SIGHUP');
    await sleep(10);
  }
  const lastAt = Date.now();
  const settled = await waitForNoLoss(
    [a],
    { [VIP]: a.ns, [VIP2]: a.ns, [VIP3]: undefined },
    lastAt,
    20_000,
    2000,
    logs(d),
  );
  assert.ok(d.running, d.log());
  assert.equal(d.state('VI_1'), 'MASTER', d.log());
  figures.push(
    record(
      {
        fault: 'SIGHUP storm (100 in 1 s)',
        what: 'last HUP -> last config applied, stable 2 s',
        value: settled,
        bound: 10_000,
        unit: 'ms',
      },
      d.log(),
    ),
  );
  return figures;
}

// ---------------------------------------------------------------------------------------------------
// Interfaces and addresses

/** a's interface deleted (b takes over), then recreated on the LAN with its address (a MASTER again). */
export async function interfaceRecreated(lab: VrrpLab, impl: Implementation): Promise<FaultFigure[]> {
  const { a, b, da, db } = await masterAndBackup(lab, impl);
  const since = db.mark();
  const delAt = Date.now();
  run(['ip', '-n', a.ns, 'link', 'del', a.ifname]);
  const m = await db.waitForState('VI_1', 'MASTER', 5000, since);
  const takeover = record(
    {
      fault: 'interface deleted',
      what: 'delete -> backup MASTER',
      value: m.at - delAt,
      bound: masterDownMs(100) + SLACK_MS,
      unit: 'ms',
    },
    logs(da, db)(),
  );
  assert.ok(da.running, `a survives its interface going\n${da.log()}`);
  const brNs = `${lab.net.prefix}-br0`;
  const addAt = Date.now();
  run(['ip', '-n', a.ns, 'link', 'add', a.ifname, 'type', 'veth', 'peer', 'name', 'port0', 'netns', brNs]);
  run(['ip', '-n', brNs, 'link', 'set', 'port0', 'master', 'br0', 'up']);
  run(['ip', '-n', a.ns, 'link', 'set', a.ifname, 'up']);
  run(['ip', '-n', a.ns, 'addr', 'add', `${A}/24`, 'dev', a.ifname]);
  const back = await waitForNoLoss([a, b], { [VIP]: a.ns }, addAt, 15_000, 1000, logs(da, db));
  return [
    takeover,
    record(
      {
        fault: 'interface deleted',
        what: 'recreated -> VIP on a only',
        value: back,
        bound: masterDownMs(200) + 1000 + SLACK_MS,
        unit: 'ms',
      },
      logs(da, db)(),
    ),
  ];
}

/** a's interface renamed (eth0 -> eth9: the configured name is gone), then renamed back. */
export async function interfaceRenamed(lab: VrrpLab, impl: Implementation): Promise<FaultFigure[]> {
  const { a, b, da, db } = await masterAndBackup(lab, impl);
  const since = db.mark();
  const at = Date.now();
  run(['ip', '-n', a.ns, 'link', 'set', a.ifname, 'down']);
  run(['ip', '-n', a.ns, 'link', 'set', a.ifname, 'name', 'eth9']);
  run(['ip', '-n', a.ns, 'link', 'set', 'eth9', 'up']);
  const m = await db.waitForState('VI_1', 'MASTER', 5000, since);
  const takeover = record(
    {
      fault: 'interface renamed',
      what: 'rename -> backup MASTER',
      value: m.at - at,
      bound: masterDownMs(100) + SLACK_MS,
      unit: 'ms',
    },
    logs(da, db)(),
  );
  await sleep(1000);
  const backAt = Date.now();
  run(['ip', '-n', a.ns, 'link', 'set', 'eth9', 'down']);
  run(['ip', '-n', a.ns, 'link', 'set', 'eth9', 'name', a.ifname]);
  run(['ip', '-n', a.ns, 'link', 'set', a.ifname, 'up']);
  const back = await waitForNoLoss([a, b], { [VIP]: a.ns }, backAt, 15_000, 1000, logs(da, db));
  return [
    takeover,
    record(
      {
        fault: 'interface renamed',
        what: 'renamed back -> VIP on a only',
        value: back,
        bound: masterDownMs(200) + 1000 + SLACK_MS,
        unit: 'ms',
      },
      logs(da, db)(),
    ),
  ];
}

/**
 * a's own address changed (.1 -> .11, with promote_secondaries as on a router): keepalived 2.2.7 downs an
 * instance whose source address goes (keepalived_netlink.c) and brings it back on the new one; the LAN
 * must be back to the VIP on a alone, a's adverts coming from .11.
 */
export async function addressChanged(lab: VrrpLab, impl: Implementation): Promise<FaultFigure[]> {
  const { a, b, da, db } = await masterAndBackup(lab, impl);
  const sinceA = da.mark();
  // Without promote_secondaries the kernel deletes every secondary of the subnet with the old primary.
  run(['ip', 'netns', 'exec', a.ns, 'sysctl', '-q', '-w', `net.ipv4.conf.${a.ifname}.promote_secondaries=1`]);
  const at = Date.now();
  run(['ip', '-n', a.ns, 'addr', 'add', '10.61.0.11/24', 'dev', a.ifname]);
  run(['ip', '-n', a.ns, 'addr', 'del', `${A}/24`, 'dev', a.ifname]);
  const back = await waitForNoLoss([a, b], { [VIP]: a.ns }, at, 10_000, 1000, logs(da, db));
  const capture = await lab.capture(b.ns);
  await sleep(2000);
  const adverts = await capture.stop();
  const sources = [...new Set(adverts.filter((x) => x.priority === 200).map((x) => x.src))];
  assert.deepEqual(sources, ['10.61.0.11'], `a's adverts come from ${sources.join(', ')}\n${da.log()}`);
  return [
    record(
      {
        fault: 'own address changed',
        what: `change -> VIP on a only, adverts from the new address (${entered(da, 'FAULT', sinceA) + entered(da, 'BACKUP', sinceA)} transitions)`,
        value: back,
        bound: masterDownMs(200) + 1000 + SLACK_MS,
        unit: 'ms',
      },
      logs(da, db)(),
    ),
  ];
}

/**
 * A VIP deleted by hand on the master: as keepalived 2.2.7 (set_vrrp_backup), it leaves MASTER (priority
 * 0, BACKUP notified) and takes over again after its skew time, setting the VIP anew; b stays BACKUP.
 */
export async function vipRemoved(lab: VrrpLab, impl: Implementation): Promise<FaultFigure[]> {
  const { a, b, da, db } = await masterAndBackup(lab, impl);
  const sinceA = da.mark();
  const sinceB = db.mark();
  const at = Date.now();
  run(['ip', '-n', a.ns, 'addr', 'del', `${VIP}/24`, 'dev', a.ifname]);
  await da.waitForState('VI_1', 'MASTER', 5000, sinceA);
  const back = await waitForNoLoss([a, b], { [VIP]: a.ns }, at, 5000, 1000, logs(da, db));
  assert.equal(entered(da, 'BACKUP', sinceA), 1, `a passes through BACKUP once\n${da.log()}`);
  assert.equal(entered(db, 'MASTER', sinceB), 0, `b stays BACKUP\n${db.log()}`);
  return [
    record(
      {
        fault: 'VIP removed by hand',
        what: 'removal -> VIP back on a only (via BACKUP, skew time)',
        value: back,
        bound: ADVERT_S * 1000 + SLACK_MS,
        unit: 'ms',
      },
      logs(da, db)(),
    ),
  ];
}

// ---------------------------------------------------------------------------------------------------
// Resource limits

/**
 * Our daemon under `prlimit` (`limit` e.g. '--nofile=20:20', '--as=300000000'): within 20 s it either runs
 * (MASTER with the VIP) or has exited non-zero saying why; never alive without the VIP and silent.
 */
export async function resourceLimit(lab: VrrpLab, limit: string, why: RegExp): Promise<'runs' | 'exits'> {
  // a child that cannot start stops the whole daemon, saying so (keepalived's "permanent error")
  const [a] = lab.routers(['a', 'x'], { ipv4: '10.61.0' }) as [LanMember];
  const files = lab.daemonFiles('lim');
  lab.writeFile('lim.conf', config('a', 200));
  const argv = [
    'prlimit',
    limit,
    process.execPath,
    OURS_LAUNCHER,
    '-P',
    '-n',
    '-l',
    '-D',
    ...lab.fileArgs({ ...files, config: `${lab.dir}/lim.conf` }),
  ];
  const d = lab.startOther('lim', a.ns, argv, { impl: 'ours', files });
  const outcome = await waitUntil(
    () => (!d.running ? 'exits' : hasAddress(a.ns, VIP) ? 'runs' : undefined),
    () => `${limit}: neither running with the VIP nor exited\n${d.log()}`,
    20_000,
  );
  if (outcome === 'exits') {
    assert.notEqual(d.exitCode, 0, d.log());
    assert.ok(
      d.lines.some((l) => why.test(l)),
      `${limit}: exited without saying why (${why})\n${d.log()}`,
    );
    // Which process runs out first depends on how many files Node's module loader opens at once: the
    // parent before it starts anything (its own error is all there is to say), or a child, which must
    // then stop the whole daemon as keepalived's permanent error does.
    if (d.lines.some((l) => /Starting (VRRP|Healthcheck|BFD) child process/.test(l)))
      assert.ok(
        d.lines.some((l) => /exited with permanent error FATAL\. Terminating/.test(l)),
        `${limit}: the parent did not stop for its child's failure\n${d.log()}`,
      );
  } else {
    await sleep(2000);
    assert.ok(d.running && hasAddress(a.ns, VIP), `${limit}: ran, then stopped\n${d.log()}`);
  }
  return outcome;
}

// ---------------------------------------------------------------------------------------------------
// SIGTERM's priority-0 advert

/**
 * `stops` starts and SIGTERMs of a lone master, a capture running on an observer throughout: every stop
 * must put a priority-0 advert on the wire. Returns the stops whose advert was missing (with its log).
 */
export async function termPriorityZero(
  lab: VrrpLab,
  impl: Implementation,
  stops: number,
): Promise<{ figures: FaultFigure[]; missing: string[] }> {
  const [a, obs] = lab.routers(['a', 'obs'], { ipv4: '10.61.0', hosts: [1, 9] }) as [LanMember, LanMember];
  const capture = await lab.capture(obs.ns);
  const logsOf: string[] = [];
  for (let i = 0; i < stops; i++) {
    const d = lab.start(impl, a, `t${i}`, config('a', 200, { state: 'MASTER', advertInt: 1 }));
    await d.waitForState('VI_1', 'MASTER', 15_000);
    await waitUntil(() => hasAddress(a.ns, VIP), 'VIP', 5000);
    // a stop at a random point of the advert period
    await sleep(Math.random() * 1000);
    assert.equal(await d.stop('SIGTERM'), 0, d.log());
    logsOf.push(d.log(15));
  }
  await sleep(500);
  const adverts = await capture.stop();
  // Each run is priority-200 adverts (the first sent as it starts MASTER) that a stop ends with priority 0.
  const ofA = adverts.filter((x) => x.src === A).map((x) => x.priority);
  const runs: { ended: boolean }[] = [];
  for (const [i, p] of ofA.entries()) {
    if (p !== 0 && (i === 0 || ofA[i - 1] === 0)) runs.push({ ended: false });
    if (p === 0 && runs.length > 0) (runs.at(-1) as { ended: boolean }).ended = true;
  }
  assert.equal(runs.length, stops, `runs of adverts seen: ${runs.length} for ${stops} starts`);
  const missing = runs.flatMap((r, i) => (r.ended ? [] : [logsOf[i] as string]));
  return {
    figures: [
      record(
        {
          fault: 'SIGTERM priority 0',
          what: `stops without priority 0 on the wire (of ${stops})`,
          value: missing.length,
          bound: 0,
          unit: 'count',
        },
        missing.slice(0, 3).join('\n'),
      ),
    ],
    missing,
  };
}
