import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalSchedFlags } from '../../../../src/lb/table/resolve.js';
import { rangeAddresses } from '../../../../src/lb/table/groups.js';
import type { ServiceKey } from '../../../../src/lb/table/types.js';
import { lbConfig, onlyVs } from './helpers.js';

const keys = (services: ReadonlyArray<{ key: ServiceKey }>): string[] =>
  services.map(({ key: k }) =>
    k.kind === 'fwmark' ? `${k.family} fwm ${k.fwmark}` : `${k.family} ${k.protocol} ${k.address}:${k.port}`,
  );

test('an address virtual server without protocol is UDP, named as keepalived names it', () => {
  const vs = onlyVs(`virtual_server 10.0.0.1 80 {
    real_server 10.0.1.1 8080 { }
    real_server 10.0.1.2 { }
  }`);
  assert.equal(vs.name, '[10.0.0.1]:udp:80');
  assert.equal(vs.protocol, 'UDP');
  assert.deepEqual(keys(vs.services), ['inet UDP 10.0.0.1:80']);
  // NAT: a real server without port takes the virtual server's
  assert.deepEqual(
    vs.realServers.map((rs) => [rs.name, rs.port, rs.method]),
    [
      ['[10.0.1.1]:udp:8080', 8080, 'NAT'],
      ['[10.0.1.2]:udp:80', 80, 'NAT'],
    ],
  );
  const s = vs.services[0];
  assert.equal(s?.scheduler, 'wlc');
  assert.equal(s?.persistence, undefined);
});

test('DR and TUN real servers take the virtual server port; tunnel defaults are ipip, nocsum', () => {
  const vs = onlyVs(`virtual_server 10.0.0.1 443 {
    protocol TCP
    lvs_method DR
    real_server 10.0.1.1 8443 { }
    real_server 10.0.1.2 443 { lvs_method TUN }
    real_server 10.0.1.3 443 { lvs_method TUN type gue port 6080 csum }
    real_server 10.0.1.4 { lvs_method NAT }
  }`);
  assert.deepEqual(
    vs.realServers.map((rs) => [rs.name, rs.method, rs.tunnel]),
    [
      ['[10.0.1.1]:tcp:443', 'DR', undefined],
      ['[10.0.1.2]:tcp:443', 'TUN', { type: 'ipip', checksum: 'nocsum' }],
      ['[10.0.1.3]:tcp:443', 'TUN', { type: 'gue', port: 6080, checksum: 'csum' }],
      ['[10.0.1.4]:tcp:443', 'NAT', undefined],
    ],
  );
});

test('fwmark: no protocol ("none"), DR ports cleared, NAT ports kept, family from the real servers', () => {
  const vs = onlyVs(`virtual_server fwmark 7 {
    protocol TCP
    lvs_method DR
    real_server 2001:db8::10 80 { }
    real_server 2001:db8::11 8080 { lvs_method NAT }
  }`);
  assert.equal(vs.name, 'FWM 7');
  assert.equal(vs.protocol, undefined);
  assert.equal(vs.family, 'inet6');
  assert.deepEqual(keys(vs.services), ['inet6 fwm 7']);
  assert.deepEqual(
    vs.realServers.map((rs) => [rs.name, rs.port]),
    [
      ['[2001:db8::10]:none:0', 0],
      ['[2001:db8::11]:none:8080', 8080],
    ],
  );
});

test('fwmark with only tunnelled servers of mixed families defaults to IPv4; ip_family wins', () => {
  const mixed = onlyVs(`virtual_server fwmark 1 {
    real_server 2001:db8::1 { lvs_method TUN }
    real_server 10.0.0.1 { lvs_method TUN }
  }`);
  assert.equal(mixed.family, 'inet');
  const six = onlyVs(`virtual_server fwmark 1 {
    lvs_method TUN
    real_server 2001:db8::1 { }
  }`);
  assert.equal(six.family, 'inet6');
  const declared = onlyVs(`virtual_server fwmark 1 {
    ip_family inet6
    real_server 10.0.0.1 { lvs_method TUN }
  }`);
  assert.deepEqual(keys(declared.services), ['inet6 fwm 1']);
});

