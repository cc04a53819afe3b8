// The parent's copy of the configuration (config/snapshot-host.ts): a read through the snapshot gives the
// model the recorded read gave, whatever the files say since (edited, an include added or removed), and
// what the recorded read never asked for comes from the files as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, snapshotConfig, SnapshotConfigHost } from '../../../src/config/index.js';
import { MemoryHost } from './memory-host.js';

const MAIN = '/etc/keepalived/keepalived.conf';
const instance = (name: string, vip: string): string =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    ${vip}/24\n  }\n}\n`;

test('a read through the snapshot is the recorded read, the files edited since', () => {
  const host = new MemoryHost({
    [MAIN]: 'include /etc/keepalived/conf.d/*.conf\n',
    '/etc/keepalived/conf.d/a.conf': instance('VI_A', '10.0.0.1'),
  });
  const snap = snapshotConfig(MAIN, host);
  const vips = (h: MemoryHost | SnapshotConfigHost): string[] =>
    loadModel(MAIN, h).model.instances.map((i) => `${i.name} ${i.virtualIpaddresses[0]?.address ?? '-'}`);
  assert.deepEqual(vips(host), ['VI_A 10.0.0.1']);
  // edited, and an include added: the snapshot still reads the first state
  host.files.set('/etc/keepalived/conf.d/a.conf', instance('VI_A', '10.0.0.2'));
  host.files.set('/etc/keepalived/conf.d/b.conf', instance('VI_B', '10.0.0.3'));
  assert.deepEqual(vips(host), ['VI_A 10.0.0.2', 'VI_B 10.0.0.3']);
  const through = new SnapshotConfigHost(snap, host);
  assert.deepEqual(vips(through), ['VI_A 10.0.0.1']);
  // a file removed since: still there in the snapshot
  host.files.delete('/etc/keepalived/conf.d/a.conf');
  assert.deepEqual(vips(through), ['VI_A 10.0.0.1']);
  // what the recorded read did not ask for is read live; a snapshot is plain JSON
  host.files.set('/etc/other', 'x');
  assert.equal(through.readFile('/etc/other'), 'x');
  assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
  assert.deepEqual(Object.keys(snap.files).sort(), ['/etc/keepalived/conf.d/a.conf', MAIN]);
});

test('an include that matched nothing still matches nothing through the snapshot', () => {
  const host = new MemoryHost({ [MAIN]: 'include /etc/keepalived/missing.conf\n' });
  const snap = snapshotConfig(MAIN, host);
  host.files.set('/etc/keepalived/missing.conf', instance('VI_A', '10.0.0.1'));
  assert.equal(loadModel(MAIN, host).model.instances.length, 1);
  assert.equal(loadModel(MAIN, new SnapshotConfigHost(snap, host)).model.instances.length, 0);
});
