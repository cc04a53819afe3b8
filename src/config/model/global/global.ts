// global_defs (and the few global keywords keepalived accepts at the top level), with keepalived 2.4's
// defaults. Most keywords are one typed value and live in GLOBAL_TABLE; the few with structure are
// read by hand below.
import { familyOf } from '../../../common/inet.js';
import { blockEnd } from '../../blocks.js';
import type { ConfigNode, SourceLocation } from '../../types.js';
import { printSimple, quoteWord, type SimpleKeyword, simpleHandlers } from '../shared/table.js';
import { readScriptCommand, type ScriptCommand } from '../shared/script-command.js';
import { defaultScriptUserUsable } from '../shared/script-user.js';
import {
  type BuildContext,
  type Handlers,
  arg,
  blockChildren,
  flag,
  int,
  ipAddress,
  walk,
} from '../shared/values.js';

export interface SmtpServer {
  host: string;
  port: number;
}

export interface LvsSyncDaemon {
  interface: string;
  instance?: string;
  syncId?: number;
  maxlen?: number;
  port?: number;
  ttl?: number;
  group?: string;
}

export interface LvsTimeouts {
  tcp?: number;
  tcpfin?: number;
  udp?: number;
}

export interface GarpExtraIf {
  /** Send on every interface of the instance, not only VMACs. */
  all: boolean;
  /** Seconds between sends; 0 disables. */
  interval: number;
}

export interface GlobalDefs {
  /** Where global_defs was (the first one when repeated). */
  location?: SourceLocation;
  // top-level global keywords
  netNamespace?: string;
  netNamespaceIpvs?: string;
  namespaceWithIpsets: boolean;
  instanceName?: string;
  usePidDir: boolean;
  linkbeatUsePolling: boolean;
  childWaitTime: number;
  // process and scripts
  tmpConfigDirectory?: string;
  configSaveDir?: string;
  processNames: boolean;
  processName?: string;
  vrrpProcessName?: string;
  checkerProcessName?: string;
  bfdProcessName?: string;
  useSymlinkPaths: boolean;
  setSupplementaryGroups: boolean;
  startupScript?: ScriptCommand;
  startupScriptTimeout: number;
  shutdownScript?: ScriptCommand;
  shutdownScriptTimeout: number;
  scriptUser?: string;
  enableScriptSecurity: boolean;
  // e-mail
  notificationEmail: string[];
  notificationEmailFrom?: string;
  smtpServer?: SmtpServer;
  smtpHeloName?: string;
  smtpConnectTimeout: number;
  smtpAlert?: boolean;
  smtpAlertVrrp?: boolean;
  smtpAlertChecker?: boolean;
  checkerLogAllFailures: boolean;
  noEmailFaults: boolean;
  noCheckerEmails: boolean;
  routerId?: string;
  // VRRP defaults
  vrrpMcastGroup4: string;
  vrrpMcastGroup6: string;
  defaultInterface: string;
  vrrpGarpMasterRepeat: number;
  vrrpGarpMasterDelay: number;
  /** Defaults to vrrpGarpMasterRepeat when not given. */
  vrrpGarpLowerPrioRepeat?: number;
  /** Defaults to vrrpGarpMasterDelay when not given. */
  vrrpGarpLowerPrioDelay?: number;
  vrrpGarpMasterRefresh: number;
  vrrpGarpMasterRefreshRepeat: number;
  vrrpGarpInterval: number;
  vrrpGnaInterval: number;
  vrrpMinGarp: boolean;
  vrrpGarpExtraIf?: GarpExtraIf;
  vrrpDownTimerAdverts: number;
  vrrpLowerPrioNoAdvert?: boolean;
  vrrpHigherPrioSendAdvert: boolean;
  vrrpVersion: 2 | 3;
  v3ChecksumAsV2: boolean;
  vrrpCheckUnicastSrc: boolean;
  vrrpSkipCheckAdvAddr: boolean;
  vrrpStrict: boolean;
  vrrpNotifyPriorityChanges: boolean;
  logUnknownVrids: boolean;
  /** keepalived 2.4: the default of owner_ignore_adverts for address owners. */
  vrrpOwnerIgnoreAdverts: boolean;
  vmacPrefix: string;
  vmacAddrPrefix?: string;
  vrrpStartupDelay: number;
  vrrpDelayAfterBoot: number;
  vrrpRxBufsPolicy?: string;
  vrrpRxBufsMultiplier: number;
  dynamicInterfaces: boolean;
  dynamicInterfacesAllowIfChanges: boolean;
  // firewall
  nftables?: string;
  nftablesPriority: number;
  nftablesCounters: boolean;
  nftablesIfindex: boolean;
  nftablesIpvs?: string;
  nftablesIpvsPriority: number;
  nftablesIpvsStartFwmark: number;
  vrrpIptables?: string[];
  vrrpIpsets?: string[];
  disableLocalIgmp: boolean;
  // LVS globals
  lvsSyncDaemon?: LvsSyncDaemon;
  lvsTimeouts?: LvsTimeouts;
  lvsFlush: boolean;
  /** undefined: not set; '' : set; 'VS': remove virtual servers only. */
  lvsFlushOnStop?: string;
  rsInitNotifies: boolean;
  /** keepalived-ts only: which kernel table realises the virtual servers; unset means 'auto' (IPVS where
   * the kernel has it, else nftables). keepalived warns about the keyword and skips it. */
  lvsDataPlane?: 'auto' | 'ipvs' | 'nftables';
  /** keepalived-ts only: the interfaces the nftables plane hooks for DR services (unset: all but lo). */
  lvsNftablesIngress?: string[];
  // scheduling
  maxAutoPriority?: number;
  minAutoPriorityDelay: number;
  vrrpPriority?: number;
  checkerPriority?: number;
  bfdPriority?: number;
  vrrpNoSwap: boolean;
  checkerNoSwap: boolean;
  bfdNoSwap: boolean;
  vrrpCpuAffinity?: string[];
  checkerCpuAffinity?: string[];
  bfdCpuAffinity?: string[];
  vrrpRtPriority?: number;
  checkerRtPriority?: number;
  bfdRtPriority?: number;
  vrrpRlimitRttime: number;
  checkerRlimitRttime: number;
  bfdRlimitRttime: number;
  // SNMP / DBus
  snmpSocket?: string;
  enableSnmpVrrp: boolean;
  enableSnmpChecker: boolean;
  enableSnmpRfc: boolean;
  enableSnmpRfcv2: boolean;
  enableSnmpRfcv3: boolean;
  enableTraps: boolean;
  snmpVsStatsUpdateInterval: number;
  /** Unset: snmpVsStatsUpdateInterval (keepalived's default). */
  snmpRsStatsUpdateInterval?: number;
  enableDbus: boolean;
  dbusServiceName: string;
  dbusNoInterfaceName: string;
  // FIFOs
  notifyFifo?: string;
  notifyFifoScript?: ScriptCommand;
  vrrpNotifyFifo?: string;
  vrrpNotifyFifoScript?: ScriptCommand;
  lvsNotifyFifo?: string;
  lvsNotifyFifoScript?: ScriptCommand;
  fifoWriteVrrpStatesOnReload: boolean;
  // netlink buffers
  vrrpNetlinkCmdRcvBufs?: number;
  vrrpNetlinkCmdRcvBufsForce: boolean;
  vrrpNetlinkMonitorRcvBufs?: number;
  vrrpNetlinkMonitorRcvBufsForce: boolean;
  lvsNetlinkCmdRcvBufs?: number;
  lvsNetlinkCmdRcvBufsForce: boolean;
  lvsNetlinkMonitorRcvBufs?: number;
  lvsNetlinkMonitorRcvBufsForce: boolean;
  processMonitorRcvBufs?: number;
  processMonitorRcvBufsForce: boolean;
  // files and reloads
  umask?: string;
  randomSeed?: number;
  reloadCheckConfig?: string;
  includeCheck?: string[];
  reloadTimeFile?: string;
  reloadRepeat: boolean;
  reloadFile?: string;
  dataUseInstance: boolean;
  stateDumpFile?: string;
  statsDumpFile?: string;
  jsonDumpFile?: string;
  jsonVersion: number;
  iprouteUsrDir?: string;
  iprouteEtcDir?: string;
}

