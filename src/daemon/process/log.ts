// Logging as keepalived does it: to syslog (/dev/log) with the facility from -S and the ident
// Keepalived / Keepalived_vrrp / Keepalived_healthcheckers (plus _NAMESPACE_INSTANCE when those are set),
// to the console with -l as "Fri Nov 27 07:32:22 2026: message" (no ident, as keepalived prints it), and
// to a file with -g. Messages go through one function so that every subsystem's lines look alike.
import { appendFileSync } from 'node:fs';
import { SyslogClient, type SyslogFacility } from '../../net/syslog.js';
import type { DaemonOptions } from './options.js';

export type LogLevel = 'error' | 'warning' | 'notice' | 'info' | 'debug';

export interface LoggerOptions {
  console: boolean;
  syslog: boolean;
  facility: string;
  detail: boolean;
  /** Tag shown in syslog, e.g. Keepalived_vrrp. */
  ident: string;
  /** -g: append every line to this file too. */
  file?: string;
}

const SYSLOG_LEVEL: Record<LogLevel, 'err' | 'warning' | 'notice' | 'info' | 'debug'> = {
  error: 'err',
  warning: 'warning',
  notice: 'notice',
  info: 'info',
  debug: 'debug',
};

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** strftime's %c in the C locale ("%a %b %e %H:%M:%S %Y"), local time: keepalived's console stamp. */
export function consoleTimestamp(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, ' ');
  return (
    `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`
  );
}

/** keepalived's -g naming: the child's suffix goes before the last '.' of the file name (or at the end). */
export function logFileFor(file: string, suffix: string): string {
  if (suffix === '') return file;
  const slash = file.lastIndexOf('/');
  const dot = file.lastIndexOf('.');
  return dot > slash + 1 ? file.slice(0, dot) + suffix + file.slice(dot) : file + suffix;
}

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

  get ident(): string {
    return this.opts.ident;
  }

  log(level: LogLevel, message: string): void {
    if (level === 'debug' && !this.opts.detail) return;
    if (this.opts.console || this.opts.file !== undefined) {
      const line = `${consoleTimestamp(new Date())}: ${message}\n`;
      if (this.opts.console) process.stderr.write(line);
      if (this.opts.file !== undefined) {
        try {
          appendFileSync(this.opts.file, line);
        } catch {
          // A log file that cannot be written must not take the daemon down.
        }
      }
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

/** Passed from the parent to its children: what keepalived appends to every syslog ident (_NS_INSTANCE). */
export const IDENT_SUFFIX_ENV = 'KEEPALIVED_TS_IDENT_SUFFIX';

/** -g FILE: keepalived's children log to FILE with _vrrp / _healthcheckers inserted. */
const LOG_FILE_SUFFIX: Record<string, string> = {
  Keepalived_vrrp: '_vrrp',
  Keepalived_healthcheckers: '_healthcheckers',
  Keepalived_bfd: '_bfd',
};

/** The logger of a daemon process (the parent `Keepalived`, or a child's ident) as the options say. */
export function daemonLogger(o: DaemonOptions, ident: string): Logger {
  const suffix = process.env[IDENT_SUFFIX_ENV] ?? '';
  return new Logger({
    console: o.logConsole,
    syslog: !o.noSyslog,
    facility: o.logFacility,
    detail: o.logDetail,
    ident: ident + suffix,
    ...(o.logFile !== undefined ? { file: logFileFor(o.logFile, LOG_FILE_SUFFIX[ident] ?? '') } : {}),
  });
}
