// Typed model of the LVS half of keepalived.conf: virtual_server_group, virtual_server, real_server and
// the health checkers. Values are as written; a field left undefined means "not written here", so the
// consumer applies keepalived's inheritance (checker <- real_server <- virtual_server <- built-in default)
// with defaults.ts. Keeping the model as written is what lets print.ts round-trip it exactly.
import type { SourceLocation } from '../../types.js';
import type { Family } from '../shared/ip.js';
import type { ScriptCommand } from '../shared/script-command.js';

// ---- virtual_server_group ----

/** `10.0.0.1-10 80`, `10.0.0.1-10.0.1.5 80`, `10.0.2.8/29 80` or one address: the inclusive range
 * `first`..`last` (equal for one address), both canonical text of one family. */
export interface VsgAddressEntry {
  kind: 'address';
  family: Family;
  first: string;
  last: string;
  port?: number;
  at: SourceLocation;
}

export interface VsgFwmarkEntry {
  kind: 'fwmark';
  fwmark: number;
  /** `fwmark N inet|inet6`: only needed when every real server is tunnelled. */
  family?: Family;
  at: SourceLocation;
}

export type VsgEntry = VsgAddressEntry | VsgFwmarkEntry;

export interface VirtualServerGroup {
  name: string;
  entries: VsgEntry[];
  at: SourceLocation;
}

// ---- virtual_server ----

export const LVS_SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
  'twos',
] as const;
export type LvsScheduler = (typeof LVS_SCHEDULERS)[number];

/** Scheduler flags as written; sh-/mh- ones only apply to their scheduler. */
export const LVS_SCHED_FLAGS = [
  'flag-1',
  'flag-2',
  'flag-3',
  'sh-port',
  'sh-fallback',
  'mh-port',
  'mh-fallback',
] as const;
export type LvsSchedFlag = (typeof LVS_SCHED_FLAGS)[number];

export type LvsMethod = 'NAT' | 'DR' | 'TUN';

/** `lvs_method TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`. */
export interface TunnelOptions {
  type: 'ipip' | 'gue' | 'gre';
  /** Required for gue, forbidden otherwise. */
  port?: number;
  checksum?: 'nocsum' | 'csum' | 'remcsum';
}

/** A forwarding method with, for TUN, its tunnel options. */
export interface Forwarding {
  method: LvsMethod;
  tunnel?: TunnelOptions;
}

export type LvsProtocol = 'TCP' | 'UDP' | 'SCTP';

/** What a virtual_server is keyed on: an address and optional port, a firewall mark, or a group. */
export type VirtualServerKey =
  | { kind: 'address'; family: Family; address: string; port?: number }
  | { kind: 'fwmark'; fwmark: number }
  | { kind: 'group'; group: string };

/** A script keyword (notify_up, quorum_down, misc_path): the command line, optional run-as user, and where. */
export interface ScriptRef extends ScriptCommand {
  at: SourceLocation;
}

/** Check timings, in seconds (keepalived's TIMER: decimal, microsecond resolution) or counts.
 * Unset means inherited: checker <- real_server <- virtual_server <- keepalived's default (defaults.ts). */
export interface CheckTimings {
  delayLoop?: number;
  retry?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  connectTimeout?: number;
}

export interface VirtualServer extends CheckTimings {
  key: VirtualServerKey;
  /** Default weight of its real servers (keepalived 2.3+); unset: 1. */
  weight?: number;
  /** `ip_family inet|inet6`. */
  ipFamily?: Family;
  /** Unset: keepalived uses wlc. */
  scheduler?: LvsScheduler;
  schedFlags: LvsSchedFlag[];
  /** `ops`: one-packet scheduling (UDP). */
  ops: boolean;
  /** Unset: keepalived uses NAT. */
  forwarding?: Forwarding;
  persistenceEngine?: string;
  /** Seconds; `persistence_timeout` without a value means keepalived's 360. */
  persistenceTimeout?: number;
  /** IPv4 netmask text, or IPv6 prefix length as text. */
  persistenceGranularity?: string;
  protocol?: LvsProtocol;
  haSuspend: boolean;
  smtpAlert?: boolean;
  virtualhost?: string;
  snmpName?: string;
  alpha: boolean;
  omega: boolean;
  /** Default 1. */
  quorum?: number;
  /** Default 0. */
  hysteresis?: number;
  quorumUp?: ScriptRef;
  quorumDown?: ScriptRef;
  inhibitOnFailure: boolean;
  sorryServer?: SorryServer;
  realServers: RealServer[];
  at: SourceLocation;
}

export interface SorryServer {
  family: Family;
  address: string;
  port?: number;
  inhibit: boolean;
  /** `sorry_server_lvs_method`; unset: the virtual server's. */
  forwarding?: Forwarding;
  at: SourceLocation;
}

export interface RealServer extends CheckTimings {
  family: Family;
  address: string;
  /** Absent for fwmark services, where the real server takes the packet's port. */
  port?: number;
  /** Default 1. */
  weight?: number;
  /** `lvs_method` of this real server; unset: the virtual server's. */
  forwarding?: Forwarding;
  /** Unset: the virtual server's. */
  inhibitOnFailure?: boolean;
  notifyUp?: ScriptRef;
  notifyDown?: ScriptRef;
  /** Connection upper / lower thresholds; 0 means none. */
  uthreshold?: number;
  lthreshold?: number;
  /** Unset: the virtual server's. */
  alpha?: boolean;
  smtpAlert?: boolean;
  virtualhost?: string;
  snmpName?: string;
  checkers: Checker[];
  at: SourceLocation;
}

// ---- checkers ----

