// How IPVS failures read: the errors the client throws, keepalived's texts for each command's errno
// (libipvs' ipvs_strerror) and keepalived's log line for a failed command, so logs grep the same.

import { errnoName } from '../../net/netlink/codec.js';
import {
  AF_INET6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPVS_CMD_DEL_DAEMON,
  IPVS_CMD_DEL_DEST,
  IPVS_CMD_DEL_SERVICE,
  IPVS_CMD_FLUSH,
  IPVS_CMD_NAMES,
  IPVS_CMD_NEW_DAEMON,
  IPVS_CMD_NEW_DEST,
  IPVS_CMD_NEW_SERVICE,
  IPVS_CMD_SET_CONFIG,
  IPVS_CMD_SET_DEST,
  IPVS_CMD_SET_SERVICE,
  IPVS_CMD_ZERO,
} from './constants.js';
import type { IpvsDestination } from './destination.js';
import { type IpvsServiceId, isFwmarkService } from './service.js';

/** Why IPVS cannot be used at all. */
export type IpvsUnavailableReason =
  /** The kernel knows no "IPVS" generic netlink family (no ip_vs module, or it cannot be loaded). */
  | 'no-ipvs'
  /** No generic netlink socket at all. */
  | 'no-genetlink'
  /** IPVS is there but refuses us (no CAP_NET_ADMIN in this network namespace). */
  | 'no-permission'
  /** net_namespace_ipvs names a namespace this process cannot enter. */
  | 'no-namespace';

export class IpvsUnavailableError extends Error {
  readonly code = 'ENOIPVS';
  constructor(
    readonly reason: IpvsUnavailableReason,
    detail: string,
  ) {
    super(`IPVS: Can't initialize ipvs: ${detail}`);
    this.name = 'IpvsUnavailableError';
  }
}

/** A command the kernel refused. `code` is the errno name; the message is keepalived's text for it. */
export class IpvsCommandError extends Error {
  constructor(
    readonly cmd: number,
    readonly code: string,
    readonly errno: number,
    readonly kernelMessage?: string,
  ) {
    super(
      `${IPVS_CMD_NAMES[cmd] ?? `IPVS command ${cmd}`} failed: ${ipvsStrerror(cmd, errno)} (${code})` +
        (kernelMessage ? `: ${kernelMessage}` : ''),
    );
    this.name = 'IpvsCommandError';
  }
}

const ERRNO = { ENOENT: 2, ESRCH: 3, ENOMEM: 12, EEXIST: 17, EINVAL: 22, EPERM: 1 } as const;
const ENOPROTOOPT = 92;
const EOPNOTSUPP = 95;
const EAFNOSUPPORT = 97;
const EMSGSIZE = 90;

const COMMAND_TEXTS: ReadonlyArray<[number, number, string]> = [
  [IPVS_CMD_NEW_SERVICE, ERRNO.EEXIST, 'Service already exists'],
  [IPVS_CMD_NEW_SERVICE, ERRNO.ENOENT, 'Scheduler or persistence engine not found'],
  [IPVS_CMD_SET_SERVICE, ERRNO.ENOENT, 'Scheduler or persistence engine not found'],
  [IPVS_CMD_NEW_DEST, ERRNO.EEXIST, 'Destination already exists'],
  [IPVS_CMD_SET_DEST, ERRNO.ENOENT, 'No such destination'],
  [IPVS_CMD_DEL_DEST, ERRNO.ENOENT, 'No such destination'],
  [IPVS_CMD_NEW_DAEMON, ERRNO.EEXIST, 'Daemon has already run'],
  [IPVS_CMD_DEL_DAEMON, ERRNO.ESRCH, 'No daemon is running'],
];

const GENERIC_TEXTS = new Map<number, string>([
  [ERRNO.ESRCH, 'No such service'],
  [ERRNO.EPERM, 'Permission denied (you must be root)'],
  [ERRNO.EINVAL, 'Invalid operation.  Possibly wrong module version, address not unicast, ...'],
  [ENOPROTOOPT, 'Protocol not available'],
  [ERRNO.ENOMEM, 'Memory allocation problem'],
  [EOPNOTSUPP, 'Operation not supported with IPv6'],
  [EAFNOSUPPORT, 'Operation not supported with specified address family'],
  [EMSGSIZE, 'Module is wrong version'],
]);

// strerror() for the errnos keepalived can see after libnl's mapping (below) that libipvs has no text for.
const STRERROR = new Map<number, string>([
  [ERRNO.ENOENT, 'No such file or directory'],
  [4, 'Interrupted system call'],
  [9, 'Bad file descriptor'],
  [11, 'Resource temporarily unavailable'],
  [13, 'Permission denied'],
  [16, 'Device or resource busy'],
  [ERRNO.EEXIST, 'File exists'],
  [19, 'No such device'],
  [34, 'Numerical result out of range'],
  [93, 'Protocol not supported'],
  [99, 'Cannot assign requested address'],
]);

