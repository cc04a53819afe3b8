// Batched TCP connect probes through the native addon (native/src/tcp_probe.c): a probe is a fixed-size
// record, encoded once per target and submitted as often as needed; the addon runs every connect in one
// epoll set, handles connect timeouts itself and reports all completions of a wake in ONE callback, so
// a probe costs no socket object, timer or callback on the JS side.
import { endianness } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { addressBuffer } from './netlink/ip-text.js';
import { native, type NativeAddon } from './native.js';

/** Where one TCP probe connects from and to. */
export interface TcpProbeTarget {
  /** IPv4 or IPv6 text; an IPv6 "%zone" suffix names the scope interface. */
  address: string;
  port: number;
  /** Source address (keepalived's bindto). */
  bindTo?: string;
  /** Source port (bind_port). */
  bindPort?: number;
  /** Interface the socket is bound to (SO_BINDTODEVICE) and, for link-local targets, the scope. */
  bindIf?: string;
  /** SO_MARK on the socket (fwmark). */
  fwmark?: number;
  /** The probe fails with ETIMEDOUT when the connection is not up after this long. */
  timeoutMs: number;
  /**
   * Close with an RST (SO_LINGER {1, 0}) instead of a FIN: no TIME_WAIT socket is left behind per
   * probe, but the server sees ECONNRESET. keepalived 2.2 closes with a FIN, so that is the default.
   */
  resetOnClose?: boolean;
}

/** The record layout the addon reads (native/src/addon.h and tcp_probe.c); checked at load time. */
export const TCP_PROBE_RECORD_SIZE = 72;
export const TCP_PROBE_FLAGS = {
  bindAddress: 1,
  bindDevice: 2,
  scopeFromIfname: 4,
  mark: 8,
  gracefulClose: 16,
} as const;
export const TCP_PROBE_OFFSETS = {
  family: 0,
  flags: 1,
  port: 2,
  bindPort: 4,
  timeoutMs: 8,
  mark: 12,
  scopeId: 16,
  destination: 20,
  bindAddress: 36,
  ifname: 52,
} as const;
const IFNAMSIZ = 16;

/** Encodes a target as the addon's request record (host-order integers, network-order addresses). */
export function encodeTcpProbe(target: TcpProbeTarget): Uint8Array {
  const record = new Uint8Array(TCP_PROBE_RECORD_SIZE);
  const view = new DataView(record.buffer);
  const le = endianness() === 'LE';
  const o = TCP_PROBE_OFFSETS;
  const percent = target.address.indexOf('%');
  const zone = percent === -1 ? undefined : target.address.slice(percent + 1);
  const destination = addressBuffer(percent === -1 ? target.address : target.address.slice(0, percent));
  const v6 = destination.length === 16;
  if (zone !== undefined && !v6) throw new RangeError(`a scope only applies to IPv6: ${target.address}`);
  checkPort(target.port, 'port');
  let flags = 0;
  record[o.family] = v6 ? 6 : 4;
  view.setUint16(o.port, target.port, le);
  record.set(destination, o.destination);
  if (target.bindTo !== undefined) {
    const source = addressBuffer(target.bindTo);
    if (source.length !== destination.length) {
      throw new RangeError(`bindto ${target.bindTo} and ${target.address} are not the same family`);
    }
    record.set(source, o.bindAddress);
    flags |= TCP_PROBE_FLAGS.bindAddress;
  }
  if (target.bindPort !== undefined && target.bindPort !== 0) {
    checkPort(target.bindPort, 'bind_port');
    view.setUint16(o.bindPort, target.bindPort, le);
  }
  // keepalived binds the socket to bind_if and takes it as the scope of a link-local target.
  const ifname = target.bindIf ?? zone;
  if (ifname !== undefined && ifname !== '') {
    const bytes = new TextEncoder().encode(ifname);
    if (bytes.length >= IFNAMSIZ || bytes.includes(0)) throw new RangeError(`bad interface name ${ifname}`);
    record.set(bytes, o.ifname);
    if (target.bindIf !== undefined) flags |= TCP_PROBE_FLAGS.bindDevice;
    if (v6 && isLinkLocal(destination)) flags |= TCP_PROBE_FLAGS.scopeFromIfname;
  }
  if (target.fwmark !== undefined && target.fwmark !== 0) {
    view.setUint32(o.mark, target.fwmark >>> 0, le);
    flags |= TCP_PROBE_FLAGS.mark;
  }
  if (!target.resetOnClose) flags |= TCP_PROBE_FLAGS.gracefulClose;
  view.setUint32(o.timeoutMs, Math.max(1, Math.min(Math.round(target.timeoutMs), 0xffffffff)), le);
  record[o.flags] = flags;
  return record;
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`bad ${what} ${port}`);
}