export function defaultGlobalDefs(): GlobalDefs {
  return {
    namespaceWithIpsets: false,
    usePidDir: false,
    linkbeatUsePolling: false,
    // keepalived's is 5 s; a Node child with 1,000 instances or 10,000 real servers can take about that
    // long to stop gracefully, and a SIGKILL then would leave VIPs behind (README, "Migrating").
    childWaitTime: 10,
    processNames: false,
    useSymlinkPaths: false,
    setSupplementaryGroups: false,
    startupScriptTimeout: 10,
    shutdownScriptTimeout: 10,
    enableScriptSecurity: false,
    notificationEmail: [],
    smtpConnectTimeout: 30,
    checkerLogAllFailures: false,
    noEmailFaults: false,
    noCheckerEmails: false,
    vrrpMcastGroup4: '224.0.0.18',
    vrrpMcastGroup6: 'ff02::12',
    defaultInterface: 'eth0',
    vrrpGarpMasterRepeat: 5,
    vrrpGarpMasterDelay: 5,
    vrrpGarpMasterRefresh: 0,
    vrrpGarpMasterRefreshRepeat: 1,
    vrrpGarpInterval: 0,
    vrrpGnaInterval: 0,
    vrrpMinGarp: false,
    vrrpDownTimerAdverts: 3,
    vrrpHigherPrioSendAdvert: false,
    vrrpVersion: 2,
    v3ChecksumAsV2: false,
    vrrpCheckUnicastSrc: false,
    vrrpSkipCheckAdvAddr: false,
    vrrpStrict: false,
    vrrpNotifyPriorityChanges: false,
    logUnknownVrids: false,
    vrrpOwnerIgnoreAdverts: false,
    vmacPrefix: 'vrrp',
    vrrpStartupDelay: 0,
    vrrpDelayAfterBoot: 0,
    vrrpRxBufsMultiplier: 3,
    dynamicInterfaces: false,
    dynamicInterfacesAllowIfChanges: false,
    nftablesPriority: -1,
    nftablesCounters: false,
    nftablesIfindex: false,
    nftablesIpvsPriority: -1,
    nftablesIpvsStartFwmark: 1000,
    disableLocalIgmp: false,
    lvsFlush: false,
    rsInitNotifies: false,
    minAutoPriorityDelay: 1000000,
    vrrpNoSwap: false,
    checkerNoSwap: false,
    bfdNoSwap: false,
    vrrpRlimitRttime: 10000,
    checkerRlimitRttime: 10000,
    bfdRlimitRttime: 10000,
    enableSnmpVrrp: false,
    enableSnmpChecker: false,
    enableSnmpRfc: false,
    enableSnmpRfcv2: false,
    enableSnmpRfcv3: false,
    enableTraps: false,
    snmpVsStatsUpdateInterval: 5,
    enableDbus: false,
    dbusServiceName: 'org.keepalived.Vrrp1',
    dbusNoInterfaceName: 'none',
    fifoWriteVrrpStatesOnReload: false,
    vrrpNetlinkCmdRcvBufsForce: false,
    vrrpNetlinkMonitorRcvBufsForce: false,
    lvsNetlinkCmdRcvBufsForce: false,
    lvsNetlinkMonitorRcvBufsForce: false,
    processMonitorRcvBufsForce: false,
    reloadRepeat: false,
    dataUseInstance: false,
    jsonVersion: 1,
  };
}