/** keepalived's text for `errno` after `cmd` (its table first, then strerror, then the errno's name). */
export function ipvsStrerror(cmd: number, errno: number): string {
  for (const [c, e, text] of COMMAND_TEXTS) if (c === cmd && e === errno) return text;
  return GENERIC_TEXTS.get(errno) ?? STRERROR.get(errno) ?? errnoName(errno);
}

// libnl-3 turns the kernel's errno into its own code (nl_syserr2nlerr) and keepalived's libipvs turns that
// back (nlerr2syserr): ESRCH arrives as ENOENT, ENOBUFS as ENOMEM, and any errno libnl does not list as
// its generic failure, which comes back as 1 (EPERM). keepalived's lines show the errno after that trip.
const LIBNL_ERRNO = new Map<number, number>([
  [ERRNO.ESRCH, ERRNO.ENOENT],
  [98, ERRNO.EEXIST], // EADDRINUSE
  [88, 9], // ENOTSOCK -> EBADF
  [ENOPROTOOPT, ERRNO.EINVAL],
  [14, ERRNO.EINVAL], // EFAULT
  [105, ERRNO.ENOMEM], // ENOBUFS
]);
const LIBNL_KEEPS = new Set([
  9,
  ERRNO.EEXIST,
  99,
  ERRNO.ENOENT,
  4,
  11,
  13,
  ERRNO.EINVAL,
  ERRNO.ENOMEM,
  EAFNOSUPPORT,
  93,
  EOPNOTSUPP,
  ERRNO.EPERM,
  16,
  34,
  19,
]);

/** The errno keepalived 2.2.7 (libipvs over libnl-3) sees for the kernel's `errno`. */
export function keepalivedErrno(errno: number): number {
  return LIBNL_ERRNO.get(errno) ?? (LIBNL_KEEPS.has(errno) ? errno : ERRNO.EPERM);
}

// keepalived names commands by their old setsockopt numbers (IP_VS_BASE_CTL = 1152) even over netlink.
const SOCKOPT_NAMES: Readonly<Record<number, [string, number]>> = {
  [IPVS_CMD_NEW_SERVICE]: ['IP_VS_SO_SET_ADD', 1154],
  [IPVS_CMD_SET_SERVICE]: ['IP_VS_SO_SET_EDIT', 1155],
  [IPVS_CMD_DEL_SERVICE]: ['IP_VS_SO_SET_DEL', 1156],
  [IPVS_CMD_FLUSH]: ['IP_VS_SO_SET_FLUSH', 1157],
  [IPVS_CMD_NEW_DEST]: ['IP_VS_SO_SET_ADDDEST', 1159],
  [IPVS_CMD_DEL_DEST]: ['IP_VS_SO_SET_DELDEST', 1160],
  [IPVS_CMD_SET_DEST]: ['IP_VS_SO_SET_EDITDEST', 1161],
  [IPVS_CMD_SET_CONFIG]: ['IP_VS_SO_SET_TIMEOUT', 1162],
  [IPVS_CMD_NEW_DAEMON]: ['IP_VS_SO_SET_STARTDAEMON', 1163],
  [IPVS_CMD_DEL_DAEMON]: ['IP_VS_SO_SET_STOPDAEMON', 1164],
  [IPVS_CMD_ZERO]: ['IP_VS_SO_SET_ZERO', 1167],
};

function protocolText(protocol: number): string {
  if (protocol === IPPROTO_TCP) return 'tcp';
  if (protocol === IPPROTO_UDP) return 'udp';
  if (protocol === IPPROTO_SCTP) return 'sctp';
  return String(protocol);
}

/** "10.0.0.1:tcp:80" or "Fwm 5 inet6", as keepalived names a service in its logs. */
export function formatServiceForLog(s: IpvsServiceId): string {
  if (isFwmarkService(s)) return `Fwm ${s.fwmark}${s.af === AF_INET6 ? ' inet6' : ''}`;
  if ('address' in s) return `${s.address}:${protocolText(s.protocol)}:${s.port}`;
  return 'Fwm 0';
}

/**
 * keepalived's line for a failed command: "IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Destination
 * already exists(17) (10.0.0.1:tcp:80 -> 192.168.0.2:80)". `errno` is the kernel's.
 */
export function ipvsErrorLogLine(
  cmd: number,
  errno: number,
  service?: IpvsServiceId,
  destination?: Pick<IpvsDestination, 'address' | 'port'>,
): string {
  const [name, number] = SOCKOPT_NAMES[cmd] ?? ['(unknown)', cmd];
  let what = '';
  if (
    service &&
    (cmd === IPVS_CMD_NEW_SERVICE || cmd === IPVS_CMD_SET_SERVICE || cmd === IPVS_CMD_DEL_SERVICE)
  ) {
    what = ` (${formatServiceForLog(service)})`;
  } else if (service && destination) {
    what = ` (${formatServiceForLog(service)} -> ${destination.address}:${destination.port})`;
  }
  const seen = keepalivedErrno(errno);
  return `IPVS cmd ${name}(${number}) error: ${ipvsStrerror(cmd, seen)}(${seen})${what}`;
}
