// The global + VRRP side of the model: each keyword family read into typed fields with keepalived's
// defaults, and each rule reported with its exact file:line: severity: keyword: message.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../model-helpers.js';
import { withoutInterfaceRefusal } from '../../../../../src/config/model/vrrp/finalize.js';

const vi = (body: string, name = 'VI_1') => `vrrp_instance ${name} {\n${body}\n}\n`;
const basic = (extra = '', vrid = 51) =>
  vi(`  interface eth0\n  virtual_router_id ${vrid}\n${extra}\n  virtual_ipaddress {\n    10.0.0.1/24\n  }`);

void describe('global_defs', () => {
  void test('typed values, defaults and structured keywords', () => {
    const { model, messages } = build(`global_defs {
  router_id LB1
  notification_email {
    a@example.com
    "B <b@example.com>"
  }
  smtp_server 10.0.0.25
  smtp_connect_timeout 5
  vrrp_garp_interval 0.5
  vrrp_version 3
  lvs_sync_daemon eth1 VI_1 id 7 port 8849
  vrrp_garp_extra_if all 100
  max_auto_priority
  dynamic_interfaces allow_if_changes
  vrrp_iptables in_chain out_chain
  nftables
  vrrp_strict
}
net_namespace blue
${basic()}`);
    // Debian's keepalived 2.2.7 has no iptables: it says so and uses nftables (the VRRP firewall)
    assert.deepEqual(messages, [
      "test.conf:15: warning: vrrp_iptables: iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option",
    ]);
    const g = model.global;
    assert.equal(g.routerId, 'LB1');
    assert.deepEqual(g.notificationEmail, ['a@example.com', 'B <b@example.com>']);
    assert.deepEqual(g.smtpServer, { host: '10.0.0.25', port: 25 });
    assert.deepEqual([g.smtpConnectTimeout, g.vrrpGarpInterval, g.vrrpVersion], [5, 0.5, 3]);
    assert.deepEqual(g.lvsSyncDaemon, { interface: 'eth1', instance: 'VI_1', syncId: 7, port: 8849 });
    assert.deepEqual(g.vrrpGarpExtraIf, { all: true, interval: 100 });
    assert.equal(g.maxAutoPriority, 99);
    assert.deepEqual([g.dynamicInterfaces, g.dynamicInterfacesAllowIfChanges], [true, true]);
    assert.deepEqual(g.vrrpIptables, ['in_chain', 'out_chain']);
    assert.deepEqual([g.nftables, g.vrrpStrict, g.netNamespace], ['', true, 'blue']);
    // untouched defaults
    assert.deepEqual(
      [
        g.vrrpMcastGroup4,
        g.vrrpMcastGroup6,
        g.vrrpGarpMasterRepeat,
        g.vrrpGarpMasterDelay,
        g.defaultInterface,
      ],
      ['224.0.0.18', 'ff02::12', 5, 5, 'eth0'],
    );
  });

  void test('unknown, deprecated and out-of-range keywords', () => {
    const { model, messages } = build(`global_defs {
  bogus_keyword 1
  enable_snmp_keepalived
  vrrp_garp_master_repeat 300
  smtp_alert maybe
  vrrp_mcast_group4 ff02::1
}
`);
    assert.deepEqual(messages, [
      'test.conf:2: warning: bogus_keyword: unknown keyword in global_defs, ignored',
      "test.conf:3: note: enable_snmp_keepalived: deprecated keyword, use 'enable_snmp_vrrp'",
      'test.conf:4: error: vrrp_garp_master_repeat: 300 is out of range 0..255',
      "test.conf:5: error: smtp_alert: 'maybe' is not a boolean (true/false, on/off, yes/no)",
      "test.conf:6: error: vrrp_mcast_group4: 'ff02::1' is not an IPv4 address",
    ]);
    assert.equal(model.global.enableSnmpVrrp, true);
    assert.equal(model.global.vrrpGarpMasterRepeat, 5);
  });

  void test('lvs_sync_daemon naming a missing instance', () => {
    const { messages } = build('global_defs {\n  lvs_sync_daemon eth0 inst VI_9\n}\n' + basic());
    assert.deepEqual(messages, ["test.conf:1: error: lvs_sync_daemon: vrrp_instance 'VI_9' does not exist"]);
  });

  void test('lvs_sync_daemon_interface in an instance moves to the global lvs_sync_daemon', () => {
    const { model, messages } = build(basic('  lvs_sync_daemon_interface eth1'));
    assert.deepEqual(messages, [
      "test.conf:4: warning: lvs_sync_daemon_interface: deprecated in vrrp_instance, use global_defs 'lvs_sync_daemon'",
    ]);
    assert.deepEqual(model.global.lvsSyncDaemon, { interface: 'eth1', instance: 'VI_1' });
  });

  void test('vrrp_min_garp rewrites the garp defaults', () => {
    const { model } = build('global_defs {\n  vrrp_min_garp\n}\n' + basic());
    assert.deepEqual([model.global.vrrpGarpMasterRepeat, model.global.vrrpGarpMasterDelay], [1, 0]);
    const i = model.instances[0];
    assert.deepEqual([i?.garpMasterRepeat, i?.garpMasterDelay, i?.garpLowerPrioRepeat], [1, 0, 1]);
  });
});

