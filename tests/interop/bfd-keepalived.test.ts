// Our BFD against keepalived 2.2.7's (Debian, built with BFD) in two namespaces: the session comes Up
// both ways, the timers each side negotiates follow RFC 5880 (tx = max(own min_tx, peer's min_rx),
// detection = peer's multiplier x max(own min_rx, peer's min_tx)), and cutting the path takes both
// sides Down in about their detection times, and back Up when repaired.
import assert from 'node:assert/strict';
import { type LanMember } from '../helpers/netns.js';
import { tsharkRecords } from '../helpers/tshark.js';
import { globalDefs, keepalivedSkipReason, sleep, withLab } from '../helpers/vrrp-lab.js';
import { bfdInstance, cutBfd, restoreBfd, startDaemon, waitForBfd } from '../netns/bfd-lab.js';
import { gated } from '../helpers/requirements.js';

const skipReason = keepalivedSkipReason();
const { describe, test } = gated(skipReason);

interface WireBfd {
  time: number;
  src: string;
  ttl: number;
  srcPort: number;
  dstPort: number;
  state: number;
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  mult: number;
}

/** The BFD control packets of a capture, decoded by tshark. */
function decodeBfd(file: string): WireBfd[] {
  const fields = [
    'frame.time_relative',
    'ip.src',
    'ip.ttl',
    'udp.srcport',
    'udp.dstport',
    'bfd.sta',
    'bfd.desired_min_tx_interval',
    'bfd.required_min_rx_interval',
    'bfd.detect_time_multiplier',
  ];
  return tsharkRecords(file, 'bfd', fields).map((r) => ({
    time: Number(r['frame.time_relative']),
    src: r['ip.src'] ?? '',
    ttl: Number(r['ip.ttl']),
    srcPort: Number(r['udp.srcport']),
    dstPort: Number(r['udp.dstport']),
    state: Number(r['bfd.sta']),
    desiredMinTxUs: Number(r['bfd.desired_min_tx_interval']),
    requiredMinRxUs: Number(r['bfd.required_min_rx_interval']),
    mult: Number(r['bfd.detect_time_multiplier']),
  }));
}

function medianGapMs(packets: WireBfd[]): number {
  const gaps = packets.slice(1).map((p, i) => (p.time - packets[i]!.time) * 1000);
  gaps.sort((x, y) => x - y);
  return Math.round(gaps[Math.floor(gaps.length / 2)] ?? 0);
}

void describe('BFD interop with keepalived 2.2.7', () => {
  void test('Up both ways, negotiated timers, Down on a cut in about the detection time', async () => {
    await withLab('bfdka', async (lab) => {
      const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.8.0' }) as [LanMember, LanMember];
      // Ours: 50/50 ms x3; keepalived: rx 100, tx 80 ms x4.
      const ours = startDaemon(
        lab,
        'ours',
        a.ns,
        'ours',
        globalDefs('a') +
          bfdInstance('to_ka', [
            'neighbor_ip 10.8.0.2',
            'source_ip 10.8.0.1',
            'min_rx 50',
            'min_tx 50',
            'multiplier 3',
          ]),
      );
      const ka = startDaemon(
        lab,
        'keepalived',
        b.ns,
        'ka',
        globalDefs('b') +
          bfdInstance('to_ours', [
            'neighbor_ip 10.8.0.1',
            'source_ip 10.8.0.2',
            'min_rx 100',
            'min_tx 80',
            'multiplier 4',
          ]),
      );
      await waitForBfd(ours, 'to_ka', 'Up', 15_000);
      await waitForBfd(ka, 'to_ours', 'Up', 15_000);
      // Ours sends every max(50, 100) = 100 ms and waits 4 x max(50, 80) = 320 ms.
      await ours.waitForLog(/\(to_ka\) Detection time is 320000 us/, 5000);
      // keepalived waits 3 x max(100, 50) = 300 ms.
      await ka.waitForLog(/Detection time is 300000 us/, 5000);

      // On the wire (tshark's bfd dissector): TTL 255, a source port from 49152-65535, the announced
      // Up-state timers of each side, and the rate each side actually sends at.
      const capture = await lab.capture(a.ns, 'eth0', 'udp port 3784');
      await sleep(1500);
      await capture.stop();
      const packets = decodeBfd(capture.file).filter((p) => p.state === 3);
      const mine = packets.filter((p) => p.src === '10.8.0.1');
      const theirs = packets.filter((p) => p.src === '10.8.0.2');
      assert.ok(mine.length > 5 && theirs.length > 5, `captured ${mine.length}/${theirs.length}`);
      for (const p of mine) {
        assert.deepEqual(
          [p.ttl, p.dstPort, p.desiredMinTxUs, p.requiredMinRxUs, p.mult],
          [255, 3784, 50_000, 50_000, 3],
        );
        assert.ok(p.srcPort >= 49152 && p.srcPort <= 65535);
      }
      for (const p of theirs)
        assert.deepEqual([p.ttl, p.desiredMinTxUs, p.requiredMinRxUs, p.mult], [255, 80_000, 100_000, 4]);
      console.log(
        `on the wire: ours every ${medianGapMs(mine)} ms (negotiated 100, jitter -0..25%), keepalived every ${medianGapMs(theirs)} ms (negotiated 80)`,
      );

      // Cut in keepalived's namespace: ours must notice by expiry.
      let since = ours.mark();
      let sinceKa = ka.mark();
      let cutAt = Date.now();
      cutBfd(b.ns);
      const oursDown = await waitForBfd(ours, 'to_ka', 'Down', 5000, since);
      const kaDown = await waitForBfd(ka, 'to_ours', 'Down', 5000, sinceKa);
      console.log(
        `BFD detection after cut: ours ${oursDown.at - cutAt} ms (expected 220-320), keepalived ${kaDown.at - cutAt} ms (expected 250-300)`,
      );
      assert.match(oursDown.line, /Control Detection Time Expired/);
      assert.ok(
        oursDown.at - cutAt >= 200 && oursDown.at - cutAt < 1500,
        `ours after ${oursDown.at - cutAt} ms`,
      );

      since = ours.mark();
      sinceKa = ka.mark();
      restoreBfd(b.ns);
      await waitForBfd(ours, 'to_ka', 'Up', 10_000, since);
      await waitForBfd(ka, 'to_ours', 'Up', 10_000, sinceKa);

      // Cut in our namespace this time: keepalived notices by expiry too.
      since = ours.mark();
      sinceKa = ka.mark();
      cutAt = Date.now();
      cutBfd(a.ns);
      const kaDown2 = await waitForBfd(ka, 'to_ours', 'Down', 5000, sinceKa);
      await waitForBfd(ours, 'to_ka', 'Down', 5000, since);
      assert.match(kaDown2.line, /Control Detection Time Expired/);
      console.log(
        `keepalived detection after a cut on our side: ${kaDown2.at - cutAt} ms (expected 250-300)`,
      );
      restoreBfd(a.ns);
      await waitForBfd(ours, 'to_ka', 'Up', 10_000, since);
      assert.ok(ours.running && ka.running);
    });
  });
});
