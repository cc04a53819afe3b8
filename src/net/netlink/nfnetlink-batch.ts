// Commits nfnetlink batches (transactions) and reports which message the kernel refused.
//
// The kernel processes a whole batch inside our sendmsg and answers afterwards: an NLMSG_ERROR for every
// message it refused (always sent), and an acknowledgement for every message flagged NLM_F_ACK. Only the
// last message asks for one, so a batch of ten thousand messages costs one reply when it succeeds; the
// errors of earlier messages arrive before it, in order. A failure the kernel cannot pin on a message
// (out of memory while queueing errors) is reported against BATCH_BEGIN's sequence number.

import { decodeAck, decodeMessages, errnoName, NLM_F_ACK, NLMSG_ERROR } from './codec.js';
import { type NfnlMessage, encodeBatch, NETLINK_NETFILTER } from './nfnetlink.js';
import { type NetlinkTransport, openNetlinkSocket } from './transport.js';

/** A batch the kernel refused: nothing of it was applied. */
export class NfnetlinkBatchError extends Error {
  constructor(
    /** errno name (EEXIST, ENOENT, EOPNOTSUPP, EINVAL, ...). */
    readonly code: string,
    readonly errno: number,
    /** Index in the batch of the refused message; -1 when the kernel refused the batch as a whole. */
    readonly index: number,
    /** The kernel's extended-ack text when it gave one. */
    readonly kernelMessage?: string,
    /** Every refusal of the batch (index, code), the first one first. */
    readonly all: readonly { index: number; code: string; kernelMessage?: string }[] = [],
  ) {
    super(
      `nf_tables transaction refused${index >= 0 ? ` at message ${index}` : ''}: ${code}` +
        (kernelMessage ? ` (${kernelMessage})` : ''),
    );
    this.name = 'NfnetlinkBatchError';
  }
}

export interface BatchClientOptions {
  /** Reject when the kernel has not answered within this time (default 10 s). */
  timeoutMs?: number;
}

interface InFlight {
  beginSeq: number;
  lastSeq: number;
  errors: { index: number; errno: number; kernelMessage?: string }[];
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Receive buffer: room for the error replies of a large refused batch (each echoes its message). */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export class NfnetlinkBatchClient {
  private nextSeq = 1;
  private inFlight: InFlight | undefined;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private sendBufferBytes = 0;
  private readonly timeoutMs: number;

  constructor(
    private readonly transport: NetlinkTransport,
    options: BatchClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    transport.setKeepAlive?.(false);
  }

  /** A client on its own NETLINK_NETFILTER socket. */
  static open(options: BatchClientOptions = {}): NfnetlinkBatchClient {
    return new NfnetlinkBatchClient(
      openNetlinkSocket({ protocol: NETLINK_NETFILTER, receiveBufferBytes: RECEIVE_BUFFER_BYTES }),
      options,
    );
  }

  /** Applies `messages` as one transaction; resolves once the kernel committed it. Commits queue. */
  commit(messages: readonly NfnlMessage[]): Promise<void> {
    const run = this.queue.then(() => this.commitNow(messages));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Sends a batch without waiting for the kernel's answer (it is already applied when this returns, as
   * the kernel commits inside sendmsg): for a last clean-up at exit, when there is no event loop left to
   * read replies. Throws only when the send itself fails.
   */
  commitAndForget(messages: readonly NfnlMessage[]): void {
    if (this.closed || messages.length === 0) return;
    const batch = encodeBatch(messages, this.takeSeqs(messages.length + 2));
    this.ensureSendBuffer(batch.datagram.length);
    this.transport.send(batch.datagram);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.settle()?.reject(new Error('nfnetlink client closed'));
    this.transport.close();
  }

  private takeSeqs(count: number): number {
    const first = this.nextSeq;
    this.nextSeq += count;
    if (this.nextSeq > 0x7fff0000) this.nextSeq = 1;
    return first;
  }

  private ensureSendBuffer(bytes: number): void {
    const wanted = bytes + 4096;
    if (wanted <= this.sendBufferBytes || !this.transport.setSendBuffer) return;
    this.transport.setSendBuffer(wanted);
    this.sendBufferBytes = wanted;
  }

  private commitNow(messages: readonly NfnlMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('nfnetlink client closed'));
    if (messages.length === 0) return Promise.resolve();
    const flagged = messages.map((m, i) =>
      i === messages.length - 1 ? { ...m, flags: m.flags | NLM_F_ACK } : m,
    );
    const batch = encodeBatch(flagged, this.takeSeqs(messages.length + 2));
    return new Promise<void>((resolve, reject) => {
      const inFlight: InFlight = {
        beginSeq: batch.beginSeq,
        lastSeq: batch.endSeq - 1,
        errors: [],
        resolve,
        reject,
        timer: undefined,
      };
      this.inFlight = inFlight;
      this.transport.onMessage(
        (d) => this.receive(d),
        (e) => this.settle()?.reject(e),
      );
      try {
        this.ensureSendBuffer(batch.datagram.length);
        this.transport.send(batch.datagram);
      } catch (error) {
        this.settle();
        reject(error as Error);
        return;
      }
      // Armed once sendmsg returns: the kernel runs the whole transaction inside it (seconds for a large
      // first load), and only the wait for its answer is bounded.
      if (this.inFlight === inFlight) {
        inFlight.timer = setTimeout(() => {
          this.settle();
          reject(Object.assign(new Error('nf_tables transaction not answered'), { code: 'ETIMEDOUT' }));
        }, this.timeoutMs);
      }
    });
  }

  private settle(): InFlight | undefined {
    const f = this.inFlight;
    if (!f) return undefined;
    clearTimeout(f.timer);
    this.inFlight = undefined;
    if (!this.closed) this.transport.stopReading?.();
    return f;
  }

  private receive(datagram: Buffer): void {
    const f = this.inFlight;
    if (!f) return;
    const decoded = decodeMessages(datagram);
    if (!decoded.ok) {
      this.settle()?.reject(
        Object.assign(new Error(`malformed netlink reply: ${decoded.error}`), { code: 'EBADMSG' }),
      );
      return;
    }
    for (const msg of decoded.value) {
      if (msg.type !== NLMSG_ERROR || msg.seq < f.beginSeq || msg.seq > f.lastSeq) continue;
      const ack = decodeAck(msg);
      if (!ack.ok) {
        this.settle()?.reject(Object.assign(new Error(ack.error), { code: 'EBADMSG' }));
        return;
      }
      const index = msg.seq - f.beginSeq - 1;
      if (ack.value.errno !== 0) {
        const e: InFlight['errors'][number] = { index, errno: ack.value.errno };
        if (ack.value.extackMessage !== undefined) e.kernelMessage = ack.value.extackMessage;
        f.errors.push(e);
      }
      if (msg.seq === f.lastSeq || msg.seq === f.beginSeq) {
        this.settle();
        const first = f.errors[0];
        if (!first) f.resolve();
        else
          f.reject(
            new NfnetlinkBatchError(
              errnoName(first.errno),
              first.errno,
              first.index,
              first.kernelMessage,
              f.errors.map((x) => ({
                index: x.index,
                code: errnoName(x.errno),
                kernelMessage: x.kernelMessage,
              })),
            ),
          );
        return;
      }
    }
  }
}
