// Request bookkeeping shared by every netlink client (rtnetlink, generic netlink): requests matched to
// replies by sequence number, kernel errors turned into exceptions, dumps collected until NLMSG_DONE and
// queued behind each other, timeouts. Knows no family: callers encode payloads and decode replies.

import {
  type NetlinkMessage,
  decodeAck,
  decodeDoneStatus,
  decodeMessages,
  encodeMessage,
  NLM_F_ACK,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
} from './codec.js';
import type { NetlinkTransport } from './transport.js';

/** One request: nlmsg_type, nlmsg_flags and what follows the 16-byte header. */
export interface NetlinkRequest {
  type: number;
  flags: number;
  payload: Buffer;
}

/** Builds the error a refused request rejects with (each family names its own error class). */
export type NetlinkErrorFactory = (
  errno: number,
  request: NetlinkRequest,
  kernelMessage: string | undefined,
) => Error;

export interface NetlinkRequesterOptions {
  /** Reject a request the kernel has not answered within this time (default 5000 ms). */
  timeoutMs?: number;
  /** Family-specific error for a negative ack or a failed dump. */
  makeError: NetlinkErrorFactory;
  /** What to call a request in timeout messages ("rtnetlink request 16"). */
  describe?: (request: NetlinkRequest) => string;
  /** Name used when the client is closed ("rtnetlink client closed"). */
  name?: string;
}

interface Pending {
  request: NetlinkRequest;
  expectsAck: boolean;
  replies: NetlinkMessage[];
  interrupted: boolean;
  resolve: (replies: NetlinkMessage[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const DUMP_RETRIES = 3;

export class NetlinkRequester {
  private nextSeq = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private dumpQueue: Promise<void> = Promise.resolve();
  private reading = false;
  private readonly timeoutMs: number;
  private readonly name: string;

  constructor(
    private readonly transport: NetlinkTransport,
    private readonly options: NetlinkRequesterOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.name = options.name ?? 'netlink';
    // An idle client must not hold the process open; a request in flight does, through its timeout timer.
    transport.setKeepAlive?.(false);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error(`${this.name} client closed`));
    this.transport.close();
  }

  /** Reads only while requests are in flight, so an idle client holds no event-loop handle at all. */
  private startReading(): void {
    if (this.reading) return;
    this.reading = true;
    this.transport.onMessage(
      (d) => this.receive(d),
      (e) => this.failAll(e),
    );
  }

  /** Sends one request; resolves with its reply messages (none for a plain ack). */
  request(req: NetlinkRequest): Promise<NetlinkMessage[]> {
    if (this.closed) return Promise.reject(new Error(`${this.name} client closed`));
    const seq = this.nextSeq;
    this.nextSeq = this.nextSeq >= 0x7fffffff ? 1 : this.nextSeq + 1;
    return new Promise<NetlinkMessage[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(seq);
        const what = this.options.describe?.(req) ?? `${this.name} request ${req.type}`;
        reject(Object.assign(new Error(`${what} timed out`), { code: 'ETIMEDOUT' }));
      }, this.timeoutMs);
      this.pending.set(seq, {
        request: req,
        expectsAck: (req.flags & NLM_F_ACK) !== 0,
        replies: [],
        interrupted: false,
        resolve,
        reject,
        timer,
      });
      this.startReading();
      try {
        this.transport.send(
          encodeMessage({ type: req.type, flags: req.flags, seq, pid: 0, payload: req.payload }),
        );
      } catch (error) {
        this.settle(seq);
        reject(error as Error);
      }
    });
  }

  /**
   * Runs a dump, again when the kernel says the table changed under it (NLM_F_DUMP_INTR). Dumps queue
   * behind each other: the kernel allows one in progress per socket (EBUSY otherwise).
   */
  dump(req: NetlinkRequest): Promise<NetlinkMessage[]> {
    const run = this.dumpQueue.then(() => this.dumpNow(req));
    this.dumpQueue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async dumpNow(req: NetlinkRequest): Promise<NetlinkMessage[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request(req);
      } catch (error) {
        if ((error as { code?: string }).code !== 'EINTR' || attempt >= DUMP_RETRIES) throw error;
      }
    }
  }

  private settle(seq: number): Pending | undefined {
    const p = this.pending.get(seq);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(seq);
    if (this.pending.size === 0 && this.reading && this.transport.stopReading && !this.closed) {
      this.transport.stopReading();
      this.reading = false;
    }
    return p;
  }

  private failAll(error: Error): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq)?.reject(error);
  }

  private receive(datagram: Buffer): void {
    const decoded = decodeMessages(datagram);
    if (!decoded.ok) {
      this.failAll(
        Object.assign(new Error(`malformed netlink reply: ${decoded.error}`), { code: 'EBADMSG' }),
      );
      return;
    }
    for (const msg of decoded.value) {
      const p = this.pending.get(msg.seq);
      if (!p || msg.type === NLMSG_NOOP || msg.type === NLMSG_OVERRUN) continue;
      if (msg.flags & NLM_F_DUMP_INTR) p.interrupted = true;
      if (msg.type === NLMSG_ERROR) {
        const ack = decodeAck(msg);
        this.settle(msg.seq);
        if (!ack.ok) p.reject(Object.assign(new Error(ack.error), { code: 'EBADMSG' }));
        else if (ack.value.errno === 0) p.resolve(p.replies);
        else p.reject(this.options.makeError(ack.value.errno, p.request, ack.value.extackMessage));
      } else if (msg.type === NLMSG_DONE) {
        const status = decodeDoneStatus(msg);
        this.settle(msg.seq);
        if (status > 0) p.reject(this.options.makeError(status, p.request, undefined));
        else if (p.interrupted) p.reject(Object.assign(new Error('dump interrupted'), { code: 'EINTR' }));
        else p.resolve(p.replies);
      } else {
        p.replies.push(msg);
        // A single (non-multipart) answer completes the request unless an ack is still to come.
        if (!(msg.flags & NLM_F_MULTI) && !p.expectsAck) this.settle(msg.seq)?.resolve(p.replies);
      }
    }
  }
}
