// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// VRRP keywords keepalived-ts used to accept without an effect, checked on the real kernel:
// promote_secondaries (the interface's sysctl set while the daemon runs, put back at stop),
// log_unknown_vrids (an advert for a VRID no instance runs is logged) and unicast_fault_no_peer (a unicast
// instance without peers stays in FAULT); track_src_ip, which keepalived reads without an effect;
// timer_expired_backup (a stopped MASTER comes back as BACKUP) and linkbeat_interfaces (polled links).
// KTS_DAEMON_IMPL=keepalived runs the same tests with Debian's
// keepalived 2.2.7.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  daemonUnderTest,
  globalDefs,
  instanceConfig,
  keepalivedSkipReason,
  sleep,
  withLab,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import { exec, netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { firstReason, gated } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const skipReason = impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason();
const { describe, test } = gated(skipReason);
// Debian builds keepalived 2.2.7 without LINKBEAT (keepalived -v lists no LINKBEAT option).
const linkbeat = gated(
  firstReason(
    skipReason,
    impl === 'keepalived' ? "not applicable: Debian's keepalived 2.2.7 is built without LINKBEAT" : undefined,
  ),
);
// Keywords keepalived 2.4 added: Debian's keepalived 2.2.7 does not know them.
const only24 = gated(
  firstReason(skipReason, impl === 'keepalived' ? 'not applicable: keepalived 2.4 only' : undefined),
);

/** a (.1) and b (.2) on one LAN, 10.7.0.0/24. */
function pair(lab: VrrpLab): [LanMember, LanMember] {
  const [a, b] = lab.lan(['a', 'b']) as [LanMember, LanMember];
  lab.addAddress(a, '10.7.0.1/24');
  lab.addAddress(b, '10.7.0.2/24');
  return [a, b];
}

function promoteSecondaries(m: LanMember): string {
  const key = `net.ipv4.conf.${m.ifname}.promote_secondaries`;
  return exec(['ip', 'netns', 'exec', m.ns, 'sysctl', '-n', key]).stdout.trim();
}

function setPromoteSecondaries(m: LanMember, value: 0 | 1): void {
  const key = `net.ipv4.conf.${m.ifname}.promote_secondaries=${value}`;
  exec(['ip', 'netns', 'exec', m.ns, 'sysctl', '-q', '-w', key]);
}

describe(`VRRP keywords applied on the kernel (${impl})`, () => {
  test('promote_secondaries: set on the interface while running, back to 0 at stop; left alone if already 1', () =>
    withLab('kwprom', async (lab) => {
      const [a] = pair(lab);
      const config =
        globalDefs('a') +
        instanceConfig({
          name: 'VI_1',
          vrid: 71,
          priority: 200,
          vips: ['10.7.0.171/24'],
          extra: ['promote_secondaries'],
        }) +
        // a second instance on the same interface: set once, reset once
        instanceConfig({
          name: 'VI_2',
          vrid: 72,
          priority: 200,
          vips: ['10.7.0.172/24'],
          extra: ['promote_secondaries'],
        });
      setPromoteSecondaries(a, 0);
      const d = lab.start(impl, a, 'kwprom-a1', config);
      await d.waitForState('VI_1', 'MASTER', 12_000);
      assert.equal(promoteSecondaries(a), '1', 'set while running');
      await d.stop();
      assert.equal(promoteSecondaries(a), '0', 'put back at stop');

      setPromoteSecondaries(a, 1);
      const d2 = lab.start(impl, a, 'kwprom-a2', config);
      await d2.waitForState('VI_1', 'MASTER', 12_000);
      assert.equal(promoteSecondaries(a), '1');
      await d2.stop();
      assert.equal(promoteSecondaries(a), '1', 'already 1 before: left at 1');

      setPromoteSecondaries(a, 0);
      const plain = lab.start(
        impl,
        a,
        'kwprom-a3',
        globalDefs('a') + instanceConfig({ name: 'VI_1', vrid: 71, priority: 200, vips: ['10.7.0.171/24'] }),
      );
      await plain.waitForState('VI_1', 'MASTER', 12_000);
      assert.equal(promoteSecondaries(a), '0', 'without the keyword: untouched');
      await plain.stop();
    }));

  test('log_unknown_vrids: an advert for a VRID no instance runs is logged, with the interface', () =>
    withLab('kwunk', async (lab) => {
      const [a, b] = pair(lab);
      const sender = lab.start(
        impl,
        b,
        'kwunk-b',
        globalDefs('b') + instanceConfig({ name: 'VI_9', vrid: 79, priority: 200, vips: ['10.7.0.179/24'] }),
      );
      await sender.waitForState('VI_9', 'MASTER', 12_000);
      const instance = instanceConfig({ name: 'VI_1', vrid: 73, priority: 100, vips: ['10.7.0.173/24'] });
      const quiet = lab.start(impl, a, 'kwunk-a1', globalDefs('a') + instance);
      await quiet.waitForState('VI_1', 'MASTER', 12_000);
      await sleep(2500);
      assert.ok(!quiet.lines.some((l) => /Unknown VRID/.test(l)), quiet.log());
      await quiet.stop();

      const logging = lab.start(impl, a, 'kwunk-a2', globalDefs('a', ['log_unknown_vrids']) + instance);
      const first = await logging.waitForLog(/Unknown VRID/, 12_000);
      assert.match(first.line, /Unknown VRID\(79\) received on interface\(eth0\)\. ignoring\.\.\.$/);
      // one line per advert received: the sender's advert_int is 1 s
      const since = logging.mark();
      await sleep(3200);
      const more = logging.lines.slice(since).filter((l) => /Unknown VRID\(79\)/.test(l)).length;
      assert.ok(more >= 2 && more <= 5, `${more} lines in 3.2 s\n${logging.log()}`);
      assert.ok(!logging.lines.some((l) => /Unknown VRID\(73\)/.test(l)), 'its own VRID is known');
    }));

  test('log_unknown_vrids with use_vmac: logged once per advert, on the interface keepalived listens on', () =>
    withLab('kwunkv', async (lab) => {
      const [a, b] = pair(lab);
      const sender = lab.start(
        impl,
        b,
        'kwunkv-b',
        globalDefs('b') + instanceConfig({ name: 'VI_9', vrid: 79, priority: 200, vips: ['10.7.0.179/24'] }),
      );
      await sender.waitForState('VI_9', 'MASTER', 12_000);
      const logging = lab.start(
        impl,
        a,
        'kwunkv-a',
        globalDefs('a', ['log_unknown_vrids']) +
          instanceConfig({ name: 'VI_1', vrid: 73, priority: 100, useVmac: true, vips: ['10.7.0.173/24'] }),
      );
      await logging.waitForLog(/Unknown VRID/, 12_000);
      const since = logging.mark();
      await sleep(3200);
      const lines = logging.lines.slice(since).filter((l) => /Unknown VRID\(79\)/.test(l));
      assert.ok(lines.length >= 2 && lines.length <= 5, logging.log());
      // keepalived 2.2.7's socket is bound to the VMAC: the base interface is not named
      assert.ok(
        lines.every((l) => /received on interface\(vrrp\.73\)\. ignoring\.\.\.$/.test(l)),
        lines.join('\n'),
      );
    }));

  test('unicast_fault_no_peer: a unicast instance without peers stays in FAULT; with a peer it runs', () =>
    withLab('kwnopeer', async (lab) => {
      const [a] = pair(lab);
      const out = join(lab.dir, 'notify.out');
      const notify = lab.writeScript('notify', `echo "$*" >> ${out}`);
      const d = lab.start(
        impl,
        a,
        'kwnopeer-a',
        globalDefs('a') +
          instanceConfig({
            name: 'VI_1',
            vrid: 74,
            priority: 200,
            vips: ['10.7.0.174/24'],
            notify,
            extra: ['unicast_src_ip 10.7.0.1', 'unicast_fault_no_peer'],
          }) +
          instanceConfig({
            name: 'VI_2',
            vrid: 75,
            priority: 200,
            vips: ['10.7.0.175/24'],
            unicast: { srcIp: '10.7.0.1', peers: ['10.7.0.2'] },
            extra: ['unicast_fault_no_peer'],
          }) +
          // without the keyword: multicast, as keepalived has done since before 2.2.4
          instanceConfig({
            name: 'VI_3',
            vrid: 76,
            priority: 200,
            vips: ['10.7.0.176/24'],
            extra: ['unicast_src_ip 10.7.0.1'],
          }),
      );
      await d.waitForLog(/\(VI_1\) Cannot use unicast without any peers - going to fault state/, 12_000);
      await d.waitForState('VI_2', 'MASTER', 12_000);
      await d.waitForState('VI_3', 'MASTER', 12_000);
      await sleep(2000);
      // keepalived 2.2.7 logs no state change for it (the instance leaves INIT straight into FAULT, unlike
      // a tracker's fault), but its notify scripts hear FAULT
      assert.deepEqual(d.states('VI_1'), [], d.log());
      const notified = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : [];
      assert.deepEqual(notified, ['INSTANCE VI_1 FAULT 200'], d.log());
    }));

  // keepalived means track_src_ip to fault the instance when its configured source address goes, but it
  // compares the address with the start of its socket address structure (keepalived_netlink.c), so nothing
  // happens; keepalived-ts reads the keyword and does the same.
  test('track_src_ip: the configured source address going faults nothing, as in keepalived', () =>
    withLab('kwsrcip', async (lab) => {
      const [a] = pair(lab);
      const d = lab.start(
        impl,
        a,
        'kwsrcip-a',
        globalDefs('a') +
          instanceConfig({
            name: 'VI_1',
            vrid: 81,
            priority: 200,
            // /32: the kernel would delete /24 VIPs with the primary address they are secondaries of
            vips: ['10.7.0.181/32'],
            extra: ['mcast_src_ip 10.7.0.1', 'track_src_ip'],
          }),
      );
      await d.waitForState('VI_1', 'MASTER', 12_000);
      // the interface's only IPv4 address, the case keepalived's code looks at
      exec(['ip', '-n', a.ns, 'addr', 'del', '10.7.0.1/24', 'dev', a.ifname]);
      await sleep(2500);
      exec(['ip', '-n', a.ns, 'addr', 'add', '10.7.0.1/24', 'dev', a.ifname]);
      await sleep(1000);
      assert.deepEqual(d.states('VI_1'), ['BACKUP', 'MASTER'], d.log());
    }));

  only24.test(
    'owner_ignore_adverts: an address owner keeps MASTER against another owner with a higher address',
    () =>
      withLab('kwowner', async (lab) => {
        const [a, b] = pair(lab);
        const owner = (m: LanMember, label: string, routerId: string, extra: string[]) =>
          lab.start(
            impl,
            m,
            label,
            globalDefs(routerId) +
              instanceConfig({
                name: 'VI_1',
                vrid: 77,
                priority: 255,
                state: 'MASTER',
                vips: ['10.7.0.177/24'],
                extra,
              }),
          );
        // Two owners: the first to hear the other's advert lowers its priority and yields. b starting as
        // owner sends an advert at once, which a (already MASTER) hears.
        const yielding = owner(a, 'kwowner-a1', 'a', []);
        await yielding.waitForState('VI_1', 'MASTER', 12_000);
        const b1 = owner(b, 'kwowner-b1', 'b', []);
        await yielding.waitForLog(
          /\(VI_1\) CONFIGURATION ERROR: local and remote instances are both address owner/,
          5000,
        );
        await yielding.waitForState('VI_1', 'BACKUP', 5000);
        await b1.stop();
        await yielding.stop();
        // With the keyword a drops b's adverts (saying so once) and stays MASTER.
        const ignoring = owner(a, 'kwowner-a2', 'a', ['owner_ignore_adverts']);
        await ignoring.waitForState('VI_1', 'MASTER', 12_000);
        const b2 = owner(b, 'kwowner-b2', 'b', []);
        await ignoring.waitForLog(
          /\(VI_1\) Dropping packet\(s\) from 10\.7\.0\.2 since we are address owner/,
          5000,
        );
        await b2.waitForState('VI_1', 'MASTER', 5000);
        await sleep(2500);
        assert.deepEqual(ignoring.states('VI_1'), ['MASTER'], ignoring.log());
        assert.equal(ignoring.lines.filter((l) => /Dropping packet/.test(l)).length, 1, 'said once');
      }),
  );
  only24.test(
    'timer_expired_backup: a MASTER stopped past its takeover comes back as BACKUP, leaving the new master be',
    () =>
      withLab('kwtexp', async (lab) => {
        const [a, b] = pair(lab);
        const node = (m: LanMember, label: string, routerId: string, priority: number, extra: string[]) =>
          lab.start(
            impl,
            m,
            label,
            globalDefs(routerId) +
              instanceConfig({ name: 'VI_1', vrid: 83, priority, vips: ['10.7.0.183/32'], extra }),
          );
        // The whole process stopped: its native timed sender still holds the advert planned for the stop's
        // first moment and sends it on resume, before the JS thread can look (the new master yields to it
        // once). Adverts from the JS thread, as keepalived sends them, show the keyword's effect; a JS
        // thread starved while the sender runs stops its adverts within 250 ms and needs no such thing.
        process.env.KTS_ADVERT_SENDER = 'js';
        const first = node(a, 'kwtexp-a', 'a', 200, ['nopreempt', 'timer_expired_backup']);
        delete process.env.KTS_ADVERT_SENDER;
        await first.waitForState('VI_1', 'MASTER', 12_000);
        const second = node(b, 'kwtexp-b', 'b', 100, ['nopreempt']);
        await second.waitForState('VI_1', 'BACKUP', 12_000);
        const pid = Number(readFileSync(first.files.vrrpPid, 'utf8').trim());
        process.kill(pid, 'SIGSTOP');
        try {
          await second.waitForState('VI_1', 'MASTER', 8000);
        } finally {
          process.kill(pid, 'SIGCONT');
        }
        await first.waitForLog(/VRRP thread timer expired \d+\.\d{6} seconds ago/, 5000);
        await first.waitForState('VI_1', 'BACKUP', 5000);
        await sleep(3000);
        assert.deepEqual(second.states('VI_1'), ['BACKUP', 'MASTER'], second.log());
        assert.deepEqual(first.states('VI_1'), ['BACKUP', 'MASTER', 'BACKUP'], first.log());
      }),
  );
  linkbeat.test('linkbeat_interfaces: the link is polled once a second, netlink link messages ignored', () =>
    withLab('kwlinkbeat', async (lab) => {
      const [a] = pair(lab);
      const d = lab.start(
        impl,
        a,
        'kwlinkbeat-a',
        globalDefs('a') +
          `linkbeat_interfaces {\n  ${a.ifname}\n}\n` +
          instanceConfig({ name: 'VI_1', vrid: 84, priority: 200, vips: ['10.7.0.184/32'] }),
      );
      await d.waitForLog(/Using MII-BMSR\/ETHTOOL NIC polling thread\(s\)\.\.\./, 12_000);
      await d.waitForState('VI_1', 'MASTER', 12_000);
      const since = d.mark();
      exec(['ip', '-n', a.ns, 'link', 'set', a.ifname, 'down']);
      await d.waitForLog(new RegExp(`Linkbeat reports ${a.ifname} down`), 3000, since);
      await d.waitForState('VI_1', 'FAULT', 3000, since);
      exec(['ip', '-n', a.ns, 'link', 'set', a.ifname, 'up']);
      await d.waitForLog(new RegExp(`Linkbeat reports ${a.ifname} up`), 5000, since);
      await d.waitForState('VI_1', 'MASTER', 12_000, since);
      assert.ok(!d.lines.some((l) => /Netlink reports/.test(l)), d.log());
    }),
  );
});
