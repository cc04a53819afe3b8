// Shared pieces of the VRRP benchmarks (vrrp-takeover, vrrp-jitter, vrrp-scale): a lab that is torn
// down also on Ctrl-C, tcpdump captures with nanosecond kernel timestamps read back without tshark,
// marker frames that put our own actions on the capture's clock, percentiles, and CPU/RSS of a daemon's
// whole process tree from /proc.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { sleep, VrrpLab } from '../tests/helpers/vrrp-lab.js';
import { decodeIpv4Packet } from '../src/vrrp/wire/packet.js';
import { csToSeconds } from '../src/common/units.js';

/** Ethertype of our marker frames (IEEE local experimental 1): nothing on the LAN parses it. */
export const MARKER_ETHERTYPE = 0x88b5;
const MARKER_MAGIC = 'KTSMARK';

/**
 * Runs `body` with a fresh lab and tears everything down afterwards: on success, on failure, and on
 * SIGINT/SIGTERM (daemons first, so no process is left running in a namespace that no longer has a name).
 */
/** Waits until the daemon's log has been quiet for `quietMs` (its start-up work is over: addresses,
 * gratuitous ARP repeats, first checks), giving up after `giveUpMs`. */
export async function waitForQuietLog(
  daemon: { readonly lines: readonly string[] },
  quietMs = 3000,
  giveUpMs = 60_000,
): Promise<void> {
  const giveUp = Date.now() + giveUpMs;
  for (let seen = -1, quietSince = Date.now(); Date.now() - quietSince < quietMs && Date.now() < giveUp;) {
    if (daemon.lines.length !== seen) [seen, quietSince] = [daemon.lines.length, Date.now()];
    await sleep(250);
  }
}