test('persistence: 360 s by default, implied by a granularity or a port-less service; engine only when persistent', () => {
  const bare = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol TCP
    persistence_timeout
    persistence_engine sip
    real_server 10.0.1.1 80 { }
  }`);
  assert.deepEqual(bare.services[0]?.persistence, { timeoutS: 360, granularity: '255.255.255.255' });
  assert.equal(bare.services[0]?.persistenceEngine, 'sip');

  const gran = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol TCP
    persistence_granularity 255.255.255.0
    real_server 10.0.1.1 80 { }
  }`);
  assert.deepEqual(gran.services[0]?.persistence, { timeoutS: 360, granularity: '255.255.255.0' });

  const portless = onlyVs(`virtual_server 10.0.0.1 {
    protocol TCP
    real_server 10.0.1.1 80 { }
  }`);
  assert.deepEqual(portless.services[0]?.persistence, { timeoutS: 360, granularity: '255.255.255.255' });
  assert.equal(portless.name, '[10.0.0.1]:tcp:0');

  const v6 = onlyVs(`virtual_server 2001:db8::1 80 {
    protocol TCP
    persistence_timeout 50
    persistence_granularity 64
    real_server 2001:db8::10 80 { }
  }`);
  assert.deepEqual(v6.services[0]?.persistence, { timeoutS: 50, granularity: '64' });
  const v6default = onlyVs(`virtual_server 2001:db8::1 80 {
    protocol TCP
    persistence_timeout 50
    real_server 2001:db8::10 80 { }
  }`);
  assert.deepEqual(v6default.services[0]?.persistence, { timeoutS: 50, granularity: '128' });

  const engineOnly = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol UDP
    persistence_engine sip
    real_server 10.0.1.1 80 { }
  }`);
  assert.equal(engineOnly.services[0]?.persistence, undefined);
  assert.equal(engineOnly.services[0]?.persistenceEngine, undefined);
});

test('scheduler flags are kernel bits in the scheduler own words; ops only survives on UDP or fwmark', () => {
  assert.deepEqual(canonicalSchedFlags('sh', ['flag-1', 'sh-port', 'sh-fallback']), [
    'sh-fallback',
    'sh-port',
  ]);
  assert.deepEqual(canonicalSchedFlags('mh', ['flag-2', 'flag-3']), ['mh-port', 'flag-3']);
  assert.deepEqual(canonicalSchedFlags('rr', ['flag-3', 'flag-1']), ['flag-1', 'flag-3']);
  const sh = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol TCP
    lvs_sched sh
    sh-port
    ops
    real_server 10.0.1.1 80 { }
  }`);
  assert.deepEqual(sh.services[0]?.schedFlags, ['sh-port']);
  assert.equal(sh.services[0]?.onePacket, false);
  const udp = onlyVs(`virtual_server 10.0.0.1 53 {
    protocol UDP
    ops
    real_server 10.0.1.1 53 { }
  }`);
  assert.equal(udp.services[0]?.onePacket, true);
  const fwm = onlyVs(`virtual_server fwmark 3 {
    protocol TCP
    ops
    real_server 10.0.1.1 53 { }
  }`);
  assert.equal(fwm.services[0]?.onePacket, true);
});

