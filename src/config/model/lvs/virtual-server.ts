// virtual_server_group and virtual_server (with its real_server and sorry_server) blocks.
// Like keepalived's parser, a value that is rejected is reported and left unset; a real server whose
// address family clashes with its virtual server's (and is not tunnelled) is dropped, as is a repeated
// real server. Inheritance is left to defaults.ts (keepalived applies it after parsing, in
// validate_check_config, so the model keeps the values as written).
import { blockEnd } from '../../blocks.js';
import type { ConfigNode } from '../../types.js';
import { buildChecker } from './checkers.js';
import { addressToBytes, formatAddress } from '../../../common/inet.js';
import type { Family } from '../shared/ip.js';
import {
  CHECKER_KINDS,
  LVS_SCHED_FLAGS,
  LVS_SCHEDULERS,
  type LvsSchedFlag,
  type RealServer,
  type SorryServer,
  type SslConfig,
  type VirtualServer,
  type VirtualServerGroup,
  type VirtualServerKey,
  type VsgEntry,
} from './types.js';
import {
  CONNECT_TIMEOUT_MAX,
  PERSISTENCE_TIMEOUT_MAX,
  TIMER_MIN,
  UINT32_MAX,
  WEIGHT_MAX,
  addressPort,
  forwarding,
  locationOf,
  scriptRef,
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
  walk,
  walkBlock,
} from '../shared/values.js';

export { checkLvs, type LvsReferences } from './consistency.js';

// ---- address arithmetic for ranges ----

/** The address as an unsigned number (0 when it does not parse: callers pass parsed addresses). */
export function addressToBigInt(address: string): bigint {
  const bytes = addressToBytes(address) ?? new Uint8Array(0);
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

export function bigIntToAddress(value: bigint, family: Family): string {
  const bytes = new Uint8Array(family === 4 ? 4 : 16);
  for (let i = bytes.length - 1, v = value; i >= 0; i--, v >>= 8n) bytes[i] = Number(v & 0xffn);
  return formatAddress(bytes, 0, family);
}

/** `A`, `A-N` (last byte / last 16-bit group replaced by N), `A-B`, or `A/len`: first and last address. */
export function parseAddressRange(text: string): { family: Family; first: string; last: string } | string {
  const slash = text.indexOf('/');
  const dash = text.indexOf('-');
  if (slash >= 0) {
    const ip = parseIp(text.slice(0, slash));
    const lenText = text.slice(slash + 1);
    if (!ip) return `'${text}' is not a valid address range`;
    const bits = ip.family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > bits) return `'${text}' has an invalid prefix length`;
    const hostBits = BigInt(bits - Number(lenText));
    const start = addressToBigInt(ip.address);
    const end = start | ((1n << hostBits) - 1n);
    return { family: ip.family, first: ip.address, last: bigIntToAddress(end, ip.family) };
  }
  if (dash < 0) {
    const ip = parseIp(text);
    if (!ip) return `'${text}' is not a valid IP address`;
    return { family: ip.family, first: ip.address, last: ip.address };
  }
  const ip = parseIp(text.slice(0, dash));
  const endText = text.slice(dash + 1);
  if (!ip) return `'${text}' is not a valid address range`;
  const start = addressToBigInt(ip.address);
  let end: bigint;
  if (endText.includes('.') || endText.includes(':')) {
    const endIp = parseIp(endText);
    if (!endIp || endIp.family !== ip.family) return `'${text}' is not a valid address range`;
    end = addressToBigInt(endIp.address);
  } else {
    const isV4 = ip.family === 4;
    if (!(isV4 ? /^\d{1,3}$/ : /^[0-9a-fA-F]{1,4}$/).test(endText))
      return `'${text}' is not a valid address range`;
    const n = BigInt(parseInt(endText, isV4 ? 10 : 16));
    const width = isV4 ? 8n : 16n;
    if (n >= 1n << width) return `'${text}' is not a valid address range`;
    end = ((start >> width) << width) | n;
  }
  if (end <= start) return `range end is not greater than range start in '${text}'`;
  return { family: ip.family, first: ip.address, last: bigIntToAddress(end, ip.family) };
}

// ---- virtual_server_group ----

