// Traffic for the nftables plane's kernel tests, run inside test namespaces.
//   KTS_NFT_AGENT=server NAME TCP_PORTS UDP_PORTS: answers every TCP connection with "NAME\n" and then
//     each line it receives with "NAME:line\n"; answers every UDP datagram with "NAME". Prints "ready".
//   KTS_NFT_AGENT=client: JSON commands on stdin, one JSON answer per line:
//     { id, op: 'tcp', host, port, count, from? } → names, one fresh connection each
//     { id, op: 'udp', host, port, count, from? } → names, one fresh socket (source port) each
//     { id, op: 'open', conn, host, port, from? } → the first line of a connection kept open
//     { id, op: 'send', conn, text } → the reply on that connection; { id, op: 'end', conn }
//     { id, op: 'rps', host, port, seconds, concurrency } → requests per second (connect, read, close)
import dgram from 'node:dgram';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';
import { pingProbe } from '../../src/check/probes/ping.js';
import type { CheckerSpec } from '../../src/check/schedule/spec.js';

refuseOutsideSuiteNamespace('nft-traffic.agent.js');

const role = process.env.KTS_NFT_AGENT;
const TIMEOUT_MS = 2000;

function serve(name: string, tcpPorts: number[], udpPorts: number[]): void {
  let pending = tcpPorts.length + udpPorts.length;
  const listening = (): void => {
    if (--pending === 0) console.log('ready');
  };
  for (const port of tcpPorts) {
    net
      .createServer((socket) => {
        socket.on('error', () => undefined);
        socket.write(`${name}\n`);
        let buffered = '';
        socket.on('data', (chunk) => {
          buffered += chunk.toString();
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            socket.write(`${name}:${buffered.slice(0, nl)}\n`);
            buffered = buffered.slice(nl + 1);
          }
        });
      })
      .listen({ port, host: '::', ipv6Only: false, backlog: 4096 }, listening);
  }
  for (const port of udpPorts) {
    const sock = dgram.createSocket({ type: 'udp6', ipv6Only: false });
    sock.on('message', (_msg, rinfo) => sock.send(name, rinfo.port, rinfo.address));
    sock.bind(port, '::', listening);
  }
}

/**
 * Connects, reads the first line; 'TIMEOUT' / 'ERR <code>' on failure. `reset` ends with an RST, leaving
 * no TIME_WAIT socket behind (a connection-rate loop would otherwise run out of source ports).
 */
function firstLine(
  host: string,
  port: number,
  from?: string,
  keep?: (s: net.Socket) => void,
  reset = false,
): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, localAddress: from, timeout: TIMEOUT_MS });
    let data = '';
    const done = (v: string): void => {
      resolve(v);
      if (keep) return;
      if (reset && !s.destroyed) s.resetAndDestroy();
      else s.destroy();
    };
    s.on('data', (c) => {
      data += c.toString();
      const nl = data.indexOf('\n');
      if (nl >= 0) {
        keep?.(s);
        done(data.slice(0, nl));
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => done(`ERR ${e.code ?? e.message}`));
    s.on('timeout', () => done('TIMEOUT'));
  });
}

function udpName(host: string, port: number, from?: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      sock.close();
      resolve('TIMEOUT');
    }, TIMEOUT_MS);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg.toString());
    });
    sock.bind(0, from, () => sock.send('who', port, host));
  });
}

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
      const line = await firstLine(host, port, undefined, undefined, true);
      if (line.startsWith('ERR') || line === 'TIMEOUT') failed++;
      else done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failed > done / 100) throw new Error(`${failed} failed requests of ${done + failed}`);
  return (done * 1000) / (Date.now() - started);
}

if (role === 'server') {
  const [name, tcp, udp] = process.argv.slice(2);
  const ports = (s?: string): number[] => (s ? s.split(',').filter(Boolean).map(Number) : []);
  serve(name ?? 'server', ports(tcp), ports(udp));
} else if (role === 'client') {
  const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
  const open = new Map<string, { socket: net.Socket; lines: string[]; wake?: () => void }>();
  type Cmd = {
    id: number;
    op: string;
    host: string;
    port: number;
    count?: number;
    from?: string;
    conn?: string;
    text?: string;
    seconds?: number;
    concurrency?: number;
  };
  const run = async (c: Cmd): Promise<unknown> => {
    switch (c.op) {
      case 'tcp': {
        const out: string[] = [];
        for (let i = 0; i < (c.count ?? 1); i++) out.push(await firstLine(c.host, c.port, c.from));
        return out;
      }
      case 'udp': {
        const out: string[] = [];
        for (let i = 0; i < (c.count ?? 1); i++) out.push(await udpName(c.host, c.port, c.from));
        return out;
      }
      case 'ping': {
        // what a PING_CHECK sends: the checker's own probe, one echo request each
        const out: string[] = [];
        const spec = { id: 'agent', connect: { address: c.host, timeoutMs: 2000 } } as unknown as CheckerSpec;
        for (let i = 0; i < (c.count ?? 1); i++) out.push((await pingProbe(spec)).ok ? 'reply' : 'none');
        return out;
      }
      case 'open':
        return firstLine(c.host, c.port, c.from, (socket) => {
          const entry = { socket, lines: [] as string[], wake: undefined as (() => void) | undefined };
          let buffered = '';
          socket.removeAllListeners('data');
          socket.on('data', (chunk) => {
            buffered += chunk.toString();
            let nl: number;
            while ((nl = buffered.indexOf('\n')) >= 0) {
              entry.lines.push(buffered.slice(0, nl));
              buffered = buffered.slice(nl + 1);
            }
            entry.wake?.();
          });
          socket.setTimeout(0);
          open.set(c.conn ?? '', entry);
        });
      case 'send': {
        const entry = open.get(c.conn ?? '');
        if (!entry) return 'ERR no such connection';
        entry.socket.write(`${c.text}\n`);
        return new Promise((resolve) => {
          const timer = setTimeout(() => resolve('TIMEOUT'), TIMEOUT_MS);
          entry.wake = () => {
            const line = entry.lines.shift();
            if (line !== undefined) {
              clearTimeout(timer);
              entry.wake = undefined;
              resolve(line);
            }
          };
          entry.wake();
        });
      }
      case 'end':
        open.get(c.conn ?? '')?.socket.destroy();
        open.delete(c.conn ?? '');
        return null;
      case 'rps':
        return requestsPerSecond(c.host, c.port, c.seconds ?? 3, c.concurrency ?? 16);
      default:
        throw new Error(`unknown op ${c.op}`);
    }
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    const c = JSON.parse(line) as Cmd;
    run(c).then(
      (result) => say({ id: c.id, ok: true, result }),
      (error: Error) => say({ id: c.id, ok: false, message: error.message }),
    );
  });
  process.stdin.on('end', () => process.exit(0));
}
