// The health checker blocks inside a real_server: TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK, DNS_CHECK,
// UDP_CHECK, PING_CHECK, MISC_CHECK, FILE_CHECK, BFD_CHECK. Values are kept as written (unset = inherited
// from the real server, see lvs-defaults.ts), with keepalived 2.4's ranges.
import type { ConfigNode } from '../types.js';
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
} from './lvs-types.js';
import { DNS_TYPES, REGEX_OPTIONS, type RegexOption } from './lvs-types.js';
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
} from './lvs-values.js';
import {
  type BuildContext,
  type Handlers,
  arg,
  blockChildren,
  choice,
  flag,
  int,
  parseIp,
  rest,
  walk,
} from './values.js';

/** Keywords shared by every checker except FILE_CHECK and BFD_CHECK. */
function timingHandlers(c: CheckerBase, ctx: BuildContext): Handlers {
  return {
    retry: (n) => assign(c, 'retry', int(n, ctx, 0, UINT32_MAX)),
    delay_before_retry: (n) => assign(c, 'delayBeforeRetry', timer(n, ctx, 0)),
    warmup: (n) => assign(c, 'warmup', timer(n, ctx, 0)),
    delay_loop: (n) => assign(c, 'delayLoop', timer(n, ctx, TIMER_MIN)),
    alpha: (n) => (c.alpha = flag(n, ctx)),
    log_all_failures: (n) => (c.logAllFailures = flag(n, ctx)),
  };
}

/** connect_ip, connect_port, bindto, bind_port, bind_if, fwmark (and connect_timeout via `timeouts`). */
function connectHandlers(
  c: ConnectOptions & { connectTimeout?: number },
  ctx: BuildContext,
  bindFamily: () => number | undefined,
): Handlers {
  return {
    connect_ip: (n) => {
      const text = arg(n, ctx);
      if (text === undefined) return;
      const ip = parseIp(text);
      if (!ip) return ctx.diags.error(n, n.keyword, `'${text}' is not a valid IP address`);
      const bf = bindFamily();
      if (bf !== undefined && bf !== ip.family)
        return ctx.diags.error(n, n.keyword, `${ip.address} does not match the address family of bindto`);
      c.connectIp = ip.address;
      c.connectFamily = ip.family;
    },
    connect_port: (n) => assign(c, 'connectPort', port(n, ctx)),
    bindto: (n) => {
      const text = arg(n, ctx);
      if (text === undefined) return;
      const ip = parseIp(text);
      if (!ip) return ctx.diags.error(n, n.keyword, `'${text}' is not a valid IP address`);
      if (c.connectFamily !== undefined && c.connectFamily !== ip.family)
        return ctx.diags.error(n, n.keyword, `${ip.address} does not match the address family of connect_ip`);
      c.bindTo = ip.address;
    },
    bind_port: (n) => assign(c, 'bindPort', port(n, ctx)),
    bind_if: (n) => {
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
    fwmark: (n) => assign(c, 'fwmark', int(n, ctx, 0, UINT32_MAX)),
    connect_timeout: (n) => assign(c, 'connectTimeout', timer(n, ctx, TIMER_MIN, CONNECT_TIMEOUT_MAX)),
  };
}

function familyOf(address: string | undefined): number | undefined {
  return address === undefined ? undefined : parseIp(address)?.family;
}

function networkHandlers(c: NetworkCheckerBase, ctx: BuildContext): Handlers {
  return { ...timingHandlers(c, ctx), ...connectHandlers(c, ctx, () => familyOf(c.bindTo)) };
}

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

function buildUrl(node: ConfigNode, ctx: BuildContext): HttpUrl | undefined {
  const url: HttpUrl = { statusCodes: [], regexNoMatch: false, regexOptions: [], at: locationOf(node) };
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      path: (n) => assign(url, 'path', rest(n, ctx)),
      digest: (n) => {
        const d = arg(n, ctx);
        if (d === undefined) return;
        if (!DIGEST.test(d)) return ctx.diags.error(n, n.keyword, `'${d}' is not 32 hexadecimal characters`);
        url.digest = d.toLowerCase();
      },
      status_code: (n) => {
        if (n.args.length === 0) return ctx.diags.error(n, n.keyword, 'missing argument');
        for (const word of n.args) {
          const r = parseStatus(word);
          if (r) url.statusCodes.push(r);
          else ctx.diags.error(n, n.keyword, `'${word}' is not a status code or range within 100-599`);
        }
      },
      virtualhost: (n) => assign(url, 'virtualhost', arg(n, ctx)),
      regex: (n) => assign(url, 'regex', rest(n, ctx)),
      regex_no_match: (n) => (url.regexNoMatch = flag(n, ctx)),
      regex_options: (n) => {
        if (n.args.length === 0) return ctx.diags.error(n, n.keyword, 'missing argument');
        for (const word of n.args) {
          if (!(REGEX_OPTIONS as readonly string[]).includes(word))
            ctx.diags.error(n, n.keyword, `unknown regex option '${word}'`);
          else if (!url.regexOptions.includes(word as RegexOption))
            url.regexOptions.push(word as RegexOption);
        }
      },
      regex_stack: (n) => {
        const start = int(n, ctx, 1, UINT32_MAX, 0);
        const max = int(n, ctx, 1, UINT32_MAX, 1);
        if (start === undefined || max === undefined) return;
        if (start > max) return ctx.diags.error(n, n.keyword, `start ${start} is greater than max ${max}`);
        url.regexStack = { start, max };
      },
      regex_min_offset: (n) => assign(url, 'regexMinOffset', int(n, ctx, 0, UINT32_MAX)),
      regex_max_offset: (n) => assign(url, 'regexMaxOffset', int(n, ctx, 0, UINT32_MAX)),
    },
    'url',
  );
  if (url.path === undefined) {
    // keepalived 2.2.7 crashes on such a url; refuse it outright.
    ctx.diags.error(node, node.keyword, 'url has no path - ignoring the url');
    return undefined;
  }
  if (
    url.regexMinOffset !== undefined &&
    url.regexMaxOffset !== undefined &&
    url.regexMinOffset > url.regexMaxOffset
  )
    ctx.diags.warn(
      node,
      node.keyword,
      'regex_min_offset is greater than regex_max_offset: the regex never matches',
    );
  return url;
}

