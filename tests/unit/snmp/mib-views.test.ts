// The MIB views against keepalived 2.2.7's agent (core/snmp.c, vrrp/vrrp_snmp.c, check/check_snmp.c): which
// objects exist for which settings, their indexes and their value conventions. The kernel test
// (tests/netns/snmp.test.ts) compares whole walks with keepalived's; these pin the cases that walk does
// not reach (IPv6, VMACs, next hops, rule actions, the checker, the served-MIB rules).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { globalView } from '../../../src/snmp/mib/keepalived-global.js';
import { vrrpView } from '../../../src/snmp/mib/keepalived-vrrp.js';
import { checkView } from '../../../src/snmp/mib/keepalived-check.js';
import { vrrpRfc2787View, vrrpRfc6527View } from '../../../src/snmp/mib/vrrp-rfc.js';
import {
  buildView,
  registrations,
  servedMibs,
  snmpSocket,
  snmpSwitches,
} from '../../../src/snmp/mib/serve.js';
import { defaultGlobalDefs } from '../../../src/config/model/global/global.js';
import { commandText } from '../../../src/snmp/mib/builder.js';
import { RULE_ACTION } from '../../../src/snmp/snapshot.js';
import {
  ETH0,
  globalInfo,
  instance,
  realServer,
  show,
  valuesOf,
  vip,
  virtualServer,
  vrrpInfo,
} from '../../helpers/snmp-snapshot.js';

const K = '.1.3.6.1.4.1.9586.100.5';
const R2 = '.1.3.6.1.2.1.68';
const R3 = '.1.3.6.1.2.1.207';

describe('KEEPALIVED-MIB global', () => {
  test('without an smtp_server: AF_UNSPEC type 2, zero address and port, no sender', () => {
    const v = valuesOf(globalView(globalInfo()));
    assert.equal(show(v.get(`${K}.1.1.0`)), 'Keepalived v2.2.7 (01/16,2022)');
    assert.equal(show(v.get(`${K}.1.2.0`)), 'lab1');
    assert.equal(show(v.get(`${K}.1.3.1.0`)), 2);
    assert.equal(show(v.get(`${K}.1.3.2.0`)), '0x00000000');
    assert.equal(show(v.get(`${K}.1.3.6.0`)), 0);
    assert.equal(v.has(`${K}.1.3.4.0`), false);
    // smtp_alert* unset(3); lvsFlushOnStop none(2); linkBeat media(1); 64-bit stats true(1); namespace "".
    assert.deepEqual(
      ['3.8', '3.9', '3.10', '11', '5', '7', '8'].map((s) => show(v.get(`${K}.1.${s}.0`))),
      [3, 3, 3, 2, 1, 1, ''],
    );
  });

  test('with a server, addresses, alerts and switches', () => {
    const g = globalInfo({
      smtpServer: { family: 6, address: '2001:db8::9', port: 2525 },
      smtpConnectTimeoutS: 20,
      emailFrom: 'ka@example.com',
      emails: ['a@x', 'b@x'],
      smtpAlert: false,
      smtpAlertVrrp: true,
      lvsFlushOnStop: 'vs',
      linkbeatPolling: true,
      netNamespace: 'blue',
      dbus: true,
    });
    const v = valuesOf(globalView(g));
    assert.equal(show(v.get(`${K}.1.3.1.0`)), 2);
    assert.equal(show(v.get(`${K}.1.3.2.0`)), '0x20010db8000000000000000000000009');
    assert.equal(show(v.get(`${K}.1.3.3.0`)), 20);
    assert.equal(show(v.get(`${K}.1.3.5.1.2.2`)), 'b@x');
    assert.deepEqual(
      ['3.6', '3.8', '3.9', '3.10', '11', '5', '8', '9'].map((s) => show(v.get(`${K}.1.${s}.0`))),
      [2525, 2, 1, 3, 3, 2, 'blue', 1],
    );
  });
});

