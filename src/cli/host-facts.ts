// Facts about this host that the config checks use (the edge: reads /sys).
import { existsSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import type { HostFacts } from '../config/types.js';

export function readHostFacts(): HostFacts | undefined {
  try {
    return { interfaces: new Set(readdirSync('/sys/class/net')), ipvs: kernelHasIpvs() };
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
