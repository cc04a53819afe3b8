// Value readers shared by the virtual server and checker builders: keepalived's TIMER values, ports,
// `addr [port]` pairs, forwarding methods with tunnel options, and run-as scripts.
import type { ConfigNode } from '../../types.js';
import type { Family } from '../shared/ip.js';
import type { Forwarding, LvsMethod, ScriptRef, TunnelOptions } from './types.js';
import { readScriptCommand } from '../shared/script-command.js';
import { type BuildContext, decimal, int, missingArgument, parseIp } from '../shared/values.js';

export const UINT32_MAX = 4294967295;
/** keepalived's weight limit (IPVS_WEIGHT_LIMIT = INT_MAX). */
export const WEIGHT_MAX = 2147483647;
/** Timers are microseconds internally: the smallest non-zero one is 1 µs. */
export const TIMER_MIN = 0.000001;
/** A timer fits an unsigned long of microseconds; anything larger is nonsense anyway. */
export const TIMER_MAX = 18446744073709.55;
/** connect_timeout is an unsigned int of microseconds. */
export const CONNECT_TIMEOUT_MAX = 4294.967295;
/** LVS_MAX_TIMEOUT: 31 days. */
export const PERSISTENCE_TIMEOUT_MAX = 2678400;
/** IFNAMSIZ - 1. */
export const IFNAME_MAX = 15;

/** A TIMER (decimal seconds) in [min, max]. */
export function timer(node: ConfigNode, ctx: BuildContext, min: number, max = TIMER_MAX): number | undefined {
  return decimal(node, ctx, min, max);
}

export function port(node: ConfigNode, ctx: BuildContext, index = 0): number | undefined {
  return int(node, ctx, 1, 65535, index);
}

export interface AddressPort {
  family: Family;
  address: string;
  port?: number;
}

/** `ADDRESS [PORT]` starting at args[index]. A port of 0 is no port. keepalived reads only these two words
 * (alloc_vs / alloc_rs / alloc_ssvr) and silently ignores the rest ("... 80 dev eth0" is seen in the wild),
 * so more words are only a note here. */
export function addressPort(node: ConfigNode, ctx: BuildContext, index = 0): AddressPort | undefined {
  const text = node.args[index];
  if (text === undefined) {
    missingArgument(node, ctx, 'missing address');
    return undefined;
  }
  // inet_stosockaddr drops a '-range' or '/mask' after the address, without a word.
  const cut = text.search(/[-/]/);
  const ip = parseIp(cut < 0 ? text : text.slice(0, cut));
  if (!ip) {
    ctx.diags.error(node, node.keyword, `'${text}' is not a valid IP address`);
    return undefined;
  }
  if (cut >= 0)
    ctx.diags.note(
      node,
      node.keyword,
      `'${text.slice(cut)}' after ${ip.address} ignored, as keepalived does`,
    );
  if (node.args.length > index + 2) {
    const extra = node.args.slice(index + 2).join(' ');
    ctx.diags.note(node, node.keyword, `'${extra}' after the port ignored, as keepalived does`);
  }
  const out: AddressPort = { family: ip.family, address: ip.address };
  // keepalived reads a port of all zeros as no port at all (alloc_vs / alloc_rs / alloc_ssvr, since 2.0.7).
  if (node.args[index + 1] !== undefined && !/^0+$/.test(node.args[index + 1] as string)) {
    const p = port(node, ctx, index + 1);
    if (p === undefined) return undefined;
    out.port = p;
  }
  return out;
}

const METHODS: readonly LvsMethod[] = ['NAT', 'DR', 'TUN'];

/** `NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`, with keepalived's consistency rules:
 * gue needs a port and nothing else may have one; ipip takes no checksum option; gre no remcsum. */
export function forwarding(node: ConfigNode, ctx: BuildContext): Forwarding | undefined {
  const method = node.args[0];
  if (method === undefined) {
    missingArgument(node, ctx, 'missing forwarding method (NAT, DR or TUN)');
    return undefined;
  }
  if (!METHODS.includes(method as LvsMethod)) {
    ctx.diags.error(node, node.keyword, `unknown forwarding method '${method}' (NAT, DR or TUN)`);
    return undefined;
  }
  if (method !== 'TUN') {
    if (node.args.length > 1) {
      ctx.diags.error(node, node.keyword, `tunnel options are only valid with TUN`);
      return undefined;
    }
    return { method: method as LvsMethod };
  }
  const tunnel: TunnelOptions = { type: 'ipip' };
  for (let i = 1; i < node.args.length; i++) {
    const word = node.args[i] ?? '';
    if (word === 'type') {
      const type = node.args[++i];
      if (type !== 'ipip' && type !== 'gue' && type !== 'gre') {
        ctx.diags.error(
          node,
          node.keyword,
          type === undefined ? 'missing tunnel type' : `unknown tunnel type '${type}'`,
        );
        return undefined;
      }
      tunnel.type = type;
    } else if (word === 'port') {
      const p = port(node, ctx, ++i);
      if (p === undefined) return undefined;
      tunnel.port = p;
    } else if (word === 'nocsum' || word === 'csum' || word === 'remcsum') {
      tunnel.checksum = word;
    } else {
      ctx.diags.error(node, node.keyword, `invalid tunnel option '${word}'`);
      return undefined;
    }
  }
  if ((tunnel.type === 'gue') !== (tunnel.port !== undefined)) {
    ctx.diags.error(node, node.keyword, 'gue tunnels require a port, and other tunnel types cannot have one');
    return undefined;
  }
  if (tunnel.type === 'ipip' && tunnel.checksum !== undefined && tunnel.checksum !== 'nocsum') {
    ctx.diags.error(node, node.keyword, 'ipip tunnels do not support a checksum option');
    return undefined;
  }
  if (tunnel.type === 'gre' && tunnel.checksum === 'remcsum') {
    ctx.diags.error(node, node.keyword, 'gre tunnels do not support remcsum');
    return undefined;
  }
  // A bare `TUN` and `TUN type ipip` mean the same; keep the model canonical so printing round-trips.
  if (tunnel.type === 'ipip' && tunnel.checksum === undefined) return { method: 'TUN' };
  return { method: 'TUN', tunnel };
}

/** `KEYWORD SCRIPT [user [group]]` with its location. */
export function scriptRef(node: ConfigNode, ctx: BuildContext): ScriptRef | undefined {
  if (node.args.length === 0) {
    missingArgument(node, ctx);
    return undefined;
  }
  const s = readScriptCommand(node, ctx, 'checker');
  return s ? { ...s, at: { file: node.file, line: node.line } } : undefined;
}

export function locationOf(node: ConfigNode): { file: string; line: number } {
  return { file: node.file, line: node.line };
}

/** Sets `target[key]` only when a value was read, so unset fields stay absent (not `undefined`). */
export function assign<T, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
