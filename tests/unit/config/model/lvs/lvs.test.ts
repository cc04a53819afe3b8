// The LVS model: virtual_server_group, virtual_server, real_server, every checker, the cross checks,
// keepalived's defaults/inheritance, and printing back. Texts go through the real reader.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseHex } from '../../../../../src/config/model/lvs/checkers.js';
import { checkLvs } from '../../../../../src/config/model/lvs/consistency.js';
import { effectiveCheckTimings, effectiveRealServer } from '../../../../../src/config/model/lvs/defaults.js';
import { formatHex, printSsl, printVirtualServers } from '../../../../../src/config/model/lvs/print.js';
import type { Checker, RealServer, VirtualServer } from '../../../../../src/config/model/lvs/types.js';
import { buildSsl, parseAddressRange } from '../../../../../src/config/model/lvs/virtual-server.js';
import { printTrackFile } from '../../../../../src/config/model/vrrp/script.js';
import { Diagnostics, formatDiagnostic } from '../../../../../src/config/types.js';
import { miniTree } from '../../mini-tree.js';
import { arbLvs } from '../../lvs-arbitraries.js';
import { lvs } from '../../lvs-helpers.js';
import { stripLocations } from '../../model-helpers.js';

/** A virtual server around `body` with everything keepalived wants set, so only `body` speaks. */
function vsText(body: string, head = '10.0.0.1 80'): string {
  return `virtual_server ${head} {\n  protocol TCP\n${body}\n}\n`;
}

function oneVs(text: string): { vs: VirtualServer; messages: string[] } {
  const { model, messages } = lvs(text);
  const vs = model.virtualServers[0];
  assert.ok(vs, `a virtual server was built; messages: ${messages.join('; ')}`);
  return { vs, messages };
}

/** One real server holding `checker`; returns the built checker. */
function oneChecker(checker: string): { c: Checker | undefined; messages: string[] } {
  const { vs, messages } = oneVs(vsText(`  real_server 10.1.1.1 80 {\n${checker}\n  }`));
  return { c: vs.realServers[0]?.checkers[0], messages };
}

void describe('virtual_server_group', () => {
  void test('address ranges in every spelling, single addresses and fwmarks', () => {
    const { model, messages } = lvs(
      [
        'virtual_server_group G {',
        '  10.0.0.1-10 80',
        '  10.0.0.250-10.0.1.5 80',
        '  10.0.2.8/29 443',
        '  2001:db8::10-1f 80',
        '  10.0.3.1',
        '  fwmark 7',
        '  fwmark 8 inet',
        '}',
        vsText('  real_server 10.1.1.1 80 {\n  }', 'group G'),
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      '/k.conf:1: error: virtual_server_group: virtual server group G cannot have IPv4, IPv6 and fwmark without family - removing',
      '/k.conf:10: error: virtual_server: virtual_server_group G is not defined',
    ]);
    assert.equal(model.virtualServerGroups.length, 0);
  });

  void test('entries are kept with first/last addresses and ports', () => {
    const { model, messages } = lvs(
      [
        'virtual_server_group G {',
        '  10.0.0.1-10 80',
        '  10.0.0.250-10.0.1.5 80',
        '  10.0.2.8/29 443',
        '  10.0.3.1',
        '  fwmark 7',
        '  fwmark 8 inet',
        '}',
        vsText('  persistence_timeout 60\n  real_server 10.1.1.1 {\n  }', 'group G'),
      ].join('\n'),
    );
    assert.deepEqual(messages, []);
    const g = model.virtualServerGroups[0];
    assert.deepEqual(stripLocations(g?.entries), [
      { kind: 'address', family: 4, first: '10.0.0.1', last: '10.0.0.10', port: 80 },
      { kind: 'address', family: 4, first: '10.0.0.250', last: '10.0.1.5', port: 80 },
      { kind: 'address', family: 4, first: '10.0.2.8', last: '10.0.2.15', port: 443 },
      { kind: 'address', family: 4, first: '10.0.3.1', last: '10.0.3.1' },
      { kind: 'fwmark', fwmark: 7 },
      { kind: 'fwmark', fwmark: 8, family: 4 },
    ]);
    assert.deepEqual(g?.at, { file: '/k.conf', line: 1 });
  });

  void test('IPv6 short ranges replace the last group, in hex', () => {
    assert.deepEqual(parseAddressRange('2001:db8::10-1f'), {
      family: 6,
      first: '2001:db8::10',
      last: '2001:db8::1f',
    });
    assert.deepEqual(parseAddressRange('2001:db8::/126'), {
      family: 6,
      first: '2001:db8::',
      last: '2001:db8::3',
    });
    assert.equal(
      parseAddressRange('10.0.0.5-5'),
      "range end is not greater than range start in '10.0.0.5-5'",
    );
    assert.equal(parseAddressRange('10.0.0.5-256'), "'10.0.0.5-256' is not a valid address range");
    assert.equal(
      parseAddressRange('10.0.0.5-2001:db8::1'),
      "'10.0.0.5-2001:db8::1' is not a valid address range",
    );
    assert.equal(parseAddressRange('10.0.0.0/33'), "'10.0.0.0/33' has an invalid prefix length");
  });

  void test('bad entries are reported and skipped; an empty group is removed', () => {
    const { model, messages } = lvs(
      'virtual_server_group G {\n  10.0.0.300 80\n  10.0.0.20-5 80\n  fwmark 0\n  fwmark 3 ipx\n}\n',
    );
    assert.deepEqual(messages, [
      "/k.conf:2: error: virtual_server_group: '10.0.0.300' is not a valid IP address - skipping",
      "/k.conf:3: error: virtual_server_group: range end is not greater than range start in '10.0.0.20-5' - skipping",
      '/k.conf:4: error: fwmark: 0 is out of range 1..4294967295',
      "/k.conf:5: error: fwmark: expected 'fwmark N [inet|inet6]'",
      '/k.conf:6: warning: virtual_server_group: virtual server group G has no entries - removing',
    ]);
    assert.equal(model.virtualServerGroups.length, 0);
  });
});

