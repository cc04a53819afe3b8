// The event history behind /events (sequence numbers, a bounded ring, Last-Event-ID resumption), the SSE
// framing, and the bearer token check.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventHistory, type StatusEventBody } from '../../../src/api/events.js';
import { authorized, parseLastEventId, sseFrame, sseGap } from '../../../src/api/sse.js';

const bfd = (n: number): StatusEventBody => ({ type: 'bfd', session: `s${n}`, up: n % 2 === 0 });

void describe('EventHistory', () => {
  void test('numbers events from 1 and keeps the last `capacity`, oldest first', () => {
    const h = new EventHistory(3);
    assert.equal(h.lastSeq, 0);
    for (let i = 1; i <= 5; i++) assert.equal(h.push(bfd(i), `t${i}`).seq, i);
    assert.equal(h.lastSeq, 5);
    assert.deepEqual(
      h.all().map((e) => [e.seq, e.at]),
      [
        [3, 't3'],
        [4, 't4'],
        [5, 't5'],
      ],
    );
  });

  void test('since(): what a client missed, and whether some of it is lost', () => {
    const h = new EventHistory(3);
    for (let i = 1; i <= 5; i++) h.push(bfd(i), 't');
    assert.deepEqual(h.since(4), { events: h.all().slice(2), gap: false });
    assert.deepEqual(h.since(5).events, []);
    // 2 is kept-1: nothing lost
    assert.equal(h.since(2).gap, false);
    assert.deepEqual(
      h.since(1).events.map((e) => e.seq),
      [3, 4, 5],
    );
    assert.equal(h.since(1).gap, true, 'event 2 is gone');
    // an id from before a restart (numbers start again at 1): everything kept, flagged
    assert.deepEqual(h.since(99), { events: h.all(), gap: true });
    assert.deepEqual(new EventHistory(2).since(0), { events: [], gap: false });
  });

  void test('recent(): the last n of one type', () => {
    const h = new EventHistory(10);
    h.push(bfd(1), 't');
    h.push(
      { type: 'state-change', instance: 'A', from: 'BACKUP', to: 'MASTER', reason: 'r1', priority: 1 },
      't',
    );
    h.push(bfd(2), 't');
    h.push(
      { type: 'state-change', instance: 'A', from: 'MASTER', to: 'BACKUP', reason: 'r2', priority: 1 },
      't',
    );
    assert.deepEqual(
      h.recent('state-change', 5).map((e) => e.seq),
      [2, 4],
    );
    assert.deepEqual(
      h.recent('state-change', 1).map((e) => e.seq),
      [4],
    );
  });
});

void describe('SSE and requests', () => {
  void test('a frame carries id, event type and one line of JSON', () => {
    const h = new EventHistory(2);
    const e = h.push(
      { type: 'checker', virtualServer: 'v', realServer: 'r', up: false, weight: 1, reason: 'a\nb' },
      'T',
    );
    const frame = sseFrame(e);
    const lines = frame.split('\n');
    assert.equal(lines[0], 'id: 1');
    assert.equal(lines[1], 'event: checker');
    assert.ok(lines[2]?.startsWith('data: '));
    assert.deepEqual(JSON.parse((lines[2] ?? '').slice(6)), e);
    assert.ok(frame.endsWith('\n\n') && lines.length === 5, 'newlines in fields stay escaped in the JSON');
    assert.equal(sseGap(3, 7), 'event: gap\ndata: {"after":3,"resumedAt":7}\n\n');
  });

  void test('Last-Event-ID: a non-negative integer or nothing', () => {
    assert.equal(parseLastEventId('42'), 42);
    assert.equal(parseLastEventId(' 0 '), 0);
    for (const bad of [undefined, null, '', '-1', '1.5', 'x', '1e3'])
      assert.equal(parseLastEventId(bad), undefined);
  });

  void test('bearer token: required when configured, exact match only', () => {
    assert.equal(authorized(undefined, undefined), true);
    assert.equal(authorized(undefined, 'tok'), false);
    assert.equal(authorized('Bearer tok', 'tok'), true);
    assert.equal(authorized('bearer tok', 'tok'), true);
    assert.equal(authorized('Bearer a b', 'a b'), true);
    // RFC 6750: 1*SP after the scheme
    assert.equal(authorized('Bearer  tok', 'tok'), true);
    for (const h of ['Bearer to', 'Bearer tokk', 'Bearer TOK', 'Basic dG9r', 'tok', 'Bearer '])
      assert.equal(authorized(h, 'tok'), false, h);
  });
});
