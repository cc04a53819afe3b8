// The IPVS data plane's logic against a stand-in kernel (tests/helpers/fake-ipvs-kernel.ts): command
// order and pipelining, keepalived's tolerances and fallbacks, its log lines, lvs_timeouts and the sync
// daemon. The same plane against the real kernel is tests/vm/ipvs-plane.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GenericNetlink } from '../../../../src/net/netlink/genetlink.js';
import * as K from '../../../../src/lb/ipvs/constants.js';
import { IpvsUnavailableError } from '../../../../src/lb/ipvs/errors.js';
import { IpvsDataPlane } from '../../../../src/lb/ipvs/plane.js';
import type {
  Destination,
  LbChange,
  LbTable,
  Service,
  ServiceAttributes,
} from '../../../../src/lb/table/types.js';
import { FakeIpvsKernel } from '../../../helpers/fake-ipvs-kernel.js';

async function openPlane(kernel = new FakeIpvsKernel(), window?: number) {
  const log: string[] = [];
  const plane = await IpvsDataPlane.open({
    genl: new GenericNetlink(kernel),
    log: (l) => log.push(l),
    window,
  });
  kernel.sent.length = 0; // GET_INFO at open
  return { kernel, plane, log };
}

const web: ServiceAttributes = {
  key: { kind: 'address', family: 'inet', protocol: 'TCP', address: '10.0.0.1', port: 80 },
  scheduler: 'wlc',
  schedFlags: [],
  onePacket: false,
};
const rs = (n: number, extra: Partial<Destination> = {}): Destination => ({
  family: 'inet',
  address: `192.168.1.${n}`,
  port: 8080,
  method: 'NAT',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...extra,
});
const table = (...services: Service[]): LbTable => ({ services });
const addAll = (t: LbTable): LbChange[] =>
  t.services.flatMap((s) => [
    { op: 'add-service' as const, service: s },
    ...s.destinations.map((d) => ({ op: 'add-destination' as const, service: s.key, destination: d })),
  ]);