describe('KEEPALIVED-MIB vrrp', () => {
  const v2 = instance('VI_1', 51, {
    configuredState: 'MASTER',
    authType: 1,
    trackInterfaces: [{ name: 'eth1', weight: -20, reverse: false }],
    notify: { master: ['/usr/bin/echo', 'master'], generic: ['>', '/tmp/x'] },
    notifyExec: true,
    syncGroup: 'G1',
    lvsSyncInterface: 'eth9',
    trackScripts: [{ name: 'chk', weight: -10, reverse: true }],
    trackFiles: ['tf'],
    excludedVips: [vip('10.7.0.200', { prefix: 32 })],
  });
  const v3 = instance('VI_2', 52, {
    version: 3,
    family: 6,
    advertIntervalCs: 50,
    accept: false,
    state: 'STOP',
    multicastGroup: 'ff02::12',
    vips: [vip('2001:db8::100', { label: 'x' })],
  });
  const unicast = instance('VI_3', 53, { state: 'FAULT' });
  delete unicast.multicastGroup;
  const info = vrrpInfo({
    instances: [v2, v3, unicast],
    syncGroups: [
      {
        name: 'G1',
        state: 'MASTER',
        trackingWeight: false,
        smtpAlert: false,
        notifyExec: true,
        notify: { stop: ['/bin/stop'] },
        members: ['VI_1', 'VI_2'],
        trackInterfaces: [{ name: 'eth1', weight: 0, reverse: false }],
        trackScripts: [],
        trackFiles: ['tf'],
        trackBfds: [],
        trackProcesses: [],
      },
    ],
    staticAddresses: [vip('10.7.1.1')],
    scripts: [
      {
        name: 'chk',
        command: ['/usr/bin/true'],
        intervalS: 2.5,
        weight: -10,
        weightReverse: false,
        result: 'initFailed',
        rise: 2,
        fall: 3,
      },
    ],
    files: [{ name: 'tf', path: '/tmp/tf', value: 7, weight: 5, weightReverse: true }],
  });
  const v = valuesOf(vrrpView(info));
  const inst = (col: number, row: number) => show(v.get(`${K}.2.3.1.${col}.${row}`));

  test('instance table conventions', () => {
    assert.deepEqual([inst(2, 1), inst(3, 1), inst(4, 1), inst(5, 1), inst(6, 1)], ['VI_1', 51, 2, 2, 2]);
    // STOP shows unknown(4), FAULT 3.
    assert.deepEqual([inst(4, 2), inst(4, 3)], [4, 3]);
    // Advert interval: seconds for VRRPv2, centiseconds for VRRPv3.
    assert.deepEqual([inst(12, 1), inst(12, 2)], [1, 50]);
    // Accept: 0 for v2, a TruthValue for v3. Auth type only for v2.
    assert.deepEqual([inst(27, 1), inst(27, 2), inst(15, 1)], [0, 2, 1]);
    // vrrpInstanceTrackPrimaryIf answers whether any interface is tracked.
    assert.deepEqual([inst(11, 1), inst(11, 2)], [1, 2]);
    assert.deepEqual([inst(16, 1), inst(17, 1), inst(16, 2), inst(17, 2)], [1, 'eth9', 2, undefined]);
    assert.deepEqual([inst(18, 1), inst(18, 3)], ['G1', undefined]);
    assert.equal(inst(22, 1), "'/usr/bin/echo' 'master'");
    assert.equal(inst(26, 1), "> '/tmp/x'"); // a redirection first word stays unquoted
    assert.equal(inst(23, 1), undefined);
    assert.deepEqual([inst(30, 1), inst(30, 2)], [2, 3]);
    // Multicast destination: absent for unicast instances.
    assert.deepEqual([inst(34, 2), inst(35, 2)], [2, '0xff020000000000000000000000000012']);
    assert.deepEqual([inst(34, 3), inst(35, 3)], [undefined, undefined]);
  });

  test('sync group, members and what both track', () => {
    assert.deepEqual(
      [2, 3, 5, 10, 11].map((c) => show(v.get(`${K}.2.1.1.${c}.1`))),
      ['G1', 2, 1, 2, "'/bin/stop'"],
    );
    assert.equal(show(v.get(`${K}.2.2.1.2.1.2`)), 'VI_2');
    assert.deepEqual(
      [1, 2, 3].map((c) => show(v.get(`${K}.2.4.1.${c}.1.1`))),
      ['eth1', -20, 2],
    );
    assert.deepEqual(
      [2, 3, 4].map((c) => show(v.get(`${K}.2.5.1.${c}.1.1`))),
      ['chk', -10, 1],
    );
    // Tracked files show the file's own weight and direction, for instances and groups alike.
    assert.deepEqual(
      [2, 3, 4].map((c) => show(v.get(`${K}.2.12.1.${c}.1.1`))),
      ['tf', 5, 1],
    );
    assert.deepEqual(
      [2, 3, 4].map((c) => show(v.get(`${K}.2.16.1.${c}.1.1`))),
      ['tf', 5, 1],
    );
    assert.deepEqual(
      [1, 2, 3].map((c) => show(v.get(`${K}.2.14.1.${c}.1.1`))),
      ['eth1', 0, 2],
    );
  });

  test('script and file tables', () => {
    assert.deepEqual(
      [2, 3, 4, 5, 6, 7, 8, 9].map((c) => show(v.get(`${K}.2.9.1.${c}.1`))),
      ['chk', "'/usr/bin/true'", 2, -10, 5, 2, 3, 2],
    );
    assert.deepEqual(
      [2, 3, 4, 5, 6].map((c) => show(v.get(`${K}.2.13.1.${c}.1`))),
      ['tf', '/tmp/tf', 7, 5, 1],
    );
  });

  test('address table: static addresses under owner 0, VIPs then excluded VIPs', () => {
    const a = (col: number, idx: string) => show(v.get(`${K}.2.6.1.${col}.${idx}`));
    assert.deepEqual([a(3, '0.1'), a(11, '0.1')], ['0x0a070101', 2]);
    assert.deepEqual(
      [a(3, '1.1'), a(11, '1.1'), a(3, '1.2'), a(5, '1.2'), a(11, '1.2')],
      ['0x0a070033', 1, '0x0a0700c8', 32, 2],
    );
    // IPv6: no broadcast column; a label when set.
    assert.deepEqual([a(2, '2.1'), a(4, '2.1'), a(9, '2.1'), a(5, '2.1')], [2, undefined, 'x', 64]);
    assert.deepEqual([a(4, '1.1'), a(6, '1.1'), a(7, '1.1'), a(8, '1.1')], ['0x00000000', 14, 3, 'eth0']);
  });

  test('routes, next hops and rules', () => {
    const routed = vrrpInfo({
      instances: [
        instance('VI_1', 51, {
          routes: [
            {
              family: 4,
              destination: { address: '10.20.0.0', prefix: 16 },
              gateway: '10.7.0.254',
              metric: 5,
              scope: 253,
              type: 'unicast',
              oif: { index: 3, name: 'eth0' },
              table: 100,
              isSet: true,
              protocol: 18,
              ecn: false,
              quickAck: true,
              mtu: { value: 1400, lock: true },
              realms: (2 << 16) | 7,
              nexthops: [],
            },
            {
              family: 4,
              destination: { address: '10.21.0.0', prefix: 16 },
              metric: 0,
              scope: 0,
              type: 'blackhole',
              table: 254,
              isSet: false,
              ecn: false,
              quickAck: false,
              nexthops: [{ gateway: '10.7.0.9', ifindex: 3, ifname: 'eth0', weight: 2, onlink: true }],
            },
          ],
          rules: [
            {
              family: 4,
              from: { address: '10.7.0.100', prefix: 32 },
              action: RULE_ACTION.toTable,
              table: 100,
              isSet: true,
              invert: true,
              tos: 0,
              preference: 1000,
            },
            {
              family: 4,
              to: { address: '10.22.0.0', prefix: 16 },
              action: RULE_ACTION.goto,
              gotoTarget: 2000,
              isSet: true,
              invert: false,
              tos: 8,
              fwmark: 3,
              fwmask: 255,
            },
            {
              family: 4,
              action: RULE_ACTION.blackhole,
              isSet: true,
              invert: false,
              tos: 0,
              iif: 'eth1',
              uidRange: { start: 10, end: 20 },
            },
          ],
        }),
      ],
    });
    const w = valuesOf(vrrpView(routed));
    const r = (col: number, idx: string) => show(w.get(`${K}.2.7.1.${col}.${idx}`));
    assert.deepEqual(
      [r(3, '1.1'), r(4, '1.1'), r(5, '1.1'), r(8, '1.1'), r(9, '1.1'), r(10, '1.1')],
      ['0x0a140000', 16, '0x0a0700fe', 5, 2, 1],
    );
    assert.deepEqual(
      [r(13, '1.1'), r(18, '1.1'), r(20, '1.1'), r(22, '1.1'), r(23, '1.1'), r(44, '1.1'), r(45, '1.1')],
      [100, 19, 1, 1400, 1, 7, 2],
    );
    // A route with next hops is multipath(2); one hop is also the secondary gateway.
    assert.deepEqual(
      [r(10, '1.2'), r(6, '1.2'), r(14, '1.2'), r(18, '1.2'), r(5, '1.2')],
      [2, '0x0a070009', 2, undefined, undefined],
    );
    const hop = (col: number) => show(w.get(`${K}.2.11.1.${col}.1.2.1`));
    assert.deepEqual([2, 3, 4, 5, 6, 7].map(hop), [1, '0x0a070009', 3, 'eth0', 2, 1]);
    const rule = (col: number, row: number) => show(w.get(`${K}.2.8.1.${col}.1.${row}`));
    assert.deepEqual(
      [2, 5, 6, 8, 12, 14, 23, 24, 25].map((c) => rule(c, 1)),
      ['from', 32, 100, 1, 1, 32, 1, 100, 1000],
    );
    assert.deepEqual(
      [2, 6, 9, 15, 16, 17, 22, 23, 24, 25].map((c) => rule(c, 2)),
      ['to', undefined, 1, 8, 3, 255, 2000, 2, undefined, undefined],
    );
    assert.deepEqual(
      [2, 3, 20, 23, 30, 31].map((c) => rule(c, 3)),
      ['', undefined, 'eth1', 6, 10, 20],
    );
  });
});

