// What keepalived 2.2.7 itself sends, byte for byte, against what IpvsDataPlane sends for the same
// table. The payloads below (everything after the 16-byte nlmsghdr, whose sequence number and port
// differ between runs) were captured with `strace -f -xx -e trace=sendmsg` around Debian's keepalived
// 2.2.7, inside the IPVS VM (Debian's 6.1 kernel), for these two configurations:
//
//   global_defs { lvs_timeouts tcp 1000 udp 30 }
//   virtual_server 10.0.0.1 80 { lb_algo wlc; lb_kind NAT; protocol TCP
//     real_server 192.168.1.2 8080 { weight 3; uthreshold 100; lthreshold 10; inhibit_on_failure
//                                    MISC_CHECK { misc_path /bin/false } }
//     real_server 192.168.1.5 8080 { weight 2; MISC_CHECK { misc_path /bin/false } }
//     real_server 192.168.1.6 8080 { weight 2 } }
//   virtual_server 2001:db8::1 443 { lb_algo rr; lb_kind DR; protocol TCP; persistence_timeout 300
//     persistence_granularity 64; real_server 2001:db8::10 8443 { weight 3 } }
//   virtual_server 10.0.0.2 53 { lb_algo mh; mh-port; ops; lb_kind NAT; protocol UDP
//     persistence_timeout 60; persistence_granularity 255.255.255.0; persistence_engine sip
//     real_server 192.168.1.7 53 { weight 1 } }
//
//   virtual_server fwmark 5 { lb_algo sh; sh-port; sh-fallback; ops; lb_kind TUN
//     real_server 192.168.1.2 80 { weight 1; lvs_method TUN type gue port 6080 csum }
//     real_server 192.168.1.3 80 { lvs_method TUN type gre }
//     real_server 192.168.1.4 80 { lvs_method TUN } }
//
// keepalived started (timeouts, then each service and its servers), the two MISC_CHECKs failed (.5
// removed, .2 inhibited: weight 0), then it stopped (servers and services deleted, timeouts restored).
// Every message was sent with NLM_F_REQUEST | NLM_F_ACK.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessages } from '../../../../src/net/netlink/codec.js';
import { GenericNetlink } from '../../../../src/net/netlink/genetlink.js';
import { IpvsDataPlane } from '../../../../src/lb/ipvs/plane.js';
import type { Destination, LbChange, LbTable, Service } from '../../../../src/lb/table/types.js';
import { FakeIpvsKernel } from '../../../helpers/fake-ipvs-kernel.js';

