// The timing side of bench/ipvs-apply.ts, run inside the IPVS VM in the daemon's network namespace (IPVS
// tables are per namespace): starts the daemon itself (so its start is on this clock), watches the table
// through IPVS's generic netlink (one service's destinations per poll: no process started per poll) and
// /proc/net/ip_vs (the whole table), and the daemon's log by reading what it gained. Prints one JSON
// object (AgentResult) on stdout; the daemon is left running (the bench stops it).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { IpvsClient } from '../src/lb/ipvs/client.js';
import type { IpvsServiceId } from '../src/lb/ipvs/service.js';
import { refuseOutsideSuiteNamespace } from '../tests/helpers/namespace-guard.js';

export interface CheckedServer {
  vip: string;
  rs: string;
  /** The file whose number says up (0) or down (1). */
  path: string;
}

export interface AgentRequest {
  command: string[];
  /** The daemon's TMPDIR, log and pid files. */
  dir: string;
  services: number;
  destinations: number;
  lastVip: string;
  changes: number;
  checked: Record<'file' | 'misc', CheckedServer>;
}

export interface LoadTimes {
  /** Milliseconds from the daemon's spawn. */
  first: number;
  last: number;
  /** The end of the first /proc/net/ip_vs read showing every entry, that read's duration, reads done. */
  full: number;
  dump: number;
  dumps: number;
  entries: number;
}

export interface ChangeTimes {
  dir: 'down' | 'up';
  /** Milliseconds from the file's write to the log line and to the table showing it (null: not seen). */
  toLog: number | null;
  toTable: number | null;
  polls: number;
}

export interface AgentResult {
  load: LoadTimes;
  changes: Record<'file' | 'misc', ChangeTimes[]>;
}

const TCP = 6;
const AF_INET = 2;
const PORT = 80;
const RS_PORT = 8080;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Services and destinations in /proc/net/ip_vs (its three header lines left out). */
function procEntries(): number {
  let n = 0;
  for (const line of readFileSync('/proc/net/ip_vs', 'utf8').split('\n').slice(3))
    if (line.startsWith('TCP') || line.startsWith('  ->')) n++;
  return n;
}

/** The log's new text since the last call. */
class LogTail {
  private offset = 0;
  constructor(private readonly path: string) {}
  read(): string {
    const fd = openSync(this.path, 'r');
    try {
      const chunks: Buffer[] = [];
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        chunks.push(Buffer.from(buffer.subarray(0, n)));
      }
      return Buffer.concat(chunks).toString('utf8');
    } finally {
      closeSync(fd);
    }
  }
}

async function load(
  client: IpvsClient,
  req: AgentRequest,
  started: number,
  alive: () => void,
): Promise<LoadTimes> {
  const expected = req.services * (1 + req.destinations);
  const lastId: IpvsServiceId = { af: AF_INET, protocol: TCP, address: req.lastVip, port: PORT };
  while ((await client.listServices()).length === 0) {
    alive();
    await sleep(2);
  }
  const first = performance.now() - started;
  while ((await client.listDestinations(lastId)).length < req.destinations) {
    alive();
    await sleep(5);
  }
  const last = performance.now() - started;
  let dumps = 0;
  for (;;) {
    const d0 = performance.now();
    const entries = procEntries();
    const end = performance.now();
    dumps++;
    if (entries >= expected) return { first, last, full: end - started, dump: end - d0, dumps, entries };
    alive();
    await sleep(10);
  }
}

async function flips(
  client: IpvsClient,
  log: LogTail,
  server: CheckedServer,
  changes: number,
): Promise<ChangeTimes[]> {
  const id: IpvsServiceId = { af: AF_INET, protocol: TCP, address: server.vip, port: PORT };
  const out: ChangeTimes[] = [];
  for (let i = 0; i < changes; i++) {
    const dir = i % 2 === 0 ? 'down' : 'up';
    const line =
      dir === 'down'
        ? `Removing service [${server.rs}]:tcp:${RS_PORT} from VS [${server.vip}]:tcp:${PORT}`
        : `Adding service [${server.rs}]:tcp:${RS_PORT} to VS [${server.vip}]:tcp:${PORT}`;
    log.read();
    // A random phase against the checker's delay_loop.
    await sleep(100 + Math.random() * 400);
    let text = '';
    const t0 = performance.now();
    writeFileSync(server.path, dir === 'down' ? '1\n' : '0\n');
    let toLog: number | null = null;
    let toTable: number | null = null;
    let polls = 0;
    while (toTable === null && performance.now() - t0 < 30_000) {
      // The log first: both daemons write the line before their IPVS command, so a table showing the
      // change in this poll finds the line already there.
      if (toLog === null) {
        text += log.read();
        if (text.includes(line)) toLog = performance.now() - t0;
      }
      const present = (await client.listDestinations(id)).some((d) => d.address === server.rs);
      polls++;
      if (present === (dir === 'up')) toTable = performance.now() - t0;
      else await sleep(1);
    }
    if (toLog === null && (text + log.read()).includes(line)) toLog = toTable;
    out.push({ dir, toLog, toTable, polls });
  }
  return out;
}

async function main(): Promise<void> {
  refuseOutsideSuiteNamespace('ipvs-apply.agent');
  const req = JSON.parse(process.argv[2] ?? '{}') as AgentRequest;
  const client = await IpvsClient.open({ timeoutMs: 30_000 });
  const logPath = `${req.dir}/log`;
  const logFd = openSync(logPath, 'w');
  const started = performance.now();
  const [program, ...args] = req.command;
  const daemon = spawn(program!, args, {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, TMPDIR: req.dir },
  });
  closeSync(logFd);
  daemon.unref();
  let exited: string | undefined;
  daemon.once('exit', (code, signal) => (exited = `the daemon exited (${code ?? signal})`));
  const alive = (): void => {
    if (exited !== undefined) throw new Error(exited);
    if (performance.now() - started > 900_000) throw new Error('no full table within 900 s');
  };
  const loadTimes = await load(client, req, started, alive);
  // Let the start-up settle before the changes (the checkers begin after the load).
  await sleep(3_000);
  const log = new LogTail(logPath);
  const changes = {
    file: await flips(client, log, req.checked.file, req.changes),
    misc: await flips(client, log, req.checked.misc, req.changes),
  };
  client.close();
  const result: AgentResult = { load: loadTimes, changes };
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

await main();