describe('VRRP-MIB (RFC 2787)', () => {
  const info = vrrpInfo({
    startedAtMs: 400,
    nowMs: 9000,
    instances: [
      instance('B', 60, {
        upSinceMs: 1000,
        authType: 2,
        masterAddress: '10.7.0.2',
        state: 'BACKUP',
        counters: { ...instance('x', 1).counters, chkErr: 2, versErr: 1, vridErr: 4, advertRcvd: 9 },
      }),
      instance('A', 51, {
        interface: { ...ETH0, index: 2 },
        counters: { ...instance('x', 1).counters, chkErr: 3 },
      }),
      instance('v3', 52, { version: 3 }),
      instance('v6', 53, { family: 6, vips: [vip('2001:db8::1')] }),
      instance('novip', 54, { vips: [] }),
      instance('fault', 55, { state: 'FAULT' }),
    ],
  });
  const v = valuesOf(vrrpRfc2787View(info, false));

  test('rows: VRRPv2 over IPv4 with VIPs only, by (ifIndex, VRID)', () => {
    const rows = [...v.keys()]
      .filter((k) => k.startsWith(`${R2}.1.3.1.3.`))
      .map((k) => k.slice(`${R2}.1.3.1.3.`.length));
    assert.deepEqual(rows, ['2.51', '3.55', '3.60']);
    assert.deepEqual([show(v.get(`${R2}.1.1.0`)), show(v.get(`${R2}.1.2.0`))], [2, 2]);
  });

  test('columns and counters', () => {
    const col = (c: number, idx = '3.60') => show(v.get(`${R2}.1.3.1.${c}.${idx}`));
    assert.deepEqual(
      [col(2), col(3), col(5), col(6), col(7), col(8), col(9), col(10), col(11)],
      ['0xaa89764dad9c', 2, 100, 1, '10.7.0.2', '10.7.0.1', 3, undefined, 1],
    );
    // Up time: when the instance started, from the agent's start; 0 unless BACKUP or MASTER.
    assert.deepEqual([col(13), col(13, '3.55'), col(3, '3.55')], [60, 0, 1]);
    assert.equal(show(v.get(`${R2}.1.4.1.2.3.60.10.7.0.60`)), 1);
    assert.deepEqual(
      [1, 2, 3].map((s) => show(v.get(`${R2}.2.${s}.0`))),
      [5, 1, 4],
    );
    assert.equal(show(v.get(`${R2}.2.4.1.2.3.60`)), 9);
  });
});

