// Entry point of the VRRP child process (started by the supervisor).
import { runChild } from '../process/child.js';
import { onRawSignals, signalNumber } from '../process/signals.js';
import { isBfdStateMessage } from '../bfd/relay.js';
import { VrrpDaemon } from './vrrp-daemon.js';

const daemon = await runChild(
  'Keepalived_vrrp',
  'VRRP',
  (options, log) => new VrrpDaemon(options, log),
  (vrrp, log) => {
    process.on('SIGUSR2', () => vrrp.dump('stats'));
    const json = signalNumber('JSON');
    const statsClear = signalNumber('STATS_CLEAR');
    try {
      onRawSignals(
        [json, statsClear].filter((n): n is number => n !== undefined),
        (n) => vrrp.dump(n === json ? 'json' : 'stats-clear'),
      );
    } catch (e) {
      log.warn(`cannot handle the JSON and STATS_CLEAR signals: ${(e as Error).message}`);
    }
  },
);
// track_bfd: session states relayed by the supervisor from the BFD child (all of them: the status listener
// shows every session, the engine hears those scoped to VRRP); the checker child's health report for the
// status listener. Ask for the current ones.
process.on('message', (m: unknown) => {
  if (isBfdStateMessage(m)) {
    if (m.vrrp) daemon.feed({ type: 'bfd', name: m.name, up: m.up });
    daemon.bfdStatus(m.name, m.up);
  } else daemon.statusMessage(m);
});
if (process.connected) {
  process.send?.({ type: 'bfd-sync' });
  process.send?.({ type: 'status-sync' });
}
