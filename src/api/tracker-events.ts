// Tracker events for /events: which tracked object an engine event reports on (with the reason the event
// gives), and what it did to the instances tracking it (their priority and fault, before and after).
import type { EngineEvent } from '../vrrp/engine/events.js';
import type { TrackerEffect } from './events.js';

export interface TrackedObject {
  kind: 'interface' | 'script' | 'file' | 'process' | 'bfd';
  name: string;
  reason: string;
}

export interface InstancePriority {
  name: string;
  effective: number;
  faulty: boolean;
}

export function trackerOf(e: EngineEvent): TrackedObject | undefined {
  switch (e.type) {
    case 'link':
      return { kind: 'interface', name: e.ifname, reason: `interface ${e.ifname} ${e.up ? 'up' : 'down'}` };
    case 'script-result': {
      const exit = e.exitStatus !== undefined ? ` (exit ${e.exitStatus})` : '';
      return {
        kind: 'script',
        name: e.name,
        reason: `script ${e.name} ${e.ok ? 'succeeded' : 'failed'}${exit}`,
      };
    }
    case 'file-value':
      return { kind: 'file', name: e.name, reason: `track file ${e.name} = ${e.value}` };
    case 'process':
      return {
        kind: 'process',
        name: e.name,
        reason: `process ${e.name} ${e.running ? 'running' : 'stopped'}`,
      };
    case 'bfd':
      return { kind: 'bfd', name: e.name, reason: `bfd ${e.name} ${e.up ? 'up' : 'down'}` };
    default:
      return undefined;
  }
}

/** The instances whose priority or fault differs between `before` and `after`. */
export function trackerEffects(
  before: readonly InstancePriority[],
  after: readonly InstancePriority[],
): TrackerEffect[] {
  const now = new Map(after.map((a) => [a.name, a]));
  const out: TrackerEffect[] = [];
  for (const b of before) {
    const a = now.get(b.name);
    if (a === undefined || (a.effective === b.effective && a.faulty === b.faulty)) continue;
    out.push({
      instance: b.name,
      priorityFrom: b.effective,
      priorityTo: a.effective,
      faultFrom: b.faulty,
      faultTo: a.faulty,
    });
  }
  return out;
}
