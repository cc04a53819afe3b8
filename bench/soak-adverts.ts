// The soak's observer: tcpdump in a namespace of its own on every VRRP LAN (`-i any`), writing pcap to
// its stdout, read as a stream (nothing grows on disk over an hour), each advert decoded by the daemon's
// own decoder. Per instance (sender address + VRID) it keeps the time of the last advert; a gap longer
// than the limit is a missed advert. Kernel capture timestamps, so the bench's own delays do not count.
import type { ChildProcess } from 'node:child_process';
import { decodeIpv4Packet } from '../src/vrrp/wire/packet.js';

/** Where the IP header starts for the link types `tcpdump -i any` writes. */
const LINK_HEADER: Record<number, { length: number; protoAt: number }> = {
  1: { length: 14, protoAt: 12 }, // Ethernet
  113: { length: 16, protoAt: 14 }, // Linux cooked v1
  276: { length: 20, protoAt: 0 }, // Linux cooked v2
};

/** Gap figures of one group of senders over a window (or the whole run). */
export interface GapWindow {
  adverts: number;
  /** Gaps above the limit: adverts missed. */
  missed: number;
  /** Gaps above 1.1 intervals: late but in their slot. */
  late: number;
  maxGapMs: number;
}

const emptyWindow = (): GapWindow => ({ adverts: 0, missed: 0, late: 0, maxGapMs: 0 });

export interface GapEvent {
  key: string;
  gapMs: number;
  /** Capture time (ms since the epoch) of the advert that ended the gap. */
  atMs: number;
}

export class AdvertWatch {
  private buf: Buffer = Buffer.alloc(0);
  private link: { length: number; protoAt: number } | undefined;
  private little = true;
  private nano = false;
  private readonly last = new Map<string, bigint>();
  private window = new Map<string, GapWindow>();
  readonly total = new Map<string, GapWindow>();
  /** Every missed advert (gap above the limit), for the report. */
  readonly missedEvents: GapEvent[] = [];
  /** Senders outside every group (a transition we did not expect). */
  readonly strangers = new Map<string, number>();
  /** Adverts before this capture time are not judged (start-up). */
  judgeFromNs = 0n;
  lastCaptureNs = 0n;

  /**
   * `groupOf` names the group of a sender address (ours, peer) or returns undefined for a stranger;
   * `intervalMs` the advert interval, `missedAfter` the gap (in intervals) that counts as missed.
   */
  constructor(
    private readonly groupOf: (source: string) => string | undefined,
    private readonly intervalMs: number,
    private readonly missedAfter: number,
  ) {}

  /** Feeds tcpdump's stdout (`-w -`) into the watch. */
  attach(tcpdump: ChildProcess): void {
    // spawnOther decodes stdout as utf8; latin1 maps every byte to one char and back, losslessly
    tcpdump.stdout?.setEncoding('latin1');
    tcpdump.stdout?.on('data', (chunk: string | Buffer) =>
      this.feed(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk),
    );
  }

  feed(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let off = 0;
    if (!this.link) {
      if (this.buf.length < 24) return;
      const magic = this.buf.readUInt32LE(0);
      this.little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
      this.nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
      const linkType = this.little ? this.buf.readUInt32LE(20) : this.buf.readUInt32BE(20);
      this.link = LINK_HEADER[linkType];
      if (!this.link) throw new Error(`capture: unexpected link type ${linkType}`);
      off = 24;
    }
    const u32 = (at: number): number => (this.little ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at));
    while (off + 16 <= this.buf.length) {
      const caplen = u32(off + 8);
      if (off + 16 + caplen > this.buf.length) break;
      const sec = BigInt(u32(off));
      const frac = BigInt(u32(off + 4));
      const tNs = sec * 1_000_000_000n + (this.nano ? frac : frac * 1000n);
      this.frame(tNs, this.buf.subarray(off + 16, off + 16 + caplen));
      off += 16 + caplen;
    }
    this.buf = this.buf.subarray(off);
  }

  private frame(tNs: bigint, data: Buffer): void {
    const link = this.link as { length: number; protoAt: number };
    if (data.length < link.length || data.readUInt16BE(link.protoAt) !== 0x0800) return;
    const decoded = decodeIpv4Packet(data.subarray(link.length), '');
    if (!decoded.ok) return;
    this.lastCaptureNs = tNs;
    const source = decoded.received.source;
    const group = this.groupOf(source);
    if (group === undefined) {
      this.strangers.set(source, (this.strangers.get(source) ?? 0) + 1);
      return;
    }
    const key = `${source}/${decoded.received.advert.vrid}`;
    const previous = this.last.get(key);
    this.last.set(key, tNs);
    if (tNs < this.judgeFromNs) return;
    const w = this.windowOf(this.window, group);
    const t = this.windowOf(this.total, group);
    w.adverts++;
    t.adverts++;
    if (previous === undefined || previous < this.judgeFromNs) return;
    const gapMs = Number(tNs - previous) / 1e6;
    for (const g of [w, t]) {
      g.maxGapMs = Math.max(g.maxGapMs, gapMs);
      if (gapMs > this.intervalMs * 1.1) g.late++;
      if (gapMs > this.intervalMs * this.missedAfter) g.missed++;
    }
    if (gapMs > this.intervalMs * this.missedAfter)
      this.missedEvents.push({ key, gapMs, atMs: Number(tNs / 1_000_000n) });
  }

  private windowOf(map: Map<string, GapWindow>, group: string): GapWindow {
    let w = map.get(group);
    if (!w) map.set(group, (w = emptyWindow()));
    return w;
  }

  /** The figures since the last call, per group. */
  takeWindow(): Map<string, GapWindow> {
    const w = this.window;
    this.window = new Map();
    return w;
  }

  /** Instances of `group` heard so far, and those silent for longer than the limit at capture time `nowNs`. */
  instances(group: string, nowNs: bigint): { heard: number; silent: string[] } {
    let heard = 0;
    const silent: string[] = [];
    const limitNs = BigInt(Math.round(this.intervalMs * this.missedAfter * 1e6));
    for (const [key, t] of this.last) {
      if (this.groupOf(key.split('/')[0] as string) !== group) continue;
      heard++;
      if (nowNs - t > limitNs) silent.push(key);
    }
    return { heard, silent };
  }
}
