// What each keyword of keepalived 2.4.3 does here, block by block (tests/fixtures/keepalived-2.4.3-keywords.json
// lists them; tests/unit/config/keyword-walk.test.ts checks this table against it). A keyword either has an
// effect (`implemented`: the model field it sets and a file outside the parser that reads it), or is
// accepted without one (`note`: `-t` and the daemon print the reason at its file:line, never counted by
// -t's exit code, so the verdict stays keepalived's), or is another name for a keyword of the same block.

export type KeywordSupport =
  | { kind: 'implemented'; consumer: string; field: string }
  /** `reportedByParser`: the keyword's own handler already says it (with keepalived's wording). */
  | { kind: 'note'; reason: string; reportedByParser?: boolean }
  | { kind: 'alias'; of: string };

type BlockSupport = Readonly<Record<string, KeywordSupport>>;

const note = (reason: string): KeywordSupport => ({ kind: 'note', reason });
const alias = (of: string): KeywordSupport => ({ kind: 'alias', of });
const uses = (consumer: string, field: string): KeywordSupport => ({ kind: 'implemented', consumer, field });

/** Keywords read by one consumer: keyword -> model field (or [field, another consumer]). */
function readBy(consumer: string, fields: Record<string, string | [string, string]>): BlockSupport {
  const out: Record<string, KeywordSupport> = {};
  for (const [keyword, f] of Object.entries(fields))
    out[keyword] = typeof f === 'string' ? uses(consumer, f) : uses(f[1], f[0]);
  return out;
}

const VRRP = 'src/vrrp/from-model.ts';
const FINALIZE = 'src/config/model/vrrp/finalize.ts';
const CHECK = 'src/check/schedule/from-model.ts';
const LB = 'src/lb/table/resolve.ts';
const BFD = 'src/bfd/from-model.ts';
const ALERTS = 'src/daemon/alerts/policy.ts';
const PROCESS = 'src/daemon/process/run.ts';
const SNMP = 'src/snmp/mib/switches.ts';
const POLLER = 'src/daemon/vrrp/tracker-poller.ts';
const FIFOS = 'src/daemon/process/notify-fifos.ts';
const LATE_TIMERS = 'src/daemon/vrrp/late-timers.ts';

// Reasons, short and factual; the same wording wherever the same limit applies.
const NO_PROC_EVENTS =
  'keepalived-ts counts track_process processes by reading /proc: it has no process-event netlink socket to size';
const NOT_IMPLEMENTED = 'not implemented in keepalived-ts';
const NO_REGEX_STACK =
  "keepalived-ts matches with V8's RegExp, which has no PCRE2 JIT stack to size (it grows as needed)";
const HTTP_PROBE = 'src/check/probes/http.ts';
const TLS_CLIENT = 'src/check/probes/http-client.ts';
const LINKBEAT = 'src/daemon/vrrp/linkbeat.ts';
// use_vmac_addr and use_vmac on an address line: a macvlan of their own for such addresses.
const ADDRESS_VMACS = 'src/vrrp/address-vmacs.ts';
// keepalived_netlink.c compares the removed address with the start of the instance's sockaddr rather than
// its address field, so the fault never happens (2.2.7 seen in tests/netns/daemon-keywords-vrrp.test.ts).
// lib/parser.c init_data: the flag is cleared and ${_RANDOM} seeded from the clock before the file is read,
// and cleared again before the next read, so the configured seed is never used.
const RANDOM_SEED_INERT =
  'has no effect in keepalived 2.4.3 either (${_RANDOM} is seeded from the clock before the configuration is read)';
const TRACK_SRC_IP_INERT =
  'has no effect in keepalived 2.2.7 and 2.4.3 either (the configured source address going never faults the instance); keepalived-ts does the same';

const PROCESS_SETTINGS = 'src/daemon/process/process-settings.ts';

const PROCESS_NAMES = {
  ...readBy(PROCESS_SETTINGS, {
    process_names: 'processNames',
    process_name: 'processName',
    vrrp_process_name: 'vrrpProcessName',
    checker_process_name: 'checkerProcessName',
    bfd_process_name: 'bfdProcessName',
  }),
  lvs_process_name: alias('checker_process_name'),
};

