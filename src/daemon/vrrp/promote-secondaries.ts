// promote_secondaries in a vrrp_instance: while the daemon runs, the instance's interface has
// net.ipv4.conf.IF.promote_secondaries=1, so that removing the primary address of a subnet promotes a
// secondary (a VIP) instead of deleting them all. As keepalived 2.2.7 does it (vrrp_if_config.c,
// set_promote_secondaries / reset_promote_secondaries): an interface that has it on already is left alone;
// one we switch on is switched off again at stop, once, however many instances asked for it. A reload
// switches it on for instances that are new; it is never switched off before the daemon stops.
import { interfaceSysctlPath, readSysctl, writeSysctl } from '../../net/sysctl.js';
import type { InstanceSetup } from '../../vrrp/from-model.js';
import type { Logger } from '../process/log.js';

const KEY = 'promote_secondaries';

export class PromoteSecondaries {
  /** Interfaces we switched it on for: switched off at stop. */
  private readonly switchedOn = new Set<string>();

  /** `root` exists so tests can point at a scratch /proc/sys tree. */
  constructor(
    private readonly log: Pick<Logger, 'info'>,
    private readonly root = '/proc/sys',
  ) {}

  /** The interfaces whose promote_secondaries we turned on and will turn off at stop. */
  get held(): string[] {
    return [...this.switchedOn];
  }

  /** Switches it on for the interface of each instance that asks for it, unless it is on already. */
  async apply(instances: Iterable<InstanceSetup>): Promise<void> {
    for (const inst of instances) {
      const ifname = inst.spec.interface;
      if (!inst.promoteSecondaries || ifname === '' || this.switchedOn.has(ifname)) continue;
      try {
        const path = interfaceSysctlPath('ipv4', ifname, KEY, this.root);
        if (Number(await readSysctl(path)) !== 0) continue;
        await writeSysctl(path, 1);
        this.switchedOn.add(ifname);
      } catch (e) {
        this.log.info(`(${inst.spec.name}) unable to set ${KEY} on ${ifname} - ${(e as Error).message}`);
      }
    }
  }

  /** At stop: what we switched on goes back to 0. */
  async restore(): Promise<void> {
    for (const ifname of this.switchedOn) {
      try {
        await writeSysctl(interfaceSysctlPath('ipv4', ifname, KEY, this.root), 0);
      } catch (e) {
        this.log.info(`unable to reset ${KEY} on ${ifname} - ${(e as Error).message}`);
      }
    }
    this.switchedOn.clear();
  }
}
