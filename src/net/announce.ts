// Sends gratuitous ARPs and unsolicited neighbor advertisements as whole Ethernet frames through one
// AF_PACKET socket. The socket is opened with protocol 0, so the kernel queues no received frames to it
// (keepalived uses the rarely seen RARP ethertype for the same purpose).
import { encodeGratuitousArp, BROADCAST_MAC, type MacAddress } from './arp.js';
import { native } from './native.js';
import { ALL_NODES_MAC, encodeUnsolicitedNa, type UnsolicitedNaOptions } from './ndp.js';
import { NativeSocket } from './socket.js';

export class LinkAnnouncer {
  private socket: NativeSocket | undefined;

  private open(): NativeSocket {
    if (!this.socket) {
      const c = native().constants;
      this.socket = NativeSocket.open(c.AF_PACKET, c.SOCK_RAW, 0, 64);
    }
    return this.socket;
  }

  /** Sends a prepared Ethernet frame out of `ifindex`; returns the bytes sent. */
  sendFrame(ifindex: number, frame: Uint8Array, destinationMac: Uint8Array): number {
    return this.open().send(frame, { family: 'packet', ifindex, addr: destinationMac });
  }

  /** Gratuitous ARP for IPv4 `ip` from `mac` on `ifindex`. */
  gratuitousArp(ifindex: number, mac: MacAddress, ip: string): number {
    return this.sendFrame(ifindex, encodeGratuitousArp(mac, ip), BROADCAST_MAC);
  }

  /** Unsolicited neighbor advertisement for IPv6 `ip` from `mac` on `ifindex`. */
  unsolicitedNa(ifindex: number, mac: MacAddress, ip: string, options: UnsolicitedNaOptions = {}): number {
    return this.sendFrame(ifindex, encodeUnsolicitedNa(mac, ip, options), ALL_NODES_MAC);
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}
