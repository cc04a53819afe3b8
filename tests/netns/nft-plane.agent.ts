// Runs the nftables data plane inside the load balancer's test namespace
// (`ip netns exec NS node nft-plane.agent.js`). One JSON command per stdin line, one JSON answer per line:
//   { id, op: 'apply', changes, next } → { id, ok, result: lastApply } | { id, ok: false, message }
//   { id, op: 'checks', targets } → the check targets exempted from conntrack (setCheckTargets)
//   { id, op: 'flush' }, { id, op: 'close' } (removes our tables, then exits), { op: 'crash' } (exits at
//   once, leaving the tables as a crashed daemon would).
// Options come from KTS_NFT_OPTIONS (JSON: NftablesPlaneOptions without clients).
import { createInterface } from 'node:readline';
import { NftablesPlane, type NftablesPlaneOptions } from '../../src/lb/nftables/plane.js';
import type { CheckTarget } from '../../src/lb/nftables/notrack.js';
import type { LbChange, LbTable } from '../../src/lb/table/types.js';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';

refuseOutsideSuiteNamespace('nft-plane.agent.js');
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const giveUp = setTimeout(() => process.exit(3), 300_000);
const options = JSON.parse(process.env.KTS_NFT_OPTIONS ?? '{}') as NftablesPlaneOptions;
const plane = NftablesPlane.open(options);
let queue: Promise<void> = Promise.resolve();

const run = async (cmd: {
  id: number;
  op: string;
  changes?: LbChange[];
  next?: LbTable;
  targets?: CheckTarget[];
}): Promise<void> => {
  try {
    switch (cmd.op) {
      case 'apply':
        await plane.apply(cmd.changes ?? [], cmd.next ?? { services: [] });
        say({ id: cmd.id, ok: true, result: plane.lastApply ?? null });
        return;
      case 'checks':
        await plane.setCheckTargets(cmd.targets ?? []);
        say({ id: cmd.id, ok: true, result: null });
        return;
      case 'flush':
        await plane.flush();
        say({ id: cmd.id, ok: true, result: null });
        return;
      case 'close':
        plane.close();
        say({ id: cmd.id, ok: true, result: null });
        clearTimeout(giveUp);
        process.exit(0);
        return;
      case 'crash':
        process.exit(9);
        return;
      default:
        say({ id: cmd.id, ok: false, message: `unknown op ${cmd.op}` });
    }
  } catch (error) {
    say({ id: cmd.id, ok: false, message: (error as Error).message });
  }
};

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line) as { id: number; op: string };
  queue = queue.then(() => run(cmd));
});
// stdin closed without `close`: behave as a clean stop.
process.stdin.on('end', () => {
  void queue.then(() => {
    plane.close();
    process.exit(0);
  });
});
