// Entry point of the BFD child process (started by the supervisor when the configuration has bfd_instance
// blocks). Session up/down goes to the supervisor over IPC.
import { runChild } from '../process/child.js';
import { BfdDaemon } from './bfd-daemon.js';

await runChild(
  'Keepalived_bfd',
  'BFD',
  (options, log) =>
    new BfdDaemon(options, log, (message) => {
      if (process.connected) process.send?.(message);
    }),
);
