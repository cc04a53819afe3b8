// What the VRRP and checker children's SNMP subagents share: the first connection (bounded, so that a
// master agent that does not answer never holds the daemon's start up; the subagent keeps trying in the
// background) and a cache of script paths as keepalived resolves them (the file system is read once per
// command, not at every walk), and the queue their notifications leave through.
import type { SnmpSnapshot } from '../../snmp/snapshot.js';
import type { SnmpSubagent } from '../../snmp/subagent.js';
import type { VarBind } from '../../snmp/types.js';
import type { Logger } from './log.js';

/** How long a child's start waits for the master agent. */
const FIRST_CONNECT_WAIT_MS = 1000;

export async function startAgent(agent: SnmpSubagent, socket: string, log: Logger): Promise<void> {
  log.info('Starting SNMP subagent');
  const connecting = agent.start(socket).catch((e: unknown) => {
    // An address we cannot use (udp:...): said once, SNMP stays off, the daemon runs.
    log.error(`SNMP: ${(e as Error).message}`);
    return false;
  });
  await Promise.race([connecting, new Promise((r) => setTimeout(r, FIRST_CONNECT_WAIT_MS).unref())]);
}

/** The state as it is now, handed to the agent before a notification is made from it (undefined, said in
 * the log, when it cannot be read: the notification is then not sent). */
export function freshSnapshot(
  agent: SnmpSubagent,
  build: () => SnmpSnapshot,
  log: Logger,
): SnmpSnapshot | undefined {
  let snap: SnmpSnapshot;
  try {
    snap = build();
  } catch (e) {
    log.warn(`SNMP: cannot read the state: ${(e as Error).message}`);
    return undefined;
  }
  agent.update(snap, true);
  return snap;
}

export function cachedResolver(resolve: (words: string[]) => string[]): (words: string[]) => string[] {
  const cache = new Map<string, string[]>();
  return (words) => {
    const key = words.join('\0');
    let out = cache.get(key);
    if (out === undefined) {
      out = resolve(words);
      cache.set(key, out);
    }
    return out;
  };
}

/** Notifications leave one after another, in the order the daemon's events made them, never holding the
 * event path up; a stop waits for what is queued, for a bounded time. */
export class NotificationQueue {
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly agent: SnmpSubagent) {}

  send(lists: VarBind[][]): void {
    if (lists.length === 0) return;
    const run = async (): Promise<void> => {
      for (const vbs of lists) await this.agent.notify(vbs);
    };
    this.sending = this.sending.then(run, run);
  }

  async drain(waitMs: number): Promise<void> {
    await Promise.race([this.sending, new Promise((r) => setTimeout(r, waitMs).unref())]);
  }
}