/** *_priority, *_no_swap, *_rt_priority, *_cpu_affinity, *_rlimit_rttime of one child (process-settings.ts). */
function processTuning(prefix: 'vrrp' | 'checker' | 'bfd'): BlockSupport {
  const field: Record<string, string> = {
    priority: 'Priority',
    no_swap: 'NoSwap',
    rt_priority: 'RtPriority',
    cpu_affinity: 'CpuAffinity',
    rlimit_rttime: 'RlimitRttime',
  };
  const out: Record<string, KeywordSupport> = {};
  for (const [kw, f] of Object.entries(field))
    out[`${prefix}_${kw}`] = uses(PROCESS_SETTINGS, `${prefix}${f}`);
  out[`${prefix}_rlimit_rtime`] = alias(`${prefix}_rlimit_rttime`);
  return out;
}

/** Keywords keepalived allows at the top level only (ours also take them inside global_defs). */
const TOP_LEVEL_GLOBALS: BlockSupport = {
  linkbeat_use_polling: uses(LINKBEAT, 'linkbeatUsePolling'),
  net_namespace: uses(PROCESS, 'netNamespace'),
  net_namespace_ipvs: uses('src/daemon/lb/load-balancer.ts', 'netNamespaceIpvs'),
  namespace_with_ipsets: note('keepalived-ts uses no ipsets'),
  use_pid_dir: uses(PROCESS, 'usePidDir'),
  instance: uses(PROCESS, 'instanceName'),
  child_wait_time: uses(PROCESS, 'childWaitTime'),
};

