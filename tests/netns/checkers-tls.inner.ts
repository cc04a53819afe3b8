// SSL_GET's tls_compliant (keepalived 2.4): with it the checker ends each TLS session with a close_notify
// alert; without it the session is dropped quietly (keepalived's SSL_set_quiet_shutdown). A relay in front
// of a TLS 1.2 server (whose record types are in the clear) records what the checker sends.
// Run inside a network namespace by checkers-http-keywords.test.ts; everything binds 127.0.0.1 of that namespace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { httpProbe } from '../../src/check/probes/http.js';
import type { HttpCheckOptions } from '../../src/check/schedule/spec.js';
import { close, freePort, listen, spec, waitFor, workDir } from './check-helpers.js';
import { outsideSuiteNamespace } from '../helpers/namespace-guard.js';
import { gated, missingTools } from '../helpers/requirements.js';

const { after, before, describe, test } = gated(outsideSuiteNamespace());

const ALERT = 21;

/** The content types of the TLS records in `bytes` (a whole client-to-server stream). */
function recordTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  for (let at = 0; at + 5 <= bytes.length; at += 5 + bytes.readUInt16BE(at + 3))
    types.push(bytes[at] as number);
  return types;
}

describe('SSL_GET tls_compliant', () => {
  const dir = workDir('tls');
  const tlsPort = freePort();
  const relayPort = freePort();
  let tlsServer: TlsServer | undefined;
  let relay: NetServer | undefined;
  /** What each connection through the relay carried from the checker, once the checker closed it. */
  const finished: Buffer[] = [];
  let skip = '';

  before(async () => {
    const missing = missingTools('openssl');
    if (missing !== undefined) {
      skip = missing;
      return;
    }
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
      '/CN=kts-tls',
    ]);
    assert.equal(cert.status, 0, cert.stderr.toString());
    tlsServer = createTlsServer(
      {
        key: readFileSync(join(dir, 'key.pem')),
        cert: readFileSync(join(dir, 'cert.pem')),
        // TLS 1.3 hides the type of every record after the handshake; 1.2 shows alerts as alerts
        maxVersion: 'TLSv1.2',
      },
      (s) => {
        s.on('error', () => undefined);
        s.once('data', () => s.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'));
      },
    );
    await new Promise<void>((resolve) => tlsServer?.listen(tlsPort, '127.0.0.1', resolve));
    relay = createServer((client) => {
      const chunks: Buffer[] = [];
      const upstream = connect({ host: '127.0.0.1', port: tlsPort });
      client.on('data', (d: Buffer) => {
        chunks.push(d);
        upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => client.write(d));
      const done = (): void => {
        finished.push(Buffer.concat(chunks));
        upstream.destroy();
        client.destroy();
      };
      client.once('end', done);
      client.once('error', done);
      upstream.on('error', () => client.destroy());
    });
    await listen(relay, relayPort);
  });

  after(async () => {
    if (relay) await close(relay);
    if (tlsServer) await new Promise<void>((resolve) => tlsServer?.close(() => resolve()));
  });

  const options = (tlsCompliant: boolean): HttpCheckOptions => ({
    kind: 'SSL_GET',
    urls: [{ path: '/', statusCodes: [[200, 299]], ...(tlsCompliant ? { tlsCompliant: true } : {}) }],
    protocol: '1.0',
    enableSni: false,
  });

  for (const compliant of [false, true]) {
    test(`${compliant ? 'with' : 'without'} tls_compliant the checker ${compliant ? 'sends' : 'sends no'} close_notify`, async (t) => {
      if (skip) return t.skip(skip);
      const before = finished.length;
      const result = await httpProbe(spec(options(compliant), relayPort, { timeoutMs: 3000 }));
      assert.equal(result.ok, true, result.detail);
      await waitFor(() => finished.length > before, 3000);
      const types = recordTypes(finished[before] as Buffer);
      assert.ok(types.includes(23), `application data was sent: ${types.join(',')}`);
      assert.equal(types.includes(ALERT), compliant, `record types ${types.join(',')}`);
    });
  }
});
