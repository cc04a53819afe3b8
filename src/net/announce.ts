// Gratuitous ARPs and unsolicited neighbour advertisements, sent as whole Ethernet frames (arp.ts, ndp.ts)
// on an AF_PACKET socket bound to each interface, so that the frames are exactly the ones we encoded. The
// sockets are opened with protocol 0, so the kernel queues no received frames to them (keepalived uses the
// rarely seen RARP ethertype for the same purpose).
import type { IpFamily } from '../common/inet.js';
import { encodeGratuitousArp, ETHERTYPE_ARP, type MacAddress } from './arp.js';
import { native } from './native.js';
import { encodeUnsolicitedNa, ETHERTYPE_IPV6 } from './ndp.js';
import { NativeSocket } from './socket.js';

export class Announcer {
  private readonly sockets = new Map<number, NativeSocket>();

  /** Sends one announcement per address from `mac` on interface `ifindex` (`router`: the NA's R flag);
   * returns the bytes sent. */
  announce(
    ifindex: number,
    mac: MacAddress,
    family: IpFamily,
    addresses: readonly string[],
    router = false,
  ): number {
    const socket = this.socketFor(ifindex);
    let sent = 0;
    for (const address of addresses) {
      const frame =
        family === 4 ? encodeGratuitousArp(mac, address) : encodeUnsolicitedNa(mac, address, { router });
      const protocol = family === 4 ? ETHERTYPE_ARP : ETHERTYPE_IPV6;
      sent += socket.send(frame, { family: 'packet', ifindex, protocol });
    }
    return sent;
  }

  private socketFor(ifindex: number): NativeSocket {
    let s = this.sockets.get(ifindex);
    if (s === undefined) {
      const c = native().constants;
      // Protocol 0: this socket only sends, so it receives nothing and needs no reading.
      s = NativeSocket.open(c.AF_PACKET, c.SOCK_RAW, 0, 64);
      s.bind({ family: 'packet', ifindex, protocol: 0 });
      this.sockets.set(ifindex, s);
    }
    return s;
  }

  closeAll(): void {
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }
}
