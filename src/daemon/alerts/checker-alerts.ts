// The checker child's SMTP alerts: a checker's verdict changing a real server (check_*.c) and a virtual
// server gaining or losing its quorum (ipwrapper.c). The scheduler's checker view is compared after each
// batch of actions (CheckerAlertTracker); real-server states feed the quorum trackers.
import type { Model } from '../../config/model/index.js';
import type { RealServer, VirtualServer } from '../../config/model/lvs/types.js';
import { effectiveWeight } from '../../config/model/lvs/defaults.js';
import { realServerId } from '../../check/schedule/from-model.js';
import type { CheckerSpec } from '../../check/schedule/spec.js';
import type { Logger } from '../process/log.js';
import {
  addressTrio,
  checkerAlertBody,
  formatVirtualServer,
  realServerAlert,
  virtualServerQuorumAlert,
  type AlertCheckerKind,
} from './format.js';
import {
  CheckerAlertTracker,
  QuorumTracker,
  realServerAlertEnabled,
  smtpAlertSettings,
  virtualServerAlertEnabled,
  type CheckerAlertTarget,
  type CheckerView,
  type LocalIdentity,
  type SmtpAlertSettings,
} from './policy.js';
import { localIdentity, SmtpAlertSender } from './smtp-sender.js';

/** keepalived's FMT_VS of a virtual server. */
export function virtualServerText(vs: VirtualServer): string {
  const k = vs.key;
  if (k.kind === 'fwmark') return formatVirtualServer({ kind: 'fwmark', fwmark: k.fwmark });
  // A group's name is printed with the (unset, so 0) port of the virtual server's own address.
  if (k.kind === 'group') return formatVirtualServer({ kind: 'group', group: k.group, port: 0 });
  return formatVirtualServer({
    kind: 'address',
    address: k.address,
    port: k.port ?? 0,
    protocol: vs.protocol ?? 'TCP',
  });
}

/**
 * keepalived's FMT_RS: the real server's address with the virtual server's protocol ("none" for a
 * fwmark), and the port keepalived settles on: outside NAT it is the virtual server's (0 for a fwmark);
 * with NAT the real server's own, else the virtual server's.
 */
export function realServerText(vs: VirtualServer, rs: RealServer): string {
  const nat = (rs.forwarding ?? vs.forwarding)?.method ?? 'NAT';
  const vsPort = vs.key.kind === 'address' ? vs.key.port : undefined;
  let port: number;
  if (vs.key.kind === 'group') port = rs.port ?? 0;
  else if (nat === 'NAT') port = rs.port || vsPort || 0;
  else port = vsPort ?? 0;
  return addressTrio(rs.address, vs.key.kind === 'fwmark' ? undefined : (vs.protocol ?? 'TCP'), port);
}

interface ServerInfo {
  realServer: string;
  virtualServer: string;
  vsIndex: number;
}

interface VsQuorum {
  text: string;
  spec: { quorum: number; hysteresis: number };
  enabled: boolean;
  tracker: QuorumTracker;
  servers: string[];
}

export class CheckerSmtpAlerts {
  private readonly settings: SmtpAlertSettings | undefined;
  private readonly sender: SmtpAlertSender | undefined;
  private readonly servers = new Map<string, ServerInfo>();
  private readonly kinds = new Map<string, AlertCheckerKind>();
  /** BFD_CHECK: the bfd_instance each checker mirrors, named in its alert. */
  private readonly bfdNames = new Map<string, string>();
  private readonly quorums: VsQuorum[] = [];
  private readonly alive = new Map<string, { up: boolean; weight: number }>();
  private tracker: CheckerAlertTracker | undefined;
  private readonly targets = new Map<string, CheckerAlertTarget>();
  private readonly noCheckerEmails: boolean;

