// Small builders for simulator tests.
import { instanceSpec, type EngineSpec, type InstanceSpec } from '../../src/vrrp/engine/spec.js';
import type { RouterConfig } from '../../src/sim/cluster.js';

export function router(
  name: string,
  ...instances: (Partial<InstanceSpec> & { name: string; vrid: number })[]
): RouterConfig {
  const spec: EngineSpec = {
    instances: instances.map((i) => instanceSpec(i)),
    syncGroups: [],
    scripts: [],
    trackFiles: [],
    trackProcesses: [],
  };
  return { name, spec };
}

export const VIP4 = [{ address: '192.0.2.1', prefix: 24 }];
