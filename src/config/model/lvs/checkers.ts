// The health checker blocks inside a real_server: TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK, DNS_CHECK,
// UDP_CHECK, PING_CHECK, MISC_CHECK, FILE_CHECK, BFD_CHECK. Values are kept as written (unset = inherited
// from the real server, see defaults.ts), with keepalived 2.4's ranges.
import type { ConfigNode } from '../../types.js';
import { blockEnd } from '../../blocks.js';
import { defaultScriptUserUsable } from '../shared/script-user.js';
import type {
  BfdCheck,
  CheckerBase,
  Checker,
  CheckerKind,
  ConnectOptions,
  DnsCheck,
  FileCheck,
  HexPattern,
  HttpCheck,
  HttpUrl,
  MiscCheck,
  NetworkCheckerBase,
  SmtpCheck,
  SmtpHost,
  StatusRange,
  UdpCheck,
} from './types.js';
import { CHECKER_OPTION_DEFAULTS } from './defaults.js';
import { DNS_TYPES, REGEX_OPTIONS, type RegexOption } from './types.js';
import { PCRE2_OPTIONS_WITHOUT_EQUIVALENT } from '../../../common/pcre2-regex.js';
import {
  CONNECT_TIMEOUT_MAX,
  IFNAME_MAX,
  TIMER_MIN,
  UINT32_MAX,
  WEIGHT_MAX,
  locationOf,
  port,
  timer,
  assign,
} from './values.js';
import {
  type BlockHandlers,
  type BuildContext,
  arg,
  blockChildren,
  choice,
  flag,
  guardedArg,
  int,
  parseIp,
  rest,
  walkBlock,
} from '../shared/values.js';

// Each checker's keywords are one module-level table (see BlockHandlers): a real_server's checker is
// read thousands of times in a large config.

/** Keywords shared by every checker except FILE_CHECK and BFD_CHECK, written into `target(state)`. */
function timingHandlers<S>(target: (state: S) => CheckerBase): BlockHandlers<S> {
  return {
    retry: (n, s, ctx) => assign(target(s), 'retry', int(n, ctx, 0, UINT32_MAX)),
    delay_before_retry: (n, s, ctx) => assign(target(s), 'delayBeforeRetry', timer(n, ctx, 0)),
    warmup: (n, s, ctx) => assign(target(s), 'warmup', timer(n, ctx, 0)),
    delay_loop: (n, s, ctx) => assign(target(s), 'delayLoop', timer(n, ctx, TIMER_MIN)),
    alpha: (n, s, ctx) => (target(s).alpha = flag(n, ctx)),
    log_all_failures: (n, s, ctx) => (target(s).logAllFailures = flag(n, ctx)),
  };
}

function familyOf(address: string | undefined): number | undefined {
  return address === undefined ? undefined : parseIp(address)?.family;
}

/** connect_ip, connect_port, bindto, bind_port, bind_if, fwmark and connect_timeout. */
const CONNECT_HANDLERS: BlockHandlers<ConnectOptions & { connectTimeout?: number }> = {
  connect_ip: (n, c, ctx) => {
    const text = arg(n, ctx);
    if (text === undefined) return;
    const ip = parseIp(text);
    if (!ip) return ctx.diags.error(n, n.keyword, `'${text}' is not a valid IP address`);
    const bf = familyOf(c.bindTo);
    if (bf !== undefined && bf !== ip.family)
      return ctx.diags.error(n, n.keyword, `${ip.address} does not match the address family of bindto`);
    c.connectIp = ip.address;
    c.connectFamily = ip.family;
  },
  connect_port: (n, c, ctx) => assign(c, 'connectPort', port(n, ctx)),
  bindto: (n, c, ctx) => {
    const text = arg(n, ctx);
    if (text === undefined) return;
    const ip = parseIp(text);
    if (!ip) return ctx.diags.error(n, n.keyword, `'${text}' is not a valid IP address`);
    if (c.connectFamily !== undefined && c.connectFamily !== ip.family)
      return ctx.diags.error(n, n.keyword, `${ip.address} does not match the address family of connect_ip`);
    c.bindTo = ip.address;
  },
  bind_port: (n, c, ctx) => assign(c, 'bindPort', port(n, ctx)),
  bind_if: (n, c, ctx) => {
    const name = arg(n, ctx);
    if (name === undefined) return;
    if (name.length > IFNAME_MAX)
      return ctx.diags.error(
        n,
        n.keyword,
        `interface name '${name}' is longer than ${IFNAME_MAX} characters`,
      );
    c.bindIf = name;
  },
  fwmark: (n, c, ctx) => assign(c, 'fwmark', int(n, ctx, 0, UINT32_MAX)),
  connect_timeout: (n, c, ctx) => assign(c, 'connectTimeout', timer(n, ctx, TIMER_MIN, CONNECT_TIMEOUT_MAX)),
};

