// Gratuitous ARP pacing and extra interfaces on the wire, ours against Debian's keepalived 2.2.7 on the same
// configuration: vrrp_garp_interval paces the instance interface, a garp_group gives a second interface a
// spacing of its own (overriding the global one), and vrrp_garp_extra_if all sends one more gratuitous ARP
// on that second interface every few seconds while MASTER. One router, alone, becomes MASTER; tcpdump on
// both of its interfaces records every gratuitous ARP; the test compares, per interface, which addresses
// went out, how many times, and the spacing between consecutive packets.
import assert from 'node:assert/strict';
import {
  globalDefs,
  instanceConfig,
  keepalivedSkipReason,
  sleep,
  withLab,
  type Implementation,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import type { LanMember } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';
import { tsharkRecords } from '../helpers/tshark.js';

const { describe, test } = gated(keepalivedSkipReason() ?? missingTools('tcpdump', 'tshark'));

const CONFIG =
  globalDefs('g', [
    'vrrp_garp_master_repeat 3',
    'vrrp_garp_master_delay 1',
    'vrrp_garp_interval 0.05',
    'vrrp_garp_extra_if all 3',
  ]) +
  ['garp_group {', '  garp_interval 0.2', '  interfaces {', '    eth1', '  }', '}', ''].join('\n') +
  instanceConfig({
    name: 'VI_1',
    vrid: 71,
    priority: 100,
    advertInt: 2,
    vips: ['10.7.0.100/24', '10.7.0.101/24', '10.8.0.100/24 dev eth1', '10.8.0.101/24 dev eth1'],
  });

/** How long after the first gratuitous ARP the capture goes on: both bursts and two extra-if sends. */
const WATCH_MS = 9500;

interface Garp {
  /** Seconds since the first gratuitous ARP of the run (any interface). */
  at: number;
  ifname: string;
  address: string;
}

/** Gratuitous ARPs (sender address = target address) in a capture. */
function garps(file: string, ifname: string): { time: number; ifname: string; address: string }[] {
  return tsharkRecords(file, 'arp', ['frame.time_epoch', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4'])
    .filter((r) => r['arp.src.proto_ipv4'] === r['arp.dst.proto_ipv4'])
    .map((r) => ({ time: Number(r['frame.time_epoch']), ifname, address: r['arp.src.proto_ipv4'] ?? '' }));
}

async function run(lab: VrrpLab, impl: Implementation, r: LanMember): Promise<Garp[]> {
  const caps = [await lab.capture(r.ns, 'eth0', 'arp'), await lab.capture(r.ns, 'eth1', 'arp')];
  const d = lab.start(impl, r, `garp-${impl}`, CONFIG);
  await d.waitForState('VI_1', 'MASTER', 15_000);
  await sleep(WATCH_MS);
  await d.stop();
  await Promise.all(caps.map((c) => c.stop()));
  const seen = [...garps(caps[0]!.file, 'eth0'), ...garps(caps[1]!.file, 'eth1')];
  const start = Math.min(...seen.map((g) => g.time));
  return seen
    .map((g) => ({ at: g.time - start, ifname: g.ifname, address: g.address }))
    .filter((g) => g.at < WATCH_MS / 1000)
    .sort((a, b) => a.at - b.at);
}

/** `address xN` per interface, in first-sent order. */
function counts(list: Garp[], ifname: string): string[] {
  const n = new Map<string, number>();
  for (const g of list.filter((x) => x.ifname === ifname)) n.set(g.address, (n.get(g.address) ?? 0) + 1);
  return [...n].map(([a, c]) => `${a} x${c}`);
}

/** The gaps (ms) between consecutive gratuitous ARPs on an interface. */
function gaps(list: Garp[], ifname: string): number[] {
  const times = list.filter((g) => g.ifname === ifname).map((g) => g.at);
  return times.slice(1).map((t, i) => Math.round((t - (times[i] as number)) * 1000));
}

/** Each gap of ours within `slack` ms of keepalived's. */
function sameSpacing(ours: number[], theirs: number[], slack: number): boolean {
  return ours.length === theirs.length && ours.every((g, i) => Math.abs(g - (theirs[i] as number)) <= slack);
}

describe('gratuitous ARP pacing (garp_group, vrrp_garp_interval, vrrp_garp_extra_if)', () => {
  test('ours sends the same gratuitous ARPs as keepalived 2.2.7: counts, interfaces, spacing', () =>
    withLab('garp', async (lab) => {
      const [r] = lab.lan(['r']) as [LanMember];
      lab.addAddress(r, '10.7.0.1/24');
      const [r1] = lab.joinLan([r], 'eth1') as [LanMember];
      lab.addAddress(r1, '10.8.0.1/24');
      const theirs = await run(lab, 'keepalived', r);
      const ours = await run(lab, 'ours', r);
      const show = (l: Garp[]): string =>
        l.map((g) => `${g.at.toFixed(3)} ${g.ifname} ${g.address}`).join('\n');
      const why = `keepalived:\n${show(theirs)}\nours:\n${show(ours)}`;
      if (process.env.KTS_SHOW) console.log(why);
      for (const ifname of ['eth0', 'eth1']) {
        assert.deepEqual(counts(ours, ifname), counts(theirs, ifname), `${ifname} counts\n${why}`);
        assert.ok(
          sameSpacing(gaps(ours, ifname), gaps(theirs, ifname), 40),
          `${ifname} spacing ${gaps(ours, ifname).join(',')} vs ${gaps(theirs, ifname).join(',')}\n${why}`,
        );
      }
      // What keepalived does, so that a change of its behaviour (or of this lab) shows: per burst of 3
      // rounds, each address goes once more after the first; the garp_group spaces eth1 by 200 ms.
      assert.ok(
        gaps(theirs, 'eth1').some((g) => g >= 180 && g <= 260),
        `eth1 paced by the group\n${why}`,
      );
      assert.ok(
        gaps(theirs, 'eth0').some((g) => g >= 40 && g <= 110),
        `eth0 paced globally\n${why}`,
      );
    }));
});
