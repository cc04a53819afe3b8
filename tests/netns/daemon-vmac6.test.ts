// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// use_vmac with an IPv6 instance, our daemon against itself on the real kernel: the macvlan vrrp.VRID with
// MAC 00-00-5e-00-02-VRID, no kernel-generated link-local on it (every router would derive the same one),
// the base interface's link-local copied to it as keepalived does; adverts leave the VMAC from that
// link-local with the virtual MAC (from the base interface with vmac_xmit_base), and the observer learns
// the VIP at the virtual MAC from the master's unsolicited NA alone, before and after a failover.
// KTS_DAEMON_IMPL=keepalived runs the same tests with Debian's keepalived on both sides.
import assert from 'node:assert/strict';
import {
  addresses,
  daemonUnderTest,
  globalDefs,
  hasAddress,
  instanceConfig,
  keepalivedSkipReason,
  macOf,
  makeObserver,
  neighbourMac,
  sleep,
  waitUntil,
  withLab,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import {
  exec,
  linkLocalAddress,
  netnsSkipReason,
  waitForLinkLocal,
  type LanMember,
} from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const skipReason = impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason();
const { describe, test } = gated(skipReason);
const VIP = '2001:db8:6::100';

function trio(lab: VrrpLab): LanMember[] {
  const members = lab.lan(['a', 'b', 'obs']);
  members.forEach((m, i) => lab.addAddress(m, `2001:db8:6::${i + 1}/64`));
  for (const m of members) waitForLinkLocal(m);
  makeObserver(members[2] as LanMember);
  return members;
}

function config(node: string, vrid: number, priority: number, extra: string[]): string {
  return (
    globalDefs(node) +
    instanceConfig({
      name: 'VI_1',
      vrid,
      version: 3,
      priority,
      advertInt: 0.3,
      vips: [`${VIP}/64`],
      useVmac: true,
      extra,
    })
  );
}

/** The VMAC's IPv6 addresses, without prefix lengths. */
function v6On(ns: string, ifname: string): string[] {
  return addresses(ns, ifname)
    .map((a) => a.split('/')[0] as string)
    .filter((a) => a.includes(':'));
}

for (const xmitBase of [false, true]) {
  describe(`use_vmac over IPv6${xmitBase ? ' with vmac_xmit_base' : ''} (${impl} vs ${impl})`, () => {
    test('the VIP lives on vrrp.VRID at 00:00:5e:00:02:VRID; adverts and NA name the right MACs', () =>
      withLab(xmitBase ? 'vm6x' : 'vm6', async (lab) => {
        const [a, b, obs] = trio(lab) as [LanMember, LanMember, LanMember];
        const vrid = xmitBase ? 0x53 : 0x52;
        const vmacIf = `vrrp.${vrid}`;
        const vmac = `00:00:5e:00:02:${vrid.toString(16)}`;
        const extra = xmitBase ? ['vmac_xmit_base'] : [];
        const da = lab.start(impl, a, 'a', config('a', vrid, 200, extra));
        await da.waitForState('VI_1', 'MASTER', 12_000);
        const db = lab.start(impl, b, 'b', config('b', vrid, 100, extra));
        await db.waitForState('VI_1', 'BACKUP', 12_000);
        await waitUntil(
          () => hasAddress(a.ns, VIP, vmacIf),
          () => `VIP on a's ${vmacIf} (${addresses(a.ns, vmacIf)})\n${da.log(30)}`,
          3000,
        );
        assert.equal(macOf(a.ns, vmacIf), vmac);
        assert.ok(!hasAddress(a.ns, VIP), 'the VIP is not on eth0');
        for (const [m, d] of [
          [a, da],
          [b, db],
        ] as const) {
          // the base link-local (none with vmac_xmit_base: adverts leave eth0), and never the
          // fe80::200:5eff:fe00:2xx the kernel would derive from the shared MAC
          const ll = v6On(m.ns, vmacIf).filter((x) => x.startsWith('fe80:'));
          assert.deepEqual(
            ll,
            xmitBase ? [] : [linkLocalAddress(m)],
            `${m.ns}'s ${vmacIf}: ${addresses(m.ns, vmacIf)}\n${d.log(20)}`,
          );
        }
        const capture = await lab.capture(obs.ns);
        await sleep(1200);
        const adverts = (await capture.stop()).filter((x) => x.vrid === vrid);
        assert.ok(adverts.length >= 2, `adverts of the master captured: ${JSON.stringify(adverts)}`);
        for (const x of adverts) {
          assert.equal(x.src, linkLocalAddress(a), JSON.stringify(x));
          assert.equal(x.srcMac, xmitBase ? a.mac : vmac, JSON.stringify(x));
          assert.equal(x.dst, 'ff02::12', JSON.stringify(x));
        }
        // the backup hears the master although its adverts may come from the MAC of its own vrrp.VRID
        assert.deepEqual(db.states('VI_1'), ['BACKUP'], `the VMAC backup left BACKUP\n${db.log(30)}`);
        assert.ok(!hasAddress(b.ns, VIP, vmacIf), `no VIP on the backup (${addresses(b.ns, vmacIf)})`);
        await waitUntil(
          () => neighbourMac(obs.ns, VIP) === vmac,
          () =>
            `the observer learns ${VIP} at the virtual MAC from the NA (has ${neighbourMac(obs.ns, VIP)})`,
          4000,
        );

        exec(['ip', '-n', obs.ns, 'neigh', 'flush', 'dev', 'eth0']);
        const since = db.mark();
        await da.stop('SIGTERM');
        await db.waitForState('VI_1', 'MASTER', 5000, since);
        await waitUntil(
          () => hasAddress(b.ns, VIP, vmacIf),
          () => `VIP on b's ${vmacIf}`,
          3000,
        );
        assert.ok(
          !exec(['ip', '-n', a.ns, 'link', 'show', vmacIf]).stdout.includes(vmacIf),
          'a removed its VMAC',
        );
        await waitUntil(
          () => neighbourMac(obs.ns, VIP) === vmac,
          () =>
            `the observer learns ${VIP} at the virtual MAC from b's NA (has ${neighbourMac(obs.ns, VIP)})`,
          4000,
        );
      }));
  });
}