function buildHttp(node: ConfigNode, ctx: BuildContext, kind: 'HTTP_GET' | 'SSL_GET'): HttpCheck | undefined {
  const c: HttpCheck = {
    kind,
    urls: [],
    enableSni: false,
    fastRecovery: false,
    tlsCompliant: false,
    at: locationOf(node),
  };
  const handlers: Handlers = {
    ...networkHandlers(c, ctx),
    url: (n) => {
      const u = buildUrl(n, ctx);
      if (u) c.urls.push(u);
    },
    virtualhost: (n) => assign(c, 'virtualhost', arg(n, ctx)),
    http_protocol: (n) => assign(c, 'httpProtocol', choice(n, ctx, ['1.0', '1.0C', '1.1'] as const)),
    fast_recovery: (n) => (c.fastRecovery = flag(n, ctx)),
  };
  if (kind === 'SSL_GET') {
    handlers.enable_sni = (n) => (c.enableSni = flag(n, ctx));
    handlers.tls_compliant = (n) => (c.tlsCompliant = flag(n, ctx));
  }
  walk(blockChildren(node, ctx), ctx, handlers, kind, { nb_get_retry: 'retry' });
  if (c.urls.length === 0) {
    ctx.diags.error(node, kind, 'no url specified - ignoring the checker');
    return undefined;
  }
  return c;
}

// ---- SMTP_CHECK ----

function buildSmtp(node: ConfigNode, ctx: BuildContext): SmtpCheck {
  const c: SmtpCheck = { kind: 'SMTP_CHECK', hosts: [], at: locationOf(node) };
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      ...networkHandlers(c, ctx),
      helo_name: (n) => assign(c, 'heloName', rest(n, ctx)),
      host: (n) => {
        ctx.diags.warn(n, n.keyword, 'deprecated: use one SMTP_CHECK per host instead of host blocks');
        const h: SmtpHost = { at: locationOf(n) };
        walk(
          blockChildren(n, ctx),
          ctx,
          connectHandlers(h, ctx, () => familyOf(h.bindTo)),
          'host',
        );
        c.hosts.push(h);
      },
    },
    'SMTP_CHECK',
  );
  return c;
}

// ---- DNS_CHECK ----

function buildDns(node: ConfigNode, ctx: BuildContext): DnsCheck {
  const c: DnsCheck = { kind: 'DNS_CHECK', at: locationOf(node) };
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      ...networkHandlers(c, ctx),
      type: (n) => assign(c, 'type', choice(n, ctx, DNS_TYPES, 0, true)),
      name: (n) => assign(c, 'name', arg(n, ctx)),
    },
    'DNS_CHECK',
  );
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
export const UDP_MAX_REPLY_DEFAULT = 255;

