// Pure helpers for include patterns, following glob(3) with GLOB_BRACE as keepalived calls it:
// csh-style brace alternatives, then `*`, `?` and `[...]` within one path segment, where a wildcard
// never matches a leading '.' and never crosses '/'.

/** True when the pattern has a glob wildcard (`*`, `?` or `[`); braces are not wildcards. */
export function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/**
 * Expands csh-style braces: `a{b,c{d,e}}f` -> [abf, acdf, acef], alternatives in written order.
 * An unbalanced `{` is kept literally.
 */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  if (close < 0) {
    // Unbalanced: keep this brace literally, but still expand any later balanced group.
    return expandBraces(pattern.slice(open + 1)).map((rest) => pattern.slice(0, open + 1) + rest);
  }
  const prefix = pattern.slice(0, open);
  const suffix = pattern.slice(close + 1);
  const bounds = [open, ...commas, close];
  const result: string[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const alternative = pattern.slice(bounds[k] + 1, bounds[k + 1]);
    for (const expanded of expandBraces(prefix + alternative + suffix)) result.push(expanded);
  }
  return result;
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? '\\' + c : c;
}

/** A RegExp matching one path segment (no '/') against a glob segment. */
export function segmentMatcher(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '\\' && i + 1 < segment.length) {
      re += escapeRegExp(segment[++i]);
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      let negate = false;
      if (body[0] === '!' || body[0] === '^') {
        negate = true;
        body = body.slice(1);
      }
      re += '[' + (negate ? '^' : '') + body.replace(/[\\\]^]/g, (m) => '\\' + m) + ']';
      i = close;
    } else {
      re += escapeRegExp(c);
    }
  }
  // A wildcard never matches a leading '.' unless the pattern itself starts with one.
  const guard = segment.startsWith('.') ? '' : '(?!\\.)';
  return new RegExp('^' + guard + re + '$');
}

/** Removes glob backslash escapes from a literal segment. */
export function unescapeSegment(segment: string): string {
  return segment.replace(/\\(.)/g, '$1');
}
