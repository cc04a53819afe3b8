// Entry point of the VRRP child process (started by the supervisor with the daemon's own arguments).
import { parseCommandLine } from '../../cli/options.js';
import { daemonLogger } from '../process/run.js';
import { VrrpDaemon } from './vrrp-daemon.js';
import { onRawSignals, signalNumber } from '../process/signals.js';
import { isBfdStateMessage } from '../bfd/relay.js';

async function main(): Promise<void> {
  const parsed = parseCommandLine(process.argv.slice(2));
  if (parsed.kind !== 'daemon') process.exit(2);
  const log = daemonLogger(parsed.options, 'Keepalived_vrrp');
  const daemon = new VrrpDaemon(parsed.options, log);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void daemon.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error(`stop failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => void daemon.reload());
  process.on('SIGUSR1', () => daemon.dump('data'));
  process.on('SIGUSR2', () => daemon.dump('stats'));
  const json = signalNumber('JSON');
  const statsClear = signalNumber('STATS_CLEAR');
  try {
    onRawSignals(
      [json, statsClear].filter((n): n is number => n !== undefined),
      (n) => daemon.dump(n === json ? 'json' : 'stats-clear'),
    );
  } catch (e) {
    log.warn(`cannot handle the JSON and STATS_CLEAR signals: ${(e as Error).message}`);
  }
  // The supervisor going away (kill -9) must not leave an orphan holding the VIPs.
  process.on('disconnect', stop);
  try {
    await daemon.start();
  } catch (e) {
    log.error(`VRRP child failed to start: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  }
  // track_bfd: session states relayed by the supervisor from the BFD child; ask for the current ones.
  process.on('message', (m: unknown) => {
    if (isBfdStateMessage(m)) daemon.feed({ type: 'bfd', name: m.name, up: m.up });
  });
  if (process.connected) process.send?.({ type: 'bfd-sync' });
}

void main();
