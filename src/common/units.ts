// Units every layer converts between: the engines count milliseconds, kernel clocks and timers count
// nanoseconds, VRRP's advert interval counts centiseconds.

export const NS_PER_MS = 1_000_000;

/** Milliseconds as whole nanoseconds: to the nearest, or up (never wake before a deadline). */
export function msToNs(ms: number, rounding: 'nearest' | 'up' = 'nearest'): bigint {
  const ns = ms * NS_PER_MS;
  return BigInt(rounding === 'up' ? Math.ceil(ns) : Math.round(ns));
}

/** Nanoseconds (a kernel clock reading) as milliseconds. */
export function nsToMs(ns: bigint): number {
  return Number(ns) / NS_PER_MS;
}

/** Centiseconds (VRRP's advert interval) as milliseconds. */
export function csToMs(cs: number): number {
  return cs * 10;
}

/** Centiseconds as seconds (v2 adverts and keepalived's dumps count seconds). */
export function csToSeconds(cs: number): number {
  return cs / 100;
}
