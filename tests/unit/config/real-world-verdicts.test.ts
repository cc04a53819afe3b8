// -t verdicts that real-world configs showed to differ from keepalived 2.2.7's (bench/config-verdicts.ts
// --dir): each case is a minimal config written for the test, with keepalived's verdict as the oracle.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configTestExitCode, diagnosticsUntilParserStop } from '../../../src/config/config-test-exit.js';
import { loadModel } from '../../../src/config/index.js';
import type { Diagnostic, HostFacts } from '../../../src/config/types.js';
import { MemoryHost } from './memory-host.js';

const FILE = '/etc/keepalived/keepalived.conf';

const HOST: HostFacts = {
  interfaces: new Set(['lo', 'eth0']),
  scriptFound: (program) => program === '/bin/true' || program === 'true',
  userExists: (name) => name === 'root' || name === 'nobody',
  groupExists: (name) => name === 'root' || name === 'nogroup',
  hostResolves: (name) => name === 'localhost' || name === 'mail.example.com',
};

function configTest(text: string): { status: number; lines: string[]; diagnostics: Diagnostic[] } {
  const loaded = loadModel(FILE, new MemoryHost({ [FILE]: text }), { hostFacts: HOST });
  const diagnostics = diagnosticsUntilParserStop(loaded.diagnostics);
  const counted = diagnostics.filter((d) => d.severity !== 'note');
  return {
    status: configTestExitCode(diagnostics),
    lines: [...new Set(counted.map((d) => `${d.line}: ${d.message}`))],
    diagnostics,
  };
}

const INSTANCE = `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.10/24
  }
  track_script {
    chk
  }
}
`;

