// A one-shot timer on an absolute CLOCK_MONOTONIC deadline with nanosecond resolution: a timerfd watched
// by libuv. Node's own timers round to whole milliseconds, too coarse for advert jitter under 1 ms.
// Deadlines use the clock of monotonicNowNs(), which is also the clock of process.hrtime.bigint().
import { native, type PollHandle } from './native.js';

/** CLOCK_MONOTONIC now, in nanoseconds. */
export function monotonicNowNs(): bigint {
  return native().monotonicNow();
}

/** CLOCK_MONOTONIC now, in microseconds (a plain number: exact for centuries of uptime). */
export function monotonicNowUs(): number {
  return Number(native().monotonicNow() / 1000n);
}

export class PreciseTimer {
  private fd: number;
  private poll: PollHandle;
  private deadline: bigint | undefined;

  /** `onFire(deadlineNs, nowNs)` runs once per armed deadline, as soon as the loop sees it pass. */
  constructor(private readonly onFire: (deadlineNs: bigint, nowNs: bigint) => void) {
    this.fd = native().timerfdCreate();
    this.poll = native().pollStart(this.fd, () => this.fired());
    native().pollRef(this.poll, false); // only an armed timer keeps the process alive
  }

  /** The armed deadline, or undefined. */
  get armedAt(): bigint | undefined {
    return this.deadline;
  }

  /** Arms (or re-arms) for an absolute monotonic deadline; a past deadline fires on the next loop turn. */
  armAt(deadlineNs: bigint): void {
    if (this.fd < 0) throw new Error('timer is closed');
    // timerfd treats a zero it_value as "disarm"; the epoch itself is never a meaningful deadline.
    const deadline = deadlineNs > 0n ? deadlineNs : 1n;
    native().timerfdArm(this.fd, deadline, 0n);
    this.deadline = deadline;
    native().pollRef(this.poll, true);
  }

  /** Arms for `delayNs` from now. */
  armIn(delayNs: bigint): void {
    this.armAt(native().monotonicNow() + delayNs);
  }

  disarm(): void {
    if (this.fd < 0) return;
    native().timerfdArm(this.fd, 0n, 0n);
    native().timerfdRead(this.fd); // drop an expiry that raced with the disarm
    this.deadline = undefined;
    native().pollRef(this.poll, false);
  }

  close(): void {
    if (this.fd < 0) return;
    native().pollStop(this.poll);
    native().close(this.fd);
    this.fd = -1;
    this.deadline = undefined;
  }

  private fired(): void {
    if (this.fd < 0 || native().timerfdRead(this.fd) === 0) return;
    const now = native().monotonicNow();
    const deadline = this.deadline ?? now;
    this.deadline = undefined;
    native().pollRef(this.poll, false);
    this.onFire(deadline, now);
  }
}
