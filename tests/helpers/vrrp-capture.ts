// VRRP adverts on the wire: a tcpdump capture started in a namespace, decoded by tshark into plain objects
// the tests compare field by field (version, VRID, priority, interval, addresses, TTL, AH, source MAC).
import type { ChildProcess } from 'node:child_process';
import { tsharkAdvert, tsharkRecords, VRRP_FIELDS } from './tshark.js';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One VRRP advert as tshark decodes it. */
export interface DecodedAdvert {
  time: number;
  src: string;
  dst: string;
  ttl: number;
  version: number;
  type: number;
  vrid: number;
  priority: number;
  addrCount: number;
  /** VRRPv2: seconds; VRRPv3: centiseconds. */
  interval: number;
  authType?: number;
  addresses: string[];
  /** Whether the packet came inside an IPsec AH header. */
  ah: boolean;
  /** Ethernet source address (the virtual MAC with use_vmac, RFC 5798 7.3). */
  srcMac: string;
}

/** A tcpdump capture in progress. */
export class Capture {
  constructor(
    private readonly child: ChildProcess,
    readonly file: string,
  ) {}

  /** Stops tcpdump (flushing the file) and decodes the VRRP packets in it. */
  async stop(): Promise<DecodedAdvert[]> {
    if (this.child.exitCode === null && this.child.pid !== undefined) {
      await sleep(250); // let tcpdump write what it read (--immediate-mode: it reads each packet at once)
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      process.kill(-this.child.pid, 'SIGINT');
      await Promise.race([exited, sleep(3000)]);
    }
    return decodeAdverts(this.file);
  }
}

/** Decodes the VRRP adverts of a pcap file with tshark. */
export function decodeAdverts(file: string): DecodedAdvert[] {
  return tsharkRecords(file, 'vrrp', ['frame.time_relative', ...VRRP_FIELDS]).map((r) => {
    const { checksum: _checksum, authType, ...advert } = tsharkAdvert(r);
    return { time: Number(r['frame.time_relative']), ...advert, authType };
  });
}
