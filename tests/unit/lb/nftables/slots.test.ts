// Slot tables of the schedulers the nftables plane expresses, and the reasons it gives for the others.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bucketSlots,
  failoverSlots,
  HASH_BUCKETS,
  MAGLEV_SLOTS,
  maglevSlots,
  roundRobinSlots,
  slotTable,
  SlotTableError,
  weightedRoundRobinSlots,
} from '../../../../src/lb/nftables/slots.js';
import { nftablesSupport } from '../../../../src/lb/nftables/support.js';
import { LVS_SCHEDULERS } from '../../../../src/config/model/lvs/types.js';
import type { Destination, ServiceAttributes } from '../../../../src/lb/table/types.js';

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

function service(extra: Partial<ServiceAttributes> = {}): ServiceAttributes {
  return {
    key: { kind: 'address', family: 'inet', protocol: 'TCP', address: '192.0.2.1', port: 80 },
    scheduler: 'rr',
    schedFlags: [],
    onePacket: false,
    ...extra,
  };
}

function counts(slots: (number | undefined)[]): Map<number | undefined, number> {
  const out = new Map<number | undefined, number>();
  for (const s of slots) out.set(s, (out.get(s) ?? 0) + 1);
  return out;
}

describe('slot tables', () => {
  test('rr: each live server once, in table order; weight 0 takes no slot', () => {
    const t = roundRobinSlots([dest('10.0.0.1'), dest('10.0.0.2', 0), dest('10.0.0.3', 5)]);
    assert.deepEqual(t.index, { kind: 'counter', modulus: 2 });
    assert.deepEqual(t.slots, [0, 2]);
    assert.deepEqual(roundRobinSlots([dest('10.0.0.1', 0)]).slots, [undefined]);
  });

  test("wrr: IPVS's interleaved cycle, each server weight/gcd times", () => {
    const t = weightedRoundRobinSlots([dest('a', 3), dest('b', 2), dest('c', 1)]);
    // current weight 3: a; 2: a b; 1: a b c
    assert.deepEqual(t.slots, [0, 0, 1, 0, 1, 2]);
    assert.deepEqual(t.index, { kind: 'counter', modulus: 6 });
    const scaled = weightedRoundRobinSlots([dest('a', 300), dest('b', 200), dest('c', 0), dest('d', 100)]);
    assert.deepEqual(scaled.slots, [0, 0, 1, 0, 1, 3]);
    assert.throws(
      () => weightedRoundRobinSlots([dest('a', 65535), dest('b', 65534), dest('c', 1)]),
      SlotTableError,
    );
  });

  test('fo: the live server with the highest weight, the first of equals', () => {
    assert.deepEqual(failoverSlots([dest('a', 1), dest('b', 7), dest('c', 7)]).slots, [1]);
    assert.deepEqual(failoverSlots([dest('a', 0)]).slots, [undefined]);
  });

  test('sh: 256 buckets, weight buckets in a row per turn; a quiesced server refuses its buckets unless sh-fallback', () => {
    const ds = [dest('a', 2), dest('b', 1), dest('c', 0)];
    const plain = bucketSlots(ds, true, false, 'source');
    assert.equal(plain.slots.length, HASH_BUCKETS);
    assert.deepEqual(plain.slots.slice(0, 8), [0, 0, 1, undefined, 0, 0, 1, undefined]);
    const fallback = bucketSlots(ds, true, true, 'source');
    assert.ok(!fallback.slots.includes(undefined));
    assert.deepEqual(fallback.slots.slice(0, 6), [0, 0, 1, 0, 0, 1]);
    assert.deepEqual(slotTable(service({ scheduler: 'sh', schedFlags: ['sh-port'] }), ds).index, {
      kind: 'hash',
      of: 'source-port',
      modulus: HASH_BUCKETS,
    });
    // flag-1 / flag-2 are IPVS's sh-fallback / sh-port.
    const flagged = slotTable(service({ scheduler: 'sh', schedFlags: ['flag-1', 'flag-2'] }), ds);
    assert.ok(!flagged.slots.includes(undefined));
    assert.equal(flagged.index.kind === 'hash' && flagged.index.of, 'source-port');
  });

  test('dh: one bucket per server in turn, hashed on the destination', () => {
    const t = slotTable(service({ scheduler: 'dh' }), [dest('a', 5), dest('b', 1)]);
    assert.deepEqual(t.slots.slice(0, 4), [0, 1, 0, 1]);
    assert.equal(t.index.kind === 'hash' && t.index.of, 'destination');
  });

  test('mh: every slot taken, shares follow the weights, a removal moves little else', () => {
    const ds = Array.from({ length: 10 }, (_, i) => dest(`10.0.0.${i + 1}`));
    const t = maglevSlots(ds, false, false);
    assert.equal(t.slots.length, MAGLEV_SLOTS);
    assert.ok(!t.slots.includes(undefined));
    for (const [, n] of counts(t.slots)) assert.ok(Math.abs(n - MAGLEV_SLOTS / 10) <= 2, `share ${n}`);
    const weighted = maglevSlots([dest('a', 2), dest('b', 1)], false, false);
    const c = counts(weighted.slots);
    assert.ok(Math.abs((c.get(0) ?? 0) / MAGLEV_SLOTS - 2 / 3) < 0.01);
    // Remove server 3: the slots of the others mostly stay put.
    const fewer = maglevSlots(
      ds.filter((_, i) => i !== 3),
      false,
      false,
    );
    let kept = 0;
    let others = 0;
    t.slots.forEach((d, slot) => {
      if (d === 3) return;
      others++;
      const now = fewer.slots[slot] as number;
      if ((now >= 3 ? now + 1 : now) === d) kept++;
    });
    assert.ok(kept / others > 0.9, `kept ${kept}/${others}`);
    // Quiesced without mh-fallback: its slots refuse; with it, others take them.
    const quiesced = ds.map((d, i) => (i === 0 ? { ...d, weight: 0 } : d));
    assert.ok(maglevSlots(quiesced, false, false).slots.includes(undefined));
    assert.ok(!maglevSlots(quiesced, true, false).slots.includes(undefined));
  });
});

