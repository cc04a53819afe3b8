// Facts about this host that the config checks use (the edge: reads /sys).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { release } from 'node:os';
import type { HostFacts } from '../config/types.js';
import { userFacts } from '../system/users.js';
import { inPath } from '../system/script-path.js';

export function readHostFacts(): HostFacts | undefined {
  try {
    return {
      interfaces: new Set(readdirSync('/sys/class/net')),
      ipvs: kernelHasIpvs(),
      scriptFound,
      ...userFacts(),
      hostResolves,
    };
  } catch {
    return undefined;
  }
}

/** IPVS loaded (/proc/net/ip_vs), built in, or shipped as a module for the running kernel. */
function kernelHasIpvs(): boolean {
  return (
    existsSync('/proc/net/ip_vs') ||
    existsSync('/sys/module/ip_vs') ||
    existsSync(`/lib/modules/${release()}/kernel/net/netfilter/ipvs`)
  );
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** As keepalived finds a script: a path as it is, a bare name through PATH. */
function scriptFound(program: string): boolean {
  return program.includes('/') ? isFile(program) : inPath(program, process.env['PATH']) !== undefined;
}

/** Whether a host name resolves through this host's resolver (getent uses getaddrinfo's NSS path, as
 * keepalived does); asked only for an smtp_server that is not an address. Unknown (true) without getent. */
function hostResolves(name: string): boolean {
  const r = spawnSync('getent', ['ahosts', name], { stdio: 'ignore', timeout: 10_000 });
  if (r.error !== undefined) return true;
  return r.status === 0;
}
