// Periodic adverts from the native timed sender (src/daemon/vrrp/engine-clock.ts) on the real kernel: the VRRP
// child runs the sender thread; a MASTER's periodic adverts are on the wire once each (no advert sent both by
// the thread and by the JS thread: every gap is at least half an interval, since each advert is due one
// interval after the previous one left); what the thread sends is a valid advert that a keepalived-style
// decoder reads with the configured priority; a priority change shows up in the adverts, and no advert
// of the old priority follows; no advert the thread held follows a priority-0 one at SIGTERM.
// KTS_ADVERT_SENDER=js runs the same checks with every advert sent from the JS thread.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import {
  daemonUnderTest,
  globalDefs,
  instanceConfig,
  sleep,
  withLab,
  type DecodedAdvert,
} from '../helpers/vrrp-lab.js';
import { netnsSkipReason } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const skip = impl !== 'ours' ? 'not applicable: tests our own advert sender thread' : netnsSkipReason();
const { describe, test } = gated(skip);

function threadNames(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(),
  );
}

function gapsMs(adverts: DecodedAdvert[], vrid: number): number[] {
  const times = adverts.filter((a) => a.vrid === vrid && a.priority > 0).map((a) => a.time);
  return times.slice(1).map((t, i) => (t - (times[i] as number)) * 1000);
}

describe('native timed sender (ours)', () => {
  test('periodic adverts leave once each from the sender thread; priority 0 is the last at stop', () =>
    withLab('tsend', async (lab) => {
      const [m, obs] = lab.routers(['m', 'obs'], { ipv4: '10.79.0', hosts: [1, 9] });
      const config =
        globalDefs('tsend') +
        instanceConfig({
          name: 'FAST',
          vrid: 1,
          state: 'MASTER',
          priority: 200,
          version: 3,
          advertInt: 0.05,
          vips: ['10.79.1.100/24'],
        }) +
        instanceConfig({
          name: 'SLOW',
          vrid: 2,
          state: 'MASTER',
          priority: 150,
          version: 3,
          advertInt: 0.2,
          vips: ['10.79.2.100/24'],
        });
      const d = lab.start(impl, m, 'tsend', config);
      await d.waitForState('FAST', 'MASTER', 15_000);
      await d.waitForState('SLOW', 'MASTER', 15_000);
      const vrrpPid = Number(readFileSync(d.files.vrrpPid, 'utf8').trim());
      // KTS_ADVERT_SENDER=js runs the same checks on adverts sent from the JS thread
      const threaded = process.env.KTS_ADVERT_SENDER !== 'js';
      assert.equal(threadNames(vrrpPid).includes('kts-timed-send'), threaded, threadNames(vrrpPid).join());

      const capture = await lab.capture(obs.ns);
      await sleep(2000);
      await d.stop();
      await sleep(500); // tcpdump reads what is still in its buffer
      const adverts = await capture.stop();

      const fast = adverts.filter((a) => a.vrid === 1);
      const slow = adverts.filter((a) => a.vrid === 2);
      assert.ok(fast.length >= 20, `only ${fast.length} adverts at 0.05 s in 2 s`);
      assert.ok(slow.length >= 5, `only ${slow.length} adverts at 0.2 s in 2 s`);
      for (const a of [...fast, ...slow]) {
        assert.equal(a.version, 3);
        assert.equal(a.ttl, 255);
        assert.equal(a.src, '10.79.0.1');
      }
      assert.deepEqual(new Set(fast.slice(0, -1).map((a) => a.priority)), new Set([200]));
      assert.deepEqual(new Set(slow.slice(0, -1).map((a) => a.priority)), new Set([150]));
      // An advert sent twice (thread and JS) would leave a gap near zero.
      for (const [vrid, interval] of [
        [1, 50],
        [2, 200],
      ] as const) {
        const gaps = gapsMs(adverts, vrid);
        const shortest = Math.min(...gaps);
        assert.ok(shortest > interval / 2, `VRID ${vrid}: a gap of ${shortest.toFixed(3)} ms: a duplicate`);
      }
      // SIGTERM: nothing the thread held may leave after the priority-0 advert the JS thread sends.
      for (const list of [fast, slow]) {
        const zero = list.findIndex((a) => a.priority === 0);
        const after = zero < 0 ? [] : list.slice(zero + 1).filter((a) => a.priority > 0);
        assert.deepEqual(after, [], `adverts after priority 0:\n${d.log(10)}`);
      }
    }));

  test('a priority change reaches the adverts the thread sends', () =>
    withLab('tsprio', async (lab) => {
      const [m, obs] = lab.routers(['m', 'obs'], { ipv4: '10.79.0', hosts: [1, 9] });
      const track = lab.writeFile('prio.track', '0\n');
      const config =
        globalDefs('tsprio') +
        `vrrp_track_file prio {\n  file ${track}\n  weight 1\n}\n` +
        instanceConfig({
          name: 'VI_1',
          vrid: 1,
          state: 'MASTER',
          priority: 200,
          version: 3,
          advertInt: 0.05,
          vips: ['10.79.1.100/24'],
          trackFiles: ['prio'],
        });
      const d = lab.start(impl, m, 'tsprio', config);
      await d.waitForState('VI_1', 'MASTER', 15_000);
      const capture = await lab.capture(obs.ns);
      await sleep(500);
      lab.writeFile('prio.track', '10\n');
      await sleep(1500);
      const adverts = await capture.stop();
      await d.stop();
      const priorities = adverts.filter((a) => a.vrid === 1).map((a) => a.priority);
      assert.equal(priorities[0], 200, `first adverts: ${priorities.slice(0, 5).join(' ')}`);
      assert.equal(priorities.at(-1), 210, `priority 210 on the wire: ${priorities.join(' ')}`);
      const firstNew = priorities.indexOf(210);
      assert.ok(
        priorities.slice(firstNew).every((p) => p === 210),
        `an old-priority advert after the new one: ${priorities.join(' ')}`,
      );
    }));
});
