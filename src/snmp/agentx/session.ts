// One AgentX session over a stream socket to the master agent (snmpd with `master agentx`): connects, opens
// the session, registers subtrees and agent capabilities, answers the master's requests through a callback,
// and sends Notify and Ping PDUs. This is the I/O half; the bytes are codec.ts's and the answers
// responder.ts's. Reconnecting after a loss is the caller's choice (subagent.ts does it).
import { connect, type Socket } from 'node:net';
import type { Oid, VarBind } from '../types.js';
import { decodePdu, encodePdu, frameLength } from './codec.js';
import { AGENTX_ERROR, CLOSE_REASON, type Pdu, type PduOf } from './pdu.js';

/** SNMPv2-MIB::sysUpTime.0. */
const SYS_UPTIME = [1, 3, 6, 1, 2, 1, 1, 3, 0];

/** net-snmp's default master socket. */
export const DEFAULT_AGENTX_ADDRESS = 'unix:/var/agentx/master';

export type AgentxAddress = { path: string } | { host: string; port: number };

/** Reads an agentXSocket / keepalived snmp_socket spec: "unix:/path", "/path", "tcp:host:port",
 * "host:port". undefined when it names a transport we do not speak (udp, ...). */
export function parseAgentxAddress(spec: string): AgentxAddress | undefined {
  if (spec.startsWith('unix:')) return spec.length > 5 ? { path: spec.slice(5) } : undefined;
  if (spec.startsWith('/')) return { path: spec };
  const m = /^(?:tcp:)?(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(spec);
  if (m && !spec.startsWith('udp')) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) return undefined;
    return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
  }
  return undefined;
}

export type SessionLog = (level: 'info' | 'warning', message: string) => void;

export interface AgentxSessionOptions {
  address: AgentxAddress;
  /** o.id and o.descr of the Open-PDU: who we are. */
  id: Oid;
  descr: string;
  /** o.timeout: seconds the master should wait for our answers (0: its default). */
  timeout?: number;
  /** How long to wait for the master's Response to our own PDUs. */
  requestTimeoutMs?: number;
  /** Answers a request from the master (responder.ts's respond); undefined sends nothing. */
  respond: (pdu: Pdu, sysUpTime: number) => Pdu | undefined | Promise<Pdu | undefined>;
  /** Date.now() of the agent's start: sysUpTime counts from it (default: when the session opens). */
  startedAt?: number;
  /** Called once when the connection is gone (closed by either side, or broken). */
  onClosed?: (why: string) => void;
  log?: SessionLog;
}

interface Pending {
  resolve: (pdu: PduOf<'response'>) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const textEncoder = new TextEncoder();

export class AgentxSession {
  private socket: Socket | undefined;
  private inbox = new Uint8Array(0);
  private sessionId = 0;
  private nextPacketId = 1;
  private readonly pending = new Map<number, Pending>();
  private openedAt = 0;
  private closedReported = false;

  constructor(private readonly options: AgentxSessionOptions) {}

  get isOpen(): boolean {
    return this.socket !== undefined && this.sessionId !== 0;
  }

  /** Hundredths of a second since the agent started: res.sysUpTime of our answers, sysUpTime.0 of our
   * notifications. */
  private uptime(): number {
    return Math.floor((Date.now() - this.openedAt) / 10);
  }

  /** Connects and sends the Open-PDU; resolves once the master accepted it. */
  async open(): Promise<void> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(this.options.address);
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    this.socket = socket;
    this.inbox = new Uint8Array(0);
    this.closedReported = false;
    // Events of a socket we already dropped (destroy(), a reconnect) are none of our business.
    socket.on('data', (chunk: Buffer) => {
      if (this.socket === socket) this.receive(chunk);
    });
    socket.on('error', (e) => {
      if (this.socket === socket) this.lost(`socket error: ${e.message}`);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.lost('connection closed');
    });
    this.openedAt = this.options.startedAt ?? Date.now();
    const res = await this.request({
      type: 'open',
      sessionId: 0,
      transactionId: 0,
      packetId: 0,
      timeout: this.options.timeout ?? 0,
      id: this.options.id,
      descr: textEncoder.encode(this.options.descr),
    });
    if (res.error !== AGENTX_ERROR.noError) {
      this.destroy();
      throw new Error(`AgentX Open refused (error ${res.error})`);
    }
    this.sessionId = res.sessionId;
  }

  /** Registers a subtree (RFC 2741 6.2.3); keepalived uses priority 127, net-snmp's default. */
  async register(subtree: Oid, priority = 127): Promise<void> {
    const res = await this.request({
      ...this.ids(),
      type: 'register',
      timeout: 0,
      priority,
      rangeSubid: 0,
      subtree,
    });
    if (res.error !== AGENTX_ERROR.noError)
      throw new Error(`AgentX Register of .${subtree.join('.')} refused (error ${res.error})`);
  }

  async unregister(subtree: Oid, priority = 127): Promise<void> {
    await this.request({ ...this.ids(), type: 'unregister', priority, rangeSubid: 0, subtree });
  }

