// Interop with FRRouting's vrrpd (Debian frr): VRRPv3 elections between FRR and our daemon over IPv4 and
// IPv6, in both directions. FRR needs zebra next to vrrpd, and a macvlan per VRID and family holding the
// virtual MAC and the VIP, made by hand (FRR's doc/user/vrrp.rst): in Backup it sets that macvlan
// protodown instead of removing the address. FRR runs as its own user `frr`, so its files live in a
// directory owned by frr.
import assert from 'node:assert/strict';
import {
  addresses,
  daemonUnderTest,
  frrSkipReason,
  globalDefs,
  hasAddress,
  instanceConfig,
  sleep,
  waitUntil,
  withLab,
  type VrrpDaemon,
  type VrrpLab,
} from '../helpers/vrrp-lab.js';
import { run, type LanMember } from '../helpers/netns.js';
import { gated } from '../helpers/requirements.js';
import { FrrDaemons } from '../helpers/frr.js';

const skipReason = frrSkipReason();
const { describe, test } = gated(skipReason);
const impl = daemonUnderTest();
const VRID = 5;
const ADVERT_MS = 500;
/** Master-down interval (RFC 5798) of a priority, in ms. */
const masterDown = (priority: number): number => 3 * ADVERT_MS + ((256 - priority) * ADVERT_MS) / 256;

interface Family {
  name: 'IPv4' | 'IPv6';
  vip: string;
  prefix: number;
  /** FRR's macvlan naming and virtual MAC (00:00:5e:00:01:VRID for IPv4, :02: for IPv6). */
  macvlan: string;
  vmac: string;
  /** The vrrpd config keyword for a virtual address. */
  keyword: 'ip' | 'ipv6';
}

const FAMILIES: Family[] = [
  {
    name: 'IPv4',
    vip: '10.6.0.100',
    prefix: 24,
    macvlan: `vrrp4-2-${VRID}`,
    vmac: `00:00:5e:00:01:0${VRID}`,
    keyword: 'ip',
  },
  {
    name: 'IPv6',
    vip: '2001:db8:6::100',
    prefix: 64,
    macvlan: `vrrp6-2-${VRID}`,
    vmac: `00:00:5e:00:02:0${VRID}`,
    keyword: 'ipv6',
  },
];

/** FRR on a member: the VMAC macvlan with the VIP, then zebra and vrrpd. */
class FrrNode {
  private readonly frr: FrrDaemons;
  vrrpd?: VrrpDaemon;
  private starts = 0;

  constructor(
    lab: VrrpLab,
    private readonly member: LanMember,
    private readonly family: Family,
  ) {
    this.frr = new FrrDaemons(lab, member);
    const ip = (...args: string[]): string => run(['ip', '-n', member.ns, ...args]);
    const mv = family.macvlan;
    ip('link', 'add', mv, 'link', 'eth0', 'type', 'macvlan', 'mode', 'bridge');
    // a random link-local: one derived from the shared virtual MAC would be the same on every router
    ip('link', 'set', 'dev', mv, 'address', family.vmac, 'addrgenmode', 'random');
    ip(
      'addr',
      'add',
      `${family.vip}/${family.prefix}`,
      'dev',
      mv,
      ...(family.name === 'IPv6' ? ['nodad'] : []),
    );
    ip('link', 'set', 'dev', mv, 'up');
  }

  async startZebra(): Promise<void> {
    await this.frr.startZebra();
  }

  /** Starts vrrpd with `priority`; resolves once the virtual router left Initialize. */
  async startVrrpd(priority: number): Promise<VrrpDaemon> {
    const conf = [
      'hostname frr',
      'interface eth0',
      ` vrrp ${VRID} version 3`,
      ` vrrp ${VRID} priority ${priority}`,
      ` vrrp ${VRID} advertisement-interval ${ADVERT_MS}`,
      ` vrrp ${VRID} ${this.family.keyword} ${this.family.vip}`,
      '',
    ].join('\n');
    const vrrpd = this.frr.start('vrrpd', conf, `frr-vrrpd-${++this.starts}`);
    this.vrrpd = vrrpd;
    await vrrpd.waitForLog(new RegExp(`\\[${this.family.name}\\] Initialize -> Backup`), 15_000);
    return vrrpd;
  }

  /** The state FRR last logged ("[VRID 5] [IPv4] Backup -> Master"), or undefined. */
  state(): string | undefined {
    const re = new RegExp(`\\[${this.family.name}\\] \\w+ -> (\\w+)`);
    const states = (this.vrrpd?.lines ?? []).flatMap((l) => {
      const m = re.exec(l);
      return m ? [m[1] as string] : [];
    });
    return states.at(-1);
  }

