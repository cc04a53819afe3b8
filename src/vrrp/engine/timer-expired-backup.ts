// keepalived 2.4's timer_expired_backup (vrrp.c, vrrp_thread_timeout_handler): when the VRRP process finds
// its timers ran late by more than the quickest takeover any such instance allows (the process was stopped,
// or starved of CPU), a MASTER that has not advertised for longer than a backup of `highest other priority`
// waits has lost its place already: it goes to BACKUP at once rather than sending an advert that would
// take mastership back from whoever took over meanwhile. Needs nopreempt, so that it stays BACKUP.
import { csToMs } from '../../common/units.js';
import type { InstanceSpec } from './spec.js';
import { skewTimeMs } from './timers.js';

/** What the check reads of an instance (instance.ts's Instance). */
export interface ExpiryCandidate {
  readonly spec: InstanceSpec;
  readonly state: string;
  /** When the instance last sent an advert (keepalived's last_advert_sent). */
  readonly lastAdvertAt: number | undefined;
}

/** Skew_Time of a backup with the highest other priority, on this instance's advert interval (ms). */
function otherSkewMs(spec: InstanceSpec, highestOther: number): number {
  return skewTimeMs(spec.version, highestOther, spec.advertIntervalCs);
}

/** The lateness from which keepalived looks at all: the smallest 2 x advert_int + skew of the instances
 * configured with timer_expired_backup (undefined: none is). */
export function expiryThresholdMs(specs: readonly InstanceSpec[]): number | undefined {
  let min: number | undefined;
  for (const s of specs) {
    if (s.timerExpiredBackup === undefined) continue;
    const t = 2 * csToMs(s.advertIntervalCs) + otherSkewMs(s, s.timerExpiredBackup);
    if (min === undefined || t < min) min = t;
  }
  return min;
}

/** The MASTERs that must go to BACKUP now, the timers having run `lateMs` late. */
export function expiredMasters<T extends ExpiryCandidate>(
  instances: readonly T[],
  now: number,
  lateMs: number,
): T[] {
  const threshold = expiryThresholdMs(instances.map((i) => i.spec));
  if (threshold === undefined || lateMs < threshold) return [];
  return instances.filter((i) => {
    const other = i.spec.timerExpiredBackup;
    if (i.state !== 'MASTER' || other === undefined || i.lastAdvertAt === undefined) return false;
    const expires = i.lastAdvertAt + 3 * csToMs(i.spec.advertIntervalCs) + otherSkewMs(i.spec, other);
    return expires <= now;
  });
}
