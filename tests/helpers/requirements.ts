// What a test needs from the machine, and one way to say it. A test that cannot run here is SKIPPED with a
// reason in one of a few fixed forms, and scripts/run-tests.js prints every reason with its count:
//   "needs root: ..."                       the kernel tiers, run without root
//   "missing tool: X (Debian package P)"    a program the test drives is not installed
//   "not applicable: ..."                   the test does not concern this machine or input
// In CI (CI=true) the first two fail the run: CI installs everything, so a skip there hides work not done.
//
// node 20 counts none of the tests inside a skipped describe(), so a file whose tests all need the same
// thing gates them one by one instead:
//   const { describe, test, before, after } = gated(missingTools('keepalived') ?? netnsMissing());
// gives node:test's functions, with every test of the file skipped for that reason and its hooks
// not run when the reason is set.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as nodeTest from 'node:test';

/** A program tests drive, where it is looked for, and the Debian package that ships it. */
interface Tool {
  /** An absolute path, or a name looked up in PATH. */
  command: string;
  pkg: string;
}

export const TOOLS = {
  ip: { command: 'ip', pkg: 'iproute2' },
  keepalived: { command: '/usr/sbin/keepalived', pkg: 'keepalived' },
  genhash: { command: 'genhash', pkg: 'keepalived' },
  tshark: { command: 'tshark', pkg: 'tshark' },
  tcpdump: { command: 'tcpdump', pkg: 'tcpdump' },
  nft: { command: 'nft', pkg: 'nftables' },
  nginx: { command: 'nginx', pkg: 'nginx' },
  dnsmasq: { command: 'dnsmasq', pkg: 'dnsmasq' },
  openssl: { command: 'openssl', pkg: 'openssl' },
  python3: { command: 'python3', pkg: 'python3' },
  zebra: { command: '/usr/lib/frr/zebra', pkg: 'frr' },
  vrrpd: { command: '/usr/lib/frr/vrrpd', pkg: 'frr' },
  bfdd: { command: '/usr/lib/frr/bfdd', pkg: 'frr' },
  qemu: { command: 'qemu-system-x86_64', pkg: 'qemu-system-x86' },
  ipvsadm: { command: '/usr/sbin/ipvsadm', pkg: 'ipvsadm' },
  busybox: { command: '/bin/busybox', pkg: 'busybox-static' },
  snmpd: { command: '/usr/sbin/snmpd', pkg: 'snmpd' },
  snmpwalk: { command: 'snmpwalk', pkg: 'snmp' },
  snmptrapd: { command: '/usr/sbin/snmptrapd', pkg: 'snmptrapd' },
  chromium: { command: '/usr/bin/chromium', pkg: 'chromium' },
  dpkgDeb: { command: 'dpkg-deb', pkg: 'dpkg' },
  aptGet: { command: 'apt-get', pkg: 'apt' },
  systemdAnalyze: { command: 'systemd-analyze', pkg: 'systemd' },
  dbusDaemon: { command: '/usr/bin/dbus-daemon', pkg: 'dbus-daemon' },
  gdbus: { command: 'gdbus', pkg: 'libglib2.0-bin' },
} satisfies Record<string, Tool>;

export type ToolName = keyof typeof TOOLS;

const found = new Map<string, boolean>();

/** Whether a command is installed (absolute path exists, or found in PATH). */
export function hasTool(name: ToolName): boolean {
  const { command } = TOOLS[name];
  let have = found.get(command);
  if (have === undefined) {
    have = command.startsWith('/')
      ? existsSync(command)
      : spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
    found.set(command, have);
  }
  return have;
}

/** "missing tool: ..." for the first tool not installed, or undefined when all are. */
export function missingTools(...names: ToolName[]): string | undefined {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return undefined;
  const pkgs = [...new Set(missing.map((n) => TOOLS[n].pkg))];
  return `missing tool: ${missing.join(', ')} (Debian package ${pkgs.join(', ')})`;
}

/** "needs root: ..." when this process cannot create network namespaces, else undefined. */
export function needsRoot(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'needs root: network namespaces and raw sockets';
  if (!existsSync('/proc/self/ns/net')) return 'not applicable: kernel without network namespaces';
  return missingTools('ip');
}

/** The first reason of several, or undefined when none is set. */
export function firstReason(...reasons: Array<string | undefined>): string | undefined {
  return reasons.find((r) => r !== undefined);
}

type TestFn = typeof nodeTest.test;
type HookFn = typeof nodeTest.before;

function gateTest(fn: TestFn, reason: string): TestFn {
  const skipped = (name?: unknown, options?: unknown): Promise<void> => {
    const opts = typeof options === 'object' && options !== null ? options : {};
    return fn(String(name ?? ''), { ...opts, skip: reason }, () => undefined);
  };
  return skipped as unknown as TestFn;
}

const noHook = ((): void => undefined) as unknown as HookFn;

export interface GatedApi {
  describe: typeof nodeTest.describe;
  test: TestFn;
  it: TestFn;
  before: HookFn;
  after: HookFn;
  beforeEach: HookFn;
  afterEach: HookFn;
}

/** node:test's API, or, when `reason` is set, one whose tests are all skipped for it and whose hooks do nothing. */
export function gated(reason: string | undefined): GatedApi {
  if (reason === undefined)
    return {
      describe: nodeTest.describe,
      test: nodeTest.test,
      it: nodeTest.it,
      before: nodeTest.before,
      after: nodeTest.after,
      beforeEach: nodeTest.beforeEach,
      afterEach: nodeTest.afterEach,
    };
  return {
    describe: nodeTest.describe,
    test: gateTest(nodeTest.test, reason),
    it: gateTest(nodeTest.it, reason),
    before: noHook,
    after: noHook,
    beforeEach: noHook,
    afterEach: noHook,
  };
}
