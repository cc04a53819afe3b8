import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { buildRequest, type HttpGetResult } from '../../../../src/check/probes/http-client.js';
import { judgeHttpReply } from '../../../../src/check/probes/http.js';
import { judgeUdpReply } from '../../../../src/check/probes/udp.js';
import { decodeDnsHeader, encodeDnsQuery } from '../../../../src/check/probes/dns-message.js';
import { decodeEchoReply, encodeEchoRequest, inetChecksum } from '../../../../src/check/probes/ping.js';
import { judgeTrackedValue } from '../../../../src/check/probes/file.js';
import { hexDump } from '../../../../src/check/probes/genhash.js';
import type { UdpCheckOptions } from '../../../../src/check/schedule/spec.js';

describe('HTTP request and verdict', () => {
  test('requests are byte-identical to keepalived 2.2.7 genhash', () => {
    // captured from /usr/bin/genhash against a dumping server
    assert.equal(
      buildRequest({ address: '127.0.0.1', port: 18082, path: '/a/b', protocol: '1.0' }),
      'GET /a/b HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:18082\r\n\r\n',
    );
    assert.equal(
      buildRequest({
        address: '127.0.0.1',
        port: 18082,
        path: '/x',
        protocol: '1.1',
        virtualhost: 'vh.example',
      }),
      'GET /x HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: vh.example\r\n\r\n',
    );
    assert.equal(
      buildRequest({ address: '127.0.0.1', port: 18082, path: '/x', protocol: '1.0C' }),
      'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 127.0.0.1:18082\r\n\r\n',
    );
    assert.match(
      buildRequest({ address: 'fe80::1%eth0', port: 80, path: '/', protocol: '1.0' }),
      /Host: \[fe80::1\]:80/,
    );
  });

  const reply = (statusCode: number, body: string): HttpGetResult => ({
    statusCode,
    header: Buffer.alloc(0),
    body: Buffer.from(body),
    md5: createHash('md5').update(body).digest('hex'),
    elapsedMs: 1,
  });

  test('status ranges, digest (case-insensitive) and regex', () => {
    const url = { path: '/', statusCodes: [[200, 299]] as Array<[number, number]> };
    assert.equal(judgeHttpReply(url, reply(204, '')), undefined);
    assert.match(judgeHttpReply(url, reply(301, '')) ?? '', /301/);
    const md5 = createHash('md5').update('abc').digest('hex').toUpperCase();
    assert.equal(judgeHttpReply({ ...url, digest: md5 }, reply(200, 'abc')), undefined);
    assert.notEqual(judgeHttpReply({ ...url, digest: md5 }, reply(200, 'abd')), undefined);
    assert.equal(judgeHttpReply({ ...url, regex: 'b+c' }, reply(200, 'abc')), undefined);
    assert.notEqual(
      judgeHttpReply({ ...url, regex: 'b+c', regexNoMatch: true }, reply(200, 'abc')),
      undefined,
    );
    assert.equal(
      judgeHttpReply(
        {
          path: '/',
          statusCodes: [
            [200, 200],
            [404, 404],
          ],
        },
        reply(404, ''),
      ),
      undefined,
    );
  });
});

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

describe('DNS query', () => {
  test('wire format of an A query for example.test (RD set, class IN)', () => {
    const q = encodeDnsQuery(0x1234, 'example.test', 'A');
    assert.equal(
      q.toString('hex'),
      '1234' +
        '0100' +
        '0001' +
        '0000' +
        '0000' +
        '0000' +
        '076578616d706c65' +
        '0474657374' +
        '00' +
        '0001' +
        '0001',
    );
  });
  test('root name "." is a single zero byte; SOA is type 6', () => {
    const q = encodeDnsQuery(1, '.', 'SOA');
    assert.equal(q.subarray(12).toString('hex'), '00' + '0006' + '0001');
  });
  test('header decode: id, QR, rcode; short datagrams rejected', () => {
    const reply = Buffer.from('1234' + '8185' + '0001' + '0002' + '0000' + '0000', 'hex');
    assert.deepEqual(decodeDnsHeader(reply), { id: 0x1234, isResponse: true, rcode: 5, answers: 2 });
    assert.equal(decodeDnsHeader(Buffer.alloc(11)), undefined);
  });
  test('property: any id round-trips through the header', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        (id) => decodeDnsHeader(encodeDnsQuery(id, 'a.b', 'TXT'))?.id === id,
      ),
    );
  });
});

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

describe('FILE_CHECK verdict', () => {
  test('weight, reverse and the -254 fault line', () => {
    const o = { kind: 'FILE_CHECK' as const, path: '', weight: 10, reverse: false };
    assert.deepEqual(judgeTrackedValue(o, 3), { ok: true, detail: 'value 3', weightOffset: 30 });
    assert.equal(judgeTrackedValue({ ...o, reverse: true }, 3).weightOffset, -30);
    assert.equal(judgeTrackedValue(o, -25).ok, true);
    assert.equal(judgeTrackedValue(o, -26).ok, false);
    assert.equal(judgeTrackedValue({ ...o, weight: 0 }, 0).ok, true);
    assert.equal(judgeTrackedValue({ ...o, weight: 0 }, 1).ok, false);
  });
});

describe('genhash hex dump', () => {
  test('matches keepalived 2.2.7 rows (captured output)', () => {
    assert.equal(
      hexDump(Buffer.from('hello world\n')),
      '0000  68 65 6c 6c 6f 20 77 6f - 72 6c 64 0a               hello world.    \n',
    );
    assert.equal(
      hexDump(Buffer.from('6f5902ac237024bdd0c176cb93063dc4', 'hex')),
      '0000  6f 59 02 ac 23 70 24 bd - d0 c1 76 cb 93 06 3d c4   oY..#p$...v...=.\n',
    );
  });
});
