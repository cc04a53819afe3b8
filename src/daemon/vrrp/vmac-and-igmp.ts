// What the VRRP child changes on the host's interfaces before the first election, and puts back at stop:
// use_vmac's and use_vmac_addr's macvlans and use_ipvlan's ipvlans (vmac.ts) with their sysctls and firewall objects, and disable_local_igmp's sysctl.
import type { Rtnetlink } from '../../net/netlink/rtnetlink.js';
import { applyInterfaceSettings, writeSysctl, type InterfaceSetting } from '../../net/sysctl.js';
import type { FirewallFamily } from '../../vrrp/firewall/planner.js';
import type { InstanceSetup } from '../../vrrp/from-model.js';
import type { Logger } from '../process/log.js';
import type { VrrpFirewall } from './firewall.js';
import type { HostState } from './host-state.js';
import { instanceVmacPlan, setUpVmac } from './vmac.js';

/** Whether IGMP reports are sent for link-local groups (a per-namespace sysctl). */
const LOCAL_IGMP_REPORTS = '/proc/sys/net/ipv4/igmp_link_local_mcast_reports';

export class VmacAndIgmp {
  private vmacUndo: InterfaceSetting[] = [];
  /** The VMACs set up so far (created or adopted): a reload sets up only new ones. */
  private readonly setUp = new Set<string>();
  /** The VMACs we created (deleted at stop) and the instance each was made for (for the log). */
  private createdVmacs: { name: string; instance: string }[] = [];
  /** disable_local_igmp in effect: the sysctl's value before we set it ('' when it was already 0). */
  private localIgmpSaved: string | undefined;

  constructor(
    private readonly rtnl: Rtnetlink,
    private readonly host: HostState,
    private readonly log: Logger,
  ) {}

  /** keepalived's use_vmac: a private-mode macvlan with the virtual router MAC holds the VIPs (vmac.ts);
   * use_vmac_addr / use_vmac on an address line: one per VRID, family and base interface for such
   * addresses (address-vmacs.ts), set up once however many instances use it. */
  async createVmacs(instances: Iterable<InstanceSetup>): Promise<void> {
    const done = this.setUp;
    for (const inst of instances) {
      const own = instanceVmacPlan(inst);
      const plans = [...(own ? [own] : []), ...inst.addressVmacs.map((v) => ({ ...v, xmitBase: false }))];
      for (const plan of plans) {
        if (done.has(plan.name)) continue;
        done.add(plan.name);
        // keepalived's words for an ipvlan (vrrp_vmac.c netlink_link_add_ipvlan)
        const kind = 'ipvlan' in plan && plan.ipvlan !== undefined ? 'ipvlan' : 'VMAC';
        try {
          const { created, undo } = await setUpVmac(this.rtnl, this.host, plan, () =>
            this.log.info(`${inst.spec.name}: Failed to add interface address to ${plan.name}`),
          );
          if (created) {
            this.createdVmacs.push({ name: plan.name, instance: inst.spec.name });
            this.log.debug(`(${inst.spec.name}): Success creating ${kind} interface ${plan.name}`);
          }
          this.vmacUndo.push(...undo);
        } catch (e) {
          this.log.error(
            kind === 'ipvlan'
              ? `(${inst.spec.name}): Unable to create ipvlan interface ${plan.name} (${(e as Error).message})`
              : `(${inst.spec.name}) cannot create VMAC ${plan.name} on ${plan.base}: ${(e as Error).message}`,
          );
        }
      }
    }
  }

  /** After a reload: the VMACs we created that no instance uses any more are deleted (vrrp.c deletes its
   * unused address VMACs at the end of a reload). */
  async removeUnused(instances: Iterable<InstanceSetup>): Promise<void> {
    const used = new Set<string>();
    for (const inst of instances) {
      if (inst.vmacName !== undefined) used.add(inst.vmacName);
      for (const v of inst.addressVmacs) used.add(v.name);
    }
    const unused = this.createdVmacs.filter((v) => !used.has(v.name));
    this.createdVmacs = this.createdVmacs.filter((v) => used.has(v.name));
    for (const { name, instance } of unused) {
      this.setUp.delete(name);
      await this.rtnl.deleteLink(name).then(
        () => this.log.debug(`(${instance}) Success removing VMAC interface ${name}`),
        (e: unknown) =>
          this.log.info(`(${instance}) Error removing VMAC interface ${name}: ${(e as Error).message}`),
      );
    }
  }

  /** The firewall's VMAC objects (multicast reports out of the base interface, router solicitations
   * dropped), for each VMAC, in the families it serves: its own, and for an instance's VMAC the other one
   * when it has excluded VIPs of it; none for IPv4 with disable_local_igmp (vrrp_vmac.c,
   * netlink_link_add_vmac, which does the same for the address VMACs it makes). */
  async addVmacsToFirewall(
    firewall: VrrpFirewall | undefined,
    instances: Iterable<InstanceSetup>,
  ): Promise<void> {
    if (firewall === undefined) return;
    const done = new Set<string>();
    for (const inst of instances) {
      // an ipvlan shares its parent's MAC: no VMAC objects for it (keepalived adds none)
      const own = inst.ipvlan === undefined ? instanceVmacPlan(inst) : undefined;
      const otherFamily = inst.excluded.some((a) => a.family !== inst.spec.family);
      const plans = [
        ...(own ? [{ ...own, otherFamily }] : []),
        ...inst.addressVmacs.map((v) => ({ ...v, otherFamily: false })),
      ];
      for (const plan of plans) {
        const vmac = this.host.link(plan.name);
        const base = this.host.link(plan.base);
        if (vmac === undefined || base === undefined || done.has(plan.name)) continue;
        done.add(plan.name);
        if (plan.family === 4 && this.localIgmpSaved !== undefined) continue;
        const family: FirewallFamily = plan.family === 4 ? 'ip' : 'ip6';
        const families: FirewallFamily[] = plan.otherFamily
          ? [family, family === 'ip' ? 'ip6' : 'ip']
          : [family];
        // before the first state is entered, as keepalived creates them with the VMAC
        await firewall.addVmac({ ifindex: vmac.index, base: base.index, families }).catch((e: unknown) => {
          this.log.error(`(${inst.spec.name}) nftables VMAC: ${(e as Error).message}`);
        });
      }
    }
  }

  /** disable_local_igmp: no IGMP reports for link-local groups (the VRRP group among them) while we run;
   * the sysctl is put back at stop if we changed it (vrrp_daemon.c, set_disable_local_igmp). */
  async disableLocalIgmp(): Promise<void> {
    try {
      const previous = await writeSysctl(LOCAL_IGMP_REPORTS, 0);
      if (previous === '1') this.localIgmpSaved = previous;
      else this.localIgmpSaved = '';
    } catch (e) {
      this.log.info(`Unable to write ${LOCAL_IGMP_REPORTS} - ${(e as Error).message}`);
    }
  }

  /** At stop: the VMACs we created are deleted, the sysctls we changed put back. */
  async undo(): Promise<void> {
    for (const { name, instance } of this.createdVmacs) {
      const deleted = await this.rtnl.deleteLink(name).then(
        () => true,
        () => false,
      );
      if (deleted) this.log.debug(`(${instance}) Success removing VMAC interface ${name}`);
    }
    await applyInterfaceSettings(this.vmacUndo).catch(() => undefined);
    if (this.localIgmpSaved === '1')
      await writeSysctl(LOCAL_IGMP_REPORTS, 1).catch((e: unknown) => {
        this.log.info(`Unable to write ${LOCAL_IGMP_REPORTS} - ${(e as Error).message}`);
      });
  }
}
