// VRRP timing formulas, exactly as keepalived 2.x computes them. keepalived keeps timers in microseconds with
// integer arithmetic; we do the same arithmetic in microseconds and only then convert to milliseconds, so the
// results are bit-for-bit the same instants (fractions of a millisecond are exact in binary: /1000 of an integer
// number of microseconds below 2^53).

import type { VrrpVersion } from '../advert.js';
import { csToMs } from '../../common/units.js';

/** RFC 5798 Skew_Time. v3: ((256 - priority) * Master_Adver_Interval) / 256, computed in keepalived as
 * floor((256 - p) * intervalCs * 625 / 16) microseconds. v2 (RFC 3768): (256 - priority) / 256 seconds,
 * independent of the advert interval. */
export function skewTimeMs(version: VrrpVersion, priority: number, masterIntervalCs: number): number {
  const weight = 256 - priority;
  const micros =
    version === 3
      ? Math.floor((weight * masterIntervalCs * 625) / 16)
      : Math.floor((weight * 1_000_000) / 256);
  return micros / 1000;
}

/** Master_Down_Interval = adverts x Master_Adver_Interval + Skew_Time (keepalived's down_timer_adverts, default 3). */
export function masterDownIntervalMs(
  version: VrrpVersion,
  priority: number,
  masterIntervalCs: number,
  downTimerAdverts = 3,
): number {
  return downTimerAdverts * csToMs(masterIntervalCs) + skewTimeMs(version, priority, masterIntervalCs);
}

/** keepalived's timer for an address owner coming back up: one interval plus skew instead of three. */
export function ownerDownIntervalMs(
  version: VrrpVersion,
  priority: number,
  masterIntervalCs: number,
): number {
  return csToMs(masterIntervalCs) + skewTimeMs(version, priority, masterIntervalCs);
}

/** A timer counts as due this close before its deadline. Clock conversions in drivers (drifting simulated
 * clocks, hrtime to ms) can land a wake-up a few ulps short of the deadline it was computed from; keepalived's
 * own timers are whole microseconds, so a nanosecond of slack changes nothing observable. */
export const DUE_TOLERANCE_MS = 1e-6;

/** `now + delayMs` on keepalived's microsecond grid, so that 6000 + 3003.906 is exactly 9003.906 and a
 * deadline re-armed from "time left" lands back on the same instant. */
export function later(now: number, delayMs: number): number {
  return Math.round((now + delayMs) * 1000) / 1000;
}