const KEEPALIVED_RUN = [
  '0f010000', // GET_INFO (ipvs_init)
  '0d010000', // GET_CONFIG: the timeouts to restore at stop
  '0c01000008000400e80300000800050078000000080006001e000000', // SET_CONFIG 1000 / 120 (kept) / 30
  // NEW_SERVICE 10.0.0.1:80 tcp wlc
  '010100005400018006000100020000000600020006000000140003000a000001000000000000000000000000060004000050000008000600776c63000c00070000000000ffffffff080008000000000008000900ffffffff',
  // NEW_DEST 192.168.1.2:8080 masq w3 u100 l10, .5 w2, .6 w2
  '050100005400018006000100020000000600020006000000140003000a000001000000000000000000000000060004000050000008000600776c63000c00070000000000ffffffff080008000000000008000900ffffffff4800028006000b000200000014000100c0a80102000000000000000000000000060002001f900000080003000000000008000400030000000800050064000000080006000a000000',
  '050100005400018006000100020000000600020006000000140003000a000001000000000000000000000000060004000050000008000600776c63000c00070000000000ffffffff080008000000000008000900ffffffff4800028006000b000200000014000100c0a80105000000000000000000000000060002001f9000000800030000000000080004000200000008000500000000000800060000000000',
  '050100005400018006000100020000000600020006000000140003000a000001000000000000000000000000060004000050000008000600776c63000c00070000000000ffffffff080008000000000008000900ffffffff4800028006000b000200000014000100c0a80106000000000000000000000000060002001f9000000800030000000000080004000200000008000500000000000800060000000000',
  // NEW_SERVICE [2001:db8::1]:443 rr persistent 300 /64, NEW_DEST [2001:db8::10]:443 route w3
  '0101000054000180060001000a00000006000200060000001400030020010db80000000000000000000000010600040001bb000007000600727200000c00070001000000ffffffff080008002c0100000800090040000000',
  '0501000054000180060001000a00000006000200060000001400030020010db80000000000000000000000010600040001bb000007000600727200000c00070000000000ffffffff080008000000000008000900800000004800028006000b000a0000001400010020010db80000000000000000000000100600020001bb00000800030003000000080004000300000008000500000000000800060000000000',
  // NEW_SERVICE 10.0.0.2:53 udp mh mh-port ops persistent 60 /24 pe sip, NEW_DEST 192.168.1.7:53
  '010100005c00018006000100020000000600020011000000140003000a0000020000000000000000000000000600040000350000070006006d68000008000b00736970000c00070015000000ffffffff080008003c00000008000900ffffff00',
  '050100005400018006000100020000000600020011000000140003000a0000020000000000000000000000000600040000350000070006006d6800000c00070014000000ffffffff080008000000000008000900ffffffff4800028006000b000200000014000100c0a8010700000000000000000000000006000200003500000800030000000000080004000100000008000500000000000800060000000000',
  // the checks fail: DEL_DEST .5; SET_DEST .2 weight 0 (inhibit_on_failure)
  '070100005400018006000100020000000600020006000000140003000a000001000000000000000000000000060004000050000008000600776c63000c00070000000000ffffffff080008000000000008000900ffffffff4800028006000b000200000014000100c0a80105000000000000000000000000060002001f9000000800030000000000080004000200000008000500000000000800060000000000',
  '060100005400018006000100020000000600020006000000140003000a000001000000000000000000000000060004000050000008000600776c63000c00070000000000ffffffff080008000000000008000900ffffffff4800028006000b000200000014000100c0a80102000000000000000000000000060002001f900000080003000000000008000400000000000800050064000000080006000a000000',
  // stop: DEL_DEST .2 (keepalived sends its configured weight 3; see the test), .6, DEL_SERVICE
  '070100005400018006000100020000000600020006000000140003000a000001000000000000000000000000060004000050000008000600776c63000c00070000000000ffffffff080008000000000008000900ffffffff4800028006000b000200000014000100c0a80102000000000000000000000000060002001f900000080003000000000008000400030000000800050064000000080006000a000000',
  '070100005400018006000100020000000600020006000000140003000a000001000000000000000000000000060004000050000008000600776c63000c00070000000000ffffffff080008000000000008000900ffffffff4800028006000b000200000014000100c0a80106000000000000000000000000060002001f9000000800030000000000080004000200000008000500000000000800060000000000',
  '030100005400018006000100020000000600020006000000140003000a000001000000000000000000000000060004000050000008000600776c63000c00070000000000ffffffff080008000000000008000900ffffffff',
  '0701000054000180060001000a00000006000200060000001400030020010db80000000000000000000000010600040001bb000007000600727200000c00070000000000ffffffff080008000000000008000900800000004800028006000b000a0000001400010020010db80000000000000000000000100600020001bb00000800030003000000080004000300000008000500000000000800060000000000',
  '0301000054000180060001000a00000006000200060000001400030020010db80000000000000000000000010600040001bb000007000600727200000c00070001000000ffffffff080008002c0100000800090040000000',
  '070100005400018006000100020000000600020011000000140003000a0000020000000000000000000000000600040000350000070006006d6800000c00070014000000ffffffff080008000000000008000900ffffffff4800028006000b000200000014000100c0a8010700000000000000000000000006000200003500000800030000000000080004000100000008000500000000000800060000000000',
  '030100005c00018006000100020000000600020011000000140003000a0000020000000000000000000000000600040000350000070006006d68000008000b00736970000c00070015000000ffffffff080008003c00000008000900ffffff00',
  '0c01000008000400840300000800050078000000080006002c010000', // SET_CONFIG: back to 900 / 120 / 300
];

const KEEPALIVED_FWMARK_RUN = [
  '0f010000',
  // NEW_SERVICE fwmark 5 sh flags 0x1c (sh-port | sh-fallback | ops)
  '01010000380001800600010002000000080005000500000007000600736800000c0007001c000000ffffffff080008000000000008000900ffffffff',
  // NEW_DEST 192.168.1.2:0 tunnel gue 6080 csum, .3 gre (nocsum), .4 ipip
  '05010000380001800600010002000000080005000500000007000600736800000c0007001c000000ffffffff080008000000000008000900ffffffff6000028006000b000200000014000100c0a8010200000000000000000000000006000200000000000800030002000000080004000100000005000d000100000006000e0017c0000006000f000100000008000500000000000800060000000000',
  '05010000380001800600010002000000080005000500000007000600736800000c0007001c000000ffffffff080008000000000008000900ffffffff5800028006000b000200000014000100c0a8010300000000000000000000000006000200000000000800030002000000080004000100000005000d000200000006000f000000000008000500000000000800060000000000',
  '05010000380001800600010002000000080005000500000007000600736800000c0007001c000000ffffffff080008000000000008000900ffffffff5000028006000b000200000014000100c0a8010400000000000000000000000006000200000000000800030002000000080004000100000005000d000000000008000500000000000800060000000000',
];

const rs = (address: string, port: number, extra: Partial<Destination> = {}): Destination => ({
  family: 'inet',
  address,
  port,
  method: 'NAT',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...extra,
});

