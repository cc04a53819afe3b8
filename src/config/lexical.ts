// The character-level rules of keepalived.conf, shared by the preprocessor and the block parser:
// comment stripping, where a line splits at braces, how a line splits into words, and the
// quoted-and-escaped word splitting keepalived applies to script command lines.

function isBlankCode(code: number): boolean {
  return code === 32 || code === 9;
}

/** Removes leading blanks (space and tab only, as keepalived does). */
export function trimLeadingBlanks(s: string): string {
  let i = 0;
  while (i < s.length && isBlankCode(s.charCodeAt(i))) i++;
  return i === 0 ? s : s.slice(i);
}

/** Removes trailing blanks (space and tab only, as keepalived does). */
export function trimTrailingBlanks(s: string): string {
  let end = s.length;
  while (end > 0 && isBlankCode(s.charCodeAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

/**
 * keepalived's comment rules for one physical line: leading blanks go; the first `#` or `!` that is not
 * inside double quotes starts a comment; `\#` and `\!` outside quotes stand for the literal character;
 * any other backslash pair is kept as written. A backslash that ends the line marks a continuation and
 * is kept, directly after the last non-blank character (keepalived re-appends it after trimming).
 */
export function decomment(raw: string): string {
  const line = trimLeadingBlanks(raw);
  if (!/["#!\\]/.test(line)) return trimTrailingBlanks(line);
  const parts: string[] = [];
  let sliceStart = 0;
  let outLength = 0;
  let cutAt = -1;
  let inQuote = false;
  let continued = false;
  let end = line.length;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      if (cutAt < 0) inQuote = !inQuote;
    } else if (c === '\\') {
      if (i + 1 >= line.length) {
        continued = true;
        end = i;
        break;
      }
      const next = line[i + 1];
      if (!inQuote && cutAt < 0 && (next === '#' || next === '!')) {
        // Drop the backslash, keep the comment character as text.
        parts.push(line.slice(sliceStart, i));
        outLength += i - sliceStart;
        sliceStart = i + 1;
      }
      i++;
    } else if ((c === '#' || c === '!') && !inQuote && cutAt < 0) {
      cutAt = outLength + (i - sliceStart);
    }
  }
  parts.push(line.slice(sliceStart, end));
  let out = parts.join('');
  if (cutAt >= 0) out = out.slice(0, cutAt);
  out = trimTrailingBlanks(out);
  return continued ? out + '\\' : out;
}

/**
 * Index of the first `{` or `}` outside double quotes, or -1. A `${NAME}` still in the text (NAME is not
 * defined) is no exception: keepalived splits the line at its braces too.
 */
export function firstUnquotedBrace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) return -1;
      i = close;
    } else if (c === '{' || c === '}') {
      return i;
    }
  }
  return -1;
}

export type TokenKind = 'word' | 'open' | 'close';

export interface Token {
  kind: TokenKind;
  /** The word without its quotes; `{` or `}` for braces. */
  text: string;
  /** Offsets in the line: [start, end) including any quotes. */
  start: number;
  end: number;
}

export interface TokenizedLine {
  tokens: Token[];
  /** Set when a double quote is not closed; the tokens before it are kept, the rest is dropped. */
  error?: string;
}

// keepalived's word separators: space, \t, \n, \v, \f, \r.
function isWhitespace(c: string): boolean {
  const code = c.charCodeAt(0);
  return code === 32 || (code >= 9 && code <= 13);
}

/**
 * Splits a line into words the way keepalived does: whitespace separates words; a word starting with `"`
 * runs to the next `"` (no escapes) and loses its quotes; an unquoted word also ends at a `"`; an unquoted
 * `{` or `}` is a token of its own.
 */
export function tokenizeLine(text: string): TokenizedLine {
  if (text === '{' || text === '}') {
    return { tokens: [{ kind: text === '{' ? 'open' : 'close', text, start: 0, end: 1 }] };
  }
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && isWhitespace(text[i])) i++;
    if (i >= n) break;
    const c = text[i];
    if (c === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) return { tokens, error: `unterminated quoted string: ${text.slice(i)}` };
      tokens.push({ kind: 'word', text: text.slice(i + 1, close), start: i, end: close + 1 });
      i = close + 1;
      continue;
    }
    if (c === '{' || c === '}') {
      tokens.push({ kind: c === '{' ? 'open' : 'close', text: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    const start = i;
    while (i < n) {
      const d = text[i];
      if (isWhitespace(d) || d === '"' || d === '{' || d === '}') break;
      i++;
    }
    tokens.push({ kind: 'word', text: text.slice(start, i), start, end: i });
  }
  return { tokens };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

function isOctal(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '7';
}

/**
 * keepalived's second word splitter, used for script command lines (`script`, `misc_path`,
 * `notify*`): words are separated by whitespace; inside a word, "..." and '...' sections keep their
 * whitespace and lose their quotes; backslash escapes work everywhere (also inside single quotes):
 * \a \b \E \f \n \r \t \v, \nnn (1-3 octal digits), \xHH (1-2 hex digits), \cC (control-C),
 * and \C for any other C is C itself.
 */
export function splitQuotedEscaped(src: string): { words: string[] } | { error: string } {
  const words: string[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    while (i < n && isWhitespace(src[i])) i++;
    if (i >= n) break;
    let word = '';
    let quote = '';
    while (i < n) {
      const c = src[i];
      if (c === '\\') {
        i++;
        if (i >= n) return { error: `missing escaped character at end of '${src}'` };
        const e = src[i];
        if (e === 'x' && isHex(src[i + 1])) {
          let code = 0;
          let digits = 0;
          i++;
          while (digits < 2 && isHex(src[i])) {
            code = code * 16 + parseInt(src[i], 16);
            i++;
            digits++;
          }
          word += String.fromCharCode(code);
        } else if (e === 'c' && i + 1 < n) {
          word += String.fromCharCode(src.charCodeAt(i + 1) & 0x1f);
          i += 2;
        } else if (isOctal(e)) {
          let code = 0;
          let digits = 0;
          while (digits < 3 && isOctal(src[i])) {
            code = code * 8 + (src.charCodeAt(i) - 48);
            i++;
            digits++;
          }
          word += String.fromCharCode(code & 0xff);
        } else {
          word += SIMPLE_ESCAPES[e] ?? e;
          i++;
        }
        continue;
      }
      if (quote) {
        if (c === quote) quote = '';
        else word += c;
        i++;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        i++;
        continue;
      }
      if (isWhitespace(c)) break;
      word += c;
      i++;
    }
    if (quote) return { error: `missing terminating ${quote} in '${src}'` };
    words.push(word);
  }
  return { words };
}
