// The schedulers nf_tables can express, as slot tables: a rule computes an index (a counter for rr and
// wrr, a hash of the client or destination address for sh / dh / mh, a constant for fo) and looks it up
// in a map from slot to real server. A table change is then a change of map elements; only rr and wrr
// also change their rule's modulus when the number of slots does.
//
// Pure: destinations in, slots out. Index i of `slots` is the destination index (into the array given)
// the slot sends new connections to, or undefined for a slot that refuses them (IPVS's "no destination
// available"), as sh / dh / mh do for a quiesced server unless the *-fallback flag is set.

import type { Destination, ServiceAttributes } from '../table/types.js';

export interface SlotTable {
  /** How the rule computes the index. */
  index:
    | { kind: 'counter'; modulus: number }
    | { kind: 'constant' }
    | { kind: 'hash'; of: 'source' | 'source-port' | 'destination'; modulus: number };
  /** Slot → destination index, for slots 0..n-1 (n = modulus, or 1 for a constant). */
  slots: (number | undefined)[];
}

/** IPVS's sh and dh bucket count (IP_VS_SH_TAB_SIZE, IP_VS_DH_TAB_SIZE). */
export const HASH_BUCKETS = 256;
/** IPVS's default mh table size (a prime; CONFIG_IP_VS_MH_TAB_INDEX = 12). */
export const MAGLEV_SLOTS = 4093;
/** The most slots a wrr cycle may take (sum of weights / their gcd): beyond, the map would be huge. */
export const MAX_WRR_SLOTS = 65_536;

export class SlotTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlotTableError';
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Indexes of the destinations that take new connections (weight > 0), in table order. */
function liveIndexes(destinations: readonly Destination[]): number[] {
  const out: number[] = [];
  destinations.forEach((d, i) => {
    if (d.weight > 0) out.push(i);
  });
  return out;
}

/** rr: each live server once, in turn. */
export function roundRobinSlots(destinations: readonly Destination[]): SlotTable {
  const live = liveIndexes(destinations);
  return {
    index: { kind: 'counter', modulus: Math.max(1, live.length) },
    slots: live.length ? live : [undefined],
  };
}

/**
 * wrr: one cycle of IPVS's interleaved weighted round robin (ip_vs_wrr.c's order: the current weight
 * starts at the largest weight and drops by the weights' gcd each pass; a pass picks, in table order,
 * every server whose weight reaches it). Server i appears weight_i / gcd times in a cycle.
 */
export function weightedRoundRobinSlots(destinations: readonly Destination[]): SlotTable {
  const live = liveIndexes(destinations);
  if (live.length === 0) return { index: { kind: 'counter', modulus: 1 }, slots: [undefined] };
  const weights = live.map((i) => (destinations[i] as Destination).weight);
  const g = weights.reduce(gcd);
  const total = weights.reduce((a, w) => a + w / g, 0);
  if (total > MAX_WRR_SLOTS) {
    throw new SlotTableError(
      `wrr weights need a cycle of ${total} slots (sum of weights / their gcd), more than the ${MAX_WRR_SLOTS} ` +
        'the nftables data plane allows: use weights with a larger common divisor',
    );
  }
  const max = Math.max(...weights);
  const slots: number[] = [];
  for (let current = max; current > 0; current -= g) {
    weights.forEach((w, k) => {
      if (w >= current) slots.push(live[k] as number);
    });
  }
  return { index: { kind: 'counter', modulus: slots.length }, slots };
}

/** fo: every new connection to the live server with the highest weight (the first of equals). */
export function failoverSlots(destinations: readonly Destination[]): SlotTable {
  let best: number | undefined;
  destinations.forEach((d, i) => {
    if (d.weight > 0 && (best === undefined || d.weight > (destinations[best] as Destination).weight))
      best = i;
  });
  return { index: { kind: 'constant' }, slots: [best] };
}

/**
 * sh / dh buckets, filled as IPVS does (ip_vs_sh_reassign: servers in turn, each for `weight` buckets in a
 * row; dh: one bucket each). A quiesced server (weight 0) keeps one bucket per turn, which refuses new
 * connections, unless `fallback` hands its buckets to the live servers.
 */