const GLOBAL_DEFS: BlockSupport = {
  ...PROCESS_NAMES,
  use_symlink_paths: uses('src/daemon/process/notifier.ts', 'useSymlinkPaths'),
  ...readBy(ALERTS, {
    router_id: 'routerId',
    notification_email_from: 'notificationEmailFrom',
    smtp_server: 'smtpServer',
    smtp_helo_name: 'smtpHeloName',
    smtp_connect_timeout: 'smtpConnectTimeout',
    notification_email: 'notificationEmail',
    smtp_alert: 'smtpAlert',
    smtp_alert_vrrp: 'smtpAlertVrrp',
    smtp_alert_checker: 'smtpAlertChecker',
    no_email_faults: 'noEmailFaults',
    no_checker_emails: ['noCheckerEmails', 'src/daemon/alerts/checker-alerts.ts'],
  }),
  ...readBy(PROCESS, {
    startup_script: 'startupScript',
    startup_script_timeout: 'startupScriptTimeout',
    shutdown_script: 'shutdownScript',
    shutdown_script_timeout: 'shutdownScriptTimeout',
  }),
  // The VRRP child watches its timers (late-timers.ts); the checker and BFD children do not.
  max_auto_priority: uses(LATE_TIMERS, 'maxAutoPriority'),
  min_auto_priority_delay: uses(LATE_TIMERS, 'minAutoPriorityDelay'),
  checker_log_all_failures: uses(CHECK, 'checkerLogAllFailures'),
  dynamic_interfaces: uses('src/config/model/static/interface-checks.ts', 'dynamicInterfaces'),
  default_interface: uses('src/daemon/vrrp/instance-kernel-objects.ts', 'defaultInterface'),
  disable_local_igmp: uses('src/daemon/vrrp/vrrp-daemon.ts', 'disableLocalIgmp'),
  v3_checksum_as_v2: uses(VRRP, 'v3ChecksumAsV2'),
  ...readBy(LB, {
    lvs_timeouts: 'lvsTimeouts',
    lvs_flush: 'lvsFlush',
    lvs_flush_on_stop: 'lvsFlushOnStop',
    rs_init_notifies: 'rsInitNotifies',
  }),
  lvs_flush_onstop: alias('lvs_flush_on_stop'),
  lvs_sync_daemon: uses('src/daemon/lb/load-balancer.ts', 'lvsSyncDaemon'),
  ...readBy(VRRP, {
    vrrp_mcast_group4: 'vrrpMcastGroup4',
    vrrp_mcast_group6: 'vrrpMcastGroup6',
    vrrp_garp_master_delay: 'vrrpGarpMasterDelay',
    vrrp_garp_master_repeat: 'vrrpGarpMasterRepeat',
    vrrp_garp_master_refresh: 'vrrpGarpMasterRefresh',
    vrrp_garp_master_refresh_repeat: 'vrrpGarpMasterRefreshRepeat',
    vrrp_garp_lower_prio_delay: 'vrrpGarpLowerPrioDelay',
    vrrp_garp_lower_prio_repeat: 'vrrpGarpLowerPrioRepeat',
    vrrp_garp_interval: 'vrrpGarpInterval',
    vrrp_gna_interval: 'vrrpGnaInterval',
    vrrp_lower_prio_no_advert: 'vrrpLowerPrioNoAdvert',
    vrrp_higher_prio_send_advert: 'vrrpHigherPrioSendAdvert',
    vrrp_skip_check_adv_addr: 'vrrpSkipCheckAdvAddr',
    vrrp_strict: 'vrrpStrict',
    vrrp_startup_delay: 'vrrpStartupDelay',
  }),
  // Settled into each instance by the parser (finalize.ts), read from there by the VRRP engine.
  vrrp_down_timer_adverts: uses(FINALIZE, 'vrrpDownTimerAdverts'),
  vrrp_version: uses(FINALIZE, 'vrrpVersion'),
  vrrp_min_garp: uses('src/config/model/global/global.ts', 'vrrpMinGarp'),
  vrrp_garp_extra_if: uses(FINALIZE, 'vrrpGarpExtraIf'),
  vrrp_vmac_garp_intvl: alias('vrrp_garp_extra_if'),
  ...readBy('src/vrrp/firewall/settings.ts', {
    vrrp_iptables: 'vrrpIptables',
    nftables_priority: 'nftablesPriority',
    nftables_ifindex: 'nftablesIfindex',
    nftables_counters: 'nftablesCounters',
  }),
  // keepalived 2.2.7 as Debian builds it does not know vrrp_ipsets: the parser warns as it does.
  vrrp_ipsets: { kind: 'note', reason: 'keepalived-ts uses no ipsets', reportedByParser: true },
  nftables: uses('src/daemon/vrrp/vrrp-daemon.ts', 'nftables'),
  vrrp_check_unicast_src: uses(FINALIZE, 'vrrpCheckUnicastSrc'),
  ...processTuning('vrrp'),
  ...processTuning('checker'),
  ...processTuning('bfd'),
  nftables_ipvs: uses(LB, 'nftablesIpvs'),
  nftables_ipvs_priority: uses(LB, 'nftablesIpvsPriority'),
  nftables_ipvs_start_fwmark: uses(LB, 'nftablesIpvsStartFwmark'),
  notify_fifo: uses(FIFOS, 'notifyFifo'),
  notify_fifo_script: uses(FIFOS, 'notifyFifoScript'),
  vrrp_notify_fifo: uses(FIFOS, 'vrrpNotifyFifo'),
  vrrp_notify_fifo_script: uses(FIFOS, 'vrrpNotifyFifoScript'),
  vrrp_notify_priority_changes: uses(FINALIZE, 'vrrpNotifyPriorityChanges'),
  fifo_write_vrrp_states_on_reload: uses('src/daemon/vrrp/vrrp-daemon.ts', 'fifoWriteVrrpStatesOnReload'),
  lvs_notify_fifo: uses(FIFOS, 'lvsNotifyFifo'),
  lvs_notify_fifo_script: uses(FIFOS, 'lvsNotifyFifoScript'),
  ...readBy(SNMP, {
    snmp_socket: 'snmpSocket',
    enable_snmp_vrrp: 'enableSnmpVrrp',
    enable_snmp_rfc: 'enableSnmpRfc',
    enable_snmp_rfcv2: 'enableSnmpRfcv2',
    enable_snmp_rfcv3: 'enableSnmpRfcv3',
    enable_snmp_checker: 'enableSnmpChecker',
    enable_traps: ['enableTraps', 'src/snmp/from-model.ts'],
  }),
  enable_snmp_keepalived: alias('enable_snmp_vrrp'),
  snmp_vs_stats_update_interval: uses('src/snmp/stats-refresh.ts', 'snmpVsStatsUpdateInterval'),
  snmp_rs_stats_update_interval: uses('src/snmp/stats-refresh.ts', 'snmpRsStatsUpdateInterval'),
  ...readBy('src/daemon/vrrp/vrrp-dbus.ts', {
    enable_dbus: 'enableDbus',
    dbus_service_name: 'dbusServiceName',
    dbus_no_interface_name: 'dbusNoInterfaceName',
  }),
  script_user: uses('src/daemon/process/notifier.ts', 'scriptUser'),
  enable_script_security: uses('src/daemon/process/notifier.ts', 'enableScriptSecurity'),
  ...readBy('src/daemon/process/netlink-buffers.ts', {
    vrrp_netlink_cmd_rcv_bufs: 'vrrpNetlinkCmdRcvBufs',
    vrrp_netlink_cmd_rcv_bufs_force: 'vrrpNetlinkCmdRcvBufsForce',
    vrrp_netlink_monitor_rcv_bufs: 'vrrpNetlinkMonitorRcvBufs',
    vrrp_netlink_monitor_rcv_bufs_force: 'vrrpNetlinkMonitorRcvBufsForce',
    lvs_netlink_cmd_rcv_bufs: 'lvsNetlinkCmdRcvBufs',
    lvs_netlink_cmd_rcv_bufs_force: 'lvsNetlinkCmdRcvBufsForce',
    lvs_netlink_monitor_rcv_bufs: 'lvsNetlinkMonitorRcvBufs',
    lvs_netlink_monitor_rcv_bufs_force: 'lvsNetlinkMonitorRcvBufsForce',
  }),
  process_monitor_rcv_bufs: note(NO_PROC_EVENTS),
  process_monitor_rcv_bufs_force: note(NO_PROC_EVENTS),
  vrrp_rx_bufs_policy: uses(VRRP, 'vrrpRxBufsPolicy'),
  vrrp_rx_bufs_multiplier: uses(VRRP, 'vrrpRxBufsMultiplier'),
  vrrp_delay_after_boot: uses(VRRP, 'vrrpDelayAfterBoot'),
  log_unknown_vrids: uses(VRRP, 'logUnknownVrids'),
  vrrp_owner_ignore_adverts: uses(VRRP, 'vrrpOwnerIgnoreAdverts'),
  vmac_prefix: uses(VRRP, 'vmacPrefix'),
  vmac_addr_prefix: uses(VRRP, 'vmacAddrPrefix'),
  umask: uses('src/daemon/process/options.ts', 'umask'),
  random_seed: note(RANDOM_SEED_INERT),
  reload_check_config: uses(PROCESS, 'reloadCheckConfig'),
  reload_time_file: uses(PROCESS, 'reloadTimeFile'),
  reload_repeat: uses(PROCESS, 'reloadRepeat'),
  reload_file: uses(PROCESS, 'reloadFile'),
  include_check: uses('src/config/preprocess.ts', 'include_check'),
  config_save_dir: uses('src/daemon/vrrp/vrrp-daemon.ts', 'configSaveDir'),
  tmp_config_directory: uses(PROCESS, 'tmpConfigDirectory'),
  data_use_instance: uses('src/daemon/process/dump-files.ts', 'dataUseInstance'),
  json_version: uses('src/daemon/vrrp/dump-signal.ts', 'jsonVersion'),
  // where `table NAME` of routes and rules is looked up (rt_tables, rt_tables.d/*.conf)
  iproute_usr_dir: uses('src/config/model/static/route-tables.ts', 'iprouteUsrDir'),
  iproute_etc_dir: uses('src/config/model/static/route-tables.ts', 'iprouteEtcDir'),
  state_dump_file: uses('src/daemon/process/dump-files.ts', 'stateDumpFile'),
  // keepalived 2.4.3 stores these two but writes keepalived.stats and keepalived.json in TMPDIR regardless.
  stats_dump_file: note(
    'keepalived 2.4.3 reads it but writes keepalived.stats in its temporary directory all the same; so does keepalived-ts',
  ),
  json_dump_file: note(
    'keepalived 2.4.3 reads it but writes keepalived.json in its temporary directory all the same; so does keepalived-ts',
  ),
};

