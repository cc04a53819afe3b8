// Runs inside a test namespace (`ip netns exec NS node sockets.agent.js MODE ARGS...`) and drives the native
// socket layer there. Receivers print `ready` once listening, then one JSON line per matching packet;
// senders print one JSON line per packet sent and exit. Every mode gives up after a timeout.
import { readFileSync } from 'node:fs';
import { Announcer } from '../../src/net/announce.js';
import { decodeArpFrame } from '../../src/net/arp.js';
import { native } from '../../src/net/native.js';
import { decodeNeighborAdvertFrame } from '../../src/net/ndp.js';
import { addressBuffer } from '../../src/net/netlink/ip-text.js';
import { ipMreqn, ipv6Mreq, NativeSocket } from '../../src/net/socket.js';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';

refuseOutsideSuiteNamespace('sockets.agent.js');

const VRRP_PROTOCOL = 112;
const [mode, ifname = 'eth0', ...rest] = process.argv.slice(2);
const c = native().constants;
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const giveUp = setTimeout(() => process.exit(3), 15_000);

function ifindexOf(name: string): number {
  return native().ifNameToIndex(name);
}

/** A VRRPv3-shaped payload (version 3, type 1, VRID, priority, no addresses) followed by a marker. */
function vrrpLikePayload(marker: string): Buffer {
  return Buffer.concat([Buffer.from([0x31, 51, 100, 0, 0x00, 0x64, 0, 0]), Buffer.from(marker)]);
}

function done(socket: NativeSocket): void {
  socket.close();
  clearTimeout(giveUp);
}