function buildVsgEntry(node: ConfigNode, ctx: BuildContext): VsgEntry | undefined {
  if (node.keyword === 'fwmark') {
    const mark = int(node, ctx, 1, UINT32_MAX);
    if (mark === undefined) return undefined;
    const fam = node.args[1];
    if (node.args.length > 2 || (fam !== undefined && fam !== 'inet' && fam !== 'inet6')) {
      ctx.diags.error(node, node.keyword, `expected 'fwmark N [inet|inet6]'`);
      return undefined;
    }
    const entry: VsgEntry = { kind: 'fwmark', fwmark: mark, at: locationOf(node) };
    if (fam !== undefined) entry.family = fam === 'inet' ? 4 : 6;
    return entry;
  }
  const range = parseAddressRange(node.keyword);
  if (typeof range === 'string') {
    ctx.diags.error(node, 'virtual_server_group', `${range} - skipping`);
    return undefined;
  }
  // keepalived's alloc_vsg_entry reads the address and the port only: more words go unseen.
  if (node.args.length > 1) {
    const extra = node.args.slice(1).join(' ');
    ctx.diags.note(node, 'virtual_server_group', `'${extra}' after the port ignored, as keepalived does`);
  }
  const entry: VsgEntry = { kind: 'address', ...range, at: locationOf(node) };
  if (node.args[0] !== undefined) {
    const p = int(node, ctx, 0, 65535);
    if (p === undefined) return undefined;
    if (p !== 0) entry.port = p;
  }
  return entry;
}

export function buildVirtualServerGroup(node: ConfigNode, ctx: BuildContext): VirtualServerGroup | undefined {
  const name = arg(node, ctx);
  if (name === undefined) return undefined;
  const entries: VsgEntry[] = [];
  for (const child of blockChildren(node, ctx)) {
    const e = buildVsgEntry(child, ctx);
    if (e) entries.push(e);
  }
  if (entries.length === 0) {
    ctx.diags.warn(blockEnd(node), node.keyword, `virtual server group ${name} has no entries - removing`);
    return undefined;
  }
  // keepalived counts a fwmark's explicit family too, and refuses a bare fwmark next to both families.
  const families = new Set(entries.flatMap((e) => (e.family === undefined ? [] : [e.family])));
  if (families.size > 1 && entries.some((e) => e.kind === 'fwmark' && e.family === undefined)) {
    ctx.diags.error(
      node,
      node.keyword,
      `virtual server group ${name} cannot have IPv4, IPv6 and fwmark without family - removing`,
    );
    return undefined;
  }
  return { name, entries, at: locationOf(node) };
}

// ---- virtual_server ----

function readKey(node: ConfigNode, ctx: BuildContext): VirtualServerKey | undefined {
  const first = node.args[0];
  if (first === 'fwmark' || first === 'group') {
    if (node.args.length !== 2) {
      ctx.diags.error(node, node.keyword, `expected '${first} ${first === 'fwmark' ? 'N' : 'NAME'}'`);
      return undefined;
    }
    if (first === 'group') return { kind: 'group', group: node.args[1] ?? '' };
    const mark = int(node, ctx, 1, UINT32_MAX, 1);
    return mark === undefined ? undefined : { kind: 'fwmark', fwmark: mark };
  }
  const ap = addressPort(node, ctx, 0);
  return ap ? { kind: 'address', ...ap } : undefined;
}

function readGranularity(
  node: ConfigNode,
  ctx: BuildContext,
  family: Family | undefined,
): string | undefined {
  const text = arg(node, ctx);
  if (text === undefined) return undefined;
  const fam = family ?? (text.includes('.') ? 4 : 6);
  if (fam === 6) {
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 128) {
      ctx.diags.error(node, node.keyword, `invalid IPv6 persistence_granularity '${text}' (1..128)`);
      return undefined;
    }
    return String(Number(text));
  }
  const ip = parseIp(text);
  if (!ip || ip.family !== 4) {
    ctx.diags.error(node, node.keyword, `invalid IPv4 persistence_granularity '${text}' (a netmask)`);
    return undefined;
  }
  return ip.address;
}