void describe('vrrp_script, track_file, vrrp_track_process', () => {
  void test('values and defaults', () => {
    const { model, messages } = build(`vrrp_script chk {
  script "/bin/check --fast"
  interval 2.5
  weight -30 reverse
  fall 4
}
track_file tf {
  file /run/tf
  weight -2000
}
vrrp_track_process haproxy {
  process haproxy -f "/etc/haproxy/haproxy.cfg"
  weight 10
  quorum 2
  terminate_delay 1.5
}
`);
    assert.deepEqual(messages, []);
    const s = model.vrrpScripts[0];
    assert.deepEqual(
      s && [s.script, s.interval, s.timeout, s.weight, s.weightReverse, s.rise, s.fall, s.initFail],
      ['/bin/check --fast', 2.5, undefined, -30, true, 1, 4, false],
    );
    assert.deepEqual(model.trackFiles[0] && [model.trackFiles[0].file, model.trackFiles[0].weight], [
      '/run/tf',
      -2000,
    ]);
    const p = model.trackProcesses[0];
    assert.deepEqual(p && [p.process, p.weight, p.quorum, p.forkDelay, p.terminateDelay], [
      ['haproxy', '-f', '/etc/haproxy/haproxy.cfg'],
      10,
      2,
      0,
      1.5,
    ]);
  });

  void test('missing script, weight out of range, deprecated vrrp_track_file', () => {
    const { messages } = build(`vrrp_script chk {
  interval 2
  weight 254
}
vrrp_track_file tf {
  file /run/x
}
`);
    assert.deepEqual(messages, [
      'test.conf:3: error: weight: 254 is out of range -253..253',
      'test.conf:1: error: vrrp_script: chk: no script specified - removing',
      "test.conf:5: note: vrrp_track_file: deprecated keyword, use 'track_file'",
    ]);
  });
});

