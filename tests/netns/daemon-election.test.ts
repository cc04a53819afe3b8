// Our VRRP daemon against itself on the real kernel: two nodes on a bridged LAN elect a master, the VIP
// lives only there, and mastership moves on host loss, link loss, shutdown (priority 0) and preemption.
// KTS_DAEMON_IMPL=keepalived runs the same tests with Debian's keepalived on both sides.
import assert from 'node:assert/strict';
import {
  addresses,
  daemonUnderTest,
  globalDefs,
  hasAddress,
  instanceConfig,
  keepalivedSkipReason,
  sleep,
  waitUntil,
  withLab,
  type DecodedAdvert,
  type InstanceSpec,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import { netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const skipReason = impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason();
const { describe, test } = gated(skipReason);
const VIP = '10.1.0.100';
const ADVERT = 0.3;

/** Two nodes a (10.1.0.1) and b (10.1.0.2) on one LAN. */
function pair(lab: VrrpLab): [LanMember, LanMember] {
  return lab.routers(['a', 'b'], { ipv4: '10.1.0' }) as [LanMember, LanMember];
}

function config(node: string, spec: Partial<InstanceSpec> & { priority: number }): string {
  return (
    globalDefs(node) +
    instanceConfig({ name: 'VI_1', vrid: 51, version: 3, advertInt: ADVERT, vips: [`${VIP}/24`], ...spec })
  );
}

describe(`VRRP election and failover (${impl} vs ${impl})`, () => {
  test('the higher priority becomes MASTER and holds the VIP alone; a stale VIP on the BACKUP is removed', () =>
    withLab('el', async (lab) => {
      const [a, b] = pair(lab);
      lab.addAddress(b, `${VIP}/24`); // left over from an earlier run: the BACKUP must drop it
      const db = lab.start(impl, b, 'el-b', config('b', { priority: 100 }));
      const da = lab.start(impl, a, 'el-a', config('a', { priority: 200 }));
      await da.waitForState('VI_1', 'MASTER', 10_000);
      await db.waitForState('VI_1', 'BACKUP', 10_000);
      await waitUntil(
        () => hasAddress(a.ns, VIP),
        () => `VIP on a (a: ${addresses(a.ns)})`,
        5000,
      );
      await waitUntil(
        () => !hasAddress(b.ns, VIP),
        () => `stale VIP removed from BACKUP b (b: ${addresses(b.ns)})\n${db.log()}`,
        5000,
      );
      await sleep(ADVERT * 5 * 1000); // several advert intervals: nothing flaps
      assert.equal(da.state('VI_1'), 'MASTER', da.log());
      assert.equal(db.state('VI_1'), 'BACKUP', db.log());
      assert.ok(
        hasAddress(a.ns, VIP) && !hasAddress(b.ns, VIP),
        `a: ${addresses(a.ns)} b: ${addresses(b.ns)}`,
      );
    }));

  test('host loss (kill -9 of the MASTER): the BACKUP takes over within the master-down interval', () =>
    withLab('kill', async (lab) => {
      const [a, b] = pair(lab);
      const da = lab.start(impl, a, 'kill-a', config('a', { priority: 200 }));
      const db = lab.start(impl, b, 'kill-b', config('b', { priority: 100 }));
      await da.waitForState('VI_1', 'MASTER', 10_000);
      await db.waitForState('VI_1', 'BACKUP', 10_000);
      const since = db.mark();
      const killedAt = Date.now();
      await da.kill9();
      const master = await db.waitForState('VI_1', 'MASTER', 5000, since);
      // master-down interval = 3 x 0.3 + skew (0.18) = 1.08 s; allow for a loaded machine
      const took = master.at - killedAt;
      assert.ok(took < 3000, `takeover took ${took} ms`);
      await waitUntil(
        () => hasAddress(b.ns, VIP),
        () => `VIP on b after takeover (b: ${addresses(b.ns)})`,
        3000,
      );
    }));

  test('link loss: the MASTER enters FAULT and drops the VIP, the BACKUP takes over; link back: MASTER again', () =>
    withLab('link', async (lab) => {
      const [a, b] = pair(lab);
      const da = lab.start(impl, a, 'link-a', config('a', { priority: 200 }));
      const db = lab.start(impl, b, 'link-b', config('b', { priority: 100 }));
      await da.waitForState('VI_1', 'MASTER', 10_000);
      await db.waitForState('VI_1', 'BACKUP', 10_000);
      let sinceA = da.mark();
      const sinceB = db.mark();
      lab.setLink(a, 'eth0', false);
      await da.waitForState('VI_1', 'FAULT', 5000, sinceA);
      await db.waitForState('VI_1', 'MASTER', 5000, sinceB);
      await waitUntil(() => hasAddress(b.ns, VIP), 'VIP on b', 3000);
      await waitUntil(
        () => !hasAddress(a.ns, VIP),
        () => `VIP removed from faulted a (a: ${addresses(a.ns)})`,
        3000,
      );
      sinceA = da.mark();
      lab.setLink(a, 'eth0', true);
      await da.waitForState('VI_1', 'MASTER', 10_000, sinceA);
      await db.waitForState('VI_1', 'BACKUP', 5000, sinceB);
      await waitUntil(() => hasAddress(a.ns, VIP) && !hasAddress(b.ns, VIP), 'VIP back on a only', 3000);
    }));

  test('SIGTERM: the MASTER sends priority 0, removes its VIP and exits 0; takeover is well before master-down', () =>
    withLab('term', async (lab) => {
      const [a, b] = pair(lab);
      // advert_int 1: master-down would be 3.6 s; priority 0 lets b take over after its skew (0.6 s)
      const da = lab.start(impl, a, 'term-a', config('a', { priority: 200, advertInt: 1 }));
      const db = lab.start(impl, b, 'term-b', config('b', { priority: 100, advertInt: 1 }));
      await da.waitForState('VI_1', 'MASTER', 10_000);
      await db.waitForState('VI_1', 'BACKUP', 10_000);
      await waitUntil(() => hasAddress(a.ns, VIP), 'VIP on a', 3000);
      const capture = await lab.capture(b.ns);
      const since = db.mark();
      const stoppedAt = Date.now();
      const code = await da.stop('SIGTERM');
      assert.equal(code, 0, `exit code after SIGTERM\n${da.log()}`);
      assert.ok(!hasAddress(a.ns, VIP), `a still holds the VIP after exit: ${addresses(a.ns)}`);
      const master = await db.waitForState('VI_1', 'MASTER', 5000, since);
      const took = master.at - stoppedAt;
      assert.ok(took < 2500, `takeover took ${took} ms; master-down interval is 3600 ms\n${db.log(20)}`);
      await waitUntil(() => hasAddress(b.ns, VIP), 'VIP on b', 3000);
      await sleep(1200);
      const adverts = await capture.stop();
      const fromA = adverts.filter((x) => x.src === '10.1.0.1');
      const shown = JSON.stringify(adverts.map((x) => [x.src, x.priority, x.time]));
      assert.equal(fromA.at(-1)?.priority, 0, `a's last advert has priority 0: ${shown}`);
      const firstOfB = adverts.findIndex((x) => x.src === '10.1.0.2');
      assert.ok(
        firstOfB > adverts.indexOf(fromA.at(-1) as DecodedAdvert),
        `b speaks after a's priority 0: ${shown}`,
      );
      assert.equal(adverts[firstOfB]?.priority, 100, shown);
    }));

  test('preemption: a higher priority node that starts later takes over; with nopreempt it stays BACKUP', () =>
    withLab('pre', async (lab) => {
      const [a, b] = pair(lab);
      const db = lab.start(impl, b, 'pre-b', config('b', { priority: 100 }));
      await db.waitForState('VI_1', 'MASTER', 10_000);
      // nopreempt first: a (200) must stay BACKUP while b (100) is alive
      const dn = lab.start(impl, a, 'pre-a-nopreempt', config('a', { priority: 200, nopreempt: true }));
      await dn.waitForState('VI_1', 'BACKUP', 10_000);
      await sleep(3000); // > 2 master-down intervals of a (1.0 s)
      assert.deepEqual(dn.states('VI_1'), ['BACKUP'], `nopreempt node left BACKUP\n${dn.log()}`);
      assert.equal(db.state('VI_1'), 'MASTER', db.log());
      assert.ok(
        hasAddress(b.ns, VIP) && !hasAddress(a.ns, VIP),
        `a: ${addresses(a.ns)} b: ${addresses(b.ns)}`,
      );
      await dn.stop('SIGTERM');
      // without nopreempt it takes over
      const sinceB = db.mark();
      const dp = lab.start(impl, a, 'pre-a', config('a', { priority: 200 }));
      await dp.waitForState('VI_1', 'MASTER', 10_000);
      await db.waitForState('VI_1', 'BACKUP', 5000, sinceB);
      await waitUntil(() => hasAddress(a.ns, VIP) && !hasAddress(b.ns, VIP), 'VIP moved to a only', 3000);
    }));

  test('preempt_delay: the higher priority node waits that long after start before taking over', () =>
    withLab('pdel', async (lab) => {
      const [a, b] = pair(lab);
      const db = lab.start(impl, b, 'pdel-b', config('b', { priority: 100 }));
      await db.waitForState('VI_1', 'MASTER', 10_000);
      const da = lab.start(impl, a, 'pdel-a', config('a', { priority: 200, preemptDelay: 3 }));
      await da.waitForState('VI_1', 'BACKUP', 10_000);
      const master = await da.waitForState('VI_1', 'MASTER', 10_000);
      const after = master.at - da.startedAt;
      assert.ok(after >= 2900, `took over ${after} ms after start; preempt_delay is 3 s\n${da.log(20)}`);
      assert.ok(after < 7000, `took over only ${after} ms after start\n${da.log(20)}`);
      await waitUntil(() => db.state('VI_1') === 'BACKUP', 'b back to BACKUP', 3000);
    }));
});
