// The kernel's IPVS answers, decoded from bytes derived by hand from the kernel's writers
// (net/netfilter/ipvs/ip_vs_ctl.c: ip_vs_genl_fill_service, _fill_dest, _fill_daemon, _fill_stats,
// _fill_stats64, ip_vs_genl_get_cmd): the attribute order and widths below are theirs.
// Little-endian host assumed (x86-64, arm64): no PAD attributes before 64-bit counters there.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessages, NLMSG_DONE } from '../../../../src/net/netlink/codec.js';
import { decodeGenlMessage } from '../../../../src/net/netlink/genetlink.js';
import { decodeIpvsReply, type IpvsReply } from '../../../../src/lb/ipvs/messages.js';
import { decodeStats } from '../../../../src/lb/ipvs/stats.js';
import { destinationFromWire, serviceFromWire } from '../../../../src/lb/ipvs/table-wire.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/#[^\n]*/g, '').replace(/[^0-9a-f]/gi, ''), 'hex');

/** Every message of a datagram through the three decoders; throws on the first failure. */
function replies(datagram: Buffer, serviceAf?: number): IpvsReply[] {
  const msgs = decodeMessages(datagram);
  assert.ok(msgs.ok, msgs.ok ? '' : msgs.error);
  return msgs.value
    .filter((m) => m.type !== NLMSG_DONE)
    .map((m) => {
      const g = decodeGenlMessage(m);
      assert.ok(g.ok, g.ok ? '' : g.error);
      const r = decodeIpvsReply(g.value, serviceAf);
      assert.ok(r.ok, r.ok ? '' : `${r.stage}: ${r.error}`);
      return r.value;
    });
}

// conns 5, inpkts 20, outpkts 18, inbytes 1500, outbytes 9000, cps 1, inpps 2, outpps 3, inbps 400, outbps 500
const STATS32 = `
  5c00 0a00                          # SVC_ATTR_STATS (10) / DEST_ATTR_STATS (10), len 4 + 88
    0800 0100 05000000               #   CONNS (1): u32 5
    0800 0200 14000000               #   INPKTS (2): u32 20
    0800 0300 12000000               #   OUTPKTS (3): u32 18
    0c00 0400 dc05000000000000       #   INBYTES (4): u64 1500 = 0x5dc
    0c00 0500 2823000000000000       #   OUTBYTES (5): u64 9000 = 0x2328
    0800 0600 01000000               #   CPS (6)
    0800 0700 02000000               #   INPPS (7)
    0800 0800 03000000               #   OUTPPS (8)
    0800 0900 90010000               #   INBPS (9): 400 = 0x190
    0800 0a00 f4010000               #   OUTBPS (10): 500 = 0x1f4
`;
const STATS64 = `
  7c00 0c00                          # SVC_ATTR_STATS64 (12) / DEST_ATTR_STATS64 (12), len 4 + 10 x 12
    0c00 0100 0500000000000000
    0c00 0200 1400000000000000
    0c00 0300 1200000000000000
    0c00 0400 dc05000000000000
    0c00 0500 2823000000000000
    0c00 0600 0100000000000000
    0c00 0700 0200000000000000
    0c00 0800 0300000000000000
    0c00 0900 9001000000000000
    0c00 0a00 f401000000000000
`;
const STATS_VALUES = {
  conns: 5n,
  inpkts: 20n,
  outpkts: 18n,
  inbytes: 1500n,
  outbytes: 9000n,
  cps: 1n,
  inpps: 2n,
  outpps: 3n,
  inbps: 400n,
  outbps: 500n,
};