const TRACKERS = readBy(VRRP, {
  track_interface: 'track',
  track_script: 'track',
  track_file: 'track',
  track_process: 'track',
  track_bfd: 'track',
});

const NOTIFY = readBy(VRRP, {
  notify_backup: 'notify',
  notify_master: 'notify',
  notify_fault: 'notify',
  notify_stop: 'notify',
  notify: 'notify',
});

const VRRP_SYNC_GROUP: BlockSupport = {
  group: uses(VRRP, 'members'),
  ...TRACKERS,
  ...NOTIFY,
  smtp_alert: uses(ALERTS, 'smtpAlert'),
  global_tracking: alias('sync_group_tracking_weight'),
  sync_group_tracking_weight: uses(VRRP, 'syncGroupTrackingWeight'),
  notify_priority_changes: uses(FINALIZE, 'notifyPriorityChanges'),
};

const VRRP_INSTANCE: BlockSupport = {
  ...TRACKERS,
  ...NOTIFY,
  ...readBy(VRRP, {
    use_vmac: 'useVmac',
    vmac_xmit_base: 'vmacXmitBase',
    unicast_peer: 'unicastPeers',
    old_unicast_checksum: 'oldUnicastChecksum',
    state: 'state',
    interface: 'interface',
    dont_track_primary: 'dontTrackPrimary',
    mcast_src_ip: 'srcIp',
    unicast_src_ip: 'srcIp',
    mcast_dst_ip: 'mcastDstIp',
    virtual_router_id: 'virtualRouterId',
    version: 'version',
    priority: 'priority',
    advert_int: 'advertInt',
    virtual_ipaddress: 'virtualIpaddresses',
    virtual_ipaddress_excluded: 'virtualIpaddressesExcluded',
    virtual_routes: 'virtualRoutes',
    virtual_rules: 'virtualRules',
    accept: 'accept',
    no_accept: 'accept',
    skip_check_adv_addr: 'skipCheckAdvAddr',
    strict_mode: 'strictMode',
    preempt: 'preempt',
    nopreempt: 'preempt',
    preempt_delay: 'preemptDelay',
    notify_deleted: 'notify',
    notify_master_rx_lower_pri: 'notify',
    garp_master_delay: 'garpMasterDelay',
    garp_master_refresh: 'garpMasterRefresh',
    garp_master_repeat: 'garpMasterRepeat',
    garp_master_refresh_repeat: 'garpMasterRefreshRepeat',
    garp_lower_prio_delay: 'garpLowerPrioDelay',
    garp_lower_prio_repeat: 'garpLowerPrioRepeat',
    down_timer_adverts: 'downTimerAdverts',
    lower_prio_no_advert: 'lowerPrioNoAdvert',
    higher_prio_send_advert: 'higherPrioSendAdvert',
    authentication: 'authentication',
    auth_hmac: 'authHmac',
    v3_checksum_as_v2: ['v3ChecksumAsV2', 'src/vrrp/wire/datagram.ts'],
  }),
  // The address family keepalived derives from it is settled by the parser.
  native_ipv6: uses(FINALIZE, 'nativeIpv6'),
  no_virtual_ipaddress: uses(FINALIZE, 'noVirtualIpaddress'),
  lvs_sync_daemon_interface: uses(FINALIZE, 'lvsSyncDaemonInterface'),
  smtp_alert: uses(ALERTS, 'smtpAlert'),
  use_vmac_addr: uses(ADDRESS_VMACS, 'useVmacAddr'),
  use_ipvlan: uses(VRRP, 'useIpvlan'),
  unicast_fault_no_peer: uses(VRRP, 'unicastFaultNoPeer'),
  check_unicast_src: uses(VRRP, 'checkUnicastSrc'),
  vrf: uses(VRRP, 'vrf'),
  track_src_ip: note(TRACK_SRC_IP_INERT),
  unicast_ttl: uses(VRRP, 'unicastTtl'),
  promote_secondaries: uses('src/daemon/vrrp/promote-secondaries.ts', 'promoteSecondaries'),
  linkbeat_use_polling: uses(LINKBEAT, 'linkbeatUsePolling'),
  // keepalived's only use of it: a line of the data dump
  debug: uses('src/daemon/vrrp/vrrp-dump.ts', 'debug'),
  notify_priority_changes: uses(VRRP, 'notifyPriorityChanges'),
  timer_expired_backup: uses(VRRP, 'timerExpiredBackup'),
  thread_timer_expired: uses(VRRP, 'timerExpiredBackup'),
  garp_extra_if: uses(VRRP, 'garpExtraIf'),
  vmac_garp_intvl: alias('garp_extra_if'),
  owner_ignore_adverts: uses(VRRP, 'ownerIgnoreAdverts'),
  kernel_rx_buf_size: uses(VRRP, 'kernelRxBufSize'),
};

