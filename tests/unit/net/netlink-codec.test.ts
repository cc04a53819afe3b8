import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OutcomeTally } from '../../helpers/outcome-tally.js';
import {
  attr,
  decodeAck,
  decodeAttrs,
  decodeMessages,
  encodeAck,
  encodeAttrs,
  encodeMessage,
  errnoName,
  type AttrSpec,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_MULTI,
} from '../../../src/net/netlink/codec.js';
import { bytesToAddress } from '../../../src/common/inet.js';
import { addressBuffer, parseCidr } from '../../../src/net/netlink/ip-text.js';
import {
  addAddressRequest,
  addRouteRequest,
  addRuleRequest,
  createMacvlanRequest,
  decodeAddress,
  decodeLink,
  decodeRoute,
  decodeRtnlMessage,
  decodeRule,
  deleteAddressRequest,
  getLinksRequest,
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
} from '../../../src/net/netlink/rtnl-messages.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');

// These golden vectors assume a little-endian host (x86-64, arm64): netlink integers are host order.
void describe('netlink framing: golden bytes', () => {
  void test('RTM_GETLINK dump request', () => {
    const req = getLinksRequest();
    const bytes = encodeMessage({ ...req, seq: 1, pid: 0 });
    assert.deepEqual(
      bytes,
      hex(`20000000 1200 0103 01000000 00000000` + '00'.repeat(16)), // len 32, type 18, REQUEST|DUMP
    );
  });

  void test('string attribute is NUL-terminated and padded to 4 bytes', () => {
    assert.deepEqual(encodeAttrs([attr.str(3, 'eth0:1')]), hex('0b000300 6574 6830 3a31 00 00'));
  });

  void test('nested attributes carry their inner length; NLA_F_NESTED only on request', () => {
    const inner = [attr.u32(1, 4)];
    assert.deepEqual(encodeAttrs([attr.nested(2, inner)]), hex('0c000200 08000100 04000000'));
    assert.deepEqual(encodeAttrs([attr.nested(2, inner, true)]), hex('0c000280 08000100 04000000'));
    const decoded = decodeAttrs(hex('0c000280 08000100 04000000'));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value[0], { type: 2, nested: true, data: hex('08000100 04000000') });
  });

  void test('IPv4 VIP with broadcast and label', () => {
    const req = addAddressRequest({
      ifindex: 2,
      address: '192.168.1.10/24',
      broadcast: '192.168.1.255',
      label: 'eth0:vip',
    });
    assert.equal(req.type, RTM_NEWADDR);
    assert.equal(req.flags, 0x605); // REQUEST | ACK | EXCL | CREATE
    assert.deepEqual(
      req.payload,
      hex(
        '02 18 00 00 02000000' + // AF_INET, /24, flags 0, scope global, ifindex 2
          '08000200 c0a8010a' + // IFA_LOCAL
          '08000100 c0a8010a' + // IFA_ADDRESS
          '08000400 c0a801ff' + // IFA_BROADCAST
          '0d000300 6574 6830 3a76 6970 00 000000', // IFA_LABEL "eth0:vip"
      ),
    );
  });

  void test('IPv6 VIP: low flag bits in ifa_flags, all of them in IFA_FLAGS, lifetimes in IFA_CACHEINFO', () => {
    const req = addAddressRequest({
      ifindex: 7,
      address: '2001:db8::1/64',
      flags: IFA_F_NODAD | IFA_F_NOPREFIXROUTE,
      preferredLft: 0,
    });
    const addr = '20010db8000000000000000000000001';
    assert.deepEqual(
      req.payload,
      hex(
        '0a 40 02 00 07000000' +
          `14000200 ${addr}` +
          `14000100 ${addr}` +
          '08000800 02020000' + // IFA_FLAGS 0x202
          '14000600 00000000 ffffffff 00000000 00000000', // preferred 0, valid forever
      ),
    );
  });

  void test('delete sends only the address identity', () => {
    const req = deleteAddressRequest({
      ifindex: 2,
      address: '10.0.0.1',
      label: 'x',
      broadcast: '10.0.0.255',
    });
    assert.deepEqual(req.payload, hex('02 20 00 00 02000000 08000200 0a000001 08000100 0a000001'));
  });

  void test('macvlan VMAC in private mode', () => {
    const req = createMacvlanRequest({
      name: 'vrrp.5',
      parentIndex: 3,
      mac: '00:00:5e:00:01:05',
      mode: 'private',
    });
    assert.equal(req.type, RTM_NEWLINK);
    assert.deepEqual(
      req.payload,
      hex(
        '00 00 0000 00000000 00000000 00000000' + // ifinfomsg
          '0b000300 7672 7270 2e35 00 00' + // IFLA_IFNAME "vrrp.5"
          '08000500 03000000' + // IFLA_LINK 3
          '0a000100 00005e000105 0000' + // IFLA_ADDRESS
          '1c001200' + // IFLA_LINKINFO (28 bytes)
          '0c000100 6d61 6376 6c61 6e00' + // IFLA_INFO_KIND "macvlan"
          '0c000200 08000100 01000000', // IFLA_INFO_DATA { IFLA_MACVLAN_MODE private }
      ),
    );
  });

  void test('NLMSG_ERROR with -EEXIST and extended ack text', () => {
    const ack = encodeAck(
      { type: RTM_NEWADDR, flags: 0x605, seq: 9, pid: 4242, payload: hex('01020304') },
      17,
      'oops',
    );
    const msgs = decodeMessages(ack);
    assert.ok(msgs.ok);
    const [m] = msgs.value;
    assert.ok(m);
    assert.equal(m.type, NLMSG_ERROR);
    assert.equal(m.payload.readInt32LE(0), -17);
    const decoded = decodeAck(m);
    assert.ok(decoded.ok);
    assert.equal(decoded.value.errno, 17);
    assert.equal(errnoName(decoded.value.errno), 'EEXIST');
    assert.equal(decoded.value.request.seq, 9);
    assert.equal(decoded.value.request.pid, 4242);
    assert.equal(decoded.value.extackMessage, 'oops');
  });

  void test('hand-built ack (errno 0) decodes as success', () => {
    const bytes = hex(
      '24000000 0200 0001 05000000 00000000' + '00000000' + '10000000 1400 0506 05000000 00000000',
    );
    const msgs = decodeMessages(bytes);
    assert.ok(msgs.ok);
    const r = decodeAck(msgs.value[0]!);
    assert.ok(r.ok);
    assert.equal(r.value.errno, 0);
    assert.equal(r.value.request.type, 20);
  });

  void test('multipart dump: two link messages and DONE in one datagram', () => {
    const link = (index: number, name: string): Buffer =>
      encodeMessage({
        type: RTM_NEWLINK,
        flags: NLM_F_MULTI,
        seq: 3,
        pid: 0,
        payload: Buffer.concat([
          hex(`00 00 0100 ${Buffer.from([index, 0, 0, 0]).toString('hex')} 43100100 00000000`),
          encodeAttrs([attr.str(3, name), attr.u8(16, 6), attr.bytes(1, hex('020000000001'))]),
        ]),
      });
    const done = encodeMessage({
      type: NLMSG_DONE,
      flags: NLM_F_MULTI,
      seq: 3,
      pid: 0,
      payload: hex('00000000'),
    });
    const msgs = decodeMessages(Buffer.concat([link(1, 'lo'), link(2, 'veth0'), done]));
    assert.ok(msgs.ok);
    assert.deepEqual(
      msgs.value.map((m) => m.type),
      [RTM_NEWLINK, RTM_NEWLINK, NLMSG_DONE],
    );
    const second = decodeLink(msgs.value[1]!.payload);
    assert.ok(second.ok);
    assert.equal(second.value.index, 2);
    assert.equal(second.value.name, 'veth0');
    assert.equal(second.value.operState, 'up');
    assert.equal(second.value.up, true); // flags 0x11043: UP | BROADCAST | RUNNING | MULTICAST | LOWER_UP
    assert.equal(second.value.carrier, true);
    assert.equal(second.value.mac, '02:00:00:00:00:01');
  });
});

