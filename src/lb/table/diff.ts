// The smallest list of changes from one table to another. Every attribute of a service (scheduler,
// flags, persistence, engine, one-packet) and of a destination (weight, method, tunnel, thresholds)
// can be edited in place by the kernel, so only a change of identity (service key; destination
// family, address and port) adds and deletes: an edit never becomes a delete and re-add, which would
// drop the entry's connections and persistence templates.
//
// Order, make before break: for each service of the new table (in its order), its add or edit, then
// its destinations' adds, edits and deletes; then the deletions of services that are gone (their
// destinations go with them). New connections always find the new destinations before old ones leave.
import { destinationId, serviceId } from './desired.js';
import type { TunnelOptions } from '../../config/model/lvs/types.js';
import type { Destination, LbChange, LbTable, Service, ServiceAttributes } from './types.js';

function attributesOf(s: ServiceAttributes): ServiceAttributes {
  const a: ServiceAttributes = {
    key: s.key,
    scheduler: s.scheduler,
    schedFlags: s.schedFlags,
    onePacket: s.onePacket,
  };
  if (s.persistence) a.persistence = s.persistence;
  if (s.persistenceEngine !== undefined) a.persistenceEngine = s.persistenceEngine;
  return a;
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((f) => sb.has(f));
}

/** Whether two services with the same key need an edit. */
export function sameServiceAttributes(a: ServiceAttributes, b: ServiceAttributes): boolean {
  return (
    a.scheduler === b.scheduler &&
    sameFlags(a.schedFlags, b.schedFlags) &&
    a.onePacket === b.onePacket &&
    a.persistence?.timeoutS === b.persistence?.timeoutS &&
    a.persistence?.granularity === b.persistence?.granularity &&
    // The kernel keeps a persistence engine only on a persistent service.
    (a.persistence ? a.persistenceEngine : undefined) === (b.persistence ? b.persistenceEngine : undefined)
  );
}

function sameTunnel(a: TunnelOptions | undefined, b: TunnelOptions | undefined): boolean {
  return (
    (a?.type ?? 'ipip') === (b?.type ?? 'ipip') &&
    (a?.port ?? 0) === (b?.port ?? 0) &&
    (a?.checksum ?? 'nocsum') === (b?.checksum ?? 'nocsum')
  );
}

/** Whether two destinations with the same identity need an edit. */
export function sameDestination(a: Destination, b: Destination): boolean {
  return (
    a.weight === b.weight &&
    a.method === b.method &&
    (a.method !== 'TUN' || sameTunnel(a.tunnel, b.tunnel)) &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold
  );
}

/** The changes that turn one service into its next version (undefined before: it is new), destinations
 * added, then edited, then deleted. The service's deletion is the caller's (it takes its destinations). */
export function diffService(old: Service | undefined, next: Service): LbChange[] {
  const key = next.key;
  if (old === undefined)
    return [
      { op: 'add-service', service: attributesOf(next) },
      ...next.destinations.map((destination): LbChange => ({
        op: 'add-destination',
        service: key,
        destination,
      })),
    ];
  const changes: LbChange[] = [];
  if (!sameServiceAttributes(old, next)) changes.push({ op: 'edit-service', service: attributesOf(next) });
  const oldDests = new Map(old.destinations.map((d) => [destinationId(d), d]));
  const newIds = new Set<string>();
  const edits: LbChange[] = [];
  for (const destination of next.destinations) {
    const did = destinationId(destination);
    newIds.add(did);
    const was = oldDests.get(did);
    if (was === undefined) changes.push({ op: 'add-destination', service: key, destination });
    else if (!sameDestination(was, destination))
      edits.push({ op: 'edit-destination', service: key, destination });
  }
  changes.push(...edits);
  for (const d of old.destinations) {
    if (newIds.has(destinationId(d))) continue;
    changes.push({
      op: 'delete-destination',
      service: key,
      destination: { family: d.family, address: d.address, port: d.port },
    });
  }
  return changes;
}

/** The changes that turn `from` into `to`, in an order the kernel accepts step by step. */
export function diffTables(from: LbTable, to: LbTable): LbChange[] {
  const changes: LbChange[] = [];
  const before = new Map(from.services.map((s) => [serviceId(s.key), s]));
  const kept = new Set<string>();
  for (const service of to.services) {
    const id = serviceId(service.key);
    const old = before.get(id);
    if (old !== undefined) kept.add(id);
    changes.push(...diffService(old, service));
  }
  for (const service of from.services) {
    if (!kept.has(serviceId(service.key))) changes.push({ op: 'delete-service', key: service.key });
  }
  return changes;
}
