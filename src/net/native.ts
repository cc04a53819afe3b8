// Typed access to the native addon (native/src/keepalived_native.c): generic Linux sockets, readiness
// through libuv, a CLOCK_MONOTONIC timerfd. Built by `npm ci` (scripts/build-native.js) into
// native/build/Release; this module is compiled to dist/src/net/, three levels below the repo root.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Socket addresses as the addon takes and returns them; the C side owns the struct layouts. */
export type SockAddr = InetAddr | Inet6Addr | PacketAddr | NetlinkAddr | UnixAddr;

export interface InetAddr {
  family: 'inet';
  address: string;
  port?: number;
}

export interface Inet6Addr {
  family: 'inet6';
  address: string;
  port?: number;
  scopeId?: number;
}

/** sockaddr_ll. `protocol` is an ethertype in host order (the addon converts it). */
export interface PacketAddr {
  family: 'packet';
  ifindex: number;
  protocol?: number;
  hatype?: number;
  pkttype?: number;
  addr?: Uint8Array;
}

export interface NetlinkAddr {
  family: 'netlink';
  pid?: number;
  groups?: number;
}

/** sockaddr_un. A leading NUL in `path` names the abstract namespace; unnamed peers come back with ''. */
export interface UnixAddr {
  family: 'unix';
  path: string;
}

/** Chooses the outgoing interface and source address of one datagram (IP_PKTINFO / IPV6_PKTINFO). */
export interface PacketInfo {
  ifindex: number;
  source?: string;
  /** IPv6 only: this datagram's hop limit (IPV6_HOPLIMIT), instead of the socket's. */
  hopLimit?: number;
}

/** What recvmsg read into the caller's buffer; optional fields come from enabled ancillary data. */
export interface RecvResult {
  length: number;
  truncated: boolean;
  from: SockAddr | null;
  ifindex?: number;
  dst?: string;
  hopLimit?: number;
  ttl?: number;
  /** SO_TIMESTAMPNS: how long ago (ns) the kernel received the datagram. */
  queuedNs?: number;
}

/** Opaque handle of a libuv poll watching one descriptor. */
export type PollHandle = { readonly __brand: 'PollHandle' };

export interface NativeConstants {
  readonly [name: string]: number;
  readonly AF_INET: number;
  readonly AF_INET6: number;
  readonly AF_PACKET: number;
  readonly AF_NETLINK: number;
  readonly AF_UNIX: number;
  readonly SOCK_RAW: number;
  readonly SOCK_DGRAM: number;
  readonly IPPROTO_IP: number;
  readonly IPPROTO_IPV6: number;
  readonly IPPROTO_ICMPV6: number;
  readonly SOL_SOCKET: number;
  readonly SOL_NETLINK: number;
  readonly SO_BINDTODEVICE: number;
  readonly SO_TIMESTAMPNS: number;
  readonly SO_RCVBUF: number;
  readonly IP_HDRINCL: number;
  readonly IP_MULTICAST_TTL: number;
  readonly IP_MULTICAST_IF: number;
  readonly IP_MULTICAST_LOOP: number;
  readonly IP_MULTICAST_ALL: number;
  readonly IP_ADD_MEMBERSHIP: number;
  readonly IP_DROP_MEMBERSHIP: number;
  readonly IP_PKTINFO: number;
  readonly IP_RECVTTL: number;
  readonly IPV6_JOIN_GROUP: number;
  readonly IPV6_LEAVE_GROUP: number;
  readonly IPV6_MULTICAST_HOPS: number;
  readonly IPV6_MULTICAST_IF: number;
  readonly IPV6_MULTICAST_LOOP: number;
  readonly IPV6_UNICAST_HOPS: number;
  readonly IPV6_RECVHOPLIMIT: number;
  readonly IPV6_RECVPKTINFO: number;
  readonly IPV6_CHECKSUM: number;
  readonly IP_FREEBIND: number;
  readonly IPV6_FREEBIND: number;
  readonly NETLINK_ROUTE: number;
  readonly NETLINK_GENERIC: number;
  readonly NETLINK_ADD_MEMBERSHIP: number;
  readonly NETLINK_DROP_MEMBERSHIP: number;
  readonly ETH_P_ALL: number;
  readonly ETH_P_IP: number;
  readonly ETH_P_ARP: number;
  readonly ETH_P_RARP: number;
  readonly ETH_P_IPV6: number;
  readonly RLIMIT_RTTIME: number;
  readonly RLIMIT_CORE: number;
}

