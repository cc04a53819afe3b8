// A virtual machine with IPVS for tests, on a machine whose own kernel has none: Debian's generic kernel
// (`linux-image-6.1.0-N-amd64`) under qemu-system-x86_64 with TCG (no KVM), with the host's root as its root
// (read-only over virtio-9p, under a tmpfs overlay: nothing the VM writes reaches the host, except in the
// optional `shareDir`, mounted read-write at the same path). Node, keepalived, ipvsadm and this worktree
// are therefore all there, at their host paths. The VM has no network device at all (`-nic none`): it
// cannot reach the host's network. Its /run and /tmp are fresh tmpfs.
//
// One VM serves many commands: booting costs seconds under TCG, a command ~tens of milliseconds.
//
//   const reason = ipvsVmSkipReason(); if (reason) { t.skip(reason); return; }
//   const vm = await IpvsVm.boot({ shareDir });
//   const r = await vm.exec('modprobe ip_vs && ipvsadm-save -n', { timeoutMs: 20_000 }); // {status, stdout, stderr}
//   await vm.shutdown();
//
// Everything the harness creates (initramfs, sockets, console log) lives in one temp directory it removes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildInitramfs,
  busyboxProblem,
  extractVmlinux,
  findVmKernels,
  kernelProblem,
  CONTROL_PORT,
  ROOT_TAG,
  SHARE_TAG,
  type VmKernel,
} from './ipvs-vm-initramfs.js';
import type { ExecResult } from './netns.js';
import { missingTools, TOOLS } from './requirements.js';

const QEMU = TOOLS.qemu.command;
const WORK_DIR_PREFIX = 'kts-ipvs-vm-'; // then the owner's pid