/** Keywords a virtual_server and a real_server share: the check timings, written into `target(state)`. */
function timingHandlers<S>(target: (state: S) => VirtualServer | RealServer): BlockHandlers<S> {
  return {
    delay_loop: (n, s, ctx) => assign(target(s), 'delayLoop', timer(n, ctx, TIMER_MIN)),
    delay_before_retry: (n, s, ctx) => assign(target(s), 'delayBeforeRetry', timer(n, ctx, 0)),
    warmup: (n, s, ctx) => assign(target(s), 'warmup', timer(n, ctx, 0)),
    connect_timeout: (n, s, ctx) =>
      assign(target(s), 'connectTimeout', timer(n, ctx, TIMER_MIN, CONNECT_TIMEOUT_MAX)),
    retry: (n, s, ctx) => assign(target(s), 'retry', int(n, ctx, 1, UINT32_MAX)),
  };
}

function addChecker(n: ConfigNode, rs: RealServer, ctx: BuildContext): void {
  const c = buildChecker(n, ctx);
  if (c) rs.checkers.push(c);
}

const REAL_SERVER_HANDLERS: BlockHandlers<RealServer> = {
  ...timingHandlers((rs: RealServer) => rs),
  weight: (n, rs, ctx) => assign(rs, 'weight', int(n, ctx, 0, WEIGHT_MAX)),
  lvs_method: (n, rs, ctx) => assign(rs, 'forwarding', forwarding(n, ctx)),
  uthreshold: (n, rs, ctx) => assign(rs, 'uthreshold', int(n, ctx, 0, UINT32_MAX)),
  lthreshold: (n, rs, ctx) => assign(rs, 'lthreshold', int(n, ctx, 0, UINT32_MAX)),
  inhibit_on_failure: (n, rs, ctx) => (rs.inhibitOnFailure = flag(n, ctx)),
  notify_up: (n, rs, ctx) => {
    if (rs.notifyUp) return ctx.diags.warn(n, n.keyword, 'notify_up script already specified - ignoring');
    rs.notifyUp = scriptRef(n, ctx);
  },
  notify_down: (n, rs, ctx) => {
    if (rs.notifyDown) return ctx.diags.warn(n, n.keyword, 'notify_down script already specified - ignoring');
    rs.notifyDown = scriptRef(n, ctx);
  },
  alpha: (n, rs, ctx) => (rs.alpha = flag(n, ctx)),
  smtp_alert: (n, rs, ctx) => (rs.smtpAlert = flag(n, ctx)),
  virtualhost: (n, rs, ctx) => assign(rs, 'virtualhost', guardedArg(n, ctx)),
  snmp_name: (n, rs, ctx) => assign(rs, 'snmpName', arg(n, ctx)),
  ...Object.fromEntries(CHECKER_KINDS.map((kind) => [kind, addChecker])),
};

function buildRealServer(node: ConfigNode, ctx: BuildContext): RealServer | undefined {
  const ap = addressPort(node, ctx, 0);
  if (!ap) return undefined;
  // Object.assign, not `{ ...ap, checkers, at }`: V8 takes a slow path (microseconds) for a spread
  // followed by more properties, which shows with thousands of servers. Same keys, same order.
  const rs: RealServer = Object.assign({}, ap, { checkers: [], at: locationOf(node) });
  walkBlock(blockChildren(node, ctx), ctx, REAL_SERVER_HANDLERS, rs, 'real_server');
  return rs;
}

function buildSorryServer(node: ConfigNode, ctx: BuildContext): SorryServer | undefined {
  const ap = addressPort(node, ctx, 0);
  return ap ? Object.assign({}, ap, { inhibit: false, at: locationOf(node) }) : undefined;
}

/** keepalived's virtual_server switches (alpha, omega, ops, ha_suspend, inhibit_on_failure,
 * sorry_server_inhibit) ignore any value: `alpha false` still sets alpha. Say so rather than guess. */
function bareFlag(node: ConfigNode, ctx: BuildContext): true {
  if (node.args.length > 0)
    ctx.diags.warn(
      node,
      node.keyword,
      `takes no value in a virtual_server: '${node.args.join(' ')}' ignored, the option is set`,
    );
  return true;
}

function keyFamily(key: VirtualServerKey): Family | undefined {
  return key.kind === 'address' ? key.family : undefined;
}

function sameServer(a: { address: string; port?: number }, b: { address: string; port?: number }): boolean {
  return a.address === b.address && a.port === b.port;
}

/** A virtual_server while its block is read. */
interface VirtualServerBuild {
  vs: VirtualServer;
  // The family settles as keepalived settles it: from the address, ip_family, or the first
  // non-tunnelled real/sorry server.
  family: Family | undefined;
  /** Each scheduler flag with its line and the scheduler set when it was read. */
  flagNodes: Array<[LvsSchedFlag, ConfigNode, string | undefined]>;
}