const NETWORK_HANDLERS: BlockHandlers<NetworkCheckerBase> = {
  ...timingHandlers((c: NetworkCheckerBase) => c),
  ...CONNECT_HANDLERS,
};

// ---- HTTP_GET / SSL_GET ----

const DIGEST = /^[0-9a-fA-F]{32}$/;

/** `200`, `200-299`: inclusive, within 100..599. */
function parseStatus(word: string): StatusRange | undefined {
  const m = /^(\d{3})(?:-(\d{3}))?$/.exec(word);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 100 || to > 599 || from > to) return undefined;
  return { from, to };
}

const URL_HANDLERS: BlockHandlers<HttpUrl> = {
  path: (n, url, ctx) => assign(url, 'path', rest(n, ctx)),
  digest: (n, url, ctx) => {
    const d = arg(n, ctx);
    if (d === undefined) return;
    if (!DIGEST.test(d)) return ctx.diags.error(n, n.keyword, `'${d}' is not 32 hexadecimal characters`);
    url.digest = d.toLowerCase();
  },
  status_code: (n, url, ctx) => {
    // keepalived reads no code and says nothing
    if (n.args.length === 0) return ctx.diags.note(n, n.keyword, 'no status code given: ignored');
    for (const word of n.args) {
      const r = parseStatus(word);
      if (r) url.statusCodes.push(r);
      else ctx.diags.error(n, n.keyword, `'${word}' is not a status code or range within 100-599`);
    }
  },
  virtualhost: (n, url, ctx) => assign(url, 'virtualhost', guardedArg(n, ctx)),
  regex: (n, url, ctx) => {
    // keepalived's handler skips a regex line without a pattern and says nothing
    if (n.args.length === 0) ctx.diags.note(n, n.keyword, 'no pattern given: ignored');
    else assign(url, 'regex', rest(n, ctx));
  },
  regex_no_match: (n, url, ctx) => (url.regexNoMatch = flag(n, ctx)),
  regex_options: (n, url, ctx) => {
    // keepalived ORs in the options it knows and skips any other word without a word.
    for (const word of n.args) {
      if (!(REGEX_OPTIONS as readonly string[]).includes(word)) {
        ctx.diags.note(n, n.keyword, `'${word}' is not a regex option; ignored, as keepalived does`);
        continue;
      }
      const missing = PCRE2_OPTIONS_WITHOUT_EQUIVALENT[word as RegexOption];
      if (missing !== undefined) ctx.diags.note(n, n.keyword, `${word}: ${missing}`);
      if (!url.regexOptions.includes(word as RegexOption)) url.regexOptions.push(word as RegexOption);
    }
  },
  // keepalived only logs a bad value of these three (never a configuration error) and keeps going.
  regex_stack: (n, url, ctx) => {
    const [start, max] = n.args.map(decimalCount);
    if (n.args.length !== 2 || start === undefined || max === undefined)
      return logOnly(n, ctx, 'regex_stack requires start and max values');
    if (start > max) return logOnly(n, ctx, 'regex stack start cannot exceed max value');
    url.regexStack = { start, max };
  },
  regex_min_offset: (n, url, ctx) => {
    const v = n.args.length === 1 ? decimalCount(n.args[0] as string) : undefined;
    if (v === undefined) return logOnly(n, ctx, `invalid regex_min_offset '${n.args.join(' ')}'`);
    url.regexMinOffset = v;
  },
  regex_max_offset: (n, url, ctx) => {
    const v = n.args.length === 1 ? decimalCount(n.args[0] as string) : undefined;
    if (v === undefined) return logOnly(n, ctx, `invalid regex_max_offset '${n.args.join(' ')}'`);
    url.regexMaxOffset = v;
  },
};