export function bucketSlots(
  destinations: readonly Destination[],
  weighted: boolean,
  fallback: boolean,
  of: 'source' | 'source-port' | 'destination',
): SlotTable {
  const members = fallback ? liveIndexes(destinations) : destinations.map((_, i) => i);
  const slots: (number | undefined)[] = [];
  if (members.length === 0) {
    for (let i = 0; i < HASH_BUCKETS; i++) slots.push(undefined);
  } else {
    let p = 0;
    let count = 0;
    for (let i = 0; i < HASH_BUCKETS; i++) {
      const index = members[p] as number;
      const d = destinations[index] as Destination;
      slots.push(d.weight > 0 ? index : undefined);
      const repeat = weighted ? Math.max(1, d.weight) : 1;
      if (++count >= repeat) {
        p = (p + 1) % members.length;
        count = 0;
      }
    }
  }
  return { index: { kind: 'hash', of, modulus: HASH_BUCKETS }, slots };
}

// FNV-1a (32 bit) over the server's address and port, with two bases for maglev's two hashes.
function fnv1a(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * mh: a Maglev lookup table (Eisenbud et al., NSDI 2016), as IPVS's mh builds it: each server walks its
 * own permutation of the slots (offset and skip from two hashes of its address and port) and claims the
 * next free slot, weight / gcd turns per round, until every slot is taken. Adding or removing a server
 * moves only about 1/n of the slots. Quiesced servers keep their slots (refusing) unless `fallback`.
 */
export function maglevSlots(
  destinations: readonly Destination[],
  fallback: boolean,
  withPort: boolean,
): SlotTable {
  const m = MAGLEV_SLOTS;
  const members = fallback ? liveIndexes(destinations) : destinations.map((_, i) => i);
  const slots: (number | undefined)[] = new Array<number | undefined>(m).fill(undefined);
  const of = withPort ? 'source-port' : 'source';
  if (members.length === 0) return { index: { kind: 'hash', of, modulus: m }, slots };
  const weights = members.map((i) => Math.max(1, (destinations[i] as Destination).weight));
  const g = weights.reduce(gcd);
  const turns = weights.map((w) => w / g);
  const offset: number[] = [];
  const skip: number[] = [];
  const next: number[] = [];
  for (const i of members) {
    const d = destinations[i] as Destination;
    const id = `${d.address}|${d.port}`;
    offset.push(fnv1a(id, 0x811c9dc5) % m);
    skip.push((fnv1a(id, 0x9747b28c) % (m - 1)) + 1);
    next.push(0);
  }
  const taken: boolean[] = new Array<boolean>(m).fill(false);
  let filled = 0;
  while (filled < m) {
    for (let k = 0; k < members.length && filled < m; k++) {
      for (let t = 0; t < (turns[k] as number) && filled < m; t++) {
        let c: number;
        do {
          c = ((offset[k] as number) + (next[k] as number) * (skip[k] as number)) % m;
          next[k] = (next[k] as number) + 1;
        } while (taken[c]);
        taken[c] = true;
        const index = members[k] as number;
        slots[c] = (destinations[index] as Destination).weight > 0 ? index : undefined;
        filled++;
      }
    }
  }
  return { index: { kind: 'hash', of, modulus: m }, slots };
}

function hasFlag(service: ServiceAttributes, ...flags: string[]): boolean {
  return service.schedFlags.some((f) => flags.includes(f));
}

/** The slot table of a service whose scheduler nftablesSupport() accepted. */
export function slotTable(service: ServiceAttributes, destinations: readonly Destination[]): SlotTable {
  switch (service.scheduler) {
    case 'rr':
      return roundRobinSlots(destinations);
    case 'wrr':
      return weightedRoundRobinSlots(destinations);
    case 'fo':
      return failoverSlots(destinations);
    case 'sh':
      // IPVS: flag-1 is sh-fallback, flag-2 is sh-port.
      return bucketSlots(
        destinations,
        true,
        hasFlag(service, 'sh-fallback', 'flag-1'),
        hasFlag(service, 'sh-port', 'flag-2') ? 'source-port' : 'source',
      );
    case 'dh':
      return bucketSlots(destinations, false, false, 'destination');
    case 'mh':
      return maglevSlots(
        destinations,
        hasFlag(service, 'mh-fallback', 'flag-1'),
        hasFlag(service, 'mh-port', 'flag-2'),
      );
    default:
      throw new SlotTableError(`lb_algo ${service.scheduler} has no nftables slot table`);
  }
}
