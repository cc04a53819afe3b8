// keepalived's defaults and inheritance for LVS values, applied on demand to the as-written model.
// keepalived resolves these after parsing (validate_check_config): real_server takes unset values from
// its virtual_server, a checker from its real_server, and then the per-checker defaults below.
import type {
  Checker,
  CheckerKind,
  DnsType,
  Forwarding,
  RealServer,
  StatusRange,
  VirtualServer,
} from './types.js';

/** Seconds between checks when nothing says otherwise. */
export const DEFAULT_DELAY_LOOP = 60;
export const DEFAULT_CONNECT_TIMEOUT = 5;
export const DEFAULT_SCHEDULER = 'wlc';
export const DEFAULT_FORWARDING: Forwarding = { method: 'NAT' };
/** `persistence_timeout` without a value, or set implicitly (granularity, port-less service). */
export const DEFAULT_PERSISTENCE_TIMEOUT = 360;
/** What keepalived sets, with a warning, when an address service has no protocol: the kernel's own default. */
export const DEFAULT_PROTOCOL = 'UDP';

/** Checker options keepalived gives a value when the config does not: helo_name, DNS_CHECK's type and
 * name, HTTP_GET's accepted status codes (200-299), UDP_CHECK's max_reply_len. */
export const CHECKER_OPTION_DEFAULTS = {
  smtpHelo: 'smtpchecker.keepalived.org',
  dnsType: 'SOA' as DnsType,
  dnsName: '.',
  httpStatusCodes: [{ from: 200, to: 299 }] as readonly StatusRange[],
  udpMaxReplyLength: 255,
} as const;

/** Per-checker defaults: retry, and delay_before_retry (undefined: the checker's delay_loop). */
export const CHECKER_DEFAULTS: Record<CheckerKind, { retry: number; delayBeforeRetry?: number }> = {
  TCP_CHECK: { retry: 1, delayBeforeRetry: 1 },
  HTTP_GET: { retry: 1, delayBeforeRetry: 3 },
  SSL_GET: { retry: 1, delayBeforeRetry: 3 },
  SMTP_CHECK: { retry: 1, delayBeforeRetry: 1 },
  DNS_CHECK: { retry: 3 },
  UDP_CHECK: { retry: 1, delayBeforeRetry: 1 },
  PING_CHECK: { retry: 1, delayBeforeRetry: 1 },
  MISC_CHECK: { retry: 0, delayBeforeRetry: 1 },
  FILE_CHECK: { retry: 0, delayBeforeRetry: 1 },
  BFD_CHECK: { retry: 0, delayBeforeRetry: 1 },
};

export function effectiveForwarding(vs: VirtualServer, rs: RealServer): Forwarding {
  return rs.forwarding ?? vs.forwarding ?? DEFAULT_FORWARDING;
}

export function effectiveWeight(vs: VirtualServer, rs: RealServer): number {
  return rs.weight ?? vs.weight ?? 1;
}

export interface EffectiveRealServer {
  weight: number;
  forwarding: Forwarding;
  inhibitOnFailure: boolean;
  alpha: boolean;
  /** Unset here means each checker's own default. */
  retry?: number;
  connectTimeout: number;
  delayLoop: number;
  warmup?: number;
  delayBeforeRetry?: number;
}

export function effectiveRealServer(vs: VirtualServer, rs: RealServer): EffectiveRealServer {
  const out: EffectiveRealServer = {
    weight: effectiveWeight(vs, rs),
    forwarding: effectiveForwarding(vs, rs),
    inhibitOnFailure: rs.inhibitOnFailure ?? vs.inhibitOnFailure,
    alpha: rs.alpha ?? vs.alpha,
    connectTimeout: rs.connectTimeout ?? vs.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    delayLoop: rs.delayLoop ?? vs.delayLoop ?? DEFAULT_DELAY_LOOP,
  };
  const retry = rs.retry ?? vs.retry;
  if (retry !== undefined) out.retry = retry;
  const warmup = rs.warmup ?? vs.warmup;
  if (warmup !== undefined) out.warmup = warmup;
  const dbr = rs.delayBeforeRetry ?? vs.delayBeforeRetry;
  if (dbr !== undefined) out.delayBeforeRetry = dbr;
  return out;
}

export interface EffectiveCheckTimings {
  alpha: boolean;
  retry: number;
  /** Seconds; the maximum of the random initial delay. */
  warmup: number;
  delayLoop: number;
  delayBeforeRetry: number;
  /** Absent for checkers without a connection (MISC, FILE, BFD). */
  connectTimeout?: number;
}

/** The timings a checker runs with, after keepalived's inheritance. */
export function effectiveCheckTimings(vs: VirtualServer, rs: RealServer, c: Checker): EffectiveCheckTimings {
  const r = effectiveRealServer(vs, rs);
  const defaults = CHECKER_DEFAULTS[c.kind];
  if (c.kind === 'FILE_CHECK' || c.kind === 'BFD_CHECK') {
    const alpha = c.kind === 'BFD_CHECK' ? (c.alpha ?? r.alpha) : r.alpha;
    return { alpha, retry: 0, warmup: 0, delayLoop: r.delayLoop, delayBeforeRetry: 0 };
  }
  const delayLoop = c.delayLoop ?? r.delayLoop;
  const out: EffectiveCheckTimings = {
    alpha: c.alpha ?? r.alpha,
    retry: c.retry ?? r.retry ?? defaults.retry,
    delayLoop,
    warmup: c.warmup ?? r.warmup ?? delayLoop,
    delayBeforeRetry: c.delayBeforeRetry ?? r.delayBeforeRetry ?? defaults.delayBeforeRetry ?? delayLoop,
  };
  if (c.kind !== 'MISC_CHECK') out.connectTimeout = c.connectTimeout ?? r.connectTimeout;
  return out;
}
