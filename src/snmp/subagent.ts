// keepalived's SNMP subagent: keeps an AgentX session to snmpd open (reconnecting when it goes), registers
// the MIBs this process serves with their sysORTable rows, answers from the latest snapshot, and sends the
// notifications keepalived sends. The daemon calls update() whenever its state changes, and the
// *Changed() methods right after the update() that carries the change.
import { KEEPALIVED_OID, SNMP_TRAP_OID } from './mib/builder.js';
import { buildView, registrations, type ServedMibs, type ViewOptions } from './mib/serve.js';
import {
  instanceNotifications,
  quorumStateTrap,
  realServerStateTrap,
  rfc2787AuthFailureTrap,
  rfc6527ProtoErrorTrap,
  syncGroupStateTrap,
  type AuthErrorType,
  type TrapSwitches,
} from './mib/traps.js';
import { inRfc2787, inRfc6527 } from './mib/vrrp-rfc.js';
import { emptyView, respond, type MibView } from './agentx/responder.js';
import type { Pdu } from './agentx/pdu.js';
import {
  AgentxSession,
  DEFAULT_AGENTX_ADDRESS,
  parseAgentxAddress,
  type SessionLog,
} from './agentx/session.js';
import type { SnmpSnapshot, VrrpInstanceInfo } from './snapshot.js';
import { objectId, type VarBind } from './types.js';

/** The coldStart notification net-snmp's init_snmp() sends for a subagent (keepalived's included): SNMPv2-MIB
 * coldStart, snmpTrapEnterprise.0 = NET-SNMP-TC linux (net-snmp's sysObjectID on Linux). */
const COLD_START: VarBind[] = [
  { oid: SNMP_TRAP_OID, value: objectId([1, 3, 6, 1, 6, 3, 1, 1, 5, 1]) },
  { oid: [1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0], value: objectId([1, 3, 6, 1, 4, 1, 8072, 3, 2, 10]) },
];

export interface SnmpSubagentOptions {
  /** What this process serves (mib/serve.ts servedMibs). */
  mibs: ServedMibs;
  /** Milliseconds between attempts to reach the master while it is away (default 5 s; keepalived's
   * net-snmp retries at its ping interval, 120 s). */
  reconnectIntervalMs?: number;
  /** Milliseconds between pings that find out the master went (default 15 s; keepalived: 120 s). */
  pingIntervalMs?: number;
  /** Milliseconds a built view serves while counters change (default 1 s; 1,000 instances make 85,000
   * objects, some 0.2 s to build). */
  refreshIntervalMs?: number;
  /** o.descr of the Open-PDU. */
  descr?: string;
  view?: ViewOptions;
  log?: SessionLog;
}

export class SnmpSubagent {
  private session: AgentxSession | undefined;
  private snapshot: SnmpSnapshot | undefined;
  /** Where fresh state comes from when the master asks (track()). */
  private builder: (() => SnmpSnapshot) | undefined;
  private prepare: (() => Promise<void>) | undefined;
  private view: MibView = emptyView();
  private stale = false;
  /** Set by a state change: the next request rebuilds the view whatever its age. */
  private urgent = false;
  private builtAt = 0;
  /** How long the last view took to build. */
  private buildMs = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private address = DEFAULT_AGENTX_ADDRESS;
  private startedAt = 0;
  private coldStartSent = false;
  private unreachableReported = false;

  constructor(private readonly options: SnmpSubagentOptions) {}

  /** Whether the session to the master is up now. */
  get connected(): boolean {
    return this.session?.isOpen ?? false;
  }

  /**
   * Connects to the master at `socket` (keepalived's snmp_socket / -A: "unix:/path", "/path",
   * "tcp:host:port"; default unix:/var/agentx/master). Resolves true once registered, false when the
   * first attempt failed (it keeps trying in the background). Throws only on an address it cannot use.
   */
  async start(socket: string = DEFAULT_AGENTX_ADDRESS): Promise<boolean> {
    if (parseAgentxAddress(socket) === undefined)
      throw new Error(`SNMP socket '${socket}': only unix: and tcp: AgentX transports are supported`);
    this.address = socket;
    this.stopped = false;
    this.startedAt = Date.now();
    return this.connect();
  }