switch (mode) {
  case 'recv4': {
    // Raw IPv4 sockets hand us the IP header, so the TTL is read straight from it.
    const [group = '224.0.0.18', countText = '1'] = rest;
    let remaining = Number(countText);
    const s = NativeSocket.open(c.AF_INET, c.SOCK_RAW, VRRP_PROTOCOL);
    s.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
    s.setOption(c.IPPROTO_IP, c.IP_ADD_MEMBERSHIP, ipMreqn(group, ifindexOf(ifname)));
    s.setOption(c.IPPROTO_IP, c.IP_PKTINFO, 1);
    s.onMessage((m) => {
      const ihl = ((m.data[0] as number) & 0x0f) * 4;
      say({
        ttl: m.data[8],
        protocol: m.data[9],
        from: m.from?.family === 'inet' ? m.from.address : null,
        dst: m.dst,
        ifindex: m.ifindex,
        expectedIfindex: ifindexOf(ifname),
        payload: m.data.subarray(ihl).toString('latin1'),
      });
      if (--remaining <= 0) done(s);
    });
    say('ready');
    break;
  }
  case 'send4': {
    // One datagram with the kernel's header (TTL from IP_MULTICAST_TTL), one with our own (IP_HDRINCL).
    const [group = '224.0.0.18', source = '0.0.0.0', marker = 'kts'] = rest;
    const ifindex = ifindexOf(ifname);
    const plain = NativeSocket.open(c.AF_INET, c.SOCK_RAW, VRRP_PROTOCOL);
    plain.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
    plain.setOption(c.IPPROTO_IP, c.IP_MULTICAST_TTL, 255);
    plain.setOption(c.IPPROTO_IP, c.IP_MULTICAST_LOOP, 0);
    plain.setOption(c.IPPROTO_IP, c.IP_MULTICAST_IF, ipMreqn('0.0.0.0', ifindex));
    say({ sent: plain.send(vrrpLikePayload(`${marker}-kernel-header`), { family: 'inet', address: group }) });
    plain.close();

    const raw = NativeSocket.open(c.AF_INET, c.SOCK_RAW, VRRP_PROTOCOL);
    raw.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
    raw.setOption(c.IPPROTO_IP, c.IP_HDRINCL, 1);
    raw.setOption(c.IPPROTO_IP, c.IP_MULTICAST_IF, ipMreqn('0.0.0.0', ifindex));
    const payload = vrrpLikePayload(`${marker}-own-header`);
    const header = Buffer.alloc(20);
    header[0] = 0x45; // IPv4, 5-word header
    header[1] = 0xc0; // DSCP CS6, as VRRP uses
    header.writeUInt16BE(20 + payload.length, 2);
    header[8] = 255; // TTL
    header[9] = VRRP_PROTOCOL;
    addressBuffer(source).copy(header, 12); // the kernel fills the checksum (and a zero source/id)
    addressBuffer(group).copy(header, 16);
    say({ sent: raw.send(Buffer.concat([header, payload]), { family: 'inet', address: group }) });
    done(raw);
    break;
  }
  case 'recv6': {
    const [group = 'ff02::12', countText = '1'] = rest;
    let remaining = Number(countText);
    const s = NativeSocket.open(c.AF_INET6, c.SOCK_RAW, VRRP_PROTOCOL);
    s.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
    s.setOption(c.IPPROTO_IPV6, c.IPV6_RECVHOPLIMIT, 1);
    s.setOption(c.IPPROTO_IPV6, c.IPV6_RECVPKTINFO, 1);
    s.setOption(c.IPPROTO_IPV6, c.IPV6_JOIN_GROUP, ipv6Mreq(group, ifindexOf(ifname)));
    s.onMessage((m) => {
      const from = m.from?.family === 'inet6' ? m.from.address : '::';
      // With the checksum field included, a correct packet sums to zero over the pseudo-header.
      const sum = (data: Buffer): number => {
        const pseudo = Buffer.alloc(40);
        addressBuffer(from).copy(pseudo, 0);
        addressBuffer(m.dst ?? '::').copy(pseudo, 16);
        pseudo.writeUInt32BE(data.length, 32);
        pseudo[39] = VRRP_PROTOCOL;
        let total = 0;
        const all = Buffer.concat([pseudo, data, Buffer.alloc(data.length % 2)]);
        for (let i = 0; i < all.length; i += 2) total += all.readUInt16BE(i);
        while (total > 0xffff) total = (total & 0xffff) + (total >>> 16);
        return ~total & 0xffff;
      };
      say({
        hopLimit: m.hopLimit,
        from,
        dst: m.dst,
        ifindex: m.ifindex,
        expectedIfindex: ifindexOf(ifname),
        checksum: m.data.readUInt16BE(6),
        checksumValid: sum(m.data) === 0,
        payload: m.data.subarray(8).toString('latin1'),
      });
      if (--remaining <= 0) done(s);
    });
    say('ready');
    break;
  }
  case 'send6': {
    // The kernel computes the VRRP checksum at offset 6 (IPV6_CHECKSUM), as keepalived has it do.
    const [group = 'ff02::12', source = '', marker = 'kts'] = rest;
    const ifindex = ifindexOf(ifname);
    const s = NativeSocket.open(c.AF_INET6, c.SOCK_RAW, VRRP_PROTOCOL);
    s.setOption(c.SOL_SOCKET, c.SO_BINDTODEVICE, ifname);
    s.setOption(c.IPPROTO_IPV6, c.IPV6_CHECKSUM, 6);
    s.setOption(c.IPPROTO_IPV6, c.IPV6_MULTICAST_HOPS, 255);
    s.setOption(c.IPPROTO_IPV6, c.IPV6_MULTICAST_LOOP, 0);
    s.setOption(c.IPPROTO_IPV6, c.IPV6_MULTICAST_IF, ifindex);
    const pktinfo = source ? { ifindex, source } : { ifindex };
    say({
      sent: s.send(vrrpLikePayload(marker), { family: 'inet6', address: group, scopeId: ifindex }, pktinfo),
    });
    done(s);
    break;
  }
  case 'recv-frames': {
    // Packet socket for one ethertype; prints decoded ARP or neighbor advertisements.
    const [kind = 'arp', countText = '1'] = rest;
    let remaining = Number(countText);
    const ethertype = kind === 'arp' ? c.ETH_P_ARP : c.ETH_P_IPV6;
    const s = NativeSocket.open(c.AF_PACKET, c.SOCK_RAW, ethertype);
    s.bind({ family: 'packet', ifindex: ifindexOf(ifname), protocol: ethertype });
    s.onMessage((m) => {
      const decoded = kind === 'arp' ? decodeArpFrame(m.data) : decodeNeighborAdvertFrame(m.data);
      if (!decoded) return;
      say({ ...decoded, length: m.data.length, ifindex: m.ifindex, expectedIfindex: ifindexOf(ifname) });
      if (--remaining <= 0) done(s);
    });
    say('ready');
    break;
  }
  case 'announce': {
    const [ip = '', router = 'no'] = rest;
    const mac = readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim();
    const announcer = new Announcer();
    const family = ip.includes(':') ? 6 : 4;
    const sent = announcer.announce(ifindexOf(ifname), mac, family, [ip], router === 'router');
    say({ sent, mac });
    announcer.closeAll();
    clearTimeout(giveUp);
    break;
  }
  default:
    process.stderr.write(`unknown mode ${mode}\n`);
    process.exit(2);
}