void describe('IPVS dump answers: golden bytes', () => {
  void test('a GET_SERVICE dump: one NEW_SERVICE per service (HASHED set, counters), then DONE', () => {
    const datagram = hex(`
      40010000 2300 0200 01000000 34120000   # len 320 = 16 + 4 + 300, NLM_F_MULTI, seq 1, port 0x1234
      01 01 0000                             # IPVS_CMD_NEW_SERVICE (the dump's answer), version 1
      2c01 0100                              # CMD_ATTR_SERVICE, len 4 + 80 + 92 + 124 = 300
        0600 0100 0200 0000                  #   AF: AF_INET
        0600 0200 0600 0000                  #   PROTOCOL: TCP
        1400 0300 0a000001 00000000 00000000 00000000   # ADDR: sizeof(union nf_inet_addr) = 16
        0600 0400 0050 0000                  #   PORT: be16 80
        0800 0600 776c6300                   #   SCHED_NAME "wlc"
        0c00 0700 02000000 ffffffff          #   FLAGS: IP_VS_SVC_F_HASHED (2), mask ~0
        0800 0800 00000000                   #   TIMEOUT: svc->timeout / HZ = 0
        0800 0900 ffffffff                   #   NETMASK: be32 255.255.255.255
        ${STATS32}
        ${STATS64}
      14000000 0300 0200 01000000 34120000   # NLMSG_DONE, NLM_F_MULTI, len 20
      00000000                               # status 0
    `);
    const [r] = replies(datagram);
    assert.deepEqual(r, {
      kind: 'service',
      service: {
        af: 2,
        protocol: 6,
        address: '10.0.0.1',
        port: 80,
        schedName: 'wlc',
        flags: 2,
        flagsMask: 0xffffffff,
        timeout: 0,
        netmask: 0xffffffff,
        stats: STATS_VALUES,
        stats64: STATS_VALUES,
      },
    });
    assert.ok(r?.kind === 'service');
    assert.deepEqual(serviceFromWire(r.service), {
      key: { kind: 'address', family: 'inet', protocol: 'TCP', address: '10.0.0.1', port: 80 },
      scheduler: 'wlc',
      schedFlags: [],
      onePacket: false,
    });
  });

  void test('a persistent IPv6 fwmark service with an engine and sh flags, back in table terms', () => {
    const [r] = replies(
      hex(`
      54000000 2300 0200 02000000 00000000   # len 84 = 16 + 4 + 64
      01 01 0000
      4000 0100                              # service nest, len 4 + 60
        0600 0100 0a00 0000                  #   AF: AF_INET6
        0800 0500 07000000                   #   FWMARK: 7
        0700 0600 736800 00                  #   SCHED_NAME "sh"
        0800 0b00 73697000                   #   PE_NAME "sip"
        0c00 0700 1b000000 ffffffff          #   FLAGS: HASHED|PERSISTENT|SCHED1|SCHED2 = 0x1b
        0800 0800 78000000                   #   TIMEOUT: 120
        0800 0900 30000000                   #   NETMASK: prefix 48 (IPv6: host order)
    `),
    );
    assert.ok(r?.kind === 'service');
    assert.deepEqual(r.service, {
      af: 10,
      fwmark: 7,
      schedName: 'sh',
      peName: 'sip',
      flags: 0x1b,
      flagsMask: 0xffffffff,
      timeout: 120,
      netmask: 48,
    });
    assert.deepEqual(serviceFromWire(r.service), {
      key: { kind: 'fwmark', family: 'inet6', fwmark: 7 },
      scheduler: 'sh',
      schedFlags: ['sh-fallback', 'sh-port'],
      onePacket: false,
      persistence: { timeoutS: 120, granularity: '48' },
      persistenceEngine: 'sip',
    });
  });

  void test('a GET_DEST dump answer (kernel 5.3+: tunnel attributes, ADDR_FAMILY after the counts)', () => {
    const [r] = replies(
      hex(`
      64010000 2300 0200 03000000 00000000   # len 356 = 16 + 4 + 336
      05 01 0000                             # IPVS_CMD_NEW_DEST
      5001 0200                              # CMD_ATTR_DEST, len 4 + 116 + 92 + 124 = 336
        1400 0100 c0a80102 00000000 00000000 00000000   # ADDR 192.168.1.2
        0600 0200 1f90 0000                  #   PORT: be16 8080
        0800 0300 00000000                   #   FWD_METHOD: MASQ
        0800 0400 03000000                   #   WEIGHT 3
        0500 0d00 00 000000                  #   TUN_TYPE: u8 0
        0600 0e00 0000 0000                  #   TUN_PORT: be16 0
        0600 0f00 0000 0000                  #   TUN_FLAGS: u16 0
        0800 0500 64000000                   #   U_THRESH 100
        0800 0600 0a000000                   #   L_THRESH 10
        0800 0700 04000000                   #   ACTIVE_CONNS 4
        0800 0800 07000000                   #   INACT_CONNS 7
        0800 0900 00000000                   #   PERSIST_CONNS 0
        0600 0b00 0200 0000                  #   ADDR_FAMILY: AF_INET
        ${STATS32}
        ${STATS64}
    `),
    );
    assert.ok(r?.kind === 'destination');
    assert.deepEqual(r.destination, {
      af: 2,
      address: '192.168.1.2',
      port: 8080,
      fwdMethod: 0,
      weight: 3,
      uThreshold: 100,
      lThreshold: 10,
      activeConns: 4,
      inactConns: 7,
      persistConns: 0,
      tunType: 0,
      tunPort: 0,
      tunFlags: 0,
      stats: STATS_VALUES,
      stats64: STATS_VALUES,
    });
    assert.deepEqual(destinationFromWire(r.destination), {
      family: 'inet',
      address: '192.168.1.2',
      port: 8080,
      method: 'NAT',
      weight: 3,
      upperThreshold: 100,
      lowerThreshold: 10,
    });
  });

  void test('without ADDR_FAMILY (kernels before 4.2) the service family is used; a GUE tunnel decodes', () => {
    const [r] = replies(
      hex(`
      6c000000 2300 0200 04000000 00000000   # len 108 = 16 + 4 + 88
      05 01 0000
      5800 0200                              # dest nest, len 4 + 20 + 8 x 8
        1400 0100 20010db8 00000000 00000000 00000010   # ADDR 2001:db8::10
        0600 0200 0000 0000                  #   PORT 0
        0800 0300 02000000                   #   FWD_METHOD: TUNNEL
        0800 0400 01000000                   #   WEIGHT 1
        0500 0d00 01 000000                  #   TUN_TYPE: GUE
        0600 0e00 17c0 0000                  #   TUN_PORT: be16 6080
        0600 0f00 0200 0000                  #   TUN_FLAGS: REMCSUM (2)
        0800 0500 00000000
        0800 0600 00000000
    `),
      10,
    );
    assert.ok(r?.kind === 'destination');
    assert.equal(r.destination.af, 10);
    assert.equal(r.destination.address, '2001:db8::10');
    assert.deepEqual(destinationFromWire(r.destination)?.tunnel, {
      type: 'gue',
      port: 6080,
      checksum: 'remcsum',
    });
  });

  void test('GET_DAEMON, GET_CONFIG and GET_INFO answers', () => {
    const [daemon] = replies(
      hex(`
      4c000000 2300 0200 05000000 00000000   # len 76 = 16 + 4 + 56
      09 01 0000                             # IPVS_CMD_NEW_DAEMON
      3800 0300                              # CMD_ATTR_DAEMON, len 4 + 52
        0800 0100 02000000                   #   STATE: BACKUP
        0900 0200 65746830 00 000000         #   MCAST_IFN "eth0"
        0800 0300 07000000                   #   SYNC_ID 7
        0600 0400 c005 0000                  #   SYNC_MAXLEN 1472
        0600 0700 9022 0000                  #   MCAST_PORT 8848
        0500 0800 01 000000                  #   MCAST_TTL 1
    `),
    );
    assert.deepEqual(daemon, {
      kind: 'daemon',
      daemon: { state: 2, mcastIfn: 'eth0', syncId: 7, syncMaxlen: 1472, mcastPort: 8848, mcastTtl: 1 },
    });
    const [config] = replies(
      hex(`
      2c000000 2300 0000 06000000 00000000   # len 44, no flags (a single answer)
      0c 01 0000                             # IPVS_CMD_SET_CONFIG: GET_CONFIG's answer
      0800 0400 84030000                     # TIMEOUT_TCP 900
      0800 0500 78000000                     # TIMEOUT_TCP_FIN 120
      0800 0600 2c010000                     # TIMEOUT_UDP 300
    `),
    );
    assert.deepEqual(config, { kind: 'timeouts', timeouts: { tcp: 900, tcpFin: 120, udp: 300 } });
    const [info] = replies(
      hex(`
      24000000 2300 0000 07000000 00000000   # len 36 = 16 + 4 + 16
      0e 01 0000                             # IPVS_CMD_SET_INFO: GET_INFO's answer
      0800 0100 01020100                     # INFO_ATTR_VERSION: 0x010201 (1.2.1)
      0800 0200 00100000                     # INFO_ATTR_CONN_TAB_SIZE: 4096
    `),
    );
    assert.deepEqual(info, { kind: 'info', info: { version: 0x010201, connTabSize: 4096 } });
  });

  void test('counters after PAD attributes (architectures that align 64-bit values)', () => {
    const stats = decodeStats({
      type: 10,
      nested: false,
      data: hex(`
        0800 0100 05000000  0800 0200 14000000  0800 0300 12000000
        0400 0b00                            # IPVS_STATS_ATTR_PAD (11), empty
        0c00 0400 dc05000000000000
        0400 0b00
        0c00 0500 2823000000000000
        0800 0600 01000000  0800 0700 02000000  0800 0800 03000000  0800 0900 90010000  0800 0a00 f4010000
      `),
    });
    assert.ok(stats.ok);
    assert.deepEqual(stats.value, STATS_VALUES);
  });

  void test('answers that make no sense say at which stage', () => {
    const stage = (payloadHex: string): string => {
      const g = decodeGenlMessage({ type: 0x23, flags: 0, seq: 0, pid: 0, payload: hex(payloadHex) });
      assert.ok(g.ok);
      const r = decodeIpvsReply(g.value);
      return r.ok ? 'ok' : r.stage;
    };
    assert.equal(stage('63 01 0000'), 'command'); // no such command
    assert.equal(stage('01 01 0000'), 'attributes'); // NEW_SERVICE without its nest
    assert.equal(stage('01 01 0000 0c00 0100 0600 0200 0600 0000'), 'fields'); // nest without AF
    assert.equal(stage('05 01 0000 0c00 0200 0600 0b00 0200 0000'), 'fields'); // dest without address
    assert.equal(stage('0e 01 0000 0800 0100 01020100'), 'attributes'); // info without table size
  });
});