  /** The state to answer from from now on. Cheap: the view is rebuilt when the master next asks, at
   * most once per refreshIntervalMs (counters may lag that much), at once after a state change. */
  update(snapshot: SnmpSnapshot, urgent = false): void {
    this.snapshot = snapshot;
    this.stale = true;
    if (urgent) this.urgent = true;
  }

  /** Live state: `build` is called when the master asks and the view is older than refreshIntervalMs
   * (never more often), so that counters and tracker states are served without the daemon pushing
   * snapshots at every event. update() still sets the state a notification describes. */
  track(build: () => SnmpSnapshot, prepare?: () => Promise<void>): void {
    this.builder = build;
    this.prepare = prepare;
    this.stale = true;
  }

  /** What the master asks is answered from the current view; when that view is due for a rebuild and
   * the daemon reads some state asynchronously (the IPVS counters), that read comes first. */
  private async answer(pdu: Pdu, uptime: number): Promise<Pdu | undefined> {
    if (this.prepare && this.rebuildDue(Date.now()))
      await this.prepare().catch((e: unknown) => {
        this.options.log?.('warning', `SNMP: cannot read the state: ${(e as Error).message}`);
      });
    return respond(this.currentView(), pdu, uptime);
  }

  private rebuildDue(now: number): boolean {
    const interval = Math.max(this.options.refreshIntervalMs ?? 1000, 10 * this.buildMs);
    return this.urgent || now - this.builtAt >= interval;
  }

  /** The objects served now, sorted (what snmpwalk would show). */
  currentView(): MibView {
    const now = Date.now();
    // A large view is rebuilt less often: the daemon's thread spends at most a tenth of its time here.
    const due = this.rebuildDue(now);
    if ((this.stale || this.builder) && due) {
      if (this.builder) {
        try {
          this.snapshot = this.builder();
        } catch (e) {
          this.options.log?.('warning', `SNMP: cannot read the state: ${(e as Error).message}`);
        }
      }
      if (!this.snapshot) return this.view;
      this.view = buildView(this.snapshot, this.options.mibs, this.options.view);
      this.buildMs = Date.now() - now;
      this.stale = false;
      this.urgent = false;
      this.builtAt = now;
    }
    return this.view;
  }

  /** Sends one notification (varbinds from snmpTrapOID.0 on); dropped with a log line while disconnected,
   * as keepalived's agent drops them. */
  async notify(varbinds: VarBind[]): Promise<void> {
    this.urgent = true;
    const s = this.session;
    if (!s?.isOpen) {
      this.options.log?.('warning', 'SNMP: not connected to the master agent, notification dropped');
      return;
    }
    try {
      await s.notify(varbinds);
    } catch (e) {
      this.options.log?.('warning', `SNMP: notification not sent: ${(e as Error).message}`);
    }
  }

  /** An instance entered the state the last update() gave it. */
  async instanceStateChanged(name: string): Promise<void> {
    for (const vbs of this.instanceNotifications(name)) await this.notify(vbs);
  }

  /** A sync group entered the state the last update() gave it. */
  async syncGroupStateChanged(name: string): Promise<void> {
    for (const vbs of this.syncGroupNotifications(name)) await this.notify(vbs);
  }

  /** The notifications instanceStateChanged() sends, from the last update() (to queue them). */
  instanceNotifications(name: string): VarBind[][] {
    const i = this.instance(name);
    if (!i) return [];
    return instanceNotifications(i, this.snapshot?.global.routerId, this.switches(), this.v3ForV2());
  }

  /** The notification syncGroupStateChanged() sends, from the last update(), as a list of 0 or 1. */
  syncGroupNotifications(name: string): VarBind[][] {
    const g = this.snapshot?.vrrp?.syncGroups.find((x) => x.name === name);
    const on = this.switches();
    if (!g || !on.traps || !on.vrrp) return [];
    return [syncGroupStateTrap(g, this.snapshot?.global.routerId)];
  }

  /** An advert failed authentication: RFC 2787's vrrpTrapAuthFailure (VRRPv2 instances), from the last
   * update() (to queue it). */
  authFailureNotifications(name: string, source: string, error: AuthErrorType): VarBind[][] {
    const i = this.instance(name);
    const on = this.switches();
    if (!i || !on.traps || !on.rfcv2 || !inRfc2787(i)) return [];
    return [rfc2787AuthFailureTrap(i, source, error)];
  }