/** A count as keepalived's strtoul reads it (decimal digits only), or undefined. */
function decimalCount(text: string): number | undefined {
  return /^\d+$/.test(text) && Number(text) <= Number.MAX_SAFE_INTEGER ? Number(text) : undefined;
}

/** keepalived only logs these (log_message: -t neither prints nor counts them): a note here. */
function logOnly(n: ConfigNode, ctx: BuildContext, message: string): void {
  ctx.diags.note(n, n.keyword, message);
}

/** SSL_GET's url also takes tls_compliant (keepalived 2.4). */
const SSL_URL_HANDLERS: BlockHandlers<HttpUrl> = {
  ...URL_HANDLERS,
  tls_compliant: (n, url, ctx) => (url.tlsCompliant = flag(n, ctx)),
};

function buildUrl(node: ConfigNode, ctx: BuildContext, kind: 'HTTP_GET' | 'SSL_GET'): HttpUrl | undefined {
  const url: HttpUrl = { statusCodes: [], regexNoMatch: false, regexOptions: [], at: locationOf(node) };
  walkBlock(blockChildren(node, ctx), ctx, kind === 'SSL_GET' ? SSL_URL_HANDLERS : URL_HANDLERS, url, 'url');
  if (url.path === undefined) {
    // keepalived reports it where the url block closes and drops the url.
    ctx.diags.error(blockEnd(node), node.keyword, 'url has no path - ignoring the url');
    return undefined;
  }
  const regexParameters =
    url.regexNoMatch ||
    url.regexOptions.length > 0 ||
    url.regexStack !== undefined ||
    url.regexMinOffset !== undefined ||
    url.regexMaxOffset !== undefined;
  if (url.regex === undefined && regexParameters) {
    logOnly(node, ctx, 'regex parameters specified without regex');
    url.regexNoMatch = false;
    url.regexOptions = [];
    delete url.regexStack;
    delete url.regexMinOffset;
    delete url.regexMaxOffset;
  }
  if (
    url.regexMinOffset !== undefined &&
    url.regexMaxOffset !== undefined &&
    url.regexMinOffset > url.regexMaxOffset
  ) {
    // keepalived drops both offsets then (the whole body is searched).
    logOnly(
      node,
      ctx,
      `regex min offset ${url.regexMinOffset} > regex_max_offset ${url.regexMaxOffset} - ignoring`,
    );
    delete url.regexMinOffset;
    delete url.regexMaxOffset;
  }
  return url;
}

const HTTP_HANDLERS: BlockHandlers<HttpCheck> = {
  ...NETWORK_HANDLERS,
  url: (n, c, ctx) => {
    const u = buildUrl(n, ctx, c.kind);
    if (u) c.urls.push(u);
  },
  virtualhost: (n, c, ctx) => assign(c, 'virtualhost', guardedArg(n, ctx)),
  // keepalived's handler checks for its argument: a missing one is an ordinary error
  http_protocol: (n, c, ctx) => {
    if (n.args.length === 0) guardedArg(n, ctx);
    else assign(c, 'httpProtocol', choice(n, ctx, ['1.0', '1.0C', '1.1'] as const));
  },
  fast_recovery: (n, c, ctx) => (c.fastRecovery = flag(n, ctx)),
  // keepalived 2.4 takes it in HTTP_GET too, where it changes nothing (no TLS).
  enable_sni: (n, c, ctx) => (c.enableSni = flag(n, ctx)),
};

const SSL_HANDLERS: BlockHandlers<HttpCheck> = {
  ...HTTP_HANDLERS,
  tls_compliant: (n, c, ctx) => (c.tlsCompliant = flag(n, ctx)),
};

const HTTP_DEPRECATED = { nb_get_retry: 'retry' };

