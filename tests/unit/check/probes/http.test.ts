import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildRequest, type HttpGetResult } from '../../../../src/check/probes/http-client.js';
import { judgeHttpReply } from '../../../../src/check/probes/http.js';

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

  test('regex_min_offset / regex_max_offset: a match must start within them (both inclusive)', () => {
    const url = { path: '/', statusCodes: [[200, 299]] as Array<[number, number]>, regex: 'ok' };
    const body = reply(200, 'ok....ok..');
    assert.equal(judgeHttpReply({ ...url, regexMinOffset: 1, regexMaxOffset: 6 }, body), undefined);
    assert.notEqual(judgeHttpReply({ ...url, regexMinOffset: 1, regexMaxOffset: 5 }, body), undefined);
    assert.notEqual(judgeHttpReply({ ...url, regexMinOffset: 7 }, body), undefined);
    assert.equal(judgeHttpReply({ ...url, regexMaxOffset: 0 }, body), undefined);
    // text before the minimum is still there for a lookbehind
    assert.equal(judgeHttpReply({ ...url, regex: '(?<=\\.)ok', regexMinOffset: 6 }, body), undefined);
    assert.notEqual(
      judgeHttpReply({ ...url, regexNoMatch: true, regexMinOffset: 1, regexMaxOffset: 6 }, body),
      undefined,
    );
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
