// VRRP adverts on the wire: a tcpdump capture started in a namespace, decoded by tshark into plain objects
// the tests compare field by field (version, VRID, priority, interval, addresses, TTL, AH, source MAC).
import { spawnSync, type ChildProcess } from 'node:child_process';

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

const TSHARK_FIELDS = [
  'frame.time_relative',
  'ip.src',
  'ipv6.src',
  'ip.dst',
  'ipv6.dst',
  'ip.ttl',
  'ipv6.hlim',
  'vrrp.version',
  'vrrp.type',
  'vrrp.virt_rtr_id',
  'vrrp.prio',
  'vrrp.addr_count',
  'vrrp.adver_int',
  'vrrp.short_adver_int',
  'vrrp.auth_type',
  'vrrp.ip_addr',
  'vrrp.ipv6_addr',
  'ah.spi',
  'eth.src',
];

/** A tcpdump capture in progress. */
export class Capture {
  constructor(
    private readonly child: ChildProcess,
    readonly file: string,
  ) {}

  /** Stops tcpdump (flushing the file) and decodes the VRRP packets in it. */
  async stop(): Promise<DecodedAdvert[]> {
    if (this.child.exitCode === null && this.child.pid !== undefined) {
      await sleep(250); // let tcpdump drain what the kernel already holds: SIGINT drops unread packets
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      process.kill(-this.child.pid, 'SIGINT');
      await Promise.race([exited, sleep(3000)]);
    }
    return decodeAdverts(this.file);
  }
}

/** Decodes the VRRP adverts of a pcap file with tshark. */
export function decodeAdverts(file: string): DecodedAdvert[] {
  const r = spawnSync(
    'tshark',
    [
      '-r',
      file,
      '-Y',
      'vrrp',
      '-T',
      'fields',
      '-E',
      'separator=\t',
      '-E',
      'aggregator=,',
      ...TSHARK_FIELDS.flatMap((f) => ['-e', f]),
    ],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  if (r.status !== 0) throw new Error(`tshark -r ${file} failed (${r.status}): ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const f = line.split('\t');
      const at = (i: number): string => f[i] ?? '';
      const num = (i: number): number => Number(at(i).split(',')[0]);
      const list = (i: number): string[] => (at(i) ? at(i).split(',') : []);
      const version = num(7);
      return {
        time: num(0),
        src: at(1) || at(2),
        dst: at(3) || at(4),
        ttl: at(5) ? num(5) : num(6),
        version,
        type: num(8),
        vrid: num(9),
        priority: num(10),
        addrCount: num(11),
        interval: version === 3 ? num(13) : num(12),
        authType: at(14) ? num(14) : undefined,
        addresses: [...list(15), ...list(16)],
        ah: at(17) !== '',
        srcMac: at(18),
      };
    });
}
