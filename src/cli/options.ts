// keepalived's command line, parsed without side effects so that it can be tested as data.
// Short options may be bundled (-nlD), values may be attached (-fFILE, --use-file=FILE) or separate.

export interface DaemonOptions {
  configFile: string;
  vrrpOnly: boolean;
  checkOnly: boolean;
  dontFork: boolean;
  logConsole: boolean;
  logDetail: boolean;
  logFacility: string;
  noSyslog: boolean;
  configTest: boolean;
  /** `-t=FILE`: where the config test writes its messages (stderr when absent). */
  configTestLog?: string;
  dumpConfig: boolean;
  pidFile: string;
  vrrpPidFile: string;
  checkersPidFile: string;
  configId?: string;
  releaseVips: boolean;
  dontReleaseVrrp: boolean;
  dontReleaseIpvs: boolean;
  dontRespawn: boolean;
  allConfig: boolean;
  namespace?: string;
  umask?: number;
  version: boolean;
  help: boolean;
}

export type ParsedCommandLine =
  | { kind: 'daemon'; options: DaemonOptions }
  | { kind: 'subcommand'; name: string; args: string[] }
  | { kind: 'error'; message: string };

interface OptionDef {
  short?: string;
  long: string;
  /** 'none': a flag; 'required': takes a value; 'optional': only an attached value (`-t=FILE`, `--x=V`). */
  value: 'none' | 'required' | 'optional';
  apply(o: DaemonOptions, v: string | undefined): string | undefined;
}

const FACILITIES = /^([0-7]|local[0-7]|user|daemon)$/;

const DEFS: OptionDef[] = [
  {
    short: 'f',
    long: 'use-file',
    value: 'required',
    apply: (o, v) => void (o.configFile = v ?? o.configFile),
  },
  { short: 'P', long: 'vrrp', value: 'none', apply: (o) => void (o.vrrpOnly = true) },
  { short: 'C', long: 'check', value: 'none', apply: (o) => void (o.checkOnly = true) },
  { short: 'B', long: 'no_bfd', value: 'none', apply: () => undefined },
  { long: 'all', value: 'none', apply: () => undefined },
  { short: 'l', long: 'log-console', value: 'none', apply: (o) => void (o.logConsole = true) },
  { short: 'D', long: 'log-detail', value: 'none', apply: (o) => void (o.logDetail = true) },
  {
    short: 'S',
    long: 'log-facility',
    value: 'required',
    apply: (o, v) => {
      if (v === undefined || !FACILITIES.test(v)) return `invalid log facility '${v ?? ''}'`;
      o.logFacility = /^[0-7]$/.test(v) ? `local${v}` : v;
      return undefined;
    },
  },
  { short: 'G', long: 'no-syslog', value: 'none', apply: (o) => void (o.noSyslog = true) },
  {
    short: 'u',
    long: 'umask',
    value: 'required',
    apply: (o, v) => {
      const n = v === undefined ? NaN : parseInt(v, 8);
      if (Number.isNaN(n)) return `invalid umask '${v ?? ''}'`;
      o.umask = n;
      return undefined;
    },
  },
  { short: 'X', long: 'release-vips', value: 'none', apply: (o) => void (o.releaseVips = true) },
  { short: 'V', long: 'dont-release-vrrp', value: 'none', apply: (o) => void (o.dontReleaseVrrp = true) },
  { short: 'I', long: 'dont-release-ipvs', value: 'none', apply: (o) => void (o.dontReleaseIpvs = true) },
  { short: 'R', long: 'dont-respawn', value: 'none', apply: (o) => void (o.dontRespawn = true) },
  { short: 'n', long: 'dont-fork', value: 'none', apply: (o) => void (o.dontFork = true) },
  { short: 'd', long: 'dump-conf', value: 'none', apply: (o) => void (o.dumpConfig = true) },
  { long: 'dump-config', value: 'none', apply: (o) => void (o.dumpConfig = true) },
  { short: 'p', long: 'pid', value: 'required', apply: (o, v) => void (o.pidFile = v ?? o.pidFile) },
  {
    short: 'r',
    long: 'vrrp_pid',
    value: 'required',
    apply: (o, v) => void (o.vrrpPidFile = v ?? o.vrrpPidFile),
  },
  {
    short: 'c',
    long: 'checkers_pid',
    value: 'required',
    apply: (o, v) => void (o.checkersPidFile = v ?? o.checkersPidFile),
  },
  { short: 's', long: 'namespace', value: 'required', apply: (o, v) => void (o.namespace = v) },
  { short: 'e', long: 'all-config', value: 'none', apply: (o) => void (o.allConfig = true) },
  { short: 'i', long: 'config-id', value: 'required', apply: (o, v) => void (o.configId = v) },
  {
    short: 't',
    long: 'config-test',
    value: 'optional',
    apply: (o, v) => {
      o.configTest = true;
      if (v !== undefined) o.configTestLog = v;
      return undefined;
    },
  },
  { short: 'v', long: 'version', value: 'none', apply: (o) => void (o.version = true) },
  { short: 'h', long: 'help', value: 'none', apply: (o) => void (o.help = true) },
];