describe('nftablesSupport', () => {
  test('the expressible schedulers pass; the others name what to use instead', () => {
    const ds = [dest('10.0.0.1')];
    for (const s of ['rr', 'wrr', 'sh', 'dh', 'mh', 'fo'] as const)
      assert.equal(nftablesSupport(service({ scheduler: s }), ds), undefined);
    const alternatives: Record<string, string> = {
      lc: 'use rr',
      wlc: 'use wrr',
      sed: 'use wrr',
      nq: 'use wrr',
      lblc: 'use dh',
      lblcr: 'use dh',
      ovf: 'use fo',
      twos: 'use wrr',
    };
    for (const s of LVS_SCHEDULERS) {
      const reason = nftablesSupport(service({ scheduler: s }), ds);
      if (['rr', 'wrr', 'sh', 'dh', 'mh', 'fo'].includes(s)) continue;
      assert.ok(reason?.startsWith(`lb_algo ${s} `), `${s}: ${reason}`);
      assert.ok(reason?.includes(alternatives[s] as string), `${s}: ${reason}`);
      assert.ok(reason?.includes('IPVS data plane'));
    }
  });

  test('persistence_engine, ops, thresholds, TUN, mixed methods, DR with fwmark, mixed families are refused', () => {
    const ok = [dest('10.0.0.1')];
    assert.match(nftablesSupport(service({ persistenceEngine: 'sip' }), ok) ?? '', /^persistence_engine sip/);
    assert.match(nftablesSupport(service({ onePacket: true }), ok) ?? '', /^ops/);
    assert.match(
      nftablesSupport(service(), [dest('10.0.0.1', 1, { upperThreshold: 10 })]) ?? '',
      /uthreshold/,
    );
    assert.match(
      nftablesSupport(service(), [dest('10.0.0.1', 1, { method: 'TUN', tunnel: { type: 'ipip' } })]) ?? '',
      /^lvs_method TUN .*use NAT or DR/,
    );
    assert.match(
      nftablesSupport(service(), [dest('10.0.0.1'), dest('10.0.0.2', 1, { method: 'DR' })]) ?? '',
      /DR and NAT/,
    );
    assert.match(
      nftablesSupport(service({ key: { kind: 'fwmark', family: 'inet', fwmark: 3 } }), [
        dest('10.0.0.1', 1, { method: 'DR' }),
      ]) ?? '',
      /fwmark/,
    );
    assert.match(
      nftablesSupport(service({ key: { kind: 'fwmark', family: 'inet', fwmark: 3 } }), [
        dest('10.0.0.1'),
        dest('10.0.0.2', 1, { port: 0 }),
      ]) ?? '',
      /mix a port with none/,
    );
    assert.match(nftablesSupport(service(), [dest('2001:db8::1', 1, { family: 'inet6' })]) ?? '', /IPv6/);
    // Supported: persistence, DR, fwmark NAT with or without ports, IPv6.
    assert.equal(
      nftablesSupport(service({ persistence: { timeoutS: 300, granularity: '255.255.255.0' } }), ok),
      undefined,
    );
    assert.equal(nftablesSupport(service(), [dest('10.0.0.1', 1, { method: 'DR' })]), undefined);
    assert.equal(
      nftablesSupport(service({ key: { kind: 'fwmark', family: 'inet', fwmark: 3 } }), [
        dest('10.0.0.1', 1, { port: 0 }),
      ]),
      undefined,
    );
  });
});
