// Differential tests against Debian's keepalived 2.2.7 (tests/helpers/differential.ts): each case runs the
// same steps with keepalived on node a and with ours on node a, side by side (node b is keepalived in
// both), and everything a user of node a can observe must match: state transitions, notify calls, kernel
// addresses/routes/rules, the adverts / gratuitous ARPs / NAs a sent, pid files, exit code. Timing is only
// reported (two live runs on a shared machine), as is the start-up latency of Node (ours enters BACKUP
// 0.5-3 s after launch, keepalived within 0.2 s).
//
// The cases are the ones where a difference was found and fixed; the whole sweep over every case of
// tests/helpers/differential-cases.ts is `node dist/bench/differential-sweep.js`.
import assert from 'node:assert/strict';
import { differential, formatDiscrepancies, type DiffCase } from '../helpers/differential.js';
import { globals, instance } from '../helpers/differential-cases.js';
import { keepalivedSkipReason, oursMissingReason } from '../helpers/vrrp-lab.js';
import { gated } from '../helpers/requirements.js';

const skipReason = keepalivedSkipReason();
const { describe, test } = gated(skipReason);

const CASES: DiffCase[] = [
  {
    // virtual_rules carry protocol keepalived; a blackhole route is added without a device; an excluded
    // address on another interface is announced from that interface
    name: 'excluded addresses, routes and rules',
    instances: ['VI_1'],
    steps: ['start', 'kill-peer', 'term'],
    stepMs: { start: 4000, 'kill-peer': 6000, term: 2500 },
    config: (ctx) =>
      globals(ctx) +
      instance(ctx, {
        lines: [
          'virtual_ipaddress_excluded {',
          '  10.9.1.200/24 dev eth1',
          '}',
          'virtual_routes {',
          '  10.22.0.0/24 via 10.9.0.254 table 100 metric 7',
          '  blackhole 10.23.0.0/24',
          '}',
          'virtual_rules {',
          '  from 10.9.0.100/32 table 100 priority 1000',
          '}',
        ],
      }),
  },
  {
    // dont_track_primary reached the engine at all: a MASTER stays MASTER through a link down/up
    name: 'dont_track_primary',
    instances: ['VI_1'],
    steps: ['start', 'kill-peer', 'link-down', 'link-up', 'term'],
    // kill-peer lasts past the delayed GARP burst (garp_master_delay 5 s), which must not meet the link down
    stepMs: { start: 4000, 'kill-peer': 12_000, 'link-down': 2000, 'link-up': 4000, term: 2500 },
    config: (ctx) => globals(ctx) + instance(ctx, { lines: ['dont_track_primary'] }),
  },
  {
    // a reload of a config with an error keepalived ignores too (a VIP of the other family) is applied,
    // and the reloaded BACKUP waits a whole new master-down interval
    name: 'reload with an ignored line',
    instances: ['VI_1'],
    steps: ['start', 'hup', 'term'],
    stepMs: { start: 6000, hup: 5000, term: 2500 },
    config: (ctx) => globals(ctx) + instance(ctx, { vips: ['10.9.0.100/24', '2001:db8:9::100/64'] }),
  },
  {
    // unicast: back from FAULT, one gratuitous ARP for our own source address
    name: 'unicast link down and up',
    instances: ['VI_1'],
    steps: ['start', 'link-down', 'link-up', 'term'],
    stepMs: { start: 6000, 'link-down': 2000, 'link-up': 2000, term: 2500 },
    config: (ctx) =>
      globals(ctx) +
      instance(ctx, {
        lines: [`unicast_src_ip 10.9.0.${ctx.self}`, 'unicast_peer {', `  10.9.0.${ctx.peer}`, '}'],
      }),
  },
];

describe('differential: keepalived 2.2.7 and ours on the same node, same steps', () => {
  for (const c of CASES)
    test(c.name, async (t) => {
      const missing = oursMissingReason();
      if (missing) throw new Error(missing);
      const { discrepancies } = await differential(c);
      const timing = discrepancies.filter((d) => d.what.startsWith('timing'));
      const behaviour = discrepancies.filter((d) => !d.what.startsWith('timing'));
      if (timing.length)
        for (const line of formatDiscrepancies(`${c.name} (timing, not asserted)`, timing).split('\n'))
          t.diagnostic(line);
      assert.deepEqual(behaviour, [], formatDiscrepancies(c.name, behaviour));
    });
});