test('quorum is bounded by the total weight, hysteresis below the quorum', () => {
  const vs = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol TCP
    quorum 10
    hysteresis 4
    real_server 10.0.1.1 80 { weight 3 }
    real_server 10.0.1.2 80 { weight 2 }
  }`);
  assert.equal(vs.quorum, 5);
  assert.equal(vs.hysteresis, 4);
  const h = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol TCP
    quorum 2
    hysteresis 2
    real_server 10.0.1.1 80 { }
    real_server 10.0.1.2 80 { }
  }`);
  assert.equal(h.hysteresis, 1);
  // Real servers all at weight 0: quorum 0, and keepalived's unsigned "quorum - 1"
  const zero = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol TCP
    real_server 10.0.1.1 80 { weight 0 }
  }`);
  assert.equal(zero.quorum, 0);
  assert.equal(zero.hysteresis, 0xffffffff);
  // the virtual server's default weight counts
  const w = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol TCP
    quorum 7
    weight 3
    real_server 10.0.1.1 80 { }
    real_server 10.0.1.2 80 { }
  }`);
  assert.equal(w.quorum, 6);
  assert.deepEqual(
    w.realServers.map((rs) => rs.weight),
    [3, 3],
  );
});

test('groups: ranges expand to one service per address, then fwmarks; members numbered from 0', () => {
  const config = lbConfig(`
  virtual_server_group G {
    10.0.0.1-3 80
    10.0.1.254-10.0.2.1 443
    192.168.0.8/30 25
    fwmark 7
  }
  virtual_server group G {
    protocol TCP
    lvs_method DR
    real_server 10.9.0.1 { }
    real_server 10.9.0.2 8080 { lvs_method NAT }
  }
  virtual_server group G {
    protocol UDP
    real_server 10.9.0.1 53 { }
  }`);
  const [tcp, udp] = config.virtualServers;
  assert.equal(tcp?.name, '[G]:0');
  assert.equal(udp?.name, '[G]:1');
  assert.deepEqual(keys(tcp?.services ?? []), [
    'inet TCP 10.0.0.1:80',
    'inet TCP 10.0.0.2:80',
    'inet TCP 10.0.0.3:80',
    'inet TCP 10.0.1.254:443',
    'inet TCP 10.0.1.255:443',
    'inet TCP 10.0.2.0:443',
    'inet TCP 10.0.2.1:443',
    'inet TCP 192.168.0.8:25',
    'inet TCP 192.168.0.9:25',
    'inet TCP 192.168.0.10:25',
    'inet TCP 192.168.0.11:25',
    'inet fwm 7',
  ]);
  assert.equal(udp?.services.length, 12);
  // In a group keepalived leaves real-server ports as written (DR takes each entry's port later).
  assert.deepEqual(
    tcp?.realServers.map((rs) => rs.name),
    ['[10.9.0.1]:tcp:0', '[10.9.0.2]:tcp:8080'],
  );
});

test('IPv6 ranges walk the last 16-bit group only, as keepalived does', () => {
  assert.deepEqual(rangeAddresses({ family: 6, first: '2001:db8::fe', last: '2001:db8::101' }), [
    '2001:db8::fe',
    '2001:db8::ff',
    '2001:db8::100',
    '2001:db8::101',
  ]);
  // An end whose last group is below the start's wraps past 0xffff, keeping the start's upper bits.
  assert.deepEqual(rangeAddresses({ family: 6, first: '2001:db8::fffe', last: '2001:db8::1:1' }), [
    '2001:db8::fffe',
    '2001:db8::ffff',
    '2001:db8::',
    '2001:db8::1',
  ]);
  assert.deepEqual(rangeAddresses({ family: 4, first: '10.0.0.255', last: '10.0.1.1' }), [
    '10.0.0.255',
    '10.0.1.0',
    '10.0.1.1',
  ]);
});

