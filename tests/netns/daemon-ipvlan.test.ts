// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// use_ipvlan on the real kernel. An IPv4 instance without the ipvlan's address is a configuration error
// (-t exits 5) and stays in FAULT; with one, the instance's interface is an L2 ipvlan named vrrp.VRID that
// holds that address: where this kernel has no ipvlan (this project's CI machine) it cannot be made, the
// log says so and the instance stays in FAULT while another instance on the same interface serves.
// KTS_DAEMON_IMPL=keepalived runs the same tests with Debian's keepalived 2.2.7: the expectations are its.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  daemonUnderTest,
  globalDefs,
  hasAddress,
  instanceConfig,
  KEEPALIVED_BIN,
  keepalivedSkipReason,
  OURS_LAUNCHER,
  sleep,
  withLab,
} from '../helpers/vrrp-lab.js';
import { exec, netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const skipReason = impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason();
const { describe, test } = gated(skipReason);

function config(ipvlan: string): string {
  return (
    globalDefs('a') +
    instanceConfig({
      name: 'VI_IPVL',
      vrid: 51,
      priority: 150,
      advertInt: 1,
      vips: ['10.7.0.100/24'],
      extra: [ipvlan],
    }) +
    instanceConfig({ name: 'VI_PLAIN', vrid: 52, priority: 150, advertInt: 1, vips: ['10.7.0.101/24'] })
  );
}

/** Whether this kernel makes ipvlan links (in a namespace of the lab's). */
function kernelHasIpvlan(ns: string): boolean {
  const made = exec([
    'ip',
    '-n',
    ns,
    'link',
    'add',
    'link',
    'eth0',
    'name',
    'kts-ipvl-probe',
    'type',
    'ipvlan',
  ]);
  if (made.status !== 0) return false;
  exec(['ip', '-n', ns, 'link', 'del', 'kts-ipvl-probe']);
  return true;
}

describe(`use_ipvlan (${impl})`, () => {
  test('an IPv4 ipvlan without its address: -t exits 5, the instance stays in FAULT', () =>
    withLab('ipvl', async (lab) => {
      const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
      lab.addAddress(a, '10.7.0.1/24');
      const text = config('use_ipvlan');
      const path = lab.writeFile('check.conf', text);
      const bin = impl === 'ours' ? [process.execPath, OURS_LAUNCHER] : [KEEPALIVED_BIN];
      const t = spawnSync(bin[0]!, [...bin.slice(1), '-t', '-f', path], { encoding: 'utf8' });
      assert.equal(t.status, 5, `${t.stdout}${t.stderr}`);
      assert.match(`${t.stdout}${t.stderr}`, /IPv4 ipvlan requires a source ip address/);
      const d = lab.start(impl, a, 'noaddr', text);
      await d.waitForLog(/\(VI_IPVL\) IPv4 ipvlan requires a source ip address/, 15_000);
      await d.waitForState('VI_PLAIN', 'MASTER', 15_000);
      await sleep(1500);
      assert.doesNotMatch(d.log(), /\(VI_IPVL\) Entering MASTER STATE/i);
      assert.ok(!hasAddress(a.ns, '10.7.0.100'), 'no VIP of the faulted instance');
      assert.equal(await d.stop(), 0, d.log());
    }));

  test("with its address: an L2 ipvlan holding it, or, where the kernel has none, FAULT and keepalived's line", () =>
    withLab('ipvl', async (lab) => {
      const [a] = lab.lan(['a', 'b']) as [LanMember, LanMember];
      lab.addAddress(a, '10.7.0.1/24');
      const supported = kernelHasIpvlan(a.ns);
      const d = lab.start(impl, a, 'addr', config('use_ipvlan 10.7.0.51/24'));
      await d.waitForState('VI_PLAIN', 'MASTER', 15_000);
      if (supported) {
        await d.waitForState('VI_IPVL', 'MASTER', 15_000);
        const link = exec(['ip', '-n', a.ns, '-d', 'link', 'show', 'vrrp.51']).stdout;
        assert.match(link, /ipvlan\s+mode l2/, link);
        assert.ok(hasAddress(a.ns, '10.7.0.51'), 'the ipvlan address');
        assert.ok(hasAddress(a.ns, '10.7.0.100'), 'the VIP');
      } else {
        await d.waitForLog(/\(VI_IPVL\): Unable to create ipvlan interface vrrp\.51/, 15_000);
        await d.waitForState('VI_IPVL', 'FAULT', 15_000);
        await sleep(1500);
        assert.doesNotMatch(d.log(), /\(VI_IPVL\) Entering MASTER STATE/i);
        assert.ok(!hasAddress(a.ns, '10.7.0.100'), 'no VIP of the faulted instance');
      }
      assert.equal(await d.stop(), 0, d.log());
    }));
});
