// interface_up_down_delays as keepalived applies them: per interface, how long a link going down (up) must
// stay so before it is believed. A delay one master-down interval long would let a dead link hide a dead
// master, so keepalived cuts each to just under (down_timer_adverts - 1) advert intervals of every
// instance on the interface, and drops them where an instance has down_timer_adverts 1. Pure.
import type { InstanceSpec } from './engine/spec.js';

export interface LinkDelays {
  downMs: number;
  upMs: number;
}

export interface ConfiguredLinkDelays {
  name: string;
  /** Seconds. */
  downDelay: number;
  upDelay: number;
}

/** The delays in force, by interface name, and keepalived's lines about those it changed. */
export function linkDelays(
  configured: readonly ConfiguredLinkDelays[],
  instances: readonly Pick<InstanceSpec, 'name' | 'interface' | 'advertIntervalCs' | 'downTimerAdverts'>[],
): { delays: Map<string, LinkDelays>; messages: string[] } {
  // keepalived keeps timers in microseconds
  const delays = new Map<string, { down: number; up: number }>();
  for (const d of configured)
    delays.set(d.name, { down: Math.round(d.downDelay * 1e6), up: Math.round(d.upDelay * 1e6) });
  const messages: string[] = [];
  for (const inst of instances) {
    const d = delays.get(inst.interface);
    if (d === undefined || (d.down === 0 && d.up === 0)) continue;
    const adverts = inst.downTimerAdverts ?? 3;
    if (adverts === 1) {
      messages.push(`${inst.name}: cannot use debounce timers with down_timer_adverts = 1 - resetting`);
      d.down = d.up = 0;
      continue;
    }
    const advertUs = inst.advertIntervalCs * 10_000;
    const limit = (adverts - 1) * advertUs;
    if (d.up < limit && d.down < limit) continue;
    const cut = limit - Math.floor(advertUs / 256);
    if (d.up >= limit) d.up = cut;
    if (d.down >= limit) d.down = cut;
    messages.push(
      `${inst.name}: interface ${inst.interface} debounce timer(s) not less that ${adverts - 1} * advert_int - resetting`,
    );
  }
  const out = new Map<string, LinkDelays>();
  for (const [name, d] of delays)
    if (d.down > 0 || d.up > 0) out.set(name, { downMs: d.down / 1000, upMs: d.up / 1000 });
  return { delays: out, messages };
}