void describe('virtual_server', () => {
  void test('keyed by address and port, fwmark, or group', () => {
    const { model } = lvs(
      [
        vsText('  real_server 10.1.1.1 80 {\n  }'),
        'virtual_server fwmark 12 {\n  lvs_method DR\n  real_server 10.1.1.2 {\n  }\n}',
        'virtual_server_group G {\n  10.0.9.1 80\n}',
        vsText('  real_server 10.1.1.3 80 {\n  }', 'group G'),
        vsText('  real_server 2001:db8::2 80 {\n  }', '2001:DB8::1 80'),
      ].join('\n'),
    );
    assert.deepEqual(
      model.virtualServers.map((v) => v.key),
      [
        { kind: 'address', family: 4, address: '10.0.0.1', port: 80 },
        { kind: 'fwmark', fwmark: 12 },
        { kind: 'group', group: 'G' },
        { kind: 'address', family: 6, address: '2001:db8::1', port: 80 },
      ],
    );
  });

  void test('a port of 0 is no port, as keepalived reads it (virtual, real and sorry servers)', () => {
    const { model, messages } = lvs(
      'virtual_server 10.0.0.1 0 {\n  protocol TCP\n  persistence_timeout 60\n' +
        '  sorry_server 10.1.1.9 00\n  real_server 10.1.1.1 0 {\n  }\n}\n',
    );
    const vs = model.virtualServers[0];
    assert.ok(vs, messages.join('; '));
    assert.deepEqual(vs.key, { kind: 'address', family: 4, address: '10.0.0.1' });
    assert.equal(vs.realServers[0]?.port, undefined);
    assert.equal(vs.sorryServer?.port, undefined);
    assert.deepEqual(
      messages.filter((m) => m.includes('error')),
      [],
    );
  });

  void test('bad keys are reported and the block dropped', () => {
    const { model, messages } = lvs(
      'virtual_server 10.0.0.999 80 {\n}\nvirtual_server fwmark x {\n}\nvirtual_server group {\n}\n',
    );
    assert.equal(model.virtualServers.length, 0);
    assert.deepEqual(messages, [
      "/k.conf:1: error: virtual_server: '10.0.0.999' is not a valid IP address",
      "/k.conf:3: error: virtual_server: 'x' is not an integer",
      "/k.conf:5: error: virtual_server: expected 'group NAME'",
    ]);
  });

  void test('words after the port are ignored with a note, as keepalived reads only address and port', () => {
    const { model, messages } = lvs(
      'virtual_server 10.0.0.1 80 90 {\n  real_server 10.0.0.2 80 dev eth0 {\n  }\n}\n',
    );
    assert.equal(model.virtualServers[0]?.key.kind, 'address');
    assert.equal(model.virtualServers[0]?.realServers[0]?.port, 80);
    assert.deepEqual(
      messages.filter((m) => m.includes('after the port')),
      [
        "/k.conf:1: note: virtual_server: '90' after the port ignored, as keepalived does",
        "/k.conf:2: note: real_server: 'dev eth0' after the port ignored, as keepalived does",
      ],
    );
  });

  void test('scheduler, flags, forwarding, persistence and the pool options', () => {
    const { vs, messages } = oneVs(
      vsText(
        [
          '  lvs_sched sh',
          '  sh-port',
          '  flag-3',
          '  mh-port',
          '  ops',
          '  lvs_method TUN type gre csum',
          '  persistence_engine sip',
          '  persistence_timeout',
          '  persistence_granularity 255.255.255.0',
          '  ha_suspend',
          '  smtp_alert no',
          '  virtualhost www.example.com',
          '  snmp_name web',
          '  alpha',
          '  omega',
          '  quorum 2',
          '  hysteresis 1',
          '  quorum_up "/bin/up now" root',
          '  quorum_down /bin/down',
          '  weight 7',
          '  inhibit_on_failure',
          '  delay_loop 2.5',
          '  delay_before_retry 0',
          '  warmup 0',
          '  connect_timeout 0.5',
          '  retry 4',
          '  real_server 10.1.1.1 80 {\n  }',
          '  real_server 10.1.1.2 80 {\n  }',
        ].join('\n'),
      ),
    );
    assert.deepEqual(messages, [
      // under sh, keepalived drops an mh flag without a word: a note, not counted by -t
      '/k.conf:6: note: mh-port: only applies to the mh scheduler - ignored, as keepalived ignores it',
      '/k.conf:1: warning: ops: 10.0.0.1:80: one packet scheduling requires UDP - ignoring',
    ]);
    assert.equal(vs.scheduler, 'sh');
    assert.deepEqual(vs.schedFlags, ['sh-port', 'flag-3']);
    assert.deepEqual(vs.forwarding, { method: 'TUN', tunnel: { type: 'gre', checksum: 'csum' } });
    assert.deepEqual(
      [vs.persistenceEngine, vs.persistenceTimeout, vs.persistenceGranularity],
      ['sip', 360, '255.255.255.0'],
    );
    assert.deepEqual(
      [vs.ops, vs.haSuspend, vs.smtpAlert, vs.virtualhost, vs.snmpName, vs.alpha, vs.omega],
      [true, true, false, 'www.example.com', 'web', true, true],
    );
    assert.deepEqual([vs.quorum, vs.hysteresis, vs.weight, vs.inhibitOnFailure], [2, 1, 7, true]);
    assert.deepEqual(stripLocations(vs.quorumUp), { command: '/bin/up now', user: 'root' });
    assert.deepEqual(vs.quorumDown?.at, { file: '/k.conf', line: 21 });
    assert.deepEqual(
      [vs.delayLoop, vs.delayBeforeRetry, vs.warmup, vs.connectTimeout, vs.retry],
      [2.5, 0, 0, 0.5, 4],
    );
  });

  void test('every scheduler keepalived knows is accepted; others are errors', () => {
    for (const s of [
      'rr',
      'wrr',
      'lc',
      'wlc',
      'lblc',
      'lblcr',
      'dh',
      'sh',
      'sed',
      'nq',
      'fo',
      'ovf',
      'mh',
      'twos',
    ]) {
      const { vs } = oneVs(vsText(`  lvs_sched ${s}\n  real_server 10.1.1.1 80 {\n  }`));
      assert.equal(vs.scheduler, s);
    }
    const { vs, messages } = oneVs(vsText('  lvs_sched xyz\n  real_server 10.1.1.1 80 {\n  }'));
    assert.equal(vs.scheduler, undefined);
    assert.deepEqual(messages, [
      "/k.conf:3: error: lvs_sched: 'xyz' is not one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos",
    ]);
  });

  void test('lb_algo and lb_kind are read as lvs_sched and lvs_method, with a warning', () => {
    const { vs, messages } = oneVs(vsText('  lb_algo rr\n  lb_kind DR\n  real_server 10.1.1.1 80 {\n  }'));
    assert.deepEqual([vs.scheduler, vs.forwarding], ['rr', { method: 'DR' }]);
    assert.deepEqual(messages, [
      "/k.conf:3: note: lb_algo: deprecated keyword, use 'lvs_sched'",
      "/k.conf:4: note: lb_kind: deprecated keyword, use 'lvs_method'",
    ]);
  });

  void test('tunnel options follow keepalived rules', () => {
    const cases: Array<[string, unknown, string[]]> = [
      ['TUN', { method: 'TUN' }, []],
      ['TUN type ipip', { method: 'TUN' }, []],
      [
        'TUN type gue port 6080 remcsum',
        { method: 'TUN', tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } },
        [],
      ],
      [
        'TUN type gue',
        undefined,
        ['error: lvs_method: gue tunnels require a port, and other tunnel types cannot have one'],
      ],
      [
        'TUN type ipip port 5',
        undefined,
        ['error: lvs_method: gue tunnels require a port, and other tunnel types cannot have one'],
      ],
      ['TUN type ipip csum', undefined, ['error: lvs_method: ipip tunnels do not support a checksum option']],
      ['TUN type gre remcsum', undefined, ['error: lvs_method: gre tunnels do not support remcsum']],
      ['TUN type vxlan', undefined, ["error: lvs_method: unknown tunnel type 'vxlan'"]],
      ['TUN fast', undefined, ["error: lvs_method: invalid tunnel option 'fast'"]],
      ['DR type gre', undefined, ['error: lvs_method: tunnel options are only valid with TUN']],
      ['MASQ', undefined, ["error: lvs_method: unknown forwarding method 'MASQ' (NAT, DR or TUN)"]],
    ];
    for (const [words, expected, errors] of cases) {
      const { vs, messages } = oneVs(vsText(`  lvs_method ${words}\n  real_server 10.1.1.1 80 {\n  }`));
      assert.deepEqual(vs.forwarding, expected, words);
      assert.deepEqual(
        messages,
        errors.map((e) => `/k.conf:3: ${e}`),
        words,
      );
    }
  });

  void test('value errors name the keyword and leave the value unset', () => {
    const { vs, messages } = oneVs(
      vsText(
        [
          '  quorum 0',
          '  hysteresis -1',
          '  persistence_timeout 2678401',
          '  persistence_granularity 300',
          '  delay_loop 0',
          '  connect_timeout 5000',
          '  retry 0',
          '  weight 0',
          '  protocol ICMP',
          '  ip_family inet6',
          '  real_server 10.1.1.1 80 {\n  }',
        ].join('\n'),
      ),
    );
    assert.deepEqual(messages, [
      '/k.conf:3: error: quorum: 0 is out of range 1..4294967295',
      '/k.conf:4: error: hysteresis: -1 is out of range 0..4294967295',
      '/k.conf:5: error: persistence_timeout: 2678401 is out of range 1..2678400',
      "/k.conf:6: error: persistence_granularity: invalid IPv4 persistence_granularity '300' (a netmask)",
      '/k.conf:7: error: delay_loop: 0 is out of range 0.000001..18446744073709.55',
      '/k.conf:8: error: connect_timeout: 5000 is out of range 0.000001..4294.967295',
      '/k.conf:9: error: retry: 0 is out of range 1..4294967295',
      '/k.conf:10: error: weight: 0 is out of range 1..2147483647',
      "/k.conf:11: error: protocol: 'ICMP' is not one of TCP, UDP, SCTP",
      '/k.conf:12: error: ip_family: inet6 conflicts with the address family of the virtual server',
    ]);
    assert.deepEqual(
      [
        vs.quorum,
        vs.hysteresis,
        vs.persistenceTimeout,
        vs.delayLoop,
        vs.retry,
        vs.weight,
        vs.protocol,
        vs.ipFamily,
      ],
      [undefined, undefined, undefined, undefined, undefined, undefined, 'TCP', undefined],
    );
  });

  void test('protocol is case-insensitive; IPv6 granularity is a prefix length', () => {
    const { vs, messages } = oneVs(
      'virtual_server fwmark 3 {\n  ip_family inet6\n  persistence_granularity 64\n  lvs_method DR\n  real_server 2001:db8::5 {\n  }\n}\n',
    );
    assert.deepEqual(messages, []);
    assert.deepEqual([vs.ipFamily, vs.persistenceGranularity], [6, '64']);
    const udp = oneVs(
      vsText('  protocol udp\n  real_server 10.1.1.1 80 {\n  }').replace('protocol TCP\n', ''),
    );
    assert.equal(udp.vs.protocol, 'UDP');
  });

  void test('sorry_server and its options, which must come after it', () => {
    const { vs, messages } = oneVs(
      vsText(
        [
          '  sorry_server_inhibit',
          '  sorry_server 10.9.9.9 8080',
          '  sorry_server_inhibit',
          '  sorry_server_lvs_method TUN type gue port 5555',
          '  real_server 10.1.1.1 80 {\n  }',
        ].join('\n'),
      ),
    );
    assert.deepEqual(messages, [
      '/k.conf:3: warning: sorry_server_inhibit: used before or without sorry_server - ignoring',
      "/k.conf:4: warning: sorry_server: virtual server 10.0.0.1:80 and sorry server ports don't match - resetting",
    ]);
    assert.deepEqual(stripLocations(vs.sorryServer), {
      family: 4,
      address: '10.9.9.9',
      port: 8080,
      inhibit: true,
      forwarding: { method: 'TUN', tunnel: { type: 'gue', port: 5555 } },
    });
  });

  void test('a sorry server of the other family is dropped unless tunnelled', () => {
    const { vs, messages } = oneVs(vsText('  sorry_server 2001:db8::9 80\n  real_server 10.1.1.1 80 {\n  }'));
    assert.equal(vs.sorryServer, undefined);
    assert.deepEqual(messages, [
      '/k.conf:3: error: sorry_server: address family of 2001:db8::9 does not match the virtual server - skipping sorry server',
    ]);
    const tun = oneVs(
      vsText(
        '  sorry_server 2001:db8::9 80\n  sorry_server_lvs_method TUN\n  real_server 10.1.1.1 80 {\n  }',
      ),
    );
    assert.equal(tun.vs.sorryServer?.address, '2001:db8::9');
  });
});

