// The command agent inside the IPVS test VM (copied into its initramfs; run by the VM's init with the host's
// node). It reads one JSON request a line from the virtio-serial port named on its command line, runs each
// as `/bin/sh -c CMD` in a process group of its own, and writes one JSON reply a line. When the host side
// goes away (end of file on the port) it exits, and the init powers the VM off.
//
//   request: { id, cmd, timeoutMs, input? }
//   reply:   { id, status, signal, stdout, stderr, timedOut, ms }   ({ ready: true, uptime } once at start)
//
// A command's reply is sent when it exits; output that a background process it started keeps writing to the
// inherited pipes is cut off shortly after (redirect daemons' output to files).
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, openSync, readFileSync, readdirSync, write } from 'node:fs';
import { createInterface } from 'node:readline';

interface Request {
  id: number;
  cmd: string;
  timeoutMs: number;
  input?: string;
}

const MAX_OUTPUT = 16 * 1024 * 1024;
const DRAIN_AFTER_EXIT_MS = 200;

function findPort(name: string): string {
  const dir = '/sys/class/virtio-ports';
  for (const port of existsSync(dir) ? readdirSync(dir) : []) {
    if (readFileSync(`${dir}/${port}/name`, 'utf8').trim() === name) return `/dev/${port}`;
  }
  throw new Error(`no virtio-serial port named ${name}`);
}

const fd = openSync(findPort(process.argv[2] ?? 'kts.ctl'), 'r+');

// Replies go out one after another, each line whole.
const queue: Buffer[] = [];
let writing = false;
function send(message: object): void {
  queue.push(Buffer.from(JSON.stringify(message) + '\n'));
  if (!writing) flush();
}
function flush(): void {
  const next = queue[0];
  if (!next) {
    writing = false;
    return;
  }
  writing = true;
  write(fd, next, 0, next.length, null, (err, written) => {
    if (err) process.exit(3);
    if (written < next.length) queue[0] = next.subarray(written);
    else queue.shift();
    flush();
  });
}

function run(request: Request): void {
  const started = process.hrtime.bigint();
  const child = spawn('/bin/sh', ['-c', request.cmd], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let size = 0;
  const collect = (into: Buffer[]) => (chunk: Buffer) => {
    if (size + chunk.length <= MAX_OUTPUT) into.push(chunk);
    size += chunk.length;
  };
  child.stdout.on('data', collect(out));
  child.stderr.on('data', collect(err));
  child.stdin.on('error', () => undefined); // a command that does not read its input
  child.stdin.end(request.input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, request.timeoutMs);
  let replied = false;
  const reply = (status: number | null, signal: string | null): void => {
    if (replied) return;
    replied = true;
    clearTimeout(timer);
    child.stdout.destroy();
    child.stderr.destroy();
    send({
      id: request.id,
      status,
      signal,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8') + (size > MAX_OUTPUT ? '\n[output truncated]\n' : ''),
      timedOut,
      ms: Number(process.hrtime.bigint() - started) / 1e6,
    });
  };
  child.on('error', (e) => {
    err.push(Buffer.from(String(e)));
    reply(null, null);
  });
  child.on('close', (status, signal) => reply(status, signal));
  child.on('exit', (status, signal) => {
    setTimeout(() => reply(status, signal), DRAIN_AFTER_EXIT_MS).unref();
  });
}

const lines = createInterface({ input: createReadStream('', { fd, autoClose: false }) });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  run(JSON.parse(line) as Request);
});
lines.on('close', () => process.exit(0));
send({ ready: true, uptime: Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) });
