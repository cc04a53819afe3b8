// IPVS commands, byte for byte. Every vector is derived by hand from linux/ip_vs.h, linux/netlink.h and
// linux/genetlink.h, with the attribute order keepalived's libipvs writes (ipvs_nl_fill_service_attr,
// ipvs_nl_fill_dest_attr, ipvs_start_daemon): the comment on each line says which field it is and why
// it has those bytes. Rules used throughout:
// - nlmsghdr: u32 length, u16 type (the IPVS family id, 0x23 here), u16 flags (REQUEST|ACK = 0x0005,
//   plus DUMP = 0x0300 for dumps), u32 seq (1), u32 port (0); then genlmsghdr: cmd, version 1, 0000.
// - attribute: u16 length (4 + payload, before padding), u16 type, payload padded to 4 bytes; the
//   nests of a request (service, destination, daemon) have NLA_F_NESTED (0x8000) in their type, as
//   libnl's nla_nest_start sets it in keepalived's requests (type 1 nested reads "0180").
// - integers are host order (little-endian here) except ports and IPv4 netmasks/groups (network order:
//   nla_get_be16 / be32 / in_addr in the kernel); addresses travel as 16 bytes (union nf_inet_addr).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage } from '../../../../src/net/netlink/codec.js';
import { genlRequest } from '../../../../src/net/netlink/genetlink.js';
import { IP_VS_STATE_BACKUP, IP_VS_STATE_MASTER } from '../../../../src/lb/ipvs/constants.js';
import { type IpvsCommand, ipvsCommands, toGenlCommand } from '../../../../src/lb/ipvs/messages.js';
import { destinationToWire, serviceToWire } from '../../../../src/lb/ipvs/table-wire.js';
import type { Destination, ServiceAttributes } from '../../../../src/lb/table/types.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/#[^\n]*/g, '').replace(/[^0-9a-f]/gi, ''), 'hex');
const FAMILY = 0x23;
const bytesOf = (c: IpvsCommand): Buffer =>
  encodeMessage({ ...genlRequest(toGenlCommand(FAMILY, c), c.dump), seq: 1, pid: 0 });

// ---- the table entries the vectors use ----

const web: ServiceAttributes = {
  key: { kind: 'address', family: 'inet', protocol: 'TCP', address: '10.0.0.1', port: 80 },
  scheduler: 'wlc',
  schedFlags: [],
  onePacket: false,
};
const sticky6: ServiceAttributes = {
  key: { kind: 'address', family: 'inet6', protocol: 'TCP', address: '2001:db8::1', port: 443 },
  scheduler: 'rr',
  schedFlags: [],
  persistence: { timeoutS: 300, granularity: '64' },
  persistenceEngine: 'sip',
  onePacket: false,
};
const marked: ServiceAttributes = {
  key: { kind: 'fwmark', family: 'inet', fwmark: 5 },
  scheduler: 'sh',
  schedFlags: ['sh-port', 'sh-fallback'],
  onePacket: true,
};
const nat: Destination = {
  family: 'inet',
  address: '192.168.1.2',
  port: 8080,
  method: 'NAT',
  weight: 3,
  upperThreshold: 100,
  lowerThreshold: 10,
};

// ---- the service nests ----

/** 10.0.0.1:80 TCP, wlc, no persistence: keepalived's srule (netmask /32 by default). */
const WEB_SERVICE = `
  5400 0180                      # IPVS_CMD_ATTR_SERVICE (1) | NLA_F_NESTED (0x8000), len 4 + 80
    0600 0100 0200 0000          #   SVC_ATTR_AF (1): u16 2 (AF_INET)
    0600 0200 0600 0000          #   SVC_ATTR_PROTOCOL (2): u16 6 (TCP)
    1400 0300 0a000001 00000000 00000000 00000000   # SVC_ATTR_ADDR (3): 16 bytes, IPv4 first
    0600 0400 0050 0000          #   SVC_ATTR_PORT (4): be16 80
    0800 0600 776c6300           #   SVC_ATTR_SCHED_NAME (6): "wlc\\0"
    0c00 0700 00000000 ffffffff  #   SVC_ATTR_FLAGS (7): struct ip_vs_flags {flags 0, mask ~0}
    0800 0800 00000000           #   SVC_ATTR_TIMEOUT (8): u32 0
    0800 0900 ffffffff           #   SVC_ATTR_NETMASK (9): be32 255.255.255.255
`;

