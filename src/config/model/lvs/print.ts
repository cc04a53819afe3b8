// Model -> keepalived.conf text for virtual_server_group and virtual_server blocks. Reading the text
// back gives an equal model (the round-trip property test relies on it), so only what the model holds
// is written, in an order the parser's order-dependent rules accept (sorry_server before its options).
import type {
  Checker,
  Forwarding,
  HexPattern,
  HttpUrl,
  NetworkCheckerBase,
  RealServer,
  ScriptRef,
  SmtpHost,
  SslConfig,
  VirtualServer,
  VirtualServerGroup,
  VsgEntry,
} from './types.js';
import { quoteWord } from '../shared/table.js';
import { formatScriptCommand } from '../shared/script-command.js';

type Lines = string[];

function num(v: number): string {
  return String(v);
}

function bool(keyword: string, v: boolean | undefined): Lines {
  if (v === undefined) return [];
  return [v ? keyword : `${keyword} false`];
}

function opt(keyword: string, v: string | number | undefined): Lines {
  if (v === undefined) return [];
  return [`${keyword} ${typeof v === 'number' ? num(v) : quoteWord(v)}`];
}

function script(keyword: string, s: ScriptRef | undefined): Lines {
  return s ? [formatScriptCommand(keyword, s)] : [];
}

function block(header: string, body: Lines): Lines {
  return [`${header} {`, ...body.map((l) => `  ${l}`), '}'];
}

export function formatForwarding(f: Forwarding): string {
  const parts: string[] = [f.method];
  const t = f.tunnel;
  if (t) {
    parts.push('type', t.type);
    if (t.port !== undefined) parts.push('port', num(t.port));
    if (t.checksum !== undefined) parts.push(t.checksum);
  }
  return parts.join(' ');
}

function hostPort(address: string, port: number | undefined): string {
  return port === undefined ? address : `${address} ${num(port)}`;
}

/** Bytes as two hex digits each; with a mask, an ignored nibble is written x. */
export function formatHex(bytes: readonly number[], mask?: readonly number[]): string {
  return bytes
    .map((b, i) => {
      const m = mask?.[i] ?? 0xff;
      const hi = m & 0xf0 ? ((b >> 4) & 0xf).toString(16) : 'x';
      const lo = m & 0x0f ? (b & 0xf).toString(16) : 'x';
      return hi + lo;
    })
    .join(' ');
}

function formatPattern(p: HexPattern): string {
  return formatHex(p.bytes, p.mask);
}

// ---- checkers ----

function connectLines(c: Omit<SmtpHost, 'at'>): Lines {
  return [
    ...opt('connect_ip', c.connectIp),
    ...opt('connect_port', c.connectPort),
    ...opt('bindto', c.bindTo),
    ...opt('bind_port', c.bindPort),
    ...opt('bind_if', c.bindIf),
    ...opt('fwmark', c.fwmark),
    ...opt('connect_timeout', c.connectTimeout),
  ];
}

function timingLines(c: Omit<NetworkCheckerBase, 'at'>): Lines {
  return [
    ...opt('retry', c.retry),
    ...opt('delay_before_retry', c.delayBeforeRetry),
    ...opt('warmup', c.warmup),
    ...opt('delay_loop', c.delayLoop),
    ...bool('alpha', c.alpha),
    ...bool('log_all_failures', c.logAllFailures),
  ];
}

function urlLines(u: HttpUrl): Lines {
  return block('url', [
    ...opt('path', u.path),
    ...opt('digest', u.digest),
    ...(u.statusCodes.length > 0
      ? [
          `status_code ${u.statusCodes.map((r) => (r.from === r.to ? num(r.from) : `${r.from}-${r.to}`)).join(' ')}`,
        ]
      : []),
    ...opt('virtualhost', u.virtualhost),
    ...opt('regex', u.regex),
    ...(u.regexNoMatch ? ['regex_no_match'] : []),
    ...(u.regexOptions.length > 0 ? [`regex_options ${u.regexOptions.join(' ')}`] : []),
    ...(u.regexStack ? [`regex_stack ${u.regexStack.start} ${u.regexStack.max}`] : []),
    ...opt('regex_min_offset', u.regexMinOffset),
    ...opt('regex_max_offset', u.regexMaxOffset),
    ...(u.tlsCompliant === true ? ['tls_compliant'] : []),
  ]);
}

export function printChecker(c: Checker): Lines {
  switch (c.kind) {
    case 'TCP_CHECK':
    case 'PING_CHECK':
      return block(c.kind, [...connectLines(c), ...timingLines(c)]);
    case 'HTTP_GET':
    case 'SSL_GET':
      return block(c.kind, [
        ...connectLines(c),
        ...timingLines(c),
        ...opt('virtualhost', c.virtualhost),
        ...opt('http_protocol', c.httpProtocol),
        ...(c.fastRecovery ? ['fast_recovery'] : []),
        ...(c.enableSni ? ['enable_sni'] : []),
        ...(c.tlsCompliant ? ['tls_compliant'] : []),
        ...c.urls.flatMap(urlLines),
      ]);
    case 'SMTP_CHECK':
      return block(c.kind, [
        ...connectLines(c),
        ...timingLines(c),
        ...opt('helo_name', c.heloName),
        ...c.hosts.flatMap((h) => block('host', connectLines(h))),
      ]);
    case 'DNS_CHECK':
      return block(c.kind, [
        ...connectLines(c),
        ...timingLines(c),
        ...opt('type', c.type),
        ...opt('name', c.name),
      ]);
    case 'UDP_CHECK':
      return block(c.kind, [
        ...connectLines(c),
        ...timingLines(c),
        ...(c.payload ? [`payload ${formatHex(c.payload)}`] : []),
        ...(c.requireReply
          ? [c.replyPattern ? `require_reply ${formatPattern(c.replyPattern)}` : 'require_reply']
          : []),
        ...opt('min_reply_length', c.minReplyLength),
        ...opt('max_reply_length', c.maxReplyLength),
      ]);
    case 'MISC_CHECK':
      return block(c.kind, [
        ...(c.path ? [`misc_path ${quoteWord(c.path.command)}`] : []),
        ...(c.path?.user !== undefined
          ? [['user', c.path.user, ...(c.path.group !== undefined ? [c.path.group] : [])].join(' ')]
          : []),
        ...opt('misc_timeout', c.timeout),
        ...(c.dynamic ? ['misc_dynamic'] : []),
        ...timingLines(c),
      ]);
    case 'FILE_CHECK':
      return block(c.kind, [
        ...opt('track_file', c.trackFile),
        ...(c.weight !== undefined ? [`weight ${c.weight}${c.reverse ? ' reverse' : ''}`] : []),
        ...(c.dynamic ? ['dynamic'] : []),
      ]);
    case 'BFD_CHECK':
      return block(c.kind, [...opt('name', c.name), ...bool('alpha', c.alpha)]);
  }
}