void describe('netlink framing: robustness', () => {
  void test('truncated and inconsistent input gives an error result', () => {
    assert.equal(decodeMessages(hex('1000')).ok, false);
    assert.equal(decodeMessages(hex('ff000000 1000 0000 00000000 00000000')).ok, false);
    assert.equal(decodeMessages(hex('08000000 1000 0000 00000000 00000000')).ok, false);
    assert.equal(decodeAttrs(hex('0200 0100')).ok, false);
    assert.equal(decodeAddress(hex('02 20')).ok, false);
    assert.equal(decodeAddress(hex('07 20 00 00 01000000')).ok, false); // not an IP family
  });

  void test('garbage never throws', () => {
    // Half the cases are random bytes, half a netlink header whose length agrees with the bytes, so that
    // the message and attribute decoders see payloads, not only the first length check.
    const framed = fc
      .tuple(fc.integer({ min: 0, max: 40 }), fc.uint8Array({ maxLength: 200 }))
      .map(([type, p]) => {
        const b = Buffer.alloc(16 + p.length);
        b.writeUInt32LE(b.length, 0);
        b.writeUInt16LE(type, 4);
        Buffer.from(p).copy(b, 16);
        return b;
      });
    const tally = new OutcomeTally();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
          framed,
        ),
        (b) => {
          const msgs = decodeMessages(b);
          tally.add(msgs.ok ? 'messages' : 'messages refused');
          tally.add(decodeAttrs(b).ok ? 'attrs' : 'attrs refused');
          for (const type of [16, 17, 20, 21, 24, 25, 32, 33]) {
            const r = decodeRtnlMessage({ type, flags: 0, seq: 0, pid: 0, payload: b.subarray(16) });
            tally.add(r.ok ? 'rtnl object' : 'rtnl refused');
          }
          if (msgs.ok) for (const m of msgs.value) if (m.type === NLMSG_ERROR) decodeAck(m);
        },
      ),
      { numRuns: 400 },
    );
    // rtnetlink objects: the fixed struct of each message type (its family IPv4 or IPv6), then random
    // attributes with the low type numbers the decoders look at.
    const STRUCT: Record<number, number> = { 16: 16, 17: 16, 20: 8, 21: 8, 24: 12, 25: 12, 32: 12, 33: 12 };
    const lowAttr = fc.record({
      type: fc.integer({ min: 0, max: 40 }),
      value: fc.uint8Array({ maxLength: 20 }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(STRUCT).map(Number)),
        fc.constantFrom(2, 10),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.array(lowAttr, { maxLength: 6 }),
        (type, family, struct, attrs) => {
          const head = Buffer.from(struct.subarray(0, STRUCT[type]));
          head[0] = family;
          const payload = Buffer.concat([head, encodeAttrs(attrs)]);
          const r = decodeRtnlMessage({ type, flags: 0, seq: 0, pid: 0, payload });
          tally.add(r.ok ? 'rtnl object' : 'rtnl refused');
        },
      ),
      { numRuns: 600 },
    );
    for (const outcome of ['messages', 'messages refused', 'rtnl object', 'rtnl refused'])
      tally.atLeast(outcome, 40);
  });
});

