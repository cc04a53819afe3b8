// Table-driven keywords: most of keepalived's keywords are "one keyword, one typed value". Describing them
// once as data gives both the reader (keyword -> typed field, with range checks) and the printer
// (typed field -> keyword line), so the two can never disagree.
import type { ConfigNode } from '../../types.js';
import { type BuildContext, decimal, flag, type Handlers, int, missingArgument, rest } from './values.js';
import { quoteWord } from './quote.js';
import { formatScriptCommand, readScriptCommand, type ScriptCommand } from './script-command.js';

export type SimpleSpec =
  /** Bare keyword or keyword + boolean word. */
  | { kind: 'flag' }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'decimal'; min: number; max: number }
  /** One word. keepalived reads the first and silently ignores any more (a note here), except for the few
   * keywords whose handlers count their words (`strict`: more is reported). */
  | { kind: 'word'; strict?: true }
  /** One or more words, kept as one string joined by spaces. */
  | { kind: 'rest' }
  /** A global_defs script: `SCRIPT [USER [GROUP]]` (a ScriptCommand); the first one written stays. */
  | { kind: 'script' }
  /** Zero or more words (a bare keyword gives []). */
  | { kind: 'words' }
  /** An optional word: a bare keyword gives ''. */
  | { kind: 'optword' }
  /** Exactly one word out of `values`. */
  | { kind: 'choice'; values: readonly string[] };

export interface SimpleKeyword<T> {
  keyword: string;
  field: keyof T & string;
  spec: SimpleSpec;
}

// The tables name fields as strings: Reflect reads and writes them whatever the target's type.
function setField(target: object, field: string, value: unknown): void {
  Reflect.set(target, field, value);
}

function getField(target: object, field: string): unknown {
  return Reflect.get(target, field) as unknown;
}

/** Reads one simple keyword into its field; a rejected value leaves the field (its default) untouched. */
export function readSimple<T extends object>(
  target: T,
  entry: SimpleKeyword<T>,
  node: ConfigNode,
  ctx: BuildContext,
): void {
  const spec = entry.spec;
  let value: unknown;
  switch (spec.kind) {
    case 'flag':
      value = flag(node, ctx);
      break;
    case 'int':
      value = int(node, ctx, spec.min, spec.max);
      break;
    case 'decimal':
      value = decimal(node, ctx, spec.min, spec.max);
      break;
    case 'word':
      value = node.args[0];
      if (value === undefined) missingArgument(node, ctx);
      else if (node.args.length > 1)
        ctx.diags[spec.strict === true ? 'warn' : 'note'](node, node.keyword, `extra arguments ignored`);
      break;
    case 'rest':
      value = rest(node, ctx);
      break;
    case 'script': {
      // global_parser.c startup_shutdown_script_handler: the first one stays, and one keepalived cannot
      // run (its user missing) is an error, not a note as for instances' scripts
      const what = node.keyword.replace(/_script$/, '');
      if (getField(target, entry.field) !== undefined)
        ctx.diags.error(node, node.keyword, `${what} script already specified`);
      else if (node.args.length === 0) ctx.diags.error(node, node.keyword, `${what} script missing`);
      else {
        value = readScriptCommand(node, ctx, 'global');
        if (value === undefined) ctx.diags.error(node, node.keyword, `Invalid ${what} script`);
      }
      break;
    }
    case 'words':
      value = [...node.args];
      break;
    case 'optword':
      value = node.args[0] ?? '';
      break;
    case 'choice':
      value = node.args[0];
      if (value === undefined) missingArgument(node, ctx, `missing argument (${spec.values.join(', ')})`);
      else if (!spec.values.includes(value as string)) {
        ctx.diags.error(node, node.keyword, `'${String(value)}' is not one of ${spec.values.join(', ')}`);
        value = undefined;
      } else if (node.args.length > 1) ctx.diags.warn(node, node.keyword, `extra arguments ignored`);
      break;
  }
  if (value !== undefined) setField(target, entry.field, value);
}

/** Handlers for every entry of a table, writing into `target`. */
export function simpleHandlers<T extends object>(
  target: T | (() => T),
  table: readonly SimpleKeyword<T>[],
  ctx: BuildContext,
): Handlers {
  // A getter lets one set of handlers serve many targets in turn (see vrrp/instance.ts).
  const get = typeof target === 'function' ? (target as () => T) : () => target;
  const handlers: Handlers = {};
  for (const entry of table) handlers[entry.keyword] = (node) => readSimple(get(), entry, node, ctx);
  return handlers;
}

export { quoteWord } from './quote.js';

/** The keyword lines of every field that differs from `defaults` (fields equal to the default are omitted,
 * since reading them back without the line yields the same default). */
export function printSimple<T extends object>(
  target: T,
  table: readonly SimpleKeyword<T>[],
  defaults: T,
): string[] {
  const lines: string[] = [];
  for (const { keyword, field, spec } of table) {
    const v = getField(target, field);
    if (v === undefined || JSON.stringify(v) === JSON.stringify(getField(defaults, field))) continue;
    switch (spec.kind) {
      case 'flag':
        lines.push(v === true ? keyword : `${keyword} false`);
        break;
      case 'int':
      case 'decimal':
        lines.push(`${keyword} ${String(v)}`);
        break;
      case 'word':
      case 'choice':
        lines.push(`${keyword} ${quoteWord(String(v))}`);
        break;
      case 'rest':
        lines.push(`${keyword} ${String(v)}`);
        break;
      case 'script':
        lines.push(formatScriptCommand(keyword, v as ScriptCommand));
        break;
      case 'words':
        lines.push([keyword, ...(v as string[]).map(quoteWord)].join(' '));
        break;
      case 'optword':
        lines.push(v === '' ? keyword : `${keyword} ${quoteWord(String(v))}`);
        break;
    }
  }
  return lines;
}