void describe('vrrp_instance values', () => {
  void test('defaults of a minimal BACKUP instance', () => {
    const { model, messages } = build(basic());
    assert.deepEqual(messages, []);
    const i = model.instances[0];
    assert.ok(i);
    assert.deepEqual(
      [i.state, i.priority, i.advertInt, i.version, i.family, i.accept, i.preempt, i.preemptDelay],
      ['BACKUP', 100, 1, 2, 4, true, true, 0],
    );
    assert.deepEqual(
      [i.garpMasterDelay, i.garpMasterRepeat, i.garpLowerPrioDelay, i.garpMasterRefresh, i.downTimerAdverts],
      [5, 5, 5, 0, 3],
    );
    assert.deepEqual([i.strictMode, i.lowerPrioNoAdvert, i.higherPrioSendAdvert], [false, false, false]);
    assert.deepEqual(i.location, { file: 'test.conf', line: 1 });
    assert.deepEqual(i.virtualIpaddresses[0]?.location, { file: 'test.conf', line: 6 });
  });

  void test('state MASTER without priority is the address owner', () => {
    const { model } = build(basic('  state MASTER'));
    assert.equal(model.instances[0]?.priority, 255);
  });

  void test('state MASTER with a priority that is not valid: 100, not the owner (keepalived "Using default 100")', () => {
    // Found running a real-world template (`priority PRIORITY`) beside keepalived 2.2.7: ours took the
    // owner's 255 and preempted keepalived's MASTER at once.
    for (const bad of ['PRIORITY', '0', '256']) {
      const { model, messages } = build(basic(`  state MASTER\n  priority ${bad}`));
      assert.equal(messages.length, 1, messages.join('\n'));
      assert.deepEqual([model.instances[0]?.state, model.instances[0]?.priority], ['MASTER', 100]);
    }
  });

  void test('priority 255 with state BACKUP is accepted, as keepalived does', () => {
    const { model, messages } = build(basic('  state BACKUP\n  priority 255'));
    assert.deepEqual(messages, []);
    assert.deepEqual([model.instances[0]?.state, model.instances[0]?.priority], ['BACKUP', 255]);
  });

  void test('priority 255 without a state starts as MASTER (keepalived derives the state from the priority)', () => {
    const { model, messages } = build(basic('  priority 255'));
    assert.deepEqual(messages, []);
    assert.deepEqual([model.instances[0]?.state, model.instances[0]?.priority], ['MASTER', 255]);
    assert.equal(build(basic('  priority 254')).model.instances[0]?.state, 'BACKUP');
  });

  void test('VRID and priority ranges', () => {
    const { model, messages } = build(
      vi('  interface eth0\n  virtual_router_id 0\n  priority 256\n  virtual_ipaddress {\n    10.0.0.1\n  }'),
    );
    assert.deepEqual(messages, [
      'test.conf:3: error: virtual_router_id: 0 is out of range 1..255',
      'test.conf:4: error: priority: 256 is out of range 1..255',
      'test.conf:1: error: virtual_router_id: (VI_1) virtual_router_id is required',
    ]);
    assert.equal(model.instances[0]?.priority, 100);
    const zero = build(basic('  priority 0'));
    assert.deepEqual(zero.messages, ['test.conf:4: error: priority: 0 is out of range 1..255']);
  });

  void test('authentication without auth_type is no authentication, noted only (keepalived runs it)', () => {
    const r = build(basic('  authentication {\n    auth_pass x\n  }'));
    assert.deepEqual(r.messages, [
      'test.conf:4: note: authentication: no auth_type (PASS or AH): no authentication, as keepalived does',
    ]);
    assert.equal(r.model.instances[0]?.authentication, undefined);
  });

  void test('authentication PASS cut to 8 characters, AH, bad type', () => {
    const pass = build(basic('  authentication {\n    auth_type PASS\n    auth_pass 123456789abc\n  }'));
    assert.deepEqual(pass.messages, [
      "test.conf:6: warning: auth_pass: password longer than 8 characters, cut to '12345678'",
    ]);
    assert.deepEqual(pass.model.instances[0]?.authentication?.password, '12345678');
    const ah = build(basic('  authentication {\n    auth_type AH\n    auth_pass x\n  }'));
    assert.deepEqual(ah.messages, []);
    assert.equal(ah.model.instances[0]?.authentication?.type, 'AH');
    const bad = build(basic('  authentication {\n    auth_type MD5\n    auth_pass x\n  }'));
    assert.deepEqual(bad.messages, ["test.conf:5: error: auth_type: 'MD5' is not one of PASS, AH"]);
  });

  void test('auth_hmac keys, active key and modes', () => {
    const key32 = 'k'.repeat(32);
    const ok = build(
      basic(
        `  auth_hmac {\n    key 3 ${key32}\n    key 4 file:/etc/keys/k4\n    active_key 4\n    mode receive-only\n  }`,
      ),
    );
    assert.deepEqual(ok.messages, []);
    const h = ok.model.instances[0]?.authHmac;
    assert.deepEqual(h && [h.keys.map((k) => k.id), h.activeKey, h.mode, h.antiReplay], [
      [3, 4],
      4,
      'receive-only',
      'time',
    ]);
    const bad = build(basic('  auth_hmac {\n    key 1 short\n  }'));
    assert.deepEqual(bad.messages, [
      'test.conf:5: error: key: key 1: key must be 32 to 64 bytes',
      'test.conf:4: error: auth_hmac: at least one key is required',
    ]);
    const both = build(
      basic(
        `  auth_hmac {\n    key 1 ${key32}\n  }\n  authentication {\n    auth_type PASS\n    auth_pass x\n  }`,
      ),
    );
    assert.deepEqual(both.messages, [
      'test.conf:4: error: auth_hmac: (VI_1) auth_hmac and authentication are mutually exclusive; auth_hmac ignored',
    ]);
  });

  void test('virtual_ipaddress options', () => {
    const { model, messages } = build(
      vi(`  interface eth0
  virtual_router_id 9
  virtual_ipaddress {
    10.1.1.1/24 brd 10.1.1.255 dev eth1 scope link label eth1:vip no_track
    10.1.1.2 peer 10.1.1.9/32 home -nodad noprefixroute autojoin track_group TG preferred_lft forever use_vmac
  }`),
    );
    // track_group belongs to static addresses: on a VIP line keepalived reports each word and goes on.
    assert.deepEqual(messages, [
      "test.conf:6: error: virtual_ipaddress: Unknown configuration entry 'track_group' for ip address - ignoring",
      "test.conf:6: error: virtual_ipaddress: Unknown configuration entry 'TG' for ip address - ignoring",
    ]);
    const [a, b] = model.instances[0]?.virtualIpaddresses ?? [];
    assert.deepEqual(a && [a.address, a.prefix, a.broadcast, a.dev, a.scope, a.label, a.noTrack], [
      '10.1.1.1',
      24,
      '10.1.1.255',
      'eth1',
      'link',
      'eth1:vip',
      true,
    ]);
    assert.deepEqual(
      b && [
        b.prefix,
        b.hasPrefix,
        b.peer?.address,
        b.home,
        b.nodad,
        b.noprefixroute,
        b.autojoin,
        b.trackGroup,
      ],
      [32, false, '10.1.1.9', true, true, true, true, undefined],
    );
    assert.deepEqual(b && [b.preferredLft, b.useVmac], ['forever', true]);
  });

  void test('vmac_xmit_base without use_vmac is reported and cleared (vrrp.c)', () => {
    const { model, messages } = build(vi(`  interface eth0\n  virtual_router_id 9\n  vmac_xmit_base`));
    assert.deepEqual(
      messages.filter((m) => m.includes('vmac_xmit_base')),
      ['test.conf:1: error: vmac_xmit_base: (VI_1) vmac_xmit_base is only valid with a vmac'],
    );
    assert.equal(model.instances[0]?.vmacXmitBase, false);
    const withVmac = build(vi(`  interface eth0\n  virtual_router_id 9\n  use_vmac\n  vmac_xmit_base`));
    assert.equal(withVmac.model.instances[0]?.vmacXmitBase, true);
  });

  void test('malformed addresses and options', () => {
    const { model, messages } = build(
      vi(`  interface eth0
  virtual_router_id 9
  virtual_ipaddress {
    10.0.0.300/24
    10.0.0.1/33
    10.0.0.2 scope galaxy
    10.0.0.3 colour blue
    10.0.0.4
  }
  unicast_src_ip 10.0.0
`),
    );
    assert.deepEqual(messages, [
      "test.conf:5: error: virtual_ipaddress: '10.0.0.300/24' is not a valid IP address",
      "test.conf:6: error: virtual_ipaddress: '10.0.0.1/33' is not a valid IP address",
      "test.conf:7: error: virtual_ipaddress: Invalid scope 'galaxy' specified for 10.0.0.2 - ignoring",
      "test.conf:8: error: virtual_ipaddress: Unknown configuration entry 'colour' for ip address - ignoring",
      "test.conf:8: error: virtual_ipaddress: Unknown configuration entry 'blue' for ip address - ignoring",
      "test.conf:11: error: unicast_src_ip: '10.0.0' is not a valid IP address",
      'test.conf:11: warning: unicast_src_ip: (VI_1) a unicast keyword has been specified without any unicast peers: multicast is used (deprecated usage)',
    ]);
    // keepalived skips an unknown word or a bad scope and keeps the address (two addresses on one line:
    // the first)
    assert.deepEqual(
      model.instances[0]?.virtualIpaddresses.map((a) => a.address),
      ['10.0.0.2', '10.0.0.3', '10.0.0.4'],
    );
  });

  void test('state is read word for word; unicast_peer options in error keep the peer (keepalived)', () => {
    const { model, messages } = build(
      vi(`  state MASTER
  state BACKUP
  interface eth0
  virtual_router_id 9
  unicast_peer {
    10.0.0.2 min_ttl
    10.0.0.3 colour 5 max_ttl 3
  }
  virtual_ipaddress {
    10.0.0.1/24
  }`) + vi('  state master\n  interface eth0\n  virtual_router_id 10\n  no_virtual_ipaddress', 'VI_2'),
    );
    assert.deepEqual(messages, [
      'test.conf:3: error: state: (VI_1) state previously set as MASTER - ignoring BACKUP',
      'test.conf:7: error: unicast_peer: (VI_1) min_ttl is missing a value',
      'test.conf:8: error: unicast_peer: (VI_1) unknown unicast_peer option colour',
      "test.conf:15: error: state: (VI_2) unknown state 'master', defaulting to BACKUP",
    ]);
    assert.deepEqual(
      model.instances.map((i) => i.state),
      ['MASTER', 'BACKUP'],
    );
    assert.deepEqual(
      model.instances[0]?.unicastPeers.map((p) => [p.address, p.maxTtl]),
      [
        ['10.0.0.2', undefined],
        ['10.0.0.3', undefined],
      ],
    );
  });

  void test('virtual_routes and virtual_rules', () => {
    const { model, messages } = build(
      basic(`  virtual_routes {
    src 10.0.0.1 to 10.9.0.0/16 via 10.0.0.254 dev eth0 table 5 metric 7
    unreachable 10.8.0.0/16 no_track
    10.7.0.0/16 nexthop via 10.0.0.253 weight 2 nexthop via 10.0.0.252 dev eth1 onlink
    2001:db8::/32 via fe80::1 dev eth0 mtu lock 1400
  }
  virtual_rules {
    from 10.0.0.0/24 to 10.9.0.0/16 table 5 preference 100 fwmark 0x10/0xff
    from all iif eth1 lookup 6 priority 101 no_track
    to 2001:db8::/32 table 7 pref 102
  }`),
    );
    // keepalived tracks a route by its dev: a route with none (nexthops only) cannot be tracked.
    assert.deepEqual(messages, [
      'test.conf:7: warning: no_track: cannot track route 10.7.0.0/16 with no interface specified, not tracking (add dev, or no_track)',
    ]);
    const [r1, r2, r3, r4] = model.instances[0]?.virtualRoutes ?? [];
    assert.deepEqual(r1 && [r1.src, r1.destination.address, r1.via, r1.dev, r1.table, r1.metric], [
      '10.0.0.1',
      '10.9.0.0',
      '10.0.0.254',
      'eth0',
      '5',
      7,
    ]);
    assert.deepEqual(r2 && [r2.type, r2.noTrack], ['unreachable', true]);
    assert.deepEqual(r3?.nexthops, [
      { via: '10.0.0.253', weight: 2, onlink: false },
      { via: '10.0.0.252', dev: 'eth1', onlink: true },
    ]);
    assert.deepEqual(r4 && [r4.family, r4.via, r4.options], [6, 'fe80::1', [['mtu', 'lock 1400']]]);
    const [u1, u2, u3] = model.instances[0]?.virtualRules ?? [];
    assert.deepEqual(u1 && [u1.from?.prefix, u1.to?.address, u1.table, u1.preference, u1.options], [
      24,
      '10.9.0.0',
      '5',
      100,
      [['fwmark', '0x10/0xff']],
    ]);
    assert.deepEqual(u2 && [u2.from, u2.table, u2.preference, u2.noTrack, u2.options], [
      undefined,
      '6',
      101,
      true,
      [['iif', 'eth1']],
    ]);
    assert.equal(u3?.family, 6);
  });

  void test('unicast peers with TTL window turn on source checking', () => {
    const { model, messages } = build(
      basic(
        '  unicast_src_ip 10.0.0.2\n  unicast_peer {\n    10.0.0.3 min_ttl 200 max_ttl 255\n    10.0.0.4\n  }',
      ),
    );
    assert.deepEqual(messages, []);
    const i = model.instances[0];
    assert.deepEqual(
      i?.unicastPeers.map((p) => [p.address, p.minTtl, p.maxTtl]),
      [
        ['10.0.0.3', 200, 255],
        ['10.0.0.4', undefined, undefined],
      ],
    );
    assert.equal(i?.checkUnicastSrc, true);
  });

  void test('trackers with weights and reverse', () => {
    const { model, messages } = build(`vrrp_script s1 {
  script /bin/true
}
${basic('  track_interface {\n    eth1 weight -20 reverse\n    eth2\n  }\n  track_script {\n    s1 weight 15 noreverse\n  }')}`);
    assert.deepEqual(messages, []);
    const t = model.instances[0]?.track;
    assert.deepEqual(
      t?.interfaces.map((r) => [r.name, r.weight, r.reverse]),
      [
        ['eth1', -20, true],
        ['eth2', undefined, false],
      ],
    );
    assert.deepEqual(
      t?.scripts.map((r) => [r.name, r.weight, r.reverse]),
      [['s1', 15, false]],
    );
  });

  void test('tracker weight out of range and own interface', () => {
    const { messages } = build(basic('  track_interface {\n    eth1 weight 300\n    eth0\n  }'));
    assert.deepEqual(messages, [
      'test.conf:5: error: track_interface: eth1: weight 300 is out of range -253..253',
      "test.conf:6: warning: track_interface: (VI_1) eth0 is the instance's own interface, ignored",
    ]);
  });

  void test('notify scripts with user and group; unquoted arguments read as keepalived reads them', () => {
    const { model, messages } = build(
      basic(
        '  notify_master "/bin/n.sh master" root :wheel\n  notify_deleted\n  notify_backup /bin/n.sh backup x y',
      ),
    );
    // keepalived 2.2.7 accepts it (-t exits 0): 'backup' is the user, 'x' the group, 'y' ignored.
    assert.deepEqual(messages, [
      "test.conf:6: note: notify_backup: 'backup x' is read as the user and group to run /bin/n.sh as, and 'y' is ignored: quote the command to pass it arguments (\"/bin/n.sh backup x y\")",
    ]);
    assert.deepEqual(model.instances[0]?.notify.backup, { command: '/bin/n.sh', user: 'backup', group: 'x' });
    assert.deepEqual(model.instances[0]?.notify.master, {
      command: '/bin/n.sh master',
      user: 'root',
      group: ':wheel',
    });
    assert.equal(model.instances[0]?.notify.deleted, true);
  });

  void test('use_vmac, vmac_xmit_base, garp and misc flags', () => {
    const { model, messages } = build(
      basic(`  use_vmac vrrp51 00:00:5e:00:01 netlink_notify_msg
  vmac_xmit_base
  garp_master_delay 1
  garp_lower_prio_repeat 2
  garp_extra_if 30
  nopreempt
  preempt_delay 4.5
  lower_prio_no_advert
  higher_prio_send_advert false
  skip_check_adv_addr on
  debug 3
  kernel_rx_buf_size 8192
  timer_expired_backup`),
    );
    assert.deepEqual(messages, []);
    const i = model.instances[0];
    assert.deepEqual(i?.useVmac, { name: 'vrrp51', mac: '00:00:5e:00:01', netlinkNotifyMsg: true });
    assert.deepEqual(
      i && [
        i.vmacXmitBase,
        i.garpMasterDelay,
        i.garpLowerPrioRepeat,
        i.garpExtraIf,
        i.preempt,
        i.preemptDelay,
      ],
      [true, 1, 2, { all: false, interval: 30 }, false, 4.5],
    );
    assert.deepEqual(
      i && [i.lowerPrioNoAdvert, i.higherPrioSendAdvert, i.skipCheckAdvAddr, i.debug, i.kernelRxBufSize],
      [true, false, true, 3, 8192],
    );
    assert.equal(i?.timerExpiredBackup, 254);
  });

  void test('nopreempt with priority 255 is ignored', () => {
    const { model, messages } = build(basic('  priority 255\n  nopreempt'));
    assert.deepEqual(messages, [
      'test.conf:1: warning: nopreempt: (VI_1) nopreempt is incompatible with priority 255, ignored',
    ]);
    assert.equal(model.instances[0]?.preempt, true);
  });

  void test('promote_secondaries is kept, but not with use_vmac (keepalived sets it on VMACs anyway)', () => {
    assert.equal(build(basic('  promote_secondaries')).model.instances[0]?.promoteSecondaries, true);
    const { model, messages } = build(basic('  use_vmac\n  promote_secondaries'));
    assert.deepEqual(messages, [
      'test.conf:1: error: promote_secondaries: (VI_1) promote_secondaries is automatically set for vmacs - ignoring',
    ]);
    assert.equal(model.instances[0]?.promoteSecondaries, false);
  });

  void test('owner_ignore_adverts (keepalived 2.4.3): refused for a non-owner, forced on for an owner', () => {
    const settled = (text: string) => {
      const { model, messages } = build(text);
      return { value: model.instances[0]?.ownerIgnoreAdverts, messages };
    };
    // not written: left unset (the default is settled by vrrp/from-model.ts)
    assert.deepEqual(settled(basic('  priority 255')), { value: undefined, messages: [] });
    assert.deepEqual(settled(basic('  priority 255\n  owner_ignore_adverts')), { value: true, messages: [] });
    assert.deepEqual(settled(basic('  priority 100\n  owner_ignore_adverts')), {
      value: false,
      messages: [
        'test.conf:1: error: owner_ignore_adverts: (VI_1) ignoring owner_ignore_adverts since priority is not 255',
      ],
    });
    // 2.4.3 forces it on for an owner that turns it off, with or without strict mode
    assert.deepEqual(settled(basic('  priority 255\n  owner_ignore_adverts false')), {
      value: true,
      messages: [
        'test.conf:1: error: owner_ignore_adverts: (VI_1) strict_mode with priority 255 requires owner_ignore_adverts',
      ],
    });
  });

  void test('an instance without VIPs is warned about unless no_virtual_ipaddress', () => {
    const none = build(vi('  interface eth0\n  virtual_router_id 3'));
    assert.deepEqual(none.messages, ['test.conf:1: warning: virtual_ipaddress: (VI_1) no VIP specified']);
    const allowed = build(vi('  interface eth0\n  virtual_router_id 3\n  no_virtual_ipaddress'));
    assert.deepEqual(allowed.messages, []);
  });

  void test('without an interface: unicast with unicast_src_ip only, VIPs with a dev (keepalived 2.4.3)', () => {
    const vips = '  virtual_ipaddress {\n    10.0.0.1\n  }';
    const peers = '  unicast_peer {\n    10.0.0.2\n  }';
    const multicast = build(vi(`  virtual_router_id 3\n${vips}`));
    assert.deepEqual(multicast.messages, ['test.conf:1: error: interface: (VI_1) Unknown interface!']);
    const noSource = build(vi(`  virtual_router_id 3\n${peers}\n${vips}`));
    assert.deepEqual(noSource.messages, [
      'test.conf:1: error: interface: (VI_1): Unicast instances must have unicast_src_ip or interface',
    ]);
    const vmac = build(
      vi(`  virtual_router_id 3\n  use_vmac\n  vmac_xmit_base\n  unicast_src_ip 10.0.0.3\n${peers}\n${vips}`),
    );
    assert.deepEqual(vmac.messages, [
      'test.conf:1: error: interface: (VI_1) cannot use VMAC if no interface specified',
    ]);
    const linkLocal = build(
      vi(
        '  virtual_router_id 3\n  unicast_src_ip fe80::1\n  unicast_peer {\n    fe80::2\n  }\n' +
          '  virtual_ipaddress {\n    2001:db8::1 dev eth0\n  }',
      ),
    );
    assert.deepEqual(linkLocal.messages, [
      'test.conf:1: error: interface: (VI_1) Non link-local address required if interface omitted',
    ]);
    const runs = build(
      vi(
        `  virtual_router_id 3\n  unicast_src_ip 10.0.0.3\n${peers}\n` +
          '  virtual_ipaddress {\n    10.0.0.1/24 dev eth1\n    10.0.0.9\n    10.0.0.10/24\n  }',
      ),
    );
    assert.deepEqual(runs.messages, [
      'test.conf:9: error: virtual_ipaddress: (VI_1): no interface for vip 10.0.0.9 - removing',
      'test.conf:10: error: virtual_ipaddress: (VI_1): no interface for vip 10.0.0.10/24 - removing',
    ]);
    const inst = runs.model.instances[0];
    assert.deepEqual(
      inst?.virtualIpaddresses.map((a) => `${a.address} ${a.dev}`),
      ['10.0.0.1 eth1'],
    );
    assert.equal(withoutInterfaceRefusal(inst!), undefined);
  });
});

