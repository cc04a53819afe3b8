// Resolved health-checker specs: every option already carries its effective value after keepalived's
// inheritance (checker <- real_server <- virtual_server <- built-in default). The scheduler and the
// probes read only these; mapping the parsed config onto them lives in from-model.ts.

export type { CheckerKind } from '../../config/model/lvs/types.js';

/** Where a probe connects from and to (keepalived's conn_opts). */
export interface ConnectOptions {
  /** connect_ip, default the real server's address. */
  address: string;
  /** connect_port, default the real server's port (0 for ICMP). */
  port: number;
  /** bindto: source address. */
  bindTo?: string;
  /** bind_port: source port. */
  bindPort?: number;
  /** bind_if: needed for IPv6 link-local destinations (used as the scope id). */
  bindIf?: string;
  /** connect_timeout in ms (keepalived default 5 s, minimum 1 s). */
  timeoutMs: number;
  /** fwmark (SO_MARK); informative here, Node's sockets cannot set it. */
  fwmark?: number;
}

/** The timing and counting options shared by every checker. */
export interface CheckerTiming {
  /** delay_loop in ms (virtual server default 60 s). */
  delayLoopMs: number;
  /** retry: failures tolerated before DOWN (default 1; MISC_CHECK 0; DNS_CHECK 3). */
  retry: number;
  /** delay_before_retry in ms (default 1 s; HTTP_GET/SSL_GET 3 s; DNS_CHECK: delay_loop). */
  delayBeforeRetryMs: number;
  /** warmup in ms: the first probe waits a random share of it (default delay_loop). */
  warmupMs: number;
  /** alpha: the checker (and so its real server) starts DOWN until a probe succeeds. */
  alpha: boolean;
  /** log_all_failures: every failed probe of an UP checker is logged, not only the one that takes it
   * DOWN (keepalived logs the retries only then). */
  logAllFailures?: boolean;
}

/** One url block of HTTP_GET / SSL_GET. */
export interface HttpUrlSpec {
  path: string;
  /** Lower-case hex MD5 of the body, as genhash prints it. */
  digest?: string;
  /** Accepted status codes as inclusive ranges; keepalived's default is 200-299. */
  statusCodes: Array<[number, number]>;
  /** A regular expression the body must match (or must not, with regexNoMatch). */
  regex?: string;
  regexNoMatch?: boolean;
  /** regex_min_offset / regex_max_offset: the body offsets (inclusive) a match may start at. */
  regexMinOffset?: number;
  regexMaxOffset?: number;
  /** regex_options: PCRE2 option names (common/pcre2-regex.ts maps them onto a RegExp). */
  regexOptions?: string[];
  /** SSL_GET: end this url's TLS session with close_notify (the url's or the checker's tls_compliant). */
  tlsCompliant?: boolean;
  /** virtualhost for this url, overriding the checker's. */
  virtualhost?: string;
}

export type HttpProtocol = '1.0' | '1.0C' | '1.1';

export interface HttpCheckOptions {
  kind: 'HTTP_GET' | 'SSL_GET';
  urls: HttpUrlSpec[];
  /** Host header value (no port) when set; otherwise "address:port". */
  virtualhost?: string;
  protocol: HttpProtocol;
  /** SSL_GET: send SNI (the virtualhost) in the handshake. */
  enableSni: boolean;
  /** fast_recovery: no delay_loop between urls while the checker is not known healthy (http-epilog.ts). */
  fastRecovery?: boolean;
}

export interface TcpCheckOptions {
  kind: 'TCP_CHECK';
}

export interface MiscCheckOptions {
  kind: 'MISC_CHECK';
  /** misc_path: the command line; run through /bin/sh -c like keepalived's scripts. */
  command: string;
  /** misc_timeout in ms (default: the virtual server's delay_loop). */
  timeoutMs: number;
  /** misc_dynamic: exit codes 2..255 set the server weight to code - 2. */
  dynamic: boolean;
  uid?: number;
  gid?: number;
  /** Supplementary groups of the script user (set_supplementary_groups); absent: none. */
  groups?: number[];
}

export interface SmtpCheckOptions {
  kind: 'SMTP_CHECK';
  /** helo_name (default smtpchecker.keepalived.org). */
  heloName: string;
}

export type DnsQueryType = 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA' | 'RRSIG' | 'DNSKEY';

export interface DnsCheckOptions {
  kind: 'DNS_CHECK';
  /** type (default SOA). */
  type: DnsQueryType;
  /** name (default "."). */
  name: string;
}

export interface UdpCheckOptions {
  kind: 'UDP_CHECK';
  /** payload: bytes to send (keepalived sends an empty datagram when unset). */
  payload?: Uint8Array;
  /** require_reply: a reply must arrive; without it only an ICMP error fails the check. */
  requireReply: boolean;
  /** The hex data after require_reply, compared over the shorter of it and the reply. */
  replyData?: Uint8Array;
  /** Bits set here are ignored in the comparison. */
  replyMask?: Uint8Array;
  minReplyLength: number;
  maxReplyLength: number;
}

export interface PingCheckOptions {
  kind: 'PING_CHECK';
}

export interface FileCheckOptions {
  kind: 'FILE_CHECK';
  /** The tracked file's path (the track_file's `file`). */
  path: string;
  /** weight: 0 means "any non-zero value is a failure". */
  weight: number;
  reverse: boolean;
}

/** BFD_CHECK has no probe of its own: it mirrors a bfd_instance session reported by the BFD child. */
export interface BfdCheckOptions {
  kind: 'BFD_CHECK';
  session: string;
}

export type CheckOptions =
  | TcpCheckOptions
  | HttpCheckOptions
  | MiscCheckOptions
  | SmtpCheckOptions
  | DnsCheckOptions
  | UdpCheckOptions
  | PingCheckOptions
  | FileCheckOptions
  | BfdCheckOptions;

/** One checker, fully resolved. */
export interface CheckerSpec {
  /** Unique within the daemon, stable across reloads when the checker is unchanged. */
  id: string;
  /** Key of the real server it votes on (RealServerSpec.id). */
  server: string;
  connect: ConnectOptions;
  timing: CheckerTiming;
  options: CheckOptions;
  /** false when the checker is suspended (ha_suspend while the VIP is absent). */
  enabled: boolean;
}

/** The real-server facts the scheduler needs to turn checker verdicts into server state. */
export interface RealServerSpec {
  /** e.g. "10.0.0.1:80 TCP/192.168.1.1:80"; unique. */
  id: string;
  /** The configured weight (keepalived's iweight). */
  weight: number;
  notifyUp?: string;
  notifyDown?: string;
  /** The virtual server's omega: run notify_down for live servers at shutdown. */
  omega: boolean;
}

/** What one probe found. */
export interface ProbeResult {
  ok: boolean;
  /** Human-readable reason, used in logs ("connection refused", "status 503", ...). */
  detail: string;
  /** MISC_CHECK with misc_dynamic: the script's exit code (the scheduler derives the weight). */
  exitCode?: number;
  /** FILE_CHECK: value x weight (x -1 with reverse), added to the server's weight. */
  weightOffset?: number;
}
