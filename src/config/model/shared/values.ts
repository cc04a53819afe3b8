// Reading keyword arguments into typed values, with keepalived's ranges, and a diagnostic that names
// file:line and the keyword whenever a value is rejected. Shared by every block builder of the model.
import { blockClosed, blockEnd, blockStart } from '../../blocks.js';
import type { ConfigHost, ConfigNode, Diagnostics, HostFacts } from '../../types.js';
import { aliasOf, keywordSupport } from '../../keyword-support.js';
import { parseIp, parsePrefix, type ParsedIp, type ParsedPrefix } from './ip.js';
import { BLOCK_KEYWORDS, KEYWORD_TABLES } from '../../block-keywords.js';

/** What every block builder carries: where to report, and facts about this host for semantic checks. */
export interface BuildContext {
  diags: Diagnostics;
  hostFacts?: HostFacts;
  /** The configuration's host, for the iproute2 name files (route-tables.ts); absent: names stay unresolved. */
  files?: Pick<ConfigHost, 'readFile' | 'glob'>;
  /** Inside vrrp_instance, vrrp_script and vrrp_sync_group keepalived 2.2.7's handlers read their argument
   * without checking it is there: a missing one stops its parser (exit 2) instead of being skipped. */
  missingArgumentStops?: boolean;
}

/** The error for a keyword written without its argument (see BuildContext.missingArgumentStops). */
export function missingArgument(node: ConfigNode, ctx: BuildContext, what = 'missing argument'): void {
  if (ctx.missingArgumentStops) ctx.diags.ranked('abort', 'error', node, node.keyword, what);
  else ctx.diags.error(node, node.keyword, what);
}

/** The argument at `index`, or an error naming what is missing. */
export function arg(node: ConfigNode, ctx: BuildContext, index = 0): string | undefined {
  const v = node.args[index];
  if (v === undefined) missingArgument(node, ctx);
  return v;
}

/** The argument at `index` of a keyword whose keepalived handler checks for it itself: a missing one is an
 * ordinary error even where missing arguments stop keepalived's parser. */
export function guardedArg(node: ConfigNode, ctx: BuildContext, index = 0): string | undefined {
  const v = node.args[index];
  if (v === undefined) ctx.diags.error(node, node.keyword, 'missing argument');
  return v;
}

/** An integer in [min, max]; anything else is an error and yields undefined (the caller keeps its default). */
export function int(
  node: ConfigNode,
  ctx: BuildContext,
  min: number,
  max: number,
  index = 0,
): number | undefined {
  const text = arg(node, ctx, index);
  if (text === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(text)) {
    ctx.diags.error(node, node.keyword, `'${text}' is not an integer`);
    return undefined;
  }
  const v = Number(text);
  if (v < min || v > max) {
    ctx.diags.error(node, node.keyword, `${v} is out of range ${min}..${max}`);
    return undefined;
  }
  return v;
}

/** A decimal number in [min, max] (advert_int 0.01, delay_loop 1.5, ...). */
export function decimal(
  node: ConfigNode,
  ctx: BuildContext,
  min: number,
  max: number,
  index = 0,
): number | undefined {
  const text = arg(node, ctx, index);
  if (text === undefined) return undefined;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) {
    ctx.diags.error(node, node.keyword, `'${text}' is not a number`);
    return undefined;
  }
  const v = Number(text);
  if (v < min || v > max) {
    ctx.diags.error(node, node.keyword, `${v} is out of range ${min}..${max}`);
    return undefined;
  }
  return v;
}

const TRUE_WORDS = new Set(['true', 'on', 'yes', '1']);
const FALSE_WORDS = new Set(['false', 'off', 'no', '0']);

/** keepalived's boolean keywords: a bare keyword means true; an optional true/false-like word may follow. */
export function flag(node: ConfigNode, ctx: BuildContext, index = 0): boolean {
  const text = node.args[index];
  if (text === undefined) return true;
  const lower = text.toLowerCase();
  if (TRUE_WORDS.has(lower)) return true;
  if (FALSE_WORDS.has(lower)) return false;
  ctx.diags.error(node, node.keyword, `'${text}' is not a boolean (true/false, on/off, yes/no)`);
  return true;
}

/** The whole rest of the line as one string (scripts, e-mail addresses, names with spaces). */
export function rest(node: ConfigNode, ctx: BuildContext, from = 0): string | undefined {
  if (node.args.length <= from) {
    missingArgument(node, ctx);
    return undefined;
  }
  return node.args.slice(from).join(' ');
}

