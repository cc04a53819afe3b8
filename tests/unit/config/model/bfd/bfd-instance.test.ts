// bfd_instance blocks: keepalived's keywords, defaults, ranges and messages (bfd_parser.c), the
// references to them (track_bfd, BFD_CHECK), and the printed form reading back to the same model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { printBfdInstance, type BfdInstance } from '../../../../../src/config/model/bfd/bfd-instance.js';
import { build, stripLocations } from '../../model-helpers.js';

const bfd = (body: string, name = 'b1') => `bfd_instance ${name} {\n${body}\n}\n`;

void describe('bfd_instance', () => {
  void test('defaults: 10 ms rx/tx, 1 s idle, multiplier 5, TTL 255 (IPv4) or hop limit 64 (IPv6)', () => {
    const { model, messages } = build(
      bfd('  neighbor_ip 10.0.0.2') + bfd('  neighbour_ip fe80::2\n  source_ip fe80::1', 'b6'),
    );
    assert.deepEqual(messages, []);
    assert.deepEqual(stripLocations(model.bfd), [
      {
        name: 'b1',
        neighbor: { family: 4, address: '10.0.0.2' },
        minRxMs: 10,
        minTxMs: 10,
        idleTxMs: 1000,
        multiplier: 5,
        passive: false,
        ttl: 255,
        maxHops: 0,
        multihop: false,
        weight: 0,
        weightReverse: false,
        notifyVrrp: true,
        notifyChecker: true,
      },
      {
        name: 'b6',
        neighbor: { family: 6, address: 'fe80::2' },
        source: { family: 6, address: 'fe80::1' },
        minRxMs: 10,
        minTxMs: 10,
        idleTxMs: 1000,
        multiplier: 5,
        passive: false,
        ttl: 64,
        maxHops: 0,
        multihop: false,
        weight: 0,
        weightReverse: false,
        notifyVrrp: true,
        notifyChecker: true,
      },
    ]);
    assert.deepEqual(
      model.bfdInstances.map((b) => b.name),
      ['b1', 'b6'],
    );
  });

  void test('every keyword, decimal milliseconds and scoping to one child', () => {
    const { model, messages } = build(
      bfd(
        [
          '  neighbor_ip 192.0.2.7',
          '  source_ip 192.0.2.1',
          '  min_rx 50.5',
          '  min_tx 1.125',
          '  idle_tx 2000',
          '  multiplier 3',
          '  passive',
          '  hoplimit 200',
          '  max_hops 10',
          '  multihop',
          '  weight -20 reverse',
          '  vrrp',
        ].join('\n'),
      ),
    );
    assert.deepEqual(messages, []);
    const b = model.bfd[0]!;
    assert.deepEqual(stripLocations(b), {
      name: 'b1',
      neighbor: { family: 4, address: '192.0.2.7' },
      source: { family: 4, address: '192.0.2.1' },
      minRxMs: 50.5,
      minTxMs: 1.125,
      idleTxMs: 2000,
      multiplier: 3,
      passive: true,
      ttl: 200,
      maxHops: 10,
      multihop: true,
      weight: -20,
      weightReverse: true,
      notifyVrrp: true,
      notifyChecker: false,
    });
    assert.equal(model.bfd.length, 1);
  });

  void test('values out of range are reported with keepalived words and the default is kept', () => {
    const { model, messages } = build(
      bfd(
        [
          '  neighbor_ip 10.0.0.2',
          '  min_rx 0',
          '  min_tx 4294968',
          '  idle_tx 500',
          '  multiplier 300',
          '  ttl 0',
          '  max_hops 300',
          '  multihop maybe',
          '  weight 254 backwards',
          '  min_rx 2000',
          '  idle_tx 20000',
          '  min_tx 1.2345',
          '  bogus 1',
        ].join('\n'),
      ),
    );
    assert.deepEqual(messages, [
      'test.conf:3: error: min_rx: BFD instance b1 min_rx value 0 is not valid (must be in range [1-4294967]), ignoring',
      'test.conf:4: error: min_tx: BFD instance b1 min_tx value 4294968 is not valid (must be in range [1-4294967]), ignoring',
      'test.conf:5: error: idle_tx: BFD instance b1 idle_tx value 500 is not valid (must be in range [1000-4294967]), ignoring',
      'test.conf:6: error: multiplier: BFD instance b1 multiplier value 300 not valid (must be in range [1-255]), ignoring',
      'test.conf:7: error: ttl: BFD instance b1 ttl/hoplimit value 0 not valid (must be in range [1-255]), ignoring',
      'test.conf:8: error: max_hops: BFD instance b1 max_hops value 300 not valid (must be in range [-1-255]), ignoring',
      'test.conf:9: error: multihop: BFD instance b1 multihop setting not valid - maybe',
      'test.conf:10: error: weight: BFD instance b1 weight value 254 not valid (must be in range [-253-253]), ignoring',
      'test.conf:10: error: weight: BFD instance b1 unknown weight option backwards',
      'test.conf:11: warning: min_rx: BFD instance b1 min_rx value 2000 is larger than max sensible (1000)',
      'test.conf:12: warning: idle_tx: BFD instance b1 idle_tx value 20000 is larger than max sensible (10000)',
      'test.conf:13: error: min_tx: BFD instance b1 min_tx value 1.2345 is not valid (must be in range [1-4294967]), ignoring',
      'test.conf:14: warning: bogus: unknown keyword in bfd_instance, ignored',
    ]);
    const b = model.bfd[0]!;
    assert.equal(b.minRxMs, 2000);
    assert.equal(b.minTxMs, 10);
    assert.equal(b.idleTxMs, 20000);
    assert.equal(b.multiplier, 5);
    assert.equal(b.ttl, 255);
    assert.equal(b.maxHops, 0);
    assert.equal(b.weight, 0);
  });

  void test('instances keepalived disables, with its messages', () => {
    const { model, messages } = build(
      bfd('  source_ip 10.0.0.1', 'b2') +
        bfd('  neighbor_ip 10.0.0.2\n  source_ip fe80::1', 'b3') +
        bfd('  neighbor_ip 10.0.0.2', 'b1') +
        bfd('  neighbour_ip 10.0.0.2', 'b4') +
        bfd('  neighbor_ip 10.0.0.9', 'b1') +
        bfd('  neighbor_ip 10.0.0.300\n  min_rx 0', 'b5') +
        bfd('  neighbor_ip 10.0.0.7', 'a'.repeat(32)) +
        bfd('  neighbor_ip 10.0.0.2\n  source_ip 10.0.0.1', 'b7') +
        bfd('  neighbor_ip 10.0.0.2\n  source_ip 10.0.0.1', 'b8') +
        bfd('  neighbor_ip 10.0.0.2\n  multihop', 'b9') +
        bfd('  neighbor_ip fe80::9\n  max_hops 100', 'b10'),
    );
    assert.deepEqual(messages, [
      'test.conf:1: error: bfd_instance: BFD instance b2 has no neighbor address set, disabling instance',
      'test.conf:4: error: bfd_instance: BFD instance b3 source address fe80::1 and neighbor address 10.0.0.2 are not of the same family, disabling instance',
      'test.conf:11: error: bfd_instance: BFD instance b4 has duplicate neighbor address 10.0.0.2, ignoring instance',
      'test.conf:14: error: bfd_instance: BFD instance b1 already configured at test.conf:8 - ignoring',
      'test.conf:18: error: neighbor_ip: BFD instance b5 has malformed neighbor address 10.0.0.300, ignoring instance',
      `test.conf:21: error: bfd_instance: BFD instance ${'a'.repeat(32)} name too long (maximum length is 31 characters) - ignoring`,
      'test.conf:28: error: bfd_instance: BFD instance b8 has duplicate source/neighbor address 10.0.0.1/10.0.0.2, ignoring instance',
      'test.conf:36: error: bfd_instance: BFD instance b10: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit',
    ]);
    assert.deepEqual(
      model.bfd.map((b) => b.name),
      ['b1', 'b7', 'b9', 'b10'],
    );
    assert.equal(model.bfd[3]!.maxHops, 64);
  });

  void test('track_bfd and BFD_CHECK resolve against bfd_instance names', () => {
    const vrrp = `vrrp_instance V {\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n    10.9.9.9\n  }\n  track_bfd {\n    b1 weight 10\n    nope\n  }\n}\n`;
    const vs = `virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_sched rr\n  lvs_method NAT\n  real_server 10.0.0.2 80 {\n    BFD_CHECK {\n      name b1\n    }\n    BFD_CHECK {\n      name nope\n    }\n  }\n}\n`;
    const { model, messages } = build(bfd('  neighbor_ip 10.0.0.2') + vrrp + vs);
    assert.deepEqual(messages, [
      "test.conf:12: warning: track_bfd: (V) bfd_instance 'nope' is not defined, ignored",
      'test.conf:23: error: BFD_CHECK: bfd_instance nope not configured',
    ]);
    assert.deepEqual(
      model.instances[0]!.track.bfds.map((t) => [t.name, t.weight]),
      [['b1', 10]],
    );
  });

  void test('print then read back gives the same instance (property)', () => {
    const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
    const ms = (min: number, max: number) =>
      fc.integer({ min: min * 1000, max: max * 1000 }).map((us) => us / 1000);
    const arb = fc.record({
      neighbor: ip4,
      source: fc.option(ip4, { nil: undefined }),
      minRxMs: ms(1, 5000),
      minTxMs: ms(1, 5000),
      idleTxMs: ms(1000, 20000),
      multiplier: fc.integer({ min: 1, max: 255 }),
      passive: fc.boolean(),
      ttl: fc.integer({ min: 1, max: 255 }),
      maxHopsSeed: fc.integer({ min: -1, max: 255 }),
      multihop: fc.boolean(),
      weight: fc.integer({ min: -253, max: 253 }),
      weightReverse: fc.boolean(),
      scope: fc.constantFrom('both', 'vrrp', 'checker'),
    });
    fc.assert(
      fc.property(arb, (r) => {
        const b: BfdInstance = {
          name: 'bx',
          location: { file: 'test.conf', line: 1 },
          neighbor: { family: 4, address: r.neighbor },
          source: r.source === undefined ? undefined : { family: 4, address: r.source },
          minRxMs: r.minRxMs,
          minTxMs: r.minTxMs,
          idleTxMs: r.idleTxMs,
          multiplier: r.multiplier,
          passive: r.passive,
          ttl: r.ttl,
          maxHops: Math.min(r.maxHopsSeed, r.ttl),
          multihop: r.multihop,
          weight: r.weight,
          weightReverse: r.weightReverse,
          notifyVrrp: r.scope !== 'checker',
          notifyChecker: r.scope !== 'vrrp',
        };
        const text = printBfdInstance(b).join('\n') + '\n';
        const { model, messages } = build(text);
        const sensible = messages.filter((m) => !m.includes('larger than max sensible'));
        assert.deepEqual(sensible, []);
        assert.deepEqual(stripLocations(model.bfd), [stripLocations(b)]);
      }),
      { numRuns: 200 },
    );
  });
});
