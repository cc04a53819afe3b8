// Interop with FRRouting's vrrpd (Debian frr): VRRPv3 elections between FRR and our daemon over IPv4 and
// IPv6, in both directions. FRR needs zebra next to vrrpd, and a macvlan per VRID and family holding the
// virtual MAC and the VIP, made by hand (FRR's doc/user/vrrp.rst): in Backup it sets that macvlan
// protodown instead of removing the address. FRR runs as its own user `frr`, so its files live in a
// directory owned by frr.
import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addresses,
  daemonUnderTest,
  FRR_DIR,
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

/** The frr user's uid and gid, from id(1). */
function frrIds(): { uid: number; gid: number } {
  return { uid: Number(run(['id', '-u', 'frr']).trim()), gid: Number(run(['id', '-g', 'frr']).trim()) };
}

/** FRR on a member: the VMAC macvlan with the VIP, then zebra and vrrpd with their own sockets and logs. */
class FrrNode {
  private readonly dir: string;
  zebra?: VrrpDaemon;
  vrrpd?: VrrpDaemon;
  private starts = 0;

  constructor(
    private readonly lab: VrrpLab,
    private readonly member: LanMember,
    private readonly family: Family,
  ) {
    this.dir = join(lab.dir, 'frr');
    mkdirSync(this.dir, { recursive: true });
    const { uid, gid } = frrIds();
    chownSync(lab.dir, uid, gid);
    chownSync(this.dir, uid, gid);
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
    writeFileSync(join(this.dir, 'zebra.conf'), 'hostname frr\n');
  }

  private common(daemon: string): string[] {
    return [
      '-z',
      join(this.dir, 'zserv.api'),
      '--vty_socket',
      this.dir,
      '-i',
      join(this.dir, `${daemon}.pid`),
      '-f',
      join(this.dir, `${daemon}.conf`),
      '--log',
      'stdout',
      '--log-level',
      'debug',
    ];
  }

  /** Starts zebra and waits for its client socket: a vrrpd started earlier retries only after 10 s. */
  async startZebra(): Promise<void> {
    this.zebra = this.lab.startOther('frr-zebra', this.member.ns, [
      join(FRR_DIR, 'zebra'),
      ...this.common('zebra'),
    ]);
    await this.zebra.waitForLog(/zebra \S+ starting/, 10_000);
    await waitUntil(() => existsSync(join(this.dir, 'zserv.api')), "zebra's zserv.api socket", 5000);
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
    writeFileSync(join(this.dir, 'vrrpd.conf'), conf);
    const vrrpd = this.lab.startOther(`frr-vrrpd-${++this.starts}`, this.member.ns, [
      join(FRR_DIR, 'vrrpd'),
      ...this.common('vrrpd'),
    ]);
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
  const [f, o] = lab.lan(['frr', 'ours']) as [LanMember, LanMember];
  lab.addAddress(f, '10.6.0.1/24');
  lab.addAddress(o, '10.6.0.2/24');
  lab.addAddress(f, '2001:db8:6::1/64');
  lab.addAddress(o, '2001:db8:6::2/64');
  return [f, o];
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