function isLinkLocal(bytes: Uint8Array): boolean {
  return bytes[0] === 0xfe && ((bytes[1] as number) & 0xc0) === 0x80;
}

const systemErrors = getSystemErrorMap();

/** errno number -> its name (ECONNREFUSED), `E<n>` when unknown. */
export function errnoName(errno: number): string {
  return systemErrors.get(-errno)?.[0] ?? `E${errno}`;
}

/** errno number -> "NAME: message" as node words system errors. */
export function errnoText(errno: number): string {
  const known = systemErrors.get(-errno);
  return known === undefined ? `E${errno}` : `${known[0]}: ${known[1]}`;
}

/** The errno a probe reports when its own deadline passed. */
export const ETIMEDOUT = 110;

/** Called once per probe with 0 (connected) or the errno of the failure (ETIMEDOUT: timed out). */
export type TcpProbeDone = (errno: number) => void;

type ProberHandle = { readonly __brand: 'TcpProber' };

interface TcpProberNative {
  tcpProberCreate(onBatch: (count: number) => void, results: Uint32Array): ProberHandle;
  tcpProberSubmit(prober: ProberHandle, record: Uint8Array): number;
  tcpProberCancel(prober: ProberHandle, handle: number): boolean;
  tcpProberClose(prober: ProberHandle): void;
  tcpProberInFlight(prober: ProberHandle): number;
}

/** Completions delivered per callback at most; more in one wake simply take several callbacks. */
const RESULTS_PER_CALLBACK = 4096;

/** Many concurrent TCP connect probes sharing one epoll set in the addon. */
export class TcpProber {
  private readonly addon: NativeAddon & TcpProberNative;
  private readonly handle: ProberHandle;
  private readonly results = new Uint32Array(2 * RESULTS_PER_CALLBACK);
  private readonly pending = new Map<number, TcpProbeDone>();
  private closed = false;
  /** Completion callbacks the addon made so far (each carries every probe settled in one wake). */
  batches = 0;
  /** Probes reported so far. */
  completed = 0;

  constructor() {
    this.addon = native() as NativeAddon & TcpProberNative;
    const size = this.addon.constants.TCP_PROBE_RECORD_SIZE;
    if (size !== TCP_PROBE_RECORD_SIZE || typeof this.addon.tcpProberCreate !== 'function') {
      throw new Error(`native addon has no matching TCP prober (record size ${size}): rebuild it`);
    }
    this.handle = this.addon.tcpProberCreate((count) => this.onBatch(count), this.results);
  }

  /** Starts a probe of an encoded target; `done` runs later (never synchronously). Returns its handle. */
  start(record: Uint8Array, done: TcpProbeDone): number {
    if (this.closed) throw new Error('TCP prober closed');
    const id = this.addon.tcpProberSubmit(this.handle, record);
    this.pending.set(id, done);
    return id;
  }

  /** Abandons a probe: its socket closes now and `done` is never called. */
  cancel(id: number): void {
    if (this.pending.delete(id) && !this.closed) this.addon.tcpProberCancel(this.handle, id);
  }

  /** Probes started and not yet reported. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Abandons every probe in flight and releases the addon's descriptors. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    this.addon.tcpProberClose(this.handle);
  }

  private onBatch(count: number): void {
    const results = this.results;
    this.batches++;
    this.completed += count;
    for (let i = 0; i < count; i++) {
      const id = results[2 * i] as number;
      const done = this.pending.get(id);
      if (done === undefined) continue; // cancelled after it settled
      this.pending.delete(id);
      try {
        done((results[2 * i + 1] as number) | 0);
      } catch (e) {
        // a throwing callback must not cost the rest of the batch their results
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}

let shared: TcpProber | undefined;

/** The process-wide prober every TCP_CHECK shares (one epoll set for all of them). */
export function sharedTcpProber(): TcpProber {
  shared ??= new TcpProber();
  return shared;
}
