// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// Keywords keepalived-ts used to accept without an effect, now applied, checked on the real kernel:
// vmac_prefix (the VMAC's name), unicast_ttl (the TTL / hop limit unicast adverts leave with) and
// check_unicast_src (unicast adverts from a non-peer, or outside a peer's min_ttl..max_ttl, are refused,
// so the backup takes over). KTS_DAEMON_IMPL=keepalived runs the same tests with Debian's keepalived 2.2.7.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  daemonUnderTest,
  globalDefs,
  hasAddress,
  instanceConfig,
  keepalivedSkipReason,
  sleep,
  waitUntil,
  withLab,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import { exec, netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const skipReason = impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason();
const { describe, test } = gated(skipReason);

/** a (.1) and b (.2) on one LAN, IPv4 10.6.0.0/24 and IPv6 2001:db8:6::/64. */
function pair(lab: VrrpLab): [LanMember, LanMember] {
  const [a, b] = lab.lan(['a', 'b']) as [LanMember, LanMember];
  for (const [m, host] of [
    [a, 1],
    [b, 2],
  ] as const) {
    lab.addAddress(m, `10.6.0.${host}/24`);
    lab.addAddress(m, `2001:db8:6::${host}/64`);
  }
  return [a, b];
}

function linkNames(ns: string): string[] {
  return exec(['ip', '-n', ns, '-o', 'link', 'show'])
    .stdout.split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n !== '');
}

