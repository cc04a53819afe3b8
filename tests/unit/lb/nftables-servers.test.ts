// Services whose rules must know the real server they chose (persistence, DR): rules per real server, so
// that every rule is one nft(8) can print, and a server's removal or return is set elements only. Each plan
// runs through a model of the kernel's reference checks (tests/helpers/nft-object-model.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_STATE, planApply, type PlaneState } from '../../../src/lb/nftables/planner.js';
import { describeOp, type NftOp } from '../../../src/lb/nftables/ops.js';
import type { ServiceRealisation } from '../../../src/lb/nftables/realise.js';
import { MAX_DEPARTED } from '../../../src/lb/nftables/server-rules.js';
import { R_KEY, serviceName } from '../../../src/lb/nftables/layout.js';
import type { Destination, LbChange, Service, ServiceKey } from '../../../src/lb/table/types.js';
import { NftObjectModel, unprintable } from '../../helpers/nft-object-model.js';

const key = (protocol: 'TCP' | 'UDP', address: string, port: number): ServiceKey => ({
  kind: 'address',
  family: address.includes(':') ? 'inet6' : 'inet',
  protocol,
  address,
  port,
});
const VIP = key('TCP', '192.0.2.10', 80);
const S = serviceName(VIP);

function dest(address: string, weight = 1, extra: Partial<Destination> = {}): Destination {
  return {
    family: address.includes(':') ? 'inet6' : 'inet',
    address,
    port: 8080,
    method: 'NAT',
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
    ...extra,
  };
}
const svc = (k: ServiceKey, destinations: Destination[], extra: Partial<Service> = {}): Service => ({
  key: k,
  scheduler: 'rr',
  schedFlags: [],
  onePacket: false,
  destinations,
  ...extra,
});
const PERSIST = { persistence: { timeoutS: 300, granularity: '255.255.255.0' } };
const addresses = (n: number, base = 1): string[] =>
  Array.from({ length: n }, (_, i) => `10.0.1.${base + i}`);
const nat = (n: number): Destination[] => addresses(n).map((a) => dest(a));
const dr = (n: number, base = 1): Destination[] =>
  addresses(n, base).map((a) => dest(a, 1, { method: 'DR' }));
const ENV = {
  drIfindex: new Map([
    ...addresses(40).map((a): [string, number] => [a, 3]),
    ...['2001:db8:1::1', '2001:db8:1::2'].map((a): [string, number] => [a, 4]),
  ]),
};

/** Applies whole tables, as the plane does, through the kernel model; checks every step. */
class Driver {
  state: PlaneState = EMPTY_STATE;
  readonly model = new NftObjectModel();
  private services = new Map<string, Service>();

  apply(...services: Service[]): NftOp[] {
    const next = new Map(services.map((s) => [serviceName(s.key), s]));
    const changes: LbChange[] = [];
    for (const [name, s] of this.services)
      if (!next.has(name)) changes.push({ op: 'delete-service', key: s.key });
    for (const [name, s] of next) {
      const was = this.services.get(name);
      if (!was) changes.push({ op: 'add-service', service: s });
      else if (JSON.stringify(was) !== JSON.stringify(s)) changes.push({ op: 'edit-service', service: s });
    }
    const plan = planApply(this.state, changes, { services }, ENV, { ingressDevices: ['eth0'] });
    this.model.apply(plan.ops);
    this.state = plan.state;
    this.services = next;
    assert.deepEqual(this.model.mismatches(this.state), []);
    for (const r of this.state.services.values())
      for (const c of r.chains)
        for (const rule of c.rules)
          assert.deepEqual(unprintable(rule), [], `${c.name}: ${JSON.stringify(rule)}`);
    return plan.ops;
  }

  realised(name = S): ServiceRealisation {
    const r = this.state.services.get(name);
    assert.ok(r, `no ${name}`);
    return r;
  }
}

const lines = (ops: NftOp[]): string[] => ops.map(describeOp);
const STRUCTURAL = ['add-table', 'delete-table', 'add-set', 'delete-set', 'add-chain', 'delete-chain'];