const CONNECTION = readBy(CHECK, {
  connect_ip: 'connectIp',
  connect_port: 'connectPort',
  bindto: 'bindTo',
  bind_port: 'bindPort',
  bind_if: 'bindIf',
  connect_timeout: 'connectTimeout',
  fwmark: 'fwmark',
});

const CHECKER_COMMON: BlockSupport = {
  ...readBy(CHECK, {
    retry: 'retry',
    delay_before_retry: 'delayBeforeRetry',
    warmup: 'warmup',
    delay_loop: 'delayLoop',
    alpha: 'alpha',
  }),
  log_all_failures: uses(CHECK, 'logAllFailures'),
};

const URL: BlockSupport = {
  ...readBy(CHECK, {
    path: 'path',
    digest: 'digest',
    status_code: 'statusCodes',
    virtualhost: 'virtualhost',
    regex: 'regex',
    regex_no_match: 'regexNoMatch',
  }),
  regex_options: uses(HTTP_PROBE, 'regexOptions'),
  regex_min_offset: uses(CHECK, 'regexMinOffset'),
  regex_max_offset: uses(CHECK, 'regexMaxOffset'),
  regex_stack: note(NO_REGEX_STACK),
};

const HTTP_GET: BlockSupport = {
  ...CONNECTION,
  ...CHECKER_COMMON,
  nb_get_retry: alias('retry'),
  ...readBy(CHECK, {
    virtualhost: 'virtualhost',
    http_protocol: 'httpProtocol',
    enable_sni: 'enableSni',
    url: 'urls',
  }),
  fast_recovery: uses('src/check/schedule/scheduler.ts', 'fastRecovery'),
};

