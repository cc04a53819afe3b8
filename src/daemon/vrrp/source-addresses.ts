// An instance without mcast_src_ip / unicast_src_ip speaks from its interface's primary address. The engine
// needs that address for the equal-priority tie-break, and it must follow the interface when the address
// goes away, as keepalived does, rather than adverts leaving from an address the host no longer has. With
// no address of its family there at all, keepalived holds the instance in FAULT ("no IPv4 address for
// interface") until one appears: the engine is told (spec.withoutSource, then source-address events).
import type { EngineSpec, InstanceSpec } from '../../vrrp/engine/spec.js';
import type { Logger } from '../process/log.js';
import type { HostState } from './host-state.js';

/** An IPv6 instance on a VMAC speaks from the link-local address made for the VMAC: keepalived does not
 * need one on the interface below (vrrp.c set_vrrp_src_addr). */
function mayLackSource(inst: InstanceSpec): boolean {
  return inst.family === 6 && inst.useVmac;
}

export class AutoSourceAddresses {
  /** Instances whose advert source is the interface's primary address. */
  private readonly names = new Set<string>();

  constructor(
    private readonly host: HostState,
    private readonly log: Logger,
    /** An instance got (present) or lost its last address to speak from. */
    private readonly report: (instance: string, present: boolean) => void,
  ) {}

  /** Fills in the source of every instance that has none configured (a new configuration). */
  fill(spec: EngineSpec): void {
    this.names.clear();
    const without: string[] = [];
    for (const inst of spec.instances) {
      if (inst.sourceAddress !== undefined) continue;
      this.names.add(inst.name);
      const vips = new Set(inst.addresses.map((a) => a.address));
      const primary = this.host.primaryAddress(inst.interface, inst.family, vips);
      if (primary !== undefined) inst.sourceAddress = primary;
      else if (!mayLackSource(inst)) without.push(inst.name);
    }
    spec.withoutSource = without;
  }

  /** The interfaces' addresses changed: moves the sources that are gone. Returns whether any moved.
   * `onlyAdded`: addresses were only added (a MASTER's VIPs, say): only instances waiting for a source
   * can change, and a scan of every instance per VIP would cost much at a thousand of them. */
  refresh(spec: EngineSpec, onlyAdded = false): boolean {
    let changed = false;
    for (const inst of spec.instances) {
      if (!this.names.has(inst.name)) continue;
      const current = inst.sourceAddress;
      if (onlyAdded && current !== undefined) continue;
      if (current !== undefined && this.host.hasAddress(inst.interface, current)) continue;
      const vips = new Set(inst.addresses.map((a) => a.address));
      const primary = this.host.primaryAddress(inst.interface, inst.family, vips);
      if (primary === current) continue;
      if (primary === undefined) {
        // the last one went: nothing to speak from (keepalived's down_instance)
        delete inst.sourceAddress;
        if (!mayLackSource(inst)) this.report(inst.name, false);
        changed = true;
        continue;
      }
      inst.sourceAddress = primary;
      if (current === undefined) {
        this.log.info(`(${inst.name}) adverts now sent from ${primary}`);
        if (!mayLackSource(inst)) this.report(inst.name, true);
      } else this.log.info(`(${inst.name}) adverts now sent from ${primary} (${current} is gone)`);
      changed = true;
    }
    return changed;
  }
}