const MAX_INT = 2147483647;
const flagKw = { kind: 'flag' } as const;
const word = { kind: 'word' } as const;
/** keepalived reports more than one word for these (snmp_socket, reload_time_file, vrrp_rx_bufs_policy). */
const strictWord = { kind: 'word', strict: true } as const;
const restKw = { kind: 'rest' } as const;
const scriptKw = { kind: 'script' } as const;
const words = { kind: 'words' } as const;
const optword = { kind: 'optword' } as const;
const ints = (min: number, max: number) => ({ kind: 'int', min, max }) as const;
const decimals = (min: number, max: number) => ({ kind: 'decimal', min, max }) as const;

/** Keywords allowed at the top level of the file as well as inside global_defs. */
export const TOP_LEVEL_GLOBAL_TABLE: readonly SimpleKeyword<GlobalDefs>[] = [
  { keyword: 'net_namespace', field: 'netNamespace', spec: word },
  { keyword: 'net_namespace_ipvs', field: 'netNamespaceIpvs', spec: optword },
  { keyword: 'namespace_with_ipsets', field: 'namespaceWithIpsets', spec: flagKw },
  { keyword: 'instance', field: 'instanceName', spec: word },
  { keyword: 'use_pid_dir', field: 'usePidDir', spec: flagKw },
  { keyword: 'linkbeat_use_polling', field: 'linkbeatUsePolling', spec: flagKw },
  { keyword: 'child_wait_time', field: 'childWaitTime', spec: ints(0, MAX_INT) },
];