/** Removes work directories whose process died without cleaning up (killed with SIGKILL). */
function removeStaleWorkDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(new RegExp(`^${WORK_DIR_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

export interface IpvsVmOptions {
  /** A host directory mounted read-write at the same path inside the VM. */
  shareDir?: string;
  memoryMb?: number; // default 1024
  cpus?: number; // default 1: on a shared host a second vCPU thread slows TCG down
  bootTimeoutMs?: number; // default 120 s (a loaded CI machine under TCG)
}

export interface VmExecResult extends ExecResult {
  signal: string | null;
  timedOut: boolean;
  /** How long the command ran inside the VM. */
  vmMs: number;
}

interface Reply {
  id?: number;
  ready?: boolean;
  uptime?: number;
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/** The kernel the harness boots: the newest usable generic 6.1 kernel, with the reason when there is none. */
function pickKernel(): VmKernel | string {
  const kernels = findVmKernels();
  if (kernels.length === 0)
    return 'no /boot/vmlinuz-6.1.0-*-amd64 (install linux-image-amd64, the generic flavour)';
  const problems: string[] = [];
  for (const kernel of kernels) {
    const problem = kernelProblem(kernel);
    if (!problem) return kernel;
    problems.push(problem);
  }
  return problems.join('; ');
}

/**
 * Why the VM cannot boot here (not root, no qemu, no kernel package, no busybox-static), or undefined.
 * Under CI a missing tool should fail rather than skip: the caller decides.
 */
export function ipvsVmSkipReason(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return 'not applicable: the IPVS VM needs an x86-64 Linux host';
  // The 9p root is read with the host's permissions; qemu must be able to read everything.
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'needs root: the VM reads the whole root filesystem';
  const missing = missingTools('qemu', 'busybox');
  if (missing) return missing;
  const kernel = pickKernel();
  if (typeof kernel === 'string') return `missing tool: ${kernel} (Debian package linux-image-amd64)`;
  const busybox = busyboxProblem();
  return busybox === undefined ? undefined : `missing tool: ${busybox} (Debian package busybox-static)`;
}

export class IpvsVm {
  /** Milliseconds from starting qemu to the agent's first message. */
  readonly bootMs: number;
  readonly kernelVersion: string;

  private readonly pending = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private buffered = '';
  private exited = false;
  private readonly exitedPromise: Promise<void>;
  private readonly onProcessExit = (): void => this.killNow();

  private constructor(
    private readonly qemu: ChildProcess,
    private readonly server: Server,
    private readonly socket: Socket,
    private readonly workDir: string,
    kernel: VmKernel,
    bootMs: number,
    firstData: string,
  ) {
    this.bootMs = bootMs;
    this.kernelVersion = kernel.version;
    this.exitedPromise = new Promise((resolve) => {
      if (qemu.exitCode !== null || qemu.signalCode !== null) resolve();
      else qemu.once('exit', () => resolve());
    });
    void this.exitedPromise.then(() => {
      this.exited = true;
      this.failPending('the VM stopped');
    });
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('close', () => this.failPending('the VM closed its control channel'));
    process.once('exit', this.onProcessExit);
    this.receive(firstData);
  }

  /** Boots the VM and waits for its agent. Throws with the end of the serial console when boot fails. */
  static async boot(options: IpvsVmOptions = {}): Promise<IpvsVm> {
    const kernel = pickKernel();
    if (typeof kernel === 'string') throw new Error(`cannot boot the IPVS VM: ${kernel}`);
    const busybox = busyboxProblem();
    if (busybox) throw new Error(`cannot boot the IPVS VM: ${busybox}`);
    removeStaleWorkDirs();
    const workDir = mkdtempSync(join(tmpdir(), `${WORK_DIR_PREFIX}${process.pid}-`));
    const cleanup = (): void => rmSync(workDir, { recursive: true, force: true });
    try {
      const agentPath = fileURLToPath(new URL('./ipvs-vm-agent.js', import.meta.url));
      const image = extractVmlinux(kernel, workDir) ?? kernel.vmlinuz;
      const initramfs = join(workDir, 'initramfs.cpio');
      writeFileSync(initramfs, buildInitramfs(kernel, readFileSync(agentPath, 'utf8'), options.shareDir));
      const consoleLog = join(workDir, 'console.log');
      const controlPath = join(workDir, 'control.sock');
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(controlPath, resolve);
      });
      const started = Date.now();
      const qemu = spawn(QEMU, qemuArgs(image, initramfs, consoleLog, controlPath, options), {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let qemuStderr = '';
      qemu.stderr?.setEncoding('utf8').on('data', (s: string) => (qemuStderr += s));
      const failure = (why: string): Error => {
        const tail = existsSync(consoleLog)
          ? readFileSync(consoleLog, 'utf8').split('\n').slice(-30).join('\n')
          : '';
        return new Error(`IPVS VM boot failed: ${why}\n${qemuStderr}\n--- serial console (end) ---\n${tail}`);
      };
      try {
        const { socket, firstData } = await waitForAgent(
          server,
          qemu,
          options.bootTimeoutMs ?? 120_000,
          failure,
        );
        return new IpvsVm(qemu, server, socket, workDir, kernel, Date.now() - started, firstData);
      } catch (e) {
        qemu.kill('SIGKILL');
        server.close();
        throw e;
      }
    } catch (e) {
      cleanup();
      throw e;
    }
  }

  /** Runs `cmdline` with /bin/sh inside the VM (as root, in its root network namespace). */
  exec(cmdline: string, options: { timeoutMs?: number; input?: string } = {}): Promise<VmExecResult> {
    if (this.exited) return Promise.reject(new Error('the VM is not running'));
    const id = this.nextId++;
    // Generous: under TCG on a loaded 2-core host a few `ip` / `ipvsadm` commands have taken over 30 s.
    const timeoutMs = options.timeoutMs ?? 120_000;
    return new Promise<VmExecResult>((resolve, reject) => {
      // The agent enforces the timeout; this one only catches an agent that stopped answering.
      const guard = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the VM did not answer within ${timeoutMs + 15_000} ms: ${cmdline}`));
      }, timeoutMs + 15_000);
      const settle = (): void => clearTimeout(guard);
      this.pending.set(id, {
        reject: (e) => {
          settle();
          reject(e);
        },
        resolve: (reply) => {
          settle();
          resolve({
            status: reply.status,
            signal: reply.signal,
            stdout: reply.stdout,
            stderr: reply.stderr + (reply.timedOut ? `\n[killed after ${timeoutMs} ms]` : ''),
            timedOut: reply.timedOut,
            vmMs: reply.ms,
          });
        },
      });
      this.socket.write(JSON.stringify({ id, cmd: cmdline, timeoutMs, input: options.input }) + '\n');
    });
  }

  /** As exec, returning stdout; throws with status and stderr when the command fails. */
  async run(cmdline: string, options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
    const r = await this.exec(cmdline, options);
    if (r.status !== 0)
      throw new Error(
        `in the VM: ${cmdline}\nfailed (${r.status ?? r.signal}): ${r.stderr.trim()}\n${r.stdout}`,
      );
    return r.stdout;
  }

  /** The serial console so far (kernel messages and the init's lines). */
  consoleLog(): string {
    const path = join(this.workDir, 'console.log');
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  /** Stops the VM (its state is all in tmpfs: nothing to save) and removes the harness's files. */
  async shutdown(): Promise<void> {
    process.off('exit', this.onProcessExit);
    this.socket.destroy();
    this.server.close();
    if (!this.exited) {
      this.qemu.kill('SIGTERM');
      const killer = setTimeout(() => this.qemu.kill('SIGKILL'), 5_000);
      await this.exitedPromise;
      clearTimeout(killer);
    }
    rmSync(this.workDir, { recursive: true, force: true });
  }

  private killNow(): void {
    if (!this.exited) this.qemu.kill('SIGKILL');
    rmSync(this.workDir, { recursive: true, force: true });
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      if (line.trim() === '') continue;
      const reply = JSON.parse(line) as Reply;
      if (reply.id === undefined) continue; // the {ready} greeting
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiter?.resolve(reply);
    }
  }

  private failPending(why: string): void {
    for (const [id, waiter] of this.pending) {
      this.pending.delete(id);
      waiter.reject(new Error(why));
    }
  }
}

