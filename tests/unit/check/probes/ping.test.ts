import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeEchoReply, encodeEchoRequest, inetChecksum } from '../../../../src/check/probes/ping.js';

describe('ICMP echo', () => {
  test('IPv4 echo request checksums to zero when summed with its checksum', () => {
    const msg = encodeEchoRequest(false, 0x4b41, 7, Buffer.from('abc'));
    assert.equal(msg[0], 8);
    assert.equal(inetChecksum(msg), 0);
  });
  test('property: checksum of data plus its checksum is zero (even lengths)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 64 }).filter((a) => a.length % 2 === 0),
        (data) => {
          const withSum = Buffer.concat([Buffer.from(data), Buffer.alloc(2)]);
          withSum.writeUInt16BE(inetChecksum(data), data.length);
          return inetChecksum(withSum) === 0;
        },
      ),
    );
  });
  test('reply decode skips the IPv4 header on raw sockets and checks type', () => {
    const icmp = encodeEchoRequest(false, 5, 9, Buffer.alloc(0));
    icmp[0] = 0; // echo reply
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    assert.deepEqual(decodeEchoReply(false, Buffer.concat([ip, icmp]), true), { id: 5, seq: 9 });
    assert.deepEqual(decodeEchoReply(false, icmp, false), { id: 5, seq: 9 });
    const v6 = encodeEchoRequest(true, 1, 2, Buffer.alloc(0));
    assert.equal(decodeEchoReply(true, v6, false), undefined); // a request, not a reply
    v6[0] = 129;
    assert.deepEqual(decodeEchoReply(true, v6, false), { id: 1, seq: 2 });
  });
});