export const GLOBAL_TABLE: readonly SimpleKeyword<GlobalDefs>[] = [
  ...TOP_LEVEL_GLOBAL_TABLE,
  { keyword: 'tmp_config_directory', field: 'tmpConfigDirectory', spec: word },
  { keyword: 'config_save_dir', field: 'configSaveDir', spec: word },
  { keyword: 'process_names', field: 'processNames', spec: flagKw },
  { keyword: 'process_name', field: 'processName', spec: word },
  { keyword: 'vrrp_process_name', field: 'vrrpProcessName', spec: word },
  { keyword: 'checker_process_name', field: 'checkerProcessName', spec: word },
  { keyword: 'bfd_process_name', field: 'bfdProcessName', spec: word },
  { keyword: 'use_symlink_paths', field: 'useSymlinkPaths', spec: flagKw },
  { keyword: 'set_supplementary_groups', field: 'setSupplementaryGroups', spec: flagKw },
  { keyword: 'startup_script', field: 'startupScript', spec: scriptKw },
  { keyword: 'startup_script_timeout', field: 'startupScriptTimeout', spec: ints(1, 1000) },
  { keyword: 'shutdown_script', field: 'shutdownScript', spec: scriptKw },
  { keyword: 'shutdown_script_timeout', field: 'shutdownScriptTimeout', spec: ints(1, 1000) },
  { keyword: 'script_user', field: 'scriptUser', spec: restKw },
  { keyword: 'enable_script_security', field: 'enableScriptSecurity', spec: flagKw },
  { keyword: 'notification_email_from', field: 'notificationEmailFrom', spec: restKw },
  { keyword: 'smtp_helo_name', field: 'smtpHeloName', spec: word },
  { keyword: 'smtp_connect_timeout', field: 'smtpConnectTimeout', spec: ints(1, MAX_INT) },
  { keyword: 'smtp_alert', field: 'smtpAlert', spec: flagKw },
  { keyword: 'smtp_alert_vrrp', field: 'smtpAlertVrrp', spec: flagKw },
  { keyword: 'smtp_alert_checker', field: 'smtpAlertChecker', spec: flagKw },
  { keyword: 'checker_log_all_failures', field: 'checkerLogAllFailures', spec: flagKw },
  { keyword: 'no_email_faults', field: 'noEmailFaults', spec: flagKw },
  { keyword: 'no_checker_emails', field: 'noCheckerEmails', spec: flagKw },
  { keyword: 'router_id', field: 'routerId', spec: word },
  { keyword: 'default_interface', field: 'defaultInterface', spec: word },
  { keyword: 'vrrp_garp_master_repeat', field: 'vrrpGarpMasterRepeat', spec: ints(0, 255) },
  { keyword: 'vrrp_garp_master_delay', field: 'vrrpGarpMasterDelay', spec: ints(0, 255) },
  { keyword: 'vrrp_garp_lower_prio_repeat', field: 'vrrpGarpLowerPrioRepeat', spec: ints(0, 255) },
  { keyword: 'vrrp_garp_lower_prio_delay', field: 'vrrpGarpLowerPrioDelay', spec: ints(0, 255) },
  { keyword: 'vrrp_garp_master_refresh', field: 'vrrpGarpMasterRefresh', spec: ints(0, MAX_INT) },
  { keyword: 'vrrp_garp_master_refresh_repeat', field: 'vrrpGarpMasterRefreshRepeat', spec: ints(1, 255) },
  // keepalived reads microseconds from 1: 0 is refused (and leaves the default, no pacing).
  { keyword: 'vrrp_garp_interval', field: 'vrrpGarpInterval', spec: decimals(0.000001, 4294.967295) },
  { keyword: 'vrrp_gna_interval', field: 'vrrpGnaInterval', spec: decimals(0.000001, 4294.967295) },
  { keyword: 'vrrp_min_garp', field: 'vrrpMinGarp', spec: flagKw },
  { keyword: 'vrrp_down_timer_adverts', field: 'vrrpDownTimerAdverts', spec: ints(1, 100) },
  { keyword: 'vrrp_lower_prio_no_advert', field: 'vrrpLowerPrioNoAdvert', spec: flagKw },
  { keyword: 'vrrp_higher_prio_send_advert', field: 'vrrpHigherPrioSendAdvert', spec: flagKw },
  { keyword: 'v3_checksum_as_v2', field: 'v3ChecksumAsV2', spec: flagKw },
  { keyword: 'vrrp_check_unicast_src', field: 'vrrpCheckUnicastSrc', spec: flagKw },
  { keyword: 'vrrp_skip_check_adv_addr', field: 'vrrpSkipCheckAdvAddr', spec: flagKw },
  { keyword: 'vrrp_strict', field: 'vrrpStrict', spec: flagKw },
  { keyword: 'vrrp_notify_priority_changes', field: 'vrrpNotifyPriorityChanges', spec: flagKw },
  { keyword: 'log_unknown_vrids', field: 'logUnknownVrids', spec: flagKw },
  { keyword: 'vrrp_owner_ignore_adverts', field: 'vrrpOwnerIgnoreAdverts', spec: flagKw },
  // vmac_prefix / vmac_addr_prefix: read by hand below (the first one wins, as in keepalived).
  { keyword: 'vrrp_startup_delay', field: 'vrrpStartupDelay', spec: decimals(0, 3600) },
  { keyword: 'vrrp_delay_after_boot', field: 'vrrpDelayAfterBoot', spec: decimals(0, 3600) },
  // read by readRxBufsPolicy (a size in bytes too); the table prints it
  {
    keyword: 'vrrp_rx_bufs_policy',
    field: 'vrrpRxBufsPolicy',
    spec: { kind: 'choice', values: ['MTU', 'ADVERT'] },
  },
  { keyword: 'vrrp_rx_bufs_multiplier', field: 'vrrpRxBufsMultiplier', spec: ints(1, MAX_INT) },
  { keyword: 'nftables', field: 'nftables', spec: optword },
  { keyword: 'nftables_priority', field: 'nftablesPriority', spec: ints(-MAX_INT, MAX_INT) },
  { keyword: 'nftables_counters', field: 'nftablesCounters', spec: flagKw },
  { keyword: 'nftables_ifindex', field: 'nftablesIfindex', spec: flagKw },
  { keyword: 'nftables_ipvs', field: 'nftablesIpvs', spec: optword },
  { keyword: 'nftables_ipvs_priority', field: 'nftablesIpvsPriority', spec: ints(-MAX_INT, MAX_INT) },
  { keyword: 'nftables_ipvs_start_fwmark', field: 'nftablesIpvsStartFwmark', spec: ints(1, 4294967295) },
  { keyword: 'vrrp_iptables', field: 'vrrpIptables', spec: words },
  { keyword: 'vrrp_ipsets', field: 'vrrpIpsets', spec: words },
  { keyword: 'disable_local_igmp', field: 'disableLocalIgmp', spec: flagKw },
  { keyword: 'lvs_flush', field: 'lvsFlush', spec: flagKw },
  { keyword: 'lvs_flush_on_stop', field: 'lvsFlushOnStop', spec: optword },
  // keepalived's older spelling, still accepted (without a warning) by 2.2.7 and 2.4.
  { keyword: 'lvs_flush_onstop', field: 'lvsFlushOnStop', spec: optword },
  { keyword: 'rs_init_notifies', field: 'rsInitNotifies', spec: flagKw },
  {
    keyword: 'lvs_data_plane',
    field: 'lvsDataPlane',
    spec: { kind: 'choice', values: ['auto', 'ipvs', 'nftables'] },
  },
  { keyword: 'lvs_nftables_ingress', field: 'lvsNftablesIngress', spec: words },
  { keyword: 'min_auto_priority_delay', field: 'minAutoPriorityDelay', spec: ints(1, 10000000) },
  { keyword: 'vrrp_priority', field: 'vrrpPriority', spec: ints(-20, 19) },
  { keyword: 'checker_priority', field: 'checkerPriority', spec: ints(-20, 19) },
  { keyword: 'bfd_priority', field: 'bfdPriority', spec: ints(-20, 19) },
  { keyword: 'vrrp_no_swap', field: 'vrrpNoSwap', spec: flagKw },
  { keyword: 'checker_no_swap', field: 'checkerNoSwap', spec: flagKw },
  { keyword: 'bfd_no_swap', field: 'bfdNoSwap', spec: flagKw },
  { keyword: 'vrrp_cpu_affinity', field: 'vrrpCpuAffinity', spec: words },
  { keyword: 'checker_cpu_affinity', field: 'checkerCpuAffinity', spec: words },
  { keyword: 'bfd_cpu_affinity', field: 'bfdCpuAffinity', spec: words },
  { keyword: 'vrrp_rt_priority', field: 'vrrpRtPriority', spec: ints(1, 99) },
  { keyword: 'checker_rt_priority', field: 'checkerRtPriority', spec: ints(1, 99) },
  { keyword: 'bfd_rt_priority', field: 'bfdRtPriority', spec: ints(1, 99) },
  { keyword: 'vrrp_rlimit_rttime', field: 'vrrpRlimitRttime', spec: ints(2, MAX_INT) },
  { keyword: 'checker_rlimit_rttime', field: 'checkerRlimitRttime', spec: ints(2, MAX_INT) },
  { keyword: 'bfd_rlimit_rttime', field: 'bfdRlimitRttime', spec: ints(2, MAX_INT) },
  { keyword: 'snmp_socket', field: 'snmpSocket', spec: strictWord },
  { keyword: 'enable_snmp_vrrp', field: 'enableSnmpVrrp', spec: flagKw },
  { keyword: 'enable_snmp_checker', field: 'enableSnmpChecker', spec: flagKw },
  { keyword: 'enable_snmp_rfc', field: 'enableSnmpRfc', spec: flagKw },
  { keyword: 'enable_snmp_rfcv2', field: 'enableSnmpRfcv2', spec: flagKw },
  { keyword: 'enable_snmp_rfcv3', field: 'enableSnmpRfcv3', spec: flagKw },
  { keyword: 'enable_traps', field: 'enableTraps', spec: flagKw },
  { keyword: 'snmp_vs_stats_update_interval', field: 'snmpVsStatsUpdateInterval', spec: decimals(0.001, 30) },
  { keyword: 'snmp_rs_stats_update_interval', field: 'snmpRsStatsUpdateInterval', spec: decimals(0.001, 30) },
  { keyword: 'enable_dbus', field: 'enableDbus', spec: flagKw },
  { keyword: 'dbus_service_name', field: 'dbusServiceName', spec: word },
  { keyword: 'dbus_no_interface_name', field: 'dbusNoInterfaceName', spec: word },
  { keyword: 'notify_fifo', field: 'notifyFifo', spec: restKw },
  { keyword: 'notify_fifo_script', field: 'notifyFifoScript', spec: scriptKw },
  { keyword: 'vrrp_notify_fifo', field: 'vrrpNotifyFifo', spec: restKw },
  { keyword: 'vrrp_notify_fifo_script', field: 'vrrpNotifyFifoScript', spec: scriptKw },
  { keyword: 'lvs_notify_fifo', field: 'lvsNotifyFifo', spec: restKw },
  { keyword: 'lvs_notify_fifo_script', field: 'lvsNotifyFifoScript', spec: scriptKw },
  { keyword: 'fifo_write_vrrp_states_on_reload', field: 'fifoWriteVrrpStatesOnReload', spec: flagKw },
  { keyword: 'vrrp_netlink_cmd_rcv_bufs', field: 'vrrpNetlinkCmdRcvBufs', spec: ints(0, MAX_INT) },
  { keyword: 'vrrp_netlink_cmd_rcv_bufs_force', field: 'vrrpNetlinkCmdRcvBufsForce', spec: flagKw },
  { keyword: 'vrrp_netlink_monitor_rcv_bufs', field: 'vrrpNetlinkMonitorRcvBufs', spec: ints(0, MAX_INT) },
  { keyword: 'vrrp_netlink_monitor_rcv_bufs_force', field: 'vrrpNetlinkMonitorRcvBufsForce', spec: flagKw },
  { keyword: 'lvs_netlink_cmd_rcv_bufs', field: 'lvsNetlinkCmdRcvBufs', spec: ints(0, MAX_INT) },
  { keyword: 'lvs_netlink_cmd_rcv_bufs_force', field: 'lvsNetlinkCmdRcvBufsForce', spec: flagKw },
  { keyword: 'lvs_netlink_monitor_rcv_bufs', field: 'lvsNetlinkMonitorRcvBufs', spec: ints(0, MAX_INT) },
  { keyword: 'lvs_netlink_monitor_rcv_bufs_force', field: 'lvsNetlinkMonitorRcvBufsForce', spec: flagKw },
  { keyword: 'process_monitor_rcv_bufs', field: 'processMonitorRcvBufs', spec: ints(0, MAX_INT) },
  { keyword: 'process_monitor_rcv_bufs_force', field: 'processMonitorRcvBufsForce', spec: flagKw },
  { keyword: 'umask', field: 'umask', spec: restKw },
  { keyword: 'random_seed', field: 'randomSeed', spec: ints(0, 4294967295) },
  { keyword: 'reload_check_config', field: 'reloadCheckConfig', spec: optword },
  { keyword: 'include_check', field: 'includeCheck', spec: words },
  { keyword: 'reload_time_file', field: 'reloadTimeFile', spec: strictWord },
  { keyword: 'reload_repeat', field: 'reloadRepeat', spec: flagKw },
  { keyword: 'reload_file', field: 'reloadFile', spec: optword },
  { keyword: 'data_use_instance', field: 'dataUseInstance', spec: flagKw },
  { keyword: 'state_dump_file', field: 'stateDumpFile', spec: word },
  { keyword: 'stats_dump_file', field: 'statsDumpFile', spec: word },
  { keyword: 'json_dump_file', field: 'jsonDumpFile', spec: word },
  { keyword: 'json_version', field: 'jsonVersion', spec: ints(1, 2) },
  { keyword: 'iproute_usr_dir', field: 'iprouteUsrDir', spec: word },
  { keyword: 'iproute_etc_dir', field: 'iprouteEtcDir', spec: word },
];