/** A path inside a qemu option value, where a comma must be doubled. */
function qemuPath(path: string): string {
  return path.replace(/,/g, ',,');
}

function qemuArgs(
  image: string,
  initramfs: string,
  consoleLog: string,
  controlPath: string,
  options: IpvsVmOptions,
): string[] {
  const share = options.shareDir
    ? [
        '-fsdev',
        `local,id=${SHARE_TAG},path=${qemuPath(options.shareDir)},security_model=passthrough,multidevs=remap`,
        '-device',
        `virtio-9p-pci,fsdev=${SHARE_TAG},mount_tag=${SHARE_TAG}`,
      ]
    : [];
  return [
    ...['-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot'],
    // No network device at all: the VM cannot reach the host's network.
    ...['-nic', 'none'],
    ...['-accel', 'tcg', '-machine', 'pc', '-cpu', 'max'],
    ...['-smp', String(options.cpus ?? 1), '-m', String(options.memoryMb ?? 1024)],
    ...['-kernel', qemuPath(image), '-initrd', qemuPath(initramfs)],
    // mitigations=off: page-table isolation makes every system call a TLB flush under TCG.
    ...['-append', 'console=ttyS0 panic=-1 quiet mitigations=off rdinit=/init'],
    ...['-chardev', `file,id=console,path=${qemuPath(consoleLog)}`, '-serial', 'chardev:console'],
    ...['-fsdev', `local,id=${ROOT_TAG},path=/,security_model=passthrough,readonly=on,multidevs=remap`],
    ...['-device', `virtio-9p-pci,fsdev=${ROOT_TAG},mount_tag=${ROOT_TAG}`],
    ...share,
    ...['-device', 'virtio-serial-pci', '-chardev', `socket,id=control,path=${qemuPath(controlPath)}`],
    ...['-device', `virtserialport,chardev=control,name=${CONTROL_PORT}`],
  ];
}

/** The control connection once the agent's first line (its {ready} greeting) arrived. */
function waitForAgent(
  server: Server,
  qemu: ChildProcess,
  timeoutMs: number,
  failure: (why: string) => Error,
): Promise<{ socket: Socket; firstData: string }> {
  return new Promise((resolve, reject) => {
    let socket: Socket | undefined;
    let data = '';
    const onData = (chunk: string): void => {
      data += chunk;
      if (!data.includes('\n')) return;
      done();
      resolve({ socket: socket!, firstData: data });
    };
    const onClose = (): void => fail('the control channel closed');
    const onExit = (code: number | null, signal: string | null): void =>
      fail(`qemu exited (${code ?? signal})`);
    const onError = (e: Error): void => fail(`qemu did not start: ${e.message}`);
    const onConnection = (s: Socket): void => {
      socket = s;
      s.setEncoding('utf8');
      s.on('data', onData);
      s.once('close', onClose);
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      server.off('connection', onConnection);
      qemu.off('exit', onExit);
      qemu.off('error', onError);
      socket?.off('data', onData);
      socket?.off('close', onClose);
    };
    const fail = (why: string): void => {
      done();
      socket?.destroy();
      reject(failure(why));
    };
    server.on('connection', onConnection);
    qemu.once('exit', onExit);
    qemu.once('error', onError);
  });
}
