// Routing table names of `table NAME` in routes and rules, resolved as keepalived 2.4.3 does
// (lib/rttables.c): a number (decimal, 0x hex or 0 octal) is itself; a name comes from rt_tables in
// iproute_etc_dir (/etc/iproute2), or else in iproute_usr_dir (/usr/share/iproute2), then from the
// *.conf files of rt_tables.d in the usr directory (unless the etc directory has one of the same name)
// and in the etc directory; default, main and local are known unless a file gives their number another
// name. An unknown name is keepalived's config error ("Routing table X not found for route"), and the route
// or rule is dropped. Files are read through the ConfigHost, so -t and the daemon agree.
import type { ConfigHost, Diagnostics } from '../../types.js';
import type { GlobalDefs } from '../global/global.js';
import type { RouteSpec } from './routes.js';
import type { RuleSpec } from './rules.js';

export const DEFAULT_IPROUTE_ETC_DIR = '/etc/iproute2';
export const DEFAULT_IPROUTE_USR_DIR = '/usr/share/iproute2';

const RT_TABLE_MAX = 0xffffffff;
const DEFAULT_TABLES: ReadonlyArray<[number, string]> = [
  [253, 'default'],
  [254, 'main'],
  [255, 'local'],
];

/** strtoul(text, 0) over the whole text, or undefined. */
function cNumber(text: string): number | undefined {
  const t = text.trim();
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return parseInt(t.slice(2), 16);
  if (/^0[0-7]*$/.test(t)) return parseInt(t, 8);
  if (/^[1-9]\d*$/.test(t)) return Number(t);
  return undefined;
}

/**
 * What keepalived's find_entry makes of a table written as a number: strtoul(text, 0) cast to 32 bits,
 * so a sign or a value past 32 bits wraps (-1 is 4294967295, 2^32 + 5 is 5) and one past 64 bits is
 * ULONG_MAX. Undefined when the text is not a number.
 */
function cUnsigned32(text: string): number | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(text);
  if (m === null) return undefined;
  const digits = m[2] ?? '0';
  const magnitude = /^0[xX]/.test(digits)
    ? BigInt(digits)
    : digits.startsWith('0')
      ? BigInt(`0o${digits.slice(1) || '0'}`)
      : BigInt(digits);
  const ulongMax = (1n << 64n) - 1n;
  let value = magnitude > ulongMax ? ulongMax : magnitude;
  if (m[1] === '-' && magnitude <= ulongMax) value = (ulongMax + 1n - value) & ulongMax;
  return Number(value & 0xffffffffn);
}

/** One iproute2 name file: "NUMBER NAME" lines, '#' comments, anything else skipped. */
export function parseNameFile(text: string, max = RT_TABLE_MAX): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (const raw of text.split('\n')) {
    const fields = (raw.split('#')[0] ?? '').split(/[ \t]+/).filter((f) => f !== '');
    if (fields.length !== 2) continue;
    const [num, name] = fields as [string, string];
    const id = cNumber(num);
    if (id === undefined || id > max) continue;
    out.push([id, name]);
  }
  return out;
}

type Files = Pick<ConfigHost, 'readFile' | 'glob'>;

function confFiles(files: Files, dir: string, base: string): string[] {
  return files.glob(`${dir}/${base}.d/*.conf`).filter((p) => !(p.split('/').pop() ?? '').startsWith('.'));
}

/** Every (number, name) keepalived would know for `base` (rt_tables), in its reading order. */
export function readNameTables(
  files: Files,
  etcDir: string,
  usrDir: string,
  base = 'rt_tables',
): Array<[number, string]> {
  const entries: Array<[number, string]> = [];
  const main =
    files.readFile(`${etcDir}/${base}`) ?? (usrDir !== '' ? files.readFile(`${usrDir}/${base}`) : undefined);
  if (main !== undefined) entries.push(...parseNameFile(main));
  if (usrDir !== '') {
    const etcNames = new Set(confFiles(files, etcDir, base).map((p) => p.split('/').pop()));
    for (const path of confFiles(files, usrDir, base)) {
      if (etcNames.has(path.split('/').pop())) continue;
      entries.push(...parseNameFile(files.readFile(path) ?? ''));
    }
  }
  for (const path of confFiles(files, etcDir, base))
    entries.push(...parseNameFile(files.readFile(path) ?? ''));
  for (const [id, name] of DEFAULT_TABLES) if (!entries.some(([n]) => n === id)) entries.push([id, name]);
  return entries;
}

/** A resolver reading the files once, on its first name. */
export function tableResolver(
  files: Files,
  etcDir: string,
  usrDir: string,
): (table: string) => number | undefined {
  let names: Array<[number, string]> | undefined;
  return (table) => {
    const n = cUnsigned32(table);
    if (n !== undefined) return n;
    names ??= readNameTables(files, etcDir, usrDir);
    return names.find(([, name]) => name === table)?.[0];
  };
}

/** The resolver of this configuration's iproute_etc_dir / iproute_usr_dir. */
export function tableResolverFor(
  files: Files,
  g: Pick<GlobalDefs, 'iprouteEtcDir' | 'iprouteUsrDir'>,
): (table: string) => number | undefined {
  return tableResolver(
    files,
    g.iprouteEtcDir ?? DEFAULT_IPROUTE_ETC_DIR,
    g.iprouteUsrDir ?? DEFAULT_IPROUTE_USR_DIR,
  );
}

/** Sets `tableId` on each route and rule that names a table; drops (and reports) those whose table is
 * unknown. Returns the lists kept. */
export function resolveTables<T extends RouteSpec | RuleSpec>(
  list: T[],
  resolve: (table: string) => number | undefined,
  diags: Diagnostics,
  what: 'route' | 'rule',
): T[] {
  return list.filter((item) => {
    if (item.table === undefined) return true;
    const id = resolve(item.table);
    if (id === undefined) {
      diags.error(item.location, 'table', `Routing table ${item.table} not found for ${what}`);
      return false;
    }
    item.tableId = id;
    return true;
  });
}