function addRealServer(n: ConfigNode, b: VirtualServerBuild, ctx: BuildContext): void {
  const rs = buildRealServer(n, ctx);
  if (!rs) return;
  // keepalived's real server starts with the virtual server's lvs_method as written so far (alloc_rs), and
  // a tunnelled one may be of the other family.
  if ((rs.forwarding ?? b.vs.forwarding)?.method !== 'TUN') {
    if (b.family === undefined) b.family = rs.family;
    else if (b.family !== rs.family) {
      ctx.diags.error(
        blockEnd(n),
        n.keyword,
        `address family of ${rs.address} does not match the virtual server - skipping real server`,
      );
      return;
    }
  }
  if (b.vs.realServers.some((other) => sameServer(other, rs))) {
    ctx.diags.warn(
      n,
      n.keyword,
      `real server ${rs.address}${rs.port !== undefined ? ` port ${rs.port}` : ''} is duplicated - ignoring the second`,
    );
    return;
  }
  b.vs.realServers.push(rs);
}

const VIRTUAL_SERVER_HANDLERS: BlockHandlers<VirtualServerBuild> = {
  ...timingHandlers((b: VirtualServerBuild) => b.vs),
  ip_family: (n, b, ctx) => {
    const f = choice(n, ctx, ['inet', 'inet6'] as const);
    if (f === undefined) return;
    const fam: Family = f === 'inet' ? 4 : 6;
    if (b.family !== undefined && b.family !== fam)
      return ctx.diags.error(n, n.keyword, `${f} conflicts with the address family of the virtual server`);
    b.family = fam;
    b.vs.ipFamily = fam;
  },
  weight: (n, b, ctx) => assign(b.vs, 'weight', int(n, ctx, 1, WEIGHT_MAX)),
  lvs_sched: (n, b, ctx) => assign(b.vs, 'scheduler', choice(n, ctx, LVS_SCHEDULERS)),
  lvs_method: (n, b, ctx) => assign(b.vs, 'forwarding', forwarding(n, ctx)),
  ops: (n, b, ctx) => (b.vs.ops = bareFlag(n, ctx)),
  hashed: (n, _b, ctx) => ctx.diags.warn(n, n.keyword, 'has no effect, ignored'),
  persistence_engine: (n, b, ctx) => assign(b.vs, 'persistenceEngine', arg(n, ctx)),
  persistence_timeout: (n, b, ctx) => {
    if (n.args.length === 0) b.vs.persistenceTimeout = 360;
    else assign(b.vs, 'persistenceTimeout', int(n, ctx, 1, PERSISTENCE_TIMEOUT_MAX));
  },
  persistence_granularity: (n, b, ctx) => {
    const g = readGranularity(n, ctx, b.family);
    if (g === undefined) return;
    b.vs.persistenceGranularity = g;
    b.family ??= g.includes('.') ? 4 : 6;
  },
  protocol: (n, b, ctx) => {
    const p = choice(n, ctx, ['TCP', 'UDP', 'SCTP'] as const, 0, true);
    if (p !== undefined) b.vs.protocol = p;
  },
  ha_suspend: (n, b, ctx) => (b.vs.haSuspend = bareFlag(n, ctx)),
  smtp_alert: (n, b, ctx) => (b.vs.smtpAlert = flag(n, ctx)),
  virtualhost: (n, b, ctx) => assign(b.vs, 'virtualhost', guardedArg(n, ctx)),
  snmp_name: (n, b, ctx) => assign(b.vs, 'snmpName', arg(n, ctx)),
  alpha: (n, b, ctx) => (b.vs.alpha = bareFlag(n, ctx)),
  omega: (n, b, ctx) => (b.vs.omega = bareFlag(n, ctx)),
  quorum: (n, b, ctx) => assign(b.vs, 'quorum', int(n, ctx, 1, UINT32_MAX)),
  hysteresis: (n, b, ctx) => assign(b.vs, 'hysteresis', int(n, ctx, 0, UINT32_MAX)),
  quorum_up: (n, b, ctx) => {
    if (b.vs.quorumUp) return ctx.diags.warn(n, n.keyword, 'quorum_up script already specified - ignoring');
    b.vs.quorumUp = scriptRef(n, ctx);
  },
  quorum_down: (n, b, ctx) => {
    if (b.vs.quorumDown)
      return ctx.diags.warn(n, n.keyword, 'quorum_down script already specified - ignoring');
    b.vs.quorumDown = scriptRef(n, ctx);
  },
  inhibit_on_failure: (n, b, ctx) => (b.vs.inhibitOnFailure = bareFlag(n, ctx)),
  sorry_server: (n, b, ctx) => assign(b.vs, 'sorryServer', buildSorryServer(n, ctx)),
  // keepalived applies these to the sorry server already read, so order matters.
  sorry_server_inhibit: (n, b, ctx) => {
    if (!b.vs.sorryServer)
      return ctx.diags.warn(n, n.keyword, 'used before or without sorry_server - ignoring');
    b.vs.sorryServer.inhibit = bareFlag(n, ctx);
  },
  sorry_server_lvs_method: (n, b, ctx) => {
    if (!b.vs.sorryServer)
      return ctx.diags.warn(n, n.keyword, 'used before or without sorry_server - ignoring');
    assign(b.vs.sorryServer, 'forwarding', forwarding(n, ctx));
  },
  real_server: addRealServer,
  ...Object.fromEntries(
    LVS_SCHED_FLAGS.map((f) => [
      f,
      (n: ConfigNode, b: VirtualServerBuild) => b.flagNodes.push([f, n, b.vs.scheduler]),
    ]),
  ),
};

