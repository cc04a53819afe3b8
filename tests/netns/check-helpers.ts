// Helpers for the checker tests that run inside a network namespace: spec builders, real servers
// started as child processes, and readiness waits. Everything binds 127.0.0.x inside the namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckOptions, CheckerSpec, CheckerTiming } from '../../src/check/schedule/spec.js';

export function spec(
  options: CheckOptions,
  port: number,
  over: { address?: string; timeoutMs?: number; timing?: Partial<CheckerTiming>; id?: string } = {},
): CheckerSpec {
  return {
    id: over.id ?? `${options.kind}-${port}`,
    server: 'rs',
    connect: { address: over.address ?? '127.0.0.1', port, timeoutMs: over.timeoutMs ?? 500 },
    timing: {
      delayLoopMs: 200,
      retry: 1,
      delayBeforeRetryMs: 100,
      warmupMs: 0,
      alpha: false,
      ...over.timing,
    },
    options,
    enabled: true,
  };
}

/**
 * How late a timed event may be on a loaded 2-core machine before a test calls it a failure. Lower bounds
 * stay tight (a timeout must never fire early); upper bounds only catch a timer that did not fire at all.
 */
export const LOAD_MARGIN_MS = 3000;

export function workDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kts-chk-${prefix}-`));
  chmodSync(dir, 0o755);
  return dir;
}

// Each test process takes its own block of 100 ports below the kernel's ephemeral range (32768 up), so
// neither another inner file running beside it nor a client socket's local port can hold one (CI met
// EADDRINUSE when blocks were 10 wide and reached into the ephemeral range).
let nextPort = 10000 + (process.pid % 225) * 100;
export function freePort(): number {
  return nextPort++;
}

export function tcpReady(port: number, address = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
  what = 'a server to come up',
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A child process stopped (SIGTERM, then SIGKILL) by `stop()`. */
export class Server {
  readonly child: ChildProcess;
  private output = '';
  constructor(cmd: string, args: string[]) {
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.on('error', (e) => (this.output += String(e)));
  }
  get log(): string {
    return this.output;
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  }
}

export function listen(server: NetServer, port: number): Promise<void> {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
}
export function close(server: NetServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
/** Accepts connections and never says a word; close() drops the held connections first. */
export async function silentTcpServer(port: number): Promise<{ close: () => Promise<void> }> {
  const held: Socket[] = [];
  const server = createServer((s) => held.push(s));
  await listen(server, port);
  return {
    close: () => {
      held.forEach((s) => s.destroy());
      return close(server);
    },
  };
}
export async function elapsed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await work();
  return [r, performance.now() - t0];
}
