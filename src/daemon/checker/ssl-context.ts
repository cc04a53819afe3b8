// The top-level SSL block (password, ca, certificate, key) as keepalived's checker loads it for SSL_GET
// (check_ssl.c): once, when a SSL_GET checker exists; the certificate chain first, then the key (decrypted
// with `password`), then the CA file. keepalived presents the certificate to the real servers that ask for
// one and does not verify theirs (loading the CA changes nothing then): the same here. A file that does not
// load stops keepalived's checker with a fatal error, its lines logged first; ours logs the same lines,
// but never the password.
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { SslConfig } from '../../config/model/lvs/types.js';

export class SslContextError extends Error {
  constructor(
    /** keepalived's lines, in order. */
    readonly lines: string[],
  ) {
    super(lines.join('; '));
  }
}

/** The context SSL_GET connects with, or undefined when the block is absent (Node's defaults, as
 * keepalived's context without files). Throws SslContextError when a file does not load. */
export function loadSslContext(ssl: SslConfig | undefined): SecureContext | undefined {
  if (ssl === undefined) return undefined;
  const options: Parameters<typeof createSecureContext>[0] = {};
  const step = (what: string, add: () => void): void => {
    try {
      add();
      createSecureContext(options);
    } catch {
      // glibc prints an unset string as "(null)"; the password is never printed here
      const shown = (v: string | undefined): string => v ?? '(null)';
      throw new SslContextError([
        `SSL error : Cant load ${what} file...`,
        'Error Initialize SSL, ctx Instance',
        `  SSL  keyfile:${shown(ssl.key)}`,
        `  SSL password:${ssl.password === undefined ? '(null)' : '(hidden)'}`,
        `  SSL   cafile:${shown(ssl.ca)}`,
        'Terminate...',
      ]);
    }
  };
  const { certificate, key, ca, password } = ssl;
  if (certificate !== undefined) step('certificate', () => (options.cert = readFileSync(certificate)));
  if (key !== undefined)
    step('key', () => {
      options.key = readFileSync(key);
      if (password !== undefined) options.passphrase = password;
    });
  if (ca !== undefined) step('CA', () => (options.ca = readFileSync(ca)));
  return createSecureContext(options);
}
