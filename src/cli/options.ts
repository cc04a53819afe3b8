// keepalived's command line, parsed without side effects so that it can be tested as data. It follows
// keepalived 2.4's getopt_long use: bundled short options (-nlD), attached or separate values (-fFILE,
// --use-file=FILE), unambiguous long prefixes, optional values only attached (-t=FILE, --core-dump-pattern=P),
// non-option words reported as unexpected but not fatal, and bad options all reported before exit 1.

import { tmpFile } from '../daemon/process/dump-files.js';
import { defaultDaemonOptions, type DaemonOptions } from '../daemon/process/options.js';

export type { DaemonOptions } from '../daemon/process/options.js';

export type ParsedCommandLine =
  | {
      kind: 'daemon';
      options: DaemonOptions;
      /** What keepalived prints to stderr while parsing and then carries on (e.g. an invalid facility). */
      warnings: string[];
      /** Words that are not options: keepalived prints them as unexpected, on stdout, and runs anyway. */
      unexpected: string[];
    }
  | { kind: 'subcommand'; name: string; args: string[]; warnings?: string[] }
  /** Bad options: every message, one a line, then exit status 1. */
  | { kind: 'error'; message: string; messages: string[] };

interface OptionDef {
  short?: string;
  long?: string;
  /** 'none': a flag; 'required': takes a value; 'optional': only an attached value (`-t=FILE`, `--x=V`). */
  value: 'none' | 'required' | 'optional';
  /** Returns a warning to print (parsing goes on), or undefined. */
  apply(o: DaemonOptions, v: string | undefined): string | undefined;
  /** Parsing stops here: -v, -h, --signum act at once, as keepalived exits inside getopt's loop. */
  final?: boolean;
}

const FACILITY_NAMES = new Set(['daemon', 'user']);

/** keepalived's set_umask: a number in C notation (0 prefix octal, 0x hex), only permission bits. */
function parseUmask(v: string): number | undefined {
  const t = v.trim();
  const n = /^0[xX][0-9a-fA-F]+$/.test(t)
    ? parseInt(t, 16)
    : /^0[0-7]*$/.test(t)
      ? parseInt(t, 8)
      : /^[1-9][0-9]*$/.test(t)
        ? parseInt(t, 10)
        : NaN;
  if (Number.isNaN(n) || n & ~0o777) return undefined;
  return n;
}

/** The options that are plain on/off switches. */
type FlagName = {
  [K in keyof DaemonOptions]-?: DaemonOptions[K] extends boolean ? K : never;
}[keyof DaemonOptions];

const flag =
  (key: FlagName) =>
  (o: DaemonOptions): undefined => {
    o[key] = true;
    return undefined;
  };

