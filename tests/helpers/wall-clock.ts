// Wall-clock time (ms since the epoch) with microsecond resolution, for lining up what several processes
// saw: log lines and FIFO lines read here, packets in a pcap (the kernel's CLOCK_REALTIME) and the sends
// of the injector agent (another process using this same module). Date.now() has a 1 ms resolution; the
// monotonic clock has no epoch. At load we wait for Date.now() to tick and take the offset between the two
// at that edge, which pins the monotonic clock to the epoch within a few microseconds.
const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

function calibrate(): number {
  const first = Date.now();
  for (;;) {
    const mono = monotonicMs();
    const now = Date.now();
    if (now !== first) return now - mono;
  }
}

const offset = calibrate();

/** Milliseconds since the epoch, fractional. */
export function wallNow(): number {
  return offset + monotonicMs();
}

/** Waits until wallNow() >= at: a timer for the bulk of the wait, then a short spin for the last 2 ms. */
export async function waitUntilWall(at: number): Promise<void> {
  const coarse = at - wallNow() - 2;
  if (coarse > 0) await new Promise((resolve) => setTimeout(resolve, coarse));
  while (wallNow() < at) {
    // spin: the last milliseconds are too short for a timer to hit
  }
}
