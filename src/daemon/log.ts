// Logging as keepalived does it: to the console with -l, otherwise to syslog with the facility from -S.
// Messages go through one function so that every subsystem's lines look alike.
import { spawn } from 'node:child_process';

export type LogLevel = 'error' | 'warning' | 'notice' | 'info' | 'debug';

export interface LoggerOptions {
  console: boolean;
  syslog: boolean;
  facility: string;
  detail: boolean;
  /** Tag shown in syslog and on the console, e.g. Keepalived_vrrp. */
  ident: string;
}

const SYSLOG_LEVEL: Record<LogLevel, string> = {
  error: 'err',
  warning: 'warning',
  notice: 'notice',
  info: 'info',
  debug: 'debug',
};

export class Logger {
  private syslogQueue: string[] = [];
  private syslogBusy = false;

  constructor(private readonly opts: LoggerOptions) {}

  log(level: LogLevel, message: string): void {
    if (level === 'debug' && !this.opts.detail) return;
    if (this.opts.console) {
      const stamp = new Date().toString().slice(0, 24);
      process.stderr.write(`${stamp}: ${this.opts.ident}: ${message}\n`);
    }
    if (this.opts.syslog) this.toSyslog(level, message);
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

  // Node has no AF_UNIX datagram client for /dev/log, so syslog lines go through logger(1), one
  // process at a time in order; a missing logger(1) silently disables syslog rather than failing.
  private toSyslog(level: LogLevel, message: string): void {
    this.syslogQueue.push(`${this.opts.facility}.${SYSLOG_LEVEL[level]}\u0000${message}`);
    if (!this.syslogBusy) this.drainSyslog();
  }

  private drainSyslog(): void {
    const next = this.syslogQueue.shift();
    if (next === undefined) {
      this.syslogBusy = false;
      return;
    }
    this.syslogBusy = true;
    const [priority, message] = next.split('\u0000') as [string, string];
    const child = spawn('logger', ['-t', this.opts.ident, '-p', priority, '--', message], {
      stdio: 'ignore',
    });
    child.on('error', () => {
      this.opts.syslog = false;
      this.syslogQueue = [];
      this.syslogBusy = false;
    });
    child.on('close', () => this.drainSyslog());
  }
}
