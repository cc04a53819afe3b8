// Entry point of the checker child process (started by the supervisor).
import { runChild } from '../process/child.js';
import { isBfdStateMessage } from '../bfd/relay.js';
import { CheckerDaemon } from './checker-daemon.js';

const daemon = await runChild(
  'Keepalived_healthcheckers',
  'checker',
  (options, log) => new CheckerDaemon(options, log),
);
// BFD_CHECK: session states relayed by the supervisor from the BFD child; ask for the current ones.
process.on('message', (m: unknown) => {
  if (isBfdStateMessage(m)) daemon.bfdState(m.name, m.up);
});
if (process.connected) process.send?.({ type: 'bfd-sync' });
