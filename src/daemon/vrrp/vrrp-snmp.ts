// The VRRP child's SNMP subagent, as keepalived's VRRP process runs it (vrrp_snmp.c): started once at start
// when enable_snmp_vrrp, enable_snmp_rfc(v2/v3) or -x asks for it, it registers KEEPALIVED-MIB vrrp,
// VRRP-MIB and VRRPV3-MIB as switched on (and the global objects unless the checker process serves them),
// answers from the daemon's live state (engine, trackers, interfaces), and sends the notifications of
// send_instance_notifies / send_group_notifies when an instance or sync group changes state. A reload keeps
// the session and its registrations (keepalived does not re-register either) and serves the new config.
// Nothing here waits on snmpd in the daemon's event path: notifications are queued, requests answered from
// a view built at most once a second.
import { hostname } from 'node:os';
import { LogRateLimiter } from '../../common/log-rate-limit.js';
import { performance } from 'node:perf_hooks';
import type { Model } from '../../config/index.js';
import { VERSION_STRING } from '../../common/version.js';
import { snapshotFromModel, type HostFacts, type TrackerStates } from '../../snmp/from-model.js';
import { resolveCommandPath } from '../../system/script-path.js';
import { servedMibs, servesAnything, snmpSocket, snmpSwitches } from '../../snmp/mib/serve.js';
import type {
  InterfaceInfo,
  ProtoErrorReason,
  ScriptResult,
  SnmpSnapshot,
  SnmpVrrpState,
} from '../../snmp/snapshot.js';
import type { AuthErrorType } from '../../snmp/mib/traps.js';
import type { AdvertErrorReport, AdvertErrorReason } from '../../vrrp/engine/reports.js';
import { SnmpSubagent } from '../../snmp/subagent.js';
import type { VarBind } from '../../snmp/types.js';
import type { EngineSnapshot, TrackerStates as EngineTrackers } from '../../vrrp/engine/engine.js';
import type { Logger } from '../process/log.js';
import type { DaemonOptions } from '../process/options.js';
import { cachedResolver, freshSnapshot, NotificationQueue, startAgent } from '../process/snmp-common.js';

/** What the daemon knows now. */
export interface VrrpSnmpSource {
  engine(): EngineSnapshot | undefined;
  trackers(): EngineTrackers | undefined;
  interfaces(): ReadonlyMap<string, InterfaceInfo>;
}

/** RFC 2787's vrrpTrapAuthErrorType and RFC 6527's vrrpv3StatisticsProtoErrReason of each drop reason, as
 * keepalived's vrrp_check_packet() gives them. */
const AUTH_ERROR: Partial<Record<AdvertErrorReason, AuthErrorType>> = {
  invalid_authtype: 1,
  authtype_mismatch: 2,
  auth_failure: 3,
};
const PROTO_ERROR: Partial<Record<AdvertErrorReason, ProtoErrorReason>> = {
  ip_ttl_err: 1,
  version_err: 2,
  checksum_err: 3,
};
/** keepalived notifies every bad packet; a flood of them would queue notifications without end here, so
 * each instance sends at most 10 per second (the counters still count every packet). */
const ERROR_NOTIFICATIONS = { burst: 10, windowMs: 1000 } as const;

const SCRIPT_RESULT = { init: 'init', ok: 'good', failed: 'bad' } as const satisfies Record<
  string,
  ScriptResult
>;

function trackerStates(model: Model, t: EngineTrackers | undefined): TrackerStates {
  if (t === undefined) return {};
  return {
    scripts: new Map([...t.scripts].map(([name, s]) => [name, SCRIPT_RESULT[s]])),
    files: t.files,
    bfds: new Map([...t.bfdsUp].map((name) => [name, true])),
    // The process count is the tracker poller's; SNMP shows whether the quorum holds.
    processes: new Map(
      model.trackProcesses.map((p) => [p.name, { running: 0, haveQuorum: !t.processesDown.has(p.name) }]),
    ),
  };
}

export class VrrpSnmp {
  private model: Model;
  private readonly agent: SnmpSubagent;
  private readonly notifications: NotificationQueue;
  private readonly startedAtMs = Date.now();
  private readonly resolve = cachedResolver(resolveCommandPath);
  /** This engine step's state changes, made notifications once the step is done (one snapshot). */
  private readonly pending: Array<{ kind: 'INSTANCE' | 'GROUP'; name: string; state: SnmpVrrpState }> = [];
  /** vrrpv3StatisticsProtoErrReason: each instance's last protocol error. */
  private readonly protoErrors = new Map<string, ProtoErrorReason>();
  private readonly errorLimit = new LogRateLimiter(ERROR_NOTIFICATIONS);

