// Entry point of the BFD child process (started by the supervisor with the daemon's own arguments when
// the configuration has bfd_instance blocks). Session up/down goes to the supervisor over IPC.
import { parseCommandLine } from '../../cli/options.js';
import { BfdDaemon } from './bfd-daemon.js';
import { daemonLogger } from '../process/run.js';

const parsed = parseCommandLine(process.argv.slice(2));
if (parsed.kind !== 'daemon') process.exit(2);
const log = daemonLogger(parsed.options, 'Keepalived_bfd');
const daemon = new BfdDaemon(parsed.options, log, (message) => {
  if (process.connected) process.send?.(message);
});
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  daemon.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
process.on('SIGHUP', () => daemon.reload());
process.on('SIGUSR1', () => daemon.dump());
try {
  daemon.start();
} catch (e) {
  log.error(`BFD child failed to start: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
}