/** Old names keepalived still accepts, with the keyword that replaced them. */
export const GLOBAL_DEPRECATED: Record<string, string> = {
  enable_snmp_keepalived: 'enable_snmp_vrrp',
  lvs_sync_daemon_interface: 'lvs_sync_daemon',
  vrrp_lower_prio_dont_send_advert: 'vrrp_lower_prio_no_advert',
};

function readSmtpServer(node: ConfigNode, ctx: BuildContext, g: GlobalDefs): void {
  const host = node.args[0];
  if (host === undefined) {
    ctx.diags.error(node, node.keyword, 'missing argument');
    return;
  }
  const port = node.args.length > 1 ? int(node, ctx, 1, 65535, 1) : 25;
  // keepalived resolves a name at once and refuses one that does not resolve (the -t verdict depends on it)
  const resolves = ctx.hostFacts?.hostResolves;
  if (familyOf(host) === undefined && resolves !== undefined && !resolves(host))
    return ctx.diags.error(node, node.keyword, `Invalid smtp server ${host} ${node.args[1] ?? '25'}`);
  if (port !== undefined) g.smtpServer = { host, port };
}

function readLvsSyncDaemon(node: ConfigNode, ctx: BuildContext, g: GlobalDefs): void {
  const ifname = node.args[0];
  if (ifname === undefined) {
    ctx.diags.error(node, node.keyword, 'missing argument');
    return;
  }
  const sync: LvsSyncDaemon = { interface: ifname };
  const numeric: Record<string, ['syncId' | 'maxlen' | 'port' | 'ttl', number, number]> = {
    id: ['syncId', 0, 255],
    maxlen: ['maxlen', 1, 65507],
    port: ['port', 1, 65535],
    ttl: ['ttl', 1, 255],
  };
  for (let i = 1; i < node.args.length; i++) {
    const w = node.args[i] ?? '';
    const num = numeric[w];
    if (num) {
      const v = int(node, ctx, num[1], num[2], i + 1);
      if (v !== undefined) sync[num[0]] = v;
      i++;
    } else if (w === 'group') {
      const ip = ipAddress(node, ctx, i + 1);
      if (ip) sync.group = ip.address;
      i++;
    } else if (w === 'inst') {
      sync.instance = node.args[i + 1];
      if (sync.instance === undefined) ctx.diags.error(node, node.keyword, `'inst' needs an instance name`);
      i++;
    } else if (i === 1 && sync.instance === undefined) {
      sync.instance = w;
    } else {
      ctx.diags.error(node, node.keyword, `unknown option '${w}'`);
    }
  }
  g.lvsSyncDaemon = sync;
}