void describe('IPVS service commands: golden bytes', () => {
  void test('NEW_SERVICE 10.0.0.1:80 TCP wlc', () => {
    assert.deepEqual(
      bytesOf(ipvsCommands.newService(serviceToWire(web, true))),
      hex(`68000000 2300 0500 01000000 00000000   # len 104 = 16 + 4 + 84, REQUEST|ACK, seq 1
           01 01 0000                          # IPVS_CMD_NEW_SERVICE (1), version 1
           ${WEB_SERVICE}`),
    );
  });

  void test('NEW_SERVICE [2001:db8::1]:443 persistent 300 s, granularity /64, engine sip', () => {
    assert.deepEqual(
      bytesOf(ipvsCommands.newService(serviceToWire(sticky6, true))),
      hex(`70000000 2300 0500 01000000 00000000   # len 112 = 16 + 4 + 92
           01 01 0000
           5c00 0180                           # service nest, len 4 + 88
             0600 0100 0a00 0000               #   AF: 10 (AF_INET6)
             0600 0200 0600 0000               #   PROTOCOL: TCP
             1400 0300 20010db8 00000000 00000000 00000001   # ADDR 2001:db8::1
             0600 0400 01bb 0000               #   PORT: be16 443
             0700 0600 727200 00               #   SCHED_NAME "rr\\0" (len 7, 1 byte padding)
             0800 0b00 73697000                #   PE_NAME (11) "sip\\0", after the scheduler as keepalived
             0c00 0700 01000000 ffffffff       #   FLAGS: IP_VS_SVC_F_PERSISTENT (1), mask ~0
             0800 0800 2c010000                #   TIMEOUT: 300 s
             0800 0900 40000000                #   NETMASK: IPv6 takes the prefix length, 64, host order
      `),
    );
  });

  void test('NEW_SERVICE fwmark 5, sh with sh-port, sh-fallback and ops', () => {
    assert.deepEqual(
      bytesOf(ipvsCommands.newService(serviceToWire(marked, true))),
      hex(`4c000000 2300 0500 01000000 00000000   # len 76 = 16 + 4 + 56
           01 01 0000
           3800 0180                           # service nest, len 4 + 52
             0600 0100 0200 0000               #   AF: AF_INET
             0800 0500 05000000                #   FWMARK (5): 5 (no protocol, address or port)
             0700 0600 736800 00               #   SCHED_NAME "sh\\0"
             0c00 0700 1c000000 ffffffff       #   FLAGS: SCHED2 (sh-port, 0x10) | SCHED1 (sh-fallback,
                                               #   0x08) | ONEPACKET (0x04) = 0x1c
             0800 0800 00000000                #   TIMEOUT 0
             0800 0900 ffffffff                #   NETMASK /32
      `),
    );
  });

  void test('SET_SERVICE and DEL_SERVICE carry the same nest; HASHED from a dump is never sent back', () => {
    const set = bytesOf(ipvsCommands.setService({ ...serviceToWire(web, true), flags: 0x0002 }));
    assert.deepEqual(set, hex(`68000000 2300 0500 01000000 00000000  02 01 0000 ${WEB_SERVICE}`));
    const del = bytesOf(ipvsCommands.delService(serviceToWire(web, true)));
    assert.deepEqual(del, hex(`68000000 2300 0500 01000000 00000000  03 01 0000 ${WEB_SERVICE}`));
  });

  void test('GET_SERVICE dump, FLUSH, GET_INFO, GET_CONFIG, ZERO (all): a bare genlmsghdr', () => {
    const bare = (flags: string, cmd: string): Buffer =>
      hex(`14000000 2300 ${flags} 01000000 00000000 ${cmd} 01 0000`);
    assert.deepEqual(bytesOf(ipvsCommands.dumpServices()), bare('0503', '04')); // REQUEST|ACK|DUMP
    assert.deepEqual(bytesOf(ipvsCommands.flush()), bare('0500', '11')); // IPVS_CMD_FLUSH 17
    assert.deepEqual(bytesOf(ipvsCommands.getInfo()), bare('0500', '0f')); // IPVS_CMD_GET_INFO 15
    assert.deepEqual(bytesOf(ipvsCommands.getConfig()), bare('0500', '0d')); // IPVS_CMD_GET_CONFIG 13
    assert.deepEqual(bytesOf(ipvsCommands.zero()), bare('0500', '10')); // IPVS_CMD_ZERO 16
    assert.deepEqual(bytesOf(ipvsCommands.dumpDaemons()), bare('0503', '0b')); // IPVS_CMD_GET_DAEMON 11
  });
});