  private constructor(
    model: Model,
    private readonly socket: string,
    private readonly mibs: ReturnType<typeof servedMibs>,
    private readonly source: VrrpSnmpSource,
    private readonly log: Logger,
  ) {
    this.model = model;
    this.agent = new SnmpSubagent({
      mibs,
      log: (level, message) => (level === 'info' ? log.info(message) : log.warn(message)),
    });
    this.notifications = new NotificationQueue(this.agent);
    this.agent.track(() => this.snapshot());
  }

  /** The subagent this configuration and these options ask for, or undefined (no SNMP). */
  static create(
    model: Model,
    options: DaemonOptions,
    source: VrrpSnmpSource,
    log: Logger,
  ): VrrpSnmp | undefined {
    const switches = snmpSwitches(model.global, options.snmp);
    // keepalived's running_checker(): the global objects go to the checker when it serves SNMP.
    const checkerRunning = !options.vrrpOnly && (model.virtualServers.length > 0 || options.runAll);
    const mibs = servedMibs(switches, 'vrrp', checkerRunning);
    if (!servesAnything(mibs)) return undefined;
    return new VrrpSnmp(model, snmpSocket(model.global, options.snmpAgentSocket), mibs, source, log);
  }

  /** Connects (waiting a moment at most: keepalived connects before its first election too). */
  async start(): Promise<void> {
    await startAgent(this.agent, this.socket, this.log);
  }

  /** A reload: the same session and registrations, the new configuration's objects. */
  reload(model: Model): void {
    this.model = model;
    this.agent.track(() => this.snapshot());
  }

  /** An instance or sync group entered `state` (the engine's notify action): keepalived's traps. The
   * changes of one engine step are taken together, on one snapshot, right after the step. */
  stateChanged(kind: 'INSTANCE' | 'GROUP', name: string, state: SnmpVrrpState): void {
    this.pending.push({ kind, name, state });
    if (this.pending.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const changes = this.pending.splice(0);
    if (changes.length === 0) return;
    const snap = freshSnapshot(this.agent, () => this.snapshot(), this.log);
    if (snap === undefined) return;
    const lists: VarBind[][] = [];
    for (const { kind, name, state } of changes) {
      // The state this notification is about, even if the engine moved on since.
      if (kind === 'INSTANCE') {
        const i = snap.vrrp?.instances.find((x) => x.name === name);
        if (i) i.state = state;
        lists.push(...this.agent.instanceNotifications(name));
      } else {
        const g = snap.vrrp?.syncGroups.find((x) => x.name === name);
        if (g) g.state = state;
        lists.push(...this.agent.syncGroupNotifications(name));
      }
    }
    this.notifications.send(lists);
  }

  /** An advert dropped for an authentication or protocol error (engine report): keepalived's RFC 2787 /
   * RFC 6527 notifications, when those MIBs and traps are on. */
  advertError(r: AdvertErrorReport): void {
    const proto = PROTO_ERROR[r.reason];
    if (proto !== undefined) this.protoErrors.set(r.instance, proto);
    const auth = AUTH_ERROR[r.reason];
    if (auth !== undefined ? !this.mibs.rfcv2 : !this.mibs.rfcv3) return;
    // RFC 2787's trap carries an IPv4 source (vrrpTrapPacketSrc)
    if (auth !== undefined && (r.source === undefined || r.source.includes(':'))) return;
    if (!this.errorLimit.admit(r.instance, performance.now()).log) return;
    const snap = freshSnapshot(this.agent, () => this.snapshot(), this.log);
    if (snap === undefined) return;
    this.notifications.send(
      auth !== undefined && r.source !== undefined
        ? this.agent.authFailureNotifications(r.instance, r.source, auth)
        : this.agent.protocolErrorNotifications(r.instance),
    );
  }

  /** Sends what is queued (the STOP notifications), then unregisters and closes. */
  async close(waitMs = 1000): Promise<void> {
    this.flush();
    await this.notifications.drain(waitMs);
    await this.agent.close();
  }

  private snapshot(): SnmpSnapshot {
    const host: HostFacts = { interfaces: this.source.interfaces(), localName: hostname() };
    const engine = this.source.engine();
    return snapshotFromModel({
      model: this.model,
      version: VERSION_STRING,
      host,
      ...(engine ? { engine } : {}),
      trackers: trackerStates(this.model, this.source.trackers()),
      runtime: new Map([...this.protoErrors].map(([name, reason]) => [name, { protoErrorReason: reason }])),
      resolveCommand: this.resolve,
      startedAtMs: this.startedAtMs,
      nowMs: Date.now(),
    });
  }
}
