// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// Our VRRP daemon against itself on the real kernel, on every transport: VRRPv2 and v3, IPv4 and IPv6,
// multicast and unicast, and VMAC interfaces. Adverts are captured with tcpdump and decoded by tshark;
// an observer host checks that gratuitous ARP / unsolicited NA moved the VIP to the new master's MAC.
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
  resolveNeighbour,
  sleep,
  waitUntil,
  withLab,
  type DecodedAdvert,
  type InstanceSpec,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import { exec, linkLocalAddress, netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const skipReason = impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason();
const { describe, test } = gated(skipReason);

interface Trio {
  a: LanMember;
  b: LanMember;
  obs: LanMember;
}

/** a (.1), b (.2) and an observer (.9) on one LAN, IPv4 10.4.0.0/24 and IPv6 2001:db8:4::/64. */
function trio(lab: VrrpLab): Trio {
  const [a, b, obs] = lab.lan(['a', 'b', 'obs']) as [LanMember, LanMember, LanMember];
  for (const [m, host] of [
    [a, 1],
    [b, 2],
    [obs, 9],
  ] as const) {
    lab.addAddress(m, `10.4.0.${host}/24`);
    lab.addAddress(m, `2001:db8:4::${host}/64`);
  }
  makeObserver(obs);
  return { a, b, obs };
}

async function startPair(
  lab: VrrpLab,
  tag: string,
  { a, b }: Trio,
  spec: (node: 'a' | 'b') => Omit<InstanceSpec, 'priority'>,
) {
  const da = lab.start(
    impl,
    a,
    `${tag}-a`,
    globalDefs('a') + instanceConfig({ ...spec('a'), priority: 200 }),
  );
  // b starts once a is MASTER: started together on a loaded machine, b's master-down timer could expire
  // before a's first advert, and b's brief (correct) MASTER would spoil the tests' "b stayed BACKUP".
  await da.waitForState('VI_1', 'MASTER', 12_000);
  const db = lab.start(
    impl,
    b,
    `${tag}-b`,
    globalDefs('b') + instanceConfig({ ...spec('b'), priority: 100 }),
  );
  await db.waitForState('VI_1', 'BACKUP', 12_000);
  return { da, db };
}

function describeAdverts(adverts: DecodedAdvert[]): string {
  return (
    JSON.stringify(adverts.slice(0, 4), null, 1) +
    (adverts.length > 4 ? `\n... ${adverts.length} in all` : '')
  );
}

/** Fails the test with the first advert whose field differs from `expected`. */
function assertAllMatch(adverts: DecodedAdvert[], expected: Partial<DecodedAdvert>, what: string): void {
  assert.ok(adverts.length > 0, `no ${what} captured`);
  for (const advert of adverts) {
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(
        advert[key as keyof DecodedAdvert],
        value,
        `${what}: ${key} is ${JSON.stringify(advert[key as keyof DecodedAdvert])}, expected ${JSON.stringify(value)}\n${describeAdverts(adverts)}`,
      );
    }
  }
}

/**
 * The adverts come every `interval` seconds, at least two of them. The protocol's bounds, which hold on a
 * loaded machine: no gap reaches the 3 intervals after which a backup takes over, none is so short that
 * adverts were doubled, and the median gap is the configured interval (jitter is measured in bench/).
 */
function assertSpacing(adverts: DecodedAdvert[], interval: number): void {
  assert.ok(adverts.length >= 2, `at least 2 adverts expected:\n${describeAdverts(adverts)}`);
  const gaps = adverts.slice(1).map((x, i) => x.time - (adverts[i] as DecodedAdvert).time);
  const shown = `advert gaps ${gaps.map((g) => g.toFixed(3)).join(', ')} s, expected ${interval} s`;
  for (const gap of gaps) assert.ok(gap > interval * 0.5 && gap < interval * 3, shown);
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)] as number;
  assert.ok(Math.abs(median - interval) < interval * 0.1, `median: ${shown}`);
}