test('group fwmarks: their own family, else the virtual server family; a group with a port-less range is persistent', () => {
  const config = lbConfig(`
  virtual_server_group V6 {
    2001:db8::1-2 80
    fwmark 9
  }
  virtual_server_group M {
    fwmark 1 inet
    fwmark 2 inet6
  }
  virtual_server_group P {
    10.0.0.1
  }
  virtual_server group V6 {
    protocol TCP
    real_server 2001:db8::10 80 { }
  }
  virtual_server group M {
    lvs_method TUN
    real_server 10.0.0.5 { }
  }
  virtual_server group P {
    protocol TCP
    real_server 10.0.0.6 80 { }
  }`);
  const [v6, m, p] = config.virtualServers;
  assert.deepEqual(keys(v6?.services ?? []), [
    'inet6 TCP 2001:db8::1:80',
    'inet6 TCP 2001:db8::2:80',
    'inet6 fwm 9',
  ]);
  assert.deepEqual(keys(m?.services ?? []), ['inet fwm 1', 'inet6 fwm 2']);
  assert.equal(m?.family, undefined);
  assert.equal(m?.protocol, undefined);
  assert.deepEqual(p?.services[0]?.persistence, { timeoutS: 360, granularity: '255.255.255.255' });
});

test('virtual servers keepalived ignores: unknown group, family clash with the group, no real servers', () => {
  const config = lbConfig(`
  virtual_server_group V4 {
    10.0.0.1 80
  }
  virtual_server group NOPE {
    real_server 10.0.0.1 80 { }
  }
  virtual_server group V4 {
    protocol TCP
    real_server 2001:db8::1 80 { }
  }
  virtual_server 10.0.0.2 80 {
    protocol TCP
  }
  virtual_server group V4 {
    protocol TCP
    real_server 10.0.0.9 80 { }
  }`);
  assert.deepEqual(config.ignored, [
    'Virtual server group NOPE specified but not configured - ignoring virtual server [NOPE]:0',
    "V4: address family doesn't match virtual server [V4]:0 - ignoring",
    'Virtual server [10.0.0.2]:tcp:80 has no real servers - ignoring',
  ]);
  // the ignored member is not numbered
  assert.deepEqual(
    config.virtualServers.map((vs) => [vs.name, vs.modelIndex]),
    [['[V4]:0', 3]],
  );
});

test('a virtual server written twice is one service: the real servers of both, the first one settings', () => {
  const config = lbConfig(`
  virtual_server 10.0.0.1 80 {
    protocol TCP
    lvs_sched rr
    real_server 10.0.1.1 80 { }
  }
  virtual_server 10.0.0.1 80 {
    protocol TCP
    lvs_sched wlc
    real_server 10.0.1.1 80 { }
    real_server 10.0.1.2 80 { }
  }
  virtual_server 10.0.0.1 80 {
    protocol UDP
    real_server 10.0.1.3 80 { }
  }`);
  assert.deepEqual(
    config.virtualServers.map((vs) => [
      vs.name,
      vs.modelIndex,
      vs.services[0]?.scheduler,
      vs.realServers.map((r) => r.name),
    ]),
    [
      ['[10.0.0.1]:tcp:80', 0, 'rr', ['[10.0.1.1]:tcp:80', '[10.0.1.2]:tcp:80']],
      ['[10.0.0.1]:udp:80', 2, 'wlc', ['[10.0.1.3]:udp:80']],
    ],
  );
});

test('sorry server: port and method as keepalived fixes them; a twin of a real server shares its inhibit', () => {
  const nat = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol TCP
    sorry_server 10.0.2.1
    real_server 10.0.1.1 80 { }
  }`);
  // a NAT sorry server without port keeps 0 (unlike a real server)
  assert.deepEqual(
    [nat.sorryServer?.name, nat.sorryServer?.port, nat.sorryServer?.method, nat.sorryServer?.inhibit],
    ['[10.0.2.1]:tcp:0', 0, 'NAT', false],
  );
  const dr = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol TCP
    lvs_method DR
    sorry_server 10.0.2.1 8080
    sorry_server_inhibit
    real_server 10.0.1.1 80 { }
  }`);
  assert.deepEqual([dr.sorryServer?.port, dr.sorryServer?.method, dr.sorryServer?.inhibit], [80, 'DR', true]);
  const tun = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol TCP
    sorry_server 10.0.2.1 80
    sorry_server_lvs_method TUN type gre csum
    real_server 10.0.1.1 80 { }
  }`);
  assert.deepEqual(tun.sorryServer?.tunnel, { type: 'gre', checksum: 'csum' });
  const twin = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol TCP
    sorry_server 10.0.1.2 80
    real_server 10.0.1.1 80 { }
    real_server 10.0.1.2 80 { inhibit_on_failure }
  }`);
  assert.deepEqual([twin.sorryServer?.duplicatesRealServer, twin.sorryServer?.inhibit], [true, true]);
});

