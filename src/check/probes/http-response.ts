// The reply side of the checkers' HTTP GET, pure: bytes in as the socket delivers them, a verdict out once
// the reply is complete (Content-Length reached, the body limit reached, or the server closed). Kept apart
// from the socket so that it can be fuzzed with any split of any bytes.
import { createHash } from 'node:crypto';

const HEADER_END = Buffer.from('\r\n\r\n');
/** A header block longer than this is refused (keepalived's buffer is smaller still). */
export const MAX_HEADER_BYTES = 64 * 1024;

export interface HttpReply {
  statusCode: number;
  /** The header block as received, without the blank line. */
  header: Buffer;
  body: Buffer;
  /** Lower-case hex MD5 of `body`. */
  md5: string;
}

export type HttpReplyOutcome = { ok: true; reply: HttpReply } | { ok: false; error: string };

export class HttpResponseReader {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  /** Offset of the blank line ending the header block, once seen. */
  private headerEnd = -1;
  private contentLength: number | undefined;
  /** The last bytes before the current chunk (up to 3), where a blank line split across chunks starts. */
  private carry: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBodyBytes: number) {}

  /** Takes the next bytes; returns the outcome once the reply is complete or refused, else undefined. Each
   * byte is looked at a bounded number of times, however the reply is split (a server sending one byte at
   * a time costs no more than one sending it whole). */
  push(chunk: Buffer): HttpReplyOutcome | undefined {
    const offset = this.received;
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.headerEnd < 0) {
      const window = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
      const at = window.indexOf(HEADER_END);
      if (at >= 0) {
        this.headerEnd = offset - this.carry.length + at;
        const header = this.joined().subarray(0, this.headerEnd).toString('latin1');
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(header);
        if (m !== null) this.contentLength = Number(m[1]);
      } else if (this.received > MAX_HEADER_BYTES) {
        return { ok: false, error: 'HTTP header too large' };
      } else {
        this.carry = Buffer.from(window.subarray(Math.max(0, window.length - (HEADER_END.length - 1))));
      }
    }
    if (this.headerEnd >= 0) {
      const bodyBytes = this.received - this.headerEnd - HEADER_END.length;
      if (
        (this.contentLength !== undefined && bodyBytes >= this.contentLength) ||
        bodyBytes >= this.maxBodyBytes
      )
        return this.end();
    }
    return undefined;
  }

  /** The server closed (or the reply is complete): the verdict on what arrived. */
  end(): HttpReplyOutcome {
    const all = this.joined();
    if (this.headerEnd < 0) return { ok: false, error: 'connection closed before the end of the headers' };
    const header = all.subarray(0, this.headerEnd);
    let body = all.subarray(this.headerEnd + HEADER_END.length);
    if (this.contentLength !== undefined && body.length > this.contentLength)
      body = body.subarray(0, this.contentLength);
    const statusLine = /^HTTP\/\d\.\d\s+(\d{3})/.exec(header.toString('latin1'));
    if (statusLine === null) return { ok: false, error: 'malformed HTTP status line' };
    return {
      ok: true,
      reply: {
        statusCode: Number(statusLine[1]),
        header,
        body,
        md5: createHash('md5').update(body).digest('hex'),
      },
    };
  }

  /** The bytes so far as one buffer (joined when asked, then kept joined). */
  private joined(): Buffer {
    if (this.chunks.length > 1) {
      const all = Buffer.concat(this.chunks);
      this.chunks.length = 0;
      this.chunks.push(all);
    }
    return this.chunks[0] ?? Buffer.alloc(0);
  }
}
