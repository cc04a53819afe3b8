// The status_http block: listen lines (IPv4 and IPv6), token, TLS pair; every mistake at file:line.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { printStatusHttp } from '../../../../../src/config/model/global/status-http.js';
import { build, stripLocations } from '../../model-helpers.js';

void describe('status_http', () => {
  void test('listen lines, token and TLS are read; IPv6 is kept canonical', () => {
    const { model, messages } = build(`status_http {
  listen 127.0.0.1 9650
  listen 2001:DB8:0:0::1 9651
  token "a b"
  tls_certificate /etc/kts/cert.pem
  tls_key /etc/kts/key.pem
}
`);
    assert.deepEqual(messages, []);
    assert.deepEqual(stripLocations(model.statusHttp), {
      listen: [
        { address: '127.0.0.1', family: 4, port: 9650 },
        { address: '2001:db8::1', family: 6, port: 9651 },
      ],
      token: 'a b',
      tlsCertificate: '/etc/kts/cert.pem',
      tlsKey: '/etc/kts/key.pem',
    });
    assert.deepEqual(model.statusHttp?.listen[1]?.location, { file: 'test.conf', line: 3 });
  });

  void test('absent block: the listener is off', () => {
    assert.equal(build('global_defs {\n  router_id a\n}\n').model.statusHttp, undefined);
  });

  void test('bad address, bad or missing port, duplicates and unknown keywords name their line', () => {
    const { model, messages } = build(`status_http {
  listen 127.0.0.1 9650
  listen localhost 9650
  listen 127.0.0.1 70000
  listen ::1
  listen 127.0.0.1 9650
  bind 1.2.3.4
}
`);
    assert.equal(model.statusHttp?.listen.length, 1);
    assert.deepEqual(messages, [
      "test.conf:3: error: listen: 'localhost' is not a valid IP address",
      'test.conf:4: error: listen: 70000 is out of range 1..65535',
      'test.conf:5: error: listen: missing port (listen ADDRESS PORT)',
      'test.conf:6: error: listen: 127.0.0.1 9650 is already listed at test.conf:2',
      'test.conf:7: warning: bind: unknown keyword in status_http, ignored',
    ]);
  });

  void test('no listen line is an error and leaves the listener off; TLS needs both files', () => {
    const none = build('status_http {\n  token x\n}\n');
    assert.equal(none.model.statusHttp, undefined);
    assert.deepEqual(none.messages, [
      'test.conf:1: error: status_http: no listen ADDRESS PORT line: the status listener stays off',
    ]);
    const half = build('status_http {\n  listen ::1 1\n  tls_key /k.pem\n}\n');
    assert.equal(half.model.statusHttp?.tlsKey, undefined);
    assert.deepEqual(half.messages, [
      'test.conf:1: error: status_http: tls_certificate and tls_key go together: give both or neither',
    ]);
  });

  void test('printed block reads back to the same configuration', () => {
    const text = `status_http {
  listen 10.1.2.3 80
  listen fe80::1 443
  token "x y#z"
  tls_certificate /c.pem
  tls_key /k.pem
}
`;
    const first = build(text).model.statusHttp;
    assert.ok(first);
    const again = build(printStatusHttp(first).join('\n') + '\n');
    assert.deepEqual(again.messages, []);
    assert.deepEqual(stripLocations(again.model.statusHttp), stripLocations(first));
  });
});
