// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// vrrp_strict's firewall against Debian's keepalived 2.2.7 on the same node: the same configuration run by
// keepalived and by ours in turn, and in each state (BACKUP at start, MASTER, BACKUP again after a
// higher-priority router took over, after SIGTERM) `nft list ruleset` in the node's namespace must be the
// same (counters normalised), and the same TCP connections to the VIPs from another namespace must be
// dropped or answered. Five configurations: vrrp_strict's defaults (no accept mode: drop), vrrp_strict
// with `accept` (no rules), `no_accept` without strict mode with every nftables keyword set, and use_vmac
// with and without strict mode (the VMACs' multicast report rules, from the start).
import assert from 'node:assert/strict';
import {
  globalDefs,
  instanceConfig,
  keepalivedSkipReason,
  withLab,
  type Implementation,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import { exec, run, type LanMember } from '../helpers/netns.js';
import { gated, missingTools } from '../helpers/requirements.js';

const { describe, test } = gated(keepalivedSkipReason() ?? missingTools('nft'));

const VIP4 = '10.9.0.100';
const VIP6 = 'fd00:9::100';

interface Variant {
  name: string;
  global: string[];
  instance: string[];
  /** Extra lines of the IPv6 instance only. */
  instance6?: string[];
  /** Whether a MASTER drops traffic to its VIPs. */
  drops: boolean;
  /** What keepalived's MASTER ruleset must contain (so that the comparison has something to compare). */
  masterHas?: RegExp[];
  /** What keepalived builds before the first MASTER (use_vmac: the VMAC objects); nothing otherwise. */
  backupHas?: RegExp[];
}

// use_vmac: the VMACs' map and multicast report rules exist from the start, whatever the state.
const VMAC_OBJECTS = [
  /map vmac_map \{\s*type iface_index : iface_index\s*elements = \{ "vrrp\.41" : "eth0" \}/,
  /ip protocol igmp meta oifkind "macvlan" dup to ip daddr device oif map @vmac_map drop/,
  /icmpv6 type nd-router-solicit meta oifkind "macvlan" oif @vmac_set drop/,
];

const VARIANTS: Variant[] = [
  {
    name: 'vrrp_strict (accept mode off by default)',
    global: ['vrrp_strict'],
    instance: [],
    drops: true,
    masterHas: [/table ip keepalived/, /priority filter - 1;/, /ip6 daddr \. iif @vips_link_local drop/],
  },
  { name: 'vrrp_strict with accept', global: ['vrrp_strict'], instance: ['accept'], drops: false },
  {
    name: 'no_accept with nftables NAME, nftables_priority, nftables_counters, dont_track_primary',
    global: ['nftables kts_fw', 'nftables_priority -5', 'nftables_counters'],
    instance: ['no_accept'],
    instance6: ['dont_track_primary'],
    drops: true,
    masterHas: [
      /table ip6 kts_fw/,
      /priority filter - 5;/,
      /ip daddr @vips counter packets 0 bytes 0 drop/,
      /ip6 daddr \. iifname @vips_link_local_name counter packets 0 bytes 0 drop/,
    ],
  },
  {
    name: 'use_vmac without strict mode (the firewall is implied, nothing dropped)',
    global: [],
    instance: ['use_vmac'],
    drops: false,
    backupHas: VMAC_OBJECTS,
  },
  {
    name: 'vrrp_strict with use_vmac and disable_local_igmp (no IPv4 VMAC objects)',
    global: ['vrrp_strict', 'disable_local_igmp'],
    instance: ['use_vmac'],
    drops: true,
    backupHas: [VMAC_OBJECTS[2]!, /^(?![\s\S]*ip protocol igmp)/],
    masterHas: [/set vips \{\s*type ipv4_addr\s*elements = \{ 10\.9\.0\.100, 10\.9\.0\.101 \}/],
  },
];

function config(node: string, priority: number, v: Variant): string {
  return (
    globalDefs(node, v.global) +
    instanceConfig({
      name: 'VI_4',
      vrid: 41,
      version: 3,
      priority,
      vips: [`${VIP4}/24`, '10.9.0.101/24'],
      extra: v.instance,
    }) +
    instanceConfig({
      name: 'VI_6',
      vrid: 61,
      version: 3,
      priority,
      vips: ['fe80::100/64', `${VIP6}/64`],
      extra: [...v.instance, ...(v.instance6 ?? [])],
    })
  );
}

/** `nft list ruleset` in `ns`, counters zeroed. */
function ruleset(ns: string): string {
  return run(['ip', 'netns', 'exec', ns, 'nft', 'list', 'ruleset']).replace(
    /counter packets \d+ bytes \d+/g,
    'counter packets 0 bytes 0',
  );
}

/** A TCP connection to a port nobody listens on: 'answered' (refused) or 'dropped' (no answer in 2 s). */
function probe(from: string, address: string): 'answered' | 'dropped' | string {
  const r = exec(
    ['ip', 'netns', 'exec', from, 'timeout', '2', 'bash', '-c', `echo > /dev/tcp/${address}/9`],
    { timeoutMs: 5000 },
  );
  if (r.status === 124) return 'dropped';
  if (r.status === 1 && /refused/i.test(r.stderr)) return 'answered';
  return `unexpected (${r.status}): ${r.stderr.trim()}`;
}

interface Observed {
  backupAtStart: string;
  master: string;
  traffic: { ipv4: string; ipv6: string };
  backupAgain: string;
  stopped: string;
}

async function observe(lab: VrrpLab, impl: Implementation, v: Variant): Promise<Observed> {
  const [a, b, o] = lab.routers(['a', 'b', 'o'], { ipv4: '10.9.0', ipv6: 'fd00:9::' }) as [
    LanMember,
    LanMember,
    LanMember,
  ];
  const da = lab.start(impl, a, 'a', config('a', 100, v));
  await Promise.all(['VI_4', 'VI_6'].map((i) => da.waitForState(i, 'BACKUP', 15_000)));
  const backupAtStart = ruleset(a.ns);
  await Promise.all(['VI_4', 'VI_6'].map((i) => da.waitForState(i, 'MASTER', 15_000)));
  await new Promise((r) => setTimeout(r, 500)); // the VIPs and rules are in place right after the log line
  const master = ruleset(a.ns);
  const traffic = { ipv4: probe(o.ns, VIP4), ipv6: probe(o.ns, VIP6) };
  const since = da.mark();
  const db = lab.start(impl, b, 'b', config('b', 200, v));
  await Promise.all(['VI_4', 'VI_6'].map((i) => da.waitForState(i, 'BACKUP', 15_000, since)));
  await new Promise((r) => setTimeout(r, 500));
  const backupAgain = ruleset(a.ns);
  await da.stop('SIGTERM');
  const stopped = ruleset(a.ns);
  await db.stop('SIGTERM');
  return { backupAtStart, master, traffic, backupAgain, stopped };
}

for (const v of VARIANTS) {
  describe(`vrrp firewall: ${v.name}`, () => {
    test('keepalived 2.2.7 and ours leave the same nft ruleset in each state and drop the same traffic', async () => {
      const theirs = await withLab('sfwk', (lab) => observe(lab, 'keepalived', v));
      const ours = await withLab('sfwo', (lab) => observe(lab, 'ours', v));
      // What keepalived does, so that the comparison cannot pass on two empty observations.
      if (v.backupHas === undefined)
        assert.equal(theirs.backupAtStart, '', 'keepalived builds nothing before the first MASTER');
      else for (const re of v.backupHas) assert.match(theirs.backupAtStart, re);
      assert.equal(theirs.stopped, '', 'keepalived removes its tables when it stops');
      const expected = v.drops ? 'dropped' : 'answered';
      assert.deepEqual(theirs.traffic, { ipv4: expected, ipv6: expected });
      if (v.drops) {
        assert.match(theirs.master, /ip daddr @vips .*drop/);
        for (const re of v.masterHas ?? []) assert.match(theirs.master, re);
        // back in BACKUP the tables stay, their VIP sets empty
        assert.match(theirs.backupAgain, /set vips \{\s*type ipv4_addr\s*\}/);
      } else if (v.backupHas === undefined) {
        assert.equal(theirs.master, '');
        assert.equal(theirs.backupAgain, '');
      } else assert.doesNotMatch(theirs.master, /set vips/);
      // Ours, state by state.
      assert.equal(ours.backupAtStart, theirs.backupAtStart, 'BACKUP at start');
      assert.equal(ours.master, theirs.master, 'MASTER');
      assert.deepEqual(ours.traffic, theirs.traffic, 'traffic to the VIPs of a MASTER');
      assert.equal(ours.backupAgain, theirs.backupAgain, 'BACKUP after a higher priority took over');
      assert.equal(ours.stopped, theirs.stopped, 'after SIGTERM');
    });
  });
}
