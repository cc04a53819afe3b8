// keepalived 2.2.7's notifications (vrrp_snmp.c, check_snmp.c): varbinds in its order, objects named by
// column OIDs without an index for its own traps, the RFC ones indexed, and which go out for a state change
// with which switches on. The kernel test catches keepalived's and ours with snmptrapd and compares them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  instanceNotifications,
  instanceStateTrap,
  quorumStateTrap,
  realServerStateTrap,
  rfc2787AuthFailureTrap,
  rfc6527ProtoErrorTrap,
  syncGroupStateTrap,
} from '../../../src/snmp/mib/traps.js';
import { formatOid, type VarBind } from '../../../src/snmp/types.js';
import { instance, show, vip, virtualServer } from '../../helpers/snmp-snapshot.js';

const lines = (vbs: VarBind[]): string[] => vbs.map((v) => `${formatOid(v.oid)}=${show(v.value)}`);
const K = '.1.3.6.1.4.1.9586.100.5';
const TRAP = '.1.3.6.1.6.3.1.1.4.1.0';

describe('VRRP notifications', () => {
  test('vrrpInstanceStateChange: name, state, configured state, router id', () => {
    const i = instance('VI_1', 51, { configuredState: 'MASTER' });
    assert.deepEqual(lines(instanceStateTrap(i, 'lab1')), [
      `${TRAP}=${K}.2.10.0.2`,
      `${K}.2.3.1.2=VI_1`,
      `${K}.2.3.1.4=2`,
      `${K}.2.3.1.5=2`,
      `${K}.1.2.0=lab1`,
    ]);
    // Traps number STOP 5 and DELETED 6 (the table says unknown for both).
    assert.equal(show(instanceStateTrap({ ...i, state: 'STOP' }, 'x')[2]?.value), 5);
    assert.equal(show(instanceStateTrap({ ...i, state: 'DELETED' }, 'x')[2]?.value), 6);
  });

  test('vrrpSyncGroupStateChange', () => {
    const g = {
      name: 'G1',
      state: 'BACKUP' as const,
      trackingWeight: false,
      smtpAlert: false,
      notifyExec: false,
      notify: {},
      members: [],
      trackInterfaces: [],
      trackScripts: [],
      trackFiles: [],
      trackBfds: [],
      trackProcesses: [],
    };
    assert.deepEqual(lines(syncGroupStateTrap(g, 'lab1')), [
      `${TRAP}=${K}.2.10.0.1`,
      `${K}.2.1.1.2=G1`,
      `${K}.2.1.1.3=1`,
      `${K}.1.2.0=lab1`,
    ]);
    assert.equal(show(syncGroupStateTrap({ ...g, state: 'STOP' }, 'x')[2]?.value), 5);
  });

  test('on MASTER: the instance trap, then RFC 2787 and RFC 6527 new-master notifications', () => {
    const on = { traps: true, vrrp: true, rfcv2: true, rfcv3: true, checker: false };
    const i = instance('VI_1', 51);
    assert.deepEqual(
      instanceNotifications(i, 'lab1', on).map((vbs) => lines(vbs)),
      [
        lines(instanceStateTrap(i, 'lab1')),
        [`${TRAP}=.1.3.6.1.2.1.68.0.1`, '.1.3.6.1.2.1.68.1.3.1.7.3.51=10.7.0.1'],
        [
          `${TRAP}=.1.3.6.1.2.1.207.0.1`,
          '.1.3.6.1.2.1.207.1.1.1.1.3.3.51.1=0x0a070001',
          '.1.3.6.1.2.1.207.1.2.5.1.2.3.51.1=3',
        ],
      ],
    );
    // BACKUP: only keepalived's own trap. VRRPv3 or IPv6: no RFC 2787 one. Switches gate each family.
    assert.equal(instanceNotifications({ ...i, state: 'BACKUP' }, 'lab1', on).length, 1);
    const v6 = instance('VI_6', 60, {
      version: 3,
      family: 6,
      vips: [vip('2001:db8::1')],
      sourceAddress: 'fe80::1',
    });
    assert.deepEqual(
      instanceNotifications(v6, 'lab1', on).map((vbs) => show(vbs[0]?.value)),
      [`${K}.2.10.0.2`, '.1.3.6.1.2.1.207.0.1'],
    );
    assert.equal(
      show(instanceNotifications(v6, 'lab1', on)[1]?.[1]?.value),
      '0xfe800000000000000000000000000001',
    );
    assert.equal(instanceNotifications(i, 'lab1', { ...on, traps: false }).length, 0);
    assert.equal(instanceNotifications(i, 'lab1', { ...on, vrrp: false, rfcv3: false }).length, 1);
  });

  test('auth failure and protocol error, indexed by the instance interface', () => {
    const i = instance('VI_1', 51, {
      protoErrorReason: 2,
      baseInterface: { name: 'eth0', index: 9, mac: new Uint8Array(6) },
    });
    assert.deepEqual(lines(rfc2787AuthFailureTrap(i, '10.7.0.9', 3)), [
      `${TRAP}=.1.3.6.1.2.1.68.0.2`,
      '.1.3.6.1.2.1.68.1.5.3.51=10.7.0.9',
      '.1.3.6.1.2.1.68.1.6.3.51=3',
    ]);
    assert.deepEqual(lines(rfc6527ProtoErrorTrap(i)), [
      `${TRAP}=.1.3.6.1.2.1.207.0.2`,
      '.1.3.6.1.2.1.207.1.2.5.1.6.3.51.1=2',
    ]);
  });
});

describe('checker notifications', () => {
  test('realServerStateChange', () => {
    const vs = virtualServer();
    const rs = vs.realServers[1];
    assert.ok(rs);
    assert.deepEqual(lines(realServerStateTrap(rs, vs, 'lab1')), [
      `${TRAP}=${K}.3.5.0.1`,
      `${K}.3.4.1.3=1`,
      `${K}.3.4.1.4=0x0a080002`,
      `${K}.3.4.1.5=80`,
      `${K}.3.4.1.6=2`,
      `${K}.3.3.1.2=2`,
      `${K}.3.3.1.5=1`,
      `${K}.3.3.1.6=0x0a070064`,
      `${K}.3.3.1.7=80`,
      `${K}.3.3.1.8=1`,
      `${K}.3.3.1.21=1`,
      `${K}.3.3.1.20=2`,
      `${K}.1.2.0=lab1`,
    ]);
  });

  test('virtualServerQuorumStateChange, for a group service and on the way down', () => {
    const vs = virtualServer({ kind: 'group', groupName: 'VG', protocol: 'udp', quorum: 2, quorumUp: false });
    assert.deepEqual(lines(quorumStateTrap(vs, false, 'lab1')), [
      `${TRAP}=${K}.3.5.0.2`,
      `${K}.3.3.1.2=3`,
      `${K}.3.3.1.3=VG`,
      `${K}.3.3.1.8=2`,
      `${K}.3.3.1.23=2`,
      `${K}.3.3.1.22=2`,
      `${K}.3.3.1.21=1`,
      `${K}.3.3.1.20=2`,
      `${K}.1.2.0=lab1`,
    ]);
    assert.equal(show(quorumStateTrap(vs, true, 'lab1')[4]?.value), 3);
  });
});
