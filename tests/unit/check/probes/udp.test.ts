import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeUdpReply } from '../../../../src/check/probes/udp.js';
import type { UdpCheckOptions } from '../../../../src/check/schedule/spec.js';

describe('UDP reply check', () => {
  const base: UdpCheckOptions = {
    kind: 'UDP_CHECK',
    requireReply: true,
    minReplyLength: 0,
    maxReplyLength: 255,
  };
  test('compares over the shorter of reply and expected data, honouring the mask', () => {
    const o = { ...base, replyData: Buffer.from([1, 2, 3]) };
    assert.equal(judgeUdpReply(o, Buffer.from([1, 2])), undefined);
    assert.equal(judgeUdpReply(o, Buffer.from([1, 2, 3, 4])), undefined);
    assert.notEqual(judgeUdpReply(o, Buffer.from([1, 9, 3])), undefined);
    assert.equal(
      judgeUdpReply({ ...o, replyMask: Buffer.from([0, 0xff, 0]) }, Buffer.from([1, 9, 3])),
      undefined,
    );
    assert.notEqual(
      judgeUdpReply({ ...o, replyMask: Buffer.from([0, 0xf0, 0]) }, Buffer.from([1, 9, 3])),
      undefined,
    );
  });
  test('length limits apply only with reply data (as in keepalived)', () => {
    assert.equal(judgeUdpReply({ ...base, maxReplyLength: 1 }, Buffer.from([1, 2, 3])), undefined);
    assert.notEqual(
      judgeUdpReply({ ...base, maxReplyLength: 1, replyData: Buffer.from([1]) }, Buffer.from([1, 2])),
      undefined,
    );
    assert.notEqual(
      judgeUdpReply({ ...base, minReplyLength: 3, replyData: Buffer.from([1]) }, Buffer.from([1])),
      undefined,
    );
  });
});