const REAL_SERVER: BlockSupport = {
  ...readBy(LB, {
    weight: 'weight',
    lvs_method: 'forwarding',
    uthreshold: 'uthreshold',
    lthreshold: 'lthreshold',
    inhibit_on_failure: 'inhibitOnFailure',
  }),
  ...readBy(CHECK, {
    notify_up: 'notifyUp',
    notify_down: 'notifyDown',
    alpha: 'alpha',
    retry: 'retry',
    delay_before_retry: 'delayBeforeRetry',
    warmup: 'warmup',
    connect_timeout: 'connectTimeout',
    delay_loop: 'delayLoop',
    virtualhost: 'virtualhost',
    MISC_CHECK: 'checkers',
    SMTP_CHECK: 'checkers',
    TCP_CHECK: 'checkers',
    PING_CHECK: 'checkers',
    UDP_CHECK: 'checkers',
    HTTP_GET: 'checkers',
    SSL_GET: 'checkers',
    DNS_CHECK: 'checkers',
    FILE_CHECK: 'checkers',
    BFD_CHECK: 'checkers',
  }),
  smtp_alert: uses('src/daemon/alerts/checker-alerts.ts', 'smtpAlert'),
  snmp_name: uses('src/snmp/from-model-check.ts', 'snmpName'),
};

const VIRTUAL_SERVER: BlockSupport = {
  ...readBy(LB, {
    ip_family: 'ipFamily',
    inhibit_on_failure: 'inhibitOnFailure',
    lvs_sched: 'scheduler',
    hashed: 'schedFlags',
    'flag-1': 'schedFlags',
    'flag-2': 'schedFlags',
    'flag-3': 'schedFlags',
    'sh-port': 'schedFlags',
    'sh-fallback': 'schedFlags',
    'mh-port': 'schedFlags',
    'mh-fallback': 'schedFlags',
    ops: 'ops',
    lvs_method: 'forwarding',
    persistence_engine: 'persistenceEngine',
    persistence_timeout: 'persistenceTimeout',
    persistence_granularity: 'persistenceGranularity',
    protocol: 'protocol',
    ha_suspend: 'haSuspend',
    omega: 'omega',
    quorum_up: 'quorumUp',
    quorum_down: 'quorumDown',
    quorum: 'quorum',
    hysteresis: 'hysteresis',
    weight: 'weight',
    sorry_server: 'sorryServer',
    sorry_server_inhibit: 'sorryServer',
    sorry_server_lvs_method: 'sorryServer',
    real_server: 'realServers',
  }),
  ...readBy(CHECK, {
    retry: 'retry',
    delay_before_retry: 'delayBeforeRetry',
    warmup: 'warmup',
    connect_timeout: 'connectTimeout',
    delay_loop: 'delayLoop',
    virtualhost: 'virtualhost',
    alpha: 'alpha',
  }),
  lb_algo: alias('lvs_sched'),
  lb_kind: alias('lvs_method'),
  smtp_alert: uses('src/daemon/alerts/checker-alerts.ts', 'smtpAlert'),
  snmp_name: uses('src/snmp/from-model-check.ts', 'snmpName'),
};

const TRACK_FILE: BlockSupport = readBy(POLLER, {
  file: 'file',
  weight: ['weight', VRRP],
  init_file: 'initFile',
});

