import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { diffTables } from '../../../../src/lb/table/diff.js';
import { applyChanges, ChangeRejected } from '../../../../src/lb/table/apply.js';
import { destinationId, serviceId } from '../../../../src/lb/table/desired.js';
import { VirtualServerTracker } from '../../../../src/lb/table/tracker.js';
import { resolveLbConfig } from '../../../../src/lb/table/resolve.js';
import type { Destination, LbChange, LbTable, Service, ServiceKey } from '../../../../src/lb/table/types.js';
import { LVS_SCHEDULERS, type LvsSchedFlag } from '../../../../src/config/model/lvs/types.js';
import { arbLvs } from '../../config/lvs-arbitraries.js';
import { lbConfig } from './helpers.js';

const KEY: ServiceKey = { kind: 'address', family: 'inet', protocol: 'TCP', address: '10.0.0.1', port: 80 };

function dest(address: string, weight = 1, extra: Partial<Destination> = {}): Destination {
  return {
    family: 'inet',
    address,
    port: 80,
    method: 'NAT',
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
    ...extra,
  };
}

function service(destinations: Destination[], extra: Partial<Service> = {}): Service {
  return { key: KEY, scheduler: 'wlc', schedFlags: [], onePacket: false, destinations, ...extra };
}

const ops = (changes: readonly LbChange[]): string[] =>
  changes.map((c) => {
    if (c.op === 'delete-service') return `${c.op} ${serviceId(c.key)}`;
    if (c.op === 'add-service' || c.op === 'edit-service') return `${c.op} ${serviceId(c.service.key)}`;
    return `${c.op} ${c.destination.address}:${c.destination.port}`;
  });

/** A table with its services and destinations in a fixed order, as plain data, for comparisons
 * (fast-check builds records without prototype). */
function sorted(t: LbTable): LbTable {
  return JSON.parse(JSON.stringify(sortedServices(t))) as LbTable;
}

function sortedServices(t: LbTable): LbTable {
  return {
    services: [...t.services]
      .map((s) => ({
        ...s,
        schedFlags: [...s.schedFlags].sort(),
        destinations: [...s.destinations].sort((a, b) => destinationId(a).localeCompare(destinationId(b))),
      }))
      .sort((a, b) => serviceId(a.key).localeCompare(serviceId(b.key))),
  };
}

test('identical tables: no change', () => {
  const t = { services: [service([dest('10.0.1.1'), dest('10.0.1.2')])] };
  assert.deepEqual(diffTables(t, t), []);
  assert.deepEqual(diffTables(t, structuredClone(t)), []);
});

test('a weight, a method or a threshold changes by one edit, never a delete and re-add', () => {
  const a = { services: [service([dest('10.0.1.1', 3), dest('10.0.1.2')])] };
  const weight = { services: [service([dest('10.0.1.1', 0), dest('10.0.1.2')])] };
  assert.deepEqual(ops(diffTables(a, weight)), ['edit-destination 10.0.1.1:80']);
  const method = {
    services: [service([dest('10.0.1.1', 3, { method: 'TUN', tunnel: { type: 'gre' } }), dest('10.0.1.2')])],
  };
  assert.deepEqual(ops(diffTables(a, method)), ['edit-destination 10.0.1.1:80']);
  const tunnel = {
    services: [service([dest('10.0.1.1', 3, { method: 'TUN', tunnel: { type: 'gre', checksum: 'csum' } })])],
  };
  assert.deepEqual(ops(diffTables(method, tunnel)), [
    'edit-destination 10.0.1.1:80',
    'delete-destination 10.0.1.2:80',
  ]);
  const threshold = { services: [service([dest('10.0.1.1', 3, { upperThreshold: 9 }), dest('10.0.1.2')])] };
  assert.deepEqual(ops(diffTables(a, threshold)), ['edit-destination 10.0.1.1:80']);
});

test('tunnel defaults compare equal to their spelled-out values', () => {
  const plain = { services: [service([dest('10.0.1.1', 1, { method: 'TUN' })])] };
  const spelled = {
    services: [
      service([dest('10.0.1.1', 1, { method: 'TUN', tunnel: { type: 'ipip', checksum: 'nocsum' } })]),
    ],
  };
  assert.deepEqual(diffTables(plain, spelled), []);
});

