// When keepalived sends an SMTP alert, and to whom: which objects have `smtp_alert` after the global
// defaults, which VRRP transitions mail (vrrp_notify.c), which checker verdicts mail (check_*.c), and
// when a virtual server's quorum changes (ipwrapper.c). Pure: state in, alert decisions out.
import type { GlobalDefs } from '../../config/model/global/global.js';
import type { AlertVrrpState } from './format.js';

/** Where and as whom alerts go; undefined when keepalived would send nothing (no server or no address). */
export interface SmtpAlertSettings {
  host: string;
  port: number;
  /** smtp_helo_name, default the host's name. */
  heloName: string;
  /** notification_email_from, default user@host. */
  from: string;
  to: string[];
  /** smtp_connect_timeout in ms: keepalived applies it to the connection and to every reply. */
  timeoutMs: number;
  /** router_id, default the host's name. */
  routerId: string;
}

export interface LocalIdentity {
  /** The host's canonical name (keepalived's get_local_name). */
  hostName: string;
  /** The user the daemon runs as, for the default sender. */
  userName: string;
}

export function smtpAlertSettings(g: GlobalDefs, local: LocalIdentity): SmtpAlertSettings | undefined {
  if (g.smtpServer === undefined || g.notificationEmail.length === 0) return undefined;
  return {
    host: g.smtpServer.host,
    port: g.smtpServer.port,
    heloName: g.smtpHeloName ?? local.hostName,
    from: g.notificationEmailFrom ?? `${local.userName}@${local.hostName}`,
    to: [...g.notificationEmail],
    timeoutMs: Math.max(1, g.smtpConnectTimeout) * 1000,
    routerId: g.routerId ?? local.hostName,
  };
}

/** vrrp_instance / vrrp_sync_group: own smtp_alert, else smtp_alert_vrrp, else smtp_alert, else off. */
export function vrrpAlertEnabled(own: boolean | undefined, g: GlobalDefs): boolean {
  return own ?? g.smtpAlertVrrp ?? g.smtpAlert ?? false;
}

/** virtual_server (quorum alerts): own smtp_alert, else smtp_alert_checker, else smtp_alert, else off. */
export function virtualServerAlertEnabled(own: boolean | undefined, g: GlobalDefs): boolean {
  return own ?? g.smtpAlertChecker ?? g.smtpAlert ?? false;
}

/**
 * real_server: own smtp_alert, else smtp_alert_checker, else smtp_alert, else ON: keepalived keeps this
 * default for backward compatibility (the virtual server's smtp_alert is not inherited).
 */
export function realServerAlertEnabled(own: boolean | undefined, g: GlobalDefs): boolean {
  return own ?? g.smtpAlertChecker ?? g.smtpAlert ?? true;
}

// ---- VRRP ----

export type VrrpObjectKind = 'INSTANCE' | 'GROUP';

/**
 * One mail per state actually entered: keepalived remembers the last state it mailed about for each
 * instance and group, skips FAULT with no_email_faults, and mails nothing for other states.
 */
export class VrrpAlertPolicy {
  private readonly lastMailed = new Map<string, string>();

  constructor(
    /** "INSTANCE:VI_1" / "GROUP:G1" -> smtp_alert after defaults. */
    private enabled: ReadonlyMap<string, boolean>,
    private noEmailFaults: boolean,
  ) {}

  static key(kind: VrrpObjectKind, name: string): string {
    return `${kind}:${name}`;
  }

  /**
   * A reload: new flags, the memory of what was mailed kept (keepalived keeps it across reloads). Objects
   * the new configuration dropped keep their old flag: their removal is still mailed.
   */
  reconfigure(enabled: ReadonlyMap<string, boolean>, noEmailFaults: boolean): void {
    this.enabled = new Map([...this.enabled, ...enabled]);
    this.noEmailFaults = noEmailFaults;
  }

  /** The state to mail about for this notification, or undefined. */
  decide(kind: VrrpObjectKind, name: string, state: string): AlertVrrpState | undefined {
    const key = VrrpAlertPolicy.key(kind, name);
    if (this.enabled.get(key) !== true) return undefined;
    if (state !== 'MASTER' && state !== 'BACKUP' && state !== 'FAULT' && state !== 'STOP') return undefined;
    if (state === 'FAULT' && this.noEmailFaults) return undefined;
    if (this.lastMailed.get(key) === state) return undefined;
    this.lastMailed.set(key, state);
    return state;
  }
}

