// What the IPVS test VM boots: Debian's generic kernel found on this machine, and an initramfs built here
// (busybox-static, the few modules that reach the root over virtio-9p, and a two-stage init).
//
// Stage 1 (busybox sh, in the initramfs) loads virtio / 9p / overlay / virtio_console, mounts the host's
// root read-only over 9p as the lower layer of an overlay whose upper layer is a tmpfs, puts fresh tmpfs on
// /run and /tmp, mounts the optional writable share at its host path, and does a real `switch_root` into
// the overlay: the kernel's module loader (`/sbin/modprobe`, for IPVS schedulers and conntrack on demand)
// only works from there, not from a chroot. Stage 2 (the host's /bin/sh, PID 1 in the new root) brings up
// loopback and runs the command agent in the foreground, which also makes the shell reap orphaned
// daemons; when the agent ends, the VM powers off.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpioNewc, type CpioEntry } from './cpio-newc.js';

export interface VmKernel {
  version: string; // e.g. 6.1.0-57-amd64
  vmlinuz: string;
  modulesDir: string; // /lib/modules/<version>, with modules.dep (depmod done by the package)
}

/** Modules stage 1 needs before the root exists; their dependencies come from modules.dep. */
const STAGE1_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay', 'virtio_console'];

const BUSYBOX = '/bin/busybox';

/** The 9p tags the init mounts. */
export const ROOT_TAG = 'hostroot';
export const SHARE_TAG = 'share';
/** The virtio-serial port the agent talks on. */
export const CONTROL_PORT = 'kts.ctl';

/** Debian's generic amd64 kernels installed here (`linux-image-X.Y.Z-N-amd64`, not -cloud-), newest first. */
export function findVmKernels(): VmKernel[] {
  if (!existsSync('/boot')) return [];
  const key = (version: string): number[] => version.split(/[.-]/).slice(0, 4).map(Number);
  const newerFirst = (a: string, b: string): number => {
    const [ka, kb] = [key(a), key(b)];
    const i = ka.findIndex((n, j) => n !== kb[j]);
    return i < 0 ? 0 : kb[i]! - ka[i]!;
  };
  return readdirSync('/boot')
    .map((name) => /^vmlinuz-(\d+\.\d+\.\d+-\d+-amd64)$/.exec(name)?.[1])
    .filter((version): version is string => version !== undefined)
    .sort(newerFirst)
    .map((version) => ({
      version,
      vmlinuz: `/boot/vmlinuz-${version}`,
      modulesDir: `/lib/modules/${version}`,
    }));
}

/** modules.dep as name -> { path, deps (names) }. */
function readModuleDeps(modulesDir: string): Map<string, { path: string; deps: string[] }> {
  const nameOf = (path: string): string => path.replace(/^.*\//, '').replace(/\.ko(\.\w+)?$/, '');
  const map = new Map<string, { path: string; deps: string[] }>();
  for (const line of readFileSync(join(modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon);
    const deps = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(nameOf);
    map.set(nameOf(path).replace(/-/g, '_'), { path, deps: deps.map((d) => d.replace(/-/g, '_')) });
  }
  return map;
}

/** The modules to insmod, dependencies first, as paths relative to modulesDir. */
export function stage1ModulePaths(kernel: VmKernel): string[] {
  const deps = readModuleDeps(kernel.modulesDir);
  const ordered: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const entry = deps.get(name);
    if (!entry) throw new Error(`module ${name} is not in ${kernel.modulesDir}/modules.dep`);
    for (const dep of entry.deps) visit(dep);
    ordered.push(entry.path);
  };
  for (const name of STAGE1_MODULES) visit(name);
  return ordered;
}

/** Why this kernel cannot be booted by the harness, or undefined. */
export function kernelProblem(kernel: VmKernel): string | undefined {
  if (!existsSync(join(kernel.modulesDir, 'modules.dep')))
    return `${kernel.modulesDir}/modules.dep is missing (run \`depmod ${kernel.version}\`)`;
  try {
    const paths = stage1ModulePaths(kernel);
    const compressed = paths.find((p) => !p.endsWith('.ko'));
    if (compressed) return `compressed module ${compressed}: the initramfs loads plain .ko files only`;
    const missing = paths.find((p) => !existsSync(join(kernel.modulesDir, p)));
    if (missing) return `${kernel.modulesDir}/${missing} is missing`;
  } catch (e) {
    return (e as Error).message;
  }
  if (!existsSync(join(kernel.modulesDir, 'kernel/net/netfilter/ipvs/ip_vs.ko')))
    return `${kernel.version} ships no ip_vs module`;
  return undefined;
}

/**
 * The kernel's uncompressed ELF image (`vmlinux`) written to `dir`, or undefined when `xz` is missing or the
 * image is not xz-compressed. qemu boots it directly through its PVH entry point, which under TCG saves
 * seconds of firmware and in-guest decompression over booting the bzImage.
 */
export function extractVmlinux(kernel: VmKernel, dir: string): string | undefined {
  const image = readFileSync(kernel.vmlinuz);
  const start = image.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])); // xz stream magic
  if (start < 0) return undefined;
  const xz = spawnSync('xz', ['-dc', '--single-stream'], {
    input: image.subarray(start),
    maxBuffer: 512 * 1024 * 1024,
  });
  if (xz.error || xz.status !== 0 || xz.stdout.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const path = join(dir, `vmlinux-${kernel.version}`);
  writeFileSync(path, xz.stdout);
  return path;
}