/** Every block keepalived 2.4.3 has keywords in, by path ('' = the top level; ' > ' between levels). */
export const KEYWORD_SUPPORT: Readonly<Record<string, BlockSupport>> = {
  '': {
    ...TOP_LEVEL_GLOBALS,
    global_defs: uses(ALERTS, 'global'),
    track_group: uses(VRRP, 'trackGroups'),
    static_ipaddress: uses('src/daemon/vrrp/instance-kernel-objects.ts', 'staticAddresses'),
    static_routes: uses('src/daemon/vrrp/instance-kernel-objects.ts', 'staticRoutes'),
    static_rules: uses('src/daemon/vrrp/instance-kernel-objects.ts', 'staticRules'),
    vrrp_sync_group: uses(VRRP, 'syncGroups'),
    garp_group: uses(VRRP, 'garpGroups'),
    linkbeat_interfaces: uses(LINKBEAT, 'linkbeatInterfaces'),
    vrrp_instance: uses(VRRP, 'instances'),
    vrrp_script: uses(VRRP, 'vrrpScripts'),
    vrrp_track_process: uses(VRRP, 'trackProcesses'),
    interface_up_down_delays: uses('src/daemon/vrrp/vrrp-daemon.ts', 'interfaceUpDownDelays'),
    SSL: uses('src/daemon/checker/checker-daemon.ts', 'ssl'),
    virtual_server_group: uses(LB, 'virtualServerGroups'),
    virtual_server: uses(LB, 'virtualServers'),
    bfd_instance: uses(BFD, 'bfd'),
    track_file: uses(VRRP, 'trackFiles'),
    vrrp_track_file: alias('track_file'),
  },
  global_defs: GLOBAL_DEFS,
  track_group: { group: uses('src/config/model/static/track-groups.ts', 'instances') },
  vrrp_sync_group: VRRP_SYNC_GROUP,
  garp_group: readBy(VRRP, {
    garp_interval: 'garpInterval',
    gna_interval: 'gnaInterval',
    interface: 'interfaces',
    interfaces: 'interfaces',
  }),
  vrrp_instance: VRRP_INSTANCE,
  'vrrp_instance > authentication': readBy(VRRP, { auth_type: 'authType', auth_pass: 'authPass' }),
  'vrrp_instance > auth_hmac': readBy('src/vrrp/wire/hmac-keys.ts', {
    key: 'keys',
    active_key: 'activeKey',
    time_window: 'timeWindow',
    anti_replay: ['antiReplay', 'src/vrrp/wire/auth-hmac.ts'],
    mode: ['mode', 'src/vrrp/wire/auth-hmac.ts'],
  }),
  vrrp_script: {
    ...readBy(VRRP, {
      user: 'user',
      script: 'script',
      interval: 'interval',
      timeout: 'timeout',
      weight: 'weight',
      rise: 'rise',
      fall: 'fall',
      init_fail: 'initFail',
    }),
  },
  vrrp_track_process: {
    ...readBy(POLLER, {
      process: 'process',
      param_match: 'paramMatch',
      weight: ['weight', VRRP],
      quorum: 'quorum',
      quorum_max: 'quorumMax',
    }),
    delay: uses(POLLER, 'forkDelay'),
    terminate_delay: uses(POLLER, 'terminateDelay'),
    fork_delay: uses(POLLER, 'forkDelay'),
    full_command: uses(POLLER, 'fullCommand'),
  },
  SSL: readBy('src/daemon/checker/ssl-context.ts', {
    password: 'password',
    ca: 'ca',
    certificate: 'certificate',
    key: 'key',
  }),
  virtual_server: VIRTUAL_SERVER,
  'virtual_server > real_server': REAL_SERVER,
  'virtual_server > real_server > MISC_CHECK': {
    ...CHECKER_COMMON,
    ...readBy(CHECK, { misc_path: 'path', misc_timeout: 'timeout', misc_dynamic: 'dynamic', user: 'user' }),
  },
  'virtual_server > real_server > SMTP_CHECK': {
    ...CONNECTION,
    ...CHECKER_COMMON,
    helo_name: uses(CHECK, 'heloName'),
    host: uses(CHECK, 'hosts'),
  },
  'virtual_server > real_server > SMTP_CHECK > host': { ...CONNECTION, ...CHECKER_COMMON },
  'virtual_server > real_server > TCP_CHECK': { ...CONNECTION, ...CHECKER_COMMON },
  'virtual_server > real_server > PING_CHECK': { ...CONNECTION, ...CHECKER_COMMON },
  'virtual_server > real_server > UDP_CHECK': {
    ...CONNECTION,
    ...CHECKER_COMMON,
    ...readBy(CHECK, {
      payload: 'payload',
      require_reply: 'requireReply',
      min_reply_length: 'minReplyLength',
      max_reply_length: 'maxReplyLength',
    }),
  },
  'virtual_server > real_server > HTTP_GET': HTTP_GET,
  'virtual_server > real_server > HTTP_GET > url': URL,
  'virtual_server > real_server > SSL_GET': { ...HTTP_GET, tls_compliant: uses(TLS_CLIENT, 'tlsCompliant') },
  'virtual_server > real_server > SSL_GET > url': { ...URL, tls_compliant: uses(TLS_CLIENT, 'tlsCompliant') },
  'virtual_server > real_server > DNS_CHECK': {
    ...CONNECTION,
    ...CHECKER_COMMON,
    ...readBy(CHECK, { type: 'dnsType', name: 'dnsName' }),
  },
  'virtual_server > real_server > FILE_CHECK': readBy(CHECK, { track_file: 'trackFile', weight: 'weight' }),
  'virtual_server > real_server > BFD_CHECK': {
    name: uses(CHECK, 'name'),
    // Settled with the real server's value by effectiveCheckTimings, read by the scheduler as t.alpha.
    alpha: uses('src/config/model/lvs/defaults.ts', 'alpha'),
  },
  bfd_instance: {
    ...readBy(BFD, {
      source_ip: 'source',
      neighbor_ip: 'neighbor',
      min_rx: 'minRxMs',
      min_tx: 'minTxMs',
      idle_tx: 'idleTxMs',
      multiplier: 'multiplier',
      passive: 'passive',
      ttl: 'ttl',
      max_hops: 'maxHops',
      multihop: 'multihop',
      weight: ['weight', VRRP],
      vrrp: ['vrrp', 'src/daemon/bfd/relay.ts'],
      checker: ['checker', 'src/daemon/bfd/relay.ts'],
    }),
    neighbour_ip: alias('neighbor_ip'),
    hoplimit: alias('ttl'),
  },
  track_file: TRACK_FILE,
  vrrp_track_file: TRACK_FILE,
};