void describe('real_server', () => {
  void test('every keyword', () => {
    const { vs, messages } = oneVs(
      vsText(
        [
          '  real_server 10.1.1.1 80 {',
          '    weight 3',
          '    lvs_method DR',
          '    inhibit_on_failure false',
          '    notify_up "/bin/n up" root wheel',
          '    notify_down /bin/n',
          '    uthreshold 1000',
          '    lthreshold 10',
          '    alpha',
          '    smtp_alert',
          '    virtualhost app.example.com',
          '    snmp_name rs1',
          '    delay_loop 3',
          '    retry 2',
          '    delay_before_retry 4',
          '    warmup 1',
          '    connect_timeout 2',
          '  }',
        ].join('\n'),
      ),
    );
    assert.deepEqual(messages, []);
    const rs = vs.realServers[0];
    assert.deepEqual(stripLocations(rs), {
      family: 4,
      address: '10.1.1.1',
      port: 80,
      checkers: [],
      weight: 3,
      forwarding: { method: 'DR' },
      inhibitOnFailure: false,
      notifyUp: { command: '/bin/n up', user: 'root', group: 'wheel' },
      notifyDown: { command: '/bin/n' },
      uthreshold: 1000,
      lthreshold: 10,
      alpha: true,
      smtpAlert: true,
      virtualhost: 'app.example.com',
      snmpName: 'rs1',
      delayLoop: 3,
      retry: 2,
      delayBeforeRetry: 4,
      warmup: 1,
      connectTimeout: 2,
    });
    assert.deepEqual(rs?.at, { file: '/k.conf', line: 3 });
  });

  void test('errors, repeated notify scripts, family clashes and duplicates', () => {
    const { vs, messages } = oneVs(
      vsText(
        [
          '  real_server 10.1.1.1 80 {',
          '    weight -1',
          '    uthreshold 5000000000',
          '    notify_up /bin/a',
          '    notify_up /bin/b',
          '    notify_down /bin/a x y z',
          '    inhibit_on_failure maybe',
          '  }',
          '  real_server 2001:db8::1 80 {\n  }',
          '  real_server 2001:db8::2 80 {\n    lvs_method TUN\n  }',
          '  real_server 10.1.1.1 80 {\n  }',
        ].join('\n'),
      ),
    );
    assert.deepEqual(messages, [
      '/k.conf:4: error: weight: -1 is out of range 0..2147483647',
      '/k.conf:5: error: uthreshold: 5000000000 is out of range 0..4294967295',
      '/k.conf:7: warning: notify_up: notify_up script already specified - ignoring',
      "/k.conf:8: note: notify_down: 'x y' is read as the user and group to run /bin/a as, and 'z' is ignored: quote the command to pass it arguments (\"/bin/a x y z\")",
      "/k.conf:9: error: inhibit_on_failure: 'maybe' is not a boolean (true/false, on/off, yes/no)",
      '/k.conf:12: error: real_server: address family of 2001:db8::1 does not match the virtual server - skipping real server',
      '/k.conf:16: warning: real_server: real server 10.1.1.1 port 80 is duplicated - ignoring the second',
    ]);
    assert.deepEqual(
      vs.realServers.map((r) => r.address),
      ['10.1.1.1', '2001:db8::2'],
    );
    assert.equal(vs.realServers[0]?.notifyUp?.command, '/bin/a');
  });
});