export async function runWithLab(tag: string, body: (lab: VrrpLab) => Promise<void>): Promise<void> {
  const lab = new VrrpLab(tag);
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: cleaning up the lab\n`);
    lab.killAll();
    lab.net.cleanup();
    rmSync(lab.dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await body(lab);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await lab.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------------
// Captures

/** One frame from a pcap file: its kernel timestamp (CLOCK_REALTIME, ns) and its bytes. */
export interface PcapFrame {
  tNs: bigint;
  data: Buffer;
}

/** Reads a classic pcap file (either byte order, micro- or nanosecond timestamps). */
export function readPcap(file: string): PcapFrame[] {
  const buf = readFileSync(file);
  if (buf.length < 24) return [];
  const magicLE = buf.readUInt32LE(0);
  const magics: Record<number, { le: boolean; nano: boolean }> = {
    0xa1b2c3d4: { le: true, nano: false },
    0xa1b23c4d: { le: true, nano: true },
    0xd4c3b2a1: { le: false, nano: false },
    0x4d3cb2a1: { le: false, nano: true },
  };
  const format = magics[magicLE];
  if (!format) throw new Error(`${file}: not a pcap file (magic ${magicLE.toString(16)})`);
  const u32 = (off: number): number => (format.le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  const frames: PcapFrame[] = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const sec = BigInt(u32(off));
    const frac = BigInt(u32(off + 4));
    const caplen = u32(off + 8);
    if (off + 16 + caplen > buf.length) break; // a record cut short when tcpdump was stopped
    frames.push({
      tNs: sec * 1_000_000_000n + (format.nano ? frac : frac * 1000n),
      data: buf.subarray(off + 16, off + 16 + caplen),
    });
    off += 16 + caplen;
  }
  return frames;
}

/** A VRRP advert (IPv4) or one of our markers, as seen on the wire. */
export type WireEvent =
  | {
      kind: 'vrrp';
      tNs: bigint;
      src: string;
      version: number;
      vrid: number;
      priority: number;
      /** VRRPv3: centiseconds; VRRPv2: seconds. */
      interval: number;
    }
  | { kind: 'marker'; tNs: bigint; id: number; phase: number };

/** Decodes Ethernet frames into VRRP adverts and markers; anything else is dropped. */
export function decodeFrames(frames: PcapFrame[]): WireEvent[] {
  const events: WireEvent[] = [];
  for (const { tNs, data } of frames) {
    if (data.length < 14) continue;
    const ethertype = data.readUInt16BE(12);
    if (ethertype === MARKER_ETHERTYPE) {
      if (data.toString('latin1', 14, 14 + MARKER_MAGIC.length) !== MARKER_MAGIC) continue;
      const at = 14 + MARKER_MAGIC.length;
      events.push({ kind: 'marker', tNs, id: data.readUInt32BE(at), phase: data[at + 4] as number });
    } else if (ethertype === 0x0800) {
      // the daemon's own decoder: what it would read of the same bytes
      const decoded = decodeIpv4Packet(data.subarray(14), '');
      if (!decoded.ok) continue;
      const { received } = decoded;
      const a = received.advert;
      events.push({
        kind: 'vrrp',
        tNs,
        src: received.source,
        version: a.version,
        vrid: a.vrid,
        priority: a.priority,
        interval: a.version === 3 ? a.intervalCs : csToSeconds(a.intervalCs),
      });
    }
  }
  return events;
}

/** A marker frame: broadcast, our magic, the marker id and its phase (0 before an action, 1 after). */
export function markerFrame(id: number, phase: number): Buffer {
  const frame = Buffer.alloc(60);
  frame.fill(0xff, 0, 6);
  Buffer.from([0x02, 0x6b, 0x74, 0x73, 0x00, 0x01]).copy(frame, 6);
  frame.writeUInt16BE(MARKER_ETHERTYPE, 12);
  frame.write(MARKER_MAGIC, 14, 'latin1');
  frame.writeUInt32BE(id >>> 0, 14 + MARKER_MAGIC.length);
  frame[14 + MARKER_MAGIC.length + 4] = phase;
  return frame;
}

/** tcpdump writing to a pcap file with nanosecond kernel timestamps. */
export class NanoCapture {
  private constructor(
    private readonly stopFn: () => Promise<void>,
    readonly file: string,
  ) {}

  /** Starts tcpdump on `ifname` in `ns`; resolves once it is listening. */
  static async start(
    lab: VrrpLab,
    ns: string,
    ifname: string,
    filter: string,
    name: string,
  ): Promise<NanoCapture> {
    const file = join(lab.dir, `${name}.pcap`);
    // --immediate-mode: packets are not held back in a ring block a stop would drop (vrrp-lab.ts capture)
    const argv = [
      'tcpdump',
      '-i',
      ifname,
      '-n',
      '-U',
      '--immediate-mode',
      // Adverts are small: a short snapshot packs many more frames into the kernel's ring, which a busy
      // machine (the status-load bench) otherwise overflows before tcpdump is scheduled.
      '-s',
      '256',
      '-B',
      '65536',
      '--time-stamp-precision=nano',
    ];
    const child = lab.spawnOther(ns, [...argv, '-w', file, filter]);
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${stderr}`)), 10_000);
      child.stderr?.on('data', (c: string) => {
        stderr += c;
        if (stderr.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tcpdump exited (${code}): ${stderr}`));
      });
    });
    const stop = async (): Promise<void> => {
      if (child.exitCode !== null || child.pid === undefined) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGINT');
      await Promise.race([exited, sleep(5000)]);
      if (/(\d+) packets dropped by kernel/.exec(stderr)?.[1] !== '0')
        process.stderr.write(`warning: tcpdump ${name}: ${stderr.trim().split('\n').slice(-3).join('; ')}\n`);
    };
    return new NanoCapture(stop, file);
  }

  /** Stops tcpdump and returns what it captured. */
  async stop(): Promise<WireEvent[]> {
    await this.stopFn();
    return decodeFrames(readPcap(this.file));
  }
}

// ---------------------------------------------------------------------------------------------------
// Figures

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    mean: sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1),
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? NaN,
  };
}

/** A number right-aligned with fixed decimals. */
export function fmt(value: number, digits = 3, width = 9): string {
  return (Number.isFinite(value) ? value.toFixed(digits) : '-').padStart(width);
}

/** "load 12.3 11.0 9.8" — the machine's load matters for every timing figure printed next to it. */
export function loadLine(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

// ---------------------------------------------------------------------------------------------------
// CPU and memory of a process tree

export interface ProcessUsage {
  pid: number;
  comm: string;
  /** utime + stime + cutime + cstime, in clock ticks (children's times once reaped). */
  ticks: number;
  rssKb: number;
}

/** Clock ticks per second of /proc/PID/stat times (USER_HZ: 100 on every Linux ABI node runs on). */
export const CLOCK_TICKS = 100;

function readStat(pid: number): { ppid: number; comm: string; ticks: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' '); // f[0] is field 3 (state)
  const num = (field: number): number => Number(f[field - 3]);
  return { ppid: num(4), comm, ticks: num(14) + num(15) + num(16) + num(17) };
}

function readRssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** `root` and all its descendants (found through their parent pids), with their CPU time and RSS. */
export function treeUsage(root: number): ProcessUsage[] {
  const stats = new Map<number, { ppid: number; comm: string; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) stats.set(Number(name), s);
  }
  const inTree = new Set<number>([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, s] of stats) {
      if (!inTree.has(pid) && inTree.has(s.ppid)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  return [...inTree]
    .filter((pid) => stats.has(pid))
    .map((pid) => {
      const s = stats.get(pid) as { comm: string; ticks: number };
      return { pid, comm: s.comm, ticks: s.ticks, rssKb: readRssKb(pid) };
    });
}