/** Keywords keepalived-ts takes that keepalived 2.4.3's tables do not have: its own, and the names
 * keepalived's man page gives where its code reads another. */
export const OWN_KEYWORD_SUPPORT: Readonly<Record<string, BlockSupport>> = {
  '': {
    track_process: uses(VRRP, 'trackProcesses'),
    status_http: uses('src/daemon/vrrp/vrrp-daemon.ts', 'statusHttp'),
  },
  global_defs: {
    ...TOP_LEVEL_GLOBALS,
    set_supplementary_groups: uses('src/daemon/process/notifier.ts', 'setSupplementaryGroups'),
    lvs_data_plane: uses('src/daemon/lb/load-balancer.ts', 'lvsDataPlane'),
    lvs_nftables_ingress: uses('src/daemon/lb/load-balancer.ts', 'lvsNftablesIngress'),
    state_file_location: alias('state_dump_file'),
    stats_file_location: alias('stats_dump_file'),
    json_file_location: alias('json_dump_file'),
    state_dump_file: GLOBAL_DEFS.state_dump_file ?? note(NOT_IMPLEMENTED),
    stats_dump_file: GLOBAL_DEFS.stats_dump_file ?? note(NOT_IMPLEMENTED),
    json_dump_file: GLOBAL_DEFS.json_dump_file ?? note(NOT_IMPLEMENTED),
  },
};

/** The block paths whose last level is named `block` (walk() knows a block by its own keyword only). */
const BY_LAST_LEVEL = new Map<string, BlockSupport[]>();
for (const [path, table] of [...Object.entries(KEYWORD_SUPPORT), ...Object.entries(OWN_KEYWORD_SUPPORT)]) {
  const last = path === '' ? 'the top level' : (path.split(' > ').pop() ?? path);
  const list = BY_LAST_LEVEL.get(last) ?? [];
  list.push(table);
  BY_LAST_LEVEL.set(last, list);
}

/** What `keyword` does in the block walk() calls `blockName`, aliases followed; undefined: unknown. */
export function keywordSupport(blockName: string, keyword: string): KeywordSupport | undefined {
  for (const table of BY_LAST_LEVEL.get(blockName) ?? []) {
    let entry = table[keyword];
    for (let hops = 0; entry?.kind === 'alias' && hops < 3; hops++) entry = table[entry.of];
    if (entry) return entry;
  }
  return undefined;
}

/** The name keepalived 2.4.3 gives `keyword` in that block when it is an alias; else undefined. */
export function aliasOf(blockName: string, keyword: string): string | undefined {
  for (const table of BY_LAST_LEVEL.get(blockName) ?? []) {
    const entry = table[keyword];
    if (entry?.kind === 'alias') return entry.of;
  }
  return undefined;
}
