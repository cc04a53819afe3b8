// ~SEQ(var, start, step, end), ~SEQx(...) and ~LST(var, v1, v2, ...): the line replicators.
// Each yields the rows of variable assignments and the rest of the line to process once per row.
// keepalived's rules: ~SEQ takes 1 to 3 integers in C notation (0x.. hex, 0.. octal):
//   (end)              start = 1 (or -1 if end < 0), step = 1 (or -1 if end < 1)
//   (start, end)       step = 1 if start <= end, else -1
//   (start, step, end) step must be non-zero and point from start towards end
// the first value is always produced; ~SEQx prints lower-case hex and refuses negative bounds.
// ~LST's variable may be a `{A, B}` group, each value then a `{a, b}` group; at least one value.

export interface Replication {
  /** Variable names, set in order for each row. */
  names: string[];
  rows: string[][];
  /** The text to process once per row. */
  rest: string;
}

export type ReplicationResult = { ok: true; value: Replication } | { ok: false; message: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const C_INTEGER = /^[+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
// A guard against a typo producing millions of lines.
const MAX_ROWS = 1_000_000;

function parseCInteger(text: string): number | undefined {
  const t = text.trim();
  if (!C_INTEGER.test(t)) return undefined;
  const negative = t.startsWith('-');
  const body = t.replace(/^[+-]/, '');
  let value: number;
  if (/^0[xX]/.test(body)) value = parseInt(body.slice(2), 16);
  else if (body.length > 1 && body.startsWith('0')) value = parseInt(body.slice(1), 8);
  else value = parseInt(body, 10);
  return negative ? -value : value;
}

/** Splits `text` at commas that are outside `{...}` groups. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Finds `(` after the directive and the first `)` after it; returns inner text and the rest of the line. */
function openParens(text: string, at: number, directive: string): { inner: string; rest: string } | string {
  let p = at;
  while (text[p] === ' ' || text[p] === '\t') p++;
  if (text[p] !== '(') return `invalid ${directive} specification: expected '(' in '${text}'`;
  const close = text.indexOf(')', p + 1);
  if (close < 0) return `invalid ${directive} specification: missing ')' in '${text}'`;
  return { inner: text.slice(p + 1, close), rest: text.slice(close + 1).replace(/^[ \t]+/, '') };
}

/** Parses a line starting `~SEQ` or `~SEQx`; `expand` substitutes parameters in the numbers. */
export function parseSeq(text: string, expand: (s: string) => string): ReplicationResult {
  const hex = text[4] === 'x';
  const directive = hex ? '~SEQx' : '~SEQ';
  const parens = openParens(text, hex ? 5 : 4, directive);
  if (typeof parens === 'string') return { ok: false, message: parens };
  const comma = parens.inner.indexOf(',');
  const name = (comma < 0 ? parens.inner : parens.inner.slice(0, comma)).trim();
  if (comma < 0 || !NAME.test(name)) {
    return {
      ok: false,
      message: `invalid ${directive} definition '${text}': expected (var, [start, [step,]] end)`,
    };
  }
  const numbers = expand(parens.inner.slice(comma + 1))
    .split(',')
    .map(parseCInteger);
  if (numbers.length > 3 || numbers.some((n) => n === undefined)) {
    return { ok: false, message: `invalid ${directive} definition '${text}': expected 1 to 3 integers` };
  }
  const values = numbers as number[];
  let start: number;
  let step: number;
  let end: number;
  if (values.length === 1) {
    end = values[0];
    step = end < 1 ? -1 : 1;
    start = end < 0 ? -1 : 1;
  } else if (values.length === 2) {
    [start, end] = values;
    step = start <= end ? 1 : -1;
  } else {
    [start, step, end] = values;
    if (step === 0 || (start < end && step < 0) || (start > end && step > 0)) {
      return { ok: false, message: `invalid ${directive} values '${text}': step cannot reach the end` };
    }
  }
  if (hex && (start < 0 || end < 0)) {
    return { ok: false, message: `~SEQx is only valid for positive numbers '${text}'` };
  }
  const count = Math.floor((end - start) / step) + 1;
  if (count > MAX_ROWS) {
    return {
      ok: false,
      message: `${directive} would produce ${count} lines (more than ${MAX_ROWS}) '${text}'`,
    };
  }
  const rows: string[][] = [];
  for (let v = start, i = 0; i < count; v += step, i++) rows.push([hex ? v.toString(16) : String(v)]);
  return { ok: true, value: { names: [name], rows, rest: parens.rest } };
}

function ungroup(item: string): string[] | undefined {
  const t = item.trim();
  if (!t.startsWith('{')) return [t];
  if (!t.endsWith('}')) return undefined;
  return t
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim());
}

/** Parses a line starting `~LST`; `expand` substitutes parameters in the list. */
export function parseLst(text: string, expand: (s: string) => string): ReplicationResult {
  const parens = openParens(text, 4, '~LST');
  if (typeof parens === 'string') return { ok: false, message: parens };
  const inner = expand(parens.inner);
  if (inner.includes('"'))
    return { ok: false, message: `invalid ~LST specification '${text}': quotes are not allowed` };
  const [spec, ...items] = splitTopLevel(inner);
  const names = ungroup(spec);
  if (names === undefined || names.length === 0 || names.some((n) => !NAME.test(n))) {
    return { ok: false, message: `invalid ~LST specification '${text}': bad variable name` };
  }
  if (items.length === 0) return { ok: false, message: `invalid ~LST specification '${text}': no values` };
  const rows: string[][] = [];
  for (const item of items) {
    const row = ungroup(item);
    if (row === undefined)
      return { ok: false, message: `invalid ~LST specification '${text}': unbalanced '{'` };
    if (row.length > names.length) {
      return { ok: false, message: `~LST specification has too many values '${text}'` };
    }
    while (row.length < names.length) row.push('');
    rows.push(row);
  }
  return { ok: true, value: { names, rows, rest: parens.rest } };
}
