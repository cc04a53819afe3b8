// What the fault tests (tests/netns/daemon-faults*.test.ts) and bench/faults.ts share: the loss check (the
// VIPs on a LAN are exactly where the masters should hold them, none twice, none missing), a host
// snapshot that proves nothing was left behind, and the faults themselves, all inside the lab's
// namespaces: a router cut off its LAN (its bridge port taken out of the bridge: its own link stays up, as
// when a switch or cable further away fails), a carrier flap, nftables loss / duplication in a namespace.
import assert from 'node:assert/strict';
import { exec, netnsExec, run, type LanMember } from './netns.js';
import { addresses, sleep, type VrrpLab } from './vrrp-lab.js';

/** One measured figure of a fault, against its bound (printed by the tests, collected by bench/faults.ts). */
export interface FaultFigure {
  fault: string;
  /** What was measured, e.g. 'kill -> b MASTER'. */
  what: string;
  value: number;
  bound: number;
  unit: 'ms' | 'count';
}

/** Prints a figure (one line the bench and a reader can grep) and asserts it is within its bound. */
export function record(figure: FaultFigure, log = ''): FaultFigure {
  const shown = figure.unit === 'ms' ? figure.value.toFixed(0) : String(figure.value);
  console.log(`FAULT ${figure.fault} | ${figure.what} | ${shown} ${figure.unit} | bound ${figure.bound}`);
  assert.ok(
    figure.value <= figure.bound,
    `${figure.fault}: ${figure.what} = ${shown} ${figure.unit}, bound ${figure.bound}\n${log}`,
  );
  return figure;
}

/** Where each VIP should be: the namespace of the router that should hold it (undefined: nowhere). */
export type VipPlan = Record<string, string | undefined>;

/**
 * The loss check: for every VIP of `plan`, which of `routers` hold it (on any interface), compared with
 * where it should be. Returns the problems (empty when the LAN is as planned): a VIP missing, held by the
 * wrong router, or held by two.
 */
export function lossProblems(routers: Pick<LanMember, 'ns'>[], plan: VipPlan): string[] {
  const held = new Map<string, string[]>();
  for (const r of routers)
    for (const a of allAddresses(r.ns)) {
      const ip = a.split('/')[0] as string;
      if (ip in plan) held.set(ip, [...(held.get(ip) ?? []), r.ns]);
    }
  const problems: string[] = [];
  for (const [vip, want] of Object.entries(plan)) {
    const holders = held.get(vip) ?? [];
    if (holders.length > 1) problems.push(`${vip} on ${holders.length} routers: ${holders.join(', ')}`);
    else if (want === undefined && holders.length === 1)
      problems.push(`${vip} on ${holders[0]}, should be nowhere`);
    else if (want !== undefined && holders.length === 0)
      problems.push(`${vip} missing (should be on ${want})`);
    else if (want !== undefined && holders[0] !== want)
      problems.push(`${vip} on ${holders[0]}, should be on ${want}`);
  }
  return problems;
}

/** Asserts the loss check holds now. */
export function assertNoLoss(routers: Pick<LanMember, 'ns'>[], plan: VipPlan, log = ''): void {
  const problems = lossProblems(routers, plan);
  assert.deepEqual(problems, [], `loss check:\n${problems.join('\n')}\n${log}`);
}

/**
 * Polls the loss check until it holds (then it must keep holding for `stableMs`); resolves with the time
 * from `since` (Date.now()) to the first poll that saw it hold, or rejects after `timeoutMs`.
 */
export async function waitForNoLoss(
  routers: Pick<LanMember, 'ns'>[],
  plan: VipPlan,
  since: number,
  timeoutMs: number,
  stableMs = 0,
  log: () => string = () => '',
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let heldSince: number | undefined;
  for (;;) {
    const problems = lossProblems(routers, plan);
    const now = Date.now();
    if (problems.length === 0) {
      heldSince ??= now;
      if (now - heldSince >= stableMs) return heldSince - since;
    } else heldSince = undefined;
    if (now > deadline)
      throw new Error(`loss check still failing after ${timeoutMs} ms:\n${problems.join('\n')}\n${log()}`);
    await sleep(20);
  }
}

/** Every address of every interface in `ns` except loopback's. */
function allAddresses(ns: string): string[] {
  const r = exec(['ip', '-n', ns, '-j', 'addr', 'show']);
  if (r.status !== 0) return [];
  const links = JSON.parse(r.stdout) as {
    ifname: string;
    addr_info: { local?: string; prefixlen?: number }[];
  }[];
  return links
    .filter((l) => l.ifname !== 'lo')
    .flatMap((l) => l.addr_info.filter((a) => a.local).map((a) => `${a.local}/${a.prefixlen}`));
}

/**
 * What a daemon may change in a namespace and must put back at exit: addresses, routes of every table,
 * policy rules, nftables ruleset, links. Compare a snapshot taken before start with one taken after stop.
 */