/** One of a fixed set of words (case-sensitive unless `fold`). */
export function choice<T extends string>(
  node: ConfigNode,
  ctx: BuildContext,
  allowed: readonly T[],
  index = 0,
  fold = false,
): T | undefined {
  const text = arg(node, ctx, index);
  if (text === undefined) return undefined;
  const match = allowed.find((a) => (fold ? a.toLowerCase() === text.toLowerCase() : a === text));
  if (match === undefined)
    ctx.diags.error(node, node.keyword, `'${text}' is not one of ${allowed.join(', ')}`);
  return match;
}

/** A handler per keyword of a block. Unknown keywords are warned about and skipped, as keepalived does;
 * deprecated synonyms are accepted with a warning naming the keyword that replaces them. */
export type Handlers = Record<string, (node: ConfigNode) => void>;

/** Handlers that receive the block's target (or build state) and the context as arguments. Such a table
 * is written once at module level and serves every block: building a fresh set of closures per block
 * cost more than reading the block when a config has thousands of them. */
export type BlockHandlers<S> = Record<string, (node: ConfigNode, target: S, ctx: BuildContext) => void>;

const NO_DEPRECATED: Readonly<Record<string, string>> = {};

/** Old names keepalived 2.2.7 takes without a word: ours only notes them (they do not fail -t). */
const TAKEN_SILENTLY = new Set(['lb_algo', 'lb_kind', 'enable_snmp_keepalived', 'vrrp_track_file']);

export function walk(
  children: readonly ConfigNode[],
  ctx: BuildContext,
  handlers: Handlers,
  blockName: string,
  deprecated: Readonly<Record<string, string>> = NO_DEPRECATED,
): void {
  walkBlock(children, ctx, handlers, undefined, blockName, deprecated);
}

/** The name index.ts gives the top level of the file when it walks it. */
const TOP_LEVEL = 'the top level';

/** The `}` of an unknown block, read where keepalived reads it: as the end of the enclosing block. */
const closingBraces = new WeakSet<ConfigNode>();
function closingBrace(of: ConfigNode): ConfigNode {
  const brace: ConfigNode = { ...blockEnd(of), keyword: '}', args: [] };
  closingBraces.add(brace);
  return brace;
}

/**
 * What keepalived reads after an unknown block closed the block holding it: the rest of that block, to be
 * read at the level above (walkBlock hands it up through this, one level at a time; handlers may walk
 * their block with a context of their own, so this is not kept on the context; all of it is synchronous).
 */
let spilled: ConfigNode[] | undefined;
function takeSpilled(): ConfigNode[] | undefined {
  const rest = spilled;
  spilled = undefined;
  return rest;
}

/** `walk` with a module-level handler table: each handler gets `target` and `ctx` passed in. */
export function walkBlock<S>(
  children: readonly ConfigNode[],
  ctx: BuildContext,
  handlers: BlockHandlers<S>,
  target: S,
  blockName: string,
  deprecated: Readonly<Record<string, string>> = NO_DEPRECATED,
): void {
  const queue = [...children];
  for (let child = queue.shift(); child !== undefined; child = queue.shift()) {
    if (closingBraces.has(child)) {
      // an unknown block's '}' (or the '}' of a block such a brace closed early) at the top level is an
      // unknown keyword; anywhere else it ends this block, and the rest is read one level up
      if (blockName === TOP_LEVEL) ctx.diags.warn(child, '}', `unknown keyword in ${blockName}, ignored`);
      else {
        spilled = queue;
        return;
      }
      continue;
    }
    let keyword = child.keyword;
    const replacement = deprecated[keyword];
    if (replacement !== undefined) {
      const say = TAKEN_SILENTLY.has(keyword) ? 'note' : 'warn';
      ctx.diags[say](child, keyword, `deprecated keyword, use '${replacement}'`);
      keyword = replacement;
    }
    let handler = handlers[keyword];
    // Another name keepalived 2.4.3 gives a keyword of this block: read as the keyword it names.
    const aliased = handler === undefined ? aliasOf(blockName, keyword) : undefined;
    if (aliased !== undefined && handlers[aliased] !== undefined) {
      keyword = aliased;
      handler = handlers[aliased];
    }
    // Accepted without an effect here: said at its line, never counted by -t (see keyword-support.ts).
    const support = keywordSupport(blockName, child.keyword);
    if (support?.kind === 'note' && support.reportedByParser !== true)
      ctx.diags.note(child, child.keyword, support.reason);
    if (handler === undefined) {
      if (support?.kind !== 'note')
        ctx.diags.warn(child, child.keyword, `unknown keyword in ${blockName}, ignored`);
      // keepalived ignores the '{' of an unknown keyword: what follows is read as keywords of this block,
      // and its '}' ends this block (at the top level, an unknown keyword of its own)
      if (child.children !== undefined && support?.kind !== 'note') {
        ctx.diags.warn(blockStart(child), '{', "Unexpected '{' - ignoring");
        queue.unshift(...child.children, closingBrace(child));
      }
      continue;
    }
    takeSpilled();
    const given = keyword === child.keyword ? child : { ...child, keyword };
    handler(given, target, ctx);
    const rest = takeSpilled();
    if (rest !== undefined) {
      // the block this child opened was closed early: its own '}' (if the file has one) is now one too
      // many, here
      queue.unshift(
        ...rest,
        ...(child.children !== undefined && blockClosed(child) ? [closingBrace(child)] : []),
      );
    } else if (child.children !== undefined && !readAsBlock.has(given) && !BLOCK_KEYWORDS.has(keyword)) {
      // a keyword that takes no block: keepalived runs its handler, ignores the '{' and reads what follows
      // as keywords of this block, and the '}' ends this block
      ctx.diags.error(blockStart(child), undefined, "unexpected '{' - ignoring");
      queue.unshift(...child.children, closingBrace(child));
    }
  }
}

