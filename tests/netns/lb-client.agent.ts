// The client of the load-balancer lab (tests/helpers/lb-lab.ts), run inside its namespace: HTTP requests
// to nginx and DNS queries to dnsmasq through the VIPs, each a new connection or a new source port, so
// that every request is a new flow the load balancer schedules. JSON commands on stdin, one JSON answer
// per line (the Agent class of nft-lab.ts drives it):
//   { id, op: 'http', host, port, count, from? }     → the body of each answer (the server's name), or
//                                                      'TIMEOUT' / 'ERR <code>'
//   { id, op: 'dns', host, port, name, type, count, from? } → the address answered to each query
//   { id, op: 'hold', conn, host, port, from? }      → opens a keep-alive HTTP/1.1 connection: first body
//   { id, op: 'again', conn }                        → one more request on that connection: its body
//   { id, op: 'drop', conn }
//   { id, op: 'watch', host, port, everyMs, timeoutMs, durationMs }
//        → a new connection every everyMs (each given timeoutMs) for durationMs: for each,
//          { sentAt, answeredAt? (Date.now(); absent when it failed), body }
//   { id, op: 'rps', host, port, seconds, concurrency } → requests per second, a new connection each
import dgram from 'node:dgram';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { encodeDnsQuery } from '../../src/check/probes/dns-message.js';
import { bytesToAddress } from '../../src/common/inet.js';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';

refuseOutsideSuiteNamespace('lb-client.agent.js');

const TIMEOUT_MS = 2000;

/** One HTTP/1.0 GET on a new connection; the body, trimmed. */
function httpGet(host: string, port: number, from?: string, timeoutMs = TIMEOUT_MS): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, localAddress: from });
    const timer = setTimeout(() => done('TIMEOUT'), timeoutMs);
    let data = '';
    let settled = false;
    function done(result: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve(result);
    }
    s.on('connect', () => s.write(`GET / HTTP/1.0\r\nHost: lb.test\r\n\r\n`));
    s.on('data', (c) => (data += c.toString()));
    s.on('end', () => done(bodyOf(data) ?? `ERR bad answer ${JSON.stringify(data.slice(0, 80))}`));
    s.on('error', (e: NodeJS.ErrnoException) => done(`ERR ${e.code ?? e.message}`));
  });
}

function bodyOf(answer: string): string | undefined {
  const at = answer.indexOf('\r\n\r\n');
  if (!answer.startsWith('HTTP/1.1 200') || at < 0) return undefined;
  return answer.slice(at + 4).trim();
}

/** A keep-alive HTTP/1.1 connection: requests one after the other, each answer read by Content-Length. */
class HeldConnection {
  private buffered = '';
  private wake: (() => void) | undefined;
  private closed = false;
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (c) => {
      this.buffered += c.toString();
      this.wake?.();
    });
    const close = (): void => {
      this.closed = true;
      this.wake?.();
    };
    socket.on('close', close);
    socket.on('error', close);
  }

  static open(host: string, port: number, from?: string): Promise<HeldConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port, localAddress: from, timeout: TIMEOUT_MS });
      s.once('connect', () => {
        s.setTimeout(0);
        resolve(new HeldConnection(s));
      });
      s.once('error', reject);
      s.once('timeout', () => reject(new Error('connect timeout')));
    });
  }

  request(): Promise<string> {
    if (this.closed) return Promise.resolve('ERR closed');
    this.socket.write('GET / HTTP/1.1\r\nHost: lb.test\r\n\r\n');
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish('TIMEOUT'), TIMEOUT_MS);
      const finish = (v: string): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(v);
      };
      this.wake = () => {
        const head = this.buffered.indexOf('\r\n\r\n');
        const length = /content-length: *(\d+)/i.exec(this.buffered.slice(0, Math.max(0, head)));
        if (head >= 0 && length) {
          const end = head + 4 + Number(length[1]);
          if (this.buffered.length >= end) {
            const body = this.buffered.slice(head + 4, end).trim();
            this.buffered = this.buffered.slice(end);
            return finish(body);
          }
        }
        if (this.closed) finish('ERR closed');
      };
      this.wake();
    });
  }

  drop(): void {
    this.socket.destroy();
  }
}

/** Skips a (possibly compressed) DNS name at `at`; returns the offset after it. */
function skipName(m: Buffer, at: number): number {
  for (;;) {
    const len = m[at] as number;
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += len + 1;
  }
}

