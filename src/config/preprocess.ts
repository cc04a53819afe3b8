// Text -> SourceLine[]: keepalived.conf's line-level language. For each physical line, in order:
// comments go (lexical.ts), then `@id`/`@^id` conditionals, `$NAME=value` definitions (continued over
// lines ending in `\`, up to the first empty line), ~SEQ/~LST replication, parameter substitution
// (after which the line is examined again), `include` variants, and finally a split at every unquoted
// brace, each piece after a brace going through the same steps again (as keepalived does).
// Every output line keeps the file and line number of the physical line it came from.
import { posix } from 'node:path';
import type { ConfigHost, Diagnostics, SourceLine, SourceLocation } from './types.js';
import { Definitions, parseDefinitionLine, type BuiltinContext, type Definition } from './definitions.js';
import { decomment, firstUnquotedBrace, trimLeadingBlanks, trimTrailingBlanks } from './lexical.js';
import { parseLst, parseSeq, type ReplicationResult } from './sequence.js';
import { expandBraces, hasWildcard } from './glob.js';
import {
  INCLUDE_KEYWORDS,
  NO_INCLUDE_CHECKS,
  applyIncludeCheck,
  effectiveChecks,
  type IncludeChecks,
} from './include-check.js';

export interface PreprocessOptions {
  /** Matched by `@id` lines; default: the host name up to its first '.'. */
  configId?: string;
  /** ${_INSTANCE}; default: the config id. */
  instance?: string;
}

// Guards against definitions and sequences that expand into each other forever.
const MAX_EXPANSION_DEPTH = 64;
const MAX_RECHECKS_PER_LINE = 100;
// keepalived's MAXBUF (1024) less the terminating NUL: what one fgets() call reads. Counted here in
// UTF-16 code units, the same as bytes for the ASCII a long line is in practice made of.
const MAX_READ_CHARS = 1023;

interface OpenFile {
  path: string;
  checks: IncludeChecks;
}

class Preprocessor {
  private readonly defs = new Definitions();
  private readonly files: OpenFile[] = [];
  private readonly configId: string;
  private readonly instance: string;
  // Enough block structure to know when `include_check` is inside global_defs.
  private readonly blockKeywords: string[] = [];
  // The last statement line; its keyword is only cut out when a `{` follows (most lines have none).
  private lastStatement: string | undefined;

  constructor(
    private readonly host: ConfigHost,
    opts: PreprocessOptions,
    private readonly diags: Diagnostics,
    private readonly sink: (line: SourceLine) => void,
  ) {
    this.configId = opts.configId ?? host.hostname.split('.')[0];
    this.instance = opts.instance ?? this.configId;
  }

  readMain(mainFile: string): void {
    const path = posix.resolve(this.host.cwd, mainFile);
    const text = this.host.readFile(path);
    if (text === undefined) {
      this.diags.ranked(
        'fatal',
        'error',
        { file: path, line: 0 },
        undefined,
        'cannot read configuration file',
      );
      return;
    }
    this.readFile(path, text, NO_INCLUDE_CHECKS);
  }

