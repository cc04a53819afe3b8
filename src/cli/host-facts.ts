// Facts about this host that the config checks use (the edge: reads /sys).
import { readdirSync } from 'node:fs';
import type { HostFacts } from '../config/types.js';

export function readHostFacts(): HostFacts | undefined {
  try {
    return { interfaces: new Set(readdirSync('/sys/class/net')) };
  } catch {
    return undefined;
  }
}