test('service attributes are edited in place; flag order and a non-persistent engine are no change', () => {
  const a = { services: [service([dest('10.0.1.1')], { schedFlags: ['flag-1', 'flag-2'] })] };
  assert.deepEqual(
    diffTables(a, { services: [service([dest('10.0.1.1')], { schedFlags: ['flag-2', 'flag-1'] })] }),
    [],
  );
  assert.deepEqual(
    diffTables(a, {
      services: [service([dest('10.0.1.1')], { schedFlags: ['flag-1', 'flag-2'], persistenceEngine: 'sip' })],
    }),
    [],
  );
  const sched = {
    services: [service([dest('10.0.1.1')], { scheduler: 'sh', schedFlags: ['flag-1', 'flag-2'] })],
  };
  assert.deepEqual(ops(diffTables(a, sched)), ['edit-service TCP inet 10.0.0.1 80']);
  const persistent = {
    services: [
      service([dest('10.0.1.1')], {
        schedFlags: ['flag-1', 'flag-2'],
        persistence: { timeoutS: 360, granularity: '255.255.255.0' },
        persistenceEngine: 'sip',
      }),
    ],
  };
  const change = diffTables(a, persistent);
  assert.deepEqual(ops(change), ['edit-service TCP inet 10.0.0.1 80']);
  assert.deepEqual(change[0], {
    op: 'edit-service',
    service: {
      key: KEY,
      scheduler: 'wlc',
      schedFlags: ['flag-1', 'flag-2'],
      onePacket: false,
      persistence: { timeoutS: 360, granularity: '255.255.255.0' },
      persistenceEngine: 'sip',
    },
  });
  const ops1 = {
    services: [service([dest('10.0.1.1')], { schedFlags: ['flag-1', 'flag-2'], onePacket: true })],
  };
  assert.deepEqual(ops(diffTables(a, ops1)), ['edit-service TCP inet 10.0.0.1 80']);
});

test('a new service comes before its destinations; a removed one goes whole, last', () => {
  const other: ServiceKey = { kind: 'fwmark', family: 'inet6', fwmark: 3 };
  const a = { services: [service([dest('10.0.1.1'), dest('10.0.1.2')])] };
  const b = {
    services: [{ ...service([dest('2001:db8::1', 1, { family: 'inet6', port: 0 })]), key: other }],
  };
  assert.deepEqual(ops(diffTables(a, b)), [
    'add-service fwmark inet6 3',
    'add-destination 2001:db8::1:0',
    'delete-service TCP inet 10.0.0.1 80',
  ]);
});

test('a destination port change is a new destination: added before the old one leaves', () => {
  const a = { services: [service([dest('10.0.1.1')])] };
  const b = { services: [service([dest('10.0.1.1', 1, { port: 8080 })])] };
  assert.deepEqual(ops(diffTables(a, b)), [
    'add-destination 10.0.1.1:8080',
    'delete-destination 10.0.1.1:80',
  ]);
});

test('the quorum lost to a sorry server: sorry server in first, then the real servers leave', () => {
  const config = lbConfig(`virtual_server 10.0.0.1 80 {
    protocol TCP
    quorum 2
    sorry_server 10.0.9.9 80
    real_server 10.0.1.1 80 { }
    real_server 10.0.1.2 80 { inhibit_on_failure }
  }`);
  const t = new VirtualServerTracker(config);
  t.start();
  const before = t.table();
  t.serverState('10.0.0.1:80/TCP -> 10.0.1.1:80', false, 1);
  const after = t.table();
  const changes = diffTables(before, after);
  assert.deepEqual(ops(changes), [
    'add-destination 10.0.9.9:80',
    'edit-destination 10.0.1.2:80',
    'delete-destination 10.0.1.1:80',
  ]);
  assert.deepEqual(sorted(applyChanges(before, changes)), sorted(after));
});

