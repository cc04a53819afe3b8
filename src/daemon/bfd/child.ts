// Entry point of the BFD child process (started by the supervisor when the configuration has bfd_instance
// blocks). Session up/down goes to the supervisor over IPC.
import { runChild } from '../process/child.js';
import { BfdDaemon } from './bfd-daemon.js';

// Test hook (tests/netns/bfd-stall.test.ts), off unless KTS_TEST_BFD_STALL_MS is set: SIGUSR2 holds this
// child's JS thread that long, as a long collection or callback would, while its native threads go on
// (SIGSTOP would stop those too).
const stallMs = Number(process.env.KTS_TEST_BFD_STALL_MS ?? 0);
if (stallMs > 0)
  process.on('SIGUSR2', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, stallMs));

await runChild(
  'Keepalived_bfd',
  'BFD',
  (options, log) =>
    new BfdDaemon(options, log, (message) => {
      if (process.connected) process.send?.(message);
    }),
);
