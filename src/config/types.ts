// Shared shapes of the config pipeline: text -> SourceLine[] -> ConfigNode tree -> typed model.
// Every stage carries file:line so that any diagnostic can point at the exact place.

/** Where a piece of config text came from. `file` is the path as opened (absolute once resolved). */
export interface SourceLocation {
  file: string;
  line: number;
}

/** One logical line after preprocessing (comments stripped, includes expanded, $NAME substituted,
 * conditionals applied, ~SEQ/~LST replicated). Location is that of the original physical line. */
export interface SourceLine extends SourceLocation {
  text: string;
}

/** A keyword with its arguments and, when followed by `{ ... }`, its children.
 * `args` are the words after the keyword; quoted strings arrive as one word without their quotes. */
export interface ConfigNode extends SourceLocation {
  keyword: string;
  args: string[];
  /** Present only for block keywords (`name {`); an empty block has `[]`. */
  children?: ConfigNode[];
}

/** `note`: something keepalived 2.2.7 says nothing about (a deprecated spelling it takes silently, a
 * limit of this host): printed, never counted by the config test's exit code. */
export type Severity = 'error' | 'warning' | 'note';

/** How keepalived 2.2.7 ranks the same finding (its config_err_t), which sets `-t`'s exit code: `fatal`
 * (a file not found, a bad interface: keepalived cannot run the config), `security` (scripts without
 * script_security), `uncounted` (printed with its line but ranked CONFIG_OK: an include matching nothing
 * without include checks), `no-config` (an include failing an include check: keepalived then exits 6 before
 * its verdict, config test or not), `abort` (a keyword without the argument its handler reads: keepalived's
 * parser exits 2 on the spot, reading and checking nothing after it); anything else it reports is an
 * ordinary configuration error. */
export type KeepalivedRank = 'fatal' | 'security' | 'uncounted' | 'no-config' | 'abort';

export interface Diagnostic extends SourceLocation {
  severity: Severity;
  /** The keyword the message is about, when there is one. */
  keyword?: string;
  message: string;
  /** Set when keepalived ranks this finding other than as an ordinary configuration error. */
  rank?: KeepalivedRank;
  /** Found in virtual servers, which keepalived's checker process reads on its own: its VRRP parser stopping
   * (rank `abort`) does not silence them. */
  checker?: boolean;
  /** Found in what keepalived's VRRP process reads (instances, scripts, sync groups): a virtual server's
   * keyword stopping the checker process's parser (rank `abort`) silences them in keepalived's -t. */
  vrrp?: boolean;
}

/** The one format every diagnostic is printed in: `file:line: severity: keyword: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  const kw = d.keyword !== undefined ? `${d.keyword}: ` : '';
  return `${d.file}:${d.line}: ${d.severity}: ${kw}${d.message}`;
}

/** Collects diagnostics in the order they are found. Pure: no printing. */
export class Diagnostics {
  readonly items: Diagnostic[] = [];

  error(at: SourceLocation, keyword: string | undefined, message: string): void {
    this.items.push({ file: at.file, line: at.line, severity: 'error', keyword, message });
  }

  warn(at: SourceLocation, keyword: string | undefined, message: string): void {
    this.items.push({ file: at.file, line: at.line, severity: 'warning', keyword, message });
  }

  /** What keepalived is silent about: said to the user, never counted against the config. */
  note(at: SourceLocation, keyword: string | undefined, message: string): void {
    this.items.push({ file: at.file, line: at.line, severity: 'note', keyword, message });
  }

  /** A finding keepalived ranks `fatal` or `security` (see KeepalivedRank). */
  ranked(
    rank: KeepalivedRank,
    severity: 'error' | 'warning',
    at: SourceLocation,
    keyword: string | undefined,
    message: string,
  ): void {
    this.items.push({ file: at.file, line: at.line, severity, keyword, message, rank });
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === 'error').length;
  }
}

/** What the preprocessor needs from the outside world, injected so that config/ stays free of I/O.
 * The CLI supplies a real file system; tests supply an in-memory one. */
export interface ConfigHost {
  /** Returns the file's text, or undefined when it cannot be read. */
  readFile(path: string): string | undefined;
  /** Expands a glob pattern (absolute) to the matching file paths, sorted. */
  glob(pattern: string): string[];
  /** Environment variables, for ${_ENV NAME}. */
  env: Record<string, string | undefined>;
  /** Host name, for the default config id. */
  hostname: string;
  /** Working directory, for ${_PWD} fallback and relative -f paths. */
  cwd: string;
  /** Random integer in [min, max], for ${_RANDOM}; injected so tests are deterministic. */
  random(min: number, max: number): number;
}

/** Facts about this host that semantic checks need (interfaces present). Optional: without it those
 * checks are skipped. The daemon gives only its users and groups (keepalived drops a script whose user
 * cannot be set at start as in -t); interfaces come and go while it runs. */
export interface HostFacts {
  interfaces?: ReadonlySet<string>;
  /** Whether this kernel has IPVS (loaded or loadable); undefined when unknown. */
  ipvs?: boolean;
  /** Whether the program a script line names is a file here (a bare name looked up in PATH). */
  scriptFound?: (program: string) => boolean;
  /** Whether this host has the user / the group (scripts run as one): undefined when unknown. */
  userExists?: (name: string) => boolean;
  groupExists?: (name: string) => boolean;
  /** Whether a host name resolves here (getaddrinfo, as keepalived resolves smtp_server): undefined when
   * unknown. */
  hostResolves?: (name: string) => boolean;
}
