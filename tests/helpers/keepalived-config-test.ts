// keepalived 2.2.7's own config test (`keepalived -t`) as the oracle for what a config means. keepalived
// checks that the interfaces a config names exist, so the runs happen inside a network namespace made
// for them, holding the interfaces the corpus uses (eth0, ifb0, ifb1: veth pairs), never against the
// host's own interfaces. One namespace per test process, created on first use, removed at exit.
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NetnsLab, run } from './netns.js';
import { firstReason, missingTools, needsRoot, TOOLS } from './requirements.js';

/** The interfaces configs under test may name. */
export const CONFIG_TEST_INTERFACES = ['eth0', 'ifb0', 'ifb1'] as const;

export interface ConfigTestResult {
  status: number;
  output: string;
}

let lab: NetnsLab | undefined;
let namespace: string | undefined;

/** Why keepalived's config test cannot run here, or undefined. */
export function keepalivedConfigTestSkipReason(): string | undefined {
  return firstReason(needsRoot(), missingTools('keepalived'));
}

function configTestNamespace(): string {
  if (namespace !== undefined) return namespace;
  lab = new NetnsLab('katest');
  const ns = lab.namespace('ifs');
  run(['ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'ifb0']);
  run(['ip', '-n', ns, 'link', 'add', 'ifb1', 'type', 'veth', 'peer', 'name', 'kts-ifb1p']);
  for (const ifname of [...CONFIG_TEST_INTERFACES, 'kts-ifb1p'])
    run(['ip', '-n', ns, 'link', 'set', ifname, 'up']);
  namespace = ns;
  return ns;
}

function argv(file: string, extra: string[]): string[] {
  return [
    'netns',
    'exec',
    configTestNamespace(),
    TOOLS.keepalived.command,
    '-t',
    '-f',
    file,
    '-l',
    '-n',
    ...extra,
  ];
}

/** `keepalived -t -f FILE` in the config-test namespace: its exit status and output. Runs may overlap. */
export function keepalivedConfigTest(file: string, extra: string[] = []): Promise<ConfigTestResult> {
  const args = argv(file, extra);
  return new Promise((resolve) => {
    execFile('ip', args, { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ status: code, output: `${stdout}${stderr}` });
    });
  });
}

/** The same, synchronously. */
export function keepalivedConfigTestSync(file: string, extra: string[] = []): ConfigTestResult {
  const r = spawnSync('ip', argv(file, extra), { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const OURS = fileURLToPath(new URL('../../../bin/keepalived-ts', import.meta.url));

/** Our own `keepalived-ts -t -f FILE`, in the same namespace (the same interfaces, no IPVS). */
export function oursConfigTest(file: string): Promise<ConfigTestResult> {
  const args = ['netns', 'exec', configTestNamespace(), process.execPath, OURS, '-t', '-f', file];
  return new Promise((resolve) => {
    execFile('ip', args, { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ status: code, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * Adds more interfaces (veth pairs, the peers named kts-xN) to the config-test namespace, so that configs
 * naming their hosts' interfaces (ens192, bond0...) are judged on everything else. Names that are already
 * there or cannot be interface names are skipped; returns those added.
 */
export function addConfigTestInterfaces(names: Iterable<string>): string[] {
  const ns = configTestNamespace();
  const added: string[] = [];
  for (const name of new Set(names)) {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name) || (CONFIG_TEST_INTERFACES as readonly string[]).includes(name))
      continue;
    const peer = `kts-x${extraInterfaces++}`;
    const r = spawnSync('ip', ['-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', peer]);
    if (r.status !== 0) continue;
    run(['ip', '-n', ns, 'link', 'set', name, 'up']);
    run(['ip', '-n', ns, 'link', 'set', peer, 'up']);
    added.push(name);
  }
  return added;
}

let extraInterfaces = 0;

/** Removes the namespace now (it also goes at process exit). */
export function closeConfigTestNamespace(): void {
  lab?.cleanup();
  lab = undefined;
  namespace = undefined;
}
