// `$NAME=value` parameters and their substitution, with keepalived's rules: values are expanded at use
// time and the result is rescanned (so substitution is recursive); `$NAME` must be followed by a blank,
// ',', ')' or the end of the line, `${NAME}` by anything; undefined names are left untouched; a
// multi-line definition is only expanded where its reference ends the line.

/** A parameter: one line, or several (a definition continued with `\`). */
export interface Definition {
  lines: string[];
  multiline: boolean;
}

/** What the built-in parameters need to know; `report` receives problems found while expanding. */
export interface BuiltinContext {
  /** The file being read, for ${_PWD}. */
  file: string;
  instance: string;
  env: Record<string, string | undefined>;
  random(min: number, max: number): number;
  report(severity: 'error' | 'warning', message: string): void;
}

export interface SubstitutionResult {
  text: string;
  changed: boolean;
  /** Further lines of multi-line definitions, to be processed after `text`, in order. */
  followLines: string[];
  /** Set when substitution could not finish (it does not terminate). */
  error?: string;
}

const DEFINITION_LINE = /^\$([A-Za-z_][A-Za-z0-9_]*)=/;
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const RANDOM_PARAMS = /^(\d+)(?:[ \t]+(\d+))?$/;
const ENV_PARAMS = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_RANDOM_MAX = 32767;
// Each replacement is rescanned; a definition that refers to itself would never stop.
const MAX_REPLACEMENTS_PER_LINE = 10_000;

/** Parses `$NAME=value`: value with leading blanks removed; `continued` when it ends with `\`. */
export function parseDefinitionLine(
  text: string,
): { name: string; value: string; continued: boolean } | undefined {
  const m = DEFINITION_LINE.exec(text);
  if (!m) return undefined;
  let value = text.slice(m[0].length).replace(/^[ \t]+/, '');
  const continued = value.endsWith('\\');
  if (continued) value = value.slice(0, -1).replace(/[ \t]+$/, '');
  return { name: m[1], value, continued };
}

interface Reference {
  name: string;
  /** Parameters inside `${NAME params}`, when present. */
  params?: string;
  /** Index just past the reference. */
  end: number;
}

/** Reads a `$NAME` or `${NAME[ params]}` reference at `at` (which holds '$'). */
function readReference(text: string, at: number): Reference | undefined {
  const braces = text[at + 1] === '{';
  const nameStart = at + (braces ? 2 : 1);
  if (nameStart >= text.length || !NAME_START.test(text[nameStart])) return undefined;
  let k = nameStart + 1;
  while (k < text.length && NAME_CHAR.test(text[k])) k++;
  const name = text.slice(nameStart, k);
  if (!braces) {
    const next = text[k];
    if (next === undefined || next === ' ' || next === '\t' || next === ',' || next === ')')
      return { name, end: k };
    return undefined;
  }
  if (text[k] === '}') return { name, end: k + 1 };
  if (text[k] !== ' ' && text[k] !== '\t') return undefined;
  const close = text.indexOf('}', k);
  if (close < 0) return undefined;
  const params = text.slice(k, close).replace(/^[ \t]+/, '');
  // keepalived refuses parameters that end with a blank.
  if (params === '' || /[ \t]$/.test(params) || /[{"]/.test(params)) return undefined;
  return { name, params, end: close + 1 };
}

function directoryOf(file: string): string {
  const slash = file.lastIndexOf('/');
  if (slash < 0) return '.';
  return slash === 0 ? '/' : file.slice(0, slash);
}

/** The table of parameters in force while the configuration is read. */
export class Definitions {
  private readonly table = new Map<string, Definition>();

  /** Defines (or redefines) NAME; a user definition also hides a built-in of the same name. */
  define(name: string, lines: string[], multiline: boolean): Definition {
    const def: Definition = { lines, multiline };
    this.table.set(name, def);
    return def;
  }

  get(name: string): Definition | undefined {
    return this.table.get(name);
  }

  /** Expands every reference in `text`; see the file comment for the rules. */
  substitute(text: string, ctx: BuiltinContext): SubstitutionResult {
    let pos = text.indexOf('$');
    if (pos < 0) return { text, changed: false, followLines: [] };
    let out = text;
    let changed = false;
    let followLines: string[] = [];
    let replacements = 0;
    while (pos >= 0 && pos < out.length - 1) {
      const ref = readReference(out, pos);
      const value = ref ? this.resolve(ref, ref.end === out.length, ctx) : undefined;
      if (ref === undefined || value === undefined) {
        pos = out.indexOf('$', pos + 1);
        continue;
      }
      if (++replacements > MAX_REPLACEMENTS_PER_LINE) {
        return {
          text: out,
          changed,
          followLines,
          error: `parameter substitution does not terminate ('$${ref.name}' refers to itself?)`,
        };
      }
      out = out.slice(0, pos) + value.first + out.slice(ref.end);
      changed = true;
      // Lines of a multi-line definition expanded later in the scan (they can only come from the end
      // of the first line) are read before the rest of the outer definition.
      if (value.rest.length > 0) followLines = value.rest.concat(followLines);
      // A value that starts a ~SEQ/~LST must be replicated before the rest of the line is expanded.
      if (/^[ \t]*~/.test(value.first)) break;
      pos = out.indexOf('$', pos);
    }
    return { text: out, changed, followLines };
  }

  private resolve(
    ref: Reference,
    atEnd: boolean,
    ctx: BuiltinContext,
  ): { first: string; rest: string[] } | undefined {
    const def = this.table.get(ref.name);
    if (def) {
      if (ref.params !== undefined) return undefined;
      if (def.multiline && !atEnd) return undefined;
      return { first: def.lines[0] ?? '', rest: def.multiline ? def.lines.slice(1) : [] };
    }
    const builtin = this.builtin(ref, ctx);
    return builtin === undefined ? undefined : { first: builtin, rest: [] };
  }

  private builtin(ref: Reference, ctx: BuiltinContext): string | undefined {
    switch (ref.name) {
      case '_PWD':
        return ref.params === undefined ? directoryOf(ctx.file) : undefined;
      case '_INSTANCE':
        return ref.params === undefined ? ctx.instance : undefined;
      case '_HASH':
        return ref.params === undefined ? '#' : undefined;
      case '_BANG':
        return ref.params === undefined ? '!' : undefined;
      case '_RANDOM': {
        let min = 0;
        let max = DEFAULT_RANDOM_MAX;
        if (ref.params !== undefined) {
          const m = RANDOM_PARAMS.exec(ref.params);
          if (!m) return undefined;
          min = Number(m[1]);
          if (m[2] !== undefined) max = Number(m[2]);
        }
        if (min > max) {
          ctx.report('error', `\${_RANDOM ${ref.params ?? ''}}: MIN ${min} is greater than MAX ${max}`);
          return undefined;
        }
        return String(ctx.random(min, max));
      }
      case '_ENV': {
        if (ref.params === undefined || !ENV_PARAMS.test(ref.params)) return undefined;
        const value = ctx.env[ref.params];
        if (value === undefined) {
          ctx.report('warning', `\${_ENV ${ref.params}}: environment variable ${ref.params} is not set`);
          return '';
        }
        return value;
      }
      default:
        return undefined;
    }
  }
}
