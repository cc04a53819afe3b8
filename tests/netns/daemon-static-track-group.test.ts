// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// Static track groups (keepalived 2.4.3 vrrp_static_track.c, also in 2.2.7): `track_group NAME { group {
// VI_1 } }` and `track_group NAME` on a static_ipaddress / static_routes line make the group's instances track
// the static object's interface, unweighted, as they track their own: that interface going down puts them
// in FAULT, coming back up takes them out. An instance outside the group does not notice. When the
// interface comes back, the static route the kernel flushed with it is put back, and a static address
// someone deletes is put back at once.
// KTS_DAEMON_IMPL=keepalived runs the same test against Debian's keepalived 2.2.7.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  addresses,
  daemonUnderTest,
  globalDefs,
  hasAddress,
  keepalivedSkipReason,
  sleep,
  waitUntil,
  withLab,
} from '../helpers/vrrp-lab.js';
import { netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const skipReason = impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason();
const { describe, test } = gated(skipReason);

function routes(ns: string): string {
  return execFileSync('ip', ['-n', ns, 'route', 'show'], { encoding: 'utf8' });
}

function instance(name: string, vrid: number, vip: string): string {
  return [
    `vrrp_instance ${name} {`,
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    '  priority 150',
    '  advert_int 0.3',
    '  version 3',
    '  virtual_ipaddress {',
    `    ${vip}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

const CONFIG = `track_group TG {
  group {
    VI_1
  }
}
static_ipaddress {
  10.89.0.1/24 dev eth1 track_group TG
}
static_routes {
  10.98.0.0/24 via 10.89.0.254 dev eth1 track_group TG
}
${instance('VI_1', 61, '10.2.0.100/24')}${instance('VI_2', 62, '10.2.0.101/24')}`;

describe(`static track_group (${impl})`, () => {
  test("the group's instances fault while a static object's interface is down; its route comes back", () =>
    withLab('stg', async (lab) => {
      const [a] = lab.lan(['a']) as [LanMember];
      lab.addAddress(a, '10.2.0.1/24');
      lab.joinLan([a], 'eth1');
      const d = lab.start(impl, a, 'stg-a', globalDefs('a') + CONFIG);
      await d.waitForState('VI_1', 'MASTER', 10_000);
      await d.waitForState('VI_2', 'MASTER', 10_000);
      await waitUntil(
        () => hasAddress(a.ns, '10.89.0.1', 'eth1') && routes(a.ns).includes('10.98.0.0/24'),
        () => `static address and route (eth1: ${addresses(a.ns, 'eth1')}; ${routes(a.ns)})\n${d.log()}`,
        5000,
      );

      const down = d.mark();
      execFileSync('ip', ['-n', a.ns, 'link', 'set', 'eth1', 'down']);
      await d.waitForState('VI_1', 'FAULT', 5000, down);
      await waitUntil(
        () => !hasAddress(a.ns, '10.2.0.100'),
        () => `VI_1's VIP gone in FAULT (${addresses(a.ns)})`,
        5000,
      );
      // The kernel flushes the routes through a device that goes down.
      await waitUntil(
        () => !routes(a.ns).includes('10.98.0.0/24'),
        () => routes(a.ns),
        5000,
      );
      await sleep(1000);
      assert.equal(d.state('VI_2'), 'MASTER', `VI_2 is not in the group\n${d.log()}`);
      assert.ok(hasAddress(a.ns, '10.2.0.101'), `VI_2 keeps its VIP (${addresses(a.ns)})`);

      const up = d.mark();
      execFileSync('ip', ['-n', a.ns, 'link', 'set', 'eth1', 'up']);
      await d.waitForState('VI_1', 'MASTER', 10_000, up);
      await waitUntil(
        () => routes(a.ns).includes('10.98.0.0/24 via 10.89.0.254'),
        () => `the static route put back: ${routes(a.ns)}\n${d.log()}`,
        5000,
      );
      assert.ok(hasAddress(a.ns, '10.89.0.1', 'eth1'), `static address kept (${addresses(a.ns, 'eth1')})`);

      // Someone deletes the static address: it is put back (keepalived: whatever its track_group).
      execFileSync('ip', ['-n', a.ns, 'addr', 'del', '10.89.0.1/24', 'dev', 'eth1']);
      await waitUntil(
        () => hasAddress(a.ns, '10.89.0.1', 'eth1'),
        () => `static address restored (eth1: ${addresses(a.ns, 'eth1')})\n${d.log()}`,
        5000,
      );
      assert.equal(await d.stop('SIGTERM'), 0, d.log());
      assert.ok(!hasAddress(a.ns, '10.89.0.1', 'eth1'), `static address removed at stop`);
    }));
});