function buildHttp(node: ConfigNode, ctx: BuildContext, kind: 'HTTP_GET' | 'SSL_GET'): HttpCheck | undefined {
  const c: HttpCheck = {
    kind,
    urls: [],
    enableSni: false,
    fastRecovery: false,
    tlsCompliant: false,
    at: locationOf(node),
  };
  const handlers = kind === 'SSL_GET' ? SSL_HANDLERS : HTTP_HANDLERS;
  walkBlock(blockChildren(node, ctx), ctx, handlers, c, kind, HTTP_DEPRECATED);
  if (c.urls.length === 0) {
    ctx.diags.error(blockEnd(node), kind, 'no url specified - ignoring the checker');
    return undefined;
  }
  return c;
}

// ---- SMTP_CHECK ----

/** A host block: its connection keywords are the host's, the timing ones the whole checker's (as keepalived
 * 2.4 reads them: they set the SMTP_CHECK that holds the host). */
const SMTP_HOST_HANDLERS: BlockHandlers<{ host: SmtpHost; checker: SmtpCheck }> = {
  ...timingHandlers((s: { checker: SmtpCheck }) => s.checker),
  ...Object.fromEntries(
    Object.entries(CONNECT_HANDLERS).map(([keyword, read]) => [
      keyword,
      (n: ConfigNode, s: { host: SmtpHost }, ctx: BuildContext) => read(n, s.host, ctx),
    ]),
  ),
};

const SMTP_HANDLERS: BlockHandlers<SmtpCheck> = {
  ...NETWORK_HANDLERS,
  helo_name: (n, c, ctx) => assign(c, 'heloName', rest(n, ctx)),
  host: (n, c, ctx) => {
    // keepalived only logs this (no config error).
    ctx.diags.note(n, n.keyword, 'deprecated: use one SMTP_CHECK per host instead of host blocks');
    const h: SmtpHost = { at: locationOf(n) };
    walkBlock(blockChildren(n, ctx), ctx, SMTP_HOST_HANDLERS, { host: h, checker: c }, 'host');
    c.hosts.push(h);
  },
};

function buildSmtp(node: ConfigNode, ctx: BuildContext): SmtpCheck {
  const c: SmtpCheck = { kind: 'SMTP_CHECK', hosts: [], at: locationOf(node) };
  walkBlock(blockChildren(node, ctx), ctx, SMTP_HANDLERS, c, 'SMTP_CHECK');
  return c;
}

// ---- DNS_CHECK ----

const DNS_HANDLERS: BlockHandlers<DnsCheck> = {
  ...NETWORK_HANDLERS,
  type: (n, c, ctx) => assign(c, 'type', choice(n, ctx, DNS_TYPES, 0, true)),
  name: (n, c, ctx) => {
    if (c.name !== undefined)
      return ctx.diags.error(n, n.keyword, 'DNS_CHECK name already specified - ignoring');
    assign(c, 'name', arg(n, ctx));
  },
};

function buildDns(node: ConfigNode, ctx: BuildContext): DnsCheck {
  const c: DnsCheck = { kind: 'DNS_CHECK', at: locationOf(node) };
  walkBlock(blockChildren(node, ctx), ctx, DNS_HANDLERS, c, 'DNS_CHECK');
  return c;
}

// ---- UDP_CHECK ----

/** keepalived's free-form hex: each word is read two digits at a time, a lone last digit is one byte
 * (`Ab12f 3` is AB 12 0F 03). With `wildcards`, x/X stands for a nibble that is not compared. */
export function parseHex(words: readonly string[], wildcards: boolean): HexPattern | undefined {
  const bytes: number[] = [];
  const mask: number[] = [];
  const nibble = (ch: string): [number, number] | undefined => {
    if (/^[0-9a-fA-F]$/.test(ch)) return [parseInt(ch, 16), 0xf];
    if (wildcards && (ch === 'x' || ch === 'X')) return [0, 0];
    return undefined;
  };
  for (const word of words) {
    for (let i = 0; i < word.length; i += 2) {
      const pair = word.length - i === 1 ? `0${word[i]}` : word.slice(i, i + 2);
      const hi = nibble(pair[0] ?? '');
      const lo = nibble(pair[1] ?? '');
      if (!hi || !lo) return undefined;
      bytes.push((hi[0] << 4) | lo[0]);
      mask.push((hi[1] << 4) | lo[1]);
    }
  }
  return { bytes, mask };
}