/** What every checker but FILE_CHECK and BFD_CHECK shares. */
export interface CheckerBase extends CheckTimings {
  /** `alpha <BOOL>`; unset: the real server's. */
  alpha?: boolean;
  logAllFailures?: boolean;
  at: SourceLocation;
}

/** The connection options of network checkers (all but MISC_CHECK, FILE_CHECK, BFD_CHECK). */
export interface ConnectOptions {
  /** Unset: the real server's address. */
  connectIp?: string;
  connectFamily?: Family;
  /** Unset: the real server's port. */
  connectPort?: number;
  bindTo?: string;
  bindPort?: number;
  bindIf?: string;
  /** Mark put on the checker's own packets. */
  fwmark?: number;
}

export interface NetworkCheckerBase extends CheckerBase, ConnectOptions {}

export interface TcpCheck extends NetworkCheckerBase {
  kind: 'TCP_CHECK';
}

/** One accepted status: a single code (from === to) or an inclusive range, within 100..599. */
export interface StatusRange {
  from: number;
  to: number;
}

// regex_options: the PCRE2 option words keepalived accepts (one list, where they are mapped onto RegExp).
import type { Pcre2Option } from '../../../common/pcre2-regex.js';
export { PCRE2_OPTION_NAMES as REGEX_OPTIONS } from '../../../common/pcre2-regex.js';
export type RegexOption = Pcre2Option;

export interface HttpUrl {
  path?: string;
  /** 32 hex characters, lower case (MD5 of the body, as genhash prints). */
  digest?: string;
  /** Empty means keepalived's default: 200-299. */
  statusCodes: StatusRange[];
  /** Unset: the checker's, then the real server's, then the virtual server's. */
  virtualhost?: string;
  regex?: string;
  regexNoMatch: boolean;
  regexOptions: RegexOption[];
  regexStack?: { start: number; max: number };
  regexMinOffset?: number;
  regexMaxOffset?: number;
  /** SSL_GET url: send close_notify when done (keepalived 2.4). */
  tlsCompliant?: boolean;
  at: SourceLocation;
}

export type HttpProtocol = '1.0' | '1.0C' | '1.1';

export interface HttpCheck extends NetworkCheckerBase {
  kind: 'HTTP_GET' | 'SSL_GET';
  urls: HttpUrl[];
  virtualhost?: string;
  /** Unset: 1.0. */
  httpProtocol?: HttpProtocol;
  /** SSL_GET only. */
  enableSni: boolean;
  fastRecovery: boolean;
  /** `tls_compliant` (SSL_GET only; newer than keepalived 2.2.7, which rejects it): end each TLS session
   * with a close_notify alert (keepalived's default is a quiet shutdown). */
  tlsCompliant: boolean;
}

export interface SmtpCheck extends NetworkCheckerBase {
  kind: 'SMTP_CHECK';
  /** Unset: keepalived uses its own name (smtp_helo_name / host name). */
  heloName?: string;
  /** Deprecated `host { connect_ip ... }` sub-blocks: each is one more endpoint checked in turn,
   * its unset options taken from the checker's own. */
  hosts: SmtpHost[];
}

export interface SmtpHost extends ConnectOptions {
  connectTimeout?: number;
  at: SourceLocation;
}

export const DNS_TYPES = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'] as const;
export type DnsType = (typeof DNS_TYPES)[number];

export interface DnsCheck extends NetworkCheckerBase {
  kind: 'DNS_CHECK';
  /** Unset: SOA. */
  type?: DnsType;
  /** Unset: `.`. */
  name?: string;
}

/** A hex pattern: `mask` has 0xf nibbles where the pattern had a digit, 0 where it had X. */
export interface HexPattern {
  bytes: number[];
  mask: number[];
}

export interface UdpCheck extends NetworkCheckerBase {
  kind: 'UDP_CHECK';
  /** Unset: a random payload. */
  payload?: number[];
  /** `require_reply` given (with or without data). */
  requireReply: boolean;
  /** The data a reply must start with (X nibbles ignored). */
  replyPattern?: HexPattern;
  /** Default 0. */
  minReplyLength?: number;
  /** Default 255. */
  maxReplyLength?: number;
}

export interface PingCheck extends NetworkCheckerBase {
  kind: 'PING_CHECK';
}

export interface MiscCheck extends CheckerBase {
  kind: 'MISC_CHECK';
  path?: ScriptRef;
  /** Seconds; unset: delay_loop. */
  timeout?: number;
  dynamic: boolean;
}

export interface FileCheck {
  kind: 'FILE_CHECK';
  /** Name of the track_file block it follows. */
  trackFile?: string;
  /** Multiplier of the file's value; unset: 1. */
  weight?: number;
  reverse: boolean;
  dynamic: boolean;
  at: SourceLocation;
}

export interface BfdCheck {
  kind: 'BFD_CHECK';
  /** Name of the bfd_instance it follows. */
  name?: string;
  /** Starts down until the session is up (unset: the real server's). */
  alpha?: boolean;
  at: SourceLocation;
}

export type Checker =
  TcpCheck | HttpCheck | MiscCheck | SmtpCheck | DnsCheck | UdpCheck | PingCheck | FileCheck | BfdCheck;

export type CheckerKind = Checker['kind'];

export const CHECKER_KINDS: readonly CheckerKind[] = [
  'TCP_CHECK',
  'HTTP_GET',
  'SSL_GET',
  'MISC_CHECK',
  'SMTP_CHECK',
  'DNS_CHECK',
  'UDP_CHECK',
  'PING_CHECK',
  'FILE_CHECK',
  'BFD_CHECK',
];

/** The top-level `SSL { }` block: the client context SSL_GET checks use (auto-generated when absent). */
export interface SslConfig {
  password?: string;
  ca?: string;
  certificate?: string;
  key?: string;
  at: SourceLocation;
}