  constructor(
    model: Model,
    checkers: readonly CheckerSpec[],
    log: Logger,
    local: LocalIdentity = localIdentity(),
  ) {
    const g = model.global;
    this.noCheckerEmails = g.noCheckerEmails;
    this.settings = smtpAlertSettings(g, local);
    if (this.settings === undefined) return;
    this.sender = new SmtpAlertSender(this.settings, log);
    const rsEnabled = new Map<string, boolean>();
    model.virtualServers.forEach((vs, vsIndex) => {
      const spec = quorumSpec(vs);
      const quorum: VsQuorum = {
        text: virtualServerText(vs),
        spec,
        enabled: virtualServerAlertEnabled(vs.smtpAlert, g),
        tracker: new QuorumTracker(spec),
        servers: [],
      };
      this.quorums.push(quorum);
      for (const rs of vs.realServers) {
        const id = realServerId(vs, rs);
        quorum.servers.push(id);
        rsEnabled.set(id, realServerAlertEnabled(rs.smtpAlert, g));
        this.servers.set(id, {
          realServer: realServerText(vs, rs),
          virtualServer: quorum.text,
          vsIndex,
        });
      }
    });
    for (const c of checkers) {
      const kind = c.options.kind;
      // FILE_CHECK changes weights, it sends no alert (nor does keepalived's track_file).
      if (kind === 'FILE_CHECK') continue;
      this.kinds.set(c.id, kind);
      if (c.options.kind === 'BFD_CHECK') this.bfdNames.set(c.id, c.options.session);
      this.targets.set(c.id, {
        enabled: rsEnabled.get(c.server) ?? false,
        mailsFirstVerdict: kind === 'MISC_CHECK',
      });
    }
  }

  /** Whether alerts can be sent at all (smtp_server and notification_email are set). */
  get active(): boolean {
    return this.sender !== undefined;
  }

  /** The checkers as they start (before any probe): the baseline for later changes. */
  start(view: readonly CheckerView[]): void {
    if (this.sender === undefined) return;
    this.tracker = new CheckerAlertTracker(view, this.targets, this.noCheckerEmails);
  }

  /** A real server's announced state (the scheduler's server-state action). */
  serverState(server: string, up: boolean, weight: number): void {
    if (this.sender === undefined || this.settings === undefined) return;
    const first = !this.alive.has(server);
    this.alive.set(server, { up, weight });
    const info = this.servers.get(server);
    if (info === undefined) return;
    const q = this.quorums[info.vsIndex] as VsQuorum;
    // Quorum is judged once every server of the virtual server has announced its start state.
    if (!q.servers.every((s) => this.alive.has(s))) return;
    const sum = q.servers.reduce((acc, s) => {
      const a = this.alive.get(s);
      return acc + (a?.up ? a.weight : 0);
    }, 0);
    // The first announcement completing the set is the start-up state; later ones are changes.
    const change = first ? q.tracker.start(sum) : q.tracker.update(sum);
    if (change !== undefined && q.enabled)
      this.sender.send(virtualServerQuorumAlert(this.settings.routerId, q.text, { ...q.spec, ...change }));
  }

  /** After each batch of scheduler actions: checker verdicts that mail. */
  observe(view: readonly CheckerView[], serverAlive: (server: string) => boolean | undefined): void {
    if (this.sender === undefined || this.settings === undefined || this.tracker === undefined) return;
    for (const d of this.tracker.observe(view, serverAlive)) {
      const info = this.servers.get(d.server);
      const kind = this.kinds.get(d.checker);
      if (info === undefined || kind === undefined) continue;
      this.sender.send(
        realServerAlert(
          this.settings.routerId,
          info.realServer,
          info.virtualServer,
          d.serverAlive,
          checkerAlertBody(kind, { up: d.up, bfdName: this.bfdNames.get(d.checker) }),
        ),
      );
    }
  }

  async close(limitMs: number): Promise<void> {
    await this.sender?.close(limitMs);
  }
}

/** quorum (default 1) and hysteresis (default 0), bounded as keepalived bounds them. */
function quorumSpec(vs: VirtualServer): { quorum: number; hysteresis: number } {
  const total = vs.realServers.reduce((acc, rs) => acc + effectiveWeight(vs, rs), 0);
  const quorum = Math.min(vs.quorum ?? 1, total);
  const hysteresis = Math.min(vs.hysteresis ?? 0, Math.max(0, quorum - 1));
  return { quorum, hysteresis };
}