void describe('real-world -t verdicts', () => {
  it('a virtual_server or virtual_server_group written twice passes (keepalived 2.2.7 says nothing)', () => {
    const vs = (rs: string) =>
      `virtual_server 10.2.2.2 80 {\n  protocol TCP\n  lvs_sched rr\n  lvs_method NAT\n  real_server ${rs} 80 {\n    weight 1\n  }\n}\n`;
    const group = (a: string) => `virtual_server_group G {\n  ${a} 80\n}\n`;
    const r = configTest(vs('10.2.2.10') + vs('10.2.2.11') + group('10.3.3.3') + group('10.3.3.4'));
    assert.equal(r.status, 0, r.lines.join('\n'));
    assert.deepEqual(r.lines, []);
  });

  it('a second vrrp_instance of a name is skipped whole: nothing inside it is reported', () => {
    const r = configTest(`${INSTANCE.replace('  track_script {\n    chk\n  }\n', '')}vrrp_instance VI_1 {
  interface eth0
  mcast_src_ip=192.0.2.1
  virtual_router_id 52
}
`);
    assert.equal(r.status, 5);
    assert.deepEqual(
      r.lines.map((l) => l.replace(/ at .*/, '')),
      ['9: VI_1 is already defined'],
    );
  });

  it('global_defs keywords without their argument: some stop the parser (exit 2), smtp_helo_name is silent', () => {
    const r = configTest(
      'global_defs {\n  router_id\n  smtp_helo_name\n  vrrp_garp_interval\n  umask x\n}\n',
    );
    assert.equal(r.status, 2);
    assert.deepEqual(r.lines, ['2: missing argument', '4: missing argument']);
    assert.equal(configTest('global_defs {\n  smtp_helo_name\n}\n').status, 0);
  });

  it("a virtual_server keyword without its argument stops keepalived's checker: exit 2, VRRP findings silent", () => {
    const r = configTest(`global_defs {
  smtp_connect_timeout y
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 300
  virtual_ipaddress {
    192.0.2.10/24
  }
}
virtual_server 10.2.2.2 80 {
  protocol TCP
  lvs_sched
  delay_loop x
  real_server 10.2.2.10 80 {
    weight 1
  }
}
`);
    assert.equal(r.status, 2);
    assert.deepEqual(
      r.lines.map((l) => l.split(':')[0]),
      ['2', '14'],
      r.lines.join('\n'),
    );
  });

  it('a vrrp_script whose program is missing is disabled with a counted report', () => {
    const missing = configTest(`vrrp_script chk {\n  script "/etc/keepalived/none.sh"\n}\n${INSTANCE}`);
    assert.equal(missing.status, 5);
    assert.ok(
      missing.lines.includes('1: Disabling track script chk since not found/accessible'),
      `${missing.lines}`,
    );
    const present = configTest(
      `global_defs {\n  enable_script_security\n  script_user root\n}\nvrrp_script chk {\n  script "/bin/true"\n}\n${INSTANCE}`,
    );
    assert.deepEqual(present.lines, []);
    assert.equal(present.status, 0);
  });

  it('a VRRP keyword without its argument stops keepalived at that line: exit 2, nothing after it', () => {
    const r = configTest(`vrrp_instance VI_1 {
  interface eth9
  virtual_router_id 51
  priority
  bogus_keyword
  virtual_ipaddress {
    192.0.2.10/24
  }
}
virtual_server 192.0.2.10 80 {
  bogus_vs_keyword
}
`);
    assert.equal(r.status, 2);
    // The missing interface is checked as keepalived reads line 2; its checker process reads 10-11 on
    // its own. Line 5's unknown keyword comes after the stop.
    const lines = [...new Set(r.lines.map((l) => Number(l.split(':')[0])))].sort((a, b) => a - b);
    assert.deepEqual(lines, [2, 4, 10, 11], r.lines.join('\n'));
  });
  it('a vrrp_script without a name stops keepalived too; a global keyword without one does not', () => {
    assert.equal(configTest('vrrp_script {\n  script "/bin/true"\n}\n').status, 2);
    assert.equal(configTest('global_defs {\n  router_id\n}\n').status, 5);
  });

  it('track_script naming a vrrp_script defined further down does not find it', () => {
    const r = configTest(`${INSTANCE}vrrp_script chk {\n  script "/bin/true"\n}\n`);
    assert.ok(
      r.lines.some((l) => l.startsWith('9: ')),
      r.lines.join('\n'),
    );
    const before = configTest(`vrrp_script chk {\n  script "/bin/true"\n}\n${INSTANCE}`);
    assert.ok(!before.lines.some((l) => l.startsWith('12: ')), before.lines.join('\n'));
  });

  it("scripts' users: a missing script_user, or keepalived_script with script security, removes vrrp_scripts", () => {
    const script = 'vrrp_script chk {\n  script "/bin/true"\n}\n';
    const badGlobal = configTest(`global_defs {\n  script_user nosuchuser\n}\n${script}${INSTANCE}`);
    assert.deepEqual(
      badGlobal.lines.map((l) => l.split(':')[0]),
      ['2', '6', '15'],
      badGlobal.lines.join('\n'),
    );
    // With script security and no script_user keepalived wants the user keepalived_script.
    const secure = configTest(`global_defs {\n  enable_script_security\n}\n${script}${INSTANCE}`);
    assert.ok(
      secure.lines.includes('6: Unable to set default user keepalived_script for script'),
      `${secure.lines}`,
    );
    assert.ok(secure.lines.includes('6: Unable to set default user for vrrp script chk - removing'));
    const named = configTest(
      `global_defs {\n  enable_script_security\n  script_user nobody nogroup\n}\n${script}${INSTANCE}`,
    );
    assert.deepEqual(named.lines, []);
    const ownUser = configTest(`vrrp_script chk {\n  script "/bin/true"\n  user ghost\n}\n${INSTANCE}`);
    assert.equal(ownUser.lines[0]?.split(':')[0], '3');
  });

  it('the default script user failing: MISC_CHECKs removed, FIFOs and notify scripts ignored, the one error where keepalived reads first', () => {
    const loaded = (text: string) => loadModel(FILE, new MemoryHost({ [FILE]: text }), { hostFacts: HOST });
    const vs = `virtual_server 192.0.2.10 80 {
  protocol TCP
  real_server 192.0.2.20 80 {
    notify_up "/bin/true up"
    MISC_CHECK {
      misc_path /bin/true
    }
    MISC_CHECK {
      misc_path /bin/false
      user nobody
    }
  }
}
`;
    const instance = INSTANCE.replace(
      '  priority 100\n',
      '  priority 100\n  notify_master /bin/true\n  notify_backup /bin/true root\n',
    );
    // the checker reads before the VRRP process: the error is at the virtual server's first script
    const checkerFirst = `global_defs {\n  enable_script_security\n}\nvrrp_script chk {\n  script /bin/true\n  user root\n}\n${instance}${vs}`;
    const m = loaded(checkerFirst);
    const r = configTest(checkerFirst);
    const vsLine = 8 + instance.split('\n').length - 1; // the virtual_server line
    assert.deepEqual(
      r.lines.filter((l) => l.includes('default user')),
      [
        `${vsLine + 6}: Unable to set default user for misc script '/bin/true' - removing`,
        `${vsLine + 3}: Unable to set default user keepalived_script for script`,
      ],
      r.lines.join('\n'),
    );
    const rs = m.model.virtualServers[0]?.realServers[0];
    assert.deepEqual(
      rs?.checkers.map((c) => (c.kind === 'MISC_CHECK' ? c.path?.command : c.kind)),
      ['/bin/false'],
    );
    assert.equal(rs?.notifyUp, undefined);
    const notify = m.model.instances[0]?.notify;
    assert.equal(notify?.master, undefined);
    assert.deepEqual(notify?.backup, { command: '/bin/true', user: 'root' });
    // enable_script_security below the instances counts all the same; a FIFO without a user in
    // global_defs is met first (the parent reads global_defs before the others)
    const rootChk = 'vrrp_script chk {\n  script /bin/true\n  user root\n}\n';
    const later = configTest(`${rootChk}${instance}global_defs {\n  enable_script_security\n}\n`);
    assert.deepEqual(later.lines, ['9: Unable to set default user keepalived_script for script']);
    const fifoText = `global_defs {\n  enable_script_security\n  notify_fifo /run/f\n  startup_script /bin/true nobody\n  shutdown_script /bin/true\n}\n${rootChk}${instance}`;
    const fifo = configTest(fifoText);
    assert.deepEqual(fifo.lines, [
      '5: Invalid shutdown script',
      '3: Unable to set default user keepalived_script for script',
    ]);
    const g = loaded(fifoText).model.global;
    assert.equal(g.notifyFifo, undefined);
    assert.deepEqual(g.startupScript, { command: '/bin/true', user: 'nobody' });
    assert.equal(g.shutdownScript, undefined);
    // a keepalived_script user: nothing dropped, nothing said
    const withUser = loadModel(FILE, new MemoryHost({ [FILE]: checkerFirst }), {
      hostFacts: { ...HOST, userExists: (n) => n === 'root' || n === 'nobody' || n === 'keepalived_script' },
    });
    assert.equal(withUser.diagnostics.filter((d) => d.message.includes('default user')).length, 0);
    assert.equal(withUser.model.virtualServers[0]?.realServers[0]?.checkers.length, 2);
  });

  it('an empty notification_email block is reported at its closing brace', () => {
    const r = configTest('global_defs {\n  notification_email {\n  }\n}\n');
    assert.equal(r.status, 5);
    assert.deepEqual(r.lines, ['3: Warning - empty notification_email block']);
    assert.equal(configTest('global_defs {\n  notification_email {\n    a@example.com\n  }\n}\n').status, 0);
  });

  it("an unknown top-level block's lines are read as top-level keywords, its '}' included", () => {
    const r = configTest(
      'vrrp_scritp chk {\n  script "/bin/true"\n  interval 2\n}\nglobal_defs {\n  router_id r1\n}\n',
    );
    assert.equal(r.status, 5);
    assert.deepEqual(
      r.lines.map((l) => l.split(':')[0]),
      ['1', '1', '2', '3', '4'],
      r.lines.join('\n'),
    );
  });

  it('an smtp_server name that does not resolve is an error, as keepalived resolves it at once', () => {
    const bad = configTest('global_defs {\n  smtp_server no-such-host.invalid\n}\n');
    assert.equal(bad.status, 5);
    assert.deepEqual(bad.lines, ['2: Invalid smtp server no-such-host.invalid 25']);
    for (const ok of ['mail.example.com 587', 'localhost', '192.0.2.25 25', '2001:db8::25'])
      assert.equal(configTest(`global_defs {\n  smtp_server ${ok}\n}\n`).status, 0, ok);
  });

  it("an unknown block inside a known one: its '{' is ignored and its '}' ends the enclosing block", () => {
    const text = [
      'vrrp_instance VI_1 {', // 1
      '  interface eth0',
      '  virtual_router_id 51',
      '  garbage_block {', // 4: unknown, its '{' ignored
      '    priority 150', // 5: read as a keyword of vrrp_instance
      '  }', // 6: ends vrrp_instance
      '  virtual_ipaddress {', // 7: now at the top level: unknown
      '    192.0.2.10/24', // 8: unknown top-level keyword
      '  }', // 9: unknown '}'
      '}', // 10: unknown '}'
      'global_defs {',
      '  router_id r1',
      '}',
      '',
    ].join('\n');
    const r = configTest(text);
    assert.equal(r.status, 5);
    const flagged = [...new Set(r.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.line))];
    for (const line of [4, 7, 8, 9, 10])
      assert.ok(flagged.includes(line), `line ${line}: ${r.lines.join(' | ')}`);
    const loaded = loadModel(FILE, new MemoryHost({ [FILE]: text }), { hostFacts: HOST });
    const vi = loaded.model.instances.find((i) => i.name === 'VI_1');
    assert.equal(vi?.priority, 150);
    assert.deepEqual(vi?.virtualIpaddresses, []);
    assert.equal(loaded.model.global.routerId, 'r1');
  });

  it('words after the port of a virtual_server or real_server are ignored, as keepalived does', () => {
    const vs = (head: string, rs: string): string =>
      `virtual_server ${head} {\n  delay_loop 5\n  lvs_sched rr\n  lvs_method NAT\n  protocol TCP\n` +
      `  real_server ${rs} {\n    weight 1\n  }\n}\n`;
    const extra = configTest(vs('192.0.2.1 80 dev eth0', '192.0.2.2 80 spare'));
    assert.deepEqual(extra.lines, []);
    assert.equal(extra.status, 0);
    const group = configTest(
      `virtual_server_group G {\n  192.0.2.1 80 spare\n}\n${vs('group G', '192.0.2.2 80')}`,
    );
    assert.deepEqual(group.lines, []);
    assert.equal(group.status, 0);
    // What follows is still read: a quorum of 0 is reported as it is without the extra words.
    const quorum = configTest(
      vs('192.0.2.1 80 dev eth0', '192.0.2.2 80').replace('delay_loop 5', 'quorum 0'),
    );
    assert.deepEqual(
      quorum.lines.map((l) => l.split(':')[0]),
      ['2'],
      quorum.lines.join('\n'),
    );
  });

  it('a second notify_master in an instance or sync group is reported and ignored: the first stays', () => {
    const r = configTest(`vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  notify_master "/bin/true first"
  notify_master "/bin/true second"
  virtual_ipaddress {
    192.0.2.10/24
  }
}
vrrp_sync_group G1 {
  group {
    VI_1
  }
  notify_backup "/bin/true one"
  notify_backup "/bin/true two"
}
`);
    assert.ok(
      r.lines.includes('6: (VI_1) notify_master script already specified - ignoring /bin/true second'),
      r.lines.join('\n'),
    );
    assert.ok(
      r.lines.includes('16: vrrp group G1: notify_backup script already specified - ignoring /bin/true two'),
      r.lines.join('\n'),
    );
    // 6, not 5: the scripts run without script security, which keepalived 2.2.7 also reports.
    assert.equal(r.status, 6);
  });

  it('the first of two notify_master lines is the one the model keeps', () => {
    const loaded = loadModel(
      FILE,
      new MemoryHost({
        [FILE]: `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  notify_master "/bin/true first"\n  notify_master "/bin/true second"\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n`,
      }),
      { hostFacts: HOST },
    );
    const inst = loaded.model.instances[0];
    assert.equal(inst?.notify.master?.command, '/bin/true first');
  });

  it('a notify script whose user or group does not exist is dropped: no SECURITY VIOLATION for it', () => {
    const withUser = (words: string): string =>
      `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n` +
      `  notify_master ${words}\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n`;
    for (const words of ['/bin/true ghost', '/bin/true root nosuchgroup']) {
      const r = configTest(withUser(words));
      assert.deepEqual(r.lines, [], words);
      assert.equal(r.status, 0, words);
      assert.ok(
        r.diagnostics.some((d) => d.severity === 'note' && d.message.includes('Invalid user/group')),
        words,
      );
    }
    // A user that exists keeps the script, which then runs as root without script security.
    assert.equal(configTest(withUser('/bin/true root root')).status, 6);
  });

  it("a '/mask' or '-range' after a unicast peer, source or server address is dropped, as keepalived does", () => {
    const r = configTest(`vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  unicast_src_ip 192.0.2.1/24
  unicast_peer {
    192.0.2.24/24
    192.0.2.25-30
  }
  virtual_ipaddress {
    192.0.2.10/24
  }
}
virtual_server 192.0.2.10/24 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 192.0.2.30-31 80 {
    weight 1
  }
}
`);
    assert.deepEqual(r.lines, []);
    assert.equal(r.status, 0);
    const loaded = loadModel(
      FILE,
      new MemoryHost({
        [FILE]: INSTANCE.replace(
          '  virtual_ipaddress',
          '  unicast_peer {\n    192.0.2.24/24\n  }\n  virtual_ipaddress',
        ),
      }),
      { hostFacts: HOST },
    );
    assert.deepEqual(
      loaded.model.instances[0]?.unicastPeers.map((p) => p.address),
      ['192.0.2.24'],
    );
  });

  it('a second vrrp_script, track_file or vrrp_track_process of one name is a note (the first is used)', () => {
    const r = configTest(`global_defs {
  enable_script_security
  script_user root
}
vrrp_script chk {
  script "/bin/true"
}
vrrp_script chk {
  script "/bin/true again"
}
track_file tf {
  file /tmp/a
}
track_file tf {
  file /tmp/b
}
vrrp_track_process tp {
  process sshd
}
vrrp_track_process tp {
  process cron
}
${INSTANCE}`);
    assert.deepEqual(r.lines, []);
    assert.equal(r.status, 0);
    assert.equal(r.diagnostics.filter((d) => d.message.includes('already defined')).length, 3);
  });

  it('words after a one-word keyword are ignored with a note, except where keepalived counts them', () => {
    const r = configTest(
      'global_defs {\n  router_id r1 spare\n  process_name p1 spare\n}\n' +
        INSTANCE.replace('interface eth0', 'interface eth0 spare').replace(
          / {2}track_script \{\n {4}chk\n {2}\}\n/,
          '',
        ),
    );
    assert.deepEqual(r.lines, []);
    assert.equal(r.status, 0);
    assert.equal(r.diagnostics.filter((d) => d.message === 'extra arguments ignored').length, 3);
    // snmp_socket's handler counts its words: keepalived reports the line.
    const snmp = configTest('global_defs {\n  snmp_socket udp:localhost:705 spare\n}\n');
    assert.deepEqual(
      snmp.lines.map((l) => l.split(':')[0]),
      ['2'],
    );
  });

  it('a virtual server without lvs_sched or lvs_method is reported (keepalived sets wlc / NAT and counts it)', () => {
    const vs = (lines: string): string =>
      `virtual_server 192.0.2.1 80 {\n${lines}  protocol TCP\n  real_server 192.0.2.2 80 {\n    weight 1\n  }\n}\n`;
    const noSched = configTest(vs('  lvs_method NAT\n'));
    assert.equal(noSched.status, 5);
    assert.deepEqual(noSched.lines, [
      "1: Virtual server 192.0.2.1:80: no scheduler set, setting default 'wlc'",
    ]);
    const noMethod = configTest(vs('  lvs_sched rr\n'));
    assert.equal(noMethod.status, 5);
    assert.deepEqual(noMethod.lines, [
      '1: Virtual server 192.0.2.1:80: no forwarding method set, setting default NAT',
    ]);
    // A method on every real server is enough.
    assert.equal(
      configTest(vs('  lvs_sched rr\n').replace('weight 1', 'weight 1\n    lvs_method DR')).status,
      0,
    );
  });
});
