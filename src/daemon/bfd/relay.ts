// The supervisor's part in BFD: keepalived's BFD process writes session events to pipes read by the
// VRRP and checker processes; here the BFD child sends them over IPC and the supervisor passes each on
// to the children its bfd_instance is scoped to (`vrrp` / `checker`). It remembers the last state of
// every session, so that a (re)started child asks with `bfd-sync` and starts from the current picture.
import type { ChildProcess } from 'node:child_process';
import type { BfdStateMessage } from './bfd-daemon.js';

export type { BfdStateMessage } from './bfd-daemon.js';

/** Sent by a VRRP or checker child when it is ready to receive BFD states. */
export interface BfdSyncRequest {
  type: 'bfd-sync';
}

export function isBfdStateMessage(m: unknown): m is BfdStateMessage {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return r.type === 'bfd-state' && typeof r.name === 'string' && typeof r.up === 'boolean';
}

function isSyncRequest(m: unknown): m is BfdSyncRequest {
  return typeof m === 'object' && m !== null && (m as Record<string, unknown>).type === 'bfd-sync';
}

type Kind = 'vrrp' | 'checker' | 'bfd';

export class BfdRelay {
  private readonly states = new Map<string, BfdStateMessage>();

  constructor(private readonly childOf: (kind: 'vrrp' | 'checker') => ChildProcess | undefined) {}

  /** A message from child `from`. */
  received(from: Kind, m: unknown): void {
    if (from === 'bfd' && isBfdStateMessage(m)) {
      this.states.set(m.name, m);
      // every session goes to the VRRP child: track_bfd uses those scoped to it (m.vrrp), the status
      // listener shows them all
      this.deliver('vrrp', m);
      if (m.checker) this.deliver('checker', m);
    } else if ((from === 'vrrp' || from === 'checker') && isSyncRequest(m)) {
      for (const s of this.states.values()) if (from === 'vrrp' || s.checker) this.deliver(from, s);
    }
  }

  private deliver(kind: 'vrrp' | 'checker', m: BfdStateMessage): void {
    const child = this.childOf(kind);
    if (child?.connected) child.send(m);
  }
}