void describe('version and address family', () => {
  const v6 = (extra = '') => basic(extra).replace('10.0.0.1/24', '2001:db8::1/64');

  void test('IPv6 VIPs make an instance VRRPv3', () => {
    const { model, messages } = build(v6());
    assert.deepEqual(messages, []);
    assert.deepEqual([model.instances[0]?.family, model.instances[0]?.version], [6, 3]);
  });

  void test('global vrrp_version applies to IPv4 instances', () => {
    const { model } = build('global_defs {\n  vrrp_version 3\n}\n' + basic());
    assert.equal(model.instances[0]?.version, 3);
  });

  void test('IPv6 with version 2 is kept outside strict mode, as keepalived does', () => {
    const { model, messages } = build(v6('  version 2'));
    assert.deepEqual(messages, []);
    assert.equal(model.instances[0]?.version, 2);
  });

  void test('IPv6 with version 2 in strict mode is an error and becomes version 3', () => {
    const { model, messages } = build(
      'global_defs {\n  vrrp_strict\n}\n' + v6('  version 2').replace('2001:db8::1/64', 'fe80::1'),
    );
    assert.deepEqual(messages, [
      'test.conf:4: error: version: (VI_1) IPv6 cannot use VRRP version 2 in strict mode; using version 3',
    ]);
    assert.equal(model.instances[0]?.version, 3);
  });

  void test('VIPs and unicast peers of the other family are errors', () => {
    const { model, messages } = build(
      vi(`  interface eth0
  virtual_router_id 7
  unicast_peer {
    2001:db8::2
  }
  virtual_ipaddress {
    10.0.0.1
    2001:db8::1
  }`),
    );
    assert.deepEqual(messages, [
      'test.conf:9: error: virtual_ipaddress: (VI_1) 2001:db8::1 is not IPv4 like the instance, ignored',
      'test.conf:5: error: unicast_peer: (VI_1) peer 2001:db8::2 is not IPv4 like the instance, ignored',
    ]);
    assert.equal(model.instances[0]?.virtualIpaddresses.length, 1);
    assert.equal(model.instances[0]?.unicastPeers.length, 0);
  });

  void test('advert_int: VRRPv2 rounds to whole seconds, VRRPv3 caps at 40.95', () => {
    const v2 = build(basic('  advert_int 1.5'));
    assert.deepEqual(v2.messages, [
      'test.conf:1: warning: advert_int: (VI_1) VRRPv2 advert_int 1.5 must be whole seconds, rounded to 2',
    ]);
    assert.equal(v2.model.instances[0]?.advertInt, 2);
    const v3 = build(basic('  version 3\n  advert_int 50'));
    assert.deepEqual(v3.messages, [
      'test.conf:1: error: advert_int: (VI_1) VRRPv3 advert_int 50 is above 40.95, using 40.95',
    ]);
    const cs = build(basic('  version 3\n  advert_int 0.25'));
    assert.equal(cs.model.instances[0]?.advertInt, 0.25);
  });
});

