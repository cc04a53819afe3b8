// Gratuitous ARP and unsolicited neighbour advertisements, sent as whole Ethernet frames on an
// AF_PACKET socket bound to the interface, so that the frames are exactly the ones we encoded.
import { encodeGratuitousArp, ETHERTYPE_ARP } from '../../net/arp.js';
import { native } from '../../net/native.js';
import { encodeUnsolicitedNa, ETHERTYPE_IPV6 } from '../../net/ndp.js';
import { NativeSocket } from '../../net/socket.js';
import type { IpFamily } from '../../vrrp/advert.js';

export class Announcer {
  private readonly sockets = new Map<number, NativeSocket>();

  /** Sends one announcement per address from `mac` on interface `ifindex`. */
  announce(
    ifindex: number,
    mac: string,
    family: IpFamily,
    addresses: readonly string[],
    router = false,
  ): void {
    const socket = this.socketFor(ifindex);
    for (const address of addresses) {
      const frame =
        family === 4 ? encodeGratuitousArp(mac, address) : encodeUnsolicitedNa(mac, address, { router });
      const protocol = family === 4 ? ETHERTYPE_ARP : ETHERTYPE_IPV6;
      socket.send(frame, { family: 'packet', ifindex, protocol });
    }
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
