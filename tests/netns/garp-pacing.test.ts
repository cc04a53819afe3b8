// Gratuitous ARP / unsolicited NA pacing and extra interfaces on the wire, ours against Debian's keepalived
// 2.2.7 on the same configuration: vrrp_garp_interval / vrrp_gna_interval pace the instance interface, a
// garp_group gives a second interface spacings of its own (overriding the global ones), and
// vrrp_garp_extra_if all sends one more gratuitous ARP on that second interface every few seconds while
// MASTER. The IPv6 addresses are eVIPs of the IPv4 instance. One router, alone, becomes MASTER; tcpdump on
// both of its interfaces records every gratuitous ARP and NA; the test compares, per interface and
// family, which addresses went out, how many times, and the spacing between consecutive packets.
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
    'vrrp_gna_interval 0.03',
    'vrrp_garp_extra_if all 3',
  ]) +
  [
    'garp_group {',
    '  garp_interval 0.2',
    '  gna_interval 0.15',
    '  interfaces {',
    '    eth1',
    '  }',
    '}',
    '',
  ].join('\n') +
  instanceConfig({
    name: 'VI_1',
    vrid: 71,
    priority: 100,
    advertInt: 2,
    vips: ['10.7.0.100/24', '10.7.0.101/24', '10.8.0.100/24 dev eth1', '10.8.0.101/24 dev eth1'],
    extra: [
      'virtual_ipaddress_excluded {',
      '  2001:db8:7::100/64',
      '  2001:db8:7::101/64',
      '  2001:db8:8::100/64 dev eth1',
      '  2001:db8:8::101/64 dev eth1',
      '}',
    ],
  });

const FILTER = 'arp or icmp6';

/** How long after the first gratuitous ARP the capture goes on: both bursts and two extra-if sends. */
const WATCH_MS = 9500;

interface Garp {
  /** Seconds since the first gratuitous ARP of the run (any interface). */
  at: number;
  ifname: string;
  address: string;
}

/** Gratuitous ARPs (sender address = target address) and unsolicited NAs in a capture. */
function garps(file: string, ifname: string): { time: number; ifname: string; address: string }[] {
  const fields = [
    'frame.time_epoch',
    'arp.src.proto_ipv4',
    'arp.dst.proto_ipv4',
    'icmpv6.nd.na.target_address',
  ];
  return tsharkRecords(file, 'arp or icmpv6.type == 136', fields).flatMap((r) => {
    const time = Number(r['frame.time_epoch']);
    const na = r['icmpv6.nd.na.target_address'];
    if (na) return [{ time, ifname, address: na }];
    const sender = r['arp.src.proto_ipv4'];
    return sender && sender === r['arp.dst.proto_ipv4'] ? [{ time, ifname, address: sender }] : [];
  });
}

async function run(lab: VrrpLab, impl: Implementation, r: LanMember): Promise<Garp[]> {
  const caps = [await lab.capture(r.ns, 'eth0', FILTER), await lab.capture(r.ns, 'eth1', FILTER)];
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

type Family = 4 | 6;
const on = (list: Garp[], ifname: string, family: Family): Garp[] =>
  list.filter((g) => g.ifname === ifname && g.address.includes(':') === (family === 6));

/** `address xN` per interface and family, in first-sent order. */
function counts(list: Garp[], ifname: string, family: Family): string[] {
  const n = new Map<string, number>();
  for (const g of on(list, ifname, family)) n.set(g.address, (n.get(g.address) ?? 0) + 1);
  return [...n].map(([a, c]) => `${a} x${c}`);
}

/** The gaps (ms) between consecutive gratuitous ARPs (or NAs) on an interface. */
function gaps(list: Garp[], ifname: string, family: Family): number[] {
  const times = on(list, ifname, family).map((g) => g.at);
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
      for (const ifname of ['eth0', 'eth1'])
        for (const family of [4, 6] as const) {
          const what = `${ifname} IPv${family}`;
          assert.deepEqual(counts(ours, ifname, family), counts(theirs, ifname, family), `${what}\n${why}`);
          const [o, t] = [gaps(ours, ifname, family), gaps(theirs, ifname, family)];
          assert.ok(sameSpacing(o, t, 40), `${what} spacing ${o.join(',')} vs ${t.join(',')}\n${why}`);
        }
      // What keepalived does, so that a change of its behaviour (or of this lab) shows: per burst of 3
      // rounds, each address goes once more after the first; the garp_group spaces eth1 by 200 ms.
      const paced = (ifname: string, family: Family, ms: number): boolean =>
        gaps(theirs, ifname, family).some((g) => g >= ms - 10 && g <= ms + 60);
      assert.ok(paced('eth1', 4, 200) && paced('eth1', 6, 150), `eth1 paced by the group\n${why}`);
      assert.ok(paced('eth0', 4, 50) && paced('eth0', 6, 30), `eth0 paced globally\n${why}`);
    }));
});