/** The addon's exports. Every failing call throws an Error whose `code` is the errno name. */
export interface NativeAddon {
  /** Non-blocking, close-on-exec socket; for AF_PACKET `protocol` is a host-order ethertype. */
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: SockAddr): void;
  getsockname(fd: number): SockAddr | null;
  /** number -> C int; string -> NUL-terminated (SO_BINDTODEVICE); bytes -> the raw option struct. */
  setsockopt(fd: number, level: number, name: number, value: number | string | Uint8Array): void;
  getsockoptInt(fd: number, level: number, name: number): number;
  sendto(fd: number, data: Uint8Array, to?: SockAddr | null, pktinfo?: PacketInfo | null): number;
  /** One datagram into `buf`, or null when none is queued (never blocks). */
  recvmsg(fd: number, buf: Uint8Array): RecvResult | null;
  close(fd: number): void;
  ifNameToIndex(name: string): number;
  ifIndexToName(index: number): string;
  /** Calls `onReadable(status)` whenever fd is readable (status < 0: a libuv error). */
  pollStart(fd: number, onReadable: (status: number) => void): PollHandle;
  /** Stops and releases the poll (idempotent); call it before closing the fd. */
  pollStop(handle: PollHandle): void;
  pollRef(handle: PollHandle, keepLoopAlive: boolean): void;
  /** CLOCK_MONOTONIC in nanoseconds (the clock process.hrtime uses too). */
  monotonicNow(): bigint;
  timerfdCreate(): number;
  /** Absolute CLOCK_MONOTONIC deadline in ns (0n disarms), optional period in ns. */
  timerfdArm(fd: number, deadlineNs: bigint, intervalNs?: bigint): void;
  /** Expirations since the last read; 0 when none. */
  timerfdRead(fd: number): number;
  /** Scheduling policy of the calling (main) thread: 'rr'/'fifo' with priority 1..99, or 'other'. */
  setScheduler(policy: SchedulerPolicy, priority: number): void;
  getScheduler(): { policy: SchedulerPolicy; priority: number };
  /** A datagram socket that receives one byte (the signal number) each time one of `signums` arrives; a
   * process-wide handler is installed for each (realtime ones included). Same fd on every call. */
  signalSocket(signums: number[]): number;
  /** SIGRTMIN and SIGRTMAX of the C library. */
  rtSignals(): { min: number; max: number };
  /** The calling (main) thread joins the network namespace bound at `path`. */
  setns(path: string): void;
  /** prctl(PR_SET_NAME): the calling (main) thread's name, the process name ps shows (15 bytes kept). */
  setThreadName(name: string): void;
  /** mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT). */
  lockMemory(): void;
  /** sched_setaffinity of thread `tid` (0: the calling one) to the listed CPUs. */
  setAffinity(tid: number, cpus: number[]): void;
  /** setrlimit(resource, soft, hard); a negative value is unlimited. */
  setRlimit(resource: number, soft: number, hard: number): void;
  constants: NativeConstants;
}

export type SchedulerPolicy = 'rr' | 'fifo' | 'other';

/** An Error raised by the addon: `code` is the errno name, `errno` its negated number. */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as Partial<NativeError>).code === 'string';
}

const builtDir = new URL('../../../native/build/Release/', import.meta.url);
const addonPath = fileURLToPath(new URL('keepalived_native.node', builtDir));

/** The library the children run preloaded: discards on memory locked by *_no_swap that V8 survives
 * (native/src/locked_discard.c). */
export const LOCKED_DISCARD_LIBRARY = fileURLToPath(new URL('kts_locked_discard.so', builtDir));

let loaded: NativeAddon | undefined;

/** The addon, loaded on first use; throws with a hint when it was not built. */
export function native(): NativeAddon {
  if (loaded) return loaded;
  if (!existsSync(addonPath)) {
    throw new Error(`native addon missing at ${addonPath}: run \`npm run build:native\` (or npm ci)`);
  }
  loaded = createRequire(import.meta.url)(addonPath) as NativeAddon;
  return loaded;
}