test('ha_suspend: the virtual address; cleared on fwmarks; never matched on a group', () => {
  const config = lbConfig(`
  virtual_server_group G {
    10.0.0.5 80
  }
  virtual_server 10.0.0.1 80 {
    protocol TCP
    ha_suspend
    real_server 10.0.1.1 80 { TCP_CHECK { } }
  }
  virtual_server fwmark 4 {
    ha_suspend
    real_server 10.0.1.1 80 { }
  }
  virtual_server group G {
    protocol TCP
    ha_suspend
    real_server 10.0.1.1 80 { }
  }`);
  const [a, f, g] = config.virtualServers;
  assert.deepEqual([a?.haSuspend, a?.haSuspendAddress], [true, '10.0.0.1']);
  assert.deepEqual([f?.haSuspend, f?.haSuspendAddress], [false, undefined]);
  assert.deepEqual([g?.haSuspend, g?.haSuspendAddress], [true, undefined]);
});

test('real servers: ids are the checker scheduler ids, alpha starts down, inhibit and thresholds inherited', () => {
  const vs = onlyVs(`virtual_server 10.0.0.1 80 {
    protocol TCP
    alpha
    inhibit_on_failure
    real_server 10.0.1.1 80 {
      uthreshold 100
      lthreshold 10
      TCP_CHECK { }
      FILE_CHECK { track_file f }
    }
    real_server 10.0.1.2 80 {
      inhibit_on_failure false
      TCP_CHECK { alpha false }
    }
    real_server 10.0.1.3 80 { }
  }
  track_file f { file /tmp/f }`);
  assert.deepEqual(
    vs.realServers.map((rs) => [rs.id, rs.startsDown, rs.inhibit, rs.upperThreshold, rs.lowerThreshold]),
    [
      ['10.0.0.1:80/TCP -> 10.0.1.1:80', true, true, 100, 10],
      ['10.0.0.1:80/TCP -> 10.0.1.2:80', false, false, 0, 0],
      ['10.0.0.1:80/TCP -> 10.0.1.3:80', false, true, 0, 0],
    ],
  );
  assert.deepEqual(vs.realServers[0]?.checkers, [
    { kind: 'TCP_CHECK', launched: true },
    { kind: 'FILE_CHECK', launched: false },
  ]);
});

test('global options: rs_init_notifies, lvs_flush, lvs_flush_on_stop, lvs_timeouts', () => {
  const none = lbConfig('virtual_server 10.0.0.1 80 { real_server 10.0.1.1 80 { } }');
  assert.deepEqual(
    [none.rsInitNotifies, none.flushOnStart, none.flushOnStop, none.timeouts],
    [false, false, 'none', undefined],
  );
  const full = lbConfig(
    'global_defs {\n rs_init_notifies\n lvs_flush\n lvs_flush_on_stop\n lvs_timeouts tcp 900 udp 60\n}\n',
  );
  assert.deepEqual(
    [full.rsInitNotifies, full.flushOnStart, full.flushOnStop, full.timeouts],
    [true, true, 'full', { tcp: 900, udp: 60 }],
  );
  const vs = lbConfig('global_defs {\n lvs_flush_on_stop VS\n}\n');
  assert.equal(vs.flushOnStop, 'vs');
});