void describe('checkers: common options', () => {
  void test('connection and timing keywords of a network checker', () => {
    const { c, messages } = oneChecker(
      [
        '    TCP_CHECK {',
        '      connect_ip 10.2.2.2',
        '      connect_port 8443',
        '      bindto 10.3.3.3',
        '      bind_port 40000',
        '      bind_if eth0',
        '      fwmark 0',
        '      connect_timeout 2.5',
        '      retry 0',
        '      delay_before_retry 0',
        '      warmup 0',
        '      delay_loop 1',
        '      alpha no',
        '      log_all_failures',
        '    }',
      ].join('\n'),
    );
    assert.deepEqual(messages, []);
    assert.deepEqual(stripLocations(c), {
      kind: 'TCP_CHECK',
      connectIp: '10.2.2.2',
      connectFamily: 4,
      connectPort: 8443,
      bindTo: '10.3.3.3',
      bindPort: 40000,
      bindIf: 'eth0',
      fwmark: 0,
      connectTimeout: 2.5,
      retry: 0,
      delayBeforeRetry: 0,
      warmup: 0,
      delayLoop: 1,
      alpha: false,
      logAllFailures: true,
    });
    assert.deepEqual(c?.at, { file: '/k.conf', line: 4 });
  });

  void test('connection errors', () => {
    const { c, messages } = oneChecker(
      [
        '    PING_CHECK {',
        '      bindto 10.3.3.3',
        '      connect_ip 2001:db8::1',
        '      connect_port 0',
        '      bind_port 70000',
        '      bind_if an-interface-name-too-long',
        '      connect_timeout 0',
        '      delay_loop 0',
        '      bindto 10.3.3.x',
        '      misc_path /bin/true',
        '    }',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      '/k.conf:6: error: connect_ip: 2001:db8::1 does not match the address family of bindto',
      '/k.conf:7: error: connect_port: 0 is out of range 1..65535',
      '/k.conf:8: error: bind_port: 70000 is out of range 1..65535',
      "/k.conf:9: error: bind_if: interface name 'an-interface-name-too-long' is longer than 15 characters",
      '/k.conf:10: error: connect_timeout: 0 is out of range 0.000001..4294.967295',
      '/k.conf:11: error: delay_loop: 0 is out of range 0.000001..18446744073709.55',
      "/k.conf:12: error: bindto: '10.3.3.x' is not a valid IP address",
      '/k.conf:13: warning: misc_path: unknown keyword in PING_CHECK, ignored',
    ]);
    assert.deepEqual(stripLocations(c), { kind: 'PING_CHECK', bindTo: '10.3.3.3' });
  });
});

void describe('checkers: HTTP_GET and SSL_GET', () => {
  void test('urls with status codes, digest, regex and their options', () => {
    const { c, messages } = oneChecker(
      [
        '    HTTP_GET {',
        '      url {',
        '        path /health',
        '        status_code 200-299 404',
        '        status_code 503',
        '        digest 9B3A0C85A887A256D6939DA88AABD8CD',
        '        virtualhost h.example.com',
        '        regex "^ok ( [0-9]+)?$"',
        '        regex_no_match',
        '        regex_options caseless multiline caseless',
        '        regex_stack 1024 65536',
        '        regex_min_offset 4',
        '        regex_max_offset 400',
        '      }',
        '      virtualhost www.example.com',
        '      http_protocol 1.0C',
        '      fast_recovery',
        '      nb_get_retry 5',
        '    }',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      "/k.conf:14: note: regex_stack: keepalived-ts matches with V8's RegExp, which has no PCRE2 JIT stack to size (it grows as needed)",
      "/k.conf:21: warning: nb_get_retry: deprecated keyword, use 'retry'",
    ]);
    assert.deepEqual(stripLocations(c), {
      kind: 'HTTP_GET',
      urls: [
        {
          path: '/health',
          statusCodes: [
            { from: 200, to: 299 },
            { from: 404, to: 404 },
            { from: 503, to: 503 },
          ],
          digest: '9b3a0c85a887a256d6939da88aabd8cd',
          virtualhost: 'h.example.com',
          regex: '^ok ( [0-9]+)?$',
          regexNoMatch: true,
          regexOptions: ['caseless', 'multiline'],
          regexStack: { start: 1024, max: 65536 },
          regexMinOffset: 4,
          regexMaxOffset: 400,
        },
      ],
      enableSni: false,
      fastRecovery: true,
      tlsCompliant: false,
      virtualhost: 'www.example.com',
      httpProtocol: '1.0C',
      retry: 5,
    });
  });

  void test('url and checker errors', () => {
    const { c, messages } = oneChecker(
      [
        '    HTTP_GET {',
        '      url {',
        '        path /',
        '        status_code 99 200-199 600 2xx',
        '        digest abc',
        '        regex_options caseless bogus',
        '        regex_stack 10 5',
        '        regex_min_offset 10',
        '        regex_max_offset 5',
        '      }',
        '      url {',
        '        digest 9b3a0c85a887a256d6939da88aabd8cd',
        '      }',
        '      http_protocol 2.0',
        '      enable_sni',
        '    }',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      "/k.conf:7: error: status_code: '99' is not a status code or range within 100-599",
      "/k.conf:7: error: status_code: '200-199' is not a status code or range within 100-599",
      "/k.conf:7: error: status_code: '600' is not a status code or range within 100-599",
      "/k.conf:7: error: status_code: '2xx' is not a status code or range within 100-599",
      "/k.conf:8: error: digest: 'abc' is not 32 hexadecimal characters",
      // keepalived skips an unknown option without a word and only logs the next three (never counted)
      "/k.conf:9: note: regex_options: 'bogus' is not a regex option; ignored, as keepalived does",
      "/k.conf:10: note: regex_stack: keepalived-ts matches with V8's RegExp, which has no PCRE2 JIT stack to size (it grows as needed)",
      '/k.conf:10: note: regex_stack: regex stack start cannot exceed max value',
      '/k.conf:5: note: url: regex parameters specified without regex',
      '/k.conf:16: error: url: url has no path - ignoring the url',
      "/k.conf:17: error: http_protocol: '2.0' is not one of 1.0, 1.0C, 1.1",
    ]);
    assert.equal(c?.kind === 'HTTP_GET' ? c.urls.length : -1, 1);
  });

  void test('SSL_GET has enable_sni and tls_compliant; a checker without url is dropped', () => {
    const ssl = oneChecker(
      '    SSL_GET {\n      url {\n        path /\n      }\n      enable_sni\n      tls_compliant\n    }',
    );
    assert.deepEqual(ssl.messages, []);
    assert.ok(ssl.c?.kind === 'SSL_GET' && ssl.c.enableSni && ssl.c.tlsCompliant);
    const none = oneChecker('    HTTP_GET {\n      connect_timeout 3\n    }');
    assert.equal(none.c, undefined);
    assert.deepEqual(none.messages, ['/k.conf:6: error: HTTP_GET: no url specified - ignoring the checker']);
  });
});