const web: Service = {
  key: { kind: 'address', family: 'inet', protocol: 'TCP', address: '10.0.0.1', port: 80 },
  scheduler: 'wlc',
  schedFlags: [],
  onePacket: false,
  destinations: [
    rs('192.168.1.2', 8080, { weight: 3, upperThreshold: 100, lowerThreshold: 10 }),
    rs('192.168.1.5', 8080, { weight: 2 }),
    rs('192.168.1.6', 8080, { weight: 2 }),
  ],
};
const sticky6: Service = {
  key: { kind: 'address', family: 'inet6', protocol: 'TCP', address: '2001:db8::1', port: 443 },
  scheduler: 'rr',
  schedFlags: [],
  onePacket: false,
  persistence: { timeoutS: 300, granularity: '64' },
  destinations: [{ ...rs('2001:db8::10', 8443, { weight: 3 }), family: 'inet6', method: 'DR' }],
};
const dns: Service = {
  key: { kind: 'address', family: 'inet', protocol: 'UDP', address: '10.0.0.2', port: 53 },
  scheduler: 'mh',
  schedFlags: ['mh-port'],
  onePacket: true,
  persistence: { timeoutS: 60, granularity: '255.255.255.0' },
  persistenceEngine: 'sip',
  destinations: [rs('192.168.1.7', 53)],
};
const marked: Service = {
  key: { kind: 'fwmark', family: 'inet', fwmark: 5 },
  scheduler: 'sh',
  schedFlags: ['sh-port', 'sh-fallback'],
  onePacket: true,
  destinations: [
    rs('192.168.1.2', 0, { method: 'TUN', tunnel: { type: 'gue', port: 6080, checksum: 'csum' } }),
    rs('192.168.1.3', 0, { method: 'TUN', tunnel: { type: 'gre' } }),
    rs('192.168.1.4', 0, { method: 'TUN' }),
  ],
};

const addAll = (s: Service): LbChange[] => [
  { op: 'add-service', service: s },
  ...s.destinations.map((d) => ({ op: 'add-destination' as const, service: s.key, destination: d })),
];
const deleteAll = (s: Service): LbChange[] => [
  ...s.destinations.map((d) => ({ op: 'delete-destination' as const, service: s.key, destination: d })),
  { op: 'delete-service', key: s.key },
];

/** The genetlink payload of every IPVS command the stand-in kernel received, as hex. */
function payloads(kernel: FakeIpvsKernel): string[] {
  return kernel.sent.map((c) => {
    const m = decodeMessages(c.bytes);
    assert.ok(m.ok);
    assert.equal(m.value[0]!.flags, 0x0005, 'REQUEST | ACK');
    return m.value[0]!.payload.toString('hex');
  });
}

void describe("the data plane sends keepalived 2.2.7's bytes", () => {
  void test('start, checker failures (remove, inhibit), stop: every message as keepalived sent it', async () => {
    const kernel = new FakeIpvsKernel();
    const plane = await IpvsDataPlane.open({ genl: new GenericNetlink(kernel) });
    await plane.setTimeouts({ tcp: 1000, udp: 30 });
    const start: LbTable = { services: [web, sticky6, dns] };
    await plane.apply([...addAll(web), ...addAll(sticky6), ...addAll(dns)], start);
    const inhibited = rs('192.168.1.2', 8080, { weight: 0, upperThreshold: 100, lowerThreshold: 10 });
    const failed: Service = { ...web, destinations: [inhibited, web.destinations[2]!] };
    await plane.apply(
      [
        { op: 'delete-destination', service: web.key, destination: web.destinations[1]! },
        { op: 'edit-destination', service: web.key, destination: inhibited },
      ],
      { services: [failed, sticky6, dns] },
    );
    await plane.apply([...deleteAll(failed), ...deleteAll(sticky6), ...deleteAll(dns)], { services: [] });
    await plane.restoreTimeouts();
    plane.close();

    const ours = payloads(kernel);
    assert.equal(ours.length, KEEPALIVED_RUN.length);
    // One difference: deleting the inhibited server, keepalived writes its configured weight (3) where
    // we write the weight the kernel holds (0). DEL_DEST reads only address and port.
    const i = 13;
    assert.equal(ours[i], KEEPALIVED_RUN[i]!.replace('0800040003000000', '0800040000000000'));
    assert.deepEqual(
      ours.map((p, n) => (n === i ? KEEPALIVED_RUN[i] : p)),
      KEEPALIVED_RUN,
    );
  });

  void test('a firewall-mark service with sh flags and gue, gre and ipip tunnels', async () => {
    const kernel = new FakeIpvsKernel();
    const plane = await IpvsDataPlane.open({ genl: new GenericNetlink(kernel) });
    await plane.apply(addAll(marked), { services: [marked] });
    plane.close();
    assert.deepEqual(payloads(kernel), KEEPALIVED_FWMARK_RUN);
  });
});
