// HTTP_GET, SSL_GET and genhash against nginx (and keepalived 2.2.7's own genhash for comparison).
// Run inside a network namespace by checkers.test.ts; everything binds 127.0.0.1 of that namespace.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { httpProbe, sslProbeWith } from '../../src/check/probes/http.js';
import { loadSslContext, SslContextError } from '../../src/daemon/checker/ssl-context.js';
import { genhash } from '../../src/check/probes/genhash.js';
import type { HttpCheckOptions, HttpUrlSpec } from '../../src/check/schedule/spec.js';
import {
  Server,
  close,
  elapsed,
  freePort,
  LOAD_MARGIN_MS,
  listen,
  silentTcpServer,
  spec,
  tcpReady,
  waitFor,
  workDir,
} from './check-helpers.js';
import { outsideSuiteNamespace } from '../helpers/namespace-guard.js';
import { gated, missingTools } from '../helpers/requirements.js';

// Outside a namespace the suite made, every test here is skipped and no hook runs.
const { after, before, describe, test } = gated(outsideSuiteNamespace());

const PAGE = 'hello from nginx\n';
const PAGE_MD5 = createHash('md5').update(PAGE).digest('hex');

describe('HTTP_GET / SSL_GET against nginx', () => {
  const dir = workDir('nginx');
  const httpPort = freePort();
  const sslPort = freePort();
  const clientCertPort = freePort();
  const CLIENT_KEY_PASSWORD = 'kts-ssl-block-pass';
  let nginx: Server | undefined;
  let skip = '';

  before(async () => {
    const missing = missingTools('nginx', 'openssl');
    if (missing !== undefined) {
      skip = missing;
      return;
    }
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www', 'index.html'), PAGE);
    const cert = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=kts-test',
    ]);
    assert.equal(cert.status, 0, cert.stderr.toString());
    // The SSL block's client certificate, its key encrypted; nginx trusts it as its own CA.
    const client = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-passout',
      `pass:${CLIENT_KEY_PASSWORD}`,
      '-keyout',
      join(dir, 'client-key.pem'),
      '-out',
      join(dir, 'client.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=kts-client',
    ]);
    assert.equal(client.status, 0, client.stderr.toString());
    writeFileSync(
      join(dir, 'nginx.conf'),
      `user root; worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc;
  uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
  server { listen 127.0.0.1:${httpPort} default_server; root ${dir}/www;
    location = /missing { return 404; }
    location = /teapot { return 418 "short and stout\\n"; } }
  server { listen 127.0.0.1:${httpPort}; server_name vh.example; location / { return 200 "virtual host\\n"; } }
  server { listen 127.0.0.1:${sslPort} ssl; ssl_certificate ${dir}/cert.pem; ssl_certificate_key ${dir}/key.pem;
    root ${dir}/www; }
  server { listen 127.0.0.1:${clientCertPort} ssl; ssl_certificate ${dir}/cert.pem;
    ssl_certificate_key ${dir}/key.pem; ssl_client_certificate ${dir}/client.pem; ssl_verify_client on;
    root ${dir}/www; }
}
`,
    );
    nginx = new Server('nginx', ['-e', `${dir}/error.log`, '-p', dir, '-c', join(dir, 'nginx.conf')]);
    await waitFor(
      async () => (await tcpReady(httpPort)) && (await tcpReady(sslPort)) && (await tcpReady(clientCertPort)),
    );
  });
  after(async () => {
    await nginx?.stop();
  });

  const http = (urls: HttpUrlSpec[], over: Partial<HttpCheckOptions> = {}): HttpCheckOptions => ({
    kind: 'HTTP_GET',
    urls,
    protocol: '1.0',
    enableSni: false,
    ...over,
  });
  const url = (path: string, over: Partial<HttpUrlSpec> = {}): HttpUrlSpec => ({
    path,
    statusCodes: [[200, 299]],
    ...over,
  });

  test('up: status 200 and the right digest', async (t) => {
    if (skip) return t.skip(skip);
    const r = await httpProbe(spec(http([url('/index.html', { digest: PAGE_MD5 })]), httpPort));
    assert.equal(r.ok, true, r.detail);
  });

  test('down: wrong digest', async (t) => {
    if (skip) return t.skip(skip);
    const r = await httpProbe(spec(http([url('/index.html', { digest: '0'.repeat(32) })]), httpPort));
    assert.equal(r.ok, false);
    assert.match(r.detail, new RegExp(PAGE_MD5));
  });

  test('status codes: 404 fails by default, passes when listed', async (t) => {
    if (skip) return t.skip(skip);
    const bad = await httpProbe(spec(http([url('/missing')]), httpPort));
    assert.equal(bad.ok, false);
    assert.match(bad.detail, /status code 404/);
    const good = await httpProbe(spec(http([url('/missing', { statusCodes: [[404, 404]] })]), httpPort));
    assert.equal(good.ok, true, good.detail);
  });

  test('all url blocks must pass', async (t) => {
    if (skip) return t.skip(skip);
    const r = await httpProbe(spec(http([url('/index.html'), url('/teapot')]), httpPort));
    assert.equal(r.ok, false);
    assert.match(r.detail, /418/);
  });

  test('regex and regex_no_match on the body', async (t) => {
    if (skip) return t.skip(skip);
    const m = await httpProbe(spec(http([url('/index.html', { regex: 'from ngi' })]), httpPort));
    assert.equal(m.ok, true, m.detail);
    const nm = await httpProbe(
      spec(http([url('/index.html', { regex: 'from ngi', regexNoMatch: true })]), httpPort),
    );
    assert.equal(nm.ok, false);
  });

  test('virtualhost selects the nginx server block via Host', async (t) => {
    if (skip) return t.skip(skip);
    const vhMd5 = createHash('md5').update('virtual host\n').digest('hex');
    const r = await httpProbe(
      spec(http([url('/', { digest: vhMd5 })], { virtualhost: 'vh.example' }), httpPort),
    );
    assert.equal(r.ok, true, r.detail);
  });

  test('http_protocol 1.1 (Connection: close) works against nginx', async (t) => {
    if (skip) return t.skip(skip);
    const r = await httpProbe(
      spec(http([url('/index.html', { digest: PAGE_MD5 })], { protocol: '1.1' }), httpPort),
    );
    assert.equal(r.ok, true, r.detail);
  });

  test('SSL_GET with a self-signed certificate (not verified, like keepalived)', async (t) => {
    if (skip) return t.skip(skip);
    const options = http([url('/index.html', { digest: PAGE_MD5 })], {
      kind: 'SSL_GET',
      enableSni: true,
      virtualhost: 'kts-test',
    });
    const r = await httpProbe(spec(options, sslPort));
    assert.equal(r.ok, true, r.detail);
  });

  test('the SSL block: the client certificate a real server asks for, its key decrypted with password', async (t) => {
    if (skip) return t.skip(skip);
    const options = spec(
      http([url('/index.html', { digest: PAGE_MD5 })], { kind: 'SSL_GET' }),
      clientCertPort,
    );
    const without = await httpProbe(options);
    assert.equal(without.ok, false, 'nginx refuses a client without a certificate');
    assert.match(without.detail, /status code 400/);
    const context = loadSslContext({
      certificate: join(dir, 'client.pem'),
      key: join(dir, 'client-key.pem'),
      password: CLIENT_KEY_PASSWORD,
      ca: join(dir, 'cert.pem'),
      at: { file: 'x', line: 1 },
    });
    assert.ok(context);
    const r = await sslProbeWith(context)(options);
    assert.equal(r.ok, true, r.detail);
  });

  test("the SSL block's files that do not load: keepalived's lines, never the password", (t) => {
    if (skip) return t.skip(skip);
    const at = { file: 'x', line: 1 };
    const failure = (ssl: Parameters<typeof loadSslContext>[0]): string[] => {
      try {
        loadSslContext(ssl);
      } catch (e) {
        assert.ok(e instanceof SslContextError);
        return e.lines;
      }
      return [];
    };
    const key = join(dir, 'client-key.pem');
    const wrong = failure({ certificate: join(dir, 'client.pem'), key, password: 'not-it', at });
    assert.deepEqual(wrong, [
      'SSL error : Cant load key file...',
      'Error Initialize SSL, ctx Instance',
      `  SSL  keyfile:${key}`,
      '  SSL password:(hidden)',
      '  SSL   cafile:(null)',
      'Terminate...',
    ]);
    assert.equal(
      failure({ certificate: join(dir, 'nothing.pem'), at })[0],
      'SSL error : Cant load certificate file...',
    );
    assert.equal(failure({ ca: join(dir, 'nothing.pem'), at })[0], 'SSL error : Cant load CA file...');
    assert.equal(loadSslContext(undefined), undefined);
  });

  test('SSL_GET against a plain HTTP port fails', async (t) => {
    if (skip) return t.skip(skip);
    const r = await httpProbe(spec(http([url('/index.html')], { kind: 'SSL_GET' }), httpPort));
    assert.equal(r.ok, false);
  });

  test('down: nginx port closed', async () => {
    const r = await httpProbe(spec(http([url('/')]), freePort()));
    assert.equal(r.ok, false);
    assert.match(r.detail, /ECONNREFUSED/);
  });

  test('accepts and never answers: fails at connect_timeout', async () => {
    const port = freePort();
    const silent = await silentTcpServer(port);
    const [r, ms] = await elapsed(() => httpProbe(spec(http([url('/')]), port, { timeoutMs: 300 })));
    await silent.close();
    assert.equal(r.ok, false);
    assert.match(r.detail, /timed out/);
    assert.ok(ms >= 290 && ms < 300 + LOAD_MARGIN_MS, `took ${ms} ms`);
  });

  test('slow: headers arrive, body stalls past the timeout', async () => {
    const port = freePort();
    const held: Socket[] = [];
    const server = createServer((s) => {
      held.push(s);
      s.once('data', () => s.write('HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\npartial'));
    });
    await listen(server, port);
    const r = await httpProbe(spec(http([url('/')]), port, { timeoutMs: 300 }));
    held.forEach((s) => s.destroy());
    await close(server);
    assert.equal(r.ok, false);
    assert.match(r.detail, /timed out/);
  });

  test('genhash prints the page digest', async (t) => {
    if (skip) return t.skip(skip);
    const ours = await genhash({ server: '127.0.0.1', port: httpPort, url: '/index.html' });
    assert.equal(ours.text, `${PAGE_MD5}\n`);
  });

  test('genhash prints the digest keepalived 2.2.7 genhash prints', async (t) => {
    const why = skip || missingTools('genhash');
    if (why) return t.skip(why);
    const ours = await genhash({ server: '127.0.0.1', port: httpPort, url: '/index.html' });
    const theirs = spawnSync('genhash', ['-s', '127.0.0.1', '-p', String(httpPort), '-u', '/index.html']);
    assert.equal(ours.text, theirs.stdout.toString());
    const sslTheirs = spawnSync('genhash', [
      '-S',
      '-s',
      '127.0.0.1',
      '-p',
      String(sslPort),
      '-u',
      '/index.html',
    ]);
    const sslOurs = await genhash({ server: '127.0.0.1', port: sslPort, url: '/index.html', ssl: true });
    assert.equal(sslOurs.text, sslTheirs.stdout.toString());
  });

  test('genhash verbose layout matches keepalived (dates and timings aside)', async (t) => {
    const why = skip || missingTools('genhash');
    if (why) return t.skip(why);
    const ours = (await genhash({ server: '127.0.0.1', port: httpPort, url: '/index.html', verbose: true }))
      .text;
    const theirs = spawnSync('genhash', [
      '-v',
      '-s',
      '127.0.0.1',
      '-p',
      String(httpPort),
      '-u',
      '/index.html',
    ]).stdout.toString();
    // The Date header and the response time differ run to run; compare everything else line by line.
    const normalise = (s: string): string[] =>
      s.split('\n').filter((l) => !/Date|GMT|usecs|^\d{4} {2}/.test(l) || /^0000 {2}68 65/.test(l));
    assert.deepEqual(normalise(ours), normalise(theirs));
  });

  test('genhash: connection failure prints "Connection failed"', async () => {
    const r = await genhash({ server: '127.0.0.1', port: freePort(), url: '/' });
    assert.equal(r.text, 'Connection failed\n');
    assert.equal(r.digest, undefined);
  });
});
