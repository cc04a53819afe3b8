// Entry point of the checker child process (started by the supervisor with the daemon's own arguments).
import { parseCommandLine } from '../cli/options.js';
import { CheckerDaemon } from './checker-daemon.js';
import { daemonLogger } from './run.js';
import { isBfdStateMessage } from './bfd-relay.js';

const parsed = parseCommandLine(process.argv.slice(2));
if (parsed.kind !== 'daemon') process.exit(2);
const log = daemonLogger(parsed.options, 'Keepalived_healthcheckers');
const daemon = new CheckerDaemon(parsed.options, log);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void daemon.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
process.on('SIGHUP', () => void daemon.reload());
process.on('SIGUSR1', () => daemon.dump());
daemon.start().catch((e: unknown) => {
  log.error(`checker child failed to start: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
// BFD_CHECK: session states relayed by the supervisor from the BFD child; ask for the current ones.
process.on('message', (m: unknown) => {
  if (isBfdStateMessage(m)) daemon.bfdState(m.name, m.up);
});
if (process.connected) process.send?.({ type: 'bfd-sync' });
