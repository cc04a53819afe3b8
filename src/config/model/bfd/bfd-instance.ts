// bfd_instance blocks: one BFD session each (RFC 5880/5881, multihop RFC 5883), with keepalived's
// keywords, defaults, ranges and messages (keepalived/bfd/bfd_parser.c, include/bfd.h). Times are written
// in milliseconds (up to three decimals, i.e. microsecond precision) and kept so in the model.
import type { ConfigNode, SourceLocation } from '../../types.js';
import { quoteWord } from '../shared/table.js';
import { type BuildContext, blockChildren, type ParsedIp, parseIp } from '../shared/values.js';

export interface BfdInstance {
  name: string;
  location: SourceLocation;
  /** neighbor_ip / neighbour_ip: the peer; required. */
  neighbor: ParsedIp;
  /** source_ip: bind address of the sending socket (and its port from 49152-65535). */
  source?: ParsedIp;
  /** Required min RX interval we announce, ms. */
  minRxMs: number;
  /** Desired min TX interval while Up, ms. */
  minTxMs: number;
  /** Desired min TX interval while not Up, ms (RFC 5880 asks for at least one second). */
  idleTxMs: number;
  /** Detection multiplier we announce. */
  multiplier: number;
  /** Wait for the peer's first packet before sending. */
  passive: boolean;
  /** TTL / hop limit of sent packets: 255 (IPv4) or 64 (IPv6) unless set. */
  ttl: number;
  /** Hops a received packet may have crossed (its TTL must be at least ttl - maxHops); -1: no check. */
  maxHops: number;
  /** Use the multihop port 4784 (RFC 5883) instead of 3784. */
  multihop: boolean;
  /** Default weight of a track_bfd naming this instance (VRRP side). */
  weight: number;
  weightReverse: boolean;
  /** Which children get the session's up/down events: both unless `vrrp` or `checker` is written. */
  notifyVrrp: boolean;
  notifyChecker: boolean;
}

/** keepalived's limits (include/bfd.h). Intervals in ms. */
export const BFD_LIMITS = {
  nameMax: 31,
  minRx: { min: 1, max: 4294967, sensible: 1000, default: 10 },
  minTx: { min: 1, max: 4294967, sensible: 1000, default: 10 },
  idleTx: { min: 1000, max: 4294967, sensible: 10000, default: 1000 },
  multiplier: { min: 1, max: 255, default: 5 },
  ttlMax: 255,
  ttlDefault4: 255,
  hopLimitDefault6: 64,
  weight: 253,
} as const;

interface Draft {
  name: string;
  location: SourceLocation;
  neighbor?: ParsedIp;
  neighborMalformed: boolean;
  source?: ParsedIp;
  minRxMs: number;
  minTxMs: number;
  idleTxMs: number;
  multiplier: number;
  passive: boolean;
  ttl?: number;
  maxHops: number;
  multihop: boolean;
  weight: number;
  weightReverse: boolean;
  vrrp: boolean;
  checker: boolean;
}

const TRUE_WORDS = new Set(['true', 'on', 'yes']);
const FALSE_WORDS = new Set(['false', 'off', 'no']);

/** keepalived's read_decimal_unsigned_strvec with 3 decimals: "50", "50.5", "0.125". */
function msValue(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+(\.\d{1,3})?$/.test(text)) return undefined;
  return Number(text);
}

function intValue(text: string | undefined): number | undefined {
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return undefined;
  return Number(text);
}

type Interval = 'minRxMs' | 'minTxMs' | 'idleTxMs';
const INTERVALS: Record<string, { field: Interval; limits: { min: number; max: number; sensible: number } }> =
  {
    min_rx: { field: 'minRxMs', limits: BFD_LIMITS.minRx },
    min_tx: { field: 'minTxMs', limits: BFD_LIMITS.minTx },
    idle_tx: { field: 'idleTxMs', limits: BFD_LIMITS.idleTx },
  };

