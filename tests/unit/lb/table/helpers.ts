// Builds the resolved load-balancing config from keepalived.conf text, through the real config reader.
import { lvs } from '../../config/lvs-helpers.js';
import { resolveLbConfig, type LbConfig, type LbVirtualServer } from '../../../../src/lb/table/resolve.js';
import type { LbEffect } from '../../../../src/lb/table/tracker.js';

export function lbConfig(text: string): LbConfig {
  return resolveLbConfig(lvs(text).model);
}

/** The only virtual server of a config. */
export function onlyVs(text: string): LbVirtualServer {
  const config = lbConfig(text);
  if (config.virtualServers.length !== 1)
    throw new Error(
      `expected one virtual server, got ${config.virtualServers.length}: ${config.ignored.join('; ')}`,
    );
  return config.virtualServers[0] as LbVirtualServer;
}

export function logs(effects: readonly LbEffect[]): string[] {
  return effects.flatMap((e) => (e.type === 'log' ? [e.message] : []));
}

export function fifo(effects: readonly LbEffect[]): string[] {
  return effects.flatMap((e) => (e.type === 'fifo' ? [e.line] : []));
}

export function scripts(effects: readonly LbEffect[]): string[] {
  return effects.flatMap((e) => (e.type === 'script' ? [`${e.event} ${e.script.command}`] : []));
}