// ---- checkers ----

/** One checker as the scheduler sees it (check/schedule/scheduler.ts CheckerSnapshot, the fields used here). */
export interface CheckerView {
  id: string;
  server: string;
  up: boolean;
  hasRun: boolean;
}

export interface CheckerAlertDecision {
  checker: string;
  server: string;
  /** The checker's verdict. */
  up: boolean;
  /** The real server's state after the verdict (the subject's UP / DOWN). */
  serverAlive: boolean;
}

export interface CheckerAlertTarget {
  /** realServerAlertEnabled() of the checker's real server. */
  enabled: boolean;
  /** MISC_CHECK mails its first verdict too, even when it leaves the checker where it was. */
  mailsFirstVerdict: boolean;
}

/**
 * Turns successive views of the checkers into keepalived's real-server alerts. A checker mails when its
 * verdict flips (and, for MISC_CHECK, on its first verdict), if its real server has smtp_alert and either
 * the server's state changed or no_checker_emails is off.
 */
export class CheckerAlertTracker {
  private readonly checkers = new Map<string, { up: boolean; hasRun: boolean }>();
  private readonly servers = new Map<string, boolean>();

  constructor(
    initial: readonly CheckerView[],
    private readonly targets: ReadonlyMap<string, CheckerAlertTarget>,
    private readonly noCheckerEmails: boolean,
  ) {
    for (const c of initial) {
      this.checkers.set(c.id, { up: c.up, hasRun: c.hasRun });
      this.servers.set(c.server, (this.servers.get(c.server) ?? true) && c.up);
    }
  }

  /** Compares with the previous view; `serverAlive` is the real server's state now. */
  observe(
    view: readonly CheckerView[],
    serverAlive: (server: string) => boolean | undefined,
  ): CheckerAlertDecision[] {
    const out: CheckerAlertDecision[] = [];
    const before = new Map(this.servers);
    for (const c of view) {
      const prev = this.checkers.get(c.id) ?? { up: c.up, hasRun: c.hasRun };
      this.checkers.set(c.id, { up: c.up, hasRun: c.hasRun });
      const alive = serverAlive(c.server) ?? c.up;
      this.servers.set(c.server, alive);
      const target = this.targets.get(c.id);
      if (target === undefined || !target.enabled) continue;
      const flipped = prev.up !== c.up;
      const firstVerdict = !prev.hasRun && c.hasRun && target.mailsFirstVerdict;
      if (!flipped && !firstVerdict) continue;
      const wasAlive = before.get(c.server) ?? alive;
      if (wasAlive === alive && this.noCheckerEmails) continue;
      out.push({ checker: c.id, server: c.server, up: c.up, serverAlive: alive });
    }
    return out;
  }
}

// ---- virtual server quorum ----

export interface QuorumSpec {
  /** quorum, default 1. */
  quorum: number;
  /** hysteresis, default 0. */
  hysteresis: number;
}

export interface QuorumDecision {
  up: boolean;
  init: boolean;
  threshold: number;
  weightSum: number;
}

/**
 * A virtual server's quorum as keepalived keeps it: up once the live weight reaches quorum+hysteresis,
 * down when it falls below quorum-hysteresis (or to 0). keepalived computes the start state before any
 * real server counts as alive, so a virtual server whose servers start alive reports "Starting with
 * quorum up"; "Starting with quorum down" needs a sorry server, which the checker daemon does not run.
 */
export class QuorumTracker {
  private up = false;

  constructor(private readonly spec: QuorumSpec) {}

  get quorumUp(): boolean {
    return this.up;
  }

  /** The live weight once the real servers are in place at start-up. */
  start(weightSum: number): QuorumDecision | undefined {
    const threshold = this.spec.quorum + this.spec.hysteresis;
    if (weightSum < threshold) return undefined;
    this.up = true;
    return { up: true, init: true, threshold, weightSum };
  }

  /** The live weight changed; returns the change to report, if the quorum state flipped. */
  update(weightSum: number): QuorumDecision | undefined {
    const threshold = this.spec.quorum + (this.up ? -1 : 1) * this.spec.hysteresis;
    if (!this.up && weightSum >= threshold) {
      this.up = true;
      return { up: true, init: false, threshold, weightSum };
    }
    if (this.up && (weightSum === 0 || weightSum < threshold)) {
      this.up = false;
      return { up: false, init: false, threshold, weightSum };
    }
    return undefined;
  }
}
