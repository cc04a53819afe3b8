// The e-mails keepalived sends when `smtp_alert` is on, as text: subjects, bodies and the one DATA block
// (headers + body) its SMTP client writes (keepalived/core/smtp.c, vrrp_notify.c, check_*.c, ipwrapper.c
// of 2.2.7). Pure: the time comes in as an argument; sending lives in smtp-sender.ts.
import type { CheckerKind } from '../../config/model/lvs/types.js';

/** What keepalived puts in the subject and the body of one alert. */
export interface AlertText {
  subject: string;
  body: string;
}

/** smtp.c writes the subject into 256 bytes and the body into 512 (snprintf keeps one for the NUL). */
export const MAX_SUBJECT_LENGTH = 255;
export const MAX_BODY_LENGTH = 511;
/** The To: header is built in a 1024-byte buffer; addresses that do not fit are left out of it. */
export const MAX_TO_HEADER_LENGTH = 1023;

export type AlertVrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

const INSTANCE_BODIES: Record<AlertVrrpState, string> = {
  MASTER: '=> VRRP Instance is now owning VRRP VIPs <=',
  BACKUP: '=> VRRP Instance is no longer owning VRRP VIPs <=',
  FAULT: '=> VRRP Instance is no longer owning VRRP VIPs <=',
  STOP: '=> VRRP Instance stopping <=',
};

const GROUP_BODIES: Record<AlertVrrpState, string> = {
  MASTER: '=> All VRRP group instances are now in MASTER state <=',
  BACKUP: '=> All VRRP group instances are now in BACKUP state <=',
  FAULT: '=> All VRRP group instances are now in FAULT state <=',
  STOP: '=> All VRRP group instances are now stopping <=',
};

function stateSubject(state: AlertVrrpState): string {
  return state === 'STOP' ? 'Stopping' : `Entering ${state} state`;
}

/** The alert of a vrrp_instance entering `state` ("[router] VRRP Instance VI_1 - Entering MASTER state"). */
export function vrrpInstanceAlert(routerId: string, instance: string, state: AlertVrrpState): AlertText {
  return {
    subject: `[${routerId}] VRRP Instance ${instance} - ${stateSubject(state)}`,
    body: INSTANCE_BODIES[state],
  };
}

/** The alert of a vrrp_sync_group entering `state`. */
export function vrrpGroupAlert(routerId: string, group: string, state: AlertVrrpState): AlertText {
  return {
    subject: `[${routerId}] VRRP Group ${group} - ${stateSubject(state)}`,
    body: GROUP_BODIES[state],
  };
}

/** keepalived's FMT_RS / FMT_VS address trio: "[10.0.0.2]:tcp:80" (IPv6 inside the brackets too). */
export function addressTrio(address: string, protocol: string | undefined, port: number): string {
  const proto = protocol === undefined ? 'none' : protocol.toLowerCase();
  return `[${address}]:${proto}:${port}`;
}

/** What identifies a virtual server in keepalived's texts (format_vs). */
export type VirtualServerName =
  | { kind: 'address'; address: string; port: number; protocol: string | undefined }
  | { kind: 'fwmark'; fwmark: number }
  | { kind: 'group'; group: string; port: number };

export function formatVirtualServer(vs: VirtualServerName): string {
  if (vs.kind === 'group') return `[${vs.group}]:${vs.port}`;
  if (vs.kind === 'fwmark') return `FWM ${vs.fwmark}`;
  return addressTrio(vs.address, vs.protocol, vs.port);
}

/** A real server's state change seen by one checker: "[router] Realserver R of virtual server V - DOWN". */
export function realServerAlert(
  routerId: string,
  realServer: string,
  virtualServer: string,
  serverAlive: boolean,
  body: string,
): AlertText {
  return {
    subject: `[${routerId}] Realserver ${realServer} of virtual server ${virtualServer} - ${serverAlive ? 'UP' : 'DOWN'}`,
    body,
  };
}

/** The checker kinds that send real-server alerts, each with its own wording (FILE_CHECK sends none). */
export type AlertCheckerKind = Exclude<CheckerKind, 'FILE_CHECK'>;

export interface CheckerOutcome {
  /** The checker's verdict: succeeded (UP) or failed (DOWN). */
  up: boolean;
  /** MISC_CHECK killed at misc_timeout: keepalived says "timed out" rather than "failed". */
  timedOut?: boolean;
  /** SMTP_CHECK: the reason keepalived puts after "failed on service : ". */
  reason?: string;
  /** BFD_CHECK: the BFD instance name. */
  bfdName?: string;
}

