// Our BFD against itself on the real kernel: two namespaces on a LAN bring a session Up, a cut path
// (nftables dropping UDP 3784 in the peer's namespace) takes it Down within the detection time, and a
// vrrp_instance that tracks it goes FAULT and gives mastership away, then takes it back on repair.
import assert from 'node:assert/strict';
import { netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { globalDefs, instanceConfig, waitUntil, withLab } from '../helpers/vrrp-lab.js';
import { bfdInstance, cutBfd, restoreBfd, startDaemon, waitForBfd } from './bfd-lab.js';
import { gated } from '../helpers/requirements.js';

const skipReason = netnsSkipReason();
const { describe, test } = gated(skipReason);
const TX_MS = 50;
const MULT = 3;

void describe('BFD, ours against ours', () => {
  void test('Up, Down within the detection time on a cut, track_bfd faults the instance', async () => {
    await withLab('bfd', async (lab) => {
      const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.7.0' }) as [LanMember, LanMember];
      const timers = [`min_rx ${TX_MS}`, `min_tx ${TX_MS}`, `multiplier ${MULT}`];
      const vrrp = (priority: number, track: boolean) =>
        instanceConfig({
          name: 'VI_1',
          vrid: 71,
          priority,
          version: 3,
          advertInt: 0.3,
          vips: ['10.7.0.100/24'],
          extra: track ? ['track_bfd {', '  to_b', '}'] : [],
        });
      const da = startDaemon(
        lab,
        'ours',
        a.ns,
        'a',
        globalDefs('a') +
          bfdInstance('to_b', ['neighbor_ip 10.7.0.2', 'source_ip 10.7.0.1', ...timers]) +
          vrrp(200, true),
      );
      const db = startDaemon(
        lab,
        'ours',
        b.ns,
        'b',
        globalDefs('b') +
          bfdInstance('to_a', ['neighbor_ip 10.7.0.1', 'source_ip 10.7.0.2', ...timers]) +
          vrrp(100, false),
      );
      // Down at start: the tracking instance is FAULT until the session is Up.
      await da.waitForState('VI_1', 'FAULT', 10_000);
      const upA = await waitForBfd(da, 'to_b', 'Up', 10_000);
      await waitForBfd(db, 'to_a', 'Up', 10_000);
      // Slow start: Down -> Init -> Up takes at most two idle intervals (1 s) after both listen.
      assert.ok(upA.at - da.startedAt < 10_000);
      await da.waitForState('VI_1', 'MASTER', 10_000);
      // b may have been MASTER while a waited for its session: it yields to the higher priority.
      await waitUntil(() => db.state('VI_1') === 'BACKUP', 'b BACKUP', 10_000);
      const timersLine = await da.waitForLog(/\(to_b\) Detection time is 150000 us/, 5000);
      assert.ok(timersLine);

      const since = da.mark();
      const sinceB = db.mark();
      const cutAt = Date.now();
      cutBfd(b.ns);
      const down = await waitForBfd(da, 'to_b', 'Down', 5000, since);
      await waitForBfd(db, 'to_a', 'Down', 5000, sinceB);
      const detectedMs = down.at - cutAt;
      // Expected: the detection time (3 x 50 ms) after the last packet, which came at most 50 ms before
      // the cut; plus scheduling and log pipe latency on a busy machine.
      console.log(
        `BFD detection after cut: ${detectedMs} ms (expected ${MULT * TX_MS - TX_MS}-${MULT * TX_MS} ms)`,
      );
      assert.ok(detectedMs >= MULT * TX_MS - TX_MS - 20, `detected after ${detectedMs} ms`);
      assert.ok(detectedMs < 1000, `detected after ${detectedMs} ms`);
      assert.match(down.line, /Local diagnostic - Control Detection Time Expired/);
      await da.waitForState('VI_1', 'FAULT', 5000, since);
      await db.waitForState('VI_1', 'MASTER', 5000, sinceB);

      const sinceUp = da.mark();
      restoreBfd(b.ns);
      await waitForBfd(da, 'to_b', 'Up', 10_000, sinceUp);
      await da.waitForState('VI_1', 'MASTER', 10_000, sinceUp);
      assert.equal(db.running && da.running, true);
    });
  });

  void test('BFD_CHECK mirrors the session: the real server leaves on a cut and comes back', async () => {
    await withLab('bfdchk', async (lab) => {
      const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.7.1' }) as [LanMember, LanMember];
      const timers = [`min_rx ${TX_MS}`, `min_tx ${TX_MS}`, `multiplier ${MULT}`];
      const vs = [
        'virtual_server 10.7.1.100 80 {',
        '  protocol TCP',
        '  real_server 10.7.1.2 80 {',
        '    BFD_CHECK {',
        '      name to_b',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n');
      const da = startDaemon(
        lab,
        'ours',
        a.ns,
        'a',
        globalDefs('a') + bfdInstance('to_b', ['neighbor_ip 10.7.1.2', 'source_ip 10.7.1.1', ...timers]) + vs,
      );
      startDaemon(
        lab,
        'ours',
        b.ns,
        'b',
        globalDefs('b') + bfdInstance('to_a', ['neighbor_ip 10.7.1.1', 'source_ip 10.7.1.2', ...timers]),
      );
      await waitForBfd(da, 'to_b', 'Up', 10_000);
      // Until the fast timers are agreed the detection time is the slow-start one (3 x 1 s).
      await da.waitForLog(/\(to_b\) Detection time is 150000 us/, 5000);
      const server = /(Adding|Removing) service .*10\.7\.1\.2/;
      const last = (): string | undefined => da.lines.filter((l) => server.test(l)).at(-1);
      await waitUntil(() => last()?.includes('Adding') === true, 'the real server in service', 10_000);
      const since = da.mark();
      const cutAt = Date.now();
      cutBfd(b.ns);
      const removed = await da.waitForLog(/Removing service .*10\.7\.1\.2/, 5000, since);
      console.log(`BFD_CHECK: real server removed ${removed.at - cutAt} ms after the cut`);
      const sinceUp = da.mark();
      restoreBfd(b.ns);
      await da.waitForLog(/Adding service .*10\.7\.1\.2/, 10_000, sinceUp);
    });
  });

  void test('IPv6 (hop limit) and multihop (port 4784, max_hops) sessions come Up side by side', async () => {
    await withLab('bfd6', async (lab) => {
      const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.7.2', ipv6: 'fd00:7:2::' }) as [
        LanMember,
        LanMember,
      ];
      const timers = [`min_rx ${TX_MS}`, `min_tx ${TX_MS}`];
      const sessions = (me: string, peer: string, me6: string, peer6: string) =>
        bfdInstance('v6', [`neighbor_ip ${peer6}`, `source_ip ${me6}`, ...timers]) +
        bfdInstance('mh', [
          `neighbor_ip ${peer}`,
          `source_ip ${me}`,
          'multihop',
          'ttl 64',
          'max_hops 10',
          ...timers,
        ]);
      const da = startDaemon(
        lab,
        'ours',
        a.ns,
        'a',
        globalDefs('a') + sessions('10.7.2.1', '10.7.2.2', 'fd00:7:2::1', 'fd00:7:2::2'),
      );
      const db = startDaemon(
        lab,
        'ours',
        b.ns,
        'b',
        globalDefs('b') + sessions('10.7.2.2', '10.7.2.1', 'fd00:7:2::2', 'fd00:7:2::1'),
      );
      for (const d of [da, db]) {
        await waitForBfd(d, 'v6', 'Up', 10_000);
        await waitForBfd(d, 'mh', 'Up', 10_000);
      }
      // Cutting 4784 and 3784 takes both down.
      const since = da.mark();
      cutBfd(b.ns);
      await waitForBfd(da, 'v6', 'Down', 5000, since);
      await waitForBfd(da, 'mh', 'Down', 5000, since);
    });
  });

  void test('the received TTL is checked: a peer sending TTL 254 is discarded on a single hop', async () => {
    await withLab('bfdttl', async (lab) => {
      const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.7.3' }) as [LanMember, LanMember];
      startDaemon(
        lab,
        'ours',
        a.ns,
        'a',
        globalDefs('a') + bfdInstance('s', ['neighbor_ip 10.7.3.2', 'ttl 254']),
      );
      const db = startDaemon(
        lab,
        'ours',
        b.ns,
        'b',
        globalDefs('b') + bfdInstance('s', ['neighbor_ip 10.7.3.1']),
      );
      await db.waitForLog(/discarding packet from 10\.7\.3\.1 \(ttl\)/, 10_000);
      assert.ok(!db.lines.some((l) => /\(s\) Entering Up state/.test(l)), db.log());
    });
  });
});