describe('per-server chains and sets', () => {
  test('every kind of service, and each change to it, is accepted in order and every rule is printable', () => {
    const d = new Driver();
    const v6 = ['2001:db8:1::1', '2001:db8:1::2'];
    const kinds = (n: number): Service[] => [
      svc(key('TCP', '192.0.2.10', 80), nat(n)),
      svc(key('TCP', '192.0.2.10', 81), nat(n), { scheduler: 'wrr' }),
      svc(key('TCP', '192.0.2.10', 82), nat(n), { scheduler: 'sh', schedFlags: ['sh-port'] }),
      svc(key('TCP', '192.0.2.10', 83), nat(n), { scheduler: 'dh' }),
      svc(key('TCP', '192.0.2.10', 84), nat(n), { scheduler: 'mh' }),
      svc(key('TCP', '192.0.2.10', 85), nat(n), { scheduler: 'fo' }),
      svc(key('TCP', '192.0.2.10', 86), nat(n), PERSIST),
      svc(key('TCP', '192.0.2.10', 87), nat(n), { ...PERSIST, scheduler: 'sh' }),
      svc(
        key('TCP', '2001:db8::10', 80),
        v6.slice(0, n).map((a) => dest(a)),
        { persistence: { timeoutS: 60, granularity: '64' } },
      ),
      svc(key('UDP', '192.0.2.10', 53), nat(n)),
      svc(
        { kind: 'fwmark', family: 'inet', fwmark: 5 },
        nat(n).map((x) => ({ ...x, port: 0 })),
        PERSIST,
      ),
      svc(key('TCP', '192.0.2.20', 80), dr(n)),
      svc(key('TCP', '192.0.2.20', 81), dr(n), PERSIST),
      svc(key('UDP', '192.0.2.20', 53), dr(n), { scheduler: 'mh' }),
      svc(
        key('TCP', '2001:db8::20', 80),
        v6.slice(0, n).map((a) => dest(a, 1, { method: 'DR' })),
        { persistence: { timeoutS: 60, granularity: '48' } },
      ),
    ];
    d.apply(...kinds(2));
    d.apply(...kinds(1)); // a server removed everywhere
    d.apply(...kinds(2)); // and back
    // Quiesced everywhere, then persistence toggled, then a new timeout, then everything deleted.
    const quiesced = kinds(2).map((s) => ({
      ...s,
      destinations: s.destinations.map((x, i) => (i === 0 ? { ...x, weight: 0 } : x)),
    }));
    d.apply(...quiesced);
    const whole = (s: Service): string => (s.key.family === 'inet' ? '255.255.255.255' : '128');
    d.apply(
      ...kinds(2).map((s) => ({
        ...s,
        persistence: s.persistence ? undefined : { timeoutS: 300, granularity: whole(s) },
      })),
    );
    d.apply(...kinds(2).map((s) => ({ ...s, persistence: { timeoutS: 30, granularity: whole(s) } })));
    // A DR service left without servers stays in its table, following the removed servers' connections.
    d.apply(...kinds(2).map((s) => ({ ...s, destinations: [] })));
    assert.equal(d.realised(serviceName(key('TCP', '192.0.2.20', 80))).table, 'netdev');
    d.apply();
    assert.deepEqual(d.model.mismatches(d.state), []);
  });

  test('NAT persistence (rr): per server a rule for its remembered clients, a chain the slots jump to', () => {
    const d = new Driver();
    d.apply(svc(VIP, nat(3), PERSIST));
    const r = d.realised();
    const tags = ['10.0.1.1_8080', '10.0.1.2_8080', '10.0.1.3_8080'];
    assert.deepEqual(
      r.chains.map((c) => c.name),
      [S, `${S}.schedule`, ...tags.map((t) => `${S}.to_${t}`)],
    );
    assert.deepEqual(
      r.sets.map((x) => [x.name, x.elements.size]),
      [
        [`${S}.live`, 3],
        [`${S}.persist`, 0],
        [`${S}.slots`, 3],
      ],
    );
    const server = (n: number) => [
      { kind: 'immediate', dreg: R_KEY + 1, data: Buffer.from([10, 0, 1, n]) },
      { kind: 'immediate', dreg: R_KEY + 2, data: Buffer.from([0x1f, 0x90]) },
    ];
    const client = [
      { kind: 'payload', base: 'network', offset: 12, len: 4, dreg: R_KEY },
      {
        kind: 'bitwise',
        sreg: R_KEY,
        dreg: R_KEY,
        len: 4,
        mask: Buffer.from([255, 255, 255, 0]),
        xor: Buffer.alloc(4),
      },
    ];
    const dnat = (n: number) => [
      { kind: 'immediate', dreg: 9, data: Buffer.from([10, 0, 1, n]) },
      { kind: 'immediate', dreg: 10, data: Buffer.from([0x1f, 0x90]) },
      { kind: 'nat', type: 'dnat', family: 'ipv4', addrMin: 9, protoMin: 10 },
    ];
    const update = { kind: 'dynset', set: `${S}.persist`, op: 'update', keyReg: R_KEY };
    assert.deepEqual(r.chains[0]?.rules, [
      // <rs> @live  client . <rs> @persist  update @persist  dnat to <rs>
      ...[1, 2, 3].map((n) => [
        ...client,
        ...server(n),
        { kind: 'lookup', set: `${S}.live`, sreg: R_KEY + 1 },
        { kind: 'lookup', set: `${S}.persist`, sreg: R_KEY },
        update,
        ...dnat(n),
      ]),
      // then the entries of servers no rule above took (quiesced or gone) are forgotten
      ...[1, 2, 3].map((n) => [
        ...client,
        ...server(n),
        { kind: 'dynset', set: `${S}.persist`, op: 'delete', keyReg: R_KEY },
      ]),
      [{ kind: 'verdict', verdict: { code: 'goto', chain: `${S}.schedule` } }],
    ]);
    assert.deepEqual(r.chains[1]?.rules, [
      [
        { kind: 'numgen', type: 'inc', dreg: 8, modulus: 3 },
        { kind: 'lookup', set: `${S}.slots`, sreg: 8, dreg: 0 },
      ],
    ]);
    assert.deepEqual(r.chains[2]?.rules, [[...client, ...server(1), update, ...dnat(1)]]);
    const persist = r.sets[1];
    assert.equal(persist?.shape.timeoutMs, 300_000);
    assert.equal(persist?.shape.keyLen, 12, 'masked client . server address . port');
    assert.equal(persist?.shape.dataLen, undefined, 'a set, not a map');
    assert.deepEqual(
      [...(r.sets[2]?.elements.values() ?? [])].map((e) => e.data),
      tags.map((t) => ({ code: 'goto', chain: `${S}.to_${t}` })),
    );
  });

  test('sh with persistence: a server quiesced, removed, back: set elements only', () => {
    const d = new Driver();
    const sh = { ...PERSIST, scheduler: 'sh' as const };
    d.apply(svc(VIP, nat(3), sh));
    const rules = JSON.stringify(d.realised().chains);
    const onlyElements = (ops: NftOp[]) =>
      assert.ok(
        ops.length > 0 && ops.every((o) => o.op === 'add-elements' || o.op === 'delete-elements'),
        lines(ops).join('\n'),
      );
    const quiesced = d.apply(svc(VIP, [dest('10.0.1.1'), dest('10.0.1.2', 0), dest('10.0.1.3')], sh));
    onlyElements(quiesced);
    assert.ok(quiesced.some((o) => o.op === 'delete-elements' && o.set === `${S}.live`));
    onlyElements(d.apply(svc(VIP, [dest('10.0.1.1'), dest('10.0.1.3')], sh)));
    onlyElements(d.apply(svc(VIP, nat(3), sh)));
    onlyElements(d.apply(svc(VIP, [dest('10.0.1.1', 5), dest('10.0.1.2'), dest('10.0.1.3')], sh)));
    // A server removed and back keeps its place: the rules never changed.
    d.apply(svc(VIP, nat(3), sh));
    assert.equal(JSON.stringify(d.realised().chains), rules);
  });

  test('rr with persistence: a removal changes the slots and the counter’s chain, not the service chain', () => {
    const d = new Driver();
    d.apply(svc(VIP, nat(3), PERSIST));
    const ops = d.apply(svc(VIP, [dest('10.0.1.1'), dest('10.0.1.3')], PERSIST));
    const t = 'inet keepalived_ts';
    assert.deepEqual(lines(ops), [
      `flush chain ${t} ${S}.schedule`,
      `delete element ${t} ${S}.live (1)`,
      `delete element ${t} ${S}.slots (2)`,
      `add rule ${t} ${S}.schedule (numgen lookup)`,
      `add element ${t} ${S}.slots (1)`,
    ]);
    assert.deepEqual(
      d.realised().known.map((k) => [k.tag, k.departed]),
      [
        ['10.0.1.1_8080', undefined],
        ['10.0.1.2_8080', 2],
        ['10.0.1.3_8080', undefined],
      ],
    );
  });

  test('a new persistence timeout re-creates the persistence set and the rules naming it', () => {
    const d = new Driver();
    d.apply(svc(VIP, nat(2), PERSIST));
    const ops = d.apply(svc(VIP, nat(2), { persistence: { timeoutS: 600, granularity: '255.255.255.0' } }));
    const structural = lines(ops).filter((l) => !l.startsWith('add rule'));
    const t = 'inet keepalived_ts';
    assert.deepEqual(structural, [
      `flush chain ${t} ${S}`,
      `flush chain ${t} ${S}.to_10.0.1.1_8080`,
      `flush chain ${t} ${S}.to_10.0.1.2_8080`,
      `delete set ${t} ${S}.persist`,
      `add set ${t} ${S}.persist`,
    ]);
  });

  test('DR: connections first, closing ones next, then persistence, then the scheduler', () => {
    const d = new Driver();
    d.apply(svc(VIP, dr(2), { ...PERSIST, scheduler: 'sh' }));
    const rules = d.realised().chains[0]?.rules ?? [];
    const summary = rules.map((rule) => {
      const sets = rule.flatMap((e) =>
        e.kind === 'lookup' || e.kind === 'dynset'
          ? [`${e.kind === 'dynset' ? e.op : 'in'} ${e.set.slice(S.length + 1)}`]
          : [],
      );
      const flags = rule.find((e) => e.kind === 'bitwise' && e.len === 1);
      const to = rule.find((e) => e.kind === 'fwd') ? ' fwd' : '';
      return `${flags?.kind === 'bitwise' ? `flags&${flags.mask[0]} ` : ''}${sets.join(' ')}${to}`;
    });
    assert.deepEqual(summary, [
      'flags&5 in conns delete conns add closing fwd',
      'in conns update conns fwd',
      'flags&5 in conns delete conns add closing fwd',
      'in conns update conns fwd',
      'flags&2 in closing fwd',
      'flags&2 delete closing',
      'flags&2 in closing fwd',
      'flags&2 delete closing',
      'in live in persist update persist update conns fwd',
      'in live in persist update persist update conns fwd',
      'delete persist',
      'delete persist',
      'in slots update persist update conns fwd',
      'in slots update persist update conns fwd',
    ]);
    // The connection key names the server: client address . client port . server address.
    assert.deepEqual(rules[2]?.slice(3, 6), [
      { kind: 'payload', base: 'network', offset: 12, len: 4, dreg: R_KEY },
      { kind: 'payload', base: 'transport', offset: 0, len: 2, dreg: R_KEY + 1 },
      { kind: 'immediate', dreg: R_KEY + 2, data: Buffer.from([10, 0, 1, 2]) },
    ]);
    // The hash rule: jhash(...) mod 256 . server @slots.
    assert.deepEqual(
      rules[12]?.slice(0, 4).map((e) => e.kind),
      ['payload', 'hash', 'immediate', 'lookup'],
    );
    assert.deepEqual(
      d.realised().sets.map((x) => x.name.slice(S.length)),
      ['.conns', '.closing', '.live', '.persist', '.slots'],
    );
    // UDP has no closing state.
    const udp = key('UDP', '192.0.2.10', 53);
    d.apply(svc(udp, dr(1)));
    assert.deepEqual(
      d.realised(serviceName(udp)).sets.map((x) => x.name.slice(serviceName(udp).length)),
      ['.conns', '.slots'],
    );
  });

  test('DR: a removed server departs (its connections still forwarded); its return finds them', () => {
    const d = new Driver();
    d.apply(svc(VIP, dr(3), { scheduler: 'mh' }));
    const rules = JSON.stringify(d.realised().chains);
    const removed = d.apply(
      svc(VIP, [dr(3)[0] as Destination, dr(3)[2] as Destination], { scheduler: 'mh' }),
    );
    assert.deepEqual([...new Set(removed.map((o) => o.op))].sort(), ['add-elements', 'delete-elements']);
    assert.equal(JSON.stringify(d.realised().chains), rules, 'its rules stay');
    assert.deepEqual(
      d.realised().known.map((k) => [k.tag, k.departed]),
      [
        ['10.0.1.1_8080', undefined],
        ['10.0.1.2_8080', 2],
        ['10.0.1.3_8080', undefined],
      ],
    );
    d.apply(svc(VIP, dr(3), { scheduler: 'mh' }));
    assert.equal(JSON.stringify(d.realised().chains), rules);
    assert.ok(d.realised().known.every((k) => k.departed === undefined));
  });

  test(`at most ${MAX_DEPARTED} departed servers keep their rules, the oldest dropped first`, () => {
    const d = new Driver();
    const total = MAX_DEPARTED + 3;
    const all = dr(total);
    d.apply(svc(VIP, all));
    for (let kept = total - 1; kept >= 1; kept--) d.apply(svc(VIP, all.slice(0, kept)));
    const r = d.realised();
    // Servers went from the last one down: the most recently removed are kept, the first removed are gone.
    assert.deepEqual(
      r.known.map((k) => k.tag),
      ['10.0.1.1_8080', ...addresses(MAX_DEPARTED, 2).map((a) => `${a}_8080`)],
    );
    assert.ok(!r.chains.some((c) => c.name.endsWith(`_10.0.1.${total}_8080`)));
  });

  test('deleting a DR service empties its verdict map before deleting the chains it names', () => {
    const d = new Driver();
    d.apply(svc(VIP, dr(2), PERSIST));
    const ops = d.apply();
    const t = 'netdev keepalived_ts';
    const order = lines(ops);
    assert.equal(order[0], `delete element ${t} addr4 (1)`);
    assert.equal(order[1], `flush set ${t} ${S}.slots`);
    assert.equal(order[2], `delete chain ${t} ${S}`);
    assert.ok(order.slice(3).every((l) => STRUCTURAL.some((k) => l.startsWith(k.replace('-', ' ')))));
  });
});
