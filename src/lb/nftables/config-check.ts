// Which virtual servers of a configuration the nftables data plane cannot realise, and where they are
// written: one answer for `-t` (a diagnostic naming file:line) and for the daemon (which leaves those
// services out and says so). Pure.
import type { SourceLocation } from '../../config/types.js';
import { desiredTable, serviceId } from '../table/desired.js';
import type { LbConfig } from '../table/resolve.js';
import { nftablesSupport } from './support.js';

export interface NftablesRefusal {
  /** serviceId() of the kernel services left out (a group's addresses are one service each). */
  services: string[];
  /** keepalived's name of the virtual server ("[10.0.0.1]:tcp:80"). */
  virtualServer: string;
  at?: SourceLocation;
  /** What nftables lacks, and what to use instead. */
  reason: string;
}

/**
 * The services nftables cannot realise, judged with every real server in (a method or threshold of any
 * of them may be what is missing). `locations[i]` is where virtual server `modelIndex` i is written.
 */
export function nftablesRefusals(
  config: LbConfig,
  locations: ReadonlyArray<SourceLocation | undefined>,
): NftablesRefusal[] {
  const everyoneUp = new Map<string, { up: boolean; weight: number }>();
  for (const vs of config.virtualServers)
    for (const rs of vs.realServers) everyoneUp.set(rs.id, { up: true, weight: Math.max(rs.weight, 1) });
  const full = desiredTable(config, { servers: everyoneUp, quorumUp: [] });
  const byKey = new Map(full.services.map((s) => [serviceId(s.key), s]));
  const out: NftablesRefusal[] = [];
  const seen = new Set<string>();
  for (const vs of config.virtualServers) {
    // One refusal per virtual server and reason, however many kernel services it has.
    const byReason = new Map<string, string[]>();
    for (const attributes of vs.services) {
      const id = serviceId(attributes.key);
      if (seen.has(id)) continue;
      const reason = nftablesSupport(attributes, byKey.get(id)?.destinations ?? []);
      if (reason === undefined) continue;
      seen.add(id);
      byReason.set(reason, [...(byReason.get(reason) ?? []), id]);
    }
    const at = locations[vs.modelIndex];
    for (const [reason, services] of byReason)
      out.push({ services, virtualServer: vs.name, reason, ...(at ? { at } : {}) });
  }
  return out;
}
