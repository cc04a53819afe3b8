// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// Per-address VMACs on the real kernel: an instance on eth0 with a VIP on a second LAN (eth1), given a
// macvlan of its own there by use_vmac_addr (named vrrp.VRID), or by use_vmac on the address line (named
// with vmac_addr_prefix). Checked: the macvlan's name, private mode and MAC 00:00:5e:00:01:VRID, the VIP on
// it at MASTER only, the gratuitous ARP on eth1's LAN sent from that MAC, the VIP removed when the node
// drops to BACKUP, the macvlan deleted when the daemon stops. And IPv6 eVIPs of an IPv4 instance: on its own
// interface and on eth1, each on an IPv6 VMAC (vrrp.VRID, then vrrp6.VRID) with 00:00:5e:00:02:VRID and a
// deprecated link-local, announced by unsolicited NA from that MAC; such a VMAC going down faults the
// instance (keepalived tracks it). A reload that adds such an address creates its VMAC; one that drops it
// deletes the VMAC.
// KTS_DAEMON_IMPL=keepalived runs the same tests with Debian's keepalived 2.2.7 on both sides.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  addresses,
  daemonUnderTest,
  globalDefs,
  hasAddress,
  instanceConfig,
  keepalivedSkipReason,
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
import { gated, missingTools } from '../helpers/requirements.js';
import { tsharkRecords } from '../helpers/tshark.js';

const impl = daemonUnderTest();
const skipReason =
  (impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason()) ?? missingTools('tcpdump', 'tshark');
const { describe, test } = gated(skipReason);

const VIP0 = '10.61.0.100';
const VIP1 = '10.62.0.100';

interface Variant {
  title: string;
  vrid: number;
  /** The VMAC's expected name. */
  vmacIf: string;
  globalExtra: string[];
  instanceExtra: string[];
  vip1Line: string;
}

const VARIANTS: Variant[] = [
  {
    title: 'use_vmac_addr',
    vrid: 0x61,
    vmacIf: 'vrrp.97',
    globalExtra: [],
    instanceExtra: ['use_vmac_addr'],
    vip1Line: `${VIP1}/24 dev eth1`,
  },
  {
    title: 'use_vmac on the address line, vmac_addr_prefix',
    vrid: 0x62,
    vmacIf: 'vaddr.98',
    globalExtra: ['vmac_addr_prefix vaddr'],
    instanceExtra: [],
    vip1Line: `${VIP1}/24 dev eth1 use_vmac`,
  },
];

function config(v: Variant, node: string, priority: number): string {
  return (
    globalDefs(node, v.globalExtra) +
    instanceConfig({
      name: 'VI_1',
      vrid: v.vrid,
      version: 3,
      priority,
      advertInt: 0.3,
      vips: [`${VIP0}/24`, v.vip1Line],
      extra: v.instanceExtra,
    })
  );
}

interface LinkDetails {
  ifname: string;
  address: string;
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
}

function linkDetails(ns: string, ifname: string): LinkDetails | undefined {
  const r = exec(['ip', '-n', ns, '-d', '-j', 'link', 'show', 'dev', ifname]);
  if (r.status !== 0) return undefined;
  return (JSON.parse(r.stdout) as LinkDetails[])[0];
}

