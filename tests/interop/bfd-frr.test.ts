// Our BFD against FRRouting's bfdd (Debian frr) in two namespaces: the session comes Up, the timers
// both sides use follow RFC 5880's negotiation (read back from `show bfd peers json`), and a cut path
// takes both Down, each by its own detection time, and back Up when repaired. bfdd runs as user frr
// from a directory of its own (config, pid, vty and control sockets), next to a zebra.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LanMember } from '../helpers/netns.js';
import {
  FRR_DIR,
  frrSkipReason,
  globalDefs,
  waitUntil,
  withLab,
  type VrrpDaemon,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import { bfdInstance, cutBfd, restoreBfd, startDaemon, waitForBfd } from '../netns/bfd-lab.js';
import { gated } from '../helpers/requirements.js';
import { FrrDaemons } from '../helpers/frr.js';

const skipReason =
  frrSkipReason() ?? (existsSync(join(FRR_DIR, 'bfdd')) ? undefined : 'FRR bfdd not installed');
const { describe, test } = gated(skipReason);

interface FrrPeer {
  status: string;
  'remote-id'?: number;
  'receive-interval': number;
  'transmit-interval': number;
  'detect-multiplier': number;
  'remote-receive-interval': number;
  'remote-transmit-interval': number;
  'remote-detect-multiplier': number;
}

class FrrBfd {
  private readonly frr: FrrDaemons;
  bfdd?: VrrpDaemon;

  constructor(lab: VrrpLab, member: LanMember) {
    this.frr = new FrrDaemons(lab, member);
  }

  async start(peer: string, local: string): Promise<void> {
    await this.frr.startZebra();
    const config = [
      'hostname frr',
      // state changes are logged only with this
      'debug bfd peer',
      'bfd',
      ` peer ${peer} local-address ${local}`,
      '  receive-interval 100',
      '  transmit-interval 100',
      '  detect-multiplier 4',
      ' !',
      '!',
      '',
    ].join('\n');
    this.bfdd = this.frr.start('bfdd', config, 'frr-bfdd', ['--bfdctl', join(this.frr.dir, 'bfdd.sock')]);
    await this.bfdd.waitForLog(/session-new/, 10_000);
  }

  peer(): FrrPeer | undefined {
    return (JSON.parse(this.frr.vtysh('bfdd', 'show bfd peers json')) as FrrPeer[])[0];
  }
}

void describe('BFD interop with FRR bfdd', () => {
  void test('Up, negotiated timers both ways, Down on a cut and Up again', async () => {
    await withLab('bfdfrr', async (lab) => {
      const [f, o] = lab.routers(['frr', 'ours'], { ipv4: '10.9.0' }) as [LanMember, LanMember];
      const frr = new FrrBfd(lab, f);
      await frr.start('10.9.0.2', '10.9.0.1');
      // Ours: 50 ms both ways, multiplier 3; FRR: 100 ms, multiplier 4.
      const ours = startDaemon(
        lab,
        'ours',
        o.ns,
        'ours',
        globalDefs('ours') +
          bfdInstance('to_frr', [
            'neighbor_ip 10.9.0.1',
            'source_ip 10.9.0.2',
            'min_rx 50',
            'min_tx 50',
            'multiplier 3',
          ]),
      );
      await waitForBfd(ours, 'to_frr', 'Up', 15_000);
      // Ours sends every max(50, 100) = 100 ms and waits 4 x max(50, 100) = 400 ms.
      await ours.waitForLog(/\(to_frr\) Detection time is 400000 us/, 5000);
      await waitUntil(() => frr.peer()?.status === 'up', 'FRR session up', 5000);
      const p = frr.peer()!;
      // FRR sees our announced values and runs at max(100, 50) = 100 ms.
      assert.equal(p['remote-receive-interval'], 50);
      assert.equal(p['remote-transmit-interval'], 50);
      assert.equal(p['remote-detect-multiplier'], 3);
      assert.equal(p['transmit-interval'], 100);

      // Cut in FRR's namespace: both sides notice by expiry.
      let since = ours.mark();
      let cutAt = Date.now();
      cutBfd(f.ns);
      const down = await waitForBfd(ours, 'to_frr', 'Down', 5000, since);
      console.log(`BFD detection against FRR: ours ${down.at - cutAt} ms (expected 300-400)`);
      assert.match(down.line, /Control Detection Time Expired/);
      assert.ok(down.at - cutAt >= 280 && down.at - cutAt < 2000, `after ${down.at - cutAt} ms`);
      await waitUntil(() => frr.peer()?.status === 'down', 'FRR session down', 5000);

      since = ours.mark();
      restoreBfd(f.ns);
      await waitForBfd(ours, 'to_frr', 'Up', 10_000, since);
      await waitUntil(() => frr.peer()?.status === 'up', 'FRR session up again', 10_000);

      // Cut in our namespace: FRR expires its side (3 x 100 ms).
      const sinceFrr = frr.bfdd!.mark();
      cutAt = Date.now();
      cutBfd(o.ns);
      const frrDown = await frr.bfdd!.waitForLog(/state-change: .* up -> down/, 5000, sinceFrr);
      console.log(`FRR bfdd detection after a cut on our side: ${frrDown.at - cutAt} ms (expected 200-300)`);
      assert.match(frrDown.line, /control-expired|detect/i);
      restoreBfd(o.ns);
      await waitUntil(() => frr.peer()?.status === 'up', 'FRR session up at the end', 10_000);
    });
  });
});
