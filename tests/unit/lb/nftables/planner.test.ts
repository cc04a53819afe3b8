// The pure planner: which nf_tables operations a table change becomes, without a kernel.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EMPTY_STATE,
  planApply,
  planRemoveAll,
  type PlaneState,
} from '../../../../src/lb/nftables/planner.js';
import { describeOp, encodeOps, type NftOp } from '../../../../src/lb/nftables/ops.js';
import { NftablesUnsupportedError, realiseService } from '../../../../src/lb/nftables/realise.js';
import { hostU32, R_SERVER } from '../../../../src/lb/nftables/layout.js';
import type { Destination, LbChange, LbTable, Service, ServiceKey } from '../../../../src/lb/table/types.js';

const VIP: ServiceKey = { kind: 'address', family: 'inet', protocol: 'TCP', address: '192.0.2.10', port: 80 };
const OTHER: ServiceKey = {
  kind: 'address',
  family: 'inet',
  protocol: 'UDP',
  address: '192.0.2.10',
  port: 53,
};
const NO_ENV = { drIfindex: new Map<string, number>() };
const OPTIONS = { ingressDevices: [] };

function dest(address: string, weight = 1, extra: Partial<Destination> = {}): Destination {
  return {
    family: 'inet',
    address,
    port: 8080,
    method: 'NAT',
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
    ...extra,
  };
}

function svc(key: ServiceKey, destinations: Destination[], extra: Partial<Service> = {}): Service {
  return { key, scheduler: 'rr', schedFlags: [], onePacket: false, destinations, ...extra };
}

/** The changes that build `table` from nothing, as lb/table would list them. */
function loadChanges(table: LbTable): LbChange[] {
  return table.services.flatMap((s): LbChange[] => [
    { op: 'add-service', service: s },
    ...s.destinations.map((d): LbChange => ({ op: 'add-destination', service: s.key, destination: d })),
  ]);
}

function load(table: LbTable, env = NO_ENV, options: { ingressDevices: string[] } = OPTIONS): PlaneState {
  return planApply(EMPTY_STATE, loadChanges(table), table, env, options).state;
}

const kinds = (ops: NftOp[]): string[] => ops.map((o) => o.op);
const STRUCTURAL = ['add-table', 'delete-table', 'add-chain', 'delete-chain', 'add-set', 'delete-set'];

describe('first plan of a run', () => {
  test('replaces a previous run in the same transaction, builds the inet skeleton, then the services', () => {
    const table = { services: [svc(VIP, [dest('10.0.1.1'), dest('10.0.1.2')])] };
    const plan = planApply(EMPTY_STATE, loadChanges(table), table, NO_ENV, OPTIONS);
    const lines = plan.ops.map(describeOp);
    assert.deepEqual(lines.slice(0, 5), [
      'add table inet keepalived_ts',
      'delete table inet keepalived_ts',
      'add table netdev keepalived_ts',
      'delete table netdev keepalived_ts',
      'add table inet keepalived_ts',
    ]);
    for (const expected of [
      'add chain inet keepalived_ts prerouting',
      'add chain inet keepalived_ts output',
      'add chain inet keepalived_ts services',
      'add map inet keepalived_ts addr4',
      'add map inet keepalived_ts fwmark6',
      'add map inet keepalived_ts tcp4_192.0.2.10_80.slots',
      'add element inet keepalived_ts tcp4_192.0.2.10_80.slots (2)',
      'add chain inet keepalived_ts tcp4_192.0.2.10_80',
      'add rule inet keepalived_ts tcp4_192.0.2.10_80 (numgen lookup nat)',
      'add element inet keepalived_ts addr4 (1)',
    ]) {
      assert.ok(lines.includes(expected), `missing: ${expected}\n${lines.join('\n')}`);
    }
    assert.ok(!lines.some((l) => l.startsWith('add chain netdev')), 'no DR service: no netdev table');
    assert.equal(plan.state.started, true);
    assert.deepEqual([...plan.state.tables], ['inet']);
    // The base chains jump to `services`, which dispatches: fwmark first, as IPVS looks fwmark services up first.
    const serviceRules = plan.ops.filter((o) => o.op === 'add-rule' && o.chain === 'services');
    assert.deepEqual(
      serviceRules.map((o) => (o.op === 'add-rule' ? (o.exprs.at(-1) as { set?: string }).set : '')),
      ['fwmark4', 'fwmark6', 'addr4', 'addr6'],
    );
  });

  test('the causes name the table changes', () => {
    const table = { services: [svc(VIP, [dest('10.0.1.1')])] };
    const plan = planApply(EMPTY_STATE, loadChanges(table), table, NO_ENV, OPTIONS);
    const slotOp = plan.ops.find((o) => o.op === 'add-elements' && o.set.endsWith('.slots'));
    assert.equal(
      slotOp?.cause,
      'add-service tcp4_192.0.2.10_80; add-destination 10.0.1.1:8080 to tcp4_192.0.2.10_80',
    );
  });
});