function readLvsTimeouts(node: ConfigNode, ctx: BuildContext, g: GlobalDefs): void {
  const t: LvsTimeouts = {};
  const names = ['tcp', 'tcpfin', 'udp'] as const;
  for (let i = 0; i < node.args.length; i += 2) {
    const w = node.args[i] ?? '';
    const name = names.find((n) => n === w);
    if (name === undefined) {
      ctx.diags.error(node, node.keyword, `unknown timeout '${w}' (tcp, tcpfin, udp)`);
      continue;
    }
    const v = int(node, ctx, 1, 86400 * 31, i + 1);
    if (v !== undefined) t[name] = v;
  }
  if (node.args.length === 0) ctx.diags.error(node, node.keyword, 'at least one timeout is required');
  else g.lvsTimeouts = t;
}

/** `vrrp_rx_bufs_policy MTU|ADVERT|SIZE`, kept as 'MTU', 'ADVERT' or the size, with keepalived's rules
 * (global_parser.c): a word that is neither MTU nor ADVERT reads the first argument as the size; a size
 * beats a policy, MTU beats ADVERT. */
function readRxBufsPolicy(node: ConfigNode, ctx: BuildContext, g: GlobalDefs): void {
  if (node.args.length === 0) {
    ctx.diags.error(node, node.keyword, 'vrrp_rx_bufs_policy missing');
    return;
  }
  let mtu = false;
  let advert = false;
  let size: number | undefined;
  for (const word of node.args) {
    if (word.toUpperCase() === 'MTU') mtu = true;
    else if (word.toUpperCase() === 'ADVERT') advert = true;
    else if (/^\d+$/.test(node.args[0] ?? '') && Number(node.args[0]) <= 4294967295)
      size = Number(node.args[0]);
    else ctx.diags.error(node, node.keyword, `Invalid vrrp_rx_bufs_policy ${word}`);
  }
  if (size !== undefined && (mtu || advert))
    ctx.diags.warn(node, node.keyword, 'Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy');
  else if (mtu && advert)
    ctx.diags.warn(node, node.keyword, 'Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT');
  const policy = size !== undefined ? String(size) : mtu ? 'MTU' : advert ? 'ADVERT' : undefined;
  if (policy !== undefined) g.vrrpRxBufsPolicy = policy;
}

/** `vrrp_garp_extra_if [all] SECS` and the instance's `garp_extra_if`. */
export function readGarpExtraIf(node: ConfigNode, ctx: BuildContext): GarpExtraIf | undefined {
  const all = node.args[0] === 'all';
  const v = int(node, ctx, 0, 86400, all ? 1 : 0);
  return v === undefined ? undefined : { all, interval: v };
}

/** `PREFIXnotify_fifo` and `PREFIXnotify_fifo_script`: keepalived keeps the first of each and reports the
 * others (global_parser.c notify_fifo / notify_fifo_script); one left to a default user keepalived cannot
 * set is ignored (and the next one read). */
function firstFifoWins(
  g: GlobalDefs,
  ctx: BuildContext,
  prefix: '' | 'vrrp_' | 'lvs_',
): Record<string, (n: ConfigNode) => void> {
  const fifo = prefix === '' ? 'notifyFifo' : prefix === 'vrrp_' ? 'vrrpNotifyFifo' : 'lvsNotifyFifo';
  const script = `${fifo}Script` as const;
  const fifoKw = `${prefix}notify_fifo`;
  const scriptKw = `${prefix}notify_fifo_script`;
  return {
    [fifoKw]: (n: ConfigNode) => {
      const [name] = n.args;
      if (name === undefined) return ctx.diags.warn(n, n.keyword, `No ${fifoKw} name specified`);
      if (g[fifo] !== undefined)
        return ctx.diags.warn(n, n.keyword, `${fifoKw} already specified - ignoring ${name}`);
      // the FIFO is created owned by the user after its name, else the default script user
      if (n.args.length === 1 && !defaultScriptUserUsable(ctx, n, 'global'))
        return ctx.diags.note(
          n,
          n.keyword,
          `Failed to set default user for ${prefix}fifo ${name} - ignoring`,
        );
      g[fifo] = n.args.join(' ');
    },
    [scriptKw]: (n: ConfigNode) => {
      if (n.args.length === 0) return ctx.diags.warn(n, n.keyword, `No ${scriptKw} specified`);
      if (g[script] !== undefined)
        return ctx.diags.warn(n, n.keyword, `${scriptKw} already specified - ignoring ${n.args[0]}`);
      const s = readScriptCommand(n, ctx, 'global');
      if (s !== undefined) g[script] = s;
    },
  };
}

