// Test lane: shared (asserts outcomes, not timing: runs beside another such file, scripts/run-tests.js).
// Two unicast instances with one VRID on one interface, each with its own peer: keepalived tells them apart
// by the advert's source (vrrp_dispatcher_read), and so must we. m runs VI_A (peer p) and VI_B (peer q),
// both VRID 60 at priority 100; p advertises at 50 and q at 200. Each peer's adverts must reach only its
// own instance: VI_A is MASTER (p is lower), VI_B BACKUP (q is higher). Handing every advert to the first
// instance configured would give the opposite. KTS_DAEMON_IMPL=keepalived runs it with keepalived 2.2.7.
import assert from 'node:assert/strict';
import {
  daemonUnderTest,
  globalDefs,
  instanceConfig,
  keepalivedSkipReason,
  sleep,
  withLab,
} from '../helpers/vrrp-lab.js';
import { netnsSkipReason, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';

const impl = daemonUnderTest();
const { describe, test } = gated(impl === 'keepalived' ? keepalivedSkipReason() : netnsSkipReason());

const VRID = 60;

void describe('one VRID, two unicast instances on one interface', () => {
  void test("each peer's adverts reach only the instance it is a peer of", () =>
    withLab('vridshare', async (lab) => {
      const [m, p, q] = lab.lan(['m', 'p', 'q']) as [LanMember, LanMember, LanMember];
      for (const [member, host] of [
        [m, 1],
        [p, 2],
        [q, 3],
      ] as const)
        lab.addAddress(member, `10.6.0.${host}/24`);
      const unicast = (srcIp: string, peer: string) => ({ srcIp, peers: [peer] });
      const dm = lab.start(
        impl,
        m,
        'm',
        globalDefs('m') +
          instanceConfig({
            name: 'VI_A',
            vrid: VRID,
            priority: 100,
            vips: ['10.6.1.1/24'],
            unicast: unicast('10.6.0.1', '10.6.0.2'),
          }) +
          instanceConfig({
            name: 'VI_B',
            vrid: VRID,
            priority: 100,
            vips: ['10.6.2.1/24'],
            unicast: unicast('10.6.0.1', '10.6.0.3'),
          }),
      );
      const peer = (member: LanMember, name: string, host: number, priority: number) =>
        lab.start(
          impl,
          member,
          name,
          globalDefs(name) +
            instanceConfig({
              name: 'VI_1',
              vrid: VRID,
              priority,
              vips: [`10.6.${host - 1}.1/24`],
              unicast: unicast(`10.6.0.${host}`, '10.6.0.1'),
            }),
        );
      const dq = peer(q, 'q', 3, 200);
      const dp = peer(p, 'p', 2, 50);
      await dq.waitForState('VI_1', 'MASTER', 12_000);
      await dm.waitForState('VI_A', 'MASTER', 12_000);
      // Long enough for VI_B to have taken over had q's adverts gone astray (master-down is ~3.6 s).
      await sleep(5000);
      assert.deepEqual(dm.states('VI_B'), ['BACKUP'], `VI_B left BACKUP\n${dm.log(40)}`);
      assert.equal(dm.state('VI_A'), 'MASTER', dm.log(40));
      assert.equal(dp.state('VI_1'), 'BACKUP', dp.log(20));
      assert.equal(dq.state('VI_1'), 'MASTER', dq.log(20));
    }));
});