test('applyChanges refuses what the kernel refuses', () => {
  const a = { services: [service([dest('10.0.1.1')])] };
  assert.throws(() => applyChanges(a, [{ op: 'add-service', service: service([]) }]), ChangeRejected);
  assert.throws(
    () =>
      applyChanges({ services: [] }, [
        { op: 'add-destination', service: KEY, destination: dest('10.0.1.1') },
      ]),
    /no service/,
  );
  assert.throws(
    () => applyChanges(a, [{ op: 'add-destination', service: KEY, destination: dest('10.0.1.1') }]),
    /exists/,
  );
  assert.throws(
    () => applyChanges(a, [{ op: 'edit-destination', service: KEY, destination: dest('10.0.1.2') }]),
    /no destination/,
  );
  assert.throws(() => applyChanges({ services: [] }, [{ op: 'delete-service', key: KEY }]), /no service/);
});

// ---- properties ----

const arbKey: fc.Arbitrary<ServiceKey> = fc.oneof(
  fc.record({
    kind: fc.constant('address' as const),
    family: fc.constant('inet' as const),
    protocol: fc.constantFrom('TCP' as const, 'UDP' as const, 'SCTP' as const),
    address: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'),
    port: fc.constantFrom(0, 80, 443),
  }),
  fc.record({
    kind: fc.constant('fwmark' as const),
    family: fc.constantFrom('inet' as const, 'inet6' as const),
    fwmark: fc.integer({ min: 1, max: 3 }),
  }),
);

const arbDestination: fc.Arbitrary<Destination> = fc
  .record({
    address: fc.constantFrom('10.0.1.1', '10.0.1.2', '10.0.1.3', '2001:db8::1'),
    port: fc.constantFrom(0, 80, 8080),
    method: fc.constantFrom('NAT' as const, 'DR' as const, 'TUN' as const),
    gre: fc.boolean(),
    weight: fc.integer({ min: 0, max: 3 }),
    upperThreshold: fc.constantFrom(0, 100),
    lowerThreshold: fc.constantFrom(0, 10),
  })
  .map(({ gre, ...d }) => {
    const out: Destination = { ...d, family: d.address.includes(':') ? 'inet6' : 'inet' };
    if (d.method === 'TUN' && gre) out.tunnel = { type: 'gre', checksum: 'csum' };
    return out;
  });

const arbService: fc.Arbitrary<Service> = fc
  .record({
    key: arbKey,
    scheduler: fc.constantFrom(...LVS_SCHEDULERS.slice(0, 4)),
    schedFlags: fc.uniqueArray(fc.constantFrom<LvsSchedFlag>('flag-1', 'flag-2', 'flag-3'), { maxLength: 3 }),
    onePacket: fc.boolean(),
    persistence: fc.option(
      fc.record({
        timeoutS: fc.constantFrom(60, 360),
        granularity: fc.constantFrom('255.255.255.255', '255.255.0.0'),
      }),
      { nil: undefined },
    ),
    persistenceEngine: fc.option(fc.constant('sip'), { nil: undefined }),
    destinations: fc.uniqueArray(arbDestination, { maxLength: 5, selector: destinationId }),
  })
  .map((s) => {
    const out: Service = {
      key: s.key,
      scheduler: s.scheduler,
      schedFlags: s.schedFlags,
      onePacket: s.onePacket,
      destinations: s.destinations,
    };
    if (s.persistence) out.persistence = s.persistence;
    if (s.persistence && s.persistenceEngine) out.persistenceEngine = s.persistenceEngine;
    return out;
  });

const arbTable: fc.Arbitrary<LbTable> = fc
  .uniqueArray(arbService, { maxLength: 6, selector: (s) => serviceId(s.key) })
  .map((services) => ({ services }));

test('property: applying diff(A, B) to A, step by step as a kernel would, gives B; diff(A, A) is empty', () => {
  fc.assert(
    fc.property(arbTable, arbTable, (a, b) => {
      assert.deepEqual(diffTables(a, a), []);
      const changes = diffTables(a, b);
      assert.deepEqual(sorted(applyChanges(a, changes)), sorted(b));
    }),
    { numRuns: 2000 },
  );
});

