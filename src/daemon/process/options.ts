// What the daemon takes: keepalived's command-line options, already parsed (the CLI parses arguments into
// this). The supervisor hands the resolved options to its children (childOptionsEnv), so that no child
// parses a command line again.

export interface DaemonOptions {
  configFile: string;
  vrrpOnly: boolean;
  checkOnly: boolean;
  /** -B: no BFD child. */
  noBfd: boolean;
  /** --all: start every child even without configuration for it. */
  runAll: boolean;
  dontFork: boolean;
  logConsole: boolean;
  /** -D once: detail; twice: extra detail (keepalived's LOG_EXTRA_DETAIL). */
  logDetail: boolean;
  logExtraDetail: boolean;
  logFacility: string;
  /** -g[FILE]: also log to FILE (keepalived inserts _vrrp / _healthcheckers before the extension). */
  logFile?: string;
  flushLogFile: boolean;
  noSyslog: boolean;
  configTest: boolean;
  /** `-t=FILE`: where the config test writes its messages (stderr when absent). */
  configTestLog?: string;
  /** --config-test-warnings-ok (keepalived-ts only): -t exits 0 when there are only warnings. */
  configTestWarningsOk: boolean;
  /** -d / --dump-conf: keepalived logs the configuration it read, then runs as usual. */
  dumpConf: boolean;
  /** --dump-config (keepalived-ts only): print the resolved model as JSON and exit. */
  dumpConfig: boolean;
  pidFile: string;
  vrrpPidFile: string;
  checkersPidFile: string;
  bfdPidFile: string;
  /** Which pid files were named on the command line (the others follow instance / namespace naming). */
  pidFilesGiven: { main: boolean; vrrp: boolean; checkers: boolean; bfd: boolean };
  configId?: string;
  releaseVips: boolean;
  dontReleaseVrrp: boolean;
  dontReleaseIpvs: boolean;
  dontRespawn: boolean;
  allConfig: boolean;
  /** -a: log every address added or removed, as netlink reports it. */
  addressMonitoring: boolean;
  snmp: boolean;
  snmpAgentSocket?: string;
  /** -m: raise RLIMIT_CORE; -M[PATTERN] also sets kernel.core_pattern (default 'core'). */
  coreDump: boolean;
  coreDumpPattern?: string;
  namespace?: string;
  umask?: number;
  /** --signum=NAME: print the signal number and exit. */
  signum?: string;
  debugOptions?: string;
  perf?: string;
  configFd?: number;
  noMemCheck: boolean;
  ignoreSigint: boolean;
  version: boolean;
  help: boolean;
}

/** keepalived's defaults: what a command line without options means. */
export function defaultDaemonOptions(): DaemonOptions {
  return {
    configFile: '/etc/keepalived/keepalived.conf',
    vrrpOnly: false,
    checkOnly: false,
    noBfd: false,
    runAll: false,
    dontFork: false,
    configTestWarningsOk: false,
    logConsole: false,
    logDetail: false,
    logExtraDetail: false,
    logFacility: 'daemon',
    flushLogFile: false,
    noSyslog: false,
    configTest: false,
    dumpConf: false,
    dumpConfig: false,
    pidFile: '/run/keepalived.pid',
    vrrpPidFile: '/run/vrrp.pid',
    checkersPidFile: '/run/checkers.pid',
    bfdPidFile: '/run/bfd.pid',
    pidFilesGiven: { main: false, vrrp: false, checkers: false, bfd: false },
    releaseVips: false,
    dontReleaseVrrp: false,
    dontReleaseIpvs: false,
    dontRespawn: false,
    allConfig: false,
    addressMonitoring: false,
    snmp: false,
    coreDump: false,
    noMemCheck: false,
    ignoreSigint: false,
    version: false,
    help: false,
  };
}
