// Timer precision: lateness of the timerfd-based PreciseTimer against absolute deadlines every 10 ms,
// next to node's setTimeout driven the same way, and (as root) again with the main thread at SCHED_RR 10
// as keepalived's vrrp_rt_priority would run it. Prints p50/p90/p99/p99.9/max lateness in microseconds.
//   node dist/bench/timer.js [periods=3000] [periodMs=10] [compare=yes]
import { native } from '../src/net/native.js';
import { monotonicNowNs, PreciseTimer } from '../src/net/precise-timer.js';

const periods = Number(process.argv[2] ?? 3000);
const periodNs = BigInt(Math.round(Number(process.argv[3] ?? 10) * 1e6));
const compare = (process.argv[4] ?? 'yes') !== 'no';

function summary(name: string, lateUs: number[]): string {
  const sorted = [...lateUs].sort((a, b) => a - b);
  const at = (p: number): string =>
    (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number).toFixed(1).padStart(8);
  const over1ms = sorted.filter((v) => v > 1000).length;
  return (
    `${name.padEnd(12)} n=${sorted.length}  p50 ${at(0.5)}  p90 ${at(0.9)}  p99 ${at(0.99)}  ` +
    `p99.9 ${at(0.999)}  max ${at(1)} us  >1ms: ${over1ms}  early: ${sorted.filter((v) => v < 0).length}`
  );
}

function runPreciseTimer(): Promise<number[]> {
  return new Promise((resolve) => {
    const lateUs: number[] = [];
    let next = monotonicNowNs() + periodNs;
    const timer = new PreciseTimer((deadline, now) => {
      lateUs.push(Number(now - deadline) / 1000);
      if (lateUs.length >= periods) {
        timer.close();
        resolve(lateUs);
        return;
      }
      next += periodNs; // absolute schedule: lateness never accumulates
      timer.armAt(next);
    });
    timer.armAt(next);
  });
}

function runSetTimeout(): Promise<number[]> {
  return new Promise((resolve) => {
    const lateUs: number[] = [];
    let next = process.hrtime.bigint() + periodNs;
    const arm = (): void => {
      const delayMs = Math.max(0, Number(next - process.hrtime.bigint()) / 1e6);
      setTimeout(() => {
        lateUs.push(Number(process.hrtime.bigint() - next) / 1000);
        if (lateUs.length >= periods) return resolve(lateUs);
        next += periodNs;
        arm();
      }, delayMs);
    };
    arm();
  });
}

console.log(
  `# ${periods} deadlines, one every ${Number(periodNs) / 1e6} ms (lateness = wake-up time - deadline)`,
);
console.log(summary('timerfd', await runPreciseTimer()));
if (compare) {
  console.log(summary('setTimeout', await runSetTimeout()));
  if (process.getuid?.() === 0) {
    native().setScheduler('rr', 10);
    console.log(summary('timerfd+rr10', await runPreciseTimer()));
    native().setScheduler('other', 0);
  }
}