void describe('checkers: SMTP, DNS, UDP, PING, MISC, FILE, BFD', () => {
  void test('SMTP_CHECK with helo_name and a deprecated host block', () => {
    const { c, messages } = oneChecker(
      [
        '    SMTP_CHECK {',
        '      helo_name "lb check"',
        '      retry 2',
        '      host {',
        '        connect_ip 10.5.5.5',
        '        connect_port 587',
        '        connect_timeout 9',
        '      }',
        '    }',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      '/k.conf:7: note: host: deprecated: use one SMTP_CHECK per host instead of host blocks',
    ]);
    assert.deepEqual(stripLocations(c), {
      kind: 'SMTP_CHECK',
      heloName: 'lb check',
      retry: 2,
      hosts: [{ connectIp: '10.5.5.5', connectFamily: 4, connectPort: 587, connectTimeout: 9 }],
    });
  });

  void test('DNS_CHECK type is case-insensitive and checked', () => {
    const ok = oneChecker('    DNS_CHECK {\n      type aaaa\n      name example.com.\n    }');
    assert.deepEqual(stripLocations(ok.c), { kind: 'DNS_CHECK', type: 'AAAA', name: 'example.com.' });
    const bad = oneChecker('    DNS_CHECK {\n      type PTR\n    }');
    assert.deepEqual(bad.messages, [
      "/k.conf:5: error: type: 'PTR' is not one of A, NS, CNAME, SOA, MX, TXT, AAAA",
    ]);
  });

  void test('UDP_CHECK hex strings, wildcards and reply lengths', () => {
    const { c, messages } = oneChecker(
      [
        '    UDP_CHECK {',
        '      payload Ab12f 3 456 546443123',
        '      require_reply 0a X1 fx',
        '      min_reply_length 300',
        '    }',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      '/k.conf:4: warning: UDP_CHECK: min_reply_length 300 > max_reply_length 255 - the check will always fail',
    ]);
    assert.ok(c?.kind === 'UDP_CHECK');
    assert.deepEqual(c.payload, [0xab, 0x12, 0x0f, 0x03, 0x45, 0x06, 0x54, 0x64, 0x43, 0x12, 0x03]);
    assert.deepEqual(c.replyPattern, { bytes: [0x0a, 0x01, 0xf0], mask: [0xff, 0x0f, 0xf0] });
    assert.equal(c.requireReply, true);
    const bare = oneChecker(
      '    UDP_CHECK {\n      require_reply\n      payload zz\n      max_reply_length 70000\n    }',
    );
    assert.deepEqual(bare.messages, [
      '/k.conf:6: error: payload: invalid hex string',
      '/k.conf:7: error: max_reply_length: 70000 is out of range 0..65535',
    ]);
    assert.deepEqual(stripLocations(bare.c), { kind: 'UDP_CHECK', requireReply: true });
  });

  void test('parseHex and formatHex agree', () => {
    assert.equal(parseHex(['x1'], false), undefined);
    const p = parseHex(['ffX', '0'], true);
    assert.deepEqual(p, { bytes: [0xff, 0x00, 0x00], mask: [0xff, 0xf0, 0xff] });
    assert.equal(formatHex(p?.bytes ?? [], p?.mask), 'ff 0x 00');
  });

  void test('MISC_CHECK path, timeout, dynamic and user; no connection keywords', () => {
    const { c, messages } = oneChecker(
      [
        '    MISC_CHECK {',
        '      misc_path /usr/local/bin/check --fast',
        '      misc_timeout 10',
        '      misc_dynamic',
        '      user nobody nogroup',
        '      retry 0',
        '      connect_timeout 3',
        '    }',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      '/k.conf:10: warning: connect_timeout: unknown keyword in MISC_CHECK, ignored',
    ]);
    assert.deepEqual(stripLocations(c), {
      kind: 'MISC_CHECK',
      dynamic: true,
      path: { command: '/usr/local/bin/check --fast', user: 'nobody', group: 'nogroup' },
      timeout: 10,
      retry: 0,
    });
    const bad = oneChecker('    MISC_CHECK {\n      misc_timeout 1.5\n      user\n    }');
    assert.equal(bad.c, undefined);
    assert.deepEqual(bad.messages, [
      "/k.conf:5: error: misc_timeout: '1.5' is not an integer",
      '/k.conf:6: error: user: no user specified',
      '/k.conf:7: error: MISC_CHECK: no misc_path specified - ignoring the checker',
    ]);
  });

  void test('FILE_CHECK and BFD_CHECK', () => {
    const f = oneChecker(
      '    FILE_CHECK {\n      track_file tf1\n      weight -3 reverse\n      dynamic\n    }',
    );
    // The model passes the defined track_file names to checkLvs, so an unknown one is reported.
    assert.deepEqual(f.messages, ['/k.conf:4: error: track_file: track_file tf1 not found']);
    assert.deepEqual(stripLocations(f.c), {
      kind: 'FILE_CHECK',
      trackFile: 'tf1',
      weight: -3,
      reverse: true,
      dynamic: true,
    });
    const bad = oneChecker('    FILE_CHECK {\n      weight 2 backwards\n    }');
    assert.equal(bad.c, undefined);
    assert.deepEqual(bad.messages, [
      "/k.conf:5: error: weight: expected 'reverse' after the weight, not 'backwards'",
      '/k.conf:6: error: FILE_CHECK: no track_file specified - ignoring the checker',
    ]);
    const b = oneChecker('    BFD_CHECK {\n      name bfd1\n    }');
    assert.deepEqual(stripLocations(b.c), { kind: 'BFD_CHECK', name: 'bfd1' });
    // alpha (keepalived 2.4): the checker starts down; without it, the real server's alpha applies.
    const a = oneVs(
      vsText('  real_server 10.1.1.1 80 {\n    BFD_CHECK {\n      name bfd1\n      alpha\n    }\n  }'),
    );
    assert.deepEqual(a.messages, ['/k.conf:4: error: BFD_CHECK: bfd_instance bfd1 not configured']);
    const rs = a.vs.realServers[0];
    const ac = rs?.checkers[0];
    assert.ok(rs && ac?.kind === 'BFD_CHECK' && ac.alpha === true);
    assert.equal(effectiveCheckTimings(a.vs, rs, ac).alpha, true);
    const plain = oneVs(vsText('  real_server 10.1.1.1 80 {\n    BFD_CHECK {\n      name bfd1\n    }\n  }'));
    const prs = plain.vs.realServers[0];
    const pc = prs?.checkers[0];
    assert.ok(prs && pc);
    assert.equal(effectiveCheckTimings(plain.vs, prs, pc).alpha, false);
    const noName = oneChecker('    BFD_CHECK {\n    }');
    assert.deepEqual(noName.messages, [
      '/k.conf:5: error: BFD_CHECK: no name specified - ignoring the checker',
    ]);
  });

  void test('a real server keeps several checkers of any kind in order', () => {
    const { vs } = oneVs(
      vsText(
        '  real_server 10.1.1.1 80 {\n    PING_CHECK {\n    }\n    TCP_CHECK {\n    }\n    TCP_CHECK {\n      connect_port 81\n    }\n  }',
      ),
    );
    assert.deepEqual(
      vs.realServers[0]?.checkers.map((c) => c.kind),
      ['PING_CHECK', 'TCP_CHECK', 'TCP_CHECK'],
    );
  });
});

