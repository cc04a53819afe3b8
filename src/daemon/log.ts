// Logging as keepalived does it: to the console with -l, otherwise to syslog (/dev/log) with the facility
// from -S. Messages go through one function so that every subsystem's lines look alike.
import { SyslogClient, type SyslogFacility } from '../net/syslog.js';

export type LogLevel = 'error' | 'warning' | 'notice' | 'info' | 'debug';

export interface LoggerOptions {
  console: boolean;
  syslog: boolean;
  facility: string;
  detail: boolean;
  /** Tag shown in syslog and on the console, e.g. Keepalived_vrrp. */
  ident: string;
}

const SYSLOG_LEVEL: Record<LogLevel, 'err' | 'warning' | 'notice' | 'info' | 'debug'> = {
  error: 'err',
  warning: 'warning',
  notice: 'notice',
  info: 'info',
  debug: 'debug',
};

export class Logger {
  private syslog: SyslogClient | undefined;

  constructor(private readonly opts: LoggerOptions) {
    if (opts.syslog) {
      try {
        this.syslog = new SyslogClient(opts.ident, opts.facility as SyslogFacility);
      } catch {
        // No native addon (or an unknown facility): console only.
        this.syslog = undefined;
      }
    }
  }

  log(level: LogLevel, message: string): void {
    if (level === 'debug' && !this.opts.detail) return;
    if (this.opts.console) {
      const stamp = new Date().toString().slice(0, 24);
      process.stderr.write(`${stamp}: ${this.opts.ident}: ${message}\n`);
    }
    this.syslog?.send(SYSLOG_LEVEL[level], message);
  }

  error(m: string): void {
    this.log('error', m);
  }
  warn(m: string): void {
    this.log('warning', m);
  }
  info(m: string): void {
    this.log('info', m);
  }
  debug(m: string): void {
    this.log('debug', m);
  }
}