void describe('IPVS destination commands: golden bytes', () => {
  void test('NEW_DEST NAT 192.168.1.2:8080 weight 3, thresholds 100 / 10', () => {
    assert.deepEqual(
      bytesOf(ipvsCommands.newDestination(serviceToWire(web, false), destinationToWire(web.key, nat))),
      hex(`b0000000 2300 0500 01000000 00000000   # len 176 = 16 + 4 + 84 + 72
           05 01 0000                          # IPVS_CMD_NEW_DEST (5)
           ${WEB_SERVICE}
           4800 0280                           # IPVS_CMD_ATTR_DEST (2), len 4 + 68
             0600 0b00 0200 0000               #   DEST_ATTR_ADDR_FAMILY (11): AF_INET, first as keepalived
             1400 0100 c0a80102 00000000 00000000 00000000   # DEST_ATTR_ADDR (1): 192.168.1.2
             0600 0200 1f90 0000               #   DEST_ATTR_PORT (2): be16 8080 (NAT keeps its own port)
             0800 0300 00000000                #   FWD_METHOD (3): IP_VS_CONN_F_MASQ 0
             0800 0400 03000000                #   WEIGHT (4): 3
             0800 0500 64000000                #   U_THRESH (5): 100
             0800 0600 0a000000                #   L_THRESH (6): 10
      `),
    );
  });

  void test('a persistent service, named in a destination command, has no persistence fields (keepalived)', () => {
    const d: Destination = { ...nat, family: 'inet6', address: '2001:db8::10', port: 443 };
    assert.deepEqual(
      bytesOf(ipvsCommands.setDestination(serviceToWire(sticky6, false), destinationToWire(sticky6.key, d))),
      hex(`b0000000 2300 0500 01000000 00000000   # len 176 = 16 + 4 + 84 + 72
           06 01 0000                          # IPVS_CMD_SET_DEST (6)
           5400 0180                           # service nest, len 4 + 80: no PE_NAME
             0600 0100 0a00 0000
             0600 0200 0600 0000
             1400 0300 20010db8 00000000 00000000 00000001
             0600 0400 01bb 0000
             0700 0600 727200 00
             0c00 0700 00000000 ffffffff       #   FLAGS without PERSISTENT
             0800 0800 00000000                #   TIMEOUT 0
             0800 0900 80000000                #   NETMASK: the IPv6 default, 128
           4800 0280
             0600 0b00 0a00 0000               #   ADDR_FAMILY AF_INET6
             1400 0100 20010db8 00000000 00000000 00000010
             0600 0200 01bb 0000
             0800 0300 00000000
             0800 0400 03000000
             0800 0500 64000000
             0800 0600 0a000000
      `),
    );
  });

  void test('DR takes the service port (8080 becomes 80); weight 0 is how inhibit_on_failure is sent', () => {
    const dr = destinationToWire(web.key, { ...nat, method: 'DR', weight: 0 });
    assert.deepEqual(
      bytesOf(ipvsCommands.setDestination(serviceToWire(web, false), dr)).subarray(16 + 4 + 84),
      hex(`4800 0280
             0600 0b00 0200 0000
             1400 0100 c0a80102 00000000 00000000 00000000
             0600 0200 0050 0000               #   PORT: be16 80, the service's (ipvs_cmd's rule)
             0800 0300 03000000                #   FWD_METHOD: IP_VS_CONN_F_DROUTE 3
             0800 0400 00000000                #   WEIGHT 0
             0800 0500 64000000
             0800 0600 0a000000
      `),
    );
  });

  void test('TUN: gue with its port and checksum flag; ipip only its type; gre its type and flags', () => {
    const destNest = (d: Destination): Buffer =>
      bytesOf(
        ipvsCommands.newDestination(serviceToWire(marked, false), destinationToWire(marked.key, d)),
      ).subarray(16 + 4 + 56);
    const tun = { ...nat, method: 'TUN' as const, weight: 1, upperThreshold: 0, lowerThreshold: 0 };
    assert.deepEqual(
      destNest({ ...tun, tunnel: { type: 'gue', port: 6080, checksum: 'csum' } }),
      hex(`6000 0280                           # dest nest, len 4 + 92
             0600 0b00 0200 0000
             1400 0100 c0a80102 00000000 00000000 00000000
             0600 0200 0000 0000               #   PORT 0: a fwmark service, not NAT (the packet's port)
             0800 0300 02000000                #   FWD_METHOD: IP_VS_CONN_F_TUNNEL 2
             0800 0400 01000000                #   WEIGHT 1
             0500 0d00 01 000000               #   TUN_TYPE (13): u8 1 (GUE), 3 bytes padding
             0600 0e00 17c0 0000               #   TUN_PORT (14): be16 6080
             0600 0f00 0100 0000               #   TUN_FLAGS (15): u16 1 (IP_VS_TUNNEL_ENCAP_FLAG_CSUM)
             0800 0500 00000000                #   U_THRESH, L_THRESH after the tunnel, as keepalived
             0800 0600 00000000
      `),
    );
    assert.deepEqual(
      destNest(tun),
      hex(`5000 0280                           # dest nest, len 4 + 76
             0600 0b00 0200 0000
             1400 0100 c0a80102 00000000 00000000 00000000
             0600 0200 0000 0000
             0800 0300 02000000
             0800 0400 01000000
             0500 0d00 00 000000               #   TUN_TYPE 0 (IPIP): no port, no flags
             0800 0500 00000000
             0800 0600 00000000
      `),
    );
    assert.deepEqual(
      destNest({ ...tun, tunnel: { type: 'gre' } }).subarray(4 + 8 + 20 + 8 + 8 + 8),
      hex(`0500 0d00 02 000000                   # TUN_TYPE 2 (GRE)
           0600 0f00 0000 0000                 # TUN_FLAGS 0 (nocsum): sent for every type but IPIP
           0800 0500 00000000 0800 0600 00000000`),
    );
  });

  void test('DEL_DEST and the GET_DEST dump (the service identity only, as libipvs asks)', () => {
    const del = bytesOf(
      ipvsCommands.delDestination(serviceToWire(web, false), destinationToWire(web.key, nat)),
    );
    assert.deepEqual(del.subarray(16, 20), hex('07 01 0000')); // IPVS_CMD_DEL_DEST (7)
    assert.deepEqual(
      bytesOf(ipvsCommands.dumpDestinations(serviceToWire(web, false))),
      hex(`44000000 2300 0503 01000000 00000000   # len 68 = 16 + 4 + 48, REQUEST|ACK|DUMP
           08 01 0000                          # IPVS_CMD_GET_DEST (8)
           3000 0180                           # service nest, len 4 + 44: AF, PROTOCOL, ADDR, PORT
             0600 0100 0200 0000
             0600 0200 0600 0000
             1400 0300 0a000001 00000000 00000000 00000000
             0600 0400 0050 0000
      `),
    );
  });
});

