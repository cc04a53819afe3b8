// From the config model's bfd_instance blocks (milliseconds as written) to the engine's session specs
// (microseconds as on the wire). Pure.
import type { BfdInstance } from '../config/model/bfd/bfd-instance.js';
import type { BfdSessionSpec } from './spec.js';

const us = (ms: number): number => Math.round(ms * 1000);

export function bfdSessionSpec(b: BfdInstance): BfdSessionSpec {
  return {
    name: b.name,
    family: b.neighbor.family,
    neighbor: b.neighbor.address,
    ...(b.source ? { source: b.source.address } : {}),
    multihop: b.multihop,
    desiredMinTxUs: us(b.minTxMs),
    requiredMinRxUs: us(b.minRxMs),
    idleTxUs: us(b.idleTxMs),
    detectMult: b.multiplier,
    passive: b.passive,
    ttl: b.ttl,
    maxHops: b.maxHops,
  };
}

export function bfdSessionSpecs(instances: readonly BfdInstance[]): BfdSessionSpec[] {
  return instances.map(bfdSessionSpec);
}
