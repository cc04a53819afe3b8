// keepalived matches HTTP_GET / SSL_GET bodies with PCRE2; we match with a JavaScript RegExp. This maps
// the PCRE2 compile options keepalived accepts in `regex_options` (check_http.c's table) onto what a
// RegExp can do: a flag where one exists, a rewrite of the pattern where PCRE2 and JavaScript read the
// same text differently, a check on the match (firstline), or nothing where the option cannot change
// whether a body matches. Pure: no I/O.

/** The option names keepalived 2.4.3 accepts, in its order; any other word it ignores silently. */
export const PCRE2_OPTION_NAMES = [
  'allow_empty_class',
  'alt_bsux',
  'auto_callout',
  'caseless',
  'dollar_endonly',
  'dotall',
  'dupnames',
  'extended',
  'firstline',
  'match_unset_backref',
  'multiline',
  'never_ucp',
  'never_utf',
  'no_auto_capture',
  'no_auto_possess',
  'no_dotstar_anchor',
  'no_start_optimize',
  'ucp',
  'ungreedy',
  'utf',
  'never_backslash_c',
  'alt_circumflex',
  'alt_verbnames',
  'use_offset_limit',
] as const;
export type Pcre2Option = (typeof PCRE2_OPTION_NAMES)[number];

/**
 * Options whose effect a RegExp cannot give, with what happens instead (said at the keyword's line).
 * The others are mapped: caseless (i), multiline (m), dotall (s), utf (u, body read as UTF-8),
 * extended, ungreedy, no_auto_capture, allow_empty_class and dollar_endonly (pattern rewrites), firstline
 * (a check on the match); alt_bsux, alt_circumflex and match_unset_backref are how a RegExp always
 * behaves; the rest (optimisation switches, callouts, verbs, \C, (*UTF)/(*UCP), offset limits) cannot
 * change a verdict here.
 */
export const PCRE2_OPTIONS_WITHOUT_EQUIVALENT: Partial<Record<Pcre2Option, string>> = {
  ucp: 'JavaScript has no ucp: \\w, \\d and \\b stay ASCII',
  dupnames: 'JavaScript (Node 20) refuses a pattern naming two groups alike, which dupnames would allow',
};

/** Options without which PCRE2 differs from a RegExp in a way we do not emulate (said at the line). */
export const JS_BEHAVES_AS: Partial<Record<Pcre2Option, string>> = {
  match_unset_backref:
    'a back reference to an unset group matches the empty string, as with match_unset_backref',
  alt_circumflex: 'in multiline mode ^ also matches after a final newline, as with alt_circumflex',
};

export interface CompiledPcre2 {
  regex: RegExp;
  /** firstline: the match must start at or before the first newline after the start offset. */
  firstLine: boolean;
  /** utf: the body is read as UTF-8 (else byte for byte, latin1). */
  utf8: boolean;
}

/** The RegExp (global, so lastIndex sets the start offset) that stands for `pattern` with `options`. */
export function compilePcre2(pattern: string, options: readonly string[] = []): CompiledPcre2 {
  const on = new Set(options);
  let source = pattern;
  if (on.has('extended')) source = stripExtended(source);
  source = rewrite(source, {
    ungreedy: on.has('ungreedy'),
    noAutoCapture: on.has('no_auto_capture'),
    allowEmptyClass: on.has('allow_empty_class'),
    // PCRE2's $ (not multiline) also matches before a final newline; a RegExp's only at the very end.
    dollarBeforeFinalNewline: !on.has('dollar_endonly') && !on.has('multiline'),
  });
  let flags = 'g';
  if (on.has('caseless')) flags += 'i';
  if (on.has('multiline')) flags += 'm';
  if (on.has('dotall')) flags += 's';
  if (on.has('utf')) flags += 'u';
  return { regex: new RegExp(source, flags), firstLine: on.has('firstline'), utf8: on.has('utf') };
}

/** Whether `body` holds a match starting within [minOffset, maxOffset] (maxOffset inclusive). */
export function pcre2Matches(
  compiled: CompiledPcre2,
  body: string,
  minOffset = 0,
  maxOffset?: number,
): boolean {
  const re = compiled.regex;
  re.lastIndex = minOffset;
  const m = re.exec(body);
  if (m === null) return false;
  if (maxOffset !== undefined && m.index > maxOffset) return false;
  if (compiled.firstLine) {
    const newline = body.indexOf('\n', minOffset);
    if (newline >= 0 && m.index > newline) return false;
  }
  return true;
}

const EXTENDED_SPACE = new Set([' ', '\t', '\n', '\v', '\f', '\r']);

/** PCRE2_EXTENDED: white space and #-comments outside character classes are not part of the pattern. */
export function stripExtended(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // a ] right after [ or [^ belongs to the class
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
      continue;
    }
    if (EXTENDED_SPACE.has(c)) continue;
    if (c === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i++;
      continue;
    }
    out += c;
  }
  return out;
}

interface RewriteOptions {
  ungreedy: boolean;
  noAutoCapture: boolean;
  allowEmptyClass: boolean;
  dollarBeforeFinalNewline: boolean;
}

const QUANTIFIER_BRACES = /^\{\d+(?:,\d*)?\}/;

/** One pass over the pattern, outside character classes, for the rewrites the options ask. */
function rewrite(pattern: string, o: RewriteOptions): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (c === '[') {
      // PCRE2 reads a ] right after [ or [^ as a member (unless allow_empty_class); a RegExp as the end.
      let j = i + 1;
      let head = '[';
      if (pattern[j] === '^') head += pattern[j++];
      if (pattern[j] === ']' && !o.allowEmptyClass) {
        head += '\\]';
        j++;
      }
      let body = '';
      while (j < pattern.length && pattern[j] !== ']') {
        if (pattern[j] === '\\') body += pattern[j++];
        body += pattern[j++] ?? '';
      }
      out += `${head}${body}]`;
      i = j;
      continue;
    }
    if (c === '(' && o.noAutoCapture && pattern[i + 1] !== '?' && pattern[i + 1] !== '*') {
      out += '(?:';
      continue;
    }
    if (c === '$' && o.dollarBeforeFinalNewline) {
      out += '(?=\\n?$)';
      continue;
    }
    const braces = c === '{' ? QUANTIFIER_BRACES.exec(pattern.slice(i)) : null;
    if (c === '*' || c === '+' || c === '?' || braces !== null) {
      // a ? right after ( opens a group; it quantifies nothing
      if (c === '?' && out.endsWith('(')) {
        out += c;
        continue;
      }
      const quantifier = braces !== null ? braces[0] : c;
      i += quantifier.length - 1;
      out += quantifier;
      if (!o.ungreedy) continue;
      if (pattern[i + 1] === '?') i++;
      else out += '?';
    } else out += c;
  }
  return out;
}