describe('VRRPV3-MIB (RFC 6527)', () => {
  const info = vrrpInfo({
    nowMs: 9000,
    instances: [
      instance('M', 51, { version: 3 }),
      instance('B', 52, { version: 3, state: 'BACKUP', masterAddress: '10.7.0.2', upSinceMs: 2000 }),
      instance('Bunknown', 53, { version: 3, state: 'BACKUP' }),
      instance('six', 60, {
        version: 3,
        family: 6,
        advertIntervalCs: 50,
        vips: [vip('fe80::100'), vip('2001:db8::100')],
      }),
      instance('v2', 50),
    ],
  });

  test('VRRPv2 instances too in Debian build, or only v3 without _SNMP_REPLY_V3_FOR_V2_', () => {
    const rows = (view: ReturnType<typeof vrrpRfc6527View>) =>
      [...valuesOf(view).keys()]
        .filter((k) => k.startsWith(`${R3}.1.1.1.1.6.`))
        .map((k) => k.slice(`${R3}.1.1.1.1.6.`.length));
    assert.deepEqual(rows(vrrpRfc6527View(info)), ['3.50.1', '3.51.1', '3.52.1', '3.53.1', '3.60.2']);
    assert.deepEqual(rows(vrrpRfc6527View(info, false)), ['3.51.1', '3.52.1', '3.53.1', '3.60.2']);
  });

  test('master address, primary address, uptime, assoc addresses as raw bytes', () => {
    const v = valuesOf(vrrpRfc6527View(info));
    const col = (c: number, idx: string) => show(v.get(`${R3}.1.1.1.1.${c}.${idx}`));
    assert.deepEqual(
      [col(3, '3.51.1'), col(3, '3.52.1'), col(3, '3.53.1'), col(4, '3.52.1')],
      ['0x0a070001', '0x0a070002', '0x00000000', '0x0a070001'],
    );
    assert.deepEqual(
      [col(3, '3.60.2'), col(9, '3.60.2'), col(7, '3.60.2')],
      ['0xfe80000000000000a88976fffe4dad9c', 50, 100],
    );
    assert.deepEqual([col(12, '3.51.1'), col(12, '3.52.1')], [800, 700]);
    assert.equal(show(v.get(`${R3}.1.1.2.1.2.3.60.2.254.128.0.0.0.0.0.0.0.0.0.0.0.0.1.0`)), 1);
    assert.deepEqual(
      [2, 13].map((c) => show(v.get(`${R3}.1.2.5.1.${c}.3.60.2`))),
      [3, 500],
    );
    assert.equal(v.get(`${R3}.1.2.1.0`)?.type, 'counter64');
  });
});