const attrSpec: fc.Arbitrary<AttrSpec> = fc.letrec<{ a: AttrSpec }>((tie) => ({
  a: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ type: fc.integer({ min: 0, max: 0x3fff }), value: fc.uint8Array({ maxLength: 20 }) }),
    fc.record({ type: fc.integer({ min: 0, max: 0x3fff }), value: fc.array(tie('a'), { maxLength: 3 }) }),
  ),
})).a;

function flatten(specs: AttrSpec[]): unknown[] {
  return specs.map((s) =>
    Array.isArray(s.value)
      ? { type: s.type, inner: flatten(s.value) }
      : { type: s.type, bytes: Buffer.from(s.value as Uint8Array) },
  );
}

function decodeDeep(buf: Buffer, shape: AttrSpec[]): unknown[] {
  const r = decodeAttrs(buf);
  assert.ok(r.ok);
  return r.value.map((a, i) => {
    const s = shape[i]!;
    return Array.isArray(s.value)
      ? { type: a.type, inner: decodeDeep(a.data, s.value) }
      : { type: a.type, bytes: a.data };
  });
}

void describe('netlink framing: round trips', () => {
  void test('attributes (nested, any length) survive encode/decode', () => {
    fc.assert(
      fc.property(fc.array(attrSpec, { maxLength: 5 }), (specs) => {
        const buf = encodeAttrs(specs);
        assert.equal(buf.length % 4, 0);
        assert.deepEqual(decodeDeep(buf, specs), flatten(specs));
      }),
      { numRuns: 200 },
    );
  });

  void test('messages survive encode/decode, several per datagram', () => {
    const msg = fc.record({
      type: fc.integer({ min: 0, max: 0xffff }),
      flags: fc.integer({ min: 0, max: 0xffff }),
      seq: fc.integer({ min: 0, max: 0xffffffff }),
      pid: fc.integer({ min: 0, max: 0xffffffff }),
      payload: fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
    });
    fc.assert(
      fc.property(fc.array(msg, { maxLength: 4 }), (msgs) => {
        const r = decodeMessages(Buffer.concat(msgs.map(encodeMessage)));
        assert.ok(r.ok);
        assert.deepEqual(
          r.value,
          msgs.map((m) => ({ ...m })),
        );
      }),
    );
  });

  void test('netlink address Buffers: bad text throws (the text itself is tested in common/inet)', () => {
    assert.ok(Buffer.isBuffer(addressBuffer('2001:db8::1')));
    assert.equal(addressBuffer('10.0.0.1').toString('hex'), '0a000001');
    assert.throws(() => addressBuffer('1:2:3:4:5:6:7:8:9'));
    assert.throws(() => addressBuffer('256.1.1.1'));
    assert.throws(() => parseCidr('10.0.0.0/33'));
  });

  const ipv4 = fc.ipV4();
  const ipv6 = fc.ipV6().map((t) => bytesToAddress(addressBuffer(t))!);

  void test('address spec -> RTM_NEWADDR -> AddressInfo', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({
            address: ipv4,
            prefixLen: fc.integer({ min: 0, max: 32 }),
            ifindex: fc.integer({ min: 1, max: 0x7fffffff }),
            broadcast: fc.option(ipv4, { nil: undefined }),
            label: fc.option(fc.stringMatching(/^[a-z0-9:.]{1,15}$/), { nil: undefined }),
            flags: fc.constant(0),
          }),
          fc.record({
            address: ipv6,
            prefixLen: fc.integer({ min: 0, max: 128 }),
            ifindex: fc.integer({ min: 1, max: 0x7fffffff }),
            broadcast: fc.constant(undefined),
            label: fc.constant(undefined),
            flags: fc.integer({ min: 0, max: 0xfff }),
          }),
        ),
        (s) => {
          const req = addAddressRequest({ ...s, address: `${s.address}/${s.prefixLen}` });
          const r = decodeAddress(req.payload);
          assert.ok(r.ok);
          assert.equal(r.value.address, s.address);
          assert.equal(r.value.prefixLen, s.prefixLen);
          assert.equal(r.value.ifindex, s.ifindex);
          assert.equal(r.value.broadcast, s.broadcast);
          assert.equal(r.value.label, s.label);
          assert.equal(r.value.flags, s.flags);
        },
      ),
    );
  });

  void test('route spec -> RTM_NEWROUTE -> RouteInfo', () => {
    fc.assert(
      fc.property(
        ipv4,
        fc.integer({ min: 1, max: 32 }),
        fc.option(ipv4, { nil: undefined }),
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.constantFrom('unicast', 'blackhole', 'unreachable', 'prohibit' as const),
        fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
        (dst, len, gateway, table, type, priority) => {
          const r = decodeRoute(
            addRouteRequest({ dst: `${dst}/${len}`, gateway, table, type, priority, oif: 4 }).payload,
          );
          assert.ok(r.ok);
          assert.equal(r.value.dst, `${dst}/${len}`); // dst bits beyond the prefix are kept as given
          assert.equal(r.value.gateway, gateway);
          assert.equal(r.value.table, table);
          assert.equal(r.value.type, type);
          assert.equal(r.value.priority, priority);
          assert.equal(r.value.oif, 4);
          assert.equal(r.value.scope, type === 'unicast' && !gateway ? 'link' : 'global');
        },
      ),
    );
    const mp = decodeRoute(
      addRouteRequest({
        dst: '2001:db8::/32',
        nexthops: [
          { gateway: 'fe80::1', oif: 2, weight: 3 },
          { gateway: 'fe80::2', oif: 3 },
        ],
      }).payload,
    );
    assert.ok(mp.ok);
    assert.deepEqual(mp.value.nexthops, [
      { gateway: 'fe80::1', oif: 2, weight: 3 },
      { gateway: 'fe80::2', oif: 3, weight: 1 },
    ]);
    const def = decodeRoute(addRouteRequest({ dst: 'default', gateway: '2001:db8::1' }).payload);
    assert.ok(def.ok);
    assert.equal(def.value.dst, '::/0');
  });

  void test('rule spec -> RTM_NEWRULE -> RuleInfo', () => {
    const spec = {
      from: '10.1.0.0/16',
      to: '192.168.0.0/24',
      priority: 100,
      table: 1000,
      fwmark: 7,
      fwmask: 0xff,
      iif: 'eth0',
      oif: 'eth1',
      invert: true,
      sport: { start: 1000, end: 2000 },
      dport: { start: 80, end: 80 },
      uidRange: { start: 0, end: 999 },
      ipProto: 6,
      protocol: 18,
      suppressPrefixLength: 0,
    };
    const r = decodeRule(addRuleRequest(spec).payload);
    assert.ok(r.ok);
    assert.deepEqual(r.value, { ...spec, family: 4, action: 'table', flags: 2 });
    const g = decodeRule(addRuleRequest({ family: 6, priority: 5, action: 'goto', goto: 200 }).payload);
    assert.ok(g.ok);
    assert.deepEqual(g.value, { family: 6, priority: 5, action: 'goto', goto: 200, table: 0, flags: 0 });
    const bh = decodeRule(addRuleRequest({ to: '2001:db8::/48', action: 'blackhole' }).payload);
    assert.ok(bh.ok);
    assert.equal(bh.value.action, 'blackhole');
    assert.equal(bh.value.to, '2001:db8::/48');
  });

  void test('macvlan request decodes as a macvlan link', () => {
    const r = decodeLink(
      createMacvlanRequest({ name: 'vrrp.51', parentIndex: 9, mac: '00:00:5e:00:01:33', mode: 'bridge' })
        .payload,
    );
    assert.ok(r.ok);
    assert.equal(r.value.name, 'vrrp.51');
    assert.equal(r.value.parentIndex, 9);
    assert.equal(r.value.mac, '00:00:5e:00:01:33');
    assert.equal(r.value.kind, 'macvlan');
    assert.equal(r.value.macvlanMode, 'bridge');
  });
});
