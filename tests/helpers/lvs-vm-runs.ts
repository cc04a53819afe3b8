// Running keepalived 2.2.7 and keepalived-ts as checker daemons (-C) inside the IPVS VM
// (tests/helpers/ipvs-vm.ts), each in a network namespace of the VM, and reading back what they leave in
// that namespace's IPVS table: ipvsadm's views normalised for comparison (services in hash order are
// sorted; a service's destinations keep the kernel's order, which is the order they were added in).
import type { IpvsVm } from './ipvs-vm.js';

export type Impl = 'keepalived' | 'keepalived-ts';

const CHECKER_BLOCKS =
  /^\s*(TCP_CHECK|HTTP_GET|SSL_GET|MISC_CHECK|SMTP_CHECK|DNS_CHECK|UDP_CHECK|PING_CHECK|FILE_CHECK|BFD_CHECK)\b/;

/** The configuration without its checker blocks: every real server is then up, and the table fixed. */
export function withoutCheckers(text: string): string {
  const out: string[] = [];
  let depth = 0;
  for (const line of text.split('\n')) {
    if (depth > 0 || CHECKER_BLOCKS.test(line)) {
      depth += (line.match(/{/g) ?? []).length - (line.match(/}/g) ?? []).length;
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

/** The views compared: `ipvsadm-save -n` and the listings with persistence, thresholds and tunnels. */
export const TABLE_VIEWS = [
  'ipvsadm-save -n',
  'ipvsadm -Ln --persistent-conn',
  'ipvsadm -Ln --thresholds',
  'ipvsadm -Ln --tun-info',
] as const;
export const TIMEOUT_VIEW = 'ipvsadm -Ln --timeout';
/** nftables_ipvs: the tables that mark a group's traffic, listed as they are (their order is keepalived's). */
export const NFT_VIEW = 'nft list ruleset';

/**
 * A listing with its services sorted: a service line (any line not starting with "  ->" nor being one of
 * the listing's headers) with the destination lines under it is one block. Trailing blanks are trimmed.
 */
export function normaliseView(text: string): string {
  const header: string[] = [];
  const blocks: string[][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '') continue;
    if (/^(IP Virtual Server|Prot LocalAddress|\s+-> RemoteAddress)/.test(line)) header.push(line);
    else if (/^\s+->/.test(line) || (/^-a /.test(line) && blocks.length > 0)) blocks.at(-1)?.push(line);
    else blocks.push([line]);
  }
  return [...header, ...blocks.map((b) => b.join('\n')).sort()].join('\n');
}

/** Lines of a daemon's log without their timestamp. */
export function logLines(log: string): string[] {
  return log
    .split('\n')
    .map((l) => l.replace(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: /, '').trimEnd())
    .filter((l) => l !== '');
}

/**
 * The lines about the table that both daemons print: services added and removed, quorum, sorry servers,
 * the kernel's refusals, shutdown. Configuration warnings (worded differently), process lines and the
 * checkers' own lines (MISC_CHECK's differ: keepalived-ts words them its own way) are not.
 */
export function serviceLines(log: string): string[] {
  return logLines(log)
    .filter(
      (l) =>
        /VS \[|VS FWM|for VS|to VS|from VS|IPVS cmd|sorry server|quorum/i.test(l) &&
        // not configuration warnings, the command line, nor the checkers' own lines
        !/^warning|\.conf\b|^Misc check for/i.test(l),
    )
    .sort();
}

/** A daemon started in `ns` of the VM, its files (pid files, TMPDIR, log) in `dir` (inside the VM). */
export class VmDaemon {
  constructor(
    private readonly vm: IpvsVm,
    readonly impl: Impl,
    readonly ns: string,
    readonly dir: string,
    private readonly worktree: string,
  ) {}

  private get command(): string {
    return this.impl === 'keepalived' ? 'keepalived' : `node ${this.worktree}bin/keepalived-ts`;
  }

  /** Starts the daemon on `configPath` (-C -n -l -D, its own pid files and TMPDIR). */
  async start(configPath: string): Promise<void> {
    const d = this.dir;
    // The shell that waits for the daemon writes its exit status; setsid gives it a process group of
    // its own, killed whole if the daemon does not stop.
    const inner =
      `TMPDIR=${d} ip netns exec ${this.ns} ${this.command} -n -l -D -C -f ${configPath} ` +
      `-p ${d}/main.pid -c ${d}/checkers.pid </dev/null >${d}/log 2>&1; echo $? > ${d}/exit`;
    await this.vm.run(
      `rm -rf ${d}; mkdir -p ${d}; setsid sh -c '${inner}' </dev/null >/dev/null 2>&1 & echo $! > ${d}/group`,
    );
  }

  async log(): Promise<string> {
    return (await this.vm.exec(`cat ${this.dir}/log`)).stdout;
  }

  /** The daemon's exit status, or undefined while it runs. */
  async exitStatus(): Promise<number | undefined> {
    const r = await this.vm.exec(`cat ${this.dir}/exit 2>/dev/null`);
    return r.status === 0 && r.stdout.trim() !== '' ? Number(r.stdout.trim()) : undefined;
  }

  /**
   * Waits until the log shows the checker started (keepalived: "Startup complete"; ours: "checking N
   * real servers"; either: nothing to run) or the daemon exited. Returns false on timeout.
   */
  async waitStarted(timeoutMs: number): Promise<boolean> {
    const marker =
      this.impl === 'keepalived'
        ? 'Startup complete\\|has no configuration to run'
        : 'checking [0-9]* real servers\\|has no configuration to run';
    const r = await this.vm.exec(
      `for i in $(seq ${Math.ceil(timeoutMs / 200)}); do ` +
        `grep -q '${marker}' ${this.dir}/log 2>/dev/null && exit 0; [ -e ${this.dir}/exit ] && exit 0; sleep 0.2; done; exit 1`,
      { timeoutMs: timeoutMs + 10_000 },
    );
    return r.status === 0;
  }

  /** SIGTERM to the daemon (as keepalived's service stop does); SIGKILL to its group after `graceMs`. */
  async stop(graceMs = 20_000): Promise<{ status: number | undefined; killed: boolean }> {
    const d = this.dir;
    const r = await this.vm.exec(
      `[ -e ${d}/exit ] && exit 0; [ -s ${d}/main.pid ] && kill $(cat ${d}/main.pid); ` +
        `for i in $(seq ${Math.ceil(graceMs / 200)}); do [ -e ${d}/exit ] && exit 0; sleep 0.2; done; ` +
        `kill -9 -$(cat ${d}/group); sleep 0.5; exit 3`,
      { timeoutMs: graceMs + 10_000 },
    );
    return { status: await this.exitStatus(), killed: r.status === 3 };
  }
}

/** Runs `cmd` inside `ns` of the VM. */
export function inNs(ns: string, cmd: string): string {
  return `ip netns exec ${ns} sh -c '${cmd.replace(/'/g, `'\\''`)}'`;
}

/** Every view of `ns`'s table, normalised, in one VM command. */
export async function readTable(
  vm: IpvsVm,
  ns: string,
  withTimeouts = false,
  withNft = false,
): Promise<Record<string, string>> {
  const views: string[] = [
    ...TABLE_VIEWS,
    ...(withTimeouts ? [TIMEOUT_VIEW] : []),
    ...(withNft ? [NFT_VIEW] : []),
  ];
  const script = views.map((v) => `echo '@@@ ${v}'; ${v} 2>&1`).join('; ');
  const once = async (): Promise<Record<string, string>> => {
    const out = await vm.run(inNs(ns, script));
    const result: Record<string, string> = {};
    for (const part of out.split('@@@ ').slice(1)) {
      const newline = part.indexOf('\n');
      const view = part.slice(0, newline);
      const text = part.slice(newline + 1);
      result[view] = view === NFT_VIEW ? text.trimEnd() : normaliseView(text);
    }
    return result;
  };
  // The views are four ipvsadm runs: read them until two reads in a row agree, so that a table still
  // changing (or one ipvsadm run failing under the VM's load) is not taken for the daemon's table.
  let last = await once();
  for (let attempt = 0; attempt < 5; attempt++) {
    await new Promise((r) => setTimeout(r, 300));
    const next = await once();
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  return last;
}

/** The lines of two views that differ, each side's own, for a message that fits a log's few lines. */
export function viewDifference(want: string, got: string | undefined): string {
  const a = want.split('\n');
  const b = (got ?? '(none)').split('\n');
  const onlyA = a.filter((l) => !b.includes(l));
  const onlyB = b.filter((l) => !a.includes(l));
  if (onlyA.length === 0 && onlyB.length === 0) return 'same lines, another order';
  return `only keepalived: ${JSON.stringify(onlyA)}; only keepalived-ts: ${JSON.stringify(onlyB)}`;
}

/** `ipvsadm -Sn` of `ns`, as is. */
export async function saveTable(vm: IpvsVm, ns: string): Promise<string> {
  return vm.run(inNs(ns, 'ipvsadm -Sn'));
}

/**
 * Polls `ns`'s table until `accept` takes it and it stays the same for `settleMs` (no further change on
 * its way). Returns the last `ipvsadm -Sn`, and whether `accept` held.
 */
export async function waitForTable(
  vm: IpvsVm,
  ns: string,
  accept: (save: string) => boolean,
  timeoutMs: number,
  settleMs = 800,
): Promise<{ save: string; accepted: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let save = await saveTable(vm, ns);
  let since = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const next = await saveTable(vm, ns);
    if (next !== save) {
      save = next;
      since = Date.now();
    } else if (accept(save) && Date.now() - since >= settleMs) return { save, accepted: true };
    if (Date.now() > deadline) return { save, accepted: accept(save) };
  }
}