test('property: the diff is minimal and never breaks before it makes', () => {
  fc.assert(
    fc.property(arbTable, arbTable, (a, b) => {
      const changes = diffTables(a, b);
      const aById = new Map(a.services.map((s) => [serviceId(s.key), s]));
      const bById = new Map(b.services.map((s) => [serviceId(s.key), s]));
      // the lower bound: each service only in B is added with its destinations, each only in A deleted
      // (its destinations with it), and in a shared service each destination only on one side costs
      // one step, as does each one that differs, plus one for changed service attributes
      let bound = 0;
      for (const [id, s] of bById) {
        const old = aById.get(id);
        if (old === undefined) {
          bound += 1 + s.destinations.length;
          continue;
        }
        const attrs = (x: Service): string =>
          JSON.stringify([
            x.scheduler,
            [...x.schedFlags].sort(),
            x.onePacket,
            x.persistence,
            x.persistenceEngine,
          ]);
        if (attrs(old) !== attrs(s)) bound += 1;
        const before = new Map(old.destinations.map((d) => [destinationId(d), JSON.stringify(d)]));
        const after = new Map(s.destinations.map((d) => [destinationId(d), JSON.stringify(d)]));
        for (const [did, d] of after) if (before.get(did) !== d) bound += 1;
        for (const did of before.keys()) if (!after.has(did)) bound += 1;
      }
      for (const id of aById.keys()) if (!bById.has(id)) bound += 1;
      assert.equal(changes.length, bound);
      // nothing deleted and re-added, no destination of a deleted service removed one by one
      const seen = new Set<string>();
      for (const c of changes) {
        const sid = serviceId(
          c.op === 'delete-service'
            ? c.key
            : c.op.endsWith('-service')
              ? (c as { service: { key: ServiceKey } }).service.key
              : (c as { service: ServiceKey }).service,
        );
        if (c.op === 'delete-destination') {
          assert.ok(bById.has(sid), 'destinations of a removed service go with it');
          assert.ok(!seen.has(`add ${sid} ${destinationId(c.destination)}`));
          seen.add(`delete ${sid}`);
        }
        if (c.op === 'add-destination') {
          assert.ok(!seen.has(`delete ${sid}`), 'adds come before deletes in a service');
          seen.add(`add ${sid} ${destinationId(c.destination)}`);
        }
        if (c.op === 'add-service') assert.ok(!aById.has(sid));
        if (c.op === 'delete-service') assert.ok(!bById.has(sid));
      }
    }),
    { numRuns: 1000 },
  );
});

test('property: random configurations and verdicts, each step diffed (whole or incrementally) and applied, match the tracker table', () => {
  const verdicts = fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.integer({ min: -2, max: 5 })), {
    maxLength: 12,
  });
  fc.assert(
    fc.property(arbLvs, verdicts, ({ groups, servers }, steps) => {
      const config = resolveLbConfig({ virtualServerGroups: groups, virtualServers: servers });
      const ids = config.virtualServers.flatMap((vs) => vs.realServers.map((rs) => rs.id));
      const t = new VirtualServerTracker(config);
      let held: LbTable = { services: [] };
      let incremental: LbTable = { services: [] };
      const step = (): void => {
        const next = t.table();
        held = applyChanges(held, diffTables(held, next));
        assert.deepEqual(sorted(held), sorted(next));
        assert.deepEqual(diffTables(held, next), []);
        // the tracker's own incremental changes lead to the same table
        incremental = applyChanges(incremental, t.takeChanges());
        assert.deepEqual(sorted(incremental), sorted(next));
        assert.deepEqual(t.takeChanges(), []);
      };
      t.start();
      step();
      for (const [pick, up, weight] of steps) {
        if (ids.length === 0) break;
        t.serverState(ids[pick % ids.length] as string, up, weight);
        step();
        // a sorry server is in at weight 1 exactly while its virtual server has lost the quorum
        config.virtualServers.forEach((vs, v) => {
          if (!vs.sorryServer || vs.services.length === 0) return;
          const first = held.services.find(
            (s) => serviceId(s.key) === serviceId((vs.services[0] as Service).key),
          );
          const sorry = first?.destinations.find(
            (d) =>
              d.address === vs.sorryServer?.address && d.weight === 1 && d.method === vs.sorryServer.method,
          );
          if (t.quorumUp(v) === false) assert.ok(sorry, `sorry server of ${vs.name} in`);
        });
      }
      t.shutdown();
      step();
      assert.deepEqual(held, { services: [] });
    }),
    { numRuns: 300 },
  );
});