void describe('vrrp_strict', () => {
  void test('each forbidden setting is reported and undone', () => {
    const { model, messages } = build(`global_defs {
  vrrp_strict
}
${vi(`  state MASTER
  priority 200
  interface eth0
  virtual_router_id 5
  unicast_peer {
    10.0.0.9
  }
  authentication {
    auth_type PASS
    auth_pass x
  }
  preempt_delay 5
  accept
  garp_master_refresh 10
  lower_prio_no_advert false
  higher_prio_send_advert
  use_vmac
  vmac_xmit_base
  virtual_ipaddress {
    10.0.0.1
  }`)}`);
    assert.deepEqual(messages, [
      'test.conf:4: error: unicast_peer: (VI_1) unicast peers are not allowed in strict mode, ignored',
      'test.conf:4: error: state: (VI_1) in strict mode state MASTER goes with priority 255 (address owner) only; using BACKUP',
      'test.conf:12: error: authentication: (VI_1) authentication is not allowed in strict mode, ignored',
      'test.conf:4: error: preempt_delay: (VI_1) preempt_delay is not allowed in strict mode, reset to 0',
      'test.conf:4: error: accept: (VI_1) accept mode is not allowed with VRRPv2 in strict mode, cleared',
      'test.conf:4: error: garp_master_refresh: (VI_1) repeated gratuitous ARPs are not allowed in strict mode, disabled',
      'test.conf:4: error: lower_prio_no_advert: (VI_1) lower_prio_no_advert cannot be cleared in strict mode',
      'test.conf:4: error: higher_prio_send_advert: (VI_1) higher_prio_send_advert is not allowed in strict mode, cleared',
      'test.conf:4: error: vmac_xmit_base: (VI_1) vmac_xmit_base is not allowed in strict mode, cleared',
    ]);
    const i = model.instances[0];
    assert.deepEqual(
      i && [i.state, i.unicastPeers.length, i.authentication, i.preemptDelay, i.accept, i.lowerPrioNoAdvert],
      ['BACKUP', 0, undefined, 0, false, true],
    );
  });

  void test('the address owner starts as MASTER in strict mode', () => {
    const { model, messages } = build(
      'global_defs {\n  vrrp_strict\n}\n' + basic('  state BACKUP\n  priority 255'),
    );
    assert.deepEqual(messages, [
      'test.conf:4: error: state: (VI_1) in strict mode state MASTER goes with priority 255 (address owner) only; using MASTER',
    ]);
    assert.equal(model.instances[0]?.state, 'MASTER');
  });

  void test('no VIPs and a global-address first IPv6 VIP', () => {
    const none = build('global_defs {\n  vrrp_strict\n}\n' + vi('  interface eth0\n  virtual_router_id 3'));
    assert.deepEqual(none.messages, [
      'test.conf:4: error: virtual_ipaddress: (VI_1) no VIP specified; VRRPv3 and strict mode need at least one',
    ]);
    const v6 = build(
      'global_defs {\n  vrrp_strict\n}\n' +
        vi('  interface eth0\n  virtual_router_id 3\n  virtual_ipaddress {\n    2001:db8::1\n  }'),
    );
    assert.deepEqual(v6.messages, [
      'test.conf:8: error: virtual_ipaddress: (VI_1) the first IPv6 VIP must be link-local in strict mode',
    ]);
  });

  void test('strict_mode per instance; accept defaults to address ownership', () => {
    const { model, messages } = build(
      basic('  strict_mode\n  state MASTER\n  priority 255', 5) +
        basic('  strict_mode', 6).replace('VI_1', 'VI_2'),
    );
    assert.deepEqual(messages, []);
    assert.deepEqual(
      model.instances.map((i) => [i.strictMode, i.accept]),
      [
        [true, true],
        [true, false],
      ],
    );
  });
});