/** The default max_reply_length. */

const UDP_HANDLERS: BlockHandlers<UdpCheck> = {
  ...NETWORK_HANDLERS,
  payload: (n, c, ctx) => {
    if (n.args.length === 0) return ctx.diags.error(n, n.keyword, 'missing argument');
    const p = parseHex(n.args, false);
    if (!p || p.bytes.length === 0) return ctx.diags.error(n, n.keyword, 'invalid hex string');
    c.payload = p.bytes;
  },
  require_reply: (n, c, ctx) => {
    c.requireReply = true;
    if (n.args.length === 0) return;
    const p = parseHex(n.args, true);
    if (!p || p.bytes.length === 0) return ctx.diags.error(n, n.keyword, 'invalid hex string');
    c.replyPattern = p;
  },
  min_reply_length: (n, c, ctx) => assign(c, 'minReplyLength', int(n, ctx, 0, 65535)),
  max_reply_length: (n, c, ctx) => assign(c, 'maxReplyLength', int(n, ctx, 0, 65535)),
};

function buildUdp(node: ConfigNode, ctx: BuildContext): UdpCheck {
  const c: UdpCheck = { kind: 'UDP_CHECK', requireReply: false, at: locationOf(node) };
  walkBlock(blockChildren(node, ctx), ctx, UDP_HANDLERS, c, 'UDP_CHECK');
  const min = c.minReplyLength ?? 0;
  const max = c.maxReplyLength ?? CHECKER_OPTION_DEFAULTS.udpMaxReplyLength;
  if (min > max)
    ctx.diags.warn(
      node,
      'UDP_CHECK',
      `min_reply_length ${min} > max_reply_length ${max} - the check will always fail`,
    );
  return c;
}

// ---- MISC_CHECK ----

/** A MISC_CHECK while its block is read: the run-as user is attached to the path at the end. */
interface MiscBuild {
  c: MiscCheck;
  runAs?: { user: string; group?: string };
}

const MISC_HANDLERS: BlockHandlers<MiscBuild> = {
  ...timingHandlers((b: MiscBuild) => b.c),
  // Words after the path are the script's arguments (the run-as user has its own keyword).
  misc_path: (n, b, ctx) => {
    const command = rest(n, ctx);
    if (command !== undefined) b.c.path = { command, at: locationOf(n) };
  },
  misc_timeout: (n, b, ctx) => assign(b.c, 'timeout', int(n, ctx, 0, UINT32_MAX)),
  misc_dynamic: (n, b, ctx) => (b.c.dynamic = flag(n, ctx)),
  user: (n, b, ctx) => {
    const [user, group, extra] = n.args;
    if (user === undefined) return ctx.diags.error(n, n.keyword, 'no user specified');
    if (extra !== undefined) return ctx.diags.error(n, n.keyword, `unexpected '${extra}' after the group`);
    b.runAs = group === undefined ? { user } : { user, group };
  },
};

function buildMisc(node: ConfigNode, ctx: BuildContext): MiscCheck | undefined {
  const c: MiscCheck = { kind: 'MISC_CHECK', dynamic: false, at: locationOf(node) };
  const build: MiscBuild = { c };
  walkBlock(blockChildren(node, ctx), ctx, MISC_HANDLERS, build, 'MISC_CHECK');
  const runAs = build.runAs;
  if (c.path === undefined) {
    ctx.diags.error(blockEnd(node), 'MISC_CHECK', 'no misc_path specified - ignoring the checker');
    return undefined;
  }
  if (runAs) Object.assign(c.path, runAs);
  // keepalived removes a MISC_CHECK left to a default user it cannot set (script security, no
  // keepalived_script): the real server is then not checked at all
  else if (!defaultScriptUserUsable(ctx, blockEnd(node), 'checker')) {
    ctx.diags.error(
      blockEnd(node),
      'MISC_CHECK',
      `Unable to set default user for misc script '${c.path.command}' - removing`,
    );
    return undefined;
  }
  return c;
}