describe(`keywords applied on the kernel (${impl})`, () => {
  test('vmac_prefix: the VMAC is PREFIX.VRID (and PREFIX6.VRID for an IPv6 instance on the same VRID)', () =>
    withLab('kwvmac', async (lab) => {
      const [a] = pair(lab);
      const d = lab.start(
        impl,
        a,
        'kwvmac-a',
        globalDefs('a', ['vmac_prefix kv']) +
          instanceConfig({
            name: 'VI_4',
            vrid: 61,
            priority: 200,
            version: 3,
            useVmac: true,
            vips: ['10.6.0.161/24'],
          }) +
          instanceConfig({
            name: 'VI_6',
            vrid: 61,
            priority: 200,
            version: 3,
            useVmac: true,
            vips: ['2001:db8:6::161/64'],
          }),
      );
      await d.waitForState('VI_4', 'MASTER', 12_000);
      await d.waitForState('VI_6', 'MASTER', 12_000);
      await waitUntil(
        () => hasAddress(a.ns, '10.6.0.161', 'kv.61'),
        () => `VIP on kv.61 (${linkNames(a.ns).join(' ')})`,
        4000,
      );
      await waitUntil(
        () => hasAddress(a.ns, '2001:db8:6::161', 'kv6.61'),
        () => `VIP on kv6.61 (${linkNames(a.ns).join(' ')})`,
        4000,
      );
      assert.ok(
        !linkNames(a.ns).some((n) => n.startsWith('vrrp')),
        `no vrrp.* link: ${linkNames(a.ns).join(' ')}`,
      );
    }));

  test('unicast_ttl: IPv4 adverts leave with that TTL, IPv6 unicast ones with that hop limit', () =>
    withLab('kwttl', async (lab) => {
      const [a, b] = pair(lab);
      const d = lab.start(
        impl,
        a,
        'kwttl-a',
        globalDefs('a') +
          instanceConfig({
            name: 'V4',
            vrid: 62,
            priority: 200,
            advertInt: 0.5,
            version: 3,
            vips: ['10.6.0.162/24'],
            unicast: { srcIp: '10.6.0.1', peers: ['10.6.0.2'] },
            extra: ['unicast_ttl 7'],
          }) +
          instanceConfig({
            name: 'V6',
            vrid: 63,
            priority: 200,
            advertInt: 0.5,
            version: 3,
            vips: ['2001:db8:6::163/64'],
            unicast: { srcIp: '2001:db8:6::1', peers: ['2001:db8:6::2'] },
            extra: ['unicast_ttl 9'],
          }),
      );
      await d.waitForState('V4', 'MASTER', 12_000);
      await d.waitForState('V6', 'MASTER', 12_000);
      const capture = await lab.capture(b.ns);
      await sleep(1500);
      const adverts = await capture.stop();
      const v4 = adverts.filter((x) => x.vrid === 62);
      const v6 = adverts.filter((x) => x.vrid === 63);
      assert.ok(v4.length >= 2 && v6.length >= 2, `adverts: ${JSON.stringify(adverts.slice(0, 4))}`);
      assert.deepEqual([...new Set(v4.map((x) => `${x.dst} ttl ${x.ttl}`))], ['10.6.0.2 ttl 7']);
      assert.deepEqual([...new Set(v6.map((x) => `${x.dst} ttl ${x.ttl}`))], ['2001:db8:6::2 ttl 9']);
    }));

  test('check_unicast_src: a peer within min_ttl..max_ttl is heard; a non-peer or a TTL outside is not', () =>
    withLab('kwsrc', async (lab) => {
      const [a, b] = pair(lab);
      const master = lab.start(
        impl,
        a,
        'kwsrc-a',
        globalDefs('a') +
          instanceConfig({
            name: 'VI_1',
            vrid: 64,
            priority: 200,
            advertInt: 0.5,
            version: 3,
            vips: ['10.6.0.164/24'],
            unicast: { srcIp: '10.6.0.1', peers: ['10.6.0.2'] },
            extra: ['unicast_ttl 7'],
          }),
      );
      await master.waitForState('VI_1', 'MASTER', 12_000);
      const backup = (label: string, peer: string, extra: string[]) =>
        lab.start(
          impl,
          b,
          label,
          globalDefs('b') +
            instanceConfig({
              name: 'VI_1',
              vrid: 64,
              priority: 100,
              advertInt: 0.5,
              version: 3,
              vips: ['10.6.0.164/24'],
              unicast: { srcIp: '10.6.0.2', peers: [peer] },
              extra,
            }),
        );
      // a is a peer and its TTL 7 is within 5..10: b hears it and stays BACKUP.
      const heard = backup('kwsrc-b1', '10.6.0.1 min_ttl 5 max_ttl 10', []);
      await heard.waitForState('VI_1', 'BACKUP', 12_000);
      await sleep(2500);
      assert.deepEqual(heard.states('VI_1'), ['BACKUP'], heard.log());
      await heard.stop();
      // TTL 7 is below min_ttl 8: refused, b takes over.
      const low = backup('kwsrc-b2', '10.6.0.1 min_ttl 8', []);
      await low.waitForState('VI_1', 'MASTER', 12_000);
      await low.stop();
      // a is not b's peer (b lists .3): refused with check_unicast_src, b takes over.
      const stranger = backup('kwsrc-b3', '10.6.0.3', ['check_unicast_src']);
      await stranger.waitForState('VI_1', 'MASTER', 12_000);
      await stranger.stop();
    }));

  test('vrrp_notify_fifo with its script, and notify_priority_changes: the lines keepalived writes', () =>
    withLab('kwfifo', async (lab) => {
      const [a] = pair(lab);
      const fifo = join(lab.dir, 'notify.fifo');
      const out = join(lab.dir, 'fifo.out');
      const flag = join(lab.dir, 'down');
      // The FIFO's script gets the FIFO's path as its last argument and copies what it reads.
      const reader = lab.writeScript(
        'fifo-reader',
        `echo "args $*" > ${out}\nwhile read -r line; do echo "$line" >> ${out}; done < "$2"`,
      );
      const check = lab.writeScript('check', `test ! -e ${flag}`);
      const d = lab.start(
        impl,
        a,
        'kwfifo-a',
        globalDefs('a', [`vrrp_notify_fifo ${fifo}`, `vrrp_notify_fifo_script "${reader} first"`]) +
          `vrrp_script chk {\n  script ${check}\n  interval 1\n  weight -10\n  fall 1\n  rise 1\n}\n` +
          instanceConfig({
            name: 'VI_1',
            vrid: 65,
            priority: 100,
            version: 3,
            vips: ['10.6.0.165/24'],
            trackScripts: ['chk'],
            extra: ['notify_priority_changes'],
          }),
      );
      await d.waitForState('VI_1', 'MASTER', 12_000);
      assert.ok(statSync(fifo).isFIFO(), 'the daemon created the FIFO');
      const lines = (): string[] => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : []);
      await waitUntil(
        () => lines().includes('INSTANCE "VI_1" MASTER 100'),
        () => lines().join(' | '),
        5000,
      );
      writeFileSync(flag, '');
      await waitUntil(
        () => lines().includes('INSTANCE "VI_1" MASTER_PRIORITY 90'),
        () => lines().join(' | '),
        6000,
      );
      assert.equal(lines()[0], `args first ${fifo}`);
      await d.stop();
      await waitUntil(() => !existsSync(fifo), 'the FIFO it created is removed at stop', 5000);
    }));
  test('fifo_write_vrrp_states_on_reload: a reload writes the unchanged states of non-MASTER instances', () =>
    withLab('kwfiforl', async (lab) => {
      const [a, b] = pair(lab);
      const fifo = join(lab.dir, 'notify.fifo');
      const out = join(lab.dir, 'fifo.out');
      const reader = lab.writeScript(
        'fifo-reader',
        `while read -r line; do echo "$line" >> ${out}; done < "$1"`,
      );
      // b holds VI_2 (priority 200): a is MASTER of VI_1 (alone) and BACKUP of VI_2.
      const peer = lab.start(
        impl,
        b,
        'kwfiforl-b',
        globalDefs('b') + instanceConfig({ name: 'VI_2', vrid: 67, priority: 200, vips: ['10.6.0.167/24'] }),
      );
      await peer.waitForState('VI_2', 'MASTER', 12_000);
      const d = lab.start(
        impl,
        a,
        'kwfiforl-a',
        globalDefs('a', [
          `vrrp_notify_fifo ${fifo}`,
          `vrrp_notify_fifo_script ${reader}`,
          'fifo_write_vrrp_states_on_reload',
        ]) +
          instanceConfig({ name: 'VI_1', vrid: 66, priority: 100, vips: ['10.6.0.166/24'] }) +
          instanceConfig({ name: 'VI_2', vrid: 67, priority: 90, vips: ['10.6.0.167/24'] }),
      );
      await d.waitForState('VI_1', 'MASTER', 12_000);
      const lines = (): string[] => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : []);
      await waitUntil(
        () => lines().includes('INSTANCE "VI_2" BACKUP 90') && lines().includes('INSTANCE "VI_1" MASTER 100'),
        () => lines().join(' | '),
        5000,
      );
      const before = lines().length;
      process.kill(Number(readFileSync(d.files.pid, 'utf8').trim()), 'SIGHUP');
      await waitUntil(
        () => lines().slice(before).includes('INSTANCE "VI_2" BACKUP 90'),
        () => lines().join(' | '),
        8000,
      );
      // A second more: nothing is written for the MASTER that stayed MASTER.
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(
        lines()
          .slice(before)
          .filter((l) => l.includes('VI_1')),
        [],
        lines().join(' | '),
      );
      await d.stop();
      await peer.stop();
    }));
});
