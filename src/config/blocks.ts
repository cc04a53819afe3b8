// SourceLine[] -> ConfigNode tree. A statement is the run of words on one line between braces (or the
// line's ends): `authentication { auth_type PASS auth_pass x }` is the block `authentication` with ONE
// child `auth_type PASS auth_pass x`, exactly as keepalived reads it. A `{` opens a block for the
// statement just before it (on the same line or an earlier one, with nothing in between); `}` closes the
// innermost block. Keywords are case-sensitive and kept as written.
import type { ConfigNode, Diagnostics, SourceLine, SourceLocation } from './types.js';
import { tokenizeLine } from './lexical.js';
import { blockKind, type BlockKind } from './block-keywords.js';
import { KEYWORD_SUPPORT } from './keyword-support.js';

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
  const text: unknown = Reflect.get(node, STATEMENT_TEXT);
  return typeof text === 'string' ? text : [node.keyword, ...node.args].join(' ');
}

const NEEDS_TEXT = /["'\\]/;

// Where a block's closing `}` stood: keepalived checks a block when it closes and names that line.
// A non-enumerable symbol property like STATEMENT_TEXT.
const BLOCK_END = Symbol('blockEnd');

/** Whether a block's `}` was read (an unclosed block, at the end of the file, has none). */
export function blockClosed(node: ConfigNode): boolean {
  return Reflect.get(node, BLOCK_END) !== undefined;
}

/** The line of a block's closing brace (the node's own line for a statement or an unclosed block). */
export function blockEnd(node: ConfigNode): SourceLocation {
  const end: unknown = Reflect.get(node, BLOCK_END);
  return (end as SourceLocation | undefined) ?? { file: node.file, line: node.line };
}

// Where a block's opening `{` stood (the keyword's line, or a later one): keepalived names that line when
// it ignores the `{` of a keyword that takes no block.
const BLOCK_START = Symbol('blockStart');

/** The line of a block's opening brace (the node's own line for a statement). */
export function blockStart(node: ConfigNode): SourceLocation {
  const start: unknown = Reflect.get(node, BLOCK_START);
  return (start as SourceLocation | undefined) ?? { file: node.file, line: node.line };
}

interface OpenBlock {
  node: ConfigNode;
  at: SourceLocation;
  outer: ConfigNode[];
  /** Opened without a `{` (openWithoutBrace): keepalived's count of braces does not know it. */
  implicit?: boolean;
}

/**
 * Builds the keyword tree one logical line at a time, so the preprocessor can hand lines over as it
 * makes them: a large config's lines then never pile up in memory beside the tree.
 */
export class BlockParser {
  private readonly root: ConfigNode[] = [];
  private readonly open: OpenBlock[] = [];
  private children: ConfigNode[] = this.root;
  // The statement a following `{` would attach to.
  private candidate: ConfigNode | undefined;
  // A keyword that opens a block, last on its line: when the next line does not start with `{`,
  // keepalived reads that line and the ones after as the block all the same.
  private awaiting: { node: ConfigNode; kind: BlockKind } | undefined;
  // The `{`s written minus the `}`s, never below 0 (blocks opened without a `{` not counted).
  private writtenDepth = 0;
  // Where a `{` with no keyword before it stood (dropped, but counted as written).
  private readonly orphans: SourceLocation[] = [];
  // How keepalived's processes that do not read a top-level block skip it: by counting its braces as
  // written (lib/parser.c process_stream, skip_sublevel; -1: the keyword's `{` is still to come). A
  // block opened without its `{` ends their count early, and they read the rest of it at the top level.
  private skipping = 0;
  private lastSkipFinding: string | undefined;
  // One string per distinct word: keywords and common values repeat thousands of times in a large
  // config, and the tree holds every word until the model is built.
  private readonly words = new Map<string, string>();

  constructor(private readonly diags: Diagnostics) {}

  addLine(line: SourceLine): void {
    const diags = this.diags;
    const { tokens, error } = tokenizeLine(line.text);
    if (error !== undefined) diags.error(line, undefined, error);
    const mayNeedText = NEEDS_TEXT.test(line.text);
    const awaiting = this.awaiting;
    if (awaiting !== undefined && tokens.length > 0) {
      this.awaiting = undefined;
      if (tokens[0].kind !== 'open') this.openWithoutBrace(awaiting, line);
    }
    this.skipView(tokens, line);
    let i = 0;
    while (i < tokens.length) {
      const token = tokens[i];
      if (token.kind === 'open') {
        this.writtenDepth++;
        const at = { file: line.file, line: line.line };
        const candidate = this.candidate;
        if (candidate !== undefined && candidate.children === undefined) {
          candidate.children = [];
          if (at.line !== candidate.line || at.file !== candidate.file)
            Reflect.defineProperty(candidate, BLOCK_START, { value: at });
          this.open.push({ node: candidate, at, outer: this.children });
          this.children = candidate.children;
        } else {
          // keepalived drops such a brace and reads on in the same block (its count of braces as
          // written keeps it: "There are N missing '}'s" at the end unless a '}' too many makes up)
          diags.error(at, undefined, "unexpected '{' - ignoring");
          this.orphans.push(at);
        }
        this.candidate = undefined;
        i++;
        continue;
      }
      if (token.kind === 'close') {
        // keepalived counts braces as written (lib/parser.c read_line): a block opened without its `{`
        // makes its `}` one too many there, reported as such (its block is closed all the same).
        const extra = this.writtenDepth === 0;
        if (!extra) this.writtenDepth--;
        const block = this.open.pop();
        // at the top level keepalived reads a '}' as an unknown keyword, whatever its count says
        if (extra || block === undefined) diags.error(line, undefined, "unexpected '}' with no block open");
        if (block !== undefined) {
          // Trimmed to size when the block closes, for the same reason as `args` below.
          block.node.children = this.children.slice();
          Reflect.defineProperty(block.node, BLOCK_END, { value: { file: line.file, line: line.line } });
          this.children = block.outer;
        }
        this.candidate = undefined;
        i++;
        continue;
      }
      let j = i + 1;
      while (j < tokens.length && tokens[j].kind === 'word') j++;
      // Sized exactly: an array grown by push reserves room for 17 words, which adds up to tens of MB
      // over the 100,000s of statements of a large config.
      const args = tokens.slice(i + 1, j).map((t) => this.intern(t.text));
      const node: ConfigNode = { file: line.file, line: line.line, keyword: this.intern(token.text), args };
      if (mayNeedText) {
        const text = line.text.slice(token.start, tokens[j - 1].end);
        if (NEEDS_TEXT.test(text)) Object.defineProperty(node, STATEMENT_TEXT, { value: text });
      }
      this.children.push(node);
      this.candidate = node;
      const kind = this.blockKindHere(node.keyword);
      // A list's keyword takes no word of its own (virtual_server_group's name aside, which keepalived
      // takes off before reading the list): keepalived reports the first and reads the list without them.
      if (kind === 'values' && args.length > 0 && node.keyword !== 'virtual_server_group')
        diags.error(
          node,
          node.keyword,
          `block has extra parameters ${args[0]} ..., ignored as keepalived ignores them`,
        );
      if (kind !== undefined && j === tokens.length) this.awaiting = { node, kind };
      i = j;
    }
  }

  /**
   * keepalived's skipping processes on this line (each brace a line of its own, as its read_line splits
   * them). Where they are back at the top level while the block is still open here, what they report
   * (an unknown keyword, an unexpected `{` or `}`) is reported at this line too: keepalived's -t prints
   * every process's findings. Inside an unknown top-level block the model reads the lines at the top
   * level itself (values.ts), so nothing is added there.
   */
  private skipView(tokens: readonly { kind: string; text: string }[], line: SourceLocation): void {
    const outer = this.open[0]?.node;
    const report = outer !== undefined && KEYWORD_SUPPORT['']?.[outer.keyword] !== undefined;
    let flagged: string | undefined;
    // the count of braces as written, to leave a `}` that addLine reports as one too many to it
    let written = this.writtenDepth;
    let i = 0;
    while (i < tokens.length) {
      const t = tokens[i];
      const extraBrace = t.kind === 'close' && written === 0;
      if (t.kind === 'open') written++;
      else if (t.kind === 'close' && written > 0) written--;
      if (this.skipping === -1) {
        this.skipping = t.kind === 'open' ? 1 : 0;
        if (t.kind === 'open') {
          i++;
          continue;
        }
      }
      if (this.skipping > 0) {
        if (t.kind === 'open') this.skipping++;
        else if (t.kind === 'close') this.skipping--;
        i++;
        continue;
      }
      if (t.kind !== 'word') {
        if (!extraBrace) flagged ??= t.text;
        i++;
        continue;
      }
      if (KEYWORD_SUPPORT['']?.[t.text] !== undefined) this.skipping = -1;
      else flagged ??= t.text;
      // the rest of the words go with their keyword, up to the next brace
      i++;
      while (i < tokens.length && tokens[i].kind === 'word') i++;
    }
    // the preprocessor hands a line split at its braces over in pieces: one finding per line
    const here = `${line.file}:${line.line}`;
    if (flagged !== undefined && report && here !== this.lastSkipFinding) {
      this.lastSkipFinding = here;
      const what = flagged === '{' ? "unexpected '{'" : 'unknown keyword';
      this.diags.error(
        line,
        flagged,
        `keepalived's processes that skip this block count its braces as written, so they read this line at the top level: ${what}`,
      );
    }
  }

  /** What block `keyword` opens where the parser stands. */
  private blockKindHere(keyword: string): BlockKind | undefined {
    const path: string[] = [];
    for (const block of this.open) path.push(block.node.keyword);
    return blockKind(path, keyword);
  }

  /** keepalived's reading of a block keyword whose `{` is missing: the block starts at `line`. */
  private openWithoutBrace(awaiting: { node: ConfigNode; kind: BlockKind }, line: SourceLocation): void {
    const { node, kind } = awaiting;
    const at = { file: line.file, line: line.line };
    const message =
      "'{' missing at the start of its block: the lines after it are read as the block, as keepalived does";
    // keepalived counts a keyword table's missing brace as a configuration error and only logs a list's.
    if (kind === 'keywords') this.diags.error(at, node.keyword, message);
    else if (node.keyword === 'virtual_server_group') {
      // keepalived's handler passes the list reader a line without its keyword, which it then names in
      // that message: its checker's parser stops there (exit 2), as on a missing argument
      this.diags.ranked(
        'abort',
        'error',
        at,
        node.keyword,
        `${message}; keepalived's checker stops reading here`,
      );
      const d = this.diags.items.at(-1);
      if (d !== undefined) d.checker = true;
    } else this.diags.note(at, node.keyword, message);
    node.children = [];
    Reflect.defineProperty(node, BLOCK_START, { value: at });
    this.open.push({ node, at, outer: this.children, implicit: true });
    this.children = node.children;
    this.candidate = undefined;
  }

  private intern(word: string): string {
    const known = this.words.get(word);
    if (known !== undefined) return known;
    this.words.set(word, word);
    return word;
  }

  /** The tree; blocks still open are reported as not closed. */
  finish(): ConfigNode[] {
    // As many as keepalived counts ("There are N missing '}'s"): a block opened without its `{` took a
    // `}` that keepalived counts against a written `{`, so it may leave none unclosed in its count.
    let unclosed = this.writtenDepth;
    for (let k = this.open.length - 1; k >= 0 && unclosed > 0; k--) {
      const block = this.open[k];
      if (block.implicit === true) continue;
      unclosed--;
      this.diags.error(block.node, block.node.keyword, "block is not closed (missing '}')");
    }
    for (let k = this.orphans.length - 1; k >= 0 && unclosed > 0; k--, unclosed--) {
      const at = this.orphans[k];
      if (at !== undefined) this.diags.error(at, undefined, "'{' is not closed (missing '}')");
    }
    return this.root;
  }
}

/** Builds the keyword tree; unbalanced braces and unterminated quotes are reported with file:line. */
export function parseBlocks(lines: SourceLine[], diags: Diagnostics): ConfigNode[] {
  const parser = new BlockParser(diags);
  for (const line of lines) parser.addLine(line);
  return parser.finish();
}
