// SourceLine[] -> ConfigNode tree. A statement is the run of words on one line between braces (or the
// line's ends): `authentication { auth_type PASS auth_pass x }` is the block `authentication` with ONE
// child `auth_type PASS auth_pass x`, exactly as keepalived reads it. A `{` opens a block for the
// statement just before it (on the same line or an earlier one, with nothing in between); `}` closes the
// innermost block. Keywords are case-sensitive and kept as written.
import type { ConfigNode, Diagnostics, SourceLine, SourceLocation } from './types.js';
import { tokenizeLine } from './lexical.js';

// The statement text as written (quotes included), for keywords whose arguments keepalived re-reads with
// its quoted-and-escaped splitter (vrrp_script `script`, MISC_CHECK `misc_path`, HTTP `regex`).
// Kept as a non-enumerable symbol property: invisible to deepEqual and JSON, cheap for the GC.
const STATEMENT_TEXT = Symbol('statementText');

/**
 * The text of the statement a node was parsed from, quotes included (`script "/bin/x 'a b'"`). Only
 * statements with quotes or backslashes keep their text; for the others, keyword and arguments joined
 * by one space say the same thing to any word splitter.
 */
export function statementText(node: ConfigNode): string {
  const text: unknown = (node as unknown as Record<symbol, unknown>)[STATEMENT_TEXT];
  return typeof text === 'string' ? text : [node.keyword, ...node.args].join(' ');
}

const NEEDS_TEXT = /["'\\]/;

interface OpenBlock {
  /** Undefined for a `{` that had no statement before it: its contents are parsed and dropped. */
  node: ConfigNode | undefined;
  at: SourceLocation;
  outer: ConfigNode[];
}

/** Builds the keyword tree; unbalanced braces and unterminated quotes are reported with file:line. */
export function parseBlocks(lines: SourceLine[], diags: Diagnostics): ConfigNode[] {
  const root: ConfigNode[] = [];
  const open: OpenBlock[] = [];
  let children = root;
  // The statement a following `{` would attach to.
  let candidate: ConfigNode | undefined;
  for (const line of lines) {
    const { tokens, error } = tokenizeLine(line.text);
    if (error !== undefined) diags.error(line, undefined, error);
    const mayNeedText = NEEDS_TEXT.test(line.text);
    let i = 0;
    while (i < tokens.length) {
      const token = tokens[i];
      if (token.kind === 'open') {
        const at = { file: line.file, line: line.line };
        if (candidate !== undefined && candidate.children === undefined) {
          candidate.children = [];
          open.push({ node: candidate, at, outer: children });
          children = candidate.children;
        } else {
          diags.error(at, undefined, "unexpected '{' with no keyword before it; its block is ignored");
          open.push({ node: undefined, at, outer: children });
          children = [];
        }
        candidate = undefined;
        i++;
        continue;
      }
      if (token.kind === 'close') {
        const block = open.pop();
        if (block === undefined) diags.error(line, undefined, "unexpected '}' with no block open");
        else children = block.outer;
        candidate = undefined;
        i++;
        continue;
      }
      const args: string[] = [];
      let j = i + 1;
      for (; j < tokens.length && tokens[j].kind === 'word'; j++) args.push(tokens[j].text);
      const node: ConfigNode = { file: line.file, line: line.line, keyword: token.text, args };
      if (mayNeedText) {
        const text = line.text.slice(token.start, tokens[j - 1].end);
        if (NEEDS_TEXT.test(text)) Object.defineProperty(node, STATEMENT_TEXT, { value: text });
      }
      children.push(node);
      candidate = node;
      i = j;
    }
  }
  for (let k = open.length - 1; k >= 0; k--) {
    const block = open[k];
    if (block.node) diags.error(block.node, block.node.keyword, "block is not closed (missing '}')");
    else diags.error(block.at, undefined, "'{' is not closed (missing '}')");
  }
  return root;
}