  /** Whether FRR's macvlan is protodown (its Backup state). */
  protodown(): boolean {
    const [link] = JSON.parse(
      run(['ip', '-n', this.member.ns, '-j', '-d', 'link', 'show', 'dev', this.family.macvlan]),
    ) as { proto_down?: boolean }[];
    return link?.proto_down === true;
  }
}

/** FRR's host (.1) and ours (.2) on one LAN, both families. */
function pair(lab: VrrpLab): [LanMember, LanMember] {
  return lab.routers(['frr', 'ours'], { ipv4: '10.6.0', ipv6: '2001:db8:6::' }) as [LanMember, LanMember];
}

function oursConfig(family: Family, priority: number): string {
  return (
    globalDefs('ours') +
    instanceConfig({
      name: 'VI_1',
      vrid: VRID,
      version: 3,
      priority,
      advertInt: ADVERT_MS / 1000,
      vips: [`${family.vip}/${family.prefix}`],
    })
  );
}

for (const family of FAMILIES) {
  describe(`interop with FRRouting vrrpd: VRRPv3 over ${family.name} (${impl})`, () => {
    const vip = family.vip;

    test(`${family.name}: FRR MASTER / ours BACKUP, then ours takes over when vrrpd stops`, () =>
      withLab(`frr${family.name === 'IPv4' ? 4 : 6}a`, async (lab) => {
        const [f, o] = pair(lab);
        const frr = new FrrNode(lab, f, family);
        await frr.startZebra();
        const vrrpd = await frr.startVrrpd(200);
        await vrrpd.waitForLog(new RegExp(`\\[${family.name}\\] Backup -> Master`), 10_000);
        const ours = lab.start(impl, o, 'frr-ours', oursConfig(family, 100));
        await ours.waitForState('VI_1', 'BACKUP', 10_000);
        await sleep(masterDown(100) * 2);
        assert.deepEqual(
          ours.states('VI_1'),
          ['BACKUP'],
          `ours left BACKUP under FRR's adverts\n${ours.log()}`,
        );
        assert.ok(!hasAddress(o.ns, vip), `ours holds the VIP: ${addresses(o.ns)}`);
        assert.equal(frr.state(), 'Master', vrrpd.log(30));
        assert.equal(frr.protodown(), false, 'FRR master has its macvlan up');
        const since = ours.mark();
        const stoppedAt = Date.now();
        await vrrpd.stop('SIGTERM');
        const master = await ours.waitForState('VI_1', 'MASTER', 6000, since);
        assert.ok(
          master.at - stoppedAt < masterDown(100),
          `ours took ${master.at - stoppedAt} ms; FRR's priority-0 advert should beat master-down (${masterDown(100)} ms)\n${vrrpd.log(10)}`,
        );
        await waitUntil(
          () => hasAddress(o.ns, vip),
          () => `VIP on ours (${addresses(o.ns)})`,
          3000,
        );
      }));

    test(`${family.name}: ours MASTER / FRR BACKUP (protodown), then FRR takes over when ours stops`, () =>
      withLab(`frr${family.name === 'IPv4' ? 4 : 6}b`, async (lab) => {
        const [f, o] = pair(lab);
        const ours = lab.start(impl, o, 'frr-ours', oursConfig(family, 200));
        await ours.waitForState('VI_1', 'MASTER', 10_000);
        const frr = new FrrNode(lab, f, family);
        await frr.startZebra();
        const vrrpd = await frr.startVrrpd(50);
        await sleep(masterDown(50) * 2);
        assert.equal(frr.state(), 'Backup', `FRR left Backup under our adverts\n${vrrpd.log(30)}`);
        assert.equal(frr.protodown(), true, 'FRR backup sets its macvlan protodown');
        assert.equal(ours.state('VI_1'), 'MASTER', ours.log());
        assert.ok(hasAddress(o.ns, vip), `VIP on ours: ${addresses(o.ns)}`);
        const stoppedAt = Date.now();
        assert.equal(await ours.stop('SIGTERM'), 0, ours.log());
        const master = await vrrpd.waitForLog(new RegExp(`\\[${family.name}\\] Backup -> Master`), 6000);
        assert.ok(
          master.at - stoppedAt < masterDown(50),
          `FRR took ${master.at - stoppedAt} ms; our priority-0 advert should beat master-down (${masterDown(50)} ms)\n${vrrpd.log(15)}`,
        );
        await waitUntil(() => !frr.protodown(), "FRR's macvlan up", 3000);
        assert.ok(!hasAddress(o.ns, vip), `ours kept the VIP: ${addresses(o.ns)}`);
      }));
  });
}
