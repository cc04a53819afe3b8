// The configuration's secrets hidden, for what the daemon shows of its configuration (-d in the log,
// --dump-config on stdout): auth_pass, auth_hmac keys written in the file (a `file:` key shows its path,
// which is no secret), the status listener's token and the SSL block's password. The running daemon keeps
// the real model; this is a copy for printing only.
import type { Model } from './index.js';

export const REDACTED = '********';

export function redactSecrets(m: Model): Model {
  return {
    ...m,
    instances: m.instances.map((i) => ({
      ...i,
      ...(i.authentication ? { authentication: { ...i.authentication, password: REDACTED } } : {}),
      ...(i.authHmac
        ? {
            authHmac: {
              ...i.authHmac,
              keys: i.authHmac.keys.map((k) => ({
                ...k,
                value: k.value.startsWith('file:') ? k.value : REDACTED,
              })),
            },
          }
        : {}),
    })),
    ...(m.statusHttp?.token !== undefined ? { statusHttp: { ...m.statusHttp, token: REDACTED } } : {}),
    ...(m.ssl?.password !== undefined ? { ssl: { ...m.ssl, password: REDACTED } } : {}),
  };
}
