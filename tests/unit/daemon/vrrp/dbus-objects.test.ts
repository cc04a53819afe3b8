// The DBus objects' pure decisions: paths as keepalived builds them (net_namespace and instance levels,
// characters outside [A-Za-z0-9] made '_', dbus_no_interface_name), and the answers GDBus gives for them
// (checked against keepalived 2.2.7 itself by tests/netns/daemon-dbus.test.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DbusObjects,
  instanceObjectPath,
  vrrpObjectPath,
  type DbusCall,
  type DbusInstance,
} from '../../../../src/daemon/vrrp/dbus-objects.js';
import type { VrrpState } from '../../../../src/vrrp/engine/spec.js';

const NAMING = { noInterfaceName: 'none' };
const VI_1: DbusInstance = { name: 'VI_1', ifname: 'eth0', vrid: 51, family: 4 };
const VI_6: DbusInstance = { name: 'VI_6', ifname: 'bond0.10', vrid: 52, family: 6 };
const PATH_1 = '/org/keepalived/Vrrp1/Instance/eth0/51/IPv4';
const PATH_6 = '/org/keepalived/Vrrp1/Instance/bond0_10/52/IPv6';

function objects(states: Record<string, VrrpState> = { VI_1: 'MASTER', VI_6: 'BACKUP' }): DbusObjects {
  return new DbusObjects(NAMING, [VI_1, VI_6], (n) => states[n]);
}

const call = (
  path: string,
  iface: string,
  member: string,
  signature = '',
  body: unknown[] = [],
): DbusCall => ({
  path,
  interface: iface,
  member,
  signature,
  body,
});
const get = (path: string, name: string): DbusCall =>
  call(path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', ['org.keepalived.Vrrp1.Instance', name]);

describe('DBus object paths', () => {
  test('the Vrrp object and instance objects, with net_namespace and instance levels', () => {
    assert.equal(vrrpObjectPath(NAMING), '/org/keepalived/Vrrp1/Vrrp');
    assert.equal(instanceObjectPath(NAMING, VI_1), PATH_1);
    const named = { namespace: 'blue', instance: 'lb1', noInterfaceName: 'none' };
    assert.equal(vrrpObjectPath(named), '/org/keepalived/Vrrp1/blue/lb1/Vrrp');
    assert.equal(instanceObjectPath(named, VI_1), '/org/keepalived/Vrrp1/blue/lb1/Instance/eth0/51/IPv4');
  });

  test("an interface's other characters become '_'; no interface is dbus_no_interface_name", () => {
    assert.equal(instanceObjectPath(NAMING, VI_6), PATH_6);
    const none = { ...VI_1, ifname: '' };
    assert.equal(instanceObjectPath(NAMING, none), '/org/keepalived/Vrrp1/Instance/none/51/IPv4');
    assert.equal(
      instanceObjectPath({ noInterfaceName: 'unicast' }, none),
      '/org/keepalived/Vrrp1/Instance/unicast/51/IPv4',
    );
  });

  test('two instances on one path: the first keeps it', () => {
    const o = new DbusObjects(NAMING, [VI_1, { ...VI_1, name: 'VI_2' }], () => 'BACKUP');
    assert.deepEqual([...o.instancePaths], [['VI_1', PATH_1]]);
  });
});

describe('DBus answers', () => {
  test("Name is a one-string structure, State keepalived's number and word", () => {
    const o = objects();
    assert.deepEqual(o.answer(get(PATH_1, 'Name')), {
      kind: 'reply',
      signature: 'v',
      body: [{ signature: '(s)', value: ['VI_1'] }],
    });
    assert.deepEqual(o.answer(get(PATH_1, 'State')), {
      kind: 'reply',
      signature: 'v',
      body: [{ signature: '(us)', value: [2, 'Master'] }],
    });
    assert.deepEqual(o.answer(get(PATH_6, 'State')), {
      kind: 'reply',
      signature: 'v',
      body: [{ signature: '(us)', value: [1, 'Backup'] }],
    });
    const stopped = objects({ VI_1: 'STOP', VI_6: 'FAULT' });
    assert.deepEqual(stopped.answer(get(PATH_1, 'State')), {
      kind: 'reply',
      signature: 'v',
      body: [{ signature: '(us)', value: [98, 'Stop'] }],
    });
  });

  test('an instance the daemon no longer knows: InvalidArgs naming it', () => {
    const o = objects({});
    assert.deepEqual(o.answer(get(PATH_1, 'Name')), {
      kind: 'error',
      name: 'org.freedesktop.DBus.Error.InvalidArgs',
      text: "Instance 'eth0/51/IPv4' not found",
    });
  });

  test('methods ask the daemon for their work; SendGarp names its instance', () => {
    const o = objects();
    const vrrp = '/org/keepalived/Vrrp1/Vrrp';
    const request = (c: DbusCall) => {
      const a = o.answer(c);
      return a.kind === 'reply' ? a.request : a.name;
    };
    assert.deepEqual(request(call(vrrp, 'org.keepalived.Vrrp1.Vrrp', 'PrintData')), { type: 'print-data' });
    assert.deepEqual(request(call(vrrp, 'org.keepalived.Vrrp1.Vrrp', 'PrintStatsClear')), {
      type: 'print-stats',
      clear: true,
    });
    assert.deepEqual(request(call(vrrp, 'org.keepalived.Vrrp1.Vrrp', 'ReloadConfig')), { type: 'reload' });
    assert.deepEqual(request(call(PATH_6, 'org.keepalived.Vrrp1.Instance', 'SendGarp')), {
      type: 'send-garp',
      instance: 'VI_6',
    });
    // Debian's 2.2.7 is built without --enable-dbus-create-instance
    assert.equal(
      request(call(vrrp, 'org.keepalived.Vrrp1.Vrrp', 'CreateInstance', 'ssuu', ['x', 'eth0', 9, 4])),
      'org.freedesktop.DBus.Error.UnknownMethod',
    );
    assert.equal(
      request(call(vrrp, 'org.keepalived.Vrrp1.Vrrp', 'PrintData', 's', ['x'])),
      'org.freedesktop.DBus.Error.InvalidArgs',
    );
  });

  test('introspection: objects carry their interfaces, every node lists its children', () => {
    const o = objects();
    const root = o.introspect('/org/keepalived/Vrrp1') ?? '';
    assert.match(root, /<node name="Vrrp"\/>\n {2}<node name="Instance"\/>/);
    assert.doesNotMatch(root, /<interface/);
    const inst = o.introspect(PATH_1) ?? '';
    assert.match(inst, /<interface name="org.keepalived.Vrrp1.Instance">/);
    assert.match(inst, /<property type="\(us\)" name="State" access="read">/);
    assert.match(o.introspect('/') ?? '', /<node name="org"\/>/);
    assert.equal(o.introspect('/nowhere'), undefined);
  });
});