describe(`VRRP transports (${impl} vs ${impl})`, () => {
  test('VRRPv2 over IPv4 multicast: tshark decodes our adverts; the observer learns the VIP moved', () =>
    withLab('v2', async (lab) => {
      const nodes = trio(lab);
      const { a, b, obs } = nodes;
      const vips = ['10.4.0.100/24', '10.4.0.101/24'];
      const { da, db } = await startPair(lab, 'v2', nodes, () => ({
        name: 'VI_1',
        vrid: 71,
        version: 2,
        advertInt: 1,
        vips,
      }));
      const capture = await lab.capture(obs.ns);
      await sleep(3500);
      const adverts = await capture.stop();
      assertSpacing(adverts, 1);
      assertAllMatch(
        adverts,
        {
          src: '10.4.0.1',
          dst: '224.0.0.18',
          ttl: 255,
          version: 2,
          type: 1,
          vrid: 71,
          priority: 200,
          addrCount: 2,
          interval: 1,
          authType: 0,
          addresses: ['10.4.0.100', '10.4.0.101'],
          ah: false,
        },
        'VRRPv2 adverts of the master (only the master sends)',
      );
      assert.equal(await resolveNeighbour(obs.ns, '10.4.0.100'), a.mac, 'the VIP resolves to the master');
      const since = db.mark();
      await da.stop('SIGTERM');
      await db.waitForState('VI_1', 'MASTER', 5000, since);
      await waitUntil(
        () => neighbourMac(obs.ns, '10.4.0.100') === b.mac && neighbourMac(obs.ns, '10.4.0.101') === b.mac,
        () =>
          `observer's neighbour entries for both VIPs show b's MAC ${b.mac} (now ${neighbourMac(obs.ns, '10.4.0.100')})`,
        4000,
      );
    }));

  test('VRRPv3 over IPv4: centisecond interval, version 3, priority and addresses as configured', () =>
    withLab('v3', async (lab) => {
      const nodes = trio(lab);
      await startPair(lab, 'v3', nodes, () => ({
        name: 'VI_1',
        vrid: 72,
        version: 3,
        advertInt: 0.3,
        vips: ['10.4.0.110/24'],
      }));
      const capture = await lab.capture(nodes.obs.ns);
      await sleep(3000);
      const adverts = await capture.stop();
      assertSpacing(adverts, 0.3);
      assertAllMatch(
        adverts,
        {
          src: '10.4.0.1',
          dst: '224.0.0.18',
          ttl: 255,
          version: 3,
          type: 1,
          vrid: 72,
          priority: 200,
          addrCount: 1,
          interval: 30,
          addresses: ['10.4.0.110'],
          ah: false,
        },
        'VRRPv3 IPv4 adverts of the master',
      );
      assert.ok(hasAddress(nodes.a.ns, '10.4.0.110') && !hasAddress(nodes.b.ns, '10.4.0.110'));
    }));

  test('VRRPv3 over IPv6: link-local source to ff02::12, hop limit 255; unsolicited NA moves the VIP', () =>
    withLab('v6', async (lab) => {
      const nodes = trio(lab);
      const { a, b, obs } = nodes;
      const VIP6 = '2001:db8:4::100';
      const { da, db } = await startPair(lab, 'v6', nodes, () => ({
        name: 'VI_1',
        vrid: 73,
        version: 3,
        advertInt: 0.3,
        vips: [`${VIP6}/64`],
      }));
      await waitUntil(
        () => hasAddress(a.ns, VIP6),
        () => `IPv6 VIP on a (a: ${addresses(a.ns)})`,
        3000,
      );
      await waitUntil(
        () => !hasAddress(b.ns, VIP6),
        () =>
          `no IPv6 VIP on BACKUP b (b: ${addresses(b.ns)}; b's states: ${db.states('VI_1')})\n${db.log(30)}`,
        2000,
      );
      const capture = await lab.capture(obs.ns);
      await sleep(1500);
      const adverts = await capture.stop();
      assertAllMatch(
        adverts,
        {
          src: linkLocalAddress(a) ?? 'a link-local address',
          dst: 'ff02::12',
          ttl: 255,
          version: 3,
          type: 1,
          vrid: 73,
          priority: 200,
          interval: 30,
          addresses: [VIP6],
        },
        'VRRPv3 IPv6 adverts of the master',
      );
      assert.equal(await resolveNeighbour(obs.ns, VIP6), a.mac, 'the IPv6 VIP resolves to the master');
      const since = db.mark();
      await da.stop('SIGTERM');
      await db.waitForState('VI_1', 'MASTER', 5000, since);
      await waitUntil(
        () => neighbourMac(obs.ns, VIP6) === b.mac,
        () =>
          `observer's neighbour entry for ${VIP6} shows b's MAC ${b.mac} (now ${neighbourMac(obs.ns, VIP6)})`,
        4000,
      );
    }));

  test('unicast: adverts go to the peer address only; failover on kill -9 still works', () =>
    withLab('uni', async (lab) => {
      const nodes = trio(lab);
      const { b, obs } = nodes;
      const { da, db } = await startPair(lab, 'uni', nodes, (node) => ({
        name: 'VI_1',
        vrid: 74,
        version: 3,
        advertInt: 0.3,
        vips: ['10.4.0.120/24'],
        unicast:
          node === 'a'
            ? { srcIp: '10.4.0.1', peers: ['10.4.0.2'] }
            : { srcIp: '10.4.0.2', peers: ['10.4.0.1'] },
      }));
      const capture = await lab.capture(b.ns);
      await sleep(1500);
      const adverts = await capture.stop();
      assertAllMatch(
        adverts,
        {
          src: '10.4.0.1',
          dst: '10.4.0.2',
          version: 3,
          vrid: 74,
          priority: 200,
          interval: 30,
          addresses: ['10.4.0.120'],
        },
        'unicast adverts of the master',
      );
      const since = db.mark();
      await da.kill9();
      await db.waitForState('VI_1', 'MASTER', 5000, since);
      await waitUntil(() => hasAddress(b.ns, '10.4.0.120'), 'VIP on b', 3000);
      void obs;
    }));

  test('use_vmac: the VIP lives on macvlan vrrp.VRID with MAC 00:00:5e:00:01:VRID, on the master only', () =>
    withLab('vmac', async (lab) => {
      const nodes = trio(lab);
      const { a, b, obs } = nodes;
      const vmacIf = 'vrrp.81';
      const vmac = '00:00:5e:00:01:51';
      const { da, db } = await startPair(lab, 'vmac', nodes, () => ({
        name: 'VI_1',
        vrid: 81,
        version: 3,
        advertInt: 0.3,
        vips: ['10.4.0.130/24'],
        useVmac: true,
      }));
      await waitUntil(
        () => hasAddress(a.ns, '10.4.0.130', vmacIf),
        () => `VIP on a's ${vmacIf} (${addresses(a.ns, vmacIf)})`,
        3000,
      );
      assert.equal(macOf(a.ns, vmacIf), vmac);
      assert.ok(!hasAddress(a.ns, '10.4.0.130'), 'the VIP is not on eth0');
      await waitUntil(
        () => !hasAddress(b.ns, '10.4.0.130', vmacIf) && !hasAddress(b.ns, '10.4.0.130'),
        () =>
          `no VIP on the backup (b's eth0: ${addresses(b.ns)}; ${vmacIf}: ${addresses(b.ns, vmacIf)}; b's states ${db.states('VI_1')})\n${db.log(30)}`,
        2000,
      );
      const capture = await lab.capture(obs.ns);
      await sleep(1000);
      const vmacAdverts = await capture.stop();
      // the backup must hear the master although the adverts come from the MAC of its own vrrp.81
      assert.deepEqual(db.states('VI_1'), ['BACKUP'], `the VMAC backup left BACKUP\n${db.log(30)}`);
      assertAllMatch(vmacAdverts, { src: '10.4.0.1', vrid: 81, srcMac: vmac }, 'adverts of the VMAC master');
      // learnt from the master's gratuitous ARP alone: sending traffic to the VIP would let the kernel's
      // replies (ARP from eth0 with the VIP as sender) teach the observer eth0's MAC instead
      await waitUntil(
        () => neighbourMac(obs.ns, '10.4.0.130') === vmac,
        () =>
          `the observer learns the VIP at the virtual MAC from gratuitous ARP (has ${neighbourMac(obs.ns, '10.4.0.130')}; a's eth0 is ${a.mac})`,
        4000,
      );
      exec(['ip', '-n', obs.ns, 'neigh', 'flush', 'dev', 'eth0']);
      const since = db.mark();
      await da.stop('SIGTERM');
      await db.waitForState('VI_1', 'MASTER', 5000, since);
      await waitUntil(
        () => hasAddress(b.ns, '10.4.0.130', vmacIf),
        () => `VIP on b's ${vmacIf}`,
        3000,
      );
      assert.equal(macOf(b.ns, vmacIf), vmac);
      assert.ok(!hasAddress(a.ns, '10.4.0.130', vmacIf), `a released the VIP (${addresses(a.ns, vmacIf)})`);
      await waitUntil(
        () => neighbourMac(obs.ns, '10.4.0.130') === vmac,
        () =>
          `the observer learns the VIP at the virtual MAC from b's gratuitous ARP (has ${neighbourMac(obs.ns, '10.4.0.130')})`,
        4000,
      );
    }));
});