const DEFS: OptionDef[] = [
  {
    short: 'f',
    long: 'use-file',
    value: 'required',
    apply: (o, v) => void (o.configFile = v ?? o.configFile),
  },
  { short: 'P', long: 'vrrp', value: 'none', apply: flag('vrrpOnly') },
  { short: 'C', long: 'check', value: 'none', apply: flag('checkOnly') },
  { short: 'B', long: 'no_bfd', value: 'none', apply: flag('noBfd') },
  { long: 'all', value: 'none', apply: flag('runAll') },
  { short: 'l', long: 'log-console', value: 'none', apply: flag('logConsole') },
  {
    short: 'D',
    long: 'log-detail',
    value: 'none',
    apply: (o) => {
      if (o.logDetail) o.logExtraDetail = true;
      o.logDetail = true;
      return undefined;
    },
  },
  {
    short: 'S',
    long: 'log-facility',
    value: 'required',
    apply: (o, v) => {
      const s = v ?? '';
      const local = /^(?:local)?([0-7])$/.exec(s);
      if (local) o.logFacility = `local${local[1]}`;
      else if (FACILITY_NAMES.has(s)) o.logFacility = s;
      else return `Invalid log facility '${s}'`;
      return undefined;
    },
  },
  {
    short: 'g',
    long: 'log-file',
    value: 'optional',
    apply: (o, v) => void (o.logFile = v !== undefined && v !== '' ? v : tmpFile('keepalived.log')),
  },
  { long: 'flush-log-file', value: 'none', apply: flag('flushLogFile') },
  { short: 'e', long: 'all-config', value: 'none', apply: flag('allConfig') },
  { short: 'G', long: 'no-syslog', value: 'none', apply: flag('noSyslog') },
  {
    short: 'u',
    long: 'umask',
    value: 'required',
    apply: (o, v) => {
      const n = parseUmask(v ?? '');
      if (n === undefined) return `Invalid --umask option ${v ?? ''}`;
      o.umask = n;
      return undefined;
    },
  },
  { short: 'X', long: 'release-vips', value: 'none', apply: flag('releaseVips') },
  { short: 'V', long: 'dont-release-vrrp', value: 'none', apply: flag('dontReleaseVrrp') },
  { short: 'I', long: 'dont-release-ipvs', value: 'none', apply: flag('dontReleaseIpvs') },
  { short: 'R', long: 'dont-respawn', value: 'none', apply: flag('dontRespawn') },
  { short: 'n', long: 'dont-fork', value: 'none', apply: flag('dontFork') },
  { short: 'd', long: 'dump-conf', value: 'none', apply: flag('dumpConf') },
  { long: 'dump-config', value: 'none', apply: flag('dumpConfig') },
  {
    short: 'p',
    long: 'pid',
    value: 'required',
    apply: (o, v) => {
      o.pidFile = v ?? o.pidFile;
      o.pidFilesGiven.main = true;
      return undefined;
    },
  },
  {
    short: 'r',
    long: 'vrrp_pid',
    value: 'required',
    apply: (o, v) => {
      o.vrrpPidFile = v ?? o.vrrpPidFile;
      o.pidFilesGiven.vrrp = true;
      return undefined;
    },
  },
  {
    short: 'c',
    long: 'checkers_pid',
    value: 'required',
    apply: (o, v) => {
      o.checkersPidFile = v ?? o.checkersPidFile;
      o.pidFilesGiven.checkers = true;
      return undefined;
    },
  },
  {
    short: 'b',
    long: 'bfd_pid',
    value: 'required',
    apply: (o, v) => {
      o.bfdPidFile = v ?? o.bfdPidFile;
      o.pidFilesGiven.bfd = true;
      return undefined;
    },
  },
  { short: 'a', long: 'address-monitoring', value: 'none', apply: flag('addressMonitoring') },
  { short: 'x', long: 'snmp', value: 'none', apply: flag('snmp') },
  { short: 'A', long: 'snmp-agent-socket', value: 'required', apply: (o, v) => void (o.snmpAgentSocket = v) },
  { short: 'm', long: 'core-dump', value: 'none', apply: flag('coreDump') },
  {
    short: 'M',
    long: 'core-dump-pattern',
    value: 'optional',
    apply: (o, v) => {
      o.coreDump = true;
      o.coreDumpPattern = v !== undefined && v !== '' ? v : 'core';
      return undefined;
    },
  },
  { long: 'no-mem-check', value: 'none', apply: flag('noMemCheck') },
  { short: 's', long: 'namespace', value: 'required', apply: (o, v) => void (o.namespace = v) },
  { short: 'i', long: 'config-id', value: 'required', apply: (o, v) => void (o.configId = v) },
  { long: 'signum', value: 'required', final: true, apply: (o, v) => void (o.signum = v) },
  {
    short: 't',
    long: 'config-test',
    value: 'optional',
    apply: (o, v) => {
      // keepalived's -t also means: no respawn, no fork, no syslog.
      o.configTest = o.dontRespawn = o.dontFork = o.noSyslog = true;
      if (v !== undefined && v !== '') o.configTestLog = v;
      return undefined;
    },
  },
  { long: 'config-test-warnings-ok', value: 'none', apply: flag('configTestWarningsOk') },
  {
    long: 'config-fd',
    value: 'required',
    apply: (o, v) => void (o.configFd = Number.parseInt(v ?? '', 10)),
  },
  {
    long: 'perf',
    value: 'optional',
    apply: (o, v) => void (o.perf = v !== undefined && v !== '' ? v : 'run'),
  },
  { long: 'debug', value: 'optional', apply: (o, v) => void (o.debugOptions = v ?? '') },
  { long: 'ignore-sigint', value: 'none', apply: flag('ignoreSigint') },
  { short: 'v', long: 'version', value: 'none', final: true, apply: flag('version') },
  { short: 'h', long: 'help', value: 'none', final: true, apply: flag('help') },
];

export const SUBCOMMANDS = ['simulate', 'genhash', 'status', 'events', 'handover', 'demo'] as const;