/** Nodes whose block a handler read (through blockChildren): walkBlock treats any other block as keepalived
 * treats the `{` of a keyword that takes none. */
const readAsBlock = new WeakSet<ConfigNode>();

/**
 * Children of a block keyword; a block keyword written without `{` is an error. A block of values (addresses,
 * peers, tracked names: keepalived's alloc_value_block) holding a block of its own is read as keepalived reads
 * it: its `{` is one more value, the lines inside are values, and the first `}` ends the whole block; what
 * follows goes to the level above (walkBlock takes it from `spilled`).
 */
export function blockChildren(node: ConfigNode, ctx: BuildContext): ConfigNode[] {
  readAsBlock.add(node);
  if (node.children === undefined) {
    ctx.diags.error(node, node.keyword, `expects a block ({ ... })`);
    return [];
  }
  if (KEYWORD_TABLES.has(node.keyword) || !node.children.some((c) => c.children !== undefined))
    return node.children;
  const { values, rest } = flattenValues(node.children);
  spilled = rest;
  return values;
}

/** A value block's lines as keepalived reads them, up to the first `}`; `rest`: what follows that `}`. */
function flattenValues(children: readonly ConfigNode[]): { values: ConfigNode[]; rest?: ConfigNode[] } {
  const values: ConfigNode[] = [];
  for (let i = 0; i < children.length; i++) {
    const child = children[i];
    if (child.children === undefined) {
      values.push(child);
      continue;
    }
    const { children: inner, ...line } = child;
    values.push(line, { ...blockStart(child), keyword: '{', args: [] });
    const nested = flattenValues(inner);
    values.push(...nested.values);
    const after = children.slice(i + 1);
    // the first '}' is this child's own, unless a block inside it closed first
    return {
      values,
      rest: nested.rest === undefined ? after : [...nested.rest, closingBrace(child), ...after],
    };
  }
  return { values };
}

// ---- addresses (added by the VRRP model; shared with the LVS model) ----
export { parseIp, parsePrefix, formatPrefix, isLinkLocal6, isMulticast } from './ip.js';
export type { Family, ParsedIp, ParsedPrefix } from './ip.js';

/** An IP address (no prefix) at `index`; malformed text is an error naming the keyword. */
export function ipAddress(node: ConfigNode, ctx: BuildContext, index = 0): ParsedIp | undefined {
  const text = arg(node, ctx, index);
  if (text === undefined) return undefined;
  const ip = parseIp(text);
  if (!ip) ctx.diags.error(node, node.keyword, `'${text}' is not a valid IP address`);
  return ip;
}

/**
 * The address keepalived's inet_stosockaddr reads (unicast peers, source and destination addresses,
 * virtual and real servers): whatever follows a '-' or a '/' is dropped, so "192.0.2.24/24" is the peer
 * 192.0.2.24. The dropped part is a note, since keepalived says nothing.
 */
export function socketAddress(node: ConfigNode, ctx: BuildContext, index = 0): ParsedIp | undefined {
  const text = arg(node, ctx, index);
  if (text === undefined) return undefined;
  const cut = text.search(/[-/]/);
  const ip = parseIp(cut < 0 ? text : text.slice(0, cut));
  if (!ip) ctx.diags.error(node, node.keyword, `'${text}' is not a valid IP address`);
  else if (cut >= 0)
    ctx.diags.note(
      node,
      node.keyword,
      `'${text.slice(cut)}' after ${ip.address} ignored, as keepalived does`,
    );
  return ip;
}

/** An `address[/len]` at `index`; malformed text is an error naming the keyword. */
export function ipPrefix(node: ConfigNode, ctx: BuildContext, index = 0): ParsedPrefix | undefined {
  const text = arg(node, ctx, index);
  if (text === undefined) return undefined;
  const p = parsePrefix(text);
  if (!p) ctx.diags.error(node, node.keyword, `'${text}' is not a valid IP address or prefix`);
  return p;
}
