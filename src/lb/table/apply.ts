// A table changed as a kernel would change it, one step at a time, refusing what the kernel refuses
// (adding what exists, editing or deleting what does not, a destination without its service). Pure:
// it checks that a diff is valid in its order, and lets a data plane keep the table it holds.
import { destinationId, serviceId } from './desired.js';
import type { Destination, LbChange, LbTable, Service, ServiceAttributes, ServiceKey } from './types.js';

export class ChangeRejected extends Error {
  constructor(
    readonly change: LbChange,
    reason: string,
  ) {
    super(`${change.op} refused: ${reason}`);
  }
}

function withAttributes(attributes: ServiceAttributes, destinations: readonly Destination[]): Service {
  const s: Service = {
    key: attributes.key,
    scheduler: attributes.scheduler,
    schedFlags: attributes.schedFlags,
    onePacket: attributes.onePacket,
    destinations,
  };
  if (attributes.persistence) s.persistence = attributes.persistence;
  if (attributes.persistenceEngine !== undefined) s.persistenceEngine = attributes.persistenceEngine;
  return s;
}

/** `table` after `changes`; throws ChangeRejected at the first step the kernel would refuse. */
export function applyChanges(table: LbTable, changes: readonly LbChange[]): LbTable {
  // Insertion order of the map is the table's order: new services go last, as the kernel lists them.
  const services = new Map<string, Service>(table.services.map((s) => [serviceId(s.key), s]));
  const find = (change: LbChange, key: ServiceKey): Service => {
    const s = services.get(serviceId(key));
    if (s === undefined) throw new ChangeRejected(change, `no service ${serviceId(key)}`);
    return s;
  };
  for (const change of changes) {
    switch (change.op) {
      case 'add-service': {
        const id = serviceId(change.service.key);
        if (services.has(id)) throw new ChangeRejected(change, `service ${id} exists`);
        services.set(id, withAttributes(change.service, []));
        break;
      }
      case 'edit-service': {
        const s = find(change, change.service.key);
        services.set(serviceId(s.key), withAttributes(change.service, s.destinations));
        break;
      }
      case 'delete-service':
        find(change, change.key);
        services.delete(serviceId(change.key));
        break;
      case 'add-destination':
      case 'edit-destination':
      case 'delete-destination': {
        const s = find(change, change.service);
        const did = destinationId(change.destination);
        const at = s.destinations.findIndex((d) => destinationId(d) === did);
        const dests = [...s.destinations];
        if (change.op === 'add-destination') {
          if (at >= 0) throw new ChangeRejected(change, `destination ${did} exists`);
          dests.push(change.destination);
        } else if (at < 0) throw new ChangeRejected(change, `no destination ${did}`);
        else if (change.op === 'edit-destination') dests[at] = change.destination;
        else dests.splice(at, 1);
        services.set(serviceId(s.key), { ...s, destinations: dests });
        break;
      }
    }
  }
  return { services: [...services.values()] };
}
