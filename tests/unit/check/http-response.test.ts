// The HTTP checker's reply reader (src/check/probes/http-response.ts): the verdict does not depend on how
// the reply is split into chunks, and a server trickling its header one byte at a time costs linear work
// (it used to join everything received on every chunk: 64 KiB sent byte by byte copied about 2 GiB).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HttpResponseReader,
  MAX_HEADER_BYTES,
  type HttpReplyOutcome,
} from '../../../src/check/probes/http-response.js';

function readAll(reply: Buffer, chunkSizes: (at: number) => number, maxBody = 1 << 20): HttpReplyOutcome {
  const r = new HttpResponseReader(maxBody);
  for (let at = 0; at < reply.length;) {
    const n = Math.max(1, chunkSizes(at));
    const out = r.push(reply.subarray(at, at + n));
    if (out !== undefined) return out;
    at += n;
  }
  return r.end();
}

const REPLIES = [
  'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello and more',
  'HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\nnot here',
  'HTTP/1.1 200 OK\r\n\r\n',
  'garbage\r\n\r\nbody',
  'HTTP/1.1 200 OK\r\nno end of headers',
];

test('the verdict is the same however the reply is split', () => {
  for (const text of REPLIES) {
    const reply = Buffer.from(text);
    const whole = readAll(reply, () => reply.length);
    for (const size of [1, 2, 3, 4, 5, 7])
      assert.deepEqual(
        readAll(reply, () => size),
        whole,
        `${text} by ${size}`,
      );
    for (let cut = 1; cut < reply.length; cut++)
      assert.deepEqual(
        readAll(reply, (at) => (at === 0 ? cut : reply.length)),
        whole,
        `${text} cut at ${cut}`,
      );
  }
  const ok = readAll(Buffer.from(REPLIES[0]!), () => 1);
  assert.ok(ok.ok && ok.reply.statusCode === 200 && ok.reply.body.toString() === 'hello');
});

test('a header trickled one byte at a time is refused past 64 KiB with linear work', () => {
  const concat = Buffer.concat;
  let copied = 0;
  Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
    copied += list.reduce((n, b) => n + b.length, 0);
    return concat(list, total);
  }) as typeof Buffer.concat;
  try {
    const r = new HttpResponseReader(1 << 20);
    let out: HttpReplyOutcome | undefined;
    const one = Buffer.from('a');
    for (let i = 0; i <= MAX_HEADER_BYTES && out === undefined; i++) out = r.push(one);
    assert.deepEqual(out, { ok: false, error: 'HTTP header too large' });
  } finally {
    Buffer.concat = concat;
  }
  assert.ok(copied < 8 * MAX_HEADER_BYTES, `${copied} bytes copied for a ${MAX_HEADER_BYTES}-byte header`);
});
