// How the native timed-sender threads (VRRP adverts, BFD control packets) are scheduled: realtime one step
// above their own process's JS thread, else a lower nice value. They need microseconds per packet, so
// this costs the host nothing, and their packets leave on time when the JS thread is busy.
import { native } from '../../net/native.js';

export const SENDER_NICE = -10;
export const SENDER_RT_PRIORITY = 1;

/** *_rt_priority makes the JS thread realtime with SCHED_RESET_ON_FORK, which new threads do not
 * inherit: the sender asks for one more itself, so that it preempts its own JS thread too. -1 when the
 * process is not realtime. */
export function processRealtimePriority(): number {
  try {
    const main = native().getScheduler();
    return main.policy === 'other' ? -1 : main.priority;
  } catch {
    return -1;
  }
}

/** The sender's realtime priority: at least `wanted`, and above its process's JS thread. */
export function senderRealtimePriority(wanted: number = SENDER_RT_PRIORITY): number {
  return Math.min(99, Math.max(wanted, processRealtimePriority() + 1));
}
