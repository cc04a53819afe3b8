// The system's uptime, as keepalived reads it for vrrp_delay_after_boot: /proc/uptime's first figure.
import { readFileSync } from 'node:fs';

/** Seconds since boot, or undefined when /proc/uptime cannot be read (keepalived then ignores the delay). */
export function systemUptimeS(path = '/proc/uptime'): number | undefined {
  try {
    const first = Number(readFileSync(path, 'utf8').split(/\s+/)[0]);
    return Number.isFinite(first) ? first : undefined;
  } catch {
    return undefined;
  }
}