/** True when the ELF file has no program interpreter (a static executable). */
function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return false; // ELF, 64-bit
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3) return false; // PT_INTERP
    return true;
  } finally {
    closeSync(fd);
  }
}

/** Why the initramfs cannot be built (no static busybox), or undefined. */
export function busyboxProblem(): string | undefined {
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (install busybox-static)`;
  if (!isStaticElf(BUSYBOX)) return `${BUSYBOX} is not statically linked (install busybox-static)`;
  return undefined;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function stage1Init(modules: string[], shareDir: string | undefined): string {
  const insmods = modules.map((m) => `insmod /modules/${m.replace(/^.*\//, '')} || fail "insmod ${m}"`);
  const p9 = 'trans=virtio,version=9p2000.L,msize=512000';
  const share = shareDir
    ? [
        `mkdir -p /newroot${shellQuote(shareDir)} || fail "mkdir share"`,
        // No page cache on the share: what either side writes is what the other reads.
        `mount -t 9p -o ${p9},cache=none ${SHARE_TAG} /newroot${shellQuote(shareDir)} || fail "mount share"`,
      ]
    : [];
  return [
    '#!/bin/busybox sh',
    '/bin/busybox --install -s /bin',
    'export PATH=/bin',
    'fail() { echo "kts-vm: stage 1 failed: $*"; echo o > /proc/sysrq-trigger; sleep 30; }',
    'mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs devtmpfs /dev || fail "mounts"',
    'echo "kts-vm: stage 1 at $(cut -d" " -f1 /proc/uptime) s"',
    ...insmods,
    // The host's files do not change under a test, so the lower layer may cache freely.
    `mount -t 9p -o ${p9},ro,cache=loose ${ROOT_TAG} /lower || fail "mount ${ROOT_TAG}"`,
    'mount -t tmpfs -o mode=0755 tmpfs /rw && mkdir /rw/upper /rw/work || fail "tmpfs"',
    'mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || fail "overlay"',
    'mount -t tmpfs -o mode=0755 tmpfs /newroot/run && mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp || fail "run/tmp"',
    ...share,
    'mkdir -p /newroot/run/kts-vm && cp /kts/* /newroot/run/kts-vm/ || fail "agent"',
    'echo "kts-vm: stage 1 done at $(cut -d" " -f1 /proc/uptime) s"',
    'for d in dev proc sys; do mount --move /$d /newroot/$d || fail "move $d"; done',
    'exec switch_root /newroot /bin/sh /run/kts-vm/init2',
    '',
  ].join('\n');
}

function stage2Init(): string {
  return [
    'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8',
    'mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs -o mode=1777 tmpfs /dev/shm',
    'echo kts-vm > /proc/sys/kernel/hostname',
    'ip link set lo up',
    'echo "kts-vm: stage 2 up at $(cut -d" " -f1 /proc/uptime) s"',
    // Foreground, so this shell (PID 1) waits and reaps every orphan while the agent runs.
    `node /run/kts-vm/agent.mjs ${CONTROL_PORT}`,
    'echo "kts-vm: agent ended ($?), powering off"',
    'echo o > /proc/sysrq-trigger',
    'sleep 30',
    '',
  ].join('\n');
}

/** The initramfs for `kernel`, with the agent's JavaScript source and an optional share at its host path. */
export function buildInitramfs(kernel: VmKernel, agentSource: string, shareDir?: string): Buffer {
  const modules = stage1ModulePaths(kernel);
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'proc', 'sys', 'lower', 'rw', 'newroot', 'modules', 'kts'].map((path): CpioEntry => ({
      kind: 'dir',
      path,
    })),
    // The kernel opens /dev/console for init's stdio before devtmpfs exists.
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', path: 'bin/busybox', data: readFileSync(BUSYBOX), mode: 0o755 },
    ...modules.map((m): CpioEntry => ({
      kind: 'file',
      path: `modules/${m.replace(/^.*\//, '')}`,
      data: readFileSync(join(kernel.modulesDir, m)),
    })),
    { kind: 'file', path: 'init', data: stage1Init(modules, shareDir), mode: 0o755 },
    { kind: 'file', path: 'kts/init2', data: stage2Init(), mode: 0o755 },
    { kind: 'file', path: 'kts/agent.mjs', data: agentSource },
  ];
  return cpioNewc(entries);
}