// ---- servers ----

function entryLine(e: VsgEntry): string {
  if (e.kind === 'fwmark')
    return `fwmark ${e.fwmark}${e.family === undefined ? '' : e.family === 4 ? ' inet' : ' inet6'}`;
  const range = e.first === e.last ? e.first : `${e.first}-${e.last}`;
  return hostPort(range, e.port);
}

export function printVirtualServerGroup(g: VirtualServerGroup): Lines {
  return block(`virtual_server_group ${quoteWord(g.name)}`, g.entries.map(entryLine));
}

function timingsOf(t: VirtualServer | RealServer): Lines {
  return [
    ...opt('delay_loop', t.delayLoop),
    ...opt('delay_before_retry', t.delayBeforeRetry),
    ...opt('warmup', t.warmup),
    ...opt('connect_timeout', t.connectTimeout),
    ...opt('retry', t.retry),
  ];
}

export function printRealServer(rs: RealServer): Lines {
  return block(`real_server ${hostPort(rs.address, rs.port)}`, [
    ...opt('weight', rs.weight),
    ...(rs.forwarding ? [`lvs_method ${formatForwarding(rs.forwarding)}`] : []),
    ...bool('inhibit_on_failure', rs.inhibitOnFailure),
    ...script('notify_up', rs.notifyUp),
    ...script('notify_down', rs.notifyDown),
    ...opt('uthreshold', rs.uthreshold),
    ...opt('lthreshold', rs.lthreshold),
    ...bool('alpha', rs.alpha),
    ...bool('smtp_alert', rs.smtpAlert),
    ...opt('virtualhost', rs.virtualhost),
    ...opt('snmp_name', rs.snmpName),
    ...timingsOf(rs),
    ...rs.checkers.flatMap(printChecker),
  ]);
}

function header(vs: VirtualServer): string {
  const k = vs.key;
  if (k.kind === 'fwmark') return `virtual_server fwmark ${k.fwmark}`;
  if (k.kind === 'group') return `virtual_server group ${quoteWord(k.group)}`;
  return `virtual_server ${hostPort(k.address, k.port)}`;
}

export function printVirtualServer(vs: VirtualServer): Lines {
  const ss = vs.sorryServer;
  return block(header(vs), [
    ...(vs.ipFamily !== undefined ? [`ip_family ${vs.ipFamily === 4 ? 'inet' : 'inet6'}`] : []),
    ...opt('protocol', vs.protocol),
    ...opt('lvs_sched', vs.scheduler),
    ...vs.schedFlags,
    ...(vs.ops ? ['ops'] : []),
    ...(vs.forwarding ? [`lvs_method ${formatForwarding(vs.forwarding)}`] : []),
    ...opt('persistence_engine', vs.persistenceEngine),
    ...opt('persistence_timeout', vs.persistenceTimeout),
    ...opt('persistence_granularity', vs.persistenceGranularity),
    ...(vs.haSuspend ? ['ha_suspend'] : []),
    ...bool('smtp_alert', vs.smtpAlert),
    ...opt('virtualhost', vs.virtualhost),
    ...opt('snmp_name', vs.snmpName),
    ...(vs.alpha ? ['alpha'] : []),
    ...(vs.omega ? ['omega'] : []),
    ...opt('quorum', vs.quorum),
    ...opt('hysteresis', vs.hysteresis),
    ...script('quorum_up', vs.quorumUp),
    ...script('quorum_down', vs.quorumDown),
    ...opt('weight', vs.weight),
    ...(vs.inhibitOnFailure ? ['inhibit_on_failure'] : []),
    ...timingsOf(vs),
    ...(ss
      ? [
          `sorry_server ${hostPort(ss.address, ss.port)}`,
          ...(ss.inhibit ? ['sorry_server_inhibit'] : []),
          ...(ss.forwarding ? [`sorry_server_lvs_method ${formatForwarding(ss.forwarding)}`] : []),
        ]
      : []),
    ...vs.realServers.flatMap(printRealServer),
  ]);
}

/** The LVS part of a configuration as text, groups first (as keepalived's own dumps order them). */
export function printVirtualServers(
  groups: readonly VirtualServerGroup[],
  servers: readonly VirtualServer[],
): string {
  const lines = [...groups.flatMap(printVirtualServerGroup), ...servers.flatMap(printVirtualServer)];
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

export function printSsl(ssl: SslConfig): string {
  const body = [
    ...opt('password', ssl.password),
    ...opt('ca', ssl.ca),
    ...opt('certificate', ssl.certificate),
    ...opt('key', ssl.key),
  ];
  return `${block('SSL', body).join('\n')}\n`;
}