const VIRTUAL_SERVER_DEPRECATED = { lb_algo: 'lvs_sched', lb_kind: 'lvs_method' };

export function buildVirtualServer(node: ConfigNode, ctx: BuildContext): VirtualServer | undefined {
  const key = readKey(node, ctx);
  if (!key) return undefined;
  const vs: VirtualServer = {
    key,
    schedFlags: [],
    ops: false,
    haSuspend: false,
    alpha: false,
    omega: false,
    inhibitOnFailure: false,
    realServers: [],
    at: locationOf(node),
  };
  const build: VirtualServerBuild = { vs, family: keyFamily(key), flagNodes: [] };
  walkBlock(
    blockChildren(node, ctx),
    ctx,
    VIRTUAL_SERVER_HANDLERS,
    build,
    'virtual_server',
    VIRTUAL_SERVER_DEPRECATED,
  );

  const family = build.family;
  const ss = vs.sorryServer;
  if (ss && ss.forwarding?.method !== 'TUN' && family !== undefined && ss.family !== family) {
    ctx.diags.error(
      ss.at,
      'sorry_server',
      `address family of ${ss.address} does not match the virtual server - skipping sorry server`,
    );
    delete vs.sorryServer;
  }
  // sh-*/mh-* flags only mean something to their scheduler, the one set when the flag is read (as
  // keepalived's vs_flags_handler checks it: a flag above lvs_sched is refused). Under the other of the
  // two schedulers keepalived drops it without a word.
  for (const [f, n, scheduler] of build.flagNodes) {
    const needs = f.startsWith('sh-') ? 'sh' : f.startsWith('mh-') ? 'mh' : undefined;
    if (needs !== undefined && scheduler !== needs) {
      if (scheduler === 'sh' || scheduler === 'mh')
        ctx.diags.note(n, f, `only applies to the ${needs} scheduler - ignored, as keepalived ignores it`);
      else
        ctx.diags.warn(
          n,
          f,
          `only applies to the ${needs} scheduler${vs.scheduler === needs ? ', and lvs_sched comes after it' : ''} - ignoring`,
        );
      continue;
    }
    if (!vs.schedFlags.includes(f)) vs.schedFlags.push(f);
  }
  return vs;
}

// ---- SSL ----

/** The top-level `SSL { password, ca, certificate, key }` block. */
export function buildSsl(node: ConfigNode, ctx: BuildContext): SslConfig {
  const ssl: SslConfig = { at: locationOf(node) };
  const file = (field: 'password' | 'ca' | 'certificate' | 'key') => (n: ConfigNode) => {
    const v = arg(n, ctx);
    if (v === undefined) return;
    if (ssl[field] !== undefined) ctx.diags.warn(n, n.keyword, 'already specified - replacing');
    ssl[field] = v;
  };
  walk(
    blockChildren(node, ctx),
    ctx,
    { password: file('password'), ca: file('ca'), certificate: file('certificate'), key: file('key') },
    'SSL',
  );
  return ssl;
}