  /** Adds a sysORTable row (RFC 2741 6.2.14). */
  async addAgentCaps(id: Oid, descr: string): Promise<void> {
    const res = await this.request({
      ...this.ids(),
      type: 'addAgentCaps',
      id,
      descr: textEncoder.encode(descr),
    });
    if (res.error !== AGENTX_ERROR.noError)
      throw new Error(`AgentX AddAgentCaps refused (error ${res.error})`);
  }

  async removeAgentCaps(id: Oid): Promise<void> {
    await this.request({ ...this.ids(), type: 'removeAgentCaps', id });
  }

  /** Sends a notification: `varbinds` start with snmpTrapOID.0; sysUpTime.0 (ours, as net-snmp's
   * subagents send it) goes in front. */
  async notify(varbinds: VarBind[]): Promise<void> {
    const upTime: VarBind = { oid: SYS_UPTIME, value: { type: 'timeticks', value: this.uptime() >>> 0 } };
    const res = await this.request({ ...this.ids(), type: 'notify', varbinds: [upTime, ...varbinds] });
    if (res.error !== AGENTX_ERROR.noError) throw new Error(`AgentX Notify refused (error ${res.error})`);
  }

  /** Asks the master whether it is still there; rejects on timeout or a closed session. */
  async ping(): Promise<void> {
    await this.request({ ...this.ids(), type: 'ping' });
  }

  /** Sends a Close-PDU (best effort) and drops the connection. */
  async close(reason: number = CLOSE_REASON.shutdown): Promise<void> {
    if (this.isOpen) {
      try {
        await this.request({ ...this.ids(), type: 'close', reason });
      } catch {
        // the master may drop the connection without answering
      }
    }
    this.destroy();
  }

  /** Drops the connection at once; pending requests fail; onClosed is not called. */
  destroy(): void {
    this.closedReported = true;
    this.dropSocket();
    this.sessionId = 0;
    this.failPending('session closed');
  }

  private dropSocket(): void {
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
  }

  private ids(): { sessionId: number; transactionId: number; packetId: number } {
    return { sessionId: this.sessionId, transactionId: 0, packetId: 0 };
  }

  private request(pdu: Pdu): Promise<PduOf<'response'>> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('AgentX session not connected'));
    const packetId = this.nextPacketId;
    this.nextPacketId = (this.nextPacketId % 0xffffffff) + 1;
    const sent: Pdu = { ...pdu, packetId };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(packetId);
        reject(
          new Error(`no AgentX Response to ${pdu.type} within ${this.options.requestTimeoutMs ?? 5000} ms`),
        );
      }, this.options.requestTimeoutMs ?? 5000);
      this.pending.set(packetId, { resolve, reject, timer });
      socket.write(encodePdu(sent));
    });
  }

  private receive(chunk: Buffer): void {
    const joined = new Uint8Array(this.inbox.length + chunk.length);
    joined.set(this.inbox);
    joined.set(chunk, this.inbox.length);
    this.inbox = joined;
    for (;;) {
      const frame = frameLength(this.inbox);
      if (frame.kind === 'partial') return;
      if (frame.kind === 'invalid') {
        this.options.log?.('warning', `AgentX: unreadable stream from the master (${frame.error}); closing`);
        this.socket?.write(encodePdu({ ...this.ids(), type: 'close', reason: CLOSE_REASON.parseError }));
        this.lost(frame.error);
        return;
      }
      const bytes = this.inbox.subarray(0, frame.length);
      this.inbox = this.inbox.slice(frame.length);
      this.handle(bytes);
    }
  }

  private handle(bytes: Uint8Array): void {
    const decoded = decodePdu(bytes);
    if (!decoded.ok) {
      this.options.log?.(
        'warning',
        `AgentX: malformed PDU from the master (${decoded.stage}: ${decoded.error})`,
      );
      const h = decoded.header;
      // A request we cannot read still gets its answer, so the master does not wait for a timeout.
      if (h && h.type !== 18)
        this.socket?.write(
          encodePdu({
            type: 'response',
            sessionId: h.sessionId,
            transactionId: h.transactionId,
            packetId: h.packetId,
            sysUpTime: this.uptime(),
            error: AGENTX_ERROR.parseError,
            index: 0,
            varbinds: [],
          }),
        );
      return;
    }
    const pdu = decoded.pdu;
    if (pdu.type === 'response') {
      const p = this.pending.get(pdu.packetId);
      if (!p) return;
      this.pending.delete(pdu.packetId);
      clearTimeout(p.timer);
      p.resolve(pdu);
      return;
    }
    if (pdu.type === 'close') {
      this.options.log?.('info', `AgentX: the master closed the session (reason ${pdu.reason})`);
      this.lost(`closed by the master (reason ${pdu.reason})`);
      return;
    }
    const answer = this.options.respond(pdu, this.uptime());
    if (answer instanceof Promise)
      void answer.then(
        (a) => {
          if (a) this.socket?.write(encodePdu(a));
        },
        (e: unknown) => this.options.log?.('warning', `AgentX: no answer: ${(e as Error).message}`),
      );
    else if (answer) this.socket?.write(encodePdu(answer));
  }

  private failPending(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new Error(why));
    }
  }

  private lost(why: string): void {
    this.sessionId = 0;
    this.dropSocket();
    this.failPending(why);
    if (this.closedReported) return;
    this.closedReported = true;
    this.options.onClosed?.(why);
  }
}
