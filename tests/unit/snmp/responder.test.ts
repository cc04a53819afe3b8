// The subagent's answers (RFC 2741 7.2.3): Get gives the object or noSuchObject / noSuchInstance, GetNext
// honours the include flag and the range's end (endOfMibView past it), GetBulk repeats per RFC 3416 4.2.3,
// writes are refused, CleanupSet gets no answer, and only the default context is served.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getBulk, getNextInRange, respond, type MibView } from '../../../src/snmp/agentx/responder.js';
import { AGENTX_ERROR, type Pdu } from '../../../src/snmp/agentx/pdu.js';
import { ViewBuilder } from '../../../src/snmp/mib/builder.js';
import { integer, text, type Oid } from '../../../src/snmp/types.js';

// A scalar .1.3.9.1.0 and a table column .1.3.9.2.1.2 with rows 1, 2, 5.
function view(): MibView {
  const b = new ViewBuilder();
  b.scalar([1, 3, 9, 1], text('x'));
  b.define([1, 3, 9, 2, 1], [2, 3]);
  for (const row of [5, 1, 2]) b.cell([1, 3, 9, 2, 1, 2], [row], integer(row * 10));
  return b.view();
}

const ids = { sessionId: 3, transactionId: 4, packetId: 5 };
const range = (start: Oid, include = false, end: Oid = []) => ({ start, include, end });

describe('AgentX responder', () => {
  test('the view is sorted whatever the insertion order', () => {
    assert.deepEqual(
      view().entries.map((e) => e.oid.join('.')),
      ['1.3.9.1.0', '1.3.9.2.1.2.1', '1.3.9.2.1.2.2', '1.3.9.2.1.2.5'],
    );
  });

  test('two values for one OID: the first added stays', () => {
    const b = new ViewBuilder();
    b.cell([1, 3, 9, 2, 1, 2], [1], integer(1));
    b.cell([1, 3, 9, 2, 1, 2], [1], integer(2));
    assert.deepEqual(
      b.view().entries.map((e) => e.value),
      [integer(1)],
    );
  });

  test('Get: the object, noSuchInstance under a known object, noSuchObject elsewhere', () => {
    const r = respond(
      view(),
      {
        ...ids,
        type: 'get',
        ranges: [range([1, 3, 9, 1, 0]), range([1, 3, 9, 2, 1, 2, 3]), range([1, 3, 9, 7])],
      },
      77,
    );
    assert.ok(r);
    assert.deepEqual([r.sessionId, r.transactionId, r.packetId, r.sysUpTime, r.error], [3, 4, 5, 77, 0]);
    assert.deepEqual(
      r.varbinds.map((v) => v.value.type),
      ['octets', 'noSuchInstance', 'noSuchObject'],
    );
    assert.deepEqual(r.varbinds[2]?.oid, [1, 3, 9, 7]);
  });

  test('GetNext: strictly after the start, or at it with include; endOfMibView at the end or the bound', () => {
    const v = view();
    assert.deepEqual(getNextInRange(v, range([1, 3, 9, 1, 0])).oid, [1, 3, 9, 2, 1, 2, 1]);
    assert.deepEqual(getNextInRange(v, range([1, 3, 9, 1, 0], true)).oid, [1, 3, 9, 1, 0]);
    assert.deepEqual(getNextInRange(v, range([1, 3, 9, 2, 1, 2, 2])).oid, [1, 3, 9, 2, 1, 2, 5]);
    assert.deepEqual(getNextInRange(v, range([0])).oid, [1, 3, 9, 1, 0]);
    const past = getNextInRange(v, range([1, 3, 9, 2, 1, 2, 5]));
    assert.deepEqual(past, { oid: [1, 3, 9, 2, 1, 2, 5], value: { type: 'endOfMibView' } });
    // The end bound is exclusive: the master gives each subagent the part of the tree it registered.
    const bounded = getNextInRange(v, range([1, 3, 9, 1, 0], false, [1, 3, 9, 2, 1, 2, 1]));
    assert.equal(bounded.value.type, 'endOfMibView');
  });

  test('GetBulk: non-repeaters once, repeaters until max-repetitions or all at the end', () => {
    const v = view();
    const out = getBulk(v, {
      ...ids,
      type: 'getBulk',
      nonRepeaters: 1,
      maxRepetitions: 10,
      ranges: [range([1, 3, 9]), range([1, 3, 9, 2])],
    });
    assert.deepEqual(
      out.map((x) => `${x.oid.join('.')}=${x.value.type}`),
      [
        '1.3.9.1.0=octets',
        '1.3.9.2.1.2.1=integer',
        '1.3.9.2.1.2.2=integer',
        '1.3.9.2.1.2.5=integer',
        '1.3.9.2.1.2.5=endOfMibView',
      ],
    );
    const two = getBulk(v, {
      ...ids,
      type: 'getBulk',
      nonRepeaters: 0,
      maxRepetitions: 2,
      ranges: [range([1, 3, 9]), range([1, 3, 9, 2, 1, 2, 2])],
    });
    assert.deepEqual(
      two.map((x) => `${x.oid.join('.')}=${x.value.type}`),
      ['1.3.9.1.0=octets', '1.3.9.2.1.2.5=integer', '1.3.9.2.1.2.1=integer', '1.3.9.2.1.2.5=endOfMibView'],
    );
  });

  test('writes are refused, CleanupSet is not answered, other contexts are unsupported', () => {
    const v = view();
    const test1 = respond(
      v,
      { ...ids, type: 'testSet', varbinds: [{ oid: [1, 3, 9, 1, 0], value: integer(1) }] },
      0,
    );
    assert.deepEqual([test1?.error, test1?.index], [AGENTX_ERROR.notWritable, 1]);
    assert.equal(respond(v, { ...ids, type: 'commitSet' }, 0)?.error, 0);
    assert.equal(respond(v, { ...ids, type: 'cleanupSet' }, 0), undefined);
    assert.equal(
      respond(v, { ...ids, type: 'response', sysUpTime: 0, error: 0, index: 0, varbinds: [] }, 0),
      undefined,
    );
    const ctx: Pdu = {
      ...ids,
      type: 'get',
      context: new TextEncoder().encode('other'),
      ranges: [range([1, 3, 9, 1, 0])],
    };
    assert.equal(respond(v, ctx, 0)?.error, AGENTX_ERROR.unsupportedContext);
    // net-snmp's master names the default context with an empty string.
    const empty: Pdu = { ...ids, type: 'get', context: new Uint8Array(0), ranges: [range([1, 3, 9, 1, 0])] };
    assert.equal(respond(v, empty, 0)?.varbinds[0]?.value.type, 'octets');
  });
});