function readKeyword(n: ConfigNode, d: Draft, ctx: BuildContext): 'stop' | void {
  const what = `BFD instance ${d.name}`;
  const value = n.args[0];
  const shown = value ?? '';
  const bad = (message: string): void => ctx.diags.error(n, n.keyword, `${what} ${message}`);
  switch (n.keyword) {
    case 'neighbor_ip':
    case 'neighbour_ip': {
      const ip = value === undefined ? undefined : parseIp(value);
      if (!ip) {
        bad(`has malformed neighbor address ${shown}, ignoring instance`);
        d.neighborMalformed = true;
        return 'stop';
      }
      d.neighbor = ip;
      return;
    }
    case 'source_ip': {
      const ip = value === undefined ? undefined : parseIp(value);
      if (!ip) bad(`has malformed source address ${shown}, ignoring`);
      else d.source = ip;
      return;
    }
    case 'min_rx':
    case 'min_tx':
    case 'idle_tx': {
      const { field, limits } = INTERVALS[n.keyword]!;
      const ms = msValue(value);
      if (ms === undefined || ms < limits.min || ms > limits.max) {
        bad(
          `${n.keyword} value ${shown} is not valid (must be in range [${limits.min}-${limits.max}]), ignoring`,
        );
        return;
      }
      d[field] = ms;
      if (ms > limits.sensible)
        ctx.diags.warn(
          n,
          n.keyword,
          `${what} ${n.keyword} value ${shown} is larger than max sensible (${limits.sensible})`,
        );
      return;
    }
    case 'multiplier': {
      const v = intValue(value);
      const { min, max } = BFD_LIMITS.multiplier;
      if (v === undefined || v < min || v > max)
        bad(`multiplier value ${shown} not valid (must be in range [${min}-${max}]), ignoring`);
      else d.multiplier = v;
      return;
    }
    case 'passive':
      d.passive = true;
      return;
    case 'ttl':
    case 'hoplimit': {
      const v = intValue(value);
      if (v === undefined || v < 1 || v > BFD_LIMITS.ttlMax)
        bad(`ttl/hoplimit value ${shown} not valid (must be in range [1-${BFD_LIMITS.ttlMax}]), ignoring`);
      else d.ttl = v;
      return;
    }
    case 'max_hops': {
      const v = intValue(value);
      if (v === undefined || v < -1 || v > BFD_LIMITS.ttlMax)
        bad(`max_hops value ${shown} not valid (must be in range [-1-${BFD_LIMITS.ttlMax}]), ignoring`);
      else d.maxHops = v;
      return;
    }
    case 'multihop': {
      if (value === undefined || TRUE_WORDS.has(value.toLowerCase())) d.multihop = true;
      else if (FALSE_WORDS.has(value.toLowerCase())) d.multihop = false;
      else bad(`multihop setting not valid - ${value}`);
      return;
    }
    case 'weight': {
      const v = intValue(value);
      if (v === undefined || Math.abs(v) > BFD_LIMITS.weight)
        bad(`weight value ${shown} not valid (must be in range [-253-253]), ignoring`);
      else d.weight = v;
      const option = n.args[1];
      if (option !== undefined) {
        if (option === 'reverse') d.weightReverse = true;
        else bad(`unknown weight option ${option}`);
      }
      return;
    }
    case 'vrrp':
      d.vrrp = true;
      return;
    case 'checker':
      d.checker = true;
      return;
    default:
      ctx.diags.warn(n, n.keyword, 'unknown keyword in bfd_instance, ignored');
  }
}

function sameSession(a: BfdInstance, d: Draft, neighbor: ParsedIp): boolean {
  return (
    a.neighbor.address === neighbor.address &&
    a.source?.address === d.source?.address &&
    a.multihop === d.multihop
  );
}

/** Reads one bfd_instance block; returns the instance, or undefined when keepalived would disable it.
 * `existing` holds the instances kept so far (names and neighbors must be unique). */
export function buildBfdInstance(
  node: ConfigNode,
  ctx: BuildContext,
  existing: readonly BfdInstance[],
): BfdInstance | undefined {
  const name = node.args[0];
  if (name === undefined) {
    ctx.diags.error(node, node.keyword, 'missing BFD instance name');
    return undefined;
  }
  if (name.length > BFD_LIMITS.nameMax) {
    ctx.diags.error(
      node,
      node.keyword,
      `BFD instance ${name} name too long (maximum length is ${BFD_LIMITS.nameMax} characters) - ignoring`,
    );
    return undefined;
  }
  const first = existing.find((b) => b.name === name);
  if (first) {
    ctx.diags.error(
      node,
      node.keyword,
      `BFD instance ${name} already configured at ${first.location.file}:${first.location.line} - ignoring`,
    );
    return undefined;
  }
  const d: Draft = {
    name,
    location: { file: node.file, line: node.line },
    neighborMalformed: false,
    minRxMs: BFD_LIMITS.minRx.default,
    minTxMs: BFD_LIMITS.minTx.default,
    idleTxMs: BFD_LIMITS.idleTx.default,
    multiplier: BFD_LIMITS.multiplier.default,
    passive: false,
    maxHops: 0,
    multihop: false,
    weight: 0,
    weightReverse: false,
    vrrp: false,
    checker: false,
  };
  for (const child of blockChildren(node, ctx)) if (readKeyword(child, d, ctx) === 'stop') return undefined;
  return finish(node, d, ctx, existing);
}

