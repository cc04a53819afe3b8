// Pieces shared by the address, route and rule line parsers (static/routes.ts, static/rules.ts).
import type { ConfigNode } from '../../types.js';
import type { ParsedPrefix } from './ip.js';
import type { BuildContext } from './values.js';

export interface PrefixValue {
  address: string;
  prefix: number;
  hasPrefix: boolean;
}

export type Scope = 'global' | 'site' | 'link' | 'host' | 'nowhere';
export const SCOPES: readonly Scope[] = ['global', 'site', 'link', 'host', 'nowhere'];

export const toPrefixValue = (p: ParsedPrefix): PrefixValue => ({
  address: p.address,
  prefix: p.prefix,
  hasPrefix: p.hasPrefix,
});

/** The words of a line inside an address/route/rule block: the keyword is the first word. */
export function lineWords(node: ConfigNode): string[] {
  return [node.keyword, ...node.args];
}

/** Reports a malformed line under the block's keyword; returns undefined for `return bad(...)`. */
export function bad(node: ConfigNode, ctx: BuildContext, keyword: string, message: string): undefined {
  ctx.diags.error(node, keyword, message);
  return undefined;
}