describe('KEEPALIVED-MIB check', () => {
  const info = {
    vsGroups: [
      {
        name: 'VG',
        members: [
          { kind: 'fwmark' as const, fwmark: 7 },
          { kind: 'range' as const, family: 4 as const, first: '10.9.0.1', last: '10.9.0.1', port: 80 },
          { kind: 'range' as const, family: 4 as const, first: '10.9.0.1', last: '10.9.0.9', port: 443 },
        ],
      },
    ],
    virtualServers: [
      virtualServer({ persistenceTimeout: 300, persistenceGranularity: 0xffffff00, snmpName: 'web' }),
      virtualServer({
        kind: 'fwmark',
        fwmark: 5,
        forwarding: 'TUN',
        tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' },
        scheduler: 'bogus',
        sorryServer: realServer('10.8.0.9', 8080),
      }),
    ],
    lvsSyncDaemon: { interface: 'eth1', instance: 'VI_1', syncId: 4, maxLen: 1472, port: 8848, ttl: 1 },
    lvsTimeouts: { tcp: 900 },
  };
  const v = valuesOf(checkView(info));
  const vs = (c: number, row: number) => show(v.get(`${K}.3.3.1.${c}.${row}`));
  const rs = (c: number, idx: string) => show(v.get(`${K}.3.4.1.${c}.${idx}`));

  test('virtual server group members: fwmarks, single addresses, ranges', () => {
    assert.equal(show(v.get(`${K}.3.1.1.2.1`)), 'VG');
    const m = (c: number, row: number) => show(v.get(`${K}.3.2.1.${c}.1.${row}`));
    assert.deepEqual([m(2, 1), m(3, 1), m(4, 1)], [1, 7, undefined]);
    assert.deepEqual([m(2, 2), m(5, 2), m(6, 2), m(8, 2)], [2, '0x0a090001', undefined, 80]);
    assert.deepEqual([m(2, 3), m(5, 3), m(6, 3), m(7, 3)], [3, undefined, '0x0a090001', '0x0a090009']);
  });

  test('virtual servers', () => {
    assert.deepEqual(
      [vs(2, 1), vs(6, 1), vs(7, 1), vs(8, 1), vs(9, 1), vs(10, 1), vs(71, 1)],
      [2, '0x0a070064', 80, 1, 4, 1, 'web'],
    );
    assert.deepEqual([vs(13, 1), vs(14, 1), vs(15, 1), vs(51, 1)], [1, 300, '0xffffff00', undefined]);
    assert.deepEqual(
      [vs(20, 1), vs(21, 1), vs(16, 1), vs(64, 1), vs(67, 1)],
      [2, 1, 60, 60_000_000, 5_000_000],
    );
    // A firewall-mark service: no address, port or protocol; both granularity columns; tunnel columns.
    assert.deepEqual(
      [vs(2, 2), vs(4, 2), vs(6, 2), vs(8, 2), vs(9, 2), vs(15, 2), vs(51, 2)],
      [1, 5, undefined, undefined, 99, '0x00000000', 0],
    );
    assert.deepEqual([vs(10, 2), vs(68, 2), vs(69, 2), vs(70, 2), vs(68, 1)], [3, 2, 6080, 3, undefined]);
  });

  test('real servers: the sorry server first, without the regular servers columns', () => {
    assert.deepEqual(
      [rs(2, '2.1'), rs(4, '2.1'), rs(5, '2.1'), rs(6, '2.1'), rs(7, '2.1'), rs(13, '2.1')],
      [2, '0x0a080009', 8080, undefined, undefined, undefined],
    );
    assert.deepEqual(
      [rs(2, '2.2'), rs(4, '2.2'), rs(6, '2.3'), rs(7, '2.2'), rs(10, '2.2')],
      [1, '0x0a080001', 2, 1, 1],
    );
    assert.deepEqual([rs(2, '1.1'), rs(20, '1.1'), rs(27, '1.1'), rs(30, '1.1')], [1, 0, 0, 0]);
  });

  test('sync daemon and timeouts', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((s) => show(v.get(`${K}.3.6.${s}.0`))),
      [1, 'eth1', 'VI_1', 4, 1472, 8848, 1, undefined],
    );
    assert.deepEqual(
      [1, 2, 3].map((s) => show(v.get(`${K}.3.7.${s}.0`))),
      [900, undefined, undefined],
    );
    const none = valuesOf(checkView({ vsGroups: [], virtualServers: [], lvsTimeouts: {} }));
    assert.deepEqual([...none.keys()], [`${K}.3.6.1.0`]);
    assert.equal(show(none.get(`${K}.3.6.1.0`)), 2);
  });
});