  /** An advert had a protocol error: RFC 6527's vrrpv3NotifyProtoError with the protoErrorReason of the
   * last update() (to queue it). */
  protocolErrorNotifications(name: string): VarBind[][] {
    const i = this.instance(name);
    const on = this.switches();
    if (!i || !on.traps || !on.rfcv3 || !inRfc6527(i, this.v3ForV2())) return [];
    return [rfc6527ProtoErrorTrap(i)];
  }

  /** A real server went up or down (positions as in the snapshot's lists, from 0). */
  async realServerStateChanged(virtualServer: number, realServer: number): Promise<void> {
    const vs = this.snapshot?.checker?.virtualServers[virtualServer];
    const rs = vs?.realServers[realServer];
    const on = this.switches();
    if (!vs || !rs || !on.traps || !on.checker) return;
    await this.notify(realServerStateTrap(rs, vs, this.snapshot?.global.routerId));
  }

  /** A virtual server gained or lost its quorum; `stopping` when the checker is shutting down. */
  async quorumStateChanged(virtualServer: number, stopping = false): Promise<void> {
    const vs = this.snapshot?.checker?.virtualServers[virtualServer];
    const on = this.switches();
    if (!vs || !on.traps || !on.checker) return;
    await this.notify(quorumStateTrap(vs, stopping, this.snapshot?.global.routerId));
  }

  /** Unregisters and closes the session; no reconnection afterwards. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const s = this.session;
    this.session = undefined;
    if (s?.isOpen) await s.close();
    else s?.destroy();
  }

  private v3ForV2(): boolean {
    return this.options.view?.replyV3ForV2 ?? true;
  }

  private instance(name: string): VrrpInstanceInfo | undefined {
    return this.snapshot?.vrrp?.instances.find((i) => i.name === name);
  }

  private switches(): TrapSwitches {
    const m = this.options.mibs;
    return {
      traps: this.snapshot?.global.trapsEnabled ?? false,
      vrrp: m.vrrp,
      rfcv2: m.rfcv2,
      rfcv3: m.rfcv3,
      checker: m.checker,
    };
  }

  private async connect(): Promise<boolean> {
    const address = parseAgentxAddress(this.address);
    if (!address || this.stopped) return false;
    const session = new AgentxSession({
      address,
      id: KEEPALIVED_OID,
      descr: this.options.descr ?? 'Keepalived',
      startedAt: this.startedAt,
      respond: (pdu, uptime) =>
        this.prepare ? this.answer(pdu, uptime) : respond(this.currentView(), pdu, uptime),
      onClosed: (why) => {
        if (this.session !== session) return;
        this.options.log?.('warning', `SNMP: AgentX session lost (${why})`);
        this.session = undefined;
        clearInterval(this.pingTimer);
        this.scheduleReconnect();
      },
      ...(this.options.log ? { log: this.options.log } : {}),
    });
    this.session = session;
    try {
      await session.open();
      for (const r of registrations(this.options.mibs)) await session.register(r.subtree);
      for (const r of registrations(this.options.mibs)) await session.addAgentCaps(r.subtree, r.descr);
    } catch (e) {
      if (this.session === session) {
        this.session = undefined;
        session.destroy();
        // Said once per outage, not at every retry.
        if (!this.unreachableReported)
          this.options.log?.(
            'warning',
            `SNMP: cannot reach the master agent at ${this.address}: ${(e as Error).message}; retrying`,
          );
        this.unreachableReported = true;
        this.scheduleReconnect();
      }
      return false;
    }
    this.options.log?.('info', 'SNMP: AgentX subagent connected');
    this.unreachableReported = false;
    if (!this.coldStartSent) {
      // Once per process, on the first registration, as net-snmp does.
      this.coldStartSent = true;
      void this.notify(COLD_START);
    }
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      // A lost master shows up as a failed ping: drop the session, the close handler reconnects.
      session.ping().catch(() => {
        if (this.session === session) {
          this.session = undefined;
          session.destroy();
          clearInterval(this.pingTimer);
          this.options.log?.('warning', 'SNMP: the master agent does not answer pings; reconnecting');
          this.scheduleReconnect();
        }
      });
    }, this.options.pingIntervalMs ?? 15_000);
    this.pingTimer.unref();
    return true;
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), this.options.reconnectIntervalMs ?? 5_000);
    this.reconnectTimer.unref();
  }
}
