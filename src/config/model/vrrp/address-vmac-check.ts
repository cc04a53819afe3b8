// use_vmac on an address line, checked against the instance as keepalived 2.2.7/2.4.3 does (vrrp.c,
// vrrp_complete_instance, "Check sanity regarding use_vmac"): the line's use_vmac stays only where it adds
// something. An address that would go on the instance's own VMAC anyway (no dev, or the instance's
// interface, and the instance's family, with use_vmac) or that use_vmac_addr already covers (another
// interface, or the other family) is reported and the flag is cleared.
import type { IpAddressSpec } from '../static/addresses.js';
import type { BuildContext } from '../shared/values.js';
import type { VrrpInstance } from './instance.js';

/** keepalived's ipaddresstos: the prefix length is shown unless the address is a host address. */
function addressText(a: IpAddressSpec): string {
  return a.prefix === (a.family === 4 ? 32 : 128) ? a.address : `${a.address}/${a.prefix}`;
}

/** On the instance's configured interface (no dev, or the same one). */
export function onInstanceInterface(inst: VrrpInstance, a: IpAddressSpec): boolean {
  return a.dev === undefined || a.dev === inst.interface;
}

export function checkAddressUseVmac(inst: VrrpInstance, ctx: BuildContext): void {
  for (const a of [...inst.virtualIpaddresses, ...inst.virtualIpaddressesExcluded]) {
    if (!a.useVmac) continue;
    const own = onInstanceInterface(inst, a);
    if (own && inst.useVmac !== undefined && a.family === inst.family) {
      ctx.diags.error(
        a.location,
        'use_vmac',
        `(${inst.name}) use_vmac specified for VIP/eVIP ${addressText(a)} and vrrp instance`,
      );
      a.useVmac = false;
    } else if ((!own || a.family !== inst.family) && inst.useVmacAddr) {
      ctx.diags.error(
        a.location,
        'use_vmac',
        `(${inst.name}) use_vmac_addr specified and use_vmac specified for VIP/eVIP ${addressText(a)}`,
      );
      a.useVmac = false;
    }
  }
}