void describe('remaining diagnostics', () => {
  void test('virtual_server and group keywords', () => {
    const { messages } = lvs(
      [
        'virtual_server_group G {',
        '  10.0.0.1 80 90',
        '  10.0.0.2 80 {',
        '  }',
        '}',
        'virtual_server fwmark 9 {',
        '  ip_family ipx',
        '  persistence_granularity 129',
        '  sorry_server_lvs_method DR',
        '  hashed',
        '  quorum_up /bin/a',
        '  quorum_up /bin/b',
        '  lvs_method DR',
        '  real_server {',
        '  }',
        '  real_server 10.1.1.1 {',
        '    notify_down /bin/a',
        '    notify_down /bin/b',
        '  }',
        '}',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      "/k.conf:2: note: virtual_server_group: '90' after the port ignored, as keepalived does",
      // keepalived reads the '{' as one more entry and the first '}' as the group's end
      "/k.conf:3: error: virtual_server_group: '{' is not a valid IP address - skipping",
      '/k.conf:5: warning: }: unknown keyword in the top level, ignored',
      "/k.conf:7: error: ip_family: 'ipx' is not one of inet, inet6",
      "/k.conf:8: error: persistence_granularity: invalid IPv6 persistence_granularity '129' (1..128)",
      '/k.conf:9: warning: sorry_server_lvs_method: used before or without sorry_server - ignoring',
      '/k.conf:10: warning: hashed: has no effect, ignored',
      '/k.conf:12: warning: quorum_up: quorum_up script already specified - ignoring',
      '/k.conf:14: error: real_server: missing address',
      '/k.conf:18: warning: notify_down: notify_down script already specified - ignoring',
      '/k.conf:1: note: virtual_server_group: G is not used by any virtual_server',
    ]);
  });

  void test('virtual_server switches ignore a value, as keepalived does', () => {
    const { vs, messages } = oneVs(vsText('  alpha false\n  ops no\n  real_server 10.1.1.1 80 {\n  }'));
    assert.deepEqual([vs.alpha, vs.ops], [true, true]);
    assert.deepEqual(messages, [
      "/k.conf:3: warning: alpha: takes no value in a virtual_server: 'false' ignored, the option is set",
      "/k.conf:4: warning: ops: takes no value in a virtual_server: 'no' ignored, the option is set",
      '/k.conf:1: warning: ops: 10.0.0.1:80: one packet scheduling requires UDP - ignoring',
    ]);
  });

  void test('checker keywords', () => {
    const { messages } = oneChecker(
      [
        '    HTTP_GET {',
        '      connect_ip 10.0.0.x',
        '      connect_ip 10.0.0.5',
        '      bindto 2001:db8::5',
        '      url {',
        '        path /',
        '        regex_stack 0 5',
        '        status_code',
        '      }',
        '    }',
        '    MISC_CHECK {',
        '      misc_path /bin/x',
        '      user a b c',
        '    }',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      "/k.conf:5: error: connect_ip: '10.0.0.x' is not a valid IP address",
      '/k.conf:7: error: bindto: 2001:db8::5 does not match the address family of connect_ip',
      "/k.conf:10: note: regex_stack: keepalived-ts matches with V8's RegExp, which has no PCRE2 JIT stack to size (it grows as needed)",
      '/k.conf:11: note: status_code: no status code given: ignored',
      '/k.conf:8: note: url: regex parameters specified without regex',
      "/k.conf:16: error: user: unexpected 'c' after the group",
    ]);
  });
});

void describe('checkLvs', () => {
  void test('group references, unused groups and duplicate virtual servers', () => {
    const { messages } = lvs(
      [
        'virtual_server_group USED {\n  10.0.0.1 80\n}',
        'virtual_server_group SPARE {\n  10.0.0.2 80\n}',
        'virtual_server_group USED {\n  10.0.0.3 80\n}',
        vsText('  real_server 10.1.1.1 80 {\n  }', 'group USED'),
        vsText('  real_server 10.1.1.1 80 {\n  }', 'group MISSING'),
        vsText('  real_server 10.1.1.1 80 {\n  }'),
        vsText('  real_server 10.1.1.2 80 {\n  }'),
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      '/k.conf:7: note: virtual_server_group: USED is defined more than once: the first is used',
      '/k.conf:16: error: virtual_server: virtual_server_group MISSING is not defined',
      "/k.conf:28: note: virtual_server: 10.0.0.1:80 is defined more than once: one service, its real servers added to the first one's",
      '/k.conf:4: note: virtual_server_group: SPARE is not used by any virtual_server',
    ]);
  });

  void test("keepalived's validation warnings", () => {
    const { messages } = lvs(
      [
        'virtual_server 10.0.0.1 {\n  lvs_method NAT\n  real_server 10.1.1.1 80 {\n  }\n}',
        'virtual_server 10.0.0.2 80 {\n  protocol TCP\n}',
        'virtual_server fwmark 4 {\n  protocol TCP\n  ha_suspend\n  lvs_method DR\n  real_server 10.1.1.1 80 {\n  }\n}',
        vsText('  quorum 5\n  hysteresis 3\n  real_server 10.1.1.1 80 {\n    weight 2\n  }'),
        vsText('  lvs_method DR\n  real_server 10.1.1.1 81 {\n  }', '10.0.0.9 80'),
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      '/k.conf:1: warning: virtual_server: 10.0.0.1: no protocol set - defaulting to UDP',
      '/k.conf:1: warning: virtual_server: 10.0.0.1: zero port only valid for persistent services - persistence_timeout 360 is used',
      '/k.conf:6: warning: virtual_server: 10.0.0.2:80 has no real servers - ignoring',
      '/k.conf:9: warning: ha_suspend: fwmark 4: cannot be used with fwmarks - ignoring',
      '/k.conf:9: warning: protocol: fwmark 4: protocol specified for fwmark - protocol will be ignored',
      '/k.conf:13: warning: real_server: fwmark virtual server fwmark 4, real server 10.1.1.1 has port specified - clearing',
      '/k.conf:16: warning: quorum: 5 for 10.0.0.1:80 exceeds total weight of real servers 2, reducing quorum to 2',
      '/k.conf:16: warning: hysteresis: 10.0.0.1:80: hysteresis 3 >= quorum 2',
      "/k.conf:28: warning: real_server: virtual server 10.0.0.9:80 and real server 10.1.1.1 ports don't match - resetting to 80",
    ]);
  });

  void test('IPv6 link-local checker targets need bind_if', () => {
    const { messages } = lvs(
      vsText(
        '  real_server fe80::1 80 {\n    TCP_CHECK {\n    }\n    TCP_CHECK {\n      bind_if eth0\n    }\n  }',
        '2001:db8::1 80',
      ),
    );
    assert.deepEqual(messages, [
      '/k.conf:4: error: TCP_CHECK: link local address fe80::1 requires a bind_if',
    ]);
  });

  void test('FILE_CHECK and BFD_CHECK references, when the names are known', () => {
    const { model } = lvs(
      vsText(
        '  lvs_sched rr\n  lvs_method NAT\n  real_server 10.1.1.1 80 {\n    FILE_CHECK {\n      track_file nope\n    }\n    BFD_CHECK {\n      name b1\n    }\n  }',
      ),
    );
    const ctx = { diags: new Diagnostics() };
    checkLvs(model.virtualServerGroups, model.virtualServers, ctx, {
      trackFiles: new Set(['tf']),
      bfdInstances: new Set(['b2']),
    });
    assert.deepEqual(ctx.diags.items.map(formatDiagnostic), [
      '/k.conf:6: error: track_file: track_file nope not found',
      '/k.conf:9: error: BFD_CHECK: bfd_instance b1 not configured',
    ]);
  });
});