/** Reads a global_defs block into `g` (global_defs may appear more than once; later values win). */
export function readGlobalDefs(node: ConfigNode, ctx: BuildContext, g: GlobalDefs): void {
  g.location ??= { file: node.file, line: node.line };
  let vmacPrefixSet = g.vmacPrefix !== defaultGlobalDefs().vmacPrefix;
  const handlers = {
    ...simpleHandlers(g, GLOBAL_TABLE, ctx),
    // keepalived reads the block word by word: `a@x b@y` on one line are two addresses.
    notification_email: (n: ConfigNode) => {
      const children = blockChildren(n, ctx);
      if (n.children !== undefined && children.length === 0)
        ctx.diags.warn(blockEnd(n), n.keyword, 'Warning - empty notification_email block');
      for (const child of children) g.notificationEmail.push(child.keyword, ...child.args);
    },
    smtp_connect_timeout: (n: ConfigNode) => {
      const v = int(n, ctx, 0, MAX_INT);
      if (v === 0) ctx.diags.warn(n, n.keyword, 'smtp_connect_timeout must be greater than 0, setting to 1');
      if (v !== undefined) g.smtpConnectTimeout = Math.max(1, v);
    },
    smtp_server: (n: ConfigNode) => readSmtpServer(n, ctx, g),
    lvs_sync_daemon: (n: ConfigNode) => readLvsSyncDaemon(n, ctx, g),
    lvs_timeouts: (n: ConfigNode) => readLvsTimeouts(n, ctx, g),
    vrrp_mcast_group4: (n: ConfigNode) => {
      const ip = ipAddress(n, ctx);
      if (ip && ip.family !== 4) ctx.diags.error(n, n.keyword, `'${ip.address}' is not an IPv4 address`);
      else if (ip) g.vrrpMcastGroup4 = ip.address;
    },
    vrrp_mcast_group6: (n: ConfigNode) => {
      const ip = ipAddress(n, ctx);
      if (ip && ip.family !== 6) ctx.diags.error(n, n.keyword, `'${ip.address}' is not an IPv6 address`);
      else if (ip) g.vrrpMcastGroup6 = ip.address;
    },
    vrrp_version: (n: ConfigNode) => {
      const v = int(n, ctx, 2, 3);
      if (v === 2 || v === 3) g.vrrpVersion = v;
    },
    vrrp_garp_extra_if: (n: ConfigNode) => {
      const v = readGarpExtraIf(n, ctx);
      if (v) g.vrrpGarpExtraIf = v;
    },
    // keepalived keeps the first value and reports the later ones (global_parser.c vrrp_vmac_prefix_handler).
    vmac_prefix: (n: ConfigNode) => {
      const v = arg(n, ctx);
      if (v === undefined) return;
      if (vmacPrefixSet)
        ctx.diags.warn(n, n.keyword, `vmac prefix has already been specified - ignoring ${v}`);
      else g.vmacPrefix = v;
      vmacPrefixSet = true;
    },
    ...firstFifoWins(g, ctx, ''),
    ...firstFifoWins(g, ctx, 'vrrp_'),
    ...firstFifoWins(g, ctx, 'lvs_'),
    vmac_addr_prefix: (n: ConfigNode) => {
      const v = arg(n, ctx);
      if (v === undefined) return;
      if (g.vmacAddrPrefix !== undefined)
        ctx.diags.warn(n, n.keyword, `vmac_addr prefix has already been specified - ignoring ${v}`);
      else g.vmacAddrPrefix = v;
    },
    vrrp_rx_bufs_policy: (n: ConfigNode) => readRxBufsPolicy(n, ctx, g),
    max_auto_priority: (n: ConfigNode) => {
      const v = n.args.length === 0 ? 99 : int(n, ctx, -1, 99);
      if (v !== undefined) g.maxAutoPriority = v;
    },
    vrrp_min_garp: (n: ConfigNode) => {
      // One GARP/NA burst of one message, no second burst: keepalived rewrites the garp defaults.
      g.vrrpMinGarp = flag(n, ctx);
      if (g.vrrpMinGarp) {
        g.vrrpGarpMasterRepeat = 1;
        g.vrrpGarpMasterDelay = 0;
        g.vrrpGarpMasterRefreshRepeat = 1;
      }
    },
    // Debian's keepalived 2.2.7 is built with nftables only (global_parser.c 1167-1177, 2350-2353):
    // vrrp_iptables asks for the nftables firewall, vrrp_ipsets is not a keyword of that build.
    vrrp_iptables: (n: ConfigNode) => {
      g.vrrpIptables = [...n.args];
      ctx.diags.warn(
        n,
        n.keyword,
        "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option",
      );
    },
    vrrp_ipsets: (n: ConfigNode) => {
      g.vrrpIpsets = [...n.args];
      ctx.diags.warn(
        n,
        n.keyword,
        'ipsets are not supported (keepalived 2.2.7 as Debian builds it does not know this keyword): ignored; the VRRP firewall uses nftables',
      );
    },
    dynamic_interfaces: (n: ConfigNode) => {
      const opt = n.args[0];
      if (opt !== undefined && opt !== 'allow_if_changes')
        ctx.diags.error(n, n.keyword, `unknown option '${opt}' (allow_if_changes)`);
      g.dynamicInterfaces = true;
      g.dynamicInterfacesAllowIfChanges = opt === 'allow_if_changes';
    },
  };
  const table: Handlers = { ...handlers };
  // keepalived's handlers for these read their argument unchecked: without it its parser stops (-t exit 2)
  for (const keyword of GLOBAL_MISSING_ARGUMENT_STOPS) {
    const handler = table[keyword];
    if (handler === undefined) continue;
    table[keyword] = (n: ConfigNode) => {
      if (n.args.length === 0) ctx.diags.ranked('abort', 'error', n, n.keyword, 'missing argument');
      else handler(n);
    };
  }
  // smtphelo_handler: a missing name is ignored without a word
  const helo = table.smtp_helo_name;
  table.smtp_helo_name = (n: ConfigNode) => {
    if (n.args.length > 0) helo?.(n);
  };
  walk(blockChildren(node, ctx), ctx, table, 'global_defs', GLOBAL_DEPRECATED);
}

