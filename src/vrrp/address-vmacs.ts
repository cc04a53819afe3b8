// keepalived's per-address VMACs (vrrp.c, vrrp_complete_instance, 2.2.7 and 2.4.3): with use_vmac_addr on
// the instance, or use_vmac on an address line, an address on another interface than the instance's (or of
// the other family) goes on a macvlan of its own on that interface: private mode, MAC 00:00:5e:00:01:VRID
// (IPv4) or 00:00:5e:00:02:VRID (IPv6), named PREFIX.VRID (vmac_addr_prefix, else vmac_prefix, else
// "vrrp"; create_vmac_name, see vmac-names.ts). One such VMAC per VRID, family and base interface serves
// every address that asks for it, in any instance (if_get_by_vmac finds the one made before). An address
// with no dev (or the instance's interface) and the instance's family goes on the instance's own VMAC
// under use_vmac. Pure.
import type { IpAddressSpec } from '../config/model/static/addresses.js';
import type { VrrpInstance } from '../config/model/vrrp/instance.js';
import type { VmacNamer } from './vmac-names.js';

/** A macvlan holding addresses of one VRID and family on one base interface. */
export interface AddressVmac {
  name: string;
  base: string;
  family: 4 | 6;
  vrid: number;
  /** The virtual router MAC, aa:bb:... */
  mac: string;
}

/** Where an instance's addresses go. */
export interface AddressPlacement {
  /** Address -> interface, for every VIP and eVIP. */
  devices: Map<string, string>;
  /** The per-address VMACs this instance's addresses use (each once). */
  vmacs: AddressVmac[];
}

/** 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6 (RFC 5798 7.3). */
export function virtualRouterMac(family: 4 | 6, vrid: number): string {
  return `00:00:5e:00:0${family === 6 ? 2 : 1}:${(vrid & 0xff).toString(16).padStart(2, '0')}`;
}

/** What names the address VMACs and remembers them across instances (one per configuration). */
export interface AddressVmacContext {
  namer: VmacNamer;
  /** vmac_addr_prefix, else vmac_prefix. */
  prefix: string;
  /** `vrid/family/base` -> the VMAC made for it. */
  made: Map<string, AddressVmac>;
}

/** Whether the address wants a VMAC of its own (vrrp_complete_instance's `if_sorted` false). */
function wantsOwnVmac(inst: VrrpInstance, a: IpAddressSpec, onInstanceIf: boolean): boolean {
  if (onInstanceIf) {
    if (inst.useVmac !== undefined && a.family === inst.family) return false;
    return a.useVmac || (inst.useVmacAddr && a.family !== inst.family);
  }
  return a.useVmac || inst.useVmacAddr;
}

export function placeAddresses(
  inst: VrrpInstance,
  instanceVmac: string | undefined,
  ctx: AddressVmacContext,
): AddressPlacement {
  const iface = inst.interface ?? '';
  const vrid = inst.virtualRouterId ?? 0;
  const devices = new Map<string, string>();
  const vmacs: AddressVmac[] = [];
  for (const a of [...inst.virtualIpaddresses, ...inst.virtualIpaddressesExcluded]) {
    const onInstanceIf = a.dev === undefined || a.dev === iface;
    const base = a.dev ?? iface;
    if (!wantsOwnVmac(inst, a, onInstanceIf)) {
      const own = onInstanceIf && instanceVmac !== undefined && a.family === inst.family;
      devices.set(a.address, own ? instanceVmac : base);
      continue;
    }
    const key = `${vrid}/${a.family}/${base}`;
    let vmac = ctx.made.get(key);
    if (vmac === undefined) {
      const name = ctx.namer.next(ctx.prefix, vrid, a.family);
      vmac = { name, base, family: a.family, vrid, mac: virtualRouterMac(a.family, vrid) };
      ctx.made.set(key, vmac);
    }
    if (!vmacs.includes(vmac)) vmacs.push(vmac);
    devices.set(a.address, vmac.name);
  }
  return { devices, vmacs };
}
