// One interop scenario, run per transport against Debian's keepalived: mastership handed over in both
// directions between our daemon and keepalived, with the same config dialect on both sides, while an
// observer host checks that gratuitous ARP / unsolicited NA moved the VIP to the new master's MAC and
// tcpdump + tshark record both implementations' adverts.
//
//   1. ours (priority 200) MASTER, keepalived (100) BACKUP; the observer maps the VIP to ours.
//   2. SIGTERM ours: its priority-0 advert makes keepalived take over at once; observer -> keepalived.
//   3. ours again, priority 50: it must stay BACKUP under keepalived's adverts.
//   4. SIGTERM keepalived: ours takes over at once; observer -> ours.
import assert from 'node:assert/strict';
import {
  addresses,
  daemonUnderTest,
  globalDefs,
  hasAddress,
  instanceConfig,
  makeObserver,
  neighbourMac,
  sleep,
  waitUntil,
  type DecodedAdvert,
  type InstanceSpec,
  type VrrpLab,
} from './vrrp-lab.js';
import { exec, type LanMember } from './netns.js';

export interface HandoverCase {
  tag: string;
  /** The instance for a node (priority is set by the scenario); `peerIp` is the other node's address. */
  instance: (self: LanMember, selfIp: string, peerIp: string) => Omit<InstanceSpec, 'priority'>;
  /** The address the observer watches (the first VIP, without prefix). */
  vip: string;
  family: 4 | 6;
  /** Where tcpdump runs: the observer (default; sees multicast) or keepalived's host (sees unicast too). */
  captureAt?: 'observer' | 'keepalived';
  /** With use_vmac: the VIP lives on this macvlan, and the observer must map it to this virtual MAC. */
  vmac?: { ifname: string; mac: string };
}

export interface HandoverResult {
  /** Adverts captured during phases 1-2: ours (from a), then keepalived's (from b). */
  adverts: DecodedAdvert[];
  ours: LanMember;
  keepalived: LanMember;
}

/** a = ours, b = keepalived, obs = observer: 10.5.0.{1,2,9}/24 and 2001:db8:5::{1,2,9}/64. */
function hosts(lab: VrrpLab): [LanMember, LanMember, LanMember] {
  const members = lab.routers(['ours', 'ka', 'obs'], {
    ipv4: '10.5.0',
    ipv6: '2001:db8:5::',
    hosts: [1, 2, 9],
  }) as [LanMember, LanMember, LanMember];
  makeObserver(members[2]);
  return members;
}

/** Master-down interval for priority `p` (RFC 5798): 3 x interval + skew. */
function masterDownMs(advertInt: number, priority: number): number {
  return (3 * advertInt + ((256 - priority) * advertInt) / 256) * 1000;
}