void describe('cross-references', () => {
  void test('duplicate VRID on one interface and family', () => {
    const { messages } = build(basic('', 51) + basic('', 51).replace('VI_1', 'VI_2'));
    assert.deepEqual(messages, [
      'test.conf:9: error: virtual_router_id: (VI_2) VRID 51 is already used by VI_1 for IPv4 on eth0',
    ]);
  });

  void test('same VRID is fine across families, interfaces, multicast/unicast and disjoint unicast peers', () => {
    const v6 = basic('', 51).replace('VI_1', 'VI_6').replace('10.0.0.1/24', '2001:db8::1');
    const otherIf = basic('', 51).replace('VI_1', 'VI_E1').replace('eth0', 'eth1');
    const uc1 = basic('  unicast_peer {\n    10.0.0.8\n  }', 51).replace('VI_1', 'VI_U1');
    const uc2 = basic('  unicast_peer {\n    10.0.0.9\n  }', 51).replace('VI_1', 'VI_U2');
    const { messages } = build(basic('', 51) + v6 + otherIf + uc1 + uc2);
    assert.deepEqual(messages, []);
    const clash = build(uc1 + uc1.replace('VI_U1', 'VI_U3'));
    assert.deepEqual(clash.messages, [
      'test.conf:11: error: virtual_router_id: (VI_U3) VRID 51 is already used by VI_U1 for IPv4 on eth0',
    ]);
  });

  void test('duplicate instance names', () => {
    const { model, messages } = build(basic('', 1) + basic('', 2));
    assert.deepEqual(messages, [
      'test.conf:9: error: vrrp_instance: VI_1 is already defined at test.conf:1, ignored',
    ]);
    assert.equal(model.instances.length, 1);
  });

  void test('sync group members that do not exist, and single-member groups', () => {
    const { model, messages } = build(
      basic() +
        'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_X\n  }\n}\nvrrp_sync_group H {\n  group {\n    VI_1\n  }\n}\n',
    );
    assert.deepEqual(messages, [
      "test.conf:12: error: group: (G) vrrp_instance 'VI_X' does not exist, ignored",
      "test.conf:9: warning: vrrp_sync_group: (G) has only one instance; this probably isn't what you want",
      'test.conf:17: error: group: (H) VI_1 is already in sync group G, ignored',
    ]);
    assert.deepEqual(
      model.syncGroups[0]?.members.map((m) => m.name),
      ['VI_1'],
    );
  });

  void test('sync group keywords, inline group, deprecated global_tracking', () => {
    const { model, messages } = build(
      basic('', 1) +
        basic('', 2).replace('VI_1', 'VI_2') +
        `vrrp_sync_group G {
  group { VI_1 VI_2 }
  notify "/bin/sg.sh"
  notify_priority_changes
  smtp_alert false
  global_tracking
}
`,
    );
    assert.deepEqual(messages, [
      "test.conf:22: warning: global_tracking: deprecated keyword, use 'sync_group_tracking_weight'",
    ]);
    const g = model.syncGroups[0];
    assert.deepEqual(
      g && [
        g.members.map((m) => m.name),
        g.notify.any?.command,
        g.notifyPriorityChanges,
        g.smtpAlert,
        g.syncGroupTrackingWeight,
      ],
      [['VI_1', 'VI_2'], '/bin/sg.sh', true, false, true],
    );
  });

  void test('weighted trackers of a sync group member are ignored without sync_group_tracking_weight', () => {
    const { messages } = build(
      basic('  track_interface {\n    eth1 weight 10\n  }', 1) +
        basic('', 2).replace('VI_1', 'VI_2') +
        'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n',
    );
    assert.deepEqual(messages, [
      'test.conf:5: warning: weight: (VI_1) member of sync group G: weight of eth1 ignored (set sync_group_tracking_weight)',
    ]);
  });

  void test('track_script, track_file and track_process naming undefined objects', () => {
    const { model, messages } = build(
      basic(
        '  track_script {\n    nosuch\n  }\n  track_file {\n    nofile\n  }\n  track_process {\n    noproc\n  }',
      ),
    );
    assert.deepEqual(messages, [
      "test.conf:5: warning: track_script: (VI_1) vrrp_script 'nosuch' is not defined, ignored",
      "test.conf:8: warning: track_file: (VI_1) track_file 'nofile' is not defined, ignored",
      "test.conf:11: warning: track_process: (VI_1) vrrp_track_process 'noproc' is not defined, ignored",
    ]);
    assert.equal(model.instances[0]?.track.scripts.length, 0);
  });

  void test('interfaces missing on this host, only when host facts are given', () => {
    const text = basic('  track_interface {\n    eth9\n  }').replace('10.0.0.1/24', '10.0.0.1/24 dev eth8');
    assert.deepEqual(build(text).messages, []);
    const facts = { interfaces: new Set(['lo', 'eth0']) };
    assert.deepEqual(build(text.replace('eth0', 'eth7'), facts).messages, [
      'test.conf:2: error: interface: (VI_1) interface eth7 does not exist on this host',
      'test.conf:5: warning: track_interface: (VI_1) interface eth9 does not exist on this host',
      'test.conf:8: warning: dev: (VI_1) interface eth8 of 10.0.0.1 does not exist on this host',
    ]);
    assert.deepEqual(
      build('global_defs {\n  dynamic_interfaces\n}\n' + text.replace('eth0', 'eth7'), facts).messages,
      [],
    );
  });

  void test('a $NAME left after preprocessing is noted (keepalived says nothing)', () => {
    const { messages } = build(basic('  notify_master $NOTIFY'));
    assert.deepEqual(messages, [
      "test.conf:4: note: notify_master: '$NOTIFY' is not a defined parameter, left as written",
    ]);
  });
});

