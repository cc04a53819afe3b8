// `ip rule`-style lines of static_rules and a vrrp_instance's virtual_rules.
import type { ConfigNode, SourceLocation } from '../../types.js';
import { type Family, formatPrefix, parsePrefix } from '../shared/ip.js';
import { bad, lineWords, type PrefixValue, toPrefixValue } from '../shared/line-parts.js';
import { type BuildContext, blockChildren } from '../shared/values.js';

export interface RuleSpec {
  location: SourceLocation;
  family: Family;
  from?: PrefixValue;
  to?: PrefixValue;
  table?: string;
  /** `table` as a number (route-tables.ts), when the configuration was read with its files. */
  tableId?: number;
  preference?: number;
  /** blackhole/prohibit/unreachable rule actions, `not`, `l3mdev`: bare words in order. */
  flags: string[];
  noTrack: boolean;
  trackGroup?: string;
  /** Remaining `ip rule` options in order (iif, oif, fwmark, tos, realms, goto, uidrange, ...). */
  options: Array<[string, string]>;
}

const RULE_VALUE_OPTIONS = new Set([
  'iif',
  'oif',
  'tos',
  'dsfield',
  'fwmark',
  'realms',
  'goto',
  'uidrange',
  'protocol',
  'ip_proto',
  'ipproto',
  'sport',
  'dport',
  'suppress_prefixlength',
  'suppress_ifgroup',
  'nat',
]);
const RULE_FLAGS = new Set(['blackhole', 'prohibit', 'unreachable', 'nop', 'not', 'l3mdev']);
/** What a rule does with a packet: keepalived wants exactly one (vrrp_iprule.c). */
const RULE_ACTIONS = new Set([
  'table',
  'lookup',
  'goto',
  'nop',
  'blackhole',
  'prohibit',
  'unreachable',
  'l3mdev',
]);

export function parseRuleLine(node: ConfigNode, ctx: BuildContext, blockName: string): RuleSpec | undefined {
  const words = lineWords(node);
  let family: Family | undefined;
  const rule: RuleSpec = {
    location: { file: node.file, line: node.line },
    family: 4,
    flags: [],
    noTrack: false,
    options: [],
  };
  let action: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    const next = words[i + 1];
    if (RULE_ACTIONS.has(w)) {
      if (action !== undefined)
        return bad(
          node,
          ctx,
          blockName,
          'Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule',
        );
      action = w;
    }
    const value = (): string | undefined => {
      if (next === undefined) bad(node, ctx, blockName, `'${w}' needs a value`);
      i++;
      return next;
    };
    switch (w) {
      case 'from':
      case 'to': {
        const v = value();
        if (v === undefined) return undefined;
        if (v === 'all') break;
        const p = parsePrefix(v);
        if (!p) return bad(node, ctx, blockName, `'${v}' is not a valid IP prefix`);
        if (family !== undefined && family !== p.family)
          return bad(node, ctx, blockName, `'${v}' is not of the rule's address family`);
        family = p.family;
        rule[w] = toPrefixValue(p);
        break;
      }
      case 'table':
      case 'lookup': {
        const v = value();
        if (v === undefined) return undefined;
        rule.table = v;
        break;
      }
      case 'preference':
      case 'priority':
      case 'pref':
      case 'order': {
        const v = value();
        if (v === undefined || !/^\d+$/.test(v) || Number(v) > 4294967295)
          return bad(node, ctx, blockName, `invalid preference '${v ?? ''}'`);
        rule.preference = Number(v);
        break;
      }
      case 'no_track':
        rule.noTrack = true;
        break;
      case 'track_group': {
        const v = value();
        if (v === undefined) return undefined;
        rule.trackGroup = v;
        break;
      }
      case 'inet6':
      case 'inet': {
        const f: Family = w === 'inet6' ? 6 : 4;
        if (family !== undefined && family !== f)
          return bad(node, ctx, blockName, `${w} contradicts the rule's addresses`);
        family = f;
        break;
      }
      case 'dev': {
        // keepalived's parser (vrrp_iprule.c) takes `dev` as iif, as ip rule does.
        const v = value();
        if (v === undefined) return undefined;
        rule.options.push(['iif', v]);
        break;
      }
      default:
        if (RULE_FLAGS.has(w)) rule.flags.push(w);
        else if (RULE_VALUE_OPTIONS.has(w)) {
          const v = value();
          if (v === undefined) return undefined;
          rule.options.push([w, v]);
        } else return bad(node, ctx, blockName, `unknown rule option '${w}'`);
    }
  }
  if (action === undefined) return bad(node, ctx, blockName, 'No action specified for rule - ignoring');
  rule.family = family ?? 4;
  if (rule.preference === undefined)
    ctx.diags.warn(
      node,
      blockName,
      'rule has no preference specified: the kernel picks one, which is probably not what you want',
    );
  return rule;
}

export function formatRuleLine(r: RuleSpec): string {
  const parts: string[] = [];
  if (r.from !== undefined) parts.push('from', formatPrefix(r.from));
  if (r.to !== undefined) parts.push('to', formatPrefix(r.to));
  if (r.table !== undefined) parts.push('table', r.table);
  if (r.preference !== undefined) parts.push('preference', String(r.preference));
  for (const [k, v] of r.options) parts.push(k, v);
  parts.push(...r.flags);
  if (r.family === 6 && r.from === undefined && r.to === undefined) parts.push('inet6');
  if (r.noTrack) parts.push('no_track');
  if (r.trackGroup !== undefined) parts.push('track_group', r.trackGroup);
  return parts.join(' ');
}

export function readRuleBlock(node: ConfigNode, ctx: BuildContext): RuleSpec[] {
  const out: RuleSpec[] = [];
  for (const child of blockChildren(node, ctx)) {
    const r = parseRuleLine(child, ctx, node.keyword);
    if (r) out.push(r);
  }
  return out;
}