function buildUdp(node: ConfigNode, ctx: BuildContext): UdpCheck {
  const c: UdpCheck = { kind: 'UDP_CHECK', requireReply: false, at: locationOf(node) };
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      ...networkHandlers(c, ctx),
      payload: (n) => {
        if (n.args.length === 0) return ctx.diags.error(n, n.keyword, 'missing argument');
        const p = parseHex(n.args, false);
        if (!p || p.bytes.length === 0) return ctx.diags.error(n, n.keyword, 'invalid hex string');
        c.payload = p.bytes;
      },
      require_reply: (n) => {
        c.requireReply = true;
        if (n.args.length === 0) return;
        const p = parseHex(n.args, true);
        if (!p || p.bytes.length === 0) return ctx.diags.error(n, n.keyword, 'invalid hex string');
        c.replyPattern = p;
      },
      min_reply_length: (n) => assign(c, 'minReplyLength', int(n, ctx, 0, 65535)),
      max_reply_length: (n) => assign(c, 'maxReplyLength', int(n, ctx, 0, 65535)),
    },
    'UDP_CHECK',
  );
  const min = c.minReplyLength ?? 0;
  const max = c.maxReplyLength ?? UDP_MAX_REPLY_DEFAULT;
  if (min > max)
    ctx.diags.warn(
      node,
      'UDP_CHECK',
      `min_reply_length ${min} > max_reply_length ${max} - the check will always fail`,
    );
  return c;
}

// ---- MISC_CHECK ----

function buildMisc(node: ConfigNode, ctx: BuildContext): MiscCheck | undefined {
  const c: MiscCheck = { kind: 'MISC_CHECK', dynamic: false, at: locationOf(node) };
  let runAs: { user: string; group?: string } | undefined;
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      ...timingHandlers(c, ctx),
      // Words after the path are the script's arguments (the run-as user has its own keyword).
      misc_path: (n) => {
        const command = rest(n, ctx);
        if (command !== undefined) c.path = { command, at: locationOf(n) };
      },
      misc_timeout: (n) => assign(c, 'timeout', int(n, ctx, 0, UINT32_MAX)),
      misc_dynamic: (n) => (c.dynamic = flag(n, ctx)),
      user: (n) => {
        const [user, group, extra] = n.args;
        if (user === undefined) return ctx.diags.error(n, n.keyword, 'no user specified');
        if (extra !== undefined)
          return ctx.diags.error(n, n.keyword, `unexpected '${extra}' after the group`);
        runAs = group === undefined ? { user } : { user, group };
      },
    },
    'MISC_CHECK',
  );
  if (c.path === undefined) {
    ctx.diags.error(node, 'MISC_CHECK', 'no misc_path specified - ignoring the checker');
    return undefined;
  }
  if (runAs) Object.assign(c.path, runAs);
  return c;
}

// ---- FILE_CHECK / BFD_CHECK ----

function buildFile(node: ConfigNode, ctx: BuildContext): FileCheck | undefined {
  const c: FileCheck = { kind: 'FILE_CHECK', reverse: false, dynamic: false, at: locationOf(node) };
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      track_file: (n) => assign(c, 'trackFile', arg(n, ctx)),
      dynamic: (n) => (c.dynamic = flag(n, ctx)),
      weight: (n) => {
        const w = int(n, ctx, -WEIGHT_MAX, WEIGHT_MAX);
        if (w === undefined) return;
        const extra = n.args[1];
        if (extra !== undefined && extra !== 'reverse')
          return ctx.diags.error(n, n.keyword, `expected 'reverse' after the weight, not '${extra}'`);
        c.weight = w;
        c.reverse = extra === 'reverse';
      },
    },
    'FILE_CHECK',
  );
  if (c.trackFile === undefined) {
    ctx.diags.error(node, 'FILE_CHECK', 'no track_file specified - ignoring the checker');
    return undefined;
  }
  return c;
}

function buildBfd(node: ConfigNode, ctx: BuildContext): BfdCheck | undefined {
  const c: BfdCheck = { kind: 'BFD_CHECK', at: locationOf(node) };
  walk(blockChildren(node, ctx), ctx, { name: (n) => assign(c, 'name', arg(n, ctx)) }, 'BFD_CHECK');
  if (c.name === undefined) {
    ctx.diags.error(node, 'BFD_CHECK', 'no name specified - ignoring the checker');
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
      walk(blockChildren(node, ctx), ctx, networkHandlers(c, ctx), kind);
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