// ---- FILE_CHECK / BFD_CHECK ----

const FILE_HANDLERS: BlockHandlers<FileCheck> = {
  track_file: (n, c, ctx) => assign(c, 'trackFile', arg(n, ctx)),
  dynamic: (n, c, ctx) => (c.dynamic = flag(n, ctx)),
  weight: (n, c, ctx) => {
    const w = int(n, ctx, -WEIGHT_MAX, WEIGHT_MAX);
    if (w === undefined) return;
    const extra = n.args[1];
    if (extra !== undefined && extra !== 'reverse')
      return ctx.diags.error(n, n.keyword, `expected 'reverse' after the weight, not '${extra}'`);
    c.weight = w;
    c.reverse = extra === 'reverse';
  },
};

function buildFile(node: ConfigNode, ctx: BuildContext): FileCheck | undefined {
  const c: FileCheck = { kind: 'FILE_CHECK', reverse: false, dynamic: false, at: locationOf(node) };
  walkBlock(blockChildren(node, ctx), ctx, FILE_HANDLERS, c, 'FILE_CHECK');
  if (c.trackFile === undefined) {
    ctx.diags.error(blockEnd(node), 'FILE_CHECK', 'no track_file specified - ignoring the checker');
    return undefined;
  }
  return c;
}

const BFD_HANDLERS: BlockHandlers<BfdCheck> = {
  name: (n, c, ctx) => assign(c, 'name', arg(n, ctx)),
  alpha: (n, c, ctx) => (c.alpha = flag(n, ctx)),
};

function buildBfd(node: ConfigNode, ctx: BuildContext): BfdCheck | undefined {
  const c: BfdCheck = { kind: 'BFD_CHECK', at: locationOf(node) };
  walkBlock(blockChildren(node, ctx), ctx, BFD_HANDLERS, c, 'BFD_CHECK');
  if (c.name === undefined) {
    ctx.diags.error(blockEnd(node), 'BFD_CHECK', 'no name specified - ignoring the checker');
    return undefined;
  }
  return c;
}

// ---- entry point ----

export function isCheckerKeyword(keyword: string): keyword is CheckerKind {
  return (
    keyword === 'TCP_CHECK' ||
    keyword === 'HTTP_GET' ||
    keyword === 'SSL_GET' ||
    keyword === 'MISC_CHECK' ||
    keyword === 'SMTP_CHECK' ||
    keyword === 'DNS_CHECK' ||
    keyword === 'UDP_CHECK' ||
    keyword === 'PING_CHECK' ||
    keyword === 'FILE_CHECK' ||
    keyword === 'BFD_CHECK'
  );
}

/** Builds one checker block; undefined when keepalived would drop it (the reason is reported). */
export function buildChecker(node: ConfigNode, ctx: BuildContext): Checker | undefined {
  const kind = node.keyword;
  if (!isCheckerKeyword(kind)) {
    ctx.diags.error(node, kind, 'not a checker');
    return undefined;
  }
  switch (kind) {
    case 'TCP_CHECK':
    case 'PING_CHECK': {
      const c: NetworkCheckerBase & { kind: typeof kind } = { kind, at: locationOf(node) };
      walkBlock(blockChildren(node, ctx), ctx, NETWORK_HANDLERS, c, kind);
      return c as Checker;
    }
    case 'HTTP_GET':
    case 'SSL_GET':
      return buildHttp(node, ctx, kind);
    case 'SMTP_CHECK':
      return buildSmtp(node, ctx);
    case 'DNS_CHECK':
      return buildDns(node, ctx);
    case 'UDP_CHECK':
      return buildUdp(node, ctx);
    case 'MISC_CHECK':
      return buildMisc(node, ctx);
    case 'FILE_CHECK':
      return buildFile(node, ctx);
    case 'BFD_CHECK':
      return buildBfd(node, ctx);
  }
}