describe('which MIBs a process serves', () => {
  const all = { enableSnmpVrrp: true, enableSnmpRfcv2: true, enableSnmpRfcv3: true, enableSnmpChecker: true };
  test('the global objects go with the checker when it runs with SNMP', () => {
    assert.deepEqual(servedMibs(all, 'vrrp', true), {
      global: false,
      vrrp: true,
      rfcv2: true,
      rfcv3: true,
      checker: false,
    });
    assert.deepEqual(servedMibs(all, 'vrrp', false).global, true);
    assert.deepEqual(servedMibs({ ...all, enableSnmpChecker: false }, 'vrrp', true).global, true);
    assert.deepEqual(servedMibs(all, 'checker', true), {
      global: true,
      vrrp: false,
      rfcv2: false,
      rfcv3: false,
      checker: true,
    });
    assert.deepEqual(servedMibs({ ...all, enableSnmpVrrp: false }, 'vrrp', false).global, false);
  });

  test("registrations and sysORTable descriptions are keepalived's", () => {
    assert.deepEqual(
      registrations(servedMibs(all, 'vrrp', false)).map((r) => `${r.subtree.join('.')} ${r.descr}`),
      [
        '1.3.6.1.4.1.9586.100.5.1 The MIB module for Keepalived',
        '1.3.6.1.4.1.9586.100.5.2 The MIB module for KEEPALIVED-VRRP',
        '1.3.6.1.2.1.68 The MIB module for VRRP',
        '1.3.6.1.2.1.207 The MIB module for VRRPV3',
      ],
    );
  });

  test('the served view holds exactly the served MIBs', () => {
    const snap = { global: globalInfo(), vrrp: vrrpInfo({ instances: [instance('VI_1', 51)] }) };
    const only = (m: Parameters<typeof buildView>[1]) => [
      ...new Set(buildView(snap, m).entries.map((e) => e.oid.slice(0, e.oid[4] === 4 ? 10 : 7).join('.'))),
    ];
    assert.deepEqual(only({ global: false, vrrp: false, rfcv2: true, rfcv3: false, checker: false }), [
      '1.3.6.1.2.1.68',
    ]);
    assert.deepEqual(only({ global: true, vrrp: true, rfcv2: false, rfcv3: true, checker: true }), [
      '1.3.6.1.2.1.207',
      '1.3.6.1.4.1.9586.100.5.1',
      '1.3.6.1.4.1.9586.100.5.2',
    ]);
  });

  test('switches and socket from global_defs and the command line', () => {
    const g = { ...defaultGlobalDefs(), enableSnmpRfc: true, snmpSocket: 'unix:/run/x' };
    assert.deepEqual(snmpSwitches(g), {
      enableSnmpVrrp: false,
      enableSnmpRfcv2: true,
      enableSnmpRfcv3: true,
      enableSnmpChecker: false,
    });
    assert.ok(Object.values(snmpSwitches(defaultGlobalDefs(), true)).every(Boolean));
    assert.equal(snmpSocket(g), 'unix:/run/x');
    assert.equal(snmpSocket(g, 'tcp:localhost:705'), 'tcp:localhost:705');
    assert.equal(snmpSocket(defaultGlobalDefs()), 'unix:/var/agentx/master');
  });

  test('commandText quotes every word', () => {
    assert.equal(commandText(['/bin/sh', '-c', 'a b']), "'/bin/sh' '-c' 'a b'");
  });
});
