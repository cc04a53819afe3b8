// Sending keepalived's SMTP alerts: one queue per daemon child, one message at a time in the order the
// events happened, each on a fresh connection as keepalived does, through nodemailer's SMTP client with
// the message given raw (keepalived's own headers, nothing added). A dead or slow mail server is logged
// and never holds the daemon: sends are asynchronous, bounded by smtp_connect_timeout, and the queue
// drops its oldest alerts rather than grow without bound.
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import type nodemailerModule from 'nodemailer';
import type { Logger } from '../process/log.js';
import { alertMessage, rfc2822Date, type AlertText } from './format.js';
import type { LocalIdentity, SmtpAlertSettings } from './policy.js';

/** Alerts waiting beyond this are dropped, oldest first: a mail server down for hours must not eat memory. */
export const MAX_QUEUED_ALERTS = 100;

type Transport = ReturnType<typeof nodemailerModule.createTransport>;

function hostPort(s: SmtpAlertSettings): string {
  return `[${s.host}]:${s.port}`;
}

export class SmtpAlertSender {
  private readonly queue: AlertText[] = [];
  private sending: Promise<void> | undefined;
  private dropped = 0;
  private closed = false;
  /** Made at the first alert: nodemailer costs a daemon child about 13 MB of memory when loaded, and most
   * configurations never send a mail (or not for a long time). */
  private transport: Transport | undefined;

  constructor(
    private readonly settings: SmtpAlertSettings,
    private readonly log: Logger,
    private readonly maxQueued = MAX_QUEUED_ALERTS,
  ) {}

  private async connectTransport(): Promise<Transport> {
    if (this.transport !== undefined) return this.transport;
    const { default: nodemailer } = await import('nodemailer');
    const settings = this.settings;
    this.transport = nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      // keepalived speaks plain SMTP only: no TLS, no STARTTLS even when offered, no authentication.
      secure: false,
      ignoreTLS: true,
      name: settings.heloName,
      connectionTimeout: settings.timeoutMs,
      greetingTimeout: settings.timeoutMs,
      socketTimeout: settings.timeoutMs,
      logger: false,
      debug: false,
    });
    return this.transport;
  }

  /** Queues one alert; returns at once. */
  send(alert: AlertText): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueued) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(alert);
    this.sending ??= this.pump();
  }

  /** Alerts not yet handed to the server. */
  get pending(): number {
    return this.queue.length;
  }

  /** Waits (at most `limitMs`) for the queue to empty; later alerts are refused. */
  async close(limitMs: number): Promise<void> {
    this.closed = true;
    if (this.sending !== undefined)
      await Promise.race([this.sending, new Promise((r) => setTimeout(r, limitMs).unref())]);
    this.queue.length = 0;
    this.transport?.close();
  }

  private async pump(): Promise<void> {
    try {
      for (let alert = this.queue.shift(); alert !== undefined; alert = this.queue.shift()) {
        if (this.dropped > 0) {
          this.log.warn(`SMTP alert queue full: ${this.dropped} older alert(s) dropped`);
          this.dropped = 0;
        }
        await this.deliver(alert);
      }
    } finally {
      this.sending = undefined;
    }
  }

  private async deliver(alert: AlertText): Promise<void> {
    const s = this.settings;
    const raw = alertMessage({
      // keepalived dates the message when it writes the DATA, i.e. when it is actually sent.
      date: rfc2822Date(new Date()),
      from: s.from,
      to: s.to,
      subject: alert.subject,
      body: alert.body,
    });
    try {
      const transport = await this.connectTransport();
      await transport.sendMail({ envelope: { from: s.from, to: s.to }, raw });
      this.log.info('SMTP alert successfully sent.');
    } catch (e) {
      this.log.info(smtpFailureText(e, hostPort(s)));
    }
  }
}

/** The log line of a failed send, worded like keepalived's smtp.c where it has one, plus the detail. */
export function smtpFailureText(e: unknown, server: string): string {
  const err = e as { message?: string; code?: string; command?: string; responseCode?: number };
  const detail = err.message ?? String(e);
  if (err.responseCode !== undefined) {
    const cmd = (err.command ?? '').split(' ')[0] || 'SMTP';
    return `Error processing ${cmd} cmd on SMTP server ${server}. SMTP status code = ${err.responseCode}`;
  }
  if (err.code === 'ETIMEDOUT')
    return /connect/i.test(detail)
      ? `Timeout connecting SMTP server ${server}.`
      : `Timeout reading data to remote SMTP server ${server}. (${detail})`;
  return `SMTP connection ERROR to ${server}. (${detail})`;
}

/**
 * keepalived's get_local_name(): the canonical name of uname's node name. glibc answers it from
 * /etc/hosts when the name is listed there (the first name of its line); otherwise the node name itself.
 */
export function localIdentity(hostsFile = '/etc/hosts'): LocalIdentity {
  const node = hostname();
  let hostName = node;
  try {
    for (const line of readFileSync(hostsFile, 'utf8').split('\n')) {
      const names = line.replace(/#.*/, '').trim().split(/\s+/).slice(1);
      if (names.includes(node)) {
        hostName = names[0] as string;
        break;
      }
    }
  } catch {
    // no hosts file: the node name
  }
  let userName = 'root';
  try {
    userName = userInfo().username;
  } catch {
    // no passwd entry for our uid: keepalived would send no default sender either; root is harmless
  }
  return { hostName, userName };
}
