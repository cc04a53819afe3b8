// Logging to the local syslog daemon the way glibc's syslog(3) does it, without spawning logger(1): one
// RFC 3164 datagram per message on the AF_UNIX SOCK_DGRAM socket /dev/log, in the exact shape glibc sends
// (`<PRI>Mmm dd hh:mm:ss ident[pid]: message`, local time, C-locale month, space-padded day, no trailing
// newline or NUL added). Sending never blocks and never throws: with no daemon listening the message is
// dropped, as glibc does without LOG_CONS. The socket is unconnected, so a daemon that restarts and
// re-creates /dev/log is picked up on the next message without any reconnect logic.
import { native, isNativeError } from './native.js';
import { NativeSocket } from './socket.js';

/** Facility codes of <syslog.h>, already shifted (LOG_DAEMON is 3 << 3). */
export const SYSLOG_FACILITIES = {
  kern: 0 << 3,
  user: 1 << 3,
  mail: 2 << 3,
  daemon: 3 << 3,
  auth: 4 << 3,
  syslog: 5 << 3,
  lpr: 6 << 3,
  news: 7 << 3,
  uucp: 8 << 3,
  cron: 9 << 3,
  authpriv: 10 << 3,
  ftp: 11 << 3,
  local0: 16 << 3,
  local1: 17 << 3,
  local2: 18 << 3,
  local3: 19 << 3,
  local4: 20 << 3,
  local5: 21 << 3,
  local6: 22 << 3,
  local7: 23 << 3,
} as const;

/** Severity levels of <syslog.h>. */
export const SYSLOG_LEVELS = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
} as const;

export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;
export type SyslogLevel = keyof typeof SYSLOG_LEVELS;

export interface SyslogOptions {
  /** Datagram socket of the syslog daemon (default /dev/log). */
  path?: string;
  /** Process id written after the ident (default process.pid; glibc's LOG_PID). */
  pid?: number;
  /** Clock for the timestamp (default: the wall clock, rendered in local time like glibc). */
  now?: () => Date;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// A daemon that is absent, restarting or overloaded: the message is lost, never the caller's problem.
const DROP_SILENTLY = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN', 'EWOULDBLOCK', 'ENOTCONN', 'ENOBUFS']);

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** strftime's "%h %e %T" in local time: `Nov  7 09:05:03` (the day padded with a space, not a zero). */
export function syslogTimestamp(date: Date): string {
  const day = date.getDate();
  const time = `${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}:${twoDigits(date.getSeconds())}`;
  return `${MONTHS[date.getMonth()]} ${day < 10 ? ' ' : ''}${day} ${time}`;
}

/** The datagram glibc's syslog() sends for openlog(ident, LOG_PID, facility) + syslog(level, message). */
export function formatSyslogMessage(
  facility: number,
  level: number,
  ident: string,
  pid: number,
  date: Date,
  message: string,
): string {
  const pri = (facility & 0x3f8) | (level & 7);
  return `<${pri}>${syslogTimestamp(date)} ${ident}[${pid}]: ${message}`;
}

export class SyslogClient {
  private readonly facility: number;
  private readonly path: string;
  private readonly pid: number;
  private readonly now: () => Date;
  private socket: NativeSocket | undefined;

  constructor(
    private readonly ident: string,
    facility: SyslogFacility | number = 'daemon',
    options: SyslogOptions = {},
  ) {
    this.facility = typeof facility === 'number' ? facility : SYSLOG_FACILITIES[facility];
    this.path = options.path ?? '/dev/log';
    this.pid = options.pid ?? process.pid;
    this.now = options.now ?? (() => new Date());
  }

  /** Sends one message; true when the daemon's socket accepted it, false when it was dropped. */
  send(level: SyslogLevel | number, message: string): boolean {
    const severity = typeof level === 'number' ? level : SYSLOG_LEVELS[level];
    const datagram = Buffer.from(
      formatSyslogMessage(this.facility, severity, this.ident, this.pid, this.now(), message),
    );
    try {
      this.socket ??= NativeSocket.open(native().constants.AF_UNIX, native().constants.SOCK_DGRAM, 0, 1);
      this.socket.send(datagram, { family: 'unix', path: this.path });
      return true;
    } catch (error) {
      // Anything unexpected (EMSGSIZE aside) gets a fresh socket next time, in case this one went bad.
      if (!(isNativeError(error) && (DROP_SILENTLY.has(error.code) || error.code === 'EMSGSIZE'))) {
        this.dropSocket();
      }
      return false;
    }
  }

  /** Releases the socket; a later send() opens a new one. */
  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
  }

  private dropSocket(): void {
    try {
      this.close();
    } catch {
      // the descriptor is gone either way; send() must not throw
    }
  }
}
