// KEEPALIVED-MIB global objects (keepalived.1): version, router id, the mail settings and the process-wide
// switches, valued as keepalived 2.2.7's agent values them (core/snmp.c). Pure.
import { gauge, integer, text, truth, type Oid } from '../types.js';
import type { GlobalInfo } from '../snapshot.js';
import { addressValue, inetAddressType, KEEPALIVED_OID, ViewBuilder } from './builder.js';
import type { MibView } from '../agentx/responder.js';

export const GLOBAL_OID: Oid = [...KEEPALIVED_OID, 1];
/** emailTable's entry (mail.5.1): one row per notification_email address. */
const EMAIL_ENTRY: Oid = [...GLOBAL_OID, 3, 5, 1];

/** smtp_alert* settings: true(1), false(2), unset(3). */
const tristate = (v: boolean | undefined): number => (v === undefined ? 3 : v ? 1 : 2);

export function globalView(g: GlobalInfo): MibView {
  const b = new ViewBuilder();
  const scalar = (sub: readonly number[], v: Parameters<ViewBuilder['scalar']>[1]): void =>
    b.scalar([...GLOBAL_OID, ...sub], v);
  scalar([1], text(g.version));
  scalar([2], g.routerId !== undefined ? text(g.routerId) : undefined);
  // Without an smtp_server keepalived's sockaddr is AF_UNSPEC: type 2, four zero bytes, port 0.
  const server = g.smtpServer;
  scalar([3, 1], inetAddressType(server?.family));
  scalar([3, 2], addressValue(server?.address, server?.family === 6 ? 6 : 4));
  scalar([3, 3], gauge(g.smtpConnectTimeoutS));
  scalar([3, 4], g.emailFrom !== undefined ? text(g.emailFrom) : undefined);
  b.define(EMAIL_ENTRY, [2]);
  g.emails.forEach((e, i) => b.cell([...EMAIL_ENTRY, 2], [i + 1], text(e)));
  scalar([3, 6], gauge(server?.port ?? 0));
  scalar([3, 7], truth(g.emailFaults));
  scalar([3, 8], integer(tristate(g.smtpAlert)));
  scalar([3, 9], integer(tristate(g.smtpAlertVrrp)));
  scalar([3, 10], integer(tristate(g.smtpAlertChecker)));
  scalar([4], truth(g.trapsEnabled));
  // linkBeat: the MIB's media(1) / polling(2).
  scalar([5], integer(g.linkbeatPolling ? 2 : 1));
  scalar([6], truth(g.lvsFlush));
  scalar([7], truth(g.ipvs64BitStats));
  scalar([8], text(g.netNamespace ?? ''));
  scalar([9], truth(g.dbus));
  scalar([10], truth(g.dynamicInterfaces));
  // lvsFlushOnStop: full(1), none(2), vs(3).
  scalar([11], integer(g.lvsFlushOnStop === 'full' ? 1 : g.lvsFlushOnStop === 'vs' ? 3 : 2));
  return b.view();
}
