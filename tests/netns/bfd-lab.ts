// Shared by the BFD kernel and interop tests: start ours or keepalived with its own pid files (BFD's
// included) in a namespace, cut and restore a namespace's BFD traffic with nftables, and read the
// session's state changes from the daemon's log ("(NAME) Entering Up state", as keepalived 2.2.7).
import { writeFileSync } from 'node:fs';
import { run } from '../helpers/netns.js';
import {
  KEEPALIVED_BIN,
  OURS_LAUNCHER,
  oursMissingReason,
  type LogMatch,
  type VrrpDaemon,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';

export type BfdImpl = 'ours' | 'keepalived';

/** Starts a daemon (foreground, console log) with `config`; every pid file lives in the lab directory. */
export function startDaemon(
  lab: VrrpLab,
  impl: BfdImpl,
  ns: string,
  label: string,
  config: string,
): VrrpDaemon {
  if (impl === 'ours') {
    const missing = oursMissingReason();
    if (missing) throw new Error(missing);
  }
  const files = lab.daemonFiles(label);
  writeFileSync(files.config, config);
  const argv =
    impl === 'ours'
      ? [process.execPath, OURS_LAUNCHER, '-n', '-l', '-D', ...lab.fileArgs(files)]
      : [KEEPALIVED_BIN, '--no-syslog', '-n', '-l', '-D', ...lab.fileArgs(files)];
  return lab.startOther(label, ns, argv, { impl, files });
}

/** A bfd_instance block. */
export function bfdInstance(name: string, lines: string[]): string {
  return [`bfd_instance ${name} {`, ...lines.map((l) => `  ${l}`), '}', ''].join('\n');
}

/** Drops every BFD packet (UDP 3784/4784, both directions) in `ns`: the path to the peer is cut. */
export function cutBfd(ns: string): void {
  run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], {
    input: [
      'table inet kts_bfd_cut {',
      '  chain in { type filter hook input priority 0; udp dport { 3784, 4784 } drop; }',
      '  chain out { type filter hook output priority 0; udp dport { 3784, 4784 } drop; }',
      '}',
      '',
    ].join('\n'),
  });
}

export function restoreBfd(ns: string): void {
  run(['ip', 'netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', 'kts_bfd_cut']);
}

/** Waits for the session to log that it entered `state` (Up / Down), at or after log position `since`. */
export function waitForBfd(
  d: VrrpDaemon,
  session: string,
  state: 'Up' | 'Down' | 'Init',
  timeoutMs: number,
  since = 0,
): Promise<LogMatch> {
  return d.waitForLog(new RegExp(`\\(${session}\\) Entering ${state} state`), timeoutMs, since);
}