export function hostSnapshot(ns: string): string {
  const cmd = (argv: string[]): string => exec(['ip', '-n', ns, ...argv]).stdout;
  const addrs = cmd(['-o', 'addr', 'show'])
    .split('\n')
    .map((l) => l.replace(/\s+valid_lft.*$/, '').trim())
    .filter(Boolean)
    .sort();
  return [
    '# links',
    cmd(['-o', 'link', 'show'])
      .replace(/ state \S+/g, '')
      .replace(/ qlen \d+/g, ''),
    '# addresses',
    ...addrs,
    '# routes',
    cmd(['-4', 'route', 'show', 'table', 'all']),
    cmd(['-6', 'route', 'show', 'table', 'all']).replace(/ expires \S+/g, ''),
    '# rules',
    cmd(['-4', 'rule', 'show']),
    cmd(['-6', 'rule', 'show']),
    '# nftables',
    netnsExec(ns, ['nft', 'list', 'ruleset']).stdout,
  ].join('\n');
}

/** Asserts nothing a daemon made is left in `ns`: the snapshot equals the one taken before it started. */
export function assertNothingLeft(ns: string, before: string): void {
  assert.equal(hostSnapshot(ns), before, `${ns}: something was left behind`);
}

// ---------------------------------------------------------------------------------------------------
// Faults

/** The bridge namespace and port of the `index`-th member of the lab's first LAN (NetnsLab.lan's names). */
function bridgePort(lab: VrrpLab, index: number, lanIndex = 0): { ns: string; port: string } {
  return { ns: `${lab.net.prefix}-br${lanIndex}`, port: `port${index}` };
}

/** Cuts member `index` of the first LAN off (its bridge port leaves the bridge; its own link stays up). */
export function cutOff(lab: VrrpLab, index: number): void {
  const { ns, port } = bridgePort(lab, index);
  run(['ip', '-n', ns, 'link', 'set', port, 'nomaster']);
}

/** Puts member `index` back on the first LAN. */
export function reconnect(lab: VrrpLab, index: number): void {
  const { ns, port } = bridgePort(lab, index);
  run(['ip', '-n', ns, 'link', 'set', port, 'master', 'br0']);
}

/**
 * Flaps `ifname` in `ns` (carrier down, up) every `periodMs` for `durationMs`, ending up; resolves with
 * the number of flaps. `kind` 'cut' flaps the bridge port instead (the link stays up, the LAN goes).
 */
export async function flap(
  lab: VrrpLab,
  member: Pick<LanMember, 'ns' | 'ifname'>,
  index: number,
  periodMs: number,
  durationMs: number,
  kind: 'carrier' | 'cut' = 'carrier',
): Promise<number> {
  const end = Date.now() + durationMs;
  let flaps = 0;
  while (Date.now() < end) {
    if (kind === 'carrier') lab.setLink(member, member.ifname, false);
    else cutOff(lab, index);
    await sleep(periodMs / 2);
    if (kind === 'carrier') lab.setLink(member, member.ifname, true);
    else reconnect(lab, index);
    await sleep(periodMs / 2);
    flaps++;
  }
  return flaps;
}

/** Loads an nftables ruleset into `ns` (never the root namespace: `ip netns exec`). */
export function nft(ns: string, ruleset: string): void {
  const r = netnsExec(ns, ['nft', '-f', '-'], { input: ruleset });
  assert.equal(r.status, 0, `nft in ${ns}: ${r.stderr}\n${ruleset}`);
}

/** Drops `percent` % of the VRRP packets `ns` receives on `ifname`, chosen at random (numgen random). */
export function dropAdvertsAtRandom(ns: string, ifname: string, percent: number): void {
  nft(
    ns,
    `table netdev kts_fault_loss {\n  chain ingress {\n    type filter hook ingress device ${ifname} priority 0;\n` +
      `    ip protocol 112 numgen random mod 100 < ${percent} counter drop\n  }\n}\n`,
  );
}

/** Drops every VRRP packet `ns` receives (a one-way partition), until healAdverts. */
export function dropAllAdverts(ns: string, ifname = 'eth0'): void {
  dropAdvertsAtRandom(ns, ifname, 100);
}

export function healAdverts(ns: string): void {
  netnsExec(ns, ['nft', 'delete', 'table', 'netdev', 'kts_fault_loss']);
}

/** The counter of the random-loss rule: packets dropped so far. */
export function droppedAdverts(ns: string): number {
  const out = netnsExec(ns, ['nft', 'list', 'table', 'netdev', 'kts_fault_loss']).stdout;
  return Number(/counter packets (\d+)/.exec(out)?.[1] ?? 0);
}

/**
 * In the first LAN's bridge namespace: every VRRP packet arriving from member `from`'s port is also sent,
 * a second time, out of member `to`'s port (nftables dup): `to` hears each advert twice.
 */
export function duplicateAdverts(lab: VrrpLab, from: number, to: number): void {
  const a = bridgePort(lab, from);
  const b = bridgePort(lab, to);
  nft(
    a.ns,
    `table netdev kts_fault_dup {\n  chain ingress {\n    type filter hook ingress device ${a.port} priority 0;\n` +
      `    ip protocol 112 counter dup to ${b.port}\n  }\n}\n`,
  );
}

/** The VIPs (addresses without prefix) a namespace holds on `ifname`. */
export function vipsOn(ns: string, vips: string[], ifname = 'eth0'): string[] {
  return addresses(ns, ifname)
    .map((a) => a.split('/')[0] as string)
    .filter((a) => vips.includes(a));
}