  private readFile(path: string, text: string, checks: IncludeChecks): void {
    this.files.push({ path, checks: { ...checks } });
    let collecting: Definition | undefined;
    // One line at a time rather than text.split('\n'): an array of every line of a large file would
    // outlive many garbage collections and be copied by each. A final newline ends the last line.
    let start = 0;
    for (let lineNo = 1; start < text.length; lineNo++) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const physical = text.slice(start, end);
      const newline = end < text.length;
      start = end + 1;
      const pieces =
        physical.length > MAX_READ_CHARS
          ? this.longLinePieces(physical, newline, { file: path, line: lineNo })
          : [{ text: physical, line: lineNo }];
      for (const piece of pieces) {
        const raw = piece.text.endsWith('\r') ? piece.text.replace(/\r+$/, '') : piece.text;
        const at = { file: path, line: piece.line };
        if (collecting) {
          if (!this.continueDefinition(collecting, raw)) collecting = undefined;
          continue;
        }
        const line = decomment(raw);
        if (line === '') continue;
        collecting = this.processText(line, at, true, 0);
      }
    }
    if (collecting) finishDefinition(collecting);
    this.files.pop();
  }

  /**
   * keepalived reads a file with fgets into a buffer of 1024 bytes: a longer line comes in pieces of 1023,
   * each then read as a line of its own (a comment or a quoted string does not go on into the next piece).
   * Its VRRP and checker processes read a copy the parent wrote, each piece (decommented) on a line of its
   * own, and read that copy the same way: a piece still 1023 long there shares the number of the one before
   * and the newline after it takes one more. The pieces carry those numbers, so that our messages name the
   * lines keepalived's do; the lines after them keep their own (keepalived's are shifted), and a note says so.
   * (A line of exactly 1023 leaves only its newline to a second read: read whole, it is not split here.)
   */
  private longLinePieces(
    physical: string,
    newline: boolean,
    at: SourceLocation,
  ): { text: string; line: number }[] {
    const all = newline ? `${physical}\n` : physical;
    const pieces: { text: string; line: number }[] = [];
    let copyLine = at.line - 1;
    for (let i = 0; i < all.length; i += MAX_READ_CHARS) {
      let text = all.slice(i, i + MAX_READ_CHARS);
      if (text.endsWith('\n')) text = text.slice(0, -1);
      const copied = decomment(text.replace(/\r+$/, '')).length;
      if (copied >= MAX_READ_CHARS) pieces.push({ text, line: copyLine++ });
      else pieces.push({ text, line: ++copyLine });
    }
    this.diags.note(
      at,
      undefined,
      `line of ${physical.length} characters: keepalived reads it in ${pieces.length} pieces of at most ${MAX_READ_CHARS}, each a line of its own (its messages number them up to line ${copyLine}, and the lines after it ${copyLine - at.line} further on)`,
    );
    return pieces;
  }

  /** Adds one physical line to a multi-line definition; false once the definition is complete. */
  private continueDefinition(def: Definition, raw: string): boolean {
    // Only a truly empty line ends it early; comment-only and blank-only lines are skipped.
    if (raw === '') {
      finishDefinition(def);
      return false;
    }
    const line = decomment(raw);
    if (line.endsWith('\\')) {
      const body = trimTrailingBlanks(line.slice(0, -1));
      if (body !== '') def.lines.push(body);
      return true;
    }
    if (line === '') return true;
    def.lines.push(line);
    finishDefinition(def);
    return false;
  }

  private get currentFile(): OpenFile {
    return this.files[this.files.length - 1];
  }

  /**
   * Runs one logical line through the pipeline. Returns a definition when the line starts a multi-line
   * definition that must collect the following physical lines.
   */
  private processText(
    input: string,
    at: SourceLocation,
    physical: boolean,
    depth: number,
  ): Definition | undefined {
    if (depth > MAX_EXPANSION_DEPTH) {
      this.diags.error(
        at,
        undefined,
        `expansion nested more than ${MAX_EXPANSION_DEPTH} deep (a definition or ~SEQ that uses itself?)`,
      );
      return undefined;
    }
    let text = input;
    let followLines: string[] = [];
    let rechecks = 0;
    let started: Definition | undefined;
    while (text !== '') {
      if (text[0] === '@') {
        const kept = this.conditional(text);
        if (kept === undefined) break;
        text = kept;
        if (text === '') break;
      }
      const definition = text[0] === '$' ? parseDefinitionLine(text) : undefined;
      if (definition) {
        started = this.define(definition, physical);
        break;
      }
      if (text.startsWith('~SEQ') || text.startsWith('~LST')) {
        this.replicate(text, at, depth);
        break;
      }
      if (text.includes('$')) {
        const r = this.defs.substitute(text, this.builtinContext(at));
        if (r.error !== undefined) {
          this.diags.error(at, undefined, r.error);
          break;
        }
        if (r.changed) {
          text = trimLeadingBlanks(r.text);
          followLines = r.followLines.concat(followLines);
          if (++rechecks > MAX_RECHECKS_PER_LINE) {
            this.diags.error(at, undefined, 'parameter substitution does not terminate');
            break;
          }
          continue;
        }
      }
      if (text.startsWith('include') && this.include(text, at)) break;
      const brace = firstUnquotedBrace(text);
      if (brace < 0) {
        this.emit(trimTrailingBlanks(text), at);
        break;
      }
      if (brace > 0 && text[brace - 1] === '$' && text[brace] === '{')
        this.noteUndefinedBraces(text, brace, at);
      if (brace === 0) {
        this.emit(text[0], at);
        text = trimLeadingBlanks(text.slice(1));
      } else {
        this.emit(trimTrailingBlanks(text.slice(0, brace)), at);
        text = text.slice(brace);
      }
    }
    for (const line of followLines) this.processText(trimLeadingBlanks(line), at, false, depth + 1);
    return started;
  }

  /** keepalived leaves `${NAME}` of an undefined NAME (or with parameters it does not take) in the line, which
   * then splits at its braces like any other: `a${X}b` becomes the lines `a$`, `{`, `X`, `}`, `b`. */
  private noteUndefinedBraces(text: string, brace: number, at: SourceLocation): void {
    const close = text.indexOf('}', brace);
    const ref = text.slice(brace - 1, close < 0 ? text.length : close + 1);
    this.diags.note(
      at,
      undefined,
      `'${ref}' left unexpanded (no such parameter): the line is split at its braces, as keepalived does`,
    );
  }

  /** `@id rest` keeps `rest` when id is the config id (`@^id`: when it is not); undefined drops the line. */
  private conditional(text: string): string | undefined {
    const negated = text[1] === '^';
    const idStart = negated ? 2 : 1;
    const blank = text.slice(idStart).search(/[ \t]/);
    if (blank < 0) return undefined;
    const id = text.slice(idStart, idStart + blank);
    if ((id === this.configId) === negated) return undefined;
    return trimLeadingBlanks(text.slice(idStart + blank));
  }

  private define(
    d: { name: string; value: string; continued: boolean },
    physical: boolean,
  ): Definition | undefined {
    const lines = d.value === '' ? [] : [d.value];
    if (d.continued && physical) return this.defs.define(d.name, lines, true);
    this.defs.define(d.name, lines.length > 0 ? lines : [''], false);
    return undefined;
  }

  private replicate(text: string, at: SourceLocation, depth: number): void {
    const expand = (s: string): string => this.defs.substitute(s, this.builtinContext(at)).text;
    let result: ReplicationResult;
    if (/^~SEQx?[ \t(]/.test(text)) result = parseSeq(text, expand);
    else if (/^~LST[ \t(]/.test(text)) result = parseLst(text, expand);
    else result = { ok: false, message: `unknown replication '${text.split(/[ \t(]/)[0]}' in '${text}'` };
    if (!result.ok) {
      this.diags.error(at, undefined, result.message);
      return;
    }
    const { names, rows, rest } = result.value;
    for (const row of rows) {
      names.forEach((name, i) => this.defs.define(name, [row[i]], false));
      if (rest !== '') this.processText(rest, at, false, depth + 1);
    }
  }

  private builtinContext(at: SourceLocation): BuiltinContext {
    return {
      file: this.currentFile.path,
      instance: this.instance,
      env: this.host.env,
      random: (min, max) => this.host.random(min, max),
      report: (severity, message) =>
        severity === 'error'
          ? this.diags.error(at, undefined, message)
          : this.diags.warn(at, undefined, message),
    };
  }

  private emit(text: string, at: SourceLocation): void {
    if (text === '') return;
    this.sink({ file: at.file, line: at.line, text });
    this.trackBlocks(text, at);
  }

  /** Follows the block structure so that `include_check` inside global_defs takes effect at once. */
  private trackBlocks(text: string, at: SourceLocation): void {
    if (text === '{') {
      this.blockKeywords.push(this.lastStatement === undefined ? '' : firstWord(this.lastStatement));
      this.lastStatement = undefined;
      return;
    }
    if (text === '}') {
      this.blockKeywords.pop();
      this.lastStatement = undefined;
      return;
    }
    this.lastStatement = text;
    if (
      text.startsWith('include_check') &&
      firstWord(text) === 'include_check' &&
      this.blockKeywords.length === 1 &&
      this.blockKeywords[0] === 'global_defs'
    ) {
      const words = text.split(/[ \t]+/);
      const file = this.currentFile;
      const { checks, unknown } = applyIncludeCheck(file.checks, words.slice(1));
      file.checks = checks;
      for (const option of unknown)
        this.diags.warn(at, 'include_check', `unknown include_check type '${option}' - ignoring`);
    }
  }

  /** Handles `include PATTERN` and its variants; false when the line is not an include. */
  private include(text: string, at: SourceLocation): boolean {
    const m = /^(include[a-z]?)(?:[ \t]+(.*))?$/.exec(text);
    if (!m || !INCLUDE_KEYWORDS.has(m[1])) return false;
    const keyword = m[1];
    const pattern = m[2] === undefined ? '' : trimTrailingBlanks(m[2]);
    if (pattern === '') {
      this.diags.error(at, keyword, 'missing file name');
      return true;
    }
    const checks = effectiveChecks(this.currentFile.checks, keyword);
    // keepalived prints every include problem; only those its include checks make errors count (as fatal).
    const report = (isError: boolean, message: string): void =>
      isError
        ? this.diags.ranked('no-config', 'error', at, keyword, message)
        : this.diags.ranked('uncounted', 'warning', at, keyword, message);
    const absolute = posix.resolve(posix.dirname(this.currentFile.path), pattern);
    const alternatives = expandBraces(absolute);
    const matched: string[] = [];
    let failed = false;
    for (const alternative of alternatives) {
      const paths = this.host.glob(alternative);
      if (paths.length === 0) {
        const isError =
          (alternatives.length > 1 && checks.braceMatch) ||
          checks.wildcardMatch ||
          (checks.match && !hasWildcard(alternative));
        // Without a check keepalived says nothing of a wildcard matching nothing in a directory that exists.
        const dir = posix.dirname(alternative);
        const quiet =
          !isError && hasWildcard(alternative) && (hasWildcard(dir) || this.host.glob(dir).length > 0);
        const which = alternatives.length > 1 ? `'${alternative}' (from '${pattern}')` : `'${pattern}'`;
        if (!quiet) report(isError, `no file matches ${which}`);
        failed ||= isError;
      }
      matched.push(...paths);
    }
    // keepalived reads none of the files when a check fails.
    if (failed) return true;
    for (const path of matched) this.includeFile(path, checks, report);
    return true;
  }

  private includeFile(
    path: string,
    checks: IncludeChecks,
    report: (isError: boolean, message: string) => void,
  ): void {
    if (path.endsWith('/')) {
      report(checks.readable, `'${path}' is a directory - skipping`);
      return;
    }
    const open = this.files.findIndex((f) => f.path === path);
    if (open >= 0) {
      const chain = [...this.files.slice(open).map((f) => f.path), path].join(' -> ');
      report(true, `'${path}' is already being read (include cycle: ${chain}) - skipping`);
      return;
    }
    const text = this.host.readFile(path);
    if (text === undefined) {
      report(checks.readable, `cannot read '${path}'`);
      return;
    }
    // The include_check in force is saved with the file and restored when it ends.
    this.readFile(path, text, this.currentFile.checks);
  }
}

/** The text up to the first blank. */
function firstWord(text: string): string {
  const blank = text.search(/[ \t]/);
  return blank < 0 ? text : text.slice(0, blank);
}

function finishDefinition(def: Definition): void {
  if (def.lines.length === 0) {
    def.lines.push('');
    def.multiline = false;
  }
}

/** Reads the main configuration file and everything it includes into logical lines. */
export function preprocess(
  mainFile: string,
  host: ConfigHost,
  opts: PreprocessOptions,
  diags: Diagnostics,
): SourceLine[] {
  const out: SourceLine[] = [];
  preprocessEach(mainFile, host, opts, diags, (line) => out.push(line));
  return out;
}

/** `preprocess`, handing each logical line to `sink` as soon as it is made, in order. */
export function preprocessEach(
  mainFile: string,
  host: ConfigHost,
  opts: PreprocessOptions,
  diags: Diagnostics,
  sink: (line: SourceLine) => void,
): void {
  new Preprocessor(host, opts, diags, sink).readMain(mainFile);
}