void describe('defaults and inheritance', () => {
  const build = (checkers: string, vsBody = '', rsBody = ''): { vs: VirtualServer; rs: RealServer } => {
    const { vs } = oneVs(vsText(`${vsBody}\n  real_server 10.1.1.1 80 {\n${rsBody}\n${checkers}\n  }`));
    const rs = vs.realServers[0];
    assert.ok(rs);
    return { vs, rs };
  };

  void test('per-checker defaults: retry and delay_before_retry', () => {
    const { vs, rs } = build(
      [
        'TCP_CHECK {\n}',
        'HTTP_GET {\n url {\n path /\n }\n}',
        'DNS_CHECK {\n}',
        'MISC_CHECK {\n misc_path /bin/true\n}',
        'UDP_CHECK {\n}',
      ].join('\n'),
    );
    const t = rs.checkers.map((c) => effectiveCheckTimings(vs, rs, c));
    assert.deepEqual(
      t.map((x) => [x.retry, x.delayBeforeRetry, x.delayLoop, x.warmup, x.connectTimeout, x.alpha]),
      [
        [1, 1, 60, 60, 5, false],
        [1, 3, 60, 60, 5, false],
        [3, 60, 60, 60, 5, false],
        [0, 1, 60, 60, undefined, false],
        [1, 1, 60, 60, 5, false],
      ],
    );
  });

  void test('checker <- real_server <- virtual_server', () => {
    const { vs, rs } = build(
      'DNS_CHECK {\n  delay_loop 7\n}\nTCP_CHECK {\n  retry 0\n}',
      '  delay_loop 20\n  connect_timeout 2\n  alpha\n  inhibit_on_failure\n  weight 4\n  lvs_method DR',
      '    retry 6\n    warmup 1',
    );
    const [dns, tcp] = rs.checkers.map((c) => effectiveCheckTimings(vs, rs, c));
    assert.deepEqual(dns, {
      alpha: true,
      retry: 6,
      delayLoop: 7,
      warmup: 1,
      delayBeforeRetry: 7,
      connectTimeout: 2,
    });
    assert.deepEqual(tcp, {
      alpha: true,
      retry: 0,
      delayLoop: 20,
      warmup: 1,
      delayBeforeRetry: 1,
      connectTimeout: 2,
    });
    const r = effectiveRealServer(vs, rs);
    assert.deepEqual([r.weight, r.forwarding, r.inhibitOnFailure], [4, { method: 'DR' }, true]);
  });
});

void describe('printing', () => {
  const corpusDir = new URL('../../../../../../tests/corpus/lvs/', import.meta.url).pathname;
  const files = existsSync(corpusDir) ? readdirSync(corpusDir).filter((f) => f.endsWith('.conf')) : [];

  void test('the corpus holds at least 12 LVS configs', () => {
    assert.ok(files.length >= 12, `${files.length} files`);
  });

  for (const name of files) {
    void test(`${name} prints back to an equal model`, () => {
      const first = lvs(readFileSync(join(corpusDir, name), 'utf8'));
      // FILE_CHECKs name track_file blocks, so those are printed (by the VRRP printer) ahead.
      const text =
        first.model.trackFiles.flatMap(printTrackFile).join('\n') +
        '\n' +
        printVirtualServers(first.model.virtualServerGroups, first.model.virtualServers);
      const second = lvs(text);
      assert.deepEqual(
        second.messages.filter((m) => m.includes(' error: ')),
        [],
      );
      assert.deepEqual(
        stripLocations(second.model.virtualServers),
        stripLocations(first.model.virtualServers),
      );
      assert.deepEqual(
        stripLocations(second.model.virtualServerGroups),
        stripLocations(first.model.virtualServerGroups),
      );
      assert.ok(first.model.virtualServers.length > 0);
    });
  }

  void test('the SSL block', () => {
    const ctx = { diags: new Diagnostics() };
    const [node] = miniTree(
      'SSL {\n  password secret\n  ca /etc/ca.pem\n  certificate /etc/c.pem\n  key /etc/k.pem\n  ca /etc/ca2.pem\n}\n',
    );
    assert.ok(node);
    const ssl = buildSsl(node, ctx);
    assert.deepEqual(ctx.diags.items.map(formatDiagnostic), [
      'test.conf:6: warning: ca: already specified - replacing',
    ]);
    assert.equal(
      printSsl(ssl),
      'SSL {\n  password secret\n  ca /etc/ca2.pem\n  certificate /etc/c.pem\n  key /etc/k.pem\n}\n',
    );
  });
});

void describe('round trip property', () => {
  void test('any parseable LVS model prints to text that reads back to the same model', () => {
    fc.assert(
      fc.property(arbLvs, ({ groups, servers }) => {
        const text = printVirtualServers(groups, servers);
        const { model, messages } = lvs(text);
        const errors = messages.filter(
          (m) => m.includes(' error: ') && !/is not defined|not found|not configured|more than once/.test(m),
        );
        assert.deepEqual(errors, [], text);
        assert.deepEqual(stripLocations(model.virtualServerGroups), stripLocations(groups), text);
        assert.deepEqual(stripLocations(model.virtualServers), stripLocations(servers), text);
      }),
      { numRuns: 40 },
    );
  });
});