export const SUBCOMMANDS = ['simulate', 'genhash', 'status'] as const;

export function defaultOptions(): DaemonOptions {
  return {
    configFile: '/etc/keepalived/keepalived.conf',
    vrrpOnly: false,
    checkOnly: false,
    dontFork: false,
    logConsole: false,
    logDetail: false,
    logFacility: 'daemon',
    noSyslog: false,
    configTest: false,
    dumpConfig: false,
    pidFile: '/run/keepalived.pid',
    vrrpPidFile: '/run/vrrp.pid',
    checkersPidFile: '/run/checkers.pid',
    releaseVips: false,
    dontReleaseVrrp: false,
    dontReleaseIpvs: false,
    dontRespawn: false,
    allConfig: false,
    version: false,
    help: false,
  };
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const first = argv[0];
  if (first !== undefined && (SUBCOMMANDS as readonly string[]).includes(first)) {
    return { kind: 'subcommand', name: first, args: argv.slice(1) };
  }
  // keepalived's -T/--genhash switches the whole command line to genhash's options.
  if (first === '-T' || first === '--genhash')
    return { kind: 'subcommand', name: 'genhash', args: argv.slice(1) };

  const o = defaultOptions();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq >= 0 ? word.slice(2, eq) : word.slice(2);
      const def = DEFS.find((d) => d.long === name);
      if (def === undefined) return { kind: 'error', message: `unrecognized option '${word}'` };
      let value: string | undefined = eq >= 0 ? word.slice(eq + 1) : undefined;
      if (def.value === 'none' && value !== undefined) {
        return { kind: 'error', message: `option '--${name}' doesn't allow an argument` };
      }
      if (def.value === 'required' && value === undefined) {
        value = argv[++i];
        if (value === undefined) return { kind: 'error', message: `option '--${name}' requires an argument` };
      }
      const err = def.apply(o, value);
      if (err !== undefined) return { kind: 'error', message: err };
      continue;
    }
    if (!word.startsWith('-') || word === '-') {
      return { kind: 'error', message: `unexpected argument '${word}'` };
    }
    for (let j = 1; j < word.length; j++) {
      const letter = word[j] as string;
      const def = DEFS.find((d) => d.short === letter);
      if (def === undefined) return { kind: 'error', message: `invalid option -- '${letter}'` };
      let value: string | undefined;
      if (def.value !== 'none') {
        const attached = word.slice(j + 1);
        if (attached.length > 0) value = attached.startsWith('=') ? attached.slice(1) : attached;
        else if (def.value === 'required') {
          value = argv[++i];
          if (value === undefined)
            return { kind: 'error', message: `option requires an argument -- '${letter}'` };
        }
        j = word.length;
      }
      const err = def.apply(o, value);
      if (err !== undefined) return { kind: 'error', message: err };
    }
  }
  return { kind: 'daemon', options: o };
}

export const HELP_TEXT = `Usage: keepalived-ts [OPTION...]
       keepalived-ts simulate -f a.conf -f b.conf [--duration S] [--seed N] [--loss P] [--event 'T ACTION NODE'] [--json]
       keepalived-ts genhash -s HOST -p PORT -u URL [-S] [-V VHOST]
  -f, --use-file=FILE          Use the specified configuration file
                                default '/etc/keepalived/keepalived.conf'
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -S, --log-facility=([0-7]|local[0-7]|user|daemon)
                               Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)
  -G, --no-syslog              Don't log via syslog
  -X, --release-vips           Drop VIP on transition from signal.
  -V, --dont-release-vrrp      Don't remove VRRP VIPs and VROUTEs on daemon stop
  -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop
  -R, --dont-respawn           Don't respawn child processes
  -n, --dont-fork              Don't fork the daemon process
  -d, --dump-conf, --dump-config
                               Print the resolved configuration model as JSON and exit
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
  -s, --namespace=NAME         Run in network namespace NAME
  -e, --all-config             Error if any configuration file is missing
  -i, --config-id id           Skip any configuration lines beginning '@' that don't match id
                                or any lines beginning @^ that do match.
                                The config-id defaults to the node name if option not used
  -t, --config-test[=LOG_FILE] Check the configuration for errors, output to stderr by default;
                                exit 0 only for a configuration with no error
  -v, --version                Display the version number
  -h, --help                   Display this help message
`;