void describe('top level', () => {
  void test('static blocks, interface groups, unknown keywords', () => {
    const { model, messages } = build(`static_ipaddress {
  192.168.1.1/24 dev eth0 scope global
}
static_routes {
  default via 192.168.1.254 dev eth0
}
static_rules {
  from 192.168.1.0/24 table 10 preference 10
}
linkbeat_interfaces {
  eth0 MII
}
interface_up_down_delays {
  eth0 1.5
}
track_group TG {
  group {
    VI_1
  }
}
vrrp_bogus {
}
`);
    assert.deepEqual(messages, [
      'test.conf:21: warning: vrrp_bogus: unknown keyword in the top level, ignored',
      // Its '{' ignored, and its closing '}' an unknown keyword too, as keepalived reads them (this test's
      // reader does not note where blocks end).
      "test.conf:21: warning: {: Unexpected '{' - ignoring",
      'test.conf:21: warning: }: unknown keyword in the top level, ignored',
      // What keepalived's VRRP process logs as it resolves the group (there is no VI_1 here).
      "test.conf:16: note: track_group: vrrp instance VI_1 specified in track group TG doesn't exist - ignoring",
      'test.conf:16: note: track_group: Static track group TG has no VRRP instance(s); Static track group TG init fails - removing',
    ]);
    assert.equal(model.staticAddresses[0]?.scope, 'global');
    assert.deepEqual(model.staticRoutes[0]?.destination, { address: '0.0.0.0', prefix: 0, hasPrefix: true });
    assert.equal(model.staticRules[0]?.table, '10');
    assert.deepEqual(model.linkbeatInterfaces[0]?.type, 'MII');
    // keepalived: one value is the down delay, and up has none
    assert.deepEqual(model.interfaceUpDownDelays[0] && model.interfaceUpDownDelays[0].downDelay, 1.5);
    assert.deepEqual(model.interfaceUpDownDelays[0] && model.interfaceUpDownDelays[0].upDelay, 0);
    assert.deepEqual(model.trackGroups[0]?.instances, ['VI_1']);
  });
});