/** The body of a real-server alert, worded as each keepalived checker words it. */
export function checkerAlertBody(kind: AlertCheckerKind, outcome: CheckerOutcome): string {
  const ok = outcome.up;
  switch (kind) {
    case 'TCP_CHECK':
      return `=> TCP CHECK ${ok ? 'succeed' : 'failed'} on service <=`;
    case 'UDP_CHECK':
      return `=> UDP CHECK ${ok ? 'succeed' : 'failed'} on service <=`;
    case 'PING_CHECK':
      return `=> ICMP CHECK ${ok ? 'succeed' : 'failed'} on service <=`;
    case 'DNS_CHECK':
      return `=> DNS_CHECK: ${ok ? 'succeed' : 'failed'} on service <=`;
    case 'HTTP_GET':
    case 'SSL_GET':
      return ok ? '=> CHECK succeed on service <=' : '=> CHECK failed on service : HTTP request failed <=';
    case 'SMTP_CHECK':
      if (ok) return '=> CHECK succeed on service <=';
      return outcome.reason === undefined
        ? '=> CHECK failed on service <='
        : `=> CHECK failed on service : ${outcome.reason} <=`;
    case 'MISC_CHECK':
      return `=> MISC CHECK ${ok ? 'succeeded' : outcome.timedOut ? 'timed out' : 'failed'} on service <=`;
    case 'BFD_CHECK':
      return `=> BFD CHECK ${outcome.bfdName ?? ''} ${ok ? 'succeeded' : 'failed'} on service <=`;
  }
}

/** A real server taken out by a reload ("=> Removing <=") or at shutdown with omega ("=> Shutting down <="). */
export function realServerRemovedAlert(
  routerId: string,
  realServer: string,
  virtualServer: string,
  stopping: boolean,
): AlertText {
  return {
    subject: `[${routerId}] Realserver ${realServer} of virtual server ${virtualServer} - DOWN`,
    body: stopping ? '=> Shutting down <=' : '=> Removing <=',
  };
}

/** A virtual server's quorum change, with the figures keepalived prints. */
export interface QuorumChange {
  up: boolean;
  /** At start-up keepalived says "Starting with quorum up/down" instead of "Gained/Lost quorum". */
  init: boolean;
  quorum: number;
  hysteresis: number;
  threshold: number;
  weightSum: number;
}

export function virtualServerQuorumAlert(
  routerId: string,
  virtualServer: string,
  q: QuorumChange,
): AlertText {
  const what = q.up
    ? q.init
      ? 'Starting with quorum up'
      : 'Gained quorum'
    : q.init
      ? 'Starting with quorum down'
      : 'Lost quorum';
  return {
    subject: `[${routerId}] Virtualserver ${virtualServer} - ${q.up ? 'UP' : 'DOWN'}`,
    body: `=> ${what} ${q.quorum}+${q.hysteresis}=${q.threshold} <= ${q.weightSum} <=`,
  };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/**
 * strftime("%a, %d %b %Y %H:%M:%S %z") of local time, as smtp.c writes the Date: header.
 * `offsetMinutes` is east of UTC (Node's getTimezoneOffset() negated).
 */
export function rfc2822Date(date: Date, offsetMinutes = -date.getTimezoneOffset()): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${DAYS[local.getUTCDay()]}, ${two(local.getUTCDate())} ${MONTHS[local.getUTCMonth()]} ` +
    `${local.getUTCFullYear()} ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:` +
    `${two(local.getUTCSeconds())} ${sign}${two(Math.floor(abs / 60))}${two(abs % 60)}`
  );
}

/** keepalived's To: header: the addresses joined by ", ", stopping before the buffer would overflow. */
export function toHeader(addresses: readonly string[]): string {
  let out = '';
  for (const a of addresses) {
    const next = out === '' ? a : `${out}, ${a}`;
    if (next.length > MAX_TO_HEADER_LENGTH) break;
    out = next;
  }
  return out;
}

export interface AlertMessage {
  date: string;
  from: string;
  to: readonly string[];
  subject: string;
  body: string;
}

/**
 * The DATA block keepalived writes: five headers in its order, a blank line, the body and one more
 * blank line (its body format adds CRLF, then "\r\n.\r\n" ends the data). CRLF line ends throughout.
 */
export function alertMessage(m: AlertMessage): string {
  const subject = m.subject.slice(0, MAX_SUBJECT_LENGTH);
  const body = m.body.slice(0, MAX_BODY_LENGTH);
  return (
    `Date: ${m.date}\r\n` +
    `From: ${m.from}\r\n` +
    `Subject: ${subject}\r\n` +
    'X-Mailer: Keepalived\r\n' +
    `To: ${toHeader(m.to)}\r\n` +
    '\r\n' +
    `${body}\r\n` +
    '\r\n'
  );
}
