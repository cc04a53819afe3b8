// What every probe shares: a single settle point, a hard deadline, abort support and cleanup, so a
// probe can never hang, never throw out, and never leak a socket or a timer.
import { isIPv6 } from 'node:net';
import type { CheckerSpec, ProbeResult } from '../schedule/spec.js';

/** A probe: does one check of `spec`, resolves within its deadline, never rejects. */
export type Probe = (spec: CheckerSpec, signal?: AbortSignal) => Promise<ProbeResult>;

export interface ProbeContext {
  /** Settles the probe (only the first call counts) and runs the cleanups. */
  finish(result: ProbeResult): void;
  succeed(detail: string): void;
  fail(detail: string): void;
  /** Registers something to undo when the probe settles (close a socket, kill a timer). */
  onCleanup(cleanup: () => void): void;
  readonly settled: boolean;
}

// Thousands of probes share the runner's one AbortSignal: an EventTarget listener per probe would cost
// an O(n) duplicate scan each, so one listener per signal fans out to a Set of callbacks instead.
const abortWatchers = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `onAbort` when `signal` aborts; returns the unsubscribe function. */
export function watchAbort(signal: AbortSignal, onAbort: () => void): () => void {
  let watchers = abortWatchers.get(signal);
  if (watchers === undefined) {
    const set = new Set<() => void>();
    watchers = set;
    abortWatchers.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const watcher of [...set]) watcher();
        set.clear();
      },
      { once: true },
    );
  }
  watchers.add(onAbort);
  const registered = watchers;
  return () => registered.delete(onAbort);
}

/**
 * Runs `body` with a hard deadline of `timeoutMs`; `onTimeout` says what the deadline means (a failure
 * for most probes, a success for UDP_CHECK without require_reply).
 */
export function runProbe(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  body: (ctx: ProbeContext) => void | Promise<void>,
  onTimeout: () => ProbeResult = () => ({ ok: false, detail: 'timed out' }),
): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    const cleanups: Array<() => void> = [];
    let settled = false;
    const ctx: ProbeContext = {
      finish(result) {
        if (settled) return;
        settled = true;
        for (const cleanup of cleanups.reverse()) {
          try {
            cleanup();
          } catch {
            // cleanup errors cannot change the verdict
          }
        }
        resolve(result);
      },
      succeed: (detail) => ctx.finish({ ok: true, detail }),
      fail: (detail) => ctx.finish({ ok: false, detail }),
      onCleanup(cleanup) {
        if (settled) cleanup();
        else cleanups.push(cleanup);
      },
      get settled() {
        return settled;
      },
    };
    const timer = setTimeout(() => ctx.finish(onTimeout()), Math.max(1, timeoutMs));
    ctx.onCleanup(() => clearTimeout(timer));
    if (signal !== undefined) {
      if (signal.aborted) {
        ctx.fail('aborted');
        return;
      }
      ctx.onCleanup(watchAbort(signal, () => ctx.fail('aborted')));
    }
    try {
      const maybe = body(ctx);
      if (maybe instanceof Promise) maybe.catch((e: unknown) => ctx.fail(errorText(e)));
    } catch (e) {
      ctx.fail(errorText(e));
    }
  });
}

export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== undefined && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

/** The address to dial: IPv6 link-local needs the bind_if as scope. */
export function dialAddress(spec: CheckerSpec): string {
  const { address, bindIf } = spec.connect;
  if (isIPv6(address) && /^fe80:/i.test(address) && bindIf !== undefined && !address.includes('%')) {
    return `${address}%${bindIf}`;
  }
  return address;
}

/** "[addr]:port" for IPv6, "addr:port" otherwise (keepalived's Host header and log format). */
export function hostPort(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}