function finish(
  node: ConfigNode,
  d: Draft,
  ctx: BuildContext,
  existing: readonly BfdInstance[],
): BfdInstance | undefined {
  const what = `BFD instance ${d.name}`;
  const neighbor = d.neighbor;
  if (!neighbor) {
    ctx.diags.error(node, node.keyword, `${what} has no neighbor address set, disabling instance`);
    return undefined;
  }
  if (d.source && d.source.family !== neighbor.family) {
    ctx.diags.error(
      node,
      node.keyword,
      `${what} source address ${d.source.address} and neighbor address ${neighbor.address} are not of the same family, disabling instance`,
    );
    return undefined;
  }
  if (existing.some((b) => sameSession(b, d, neighbor))) {
    const pair = d.source ? `source/neighbor address ${d.source.address}/` : 'neighbor address ';
    ctx.diags.error(
      node,
      node.keyword,
      `${what} has duplicate ${pair}${neighbor.address}, ignoring instance`,
    );
    return undefined;
  }
  const ttl = d.ttl ?? (neighbor.family === 4 ? BFD_LIMITS.ttlDefault4 : BFD_LIMITS.hopLimitDefault6);
  let maxHops = d.maxHops;
  if (maxHops > ttl) {
    ctx.diags.error(node, node.keyword, `${what}: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit`);
    maxHops = ttl;
  }
  const both = !d.vrrp && !d.checker;
  return {
    name: d.name,
    location: d.location,
    neighbor,
    source: d.source,
    minRxMs: d.minRxMs,
    minTxMs: d.minTxMs,
    idleTxMs: d.idleTxMs,
    multiplier: d.multiplier,
    passive: d.passive,
    ttl,
    maxHops,
    multihop: d.multihop,
    weight: d.weight,
    weightReverse: d.weightReverse,
    notifyVrrp: both || d.vrrp,
    notifyChecker: both || d.checker,
  };
}

/** The block as keepalived.conf text (defaults left out); reading it back gives the same instance. */
export function printBfdInstance(b: BfdInstance): string[] {
  const lines: string[] = [`neighbor_ip ${b.neighbor.address}`];
  if (b.source) lines.push(`source_ip ${b.source.address}`);
  if (b.minRxMs !== BFD_LIMITS.minRx.default) lines.push(`min_rx ${b.minRxMs}`);
  if (b.minTxMs !== BFD_LIMITS.minTx.default) lines.push(`min_tx ${b.minTxMs}`);
  if (b.idleTxMs !== BFD_LIMITS.idleTx.default) lines.push(`idle_tx ${b.idleTxMs}`);
  if (b.multiplier !== BFD_LIMITS.multiplier.default) lines.push(`multiplier ${b.multiplier}`);
  if (b.passive) lines.push('passive');
  const defaultTtl = b.neighbor.family === 4 ? BFD_LIMITS.ttlDefault4 : BFD_LIMITS.hopLimitDefault6;
  if (b.ttl !== defaultTtl) lines.push(`ttl ${b.ttl}`);
  if (b.maxHops !== 0) lines.push(`max_hops ${b.maxHops}`);
  if (b.multihop) lines.push('multihop');
  if (b.weight !== 0 || b.weightReverse) lines.push(`weight ${b.weight}${b.weightReverse ? ' reverse' : ''}`);
  if (!(b.notifyVrrp && b.notifyChecker)) {
    if (b.notifyVrrp) lines.push('vrrp');
    if (b.notifyChecker) lines.push('checker');
  }
  return [`bfd_instance ${quoteWord(b.name)} {`, ...lines.map((l) => `  ${l}`), '}'];
}