void describe('IPVS data plane (stand-in kernel)', () => {
  void test('a first load: commands in table order, many in flight, the kernel ends with the table', async () => {
    const { kernel, plane, log } = await openPlane();
    const services: Service[] = [];
    for (let i = 0; i < 20; i++) {
      services.push({
        ...web,
        key: { ...web.key, port: 1000 + i } as Service['key'],
        destinations: [rs(1), rs(2), rs(3)],
      });
    }
    const next = table(...services);
    await plane.apply(addAll(next), next);
    assert.equal(kernel.sent.length, 80);
    assert.deepEqual(
      kernel.sent.slice(0, 4).map((c) => c.cmd),
      [K.IPVS_CMD_NEW_SERVICE, K.IPVS_CMD_NEW_DEST, K.IPVS_CMD_NEW_DEST, K.IPVS_CMD_NEW_DEST],
    );
    assert.ok(kernel.maxInFlight > 10, `pipelined (${kernel.maxInFlight} in flight)`);
    assert.deepEqual(await plane.readTable(), next);
    assert.deepEqual(log, []);
    plane.close();
    assert.equal(kernel.closed, true);
  });

  void test("a leftover service (EEXIST) is edited into shape, with keepalived's log line", async () => {
    const { kernel, plane, log } = await openPlane();
    const old = table({ ...web, scheduler: 'rr', destinations: [rs(1)] });
    await plane.apply(addAll(old), old);
    // A restart after a crash: a fresh plane that does not know what the kernel holds.
    const fresh = new IpvsDataPlane(plane.client, { log: (l) => log.push(l) });
    const next = table({ ...web, destinations: [rs(1, { weight: 5 })] });
    await fresh.apply(addAll(next), next);
    assert.deepEqual(log, [
      'IPVS cmd IP_VS_SO_SET_ADD(1154) error: Service already exists(17) (10.0.0.1:tcp:80)',
      'IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Destination already exists(17) (10.0.0.1:tcp:80 -> 192.168.1.1:8080)',
    ]);
    assert.deepEqual(
      kernel.sent.slice(-4).map((c) => c.cmd),
      [K.IPVS_CMD_NEW_SERVICE, K.IPVS_CMD_NEW_DEST, K.IPVS_CMD_SET_SERVICE, K.IPVS_CMD_SET_DEST],
      'the fallbacks come after the pipelined commands',
    );
    assert.deepEqual(await fresh.readTable(), next);
    plane.close();
  });

  void test('inhibit_on_failure is an edit to weight 0; deleting a DR server uses the port the kernel has', async () => {
    const { kernel, plane } = await openPlane();
    const dr = rs(2, { method: 'DR', port: 8080 });
    const t1 = table({ ...web, destinations: [rs(1), dr] });
    await plane.apply(addAll(t1), t1);
    const inKernel = [...kernel.services.values()][0]!.destinations;
    assert.ok(inKernel.has('2|192.168.1.2|80'), 'DR takes the service port');

    const t2 = table({ ...web, destinations: [rs(1, { weight: 0 }), dr] });
    await plane.apply([{ op: 'edit-destination', service: web.key, destination: rs(1, { weight: 0 }) }], t2);
    assert.equal(inKernel.get('2|192.168.1.1|8080')?.weight, 0);

    const t3 = table({ ...web, destinations: [rs(1, { weight: 0 })] });
    await plane.apply(
      [
        {
          op: 'delete-destination',
          service: web.key,
          destination: { family: 'inet', address: '192.168.1.2', port: 8080 },
        },
      ],
      t3,
    );
    assert.deepEqual([...inKernel.keys()], ['2|192.168.1.1|8080']);
    plane.close();
  });

  void test('deleting what is gone is fine (logged); editing a missing server adds it', async () => {
    const { plane, log } = await openPlane();
    const t1 = table({ ...web, destinations: [rs(1)] });
    await plane.apply(addAll(t1), t1);
    await plane.client.deleteDestination(
      { af: 2, protocol: 6, address: '10.0.0.1', port: 80 },
      { af: 2, address: '192.168.1.1', port: 8080 },
    );
    await plane.apply([{ op: 'edit-destination', service: web.key, destination: rs(1, { weight: 7 }) }], t1);
    assert.equal((await plane.readTable()).services[0]?.destinations[0]?.weight, 7);
    await plane.apply(
      [
        {
          op: 'delete-destination',
          service: web.key,
          destination: { family: 'inet', address: '192.168.1.9', port: 8080 },
        },
        {
          op: 'delete-service',
          key: { kind: 'address', family: 'inet', protocol: 'TCP', address: '10.0.0.1', port: 81 },
        },
      ],
      t1,
    );
    assert.deepEqual(log, [
      'IPVS cmd IP_VS_SO_SET_EDITDEST(1161) error: No such destination(2) (10.0.0.1:tcp:80 -> 192.168.1.1:8080)',
      'IPVS cmd IP_VS_SO_SET_DELDEST(1160) error: No such destination(2) (10.0.0.1:tcp:80 -> 192.168.1.9:8080)',
      // The kernel says ESRCH; keepalived, through libnl, sees and prints ENOENT.
      'IPVS cmd IP_VS_SO_SET_DEL(1156) error: No such file or directory(2) (10.0.0.1:tcp:81)',
    ]);
    plane.close();
  });

  void test('a service edited after someone removed it comes back, with the servers added after it', async () => {
    const { kernel, plane } = await openPlane(new FakeIpvsKernel(), 4);
    const t1 = table({ ...web, destinations: [] });
    await plane.apply(addAll(t1), t1);
    kernel.services.clear();
    const t2 = table({ ...web, scheduler: 'rr', destinations: [rs(1), rs(2)] });
    await plane.apply(
      [
        { op: 'edit-service', service: t2.services[0]! },
        { op: 'add-destination', service: web.key, destination: rs(1) },
        { op: 'add-destination', service: web.key, destination: rs(2) },
      ],
      t2,
    );
    assert.deepEqual(await plane.readTable(), t2);
    plane.close();
  });

  void test("a refusal with no fallback fails the apply, naming the change and keepalived's reason", async () => {
    const { plane, log } = await openPlane();
    // The kernel knows no such scheduler (ENOENT); the servers after it fail too (ESRCH).
    const t = table({ ...web, scheduler: 'nonesuch' as Service['scheduler'], destinations: [rs(1), rs(2)] });
    await assert.rejects(plane.apply(addAll(t), t), (e: Error) => {
      assert.equal(
        e.message,
        'IPVS: add-service 10.0.0.1:tcp:80: IPVS_CMD_NEW_SERVICE failed: Scheduler or persistence engine not found (ENOENT)',
      );
      return true;
    });
    assert.deepEqual(plane.table, table(), 'the table held is the one before');
    // One line per refused command, as keepalived 2.2.7 logs them (seen in tests/vm/lvs-keepalived.test.ts).
    assert.deepEqual(log, [
      'IPVS cmd IP_VS_SO_SET_ADD(1154) error: Scheduler or persistence engine not found(2) (10.0.0.1:tcp:80)',
      'IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: No such file or directory(2) (10.0.0.1:tcp:80 -> 192.168.1.1:8080)',
      'IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: No such file or directory(2) (10.0.0.1:tcp:80 -> 192.168.1.2:8080)',
    ]);
    plane.close();
  });

  void test('flush empties the kernel; HASHED never goes back to the kernel', async () => {
    const { kernel, plane } = await openPlane();
    const t = table(
      { ...web, destinations: [rs(1)] },
      { ...web, key: { kind: 'fwmark', family: 'inet6', fwmark: 3 }, destinations: [] },
    );
    await plane.apply(addAll(t), t);
    const dumped = await plane.client.listServices();
    assert.ok(
      dumped.every((s) => ((s.flags ?? 0) & K.IP_VS_SVC_F_HASHED) !== 0),
      'the kernel reports HASHED',
    );
    await plane.client.editService(dumped[0]!); // the fake refuses HASHED, as the kernel cannot hash it twice
    await plane.flush();
    assert.equal(kernel.services.size, 0);
    assert.deepEqual(plane.table, table());
    plane.close();
  });

  void test('lvs_timeouts: the kernel values are saved, unset ones kept, and put back', async () => {
    const { kernel, plane } = await openPlane();
    await plane.setTimeouts({});
    assert.equal(kernel.sent.length, 0, 'nothing set: nothing sent');
    await plane.setTimeouts({ tcp: 1000 });
    assert.deepEqual(
      kernel.sent.map((c) => c.cmd),
      [K.IPVS_CMD_GET_CONFIG, K.IPVS_CMD_SET_CONFIG],
    );
    assert.deepEqual(kernel.timeouts, { tcp: 1000, tcpFin: 120, udp: 300 });
    await plane.setTimeouts({ udp: 30 });
    assert.deepEqual(kernel.timeouts, { tcp: 900, tcpFin: 120, udp: 30 }, 'unset values are the saved ones');
    await plane.restoreTimeouts();
    assert.deepEqual(kernel.timeouts, { tcp: 900, tcpFin: 120, udp: 300 });
    plane.close();
  });

  void test('lvs_sync_daemon: switch roles as keepalived (stop the other, start this one)', async () => {
    const { kernel, plane } = await openPlane();
    const cfg = { interface: 'eth0', syncId: 5, maxlen: 1400, port: 8848, ttl: 3, group: '239.1.1.1' };
    await plane.switchSyncDaemon('master', cfg);
    assert.deepEqual(
      kernel.sent.map((c) => c.cmd),
      [K.IPVS_CMD_DEL_DAEMON, K.IPVS_CMD_NEW_DAEMON],
    );
    assert.deepEqual(await plane.listSyncDaemons(), [
      {
        state: 1,
        mcastIfn: 'eth0',
        syncId: 5,
        syncMaxlen: 1400,
        mcastPort: 8848,
        mcastTtl: 3,
        mcastGroup: '239.1.1.1',
      },
    ]);
    await plane.switchSyncDaemon('backup', { interface: 'eth0' });
    assert.deepEqual(
      (await plane.listSyncDaemons()).map((d) => [d.state, d.syncId]),
      [[2, 0]],
    );
    assert.equal(await plane.stopSyncDaemon('backup'), true);
    assert.equal(await plane.stopSyncDaemon('backup'), false);
    plane.close();
  });

  void test('a kernel without IPVS: IpvsUnavailableError, once, with a reason', async () => {
    const kernel = new FakeIpvsKernel(false);
    await assert.rejects(IpvsDataPlane.open({ genl: new GenericNetlink(kernel) }), (e: unknown) => {
      assert.ok(e instanceof IpvsUnavailableError);
      assert.equal(e.reason, 'no-ipvs');
      return true;
    });
    assert.equal(kernel.closed, true, 'the socket is closed');
  });
});