void describe('IPVS sync daemon and configuration: golden bytes', () => {
  void test('NEW_DAEMON master on eth0, sync id 7, maxlen 1472, port 8848, ttl 2, group 224.0.0.81', () => {
    const c = ipvsCommands.newDaemon({
      state: IP_VS_STATE_MASTER,
      mcastIfn: 'eth0',
      syncId: 7,
      syncMaxlen: 1472,
      mcastPort: 8848,
      mcastTtl: 2,
      mcastGroup: '224.0.0.81',
    });
    assert.deepEqual(
      bytesOf(c),
      hex(`54000000 2300 0500 01000000 00000000   # len 84 = 16 + 4 + 64
           09 01 0000                          # IPVS_CMD_NEW_DAEMON (9)
           4000 0380                           # IPVS_CMD_ATTR_DAEMON (3), len 4 + 60
             0800 0100 01000000                #   DAEMON_ATTR_STATE (1): IP_VS_STATE_MASTER
             0900 0200 65746830 00 000000      #   MCAST_IFN (2): "eth0\\0"
             0800 0300 07000000                #   SYNC_ID (3): 7
             0600 0400 c005 0000               #   SYNC_MAXLEN (4): u16 1472 = 0x05c0, host order
             0600 0700 9022 0000               #   MCAST_PORT (7): u16 8848 = 0x2290, host order
             0500 0800 02 000000               #   MCAST_TTL (8): u8 2
             0800 0500 e0000051                #   MCAST_GROUP (5): 224.0.0.81 in network order
      `),
    );
  });

  void test('an IPv6 group goes in MCAST_GROUP6; DEL_DAEMON sends state and sync id', () => {
    const six = bytesOf(
      ipvsCommands.newDaemon({
        state: IP_VS_STATE_BACKUP,
        mcastIfn: 'eth1',
        syncId: 0,
        mcastGroup: 'ff02::1:2',
      }),
    );
    assert.deepEqual(
      six.subarray(20),
      hex(`3400 0380                           # daemon nest, len 4 + 48
             0800 0100 02000000                #   STATE: IP_VS_STATE_BACKUP
             0900 0200 65746831 00 000000      #   "eth1\\0"
             0800 0300 00000000                #   SYNC_ID 0
             1400 0600 ff020000 00000000 00000000 00010002   # MCAST_GROUP6 (6): ff02::1:2
      `),
    );
    assert.deepEqual(
      bytesOf(ipvsCommands.delDaemon({ state: IP_VS_STATE_BACKUP, syncId: 0 })),
      hex(`28000000 2300 0500 01000000 00000000   # len 40
           0a 01 0000                          # IPVS_CMD_DEL_DAEMON (10)
           1400 0380 0800 0100 02000000 0800 0300 00000000`),
    );
  });

  void test('SET_CONFIG with the three timeouts, first-level attributes', () => {
    assert.deepEqual(
      bytesOf(ipvsCommands.setConfig({ tcp: 900, tcpFin: 120, udp: 300 })),
      hex(`2c000000 2300 0500 01000000 00000000   # len 44 = 16 + 4 + 3 x 8
           0c 01 0000                          # IPVS_CMD_SET_CONFIG (12)
           0800 0400 84030000                  # CMD_ATTR_TIMEOUT_TCP (4): 900
           0800 0500 78000000                  # CMD_ATTR_TIMEOUT_TCP_FIN (5): 120
           0800 0600 2c010000                  # CMD_ATTR_TIMEOUT_UDP (6): 300
      `),
    );
  });

  void test('names longer than the kernel takes are refused before sending', () => {
    assert.throws(
      () => ipvsCommands.newService({ ...serviceToWire(web, true), schedName: 'x'.repeat(16) }),
      RangeError,
    );
    assert.throws(() => ipvsCommands.newDaemon({ state: 1, mcastIfn: 'a-very-long-ifname' }), RangeError);
    assert.throws(
      () => ipvsCommands.newService({ af: 2, protocol: 6, address: '2001:db8::1', port: 1, schedName: 'rr' }),
      RangeError,
    );
  });
});