/** The first A or AAAA address of a DNS answer, or a reason. */
function answerAddress(m: Buffer): string {
  if (m.length < 12) return 'ERR short';
  const rcode = m.readUInt16BE(2) & 0xf;
  if (rcode !== 0) return `ERR rcode ${rcode}`;
  let at = skipName(m, 12) + 4; // the question: name, type, class
  for (let i = 0; i < m.readUInt16BE(6); i++) {
    at = skipName(m, at);
    const type = m.readUInt16BE(at);
    const len = m.readUInt16BE(at + 8);
    const data = m.subarray(at + 10, at + 10 + len);
    at += 10 + len;
    if ((type === 1 && len === 4) || (type === 28 && len === 16)) return bytesToAddress(data) ?? 'ERR';
  }
  return 'ERR no address';
}

/** One query from a new socket (a new source port: a new flow). */
function dnsQuery(
  host: string,
  port: number,
  name: string,
  type: 'A' | 'AAAA',
  from?: string,
): Promise<string> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const id = Math.floor(Math.random() * 0xffff);
    const timer = setTimeout(() => done('TIMEOUT'), TIMEOUT_MS);
    function done(v: string): void {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    }
    sock.on('error', (e: NodeJS.ErrnoException) => done(`ERR ${e.code ?? e.message}`));
    sock.on('message', (m) => {
      if (m.length >= 2 && m.readUInt16BE(0) === id) done(answerAddress(m));
    });
    sock.bind(0, from, () => sock.send(encodeDnsQuery(id, name, type), port, host));
  });
}

/** An attempt of watch(): when it left, when it was answered (undefined: never), what came back. */
interface Attempt {
  sentAt: number;
  answeredAt?: number;
  body: string;
}

/** A new connection every `everyMs` for `durationMs`, overlapping, each given `timeoutMs`. */
async function watch(
  host: string,
  port: number,
  everyMs: number,
  timeoutMs: number,
  durationMs: number,
): Promise<Attempt[]> {
  const attempts: Promise<Attempt>[] = [];
  const end = Date.now() + durationMs;
  while (Date.now() < end) {
    const sentAt = Date.now();
    attempts.push(
      httpGet(host, port, undefined, timeoutMs).then((body) =>
        body === 'TIMEOUT' || body.startsWith('ERR')
          ? { sentAt, body }
          : { sentAt, answeredAt: Date.now(), body },
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return Promise.all(attempts);
}

/** Requests per second, each on a new connection (HTTP/1.0), `concurrency` at a time, for `seconds`. */
async function requestsPerSecond(
  host: string,
  port: number,
  seconds: number,
  concurrency: number,
): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      const body = await httpGet(host, port);
      if (body === 'TIMEOUT' || body.startsWith('ERR')) failed++;
      else done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failed > done / 100) throw new Error(`${failed} failed requests of ${done + failed}`);
  return (done * 1000) / (Date.now() - started);
}

interface Command {
  id: number;
  op: string;
  host: string;
  port: number;
  count?: number;
  from?: string;
  name?: string;
  type?: 'A' | 'AAAA';
  conn?: string;
  everyMs?: number;
  timeoutMs?: number;
  durationMs?: number;
  seconds?: number;
  concurrency?: number;
}

const held = new Map<string, HeldConnection>();

async function run(c: Command): Promise<unknown> {
  switch (c.op) {
    case 'http': {
      const out: string[] = [];
      for (let i = 0; i < (c.count ?? 1); i++) out.push(await httpGet(c.host, c.port, c.from));
      return out;
    }
    case 'dns': {
      const out: string[] = [];
      for (let i = 0; i < (c.count ?? 1); i++)
        out.push(await dnsQuery(c.host, c.port, c.name ?? '', c.type ?? 'A', c.from));
      return out;
    }
    case 'hold': {
      const conn = await HeldConnection.open(c.host, c.port, c.from);
      held.set(c.conn ?? '', conn);
      return conn.request();
    }
    case 'again':
      return held.get(c.conn ?? '')?.request() ?? 'ERR no such connection';
    case 'drop':
      held.get(c.conn ?? '')?.drop();
      held.delete(c.conn ?? '');
      return null;
    case 'watch':
      return watch(c.host, c.port, c.everyMs ?? 50, c.timeoutMs ?? 300, c.durationMs ?? 5000);
    case 'rps':
      return requestsPerSecond(c.host, c.port, c.seconds ?? 5, c.concurrency ?? 32);
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as Command;
  run(c).then(
    (result) => process.stdout.write(`${JSON.stringify({ id: c.id, ok: true, result })}\n`),
    (error: Error) =>
      process.stdout.write(`${JSON.stringify({ id: c.id, ok: false, message: error.message })}\n`),
  );
});
process.stdin.on('end', () => process.exit(0));