void describe('LVS corpus facts', () => {
  const corpusDir = new URL('../../../../../../tests/corpus/lvs/', import.meta.url).pathname;
  const load = (name: string): { vs: VirtualServer[]; messages: string[] } => {
    const { model, messages } = lvs(readFileSync(join(corpusDir, name), 'utf8'));
    return { vs: model.virtualServers, messages };
  };
  const rs = (vs: VirtualServer[], i: number, j: number): RealServer => {
    const r = vs[i]?.realServers[j];
    assert.ok(r, `real server ${i}/${j}`);
    return r;
  };
  const FACTS: Record<string, (vs: VirtualServer[]) => void> = {
    '01-nat-http.conf': (vs) => {
      assert.deepEqual(
        [vs[0]?.scheduler, vs[0]?.persistenceTimeout, vs[0]?.quorum, vs[0]?.hysteresis],
        ['wrr', 300, 2, 1],
      );
      const c = rs(vs, 0, 0).checkers[0];
      assert.ok(c?.kind === 'HTTP_GET');
      assert.deepEqual(c.urls[0]?.statusCodes, [
        { from: 200, to: 299 },
        { from: 301, to: 301 },
      ]);
      assert.equal(c.urls[1]?.digest, '9b3a0c85a887a256d6939da88aabd8cd');
      assert.equal(
        effectiveCheckTimings(vs[0] as VirtualServer, rs(vs, 0, 2), rs(vs, 0, 2).checkers[0] as Checker)
          .delayLoop,
        6,
      );
    },
    '02-dr-tcp.conf': (vs) => {
      const t = effectiveCheckTimings(
        vs[0] as VirtualServer,
        rs(vs, 0, 1),
        rs(vs, 0, 1).checkers[0] as Checker,
      );
      assert.deepEqual([t.retry, t.connectTimeout, t.warmup, t.delayBeforeRetry], [4, 2, 5, 1]);
      assert.deepEqual([rs(vs, 0, 2).uthreshold, rs(vs, 0, 2).lthreshold], [1000, 800]);
    },
    '03-tun.conf': (vs) =>
      assert.deepEqual(rs(vs, 0, 2).forwarding, { method: 'TUN', tunnel: { type: 'gue', port: 6080 } }),
    '04-fwmark.conf': (vs) => {
      assert.deepEqual([vs[0]?.key, vs[0]?.alpha, vs[0]?.omega], [{ kind: 'fwmark', fwmark: 1 }, true, true]);
      assert.deepEqual(
        rs(vs, 0, 0).checkers.map((c) => c.kind),
        ['PING_CHECK', 'TCP_CHECK'],
      );
    },
    '05-groups.conf': (vs) =>
      assert.deepEqual(
        vs.map((v) => [v.key.kind === 'group' ? v.key.group : '', v.protocol]),
        [
          ['DNS_VIPS', 'UDP'],
          ['DNS_VIPS', 'TCP'],
          ['WEB_VIPS', 'TCP'],
        ],
      ),
    '06-ssl.conf': (vs) => {
      const c = rs(vs, 0, 0).checkers[0];
      assert.ok(c?.kind === 'SSL_GET');
      assert.deepEqual([c.enableSni, c.urls[0]?.regex, c.urls[1]?.regexNoMatch], [true, 'status.*ok', true]);
    },
    '07-misc.conf': (vs) => {
      const c = rs(vs, 0, 0).checkers[0];
      assert.ok(c?.kind === 'MISC_CHECK');
      assert.deepEqual(
        [c.path?.command, c.path?.user, c.timeout, c.dynamic],
        ['/usr/bin/test -d /tmp', 'root', 10, true],
      );
    },
    '08-smtp.conf': (vs) => {
      const c = rs(vs, 0, 1).checkers[0];
      assert.ok(c?.kind === 'SMTP_CHECK');
      assert.deepEqual([c.heloName, c.hosts[0]?.connectPort], ['lb-check.example.com', 587]);
    },
    '09-dns-ipv6.conf': (vs) => {
      assert.equal(vs[0]?.key.kind === 'address' && vs[0].key.family, 6);
      const c = rs(vs, 0, 0).checkers[0];
      assert.ok(c?.kind === 'DNS_CHECK');
      assert.deepEqual([c.type, c.name], ['AAAA', 'www.example.com']);
    },
    '10-udp-sh.conf': (vs) => {
      assert.deepEqual([vs[0]?.schedFlags, vs[0]?.ops], [['sh-port', 'sh-fallback'], true]);
      const c = rs(vs, 0, 0).checkers[0];
      assert.ok(c?.kind === 'UDP_CHECK');
      assert.deepEqual(
        [c.payload?.length, c.replyPattern?.bytes, c.maxReplyLength],
        [11, [255, 255, 255, 255, 0x49], 1400],
      );
    },
    '11-file-check.conf': (vs) => {
      const c = rs(vs, 0, 1).checkers[0];
      assert.deepEqual(stripLocations(c), {
        kind: 'FILE_CHECK',
        trackFile: 'drain_web1',
        weight: -2,
        reverse: true,
        dynamic: false,
      });
      assert.deepEqual([vs[0]?.inhibitOnFailure, rs(vs, 0, 1).inhibitOnFailure], [true, false]);
    },
    '12-sorry-quorum.conf': (vs) => {
      assert.deepEqual(stripLocations(vs[0]?.sorryServer), {
        family: 4,
        address: '192.168.225.99',
        port: 80,
        inhibit: true,
        forwarding: { method: 'NAT' },
      });
      assert.deepEqual(
        [vs[0]?.quorumDown?.command, rs(vs, 0, 1).smtpAlert],
        ['/usr/bin/logger pool down', false],
      );
    },
    '13-ipv6-mh.conf': (vs) => {
      assert.deepEqual(
        [vs[0]?.scheduler, vs[0]?.schedFlags, vs[0]?.persistenceGranularity],
        ['mh', ['mh-port', 'mh-fallback'], '64'],
      );
      const c = rs(vs, 0, 0).checkers[0];
      assert.ok(c?.kind === 'HTTP_GET');
      assert.deepEqual([c.bindTo, c.fwmark], ['2001:db8:81::2', 42]);
    },
    '14-vrrp-and-lvs.conf': (vs) => {
      assert.deepEqual(
        [vs[0]?.scheduler, vs[0]?.forwarding, vs[0]?.persistenceTimeout],
        ['rr', { method: 'NAT' }, 360],
      );
      assert.deepEqual([vs[1]?.haSuspend, rs(vs, 1, 0).checkers[0]?.kind], [true, 'SSL_GET']);
    },
    '15-keepalived-24-features.conf': (vs) => {
      assert.deepEqual([vs[0]?.scheduler, vs[0]?.weight], ['twos', 5]);
      assert.equal(effectiveRealServer(vs[0] as VirtualServer, rs(vs, 0, 0)).weight, 5);
      const c = rs(vs, 0, 0).checkers[1];
      assert.ok(c?.kind === 'FILE_CHECK' && c.dynamic);
    },
  };
  const files = existsSync(corpusDir) ? readdirSync(corpusDir).filter((f) => f.endsWith('.conf')) : [];
  for (const name of files) {
    void test(`${name}: built without errors, facts hold`, () => {
      const { vs, messages } = load(name);
      assert.deepEqual(
        messages.filter((m) => m.includes(' error: ')),
        [],
      );
      const facts = FACTS[name];
      assert.ok(facts, `facts for ${name}`);
      facts(vs);
    });
  }
});