/** getopt_long's lookup: an exact name, else a prefix that names one option only. */
function findLong(name: string): OptionDef | undefined {
  const exact = DEFS.find((d) => d.long === name);
  if (exact) return exact;
  const candidates = DEFS.filter((d) => d.long?.startsWith(name));
  return candidates.length === 1 ? candidates[0] : undefined;
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const first = argv[0];
  if (first !== undefined && (SUBCOMMANDS as readonly string[]).includes(first)) {
    return { kind: 'subcommand', name: first, args: argv.slice(1) };
  }

  const o = defaultDaemonOptions();
  const warnings: string[] = [];
  const errors: string[] = [];
  const unexpected: string[] = [];
  const done = (): ParsedCommandLine =>
    errors.length > 0 && !o.version && !o.help && o.signum === undefined
      ? { kind: 'error', message: errors.join('\n'), messages: [...warnings, ...errors] }
      : { kind: 'daemon', options: o, warnings: [...warnings, ...errors], unexpected };
  // keepalived's -T/--genhash switches the rest of the command line to genhash's options.
  const genhash = (word: string, rest: string[], isFirst: boolean): ParsedCommandLine => ({
    kind: 'subcommand',
    name: 'genhash',
    args: rest,
    ...(isFirst
      ? {}
      : { warnings: [`Warning -- \`${word}\` not used as first option, previous options ignored`] }),
  });

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') {
      unexpected.push(...argv.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq >= 0 ? word.slice(2, eq) : word.slice(2);
      if (
        name === 'genhash' ||
        (name.length > 1 && 'genhash'.startsWith(name) && findLong(name) === undefined)
      ) {
        return genhash('genhash', argv.slice(i + 1), i === 0);
      }
      const def = findLong(name);
      if (def === undefined) {
        errors.push(`Unknown option ${word}`);
        continue;
      }
      let value: string | undefined = eq >= 0 ? word.slice(eq + 1) : undefined;
      if (def.value === 'none' && value !== undefined) {
        errors.push(`Unknown option ${word}`);
        continue;
      }
      if (def.value === 'required' && value === undefined) value = argv[++i];
      if (def.value === 'required' && (value === undefined || value === '')) {
        errors.push(`Missing parameter for option --${def.long}`);
        continue;
      }
      const warning = def.apply(o, value);
      if (warning !== undefined) warnings.push(warning);
      if (def.final) return done();
      continue;
    }
    if (!word.startsWith('-') || word === '-') {
      // getopt moves non-options to the end and keepalived only reports them.
      unexpected.push(word);
      continue;
    }
    for (let j = 1; j < word.length; j++) {
      const letter = word[j] as string;
      if (letter === 'T') return genhash('-T', argv.slice(i + 1), i === 0 && j === 1);
      const def = DEFS.find((d) => d.short === letter);
      if (def === undefined) {
        errors.push(`Unknown option -${letter}`);
        continue;
      }
      let value: string | undefined;
      if (def.value !== 'none') {
        const attached = word.slice(j + 1);
        if (attached.length > 0)
          value = def.value === 'optional' && attached.startsWith('=') ? attached.slice(1) : attached;
        else if (def.value === 'required') {
          value = argv[++i];
          if (value === undefined) {
            errors.push(`Missing parameter for option -${letter}`);
            break;
          }
        }
        j = word.length;
      }
      const warning = def.apply(o, value);
      if (warning !== undefined) warnings.push(warning);
      if (def.final) return done();
    }
  }
  return done();
}

/** keepalived's --help text with keepalived-ts's extras; printed to stderr, as keepalived does. */
export function helpText(prog: string): string {
  return `Usage: ${prog} [OPTION...]
       ${prog} simulate -f a.conf -f b.conf [--duration S] [--seed N] [--loss P] [--event 'T ACTION NODE'] [--json]
       ${prog} status [--url URL] [--token TOKEN] [--json]     (the status_http listener, as tables)
       ${prog} events [--url URL] [--token TOKEN] [--follow]   (its events, as JSON lines)
       ${prog} handover INSTANCE [--to ADDRESS] [--hold SECONDS] [--release] [--wait]   (planned handover)
       ${prog} demo --live [--quick]   (as root: a failover between two routers in namespaces of its own)
  -f, --use-file=FILE          Use the specified configuration file
                                default '/etc/keepalived/keepalived.conf'
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
  -B, --no_bfd                 Don't run BFD subsystem
      --all                    Force all child processes to run, even if have no configuration
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -S, --log-facility=([0-7]|local[0-7]|user|daemon)
                               Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)
  -g, --log-file=FILE          Also log to FILE (default /tmp/keepalived.log)
      --flush-log-file         Flush log file on write
  -G, --no-syslog              Don't log via syslog
  -u, --umask=MASK             umask for file creation (in numeric form)
  -X, --release-vips           Drop VIP on transition from signal.
  -V, --dont-release-vrrp      Don't remove VRRP VIPs and VROUTEs on daemon stop
  -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop
  -R, --dont-respawn           Don't respawn child processes
  -n, --dont-fork              Don't fork the daemon process
  -d, --dump-conf              Dump the configuration data
      --dump-config            Print the resolved configuration model as JSON and exit (keepalived-ts)
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -T, --genhash                Enter into genhash utility mode (this should be the first option used).
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
  -a, --address-monitoring     Report all address additions/deletions notified via netlink
  -b, --bfd_pid=FILE           Use specified pidfile for BFD child process
  -x, --snmp                   Enable SNMP subsystem
  -A, --snmp-agent-socket=FILE Use the specified socket for master agent
  -s, --namespace=NAME         Run in network namespace NAME (overrides config)
  -m, --core-dump              Produce core dump if terminate abnormally
  -M, --core-dump-pattern=PATN Also set /proc/sys/kernel/core_pattern to PATN (default 'core')
  -e, --all-config             Error if any configuration file missing (same as includet)
  -i, --config-id id           Skip any configuration lines beginning '@' that don't match id
                                or any lines beginning @^ that do match.
                                The config-id defaults to the node name if option not used
      --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to
                                stderr by default
      --config-test-warnings-ok With -t: exit 0 when there are only warnings (keepalived-ts)
  -v, --version                Display the version number
  -h, --help                   Display this help message
`;
}
