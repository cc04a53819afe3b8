// Parameters ($NAME) the preprocessor could not resolve, reported once the whole file is read.
import type { ConfigNode } from '../../types.js';
import type { BuildContext } from './values.js';

const UNRESOLVED = /\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/;

/** The first `$NAME` in a word; the cheap test first, since almost no word has a `$`. */
function unresolvedIn(word: string): string | undefined {
  return word.includes('$') ? UNRESOLVED.exec(word)?.[0] : undefined;
}

/**
 * A `$NAME` still present after preprocessing is almost always an undefined parameter. keepalived keeps
 * it as written and says nothing, so this is a note (it counts for nothing in `-t`'s verdict).
 */
export function warnUnresolvedVariables(nodes: readonly ConfigNode[], ctx: BuildContext): void {
  for (const node of nodes) {
    let found = unresolvedIn(node.keyword);
    for (let i = 0; found === undefined && i < node.args.length; i++) found = unresolvedIn(node.args[i]);
    if (found !== undefined)
      ctx.diags.note(node, node.keyword, `'${found}' is not a defined parameter, left as written`);
    if (node.children) warnUnresolvedVariables(node.children, ctx);
  }
}