/** global_defs keywords whose argument keepalived 2.2.7 reads unchecked (each seen exiting 2 without it). */
const GLOBAL_MISSING_ARGUMENT_STOPS = [
  'process_name',
  'vrrp_process_name',
  'checker_process_name',
  'bfd_process_name',
  'smtp_server',
  'smtp_connect_timeout',
  'vrrp_mcast_group4',
  'vrrp_mcast_group6',
  'vrrp_garp_master_delay',
  'vrrp_garp_master_repeat',
  'vrrp_garp_master_refresh',
  'vrrp_garp_master_refresh_repeat',
  'vrrp_garp_lower_prio_delay',
  'vrrp_garp_lower_prio_repeat',
  'vrrp_down_timer_adverts',
  'vrrp_garp_interval',
  'vrrp_gna_interval',
  'vrrp_version',
  'nftables_priority',
  'nftables_ipvs_priority',
  'nftables_ipvs_start_fwmark',
  'vrrp_startup_delay',
  'vmac_prefix',
  'vmac_addr_prefix',
  'random_seed',
  'config_save_dir',
  'umask',
] as const;

/** The global keywords keepalived only knows outside global_defs (net_namespace, instance, ...). */
export function printTopLevelGlobals(g: GlobalDefs): string[] {
  return printSimple(g, TOP_LEVEL_GLOBAL_TABLE, defaultGlobalDefs());
}

/** global_defs text (one block), keywords equal to their default omitted. */
export function printGlobalDefs(g: GlobalDefs): string[] {
  const inBlock = GLOBAL_TABLE.filter((e) => !TOP_LEVEL_GLOBAL_TABLE.includes(e));
  const lines = printSimple(g, inBlock, defaultGlobalDefs());
  if (g.notificationEmail.length > 0)
    lines.push('notification_email {', ...g.notificationEmail.map((e) => `  ${quoteWord(e)}`), '}');
  if (g.smtpServer) lines.push(`smtp_server ${g.smtpServer.host} ${g.smtpServer.port}`);
  if (g.lvsSyncDaemon) {
    const s = g.lvsSyncDaemon;
    const parts = ['lvs_sync_daemon', s.interface];
    if (s.instance !== undefined) parts.push('inst', s.instance);
    if (s.syncId !== undefined) parts.push('id', String(s.syncId));
    if (s.maxlen !== undefined) parts.push('maxlen', String(s.maxlen));
    if (s.port !== undefined) parts.push('port', String(s.port));
    if (s.ttl !== undefined) parts.push('ttl', String(s.ttl));
    if (s.group !== undefined) parts.push('group', s.group);
    lines.push(parts.join(' '));
  }
  if (g.lvsTimeouts) {
    const parts = ['lvs_timeouts'];
    for (const k of ['tcp', 'tcpfin', 'udp'] as const) {
      const v = g.lvsTimeouts[k];
      if (v !== undefined) parts.push(k, String(v));
    }
    lines.push(parts.join(' '));
  }
  const d = defaultGlobalDefs();
  if (g.vrrpMcastGroup4 !== d.vrrpMcastGroup4) lines.push(`vrrp_mcast_group4 ${g.vrrpMcastGroup4}`);
  if (g.vrrpMcastGroup6 !== d.vrrpMcastGroup6) lines.push(`vrrp_mcast_group6 ${g.vrrpMcastGroup6}`);
  if (g.vrrpVersion !== d.vrrpVersion) lines.push(`vrrp_version ${g.vrrpVersion}`);
  if (g.vrrpGarpExtraIf)
    lines.push(`vrrp_garp_extra_if ${g.vrrpGarpExtraIf.all ? 'all ' : ''}${g.vrrpGarpExtraIf.interval}`);
  if (g.maxAutoPriority !== undefined) lines.push(`max_auto_priority ${g.maxAutoPriority}`);
  if (g.vmacPrefix !== d.vmacPrefix) lines.push(`vmac_prefix ${quoteWord(g.vmacPrefix)}`);
  if (g.vmacAddrPrefix !== undefined) lines.push(`vmac_addr_prefix ${quoteWord(g.vmacAddrPrefix)}`);
  if (g.dynamicInterfaces)
    lines.push(
      g.dynamicInterfacesAllowIfChanges ? 'dynamic_interfaces allow_if_changes' : 'dynamic_interfaces',
    );
  return lines;
}