export async function handoverBothWays(lab: VrrpLab, c: HandoverCase): Promise<HandoverResult> {
  const oursImpl = daemonUnderTest();
  const [a, b, obs] = hosts(lab);
  const ipOf = (m: LanMember): string =>
    (c.family === 4 ? '10.5.0.' : '2001:db8:5::') + (m === a ? '1' : '2');
  const config = (m: LanMember, peer: LanMember, node: string, priority: number): string =>
    globalDefs(node) + instanceConfig({ ...c.instance(m, ipOf(m), ipOf(peer)), priority });
  const spec = c.instance(a, ipOf(a), ipOf(b));
  const advertInt = spec.advertInt ?? 1;
  const quick = masterDownMs(advertInt, 100) * 0.7; // a takeover on priority 0 beats this comfortably
  const observed = (): string | undefined => neighbourMac(obs.ns, c.vip);
  const vipIf = c.vmac?.ifname ?? 'eth0';
  const macOf = (m: LanMember): string => c.vmac?.mac ?? m.mac;
  const onlyOn = (m: LanMember, other: LanMember): boolean =>
    hasAddress(m.ns, c.vip, vipIf) && !hasAddress(other.ns, c.vip, vipIf);
  const where = (): string => `ours: ${addresses(a.ns, vipIf)}; keepalived: ${addresses(b.ns, vipIf)}`;
  // the observer forgets the VIP before each takeover: only the new master's announcement may teach it
  const forget = (): void => void exec(['ip', '-n', obs.ns, 'neigh', 'flush', 'dev', 'eth0']);

  // 1. ours MASTER, keepalived BACKUP
  const capture = await lab.capture(c.captureAt === 'keepalived' ? b.ns : obs.ns);
  const ours = lab.start(oursImpl, a, `${c.tag}-ours`, config(a, b, 'ours', 200));
  await ours.waitForState('VI_1', 'MASTER', 15_000); // first, so that keepalived never is MASTER here
  const ka = lab.start('keepalived', b, `${c.tag}-keepalived`, config(b, a, 'keepalived', 100));
  await ka.waitForState('VI_1', 'BACKUP', 15_000);
  await waitUntil(
    () => onlyOn(a, b),
    () => `phase 1: the VIP on ours only (${where()})`,
    4000,
  );
  await waitUntil(
    () => observed() === macOf(a),
    () => `phase 1: observer maps ${c.vip} to ours ${macOf(a)} (has ${observed()})`,
    (advertInt + 3) * 1000,
  );
  await sleep(advertInt * 2500); // a few adverts of ours on record
  assert.ok(!ka.states('VI_1').includes('MASTER'), `phase 1: keepalived became MASTER\n${ka.log()}`);

  // 2. ours stops: keepalived takes over on our priority-0 advert
  let since = ka.mark();
  forget();
  const stoppedAt = Date.now();
  assert.equal(await ours.stop('SIGTERM'), 0, `phase 2: our exit code\n${ours.log()}`);
  assert.ok(!hasAddress(a.ns, c.vip, vipIf), `phase 2: ours kept the VIP after exit (${where()})`);
  const kaMaster = await ka.waitForState('VI_1', 'MASTER', 6000, since);
  assert.ok(
    kaMaster.at - stoppedAt < quick + 1000,
    `phase 2: keepalived took ${kaMaster.at - stoppedAt} ms to take over; without priority 0 it takes ${masterDownMs(advertInt, 100)} ms`,
  );
  await waitUntil(
    () => onlyOn(b, a),
    () => `phase 2: the VIP on keepalived only (${where()})`,
    4000,
  );
  await waitUntil(
    () => observed() === macOf(b),
    () => `phase 2: observer maps ${c.vip} to keepalived ${macOf(b)} (has ${observed()})`,
    (advertInt + 3) * 1000,
  );
  await sleep(advertInt * 4000); // some of keepalived's adverts next to ours
  const adverts = await capture.stop();

  // 3. ours back with a lower priority: BACKUP under keepalived
  const oursLow = lab.start(oursImpl, a, `${c.tag}-ours-low`, config(a, b, 'ours', 50));
  await oursLow.waitForState('VI_1', 'BACKUP', 10_000);
  await sleep(masterDownMs(advertInt, 50) * 2);
  const vipLink = (): string => exec(['ip', '-n', a.ns, '-d', 'link', 'show', 'dev', vipIf]).stdout;
  assert.deepEqual(
    oursLow.states('VI_1'),
    ['BACKUP'],
    `phase 3: ours left BACKUP under keepalived's adverts; our ${vipIf}:\n${vipLink()}\n${oursLow.log()}`,
  );
  assert.equal(ka.state('VI_1'), 'MASTER', `phase 3: keepalived lost MASTER\n${ka.log()}`);
  assert.ok(onlyOn(b, a), `phase 3: the VIP moved (${where()})`);

  // 4. keepalived stops: ours takes over on its priority-0 advert
  since = oursLow.mark();
  forget();
  const kaStoppedAt = Date.now();
  assert.equal(await ka.stop('SIGTERM'), 0, `phase 4: keepalived's exit code\n${ka.log()}`);
  const oursMaster = await oursLow.waitForState('VI_1', 'MASTER', 6000, since);
  // keepalived takes ~1 s to exit after sending priority 0, so measure from the signal, generously
  assert.ok(
    oursMaster.at - kaStoppedAt < masterDownMs(advertInt, 50),
    `phase 4: ours took ${oursMaster.at - kaStoppedAt} ms to take over; master-down is ${masterDownMs(advertInt, 50)} ms\n${oursLow.log(20)}`,
  );
  await waitUntil(
    () => onlyOn(a, b),
    () => `phase 4: the VIP on ours only (${where()})`,
    4000,
  );
  await waitUntil(
    () => observed() === macOf(a),
    () => `phase 4: observer maps ${c.vip} to ours ${macOf(a)} (has ${observed()})`,
    (advertInt + 3) * 1000,
  );
  return { adverts, ours: a, keepalived: b };
}

/** Checks the adverts of phases 1-2: ours, then our priority 0, then keepalived's, all alike but for priority. */
export function assertAdvertsAlike(
  result: HandoverResult,
  expected: Partial<DecodedAdvert>,
  sourceOf: (m: LanMember) => string,
): void {
  const show = JSON.stringify(result.adverts.slice(0, 3), null, 1);
  const ours = result.adverts.filter((x) => x.src === sourceOf(result.ours));
  const theirs = result.adverts.filter((x) => x.src === sourceOf(result.keepalived));
  assert.ok(
    ours.length >= 2,
    `at least 2 of our adverts captured (${result.adverts.length} in all)\n${show}`,
  );
  assert.ok(theirs.length >= 2, `at least 2 of keepalived's adverts captured\n${show}`);
  for (const [name, list] of [
    ['ours', ours],
    ['keepalived', theirs],
  ] as const) {
    for (const advert of list)
      for (const [key, value] of Object.entries(expected))
        assert.deepEqual(
          advert[key as keyof DecodedAdvert],
          value,
          `${name}'s advert: ${key} = ${JSON.stringify(advert[key as keyof DecodedAdvert])}, expected ${JSON.stringify(value)}\n${JSON.stringify(advert)}`,
        );
  }
  // our adverts: 200 while MASTER, then one or more priority 0 on shutdown; keepalived's from startup
  // (it is BACKUP then, silent) can only be 100 once it took over
  const ourPriorities = [...new Set(ours.map((x) => x.priority))];
  assert.deepEqual(ourPriorities, [200, 0], `our priorities in order of appearance: ${ourPriorities}`);
  assert.deepEqual([...new Set(theirs.map((x) => x.priority))], [100], "keepalived's priorities");
}