describe('changes touch only what changed', () => {
  const three = [dest('10.0.1.1'), dest('10.0.1.2'), dest('10.0.1.3')];

  test('rr: removing a real server is element changes and the one rule with the new modulus', () => {
    const before = { services: [svc(VIP, three), svc(OTHER, [dest('10.0.2.1')])] };
    const state = load(before);
    const after = {
      services: [svc(VIP, [three[0] as Destination, three[2] as Destination]), before.services[1] as Service],
    };
    const plan = planApply(
      state,
      [{ op: 'delete-destination', service: VIP, destination: three[1] as Destination }],
      after,
      NO_ENV,
      OPTIONS,
    );
    // Rules come before elements (a verdict map's elements may name chains the same batch creates).
    assert.deepEqual(kinds(plan.ops), ['flush-chain', 'delete-elements', 'add-rule', 'add-elements']);
    assert.ok(!plan.ops.some((o) => STRUCTURAL.includes(o.op)));
    const [, del, rule, add] = plan.ops;
    // Slots [a, b, c] become [a, c]: slot 1 changes value (delete + add), slot 2 goes.
    assert.deepEqual(del?.op === 'delete-elements' && del.elements.map((e) => e.key), [
      hostU32(1),
      hostU32(2),
    ]);
    assert.deepEqual(add?.op === 'add-elements' && add.elements.map((e) => e.key), [hostU32(1)]);
    assert.equal(rule?.op === 'add-rule' && rule.exprs[0]?.kind === 'numgen' && rule.exprs[0].modulus, 2);
    assert.ok(
      plan.ops.every((o) => JSON.stringify(o).includes('tcp4_192.0.2.10_80')),
      'the UDP service is untouched',
    );
  });

  test('sh: removing a real server changes map elements only (the modulus is fixed)', () => {
    const before = { services: [svc(VIP, three, { scheduler: 'sh' })] };
    const state = load(before);
    const after = { services: [svc(VIP, three.slice(0, 2), { scheduler: 'sh' })] };
    const plan = planApply(
      state,
      [{ op: 'delete-destination', service: VIP, destination: three[2] as Destination }],
      after,
      NO_ENV,
      OPTIONS,
    );
    assert.deepEqual([...new Set(kinds(plan.ops))], ['delete-elements', 'add-elements']);
  });

  test('wrr: a weight change rewrites the slots and the modulus; weight 0 sends no new connections', () => {
    const before = { services: [svc(VIP, [dest('10.0.1.1', 2), dest('10.0.1.2', 1)], { scheduler: 'wrr' })] };
    const state = load(before);
    const quiesced = dest('10.0.1.1', 0);
    const after = { services: [svc(VIP, [quiesced, dest('10.0.1.2', 1)], { scheduler: 'wrr' })] };
    const plan = planApply(
      state,
      [{ op: 'edit-destination', service: VIP, destination: quiesced }],
      after,
      NO_ENV,
      OPTIONS,
    );
    assert.ok(!plan.ops.some((o) => STRUCTURAL.includes(o.op)));
    const realised = plan.state.services.get('tcp4_192.0.2.10_80');
    const slots = realised?.sets.find((s) => s.name.endsWith('.slots'));
    assert.equal(slots?.elements.size, 1, 'only the live server has a slot');
    assert.ok(
      [...(slots?.elements.values() ?? [])].every((e) =>
        Buffer.from(e.data as Uint8Array)
          .subarray(0, 4)
          .equals(Buffer.from([10, 0, 1, 2])),
      ),
    );
  });

  test('deleting a service removes its dispatch element, chain and maps', () => {
    const before = { services: [svc(VIP, three), svc(OTHER, [dest('10.0.2.1')])] };
    const state = load(before);
    const plan = planApply(
      state,
      [{ op: 'delete-service', key: VIP }],
      { services: [before.services[1] as Service] },
      NO_ENV,
      OPTIONS,
    );
    assert.deepEqual(plan.ops.map(describeOp), [
      'delete element inet keepalived_ts addr4 (1)',
      'delete chain inet keepalived_ts tcp4_192.0.2.10_80',
      'delete set inet keepalived_ts tcp4_192.0.2.10_80.slots',
    ]);
    assert.deepEqual([...plan.state.services.keys()], ['udp4_192.0.2.10_53']);
  });

  test('a refused service stops the plan before any operation, naming the reason', () => {
    const state = load({ services: [svc(VIP, three)] });
    const wlc = svc(VIP, three, { scheduler: 'wlc' });
    assert.throws(
      () => planApply(state, [{ op: 'edit-service', service: wlc }], { services: [wlc] }, NO_ENV, OPTIONS),
      (e: unknown) => e instanceof NftablesUnsupportedError && /lb_algo wlc .*use wrr/.test(e.message),
    );
  });
});

