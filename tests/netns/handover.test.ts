// Planned handover (keepalived-ts handover) on a namespace LAN: the VIP moves to the backup with the old
// master holding it until the new one advertises, no preemption back during the hold, --release ends it;
// with keepalived 2.2.7 as the backup; and --to with unicast peers, where keepalived's election decides.
import assert from 'node:assert/strict';
import {
  addresses,
  globalDefs,
  hasAddress,
  instanceConfig,
  keepalivedSkipReason,
  OURS_LAUNCHER,
  sleep,
  waitUntil,
  withLab,
  type Implementation,
  type InstanceSpec,
  type VrrpDaemon,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import { netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';
import type { StatusDocument } from '../../src/api/status.js';

const { describe, test } = gated(netnsSkipReason());
const keepalived = gated(netnsSkipReason() ?? keepalivedSkipReason());
const VIP = '10.1.0.100';
const ADVERT = 0.5;
const TOKEN = 'kts-handover-token';
const PORT = 9651;

function config(
  node: string,
  address: string,
  spec: Partial<InstanceSpec> & { priority: number },
  ours: boolean,
) {
  return (
    globalDefs(node) +
    (ours ? `status_http {\n  listen ${address} ${PORT}\n  token ${TOKEN}\n}\n` : '') +
    instanceConfig({ name: 'VI_1', vrid: 61, version: 3, advertInt: ADVERT, vips: [`${VIP}/24`], ...spec })
  );
}

/** `keepalived-ts ARGS` in `member`'s namespace (the CLI finds the listener and token in `conf`). */
function cli(
  lab: VrrpLab,
  member: LanMember,
  conf: string,
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = lab.spawnOther(member.ns, [process.execPath, OURS_LAUNCHER, ...args, '-f', conf]);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`keepalived-ts ${args.join(' ')} did not exit: ${stderr}`));
    }, 20_000);
    // 'close': the output is all read
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function status(lab: VrrpLab, member: LanMember, conf: string): Promise<StatusDocument> {
  const r = await cli(lab, member, conf, ['status', '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as StatusDocument;
}

/** Samples who holds the VIP every few ms until stopped: the times nobody did. */
function watchVip(a: LanMember, b: LanMember): { stop: () => Promise<{ samples: number; gaps: number }> } {
  let running = true;
  let samples = 0;
  let gaps = 0;
  const loop = (async () => {
    while (running) {
      if (!hasAddress(a.ns, VIP) && !hasAddress(b.ns, VIP)) gaps++;
      samples++;
      await sleep(5);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { samples, gaps };
    },
  };
}

/** a (ours, 200, with the listener) and b (`backup`, 100) on one LAN, a MASTER with the VIP. */
async function pairWithMaster(
  lab: VrrpLab,
  backup: Implementation,
): Promise<{ a: LanMember; b: LanMember; da: VrrpDaemon; db: VrrpDaemon; confA: string }> {
  const [a, b] = lab.routers(['a', 'b'], { ipv4: '10.1.0' }) as [LanMember, LanMember];
  const da = lab.start('ours', a, 'ho-a', config('a', '10.1.0.1', { priority: 200 }, true));
  const db = lab.start(backup, b, 'ho-b', config('b', '10.1.0.2', { priority: 100 }, backup === 'ours'));
  await da.waitForState('VI_1', 'MASTER', 15_000);
  await db.waitForState('VI_1', 'BACKUP', 15_000);
  await waitUntil(
    () => hasAddress(a.ns, VIP) && !hasAddress(b.ns, VIP),
    () => `VIP on a only\n${da.log()}`,
    5000,
  );
  await waitUntil(
    () => da.log().includes('status_http: listening'),
    () => `a's listener\n${da.log()}`,
    5000,
  );
  return { a, b, da, db, confA: lab.daemonFiles('ho-a').config };
}

/** The handover and its hold, whoever the backup is. */
async function handoverAndHold(lab: VrrpLab, backup: Implementation): Promise<void> {
  const { a, b, da, db, confA } = await pairWithMaster(lab, backup);
  const markA = da.mark();
  const markB = db.mark();
  const watch = watchVip(a, b);
  const r = await cli(lab, a, confA, ['handover', 'VI_1', '--wait']);
  const seen = await watch.stop();
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}\n${da.log()}`);
  assert.match(r.stdout, /handed over to 10\.1\.0\.2/);
  await db.waitForState('VI_1', 'MASTER', 1000, markB);
  await da.waitForState('VI_1', 'BACKUP', 1000, markA);
  // make before break: a removed the VIP only after hearing b's advert, so someone held it all along (b's
  // advert leaves just before its own VIP goes in: one sample may fall in that sub-millisecond window)
  assert.ok(seen.gaps <= 1, `${seen.gaps} of ${seen.samples} samples with the VIP nowhere`);
  assert.ok(hasAddress(b.ns, VIP) && !hasAddress(a.ns, VIP), `a: ${addresses(a.ns)} b: ${addresses(b.ns)}`);
  const heard = da.log(400).indexOf('handover: new master 10.1.0.2');
  const removed = da.log(400).lastIndexOf('removing VIPs');
  assert.ok(heard >= 0 && removed > heard, `a removed its VIPs after hearing b\n${da.log()}`);
  const held = (await status(lab, a, confA)).instances[0]?.handover;
  assert.equal(held?.phase, 'held');
  assert.equal(held?.newMaster, '10.1.0.2');

  // the hold: several master-down intervals, and a (200) does not preempt b (100)
  await sleep(4 * (3 * ADVERT + 1) * 1000);
  assert.equal(da.state('VI_1'), 'BACKUP', da.log());
  assert.equal(db.state('VI_1'), 'MASTER', db.log());
  assert.ok(hasAddress(b.ns, VIP) && !hasAddress(a.ns, VIP));

  // --release: preemption as configured again
  const markRelease = da.mark();
  const rel = await cli(lab, a, confA, ['handover', '--release', 'VI_1']);
  assert.equal(rel.status, 0, rel.stderr);
  await da.waitForState('VI_1', 'MASTER', 5000, markRelease);
  await waitUntil(
    () => hasAddress(a.ns, VIP) && !hasAddress(b.ns, VIP),
    () => `VIP back on a\n${db.log()}`,
    5000,
  );
  assert.equal((await status(lab, a, confA)).instances[0]?.handover, undefined);
}

describe('planned handover (ours vs ours)', () => {
  test('the VIP moves make-before-break, no preemption back during the hold, --release ends it', () =>
    withLab('ho', async (lab) => {
      await handoverAndHold(lab, 'ours');
    }));
});

keepalived.describe('planned handover with keepalived 2.2.7 as the backup', () => {
  keepalived.test('keepalived takes over on the priority-0 advert; we hold the VIP until it advertises', () =>
    withLab('hk', async (lab) => {
      await handoverAndHold(lab, 'keepalived');
    }),
  );

  keepalived.test(
    '--to a unicast peer that is not the best: it takes over first, then keepalived preempts it',
    () =>
      withLab('hu', async (lab) => {
        const [a, b, c] = lab.routers(['a', 'b', 'c'], { ipv4: '10.1.0' }) as [
          LanMember,
          LanMember,
          LanMember,
        ];
        const all = ['10.1.0.1', '10.1.0.2', '10.1.0.3'];
        const unicast = (self: string) => ({ srcIp: self, peers: all.filter((p) => p !== self) });
        const confA = config('a', '10.1.0.1', { priority: 200, unicast: unicast('10.1.0.1') }, true);
        const da = lab.start('ours', a, 'hu-a', confA);
        const db = lab.start(
          'keepalived',
          b,
          'hu-b',
          config('b', '', { priority: 150, unicast: unicast('10.1.0.2') }, false),
        );
        const dc = lab.start(
          'keepalived',
          c,
          'hu-c',
          config('c', '', { priority: 100, unicast: unicast('10.1.0.3') }, false),
        );
        await da.waitForState('VI_1', 'MASTER', 15_000);
        await waitUntil(
          () => da.log().includes('status_http: listening'),
          () => da.log(),
          5000,
        );
        const conf = lab.daemonFiles('hu-a').config;
        // a multicast --to would be refused; this one names c, the worse backup
        const markB = db.mark();
        const markC = dc.mark();
        const r = await cli(lab, a, conf, ['handover', 'VI_1', '--to', '10.1.0.3', '--wait']);
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}\n${da.log()}`);
        assert.match(r.stdout, /handed over to 10\.1\.0\.3/);
        await dc.waitForState('VI_1', 'MASTER', 1000, markC);
        // only c heard priority 0: b logged none, and after a master-down interval preempts c
        assert.ok(!db.log(200).includes('Backup received priority 0'), db.log());
        await db.waitForState('VI_1', 'MASTER', 3 * (3 * ADVERT + 1) * 1000, markB);
        await dc.waitForState('VI_1', 'BACKUP', 2000, markC);
        await waitUntil(
          () => hasAddress(b.ns, VIP) && !hasAddress(c.ns, VIP) && !hasAddress(a.ns, VIP),
          () => 'VIP on b only',
          3000,
        );
        assert.equal(da.state('VI_1'), 'BACKUP');
      }),
  );
});

describe('planned handover refusals', () => {
  test('--to on a multicast instance, an unknown instance: refused with the reason', () =>
    withLab('hr', async (lab) => {
      const [a] = lab.routers(['a'], { ipv4: '10.1.0' }) as [LanMember];
      const da = lab.start('ours', a, 'hr-a', config('a', '10.1.0.1', { priority: 200 }, true));
      const conf = lab.daemonFiles('hr-a').config;
      await da.waitForState('VI_1', 'MASTER', 15_000);
      await waitUntil(
        () => da.log().includes('status_http: listening'),
        () => da.log(),
        5000,
      );
      const to = await cli(lab, a, conf, ['handover', 'VI_1', '--to', '10.1.0.2']);
      assert.equal(to.status, 1);
      assert.match(to.stderr, /HTTP 409: --to needs unicast_peer/);
      const unknown = await cli(lab, a, conf, ['handover', 'VI_9']);
      assert.match(unknown.stderr, /HTTP 404/);
      assert.equal(da.state('VI_1'), 'MASTER');
    }));
});
