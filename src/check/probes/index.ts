// Which probe runs which checker kind.
import type { CheckerKind } from '../schedule/spec.js';
import type { Probe } from './common.js';
import { dnsProbe } from './dns.js';
import { fileProbe } from './file.js';
import { httpProbe } from './http.js';
import { miscProbe } from './misc.js';
import { pingProbe } from './ping.js';
import { smtpProbe } from './smtp.js';
import { tcpProbe } from './tcp.js';
import { udpProbe } from './udp.js';

export type { Probe } from './common.js';

export const PROBES: Record<CheckerKind, Probe> = {
  TCP_CHECK: tcpProbe,
  HTTP_GET: httpProbe,
  SSL_GET: httpProbe,
  MISC_CHECK: miscProbe,
  SMTP_CHECK: smtpProbe,
  DNS_CHECK: dnsProbe,
  UDP_CHECK: udpProbe,
  PING_CHECK: pingProbe,
  FILE_CHECK: (spec) => fileProbe(spec),
  // The checker daemon plugs in the probe that reads the BFD child's reports; alone, a session is down.
  BFD_CHECK: (spec) =>
    Promise.resolve({
      ok: false,
      detail: `no BFD state for ${spec.options.kind === 'BFD_CHECK' ? spec.options.session : '?'}`,
    }),
};