describe('realisations', () => {
  test('IPv6: 16-byte addresses, the port after them, dnat ip6', () => {
    const key: ServiceKey = {
      kind: 'address',
      family: 'inet6',
      protocol: 'TCP',
      address: '2001:db8::10',
      port: 443,
    };
    const r = realiseService(svc(key, [dest('2001:db8:1::1', 1, { family: 'inet6' })]), NO_ENV);
    assert.equal(r.name, 'tcp6_2001-db8--10_443');
    assert.equal(r.dispatch.map, 'addr6');
    assert.equal(r.dispatch.key.length, 24);
    const slots = r.sets[0];
    assert.equal(slots?.shape.dataLen, 20);
    const nat = r.chains[0]?.rules[0]?.at(-1);
    assert.deepEqual(nat, {
      kind: 'nat',
      type: 'dnat',
      family: 'ipv6',
      addrMin: R_SERVER,
      protoMin: R_SERVER + 4,
    });
  });

  test('fwmark: dispatched on meta mark; servers without a port keep the packet’s port', () => {
    const key: ServiceKey = { kind: 'fwmark', family: 'inet', fwmark: 7 };
    const r = realiseService(svc(key, [dest('10.0.1.1', 1, { port: 0 })]), NO_ENV);
    assert.equal(r.dispatch.map, 'fwmark4');
    assert.deepEqual(r.dispatch.key, hostU32(7));
    assert.equal(r.sets[0]?.shape.dataLen, 4);
    assert.deepEqual(r.chains[0]?.rules[0]?.at(-1), {
      kind: 'nat',
      type: 'dnat',
      family: 'ipv4',
      addrMin: R_SERVER,
    });
  });

  test('DR: the netdev table, a verdict map to a chain per server that forwards to it on its device', () => {
    const env = { drIfindex: new Map([['10.0.1.1', 3]]) };
    const table = { services: [svc(VIP, [dest('10.0.1.1', 1, { method: 'DR' })])] };
    assert.throws(() => load(table, env), /devices whose ingress/);
    const state = load(table, env, { ingressDevices: ['eth0'] });
    const r = state.services.get('tcp4_192.0.2.10_80');
    assert.equal(r?.table, 'netdev');
    assert.deepEqual(
      r?.sets.map((s) => s.name),
      ['tcp4_192.0.2.10_80.conns', 'tcp4_192.0.2.10_80.closing', 'tcp4_192.0.2.10_80.slots'],
    );
    const to = r?.chains.find((c) => c.name === 'tcp4_192.0.2.10_80.to_10.0.1.1_8080');
    // The server's address and ifindex are immediates, each in its own register, as nft(8) writes them.
    assert.deepEqual(to?.rules[0]?.slice(-3), [
      { kind: 'immediate', dreg: R_SERVER, data: Buffer.from([10, 0, 1, 1]) },
      { kind: 'immediate', dreg: R_SERVER + 1, data: hostU32(3) },
      { kind: 'fwd', devReg: R_SERVER + 1, addrReg: R_SERVER, family: 'ipv4' },
    ]);
    const slot = [...(r?.sets[2]?.elements.values() ?? [])][0];
    assert.deepEqual(slot?.data, { code: 'goto', chain: 'tcp4_192.0.2.10_80.to_10.0.1.1_8080' });
    assert.deepEqual([...state.tables].sort(), ['inet', 'netdev']);
    assert.throws(
      () => load(table, NO_ENV, { ingressDevices: ['eth0'] }),
      /not on a directly connected network/,
    );
  });
});

describe('encoding and removal', () => {
  test('every message maps back to its operation', () => {
    const table = { services: [svc(VIP, [dest('10.0.1.1')])] };
    const plan = planApply(EMPTY_STATE, loadChanges(table), table, NO_ENV, OPTIONS);
    const encoded = encodeOps(plan.ops);
    assert.equal(encoded.messages.length, plan.ops.length);
    assert.deepEqual(
      encoded.opOf,
      plan.ops.map((_, i) => i),
    );
  });

  test('removing everything is add-then-delete of our two tables and nothing else', () => {
    assert.deepEqual(planRemoveAll().ops.map(describeOp), [
      'add table inet keepalived_ts',
      'delete table inet keepalived_ts',
      'add table netdev keepalived_ts',
      'delete table netdev keepalived_ts',
    ]);
  });
});
