// An instance without mcast_src_ip / unicast_src_ip speaks from its interface's primary address. The engine
// needs that address for the equal-priority tie-break, and it must follow the interface when the address
// goes away, as keepalived does, rather than adverts leaving from an address the host no longer has.
import type { EngineSpec } from '../../vrrp/engine/spec.js';
import type { Logger } from '../process/log.js';
import type { HostState } from './host-state.js';

export class AutoSourceAddresses {
  /** Instances whose advert source is the interface's primary address. */
  private readonly names = new Set<string>();

  constructor(
    private readonly host: HostState,
    private readonly log: Logger,
  ) {}

  /** Fills in the source of every instance that has none configured (a new configuration). */
  fill(spec: EngineSpec): void {
    this.names.clear();
    for (const inst of spec.instances) {
      if (inst.sourceAddress !== undefined) continue;
      this.names.add(inst.name);
      const vips = new Set(inst.addresses.map((a) => a.address));
      const primary = this.host.primaryAddress(inst.interface, inst.family, vips);
      if (primary !== undefined) inst.sourceAddress = primary;
    }
  }

  /** The interfaces' addresses changed: moves the sources that are gone. Returns whether any moved. */
  refresh(spec: EngineSpec): boolean {
    let changed = false;
    for (const inst of spec.instances) {
      if (!this.names.has(inst.name)) continue;
      const current = inst.sourceAddress;
      if (current !== undefined && this.host.hasAddress(inst.interface, current)) continue;
      const vips = new Set(inst.addresses.map((a) => a.address));
      const primary = this.host.primaryAddress(inst.interface, inst.family, vips);
      if (primary === undefined || primary === current) continue;
      inst.sourceAddress = primary;
      this.log.info(`(${inst.name}) adverts now sent from ${primary} (${current ?? 'none'} is gone)`);
      changed = true;
    }
    return changed;
  }
}