/** Gratuitous ARPs (sender address = target address) in a capture: the address and both source MACs. */
function garps(file: string): { address: string; ethSrc: string; arpSrc: string }[] {
  const fields = ['eth.src', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4'];
  return tsharkRecords(file, 'arp', fields).flatMap((r) => {
    const sender = r['arp.src.proto_ipv4'];
    if (!sender || sender !== r['arp.dst.proto_ipv4']) return [];
    return [{ address: sender, ethSrc: r['eth.src'] ?? '', arpSrc: r['arp.src.hw_mac'] ?? '' }];
  });
}

/** IPv6 addresses on `ifname` with their preferred lifetimes. */
function v6Details(ns: string, ifname: string): { local: string; preferred_life_time?: number }[] {
  const r = exec(['ip', '-n', ns, '-j', '-6', 'addr', 'show', 'dev', ifname]);
  if (r.status !== 0) return [];
  const [link] = JSON.parse(r.stdout) as { addr_info: { local: string; preferred_life_time?: number }[] }[];
  return link?.addr_info ?? [];
}

function lans(lab: VrrpLab): { lan0: LanMember[]; lan1: LanMember[] } {
  const lan0 = lab.lan(['a', 'b', 'obs']);
  lan0.forEach((m, i) => lab.addAddress(m, `10.61.0.${i + 1}/24`));
  const lan1 = lab.joinLan(lan0, 'eth1');
  lan1.forEach((m, i) => lab.addAddress(m, `10.62.0.${i + 1}/24`));
  makeObserver(lan1[2] as LanMember);
  return { lan0, lan1 };
}

describe(`per-address VMACs (${impl} vs ${impl})`, () => {
  for (const v of VARIANTS) {
    test(`${v.title}: ${v.vmacIf} on eth1, private, 00:00:5e:00:01:VRID; VIP at MASTER only; GARP from it`, () =>
      withLab(`vma${v.vrid.toString(16)}`, async (lab) => {
        const { lan0, lan1 } = lans(lab);
        const [a, b] = lan0 as [LanMember, LanMember, LanMember];
        const obs1 = lan1[2] as LanMember;
        const mac = `00:00:5e:00:01:${v.vrid.toString(16)}`;

        // b alone becomes MASTER and puts the VIP on its VMAC
        const db = lab.start(impl, b, 'b', config(v, 'b', 100));
        await db.waitForState('VI_1', 'MASTER', 12_000);
        await waitUntil(
          () => hasAddress(b.ns, VIP1, v.vmacIf),
          () => `VIP on b's ${v.vmacIf} (${addresses(b.ns, v.vmacIf)})\n${db.log(30)}`,
          3000,
        );
        const link = linkDetails(b.ns, v.vmacIf);
        assert.equal(link?.address, mac, JSON.stringify(link));
        assert.equal(link?.link, 'eth1', JSON.stringify(link));
        assert.equal(link?.linkinfo?.info_kind, 'macvlan', JSON.stringify(link));
        assert.equal(link?.linkinfo?.info_data?.mode, 'private', JSON.stringify(link));
        assert.ok(!hasAddress(b.ns, VIP1, 'eth1'), 'the VIP is not on eth1 itself');
        assert.ok(hasAddress(b.ns, VIP0, 'eth0'), `the other VIP stays on eth0\n${db.log(20)}`);

        // a, higher, takes over: its gratuitous ARP for the eth1 VIP leaves its VMAC with the virtual MAC
        const capture = await lab.capture(obs1.ns, 'eth1', 'arp');
        const sinceB = db.mark();
        const da = lab.start(impl, a, 'a', config(v, 'a', 200));
        await da.waitForState('VI_1', 'MASTER', 12_000);
        await db.waitForState('VI_1', 'BACKUP', 5000, sinceB);
        await waitUntil(
          () => hasAddress(a.ns, VIP1, v.vmacIf),
          () => `VIP on a's ${v.vmacIf} (${addresses(a.ns, v.vmacIf)})\n${da.log(30)}`,
          3000,
        );
        assert.equal(linkDetails(a.ns, v.vmacIf)?.address, mac);
        // keepalived names the VMAC in its log line for the burst
        await da.waitForLog(new RegExp(`Sending/queueing gratuitous ARPs on ${v.vmacIf} for ${VIP1}`), 3000);
        // b, now BACKUP, keeps the VMAC without the VIP
        await waitUntil(
          () => !hasAddress(b.ns, VIP1, v.vmacIf),
          () => `b removed the VIP at BACKUP (${addresses(b.ns, v.vmacIf)})\n${db.log(30)}`,
          3000,
        );
        assert.ok(linkDetails(b.ns, v.vmacIf) !== undefined, `b keeps ${v.vmacIf} at BACKUP`);
        await waitUntil(
          () => neighbourMac(obs1.ns, VIP1, 'eth1') === mac,
          () => `the observer learns ${VIP1} at ${mac} (has ${neighbourMac(obs1.ns, VIP1, 'eth1')})`,
          4000,
        );
        await capture.stop();
        const sent = garps(capture.file).filter((g) => g.address === VIP1);
        assert.ok(sent.length >= 1, `gratuitous ARPs for ${VIP1} on eth1's LAN: ${JSON.stringify(sent)}`);
        for (const g of sent) {
          assert.equal(g.ethSrc, mac, JSON.stringify(g));
          assert.equal(g.arpSrc, mac, JSON.stringify(g));
        }
        assert.ok(
          !garps(capture.file).some((g) => g.address === VIP0),
          'the eth0 VIP is not announced on eth1',
        );

        // a stops: its VMAC goes with it, b takes the VIP back onto its own
        const since = db.mark();
        await da.stop('SIGTERM');
        assert.equal(linkDetails(a.ns, v.vmacIf), undefined, `a deleted ${v.vmacIf} at stop\n${da.log(20)}`);
        await db.waitForState('VI_1', 'MASTER', 5000, since);
        await waitUntil(
          () => hasAddress(b.ns, VIP1, v.vmacIf),
          () => `VIP back on b's ${v.vmacIf}`,
          3000,
        );
        await db.stop('SIGTERM');
        assert.equal(linkDetails(b.ns, v.vmacIf), undefined, `b deleted ${v.vmacIf} at stop\n${db.log(20)}`);
      }));
  }

  test('IPv6 eVIPs of an IPv4 instance: vrrp.VRID on eth0 and vrrp6.VRID on eth1, 00:00:5e:00:02:VRID, NA from it', () =>
    withLab('vma6', async (lab) => {
      const { lan0, lan1 } = lans(lab);
      const a = lan0[0] as LanMember;
      const [a1, , obs1] = lan1 as [LanMember, LanMember, LanMember];
      for (const m of [lan0[0], a1, obs1] as LanMember[]) waitForLinkLocal(m);
      const vrid = 0x63;
      const mac = '00:00:5e:00:02:63';
      const [onEth0, onEth1] = ['vrrp.99', 'vrrp6.99'];
      const capture = await lab.capture(obs1.ns, 'eth1', 'icmp6');
      const da = lab.start(
        impl,
        a,
        'a',
        globalDefs('a') +
          instanceConfig({
            name: 'VI_1',
            vrid,
            version: 3,
            priority: 200,
            advertInt: 0.3,
            vips: [`${VIP0}/24`],
            extra: [
              'use_vmac_addr',
              'virtual_ipaddress_excluded {',
              '  fd00:61::100/64',
              '  fd00:62::100/64 dev eth1',
              '}',
            ],
          }),
      );
      await da.waitForState('VI_1', 'MASTER', 12_000);
      for (const [ifname, base, address] of [
        [onEth0, 'eth0', 'fd00:61::100'],
        [onEth1, 'eth1', 'fd00:62::100'],
      ] as const) {
        await waitUntil(
          () => hasAddress(a.ns, address, ifname),
          () => `${address} on ${ifname} (${addresses(a.ns, ifname)})\n${da.log(30)}`,
          3000,
        );
        const link = linkDetails(a.ns, ifname);
        assert.equal(link?.address, mac, JSON.stringify(link));
        assert.equal(link?.link, base, JSON.stringify(link));
        assert.equal(link?.linkinfo?.info_data?.mode, 'private', JSON.stringify(link));
        const ll = v6Details(a.ns, ifname).filter((x) => x.local.startsWith('fe80:'));
        const baseLl = linkLocalAddress({ ns: a.ns, ifname: base });
        assert.deepEqual(
          ll.map((x) => [x.local, x.preferred_life_time]),
          [[baseLl, 0]],
          `${ifname}: the base's link-local, deprecated\n${JSON.stringify(ll)}`,
        );
      }
      await da.waitForLog(
        /Sending\/queueing Unsolicited Neighbour Adverts on vrrp6\.99 for fd00:62::100/,
        3000,
      );
      await sleep(500);
      await capture.stop();
      const na = tsharkRecords(capture.file, 'icmpv6.type == 136', [
        'eth.src',
        'icmpv6.nd.na.target_address',
      ]).filter((r) => r['icmpv6.nd.na.target_address'] === 'fd00:62::100');
      assert.ok(na.length >= 1, `unsolicited NAs for fd00:62::100 on eth1's LAN: ${JSON.stringify(na)}`);
      for (const r of na) assert.equal(r['eth.src'], mac, JSON.stringify(r));
      // the instance tracks the VMACs of its addresses: one going down faults it
      const since = da.mark();
      lab.setLink(a, onEth1, false);
      await da.waitForState('VI_1', 'FAULT', 3000, since);
      lab.setLink(a, onEth1, true);
      await da.waitForState('VI_1', 'MASTER', 5000, since);
      await da.stop('SIGTERM');
      for (const ifname of [onEth0, onEth1])
        assert.equal(linkDetails(a.ns, ifname), undefined, `${ifname} deleted at stop\n${da.log(20)}`);
    }));

  test('reload: an address with use_vmac added gets its VMAC and the VIP; dropped, the VMAC is deleted', () =>
    withLab('vmar', async (lab) => {
      const { lan0 } = lans(lab);
      const a = lan0[0] as LanMember;
      const base = (extra: string[]): string =>
        globalDefs('a') +
        instanceConfig({
          name: 'VI_1',
          vrid: 0x64,
          version: 3,
          priority: 200,
          advertInt: 0.3,
          vips: [`${VIP0}/24`, ...extra],
        });
      const da = lab.start(impl, a, 'a', base([]));
      await da.waitForState('VI_1', 'MASTER', 12_000);
      const reload = async (config: string): Promise<void> => {
        writeFileSync(da.files.config, config);
        const since = da.mark();
        process.kill(Number(readFileSync(da.files.pid, 'utf8').trim()), 'SIGHUP');
        await da.waitForLog(/Reload/i, 5000, since);
      };
      await reload(base([`${VIP1}/24 dev eth1 use_vmac`]));
      await waitUntil(
        () => hasAddress(a.ns, VIP1, 'vrrp.100'),
        () => `${VIP1} on vrrp.100 after the reload (${addresses(a.ns, 'vrrp.100')})\n${da.log(30)}`,
        5000,
      );
      assert.equal(linkDetails(a.ns, 'vrrp.100')?.address, '00:00:5e:00:01:64');
      await reload(base([]));
      await waitUntil(
        () => linkDetails(a.ns, 'vrrp.100') === undefined,
        () => `vrrp.100 deleted after the second reload\n${da.log(30)}`,
        5000,
      );
      assert.ok(hasAddress(a.ns, VIP0, 'eth0'), 'the eth0 VIP stays');
      assert.deepEqual(da.states('VI_1'), ['BACKUP', 'MASTER'], da.log(30));
    }));
});
