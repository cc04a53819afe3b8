// keepalived's use_vmac: a macvlan (private mode) named vrrp.VRID by default, with the virtual router MAC
// 00-00-5e-00-01-VRID (IPv4) or 00-00-5e-00-02-VRID (IPv6, RFC 5798 7.3), that holds the VIPs and sends
// the adverts. As keepalived's vrrp_vmac.c sets one up:
// - no kernel-generated IPv6 link-local (IFLA_INET6_ADDR_GEN_MODE none): every router would derive the same
//   fe80::200:5eff:fe00:2xx from the shared MAC (RFC 5798 7.4);
// - IPv6 instances get a link-local address of their own on the VMAC, so adverts leave it from a non-VIP
//   address with the virtual MAC: the configured source address if IPv6, else the base interface's
//   link-local, else one derived (EUI-64) from the base interface's MAC. It is an address this host already
//   owns on that link, so it is added without DAD; deprecated (preferred lifetime 0) as keepalived's is.
//   Not with vmac_xmit_base: adverts then leave the base interface, and keepalived 2.2.7 leaves the VMAC
//   without any link-local;
// - IPv4 instances get the ARP sysctls that make the macvlan answer for the VIPs (see net/sysctl.ts).
// use_vmac_addr's VMACs (vrrp/address-vmacs.ts) are set up the same way, with no source address of their own.
// use_ipvlan's interface takes the same place (the instance's interface, the VIPs' home) as an L2 ipvlan
// (netlink_link_add_ipvlan): created up, IPv6 off on it for an IPv4 instance, its configured address added.
import { IFA_F_NODAD } from '../../net/netlink/rtnl-addr.js';
import { RtnetlinkError, type Rtnetlink } from '../../net/netlink/rtnetlink.js';
import { applyInterfaceSettings, vmacSettings, type InterfaceSetting } from '../../net/sysctl.js';
import { formatIpv6 } from '../../common/inet.js';
import { virtualRouterMac, type AddressVmac } from '../../vrrp/address-vmacs.js';
import type { InstanceSetup } from '../../vrrp/from-model.js';
import type { HostState } from './host-state.js';

export { virtualRouterMac };

/** fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291 appendix A). */
export function eui64LinkLocal(mac: string): string | undefined {
  const m = mac.split(/[:-]/).map((p) => parseInt(p, 16));
  if (m.length !== 6 || m.some((b) => !(b >= 0 && b <= 255))) return undefined;
  const bytes = new Uint8Array(16);
  bytes.set([0xfe, 0x80]);
  bytes.set([m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]], 8);
  return formatIpv6(bytes);
}

/** The link-local address an IPv6 VMAC gets (see the header), or undefined when none is known; an address
 * VMAC has no source address of its own (keepalived's dummy instance for it has none). */
export function vmacLinkLocal(
  base: string,
  host: HostState,
  sourceAddress: string | undefined,
): string | undefined {
  if (sourceAddress !== undefined && sourceAddress.includes(':')) return sourceAddress;
  const baseAddress = host.primaryAddress(base, 6);
  if (baseAddress !== undefined) return baseAddress;
  const mac = host.link(base)?.mac;
  return mac === undefined ? undefined : eui64LinkLocal(mac);
}

export interface VmacResult {
  /** True when we created the link (and so delete it at stop). */
  created: boolean;
  /** Settings that restore the sysctls we changed. */
  undo: InterfaceSetting[];
}

/** A VMAC to set up: an instance's own, or one for addresses (address-vmacs.ts). */
export interface VmacPlan extends AddressVmac {
  /** IPv6: the link-local source, when configured (mcast_src_ip); none for an address VMAC. */
  sourceAddress?: string;
  /** vmac_xmit_base: adverts leave the base interface, so no link-local on the VMAC. */
  xmitBase: boolean;
  /** use_ipvlan: an ipvlan instead of a macvlan. */
  ipvlan?: InstanceSetup['ipvlan'];
}

/** The plan of an instance's own VMAC, if it has one. */
export function instanceVmacPlan(setup: InstanceSetup): VmacPlan | undefined {
  const { spec: inst, vmacName: name } = setup;
  if (name === undefined) return undefined;
  return {
    name,
    base: inst.interface,
    family: inst.family,
    vrid: inst.vrid,
    mac: virtualRouterMac(inst.family, inst.vrid),
    ...(inst.sourceAddress !== undefined ? { sourceAddress: inst.sourceAddress } : {}),
    xmitBase: setup.vmacXmitBase,
    ...(setup.ipvlan !== undefined ? { ipvlan: setup.ipvlan } : {}),
  };
}

/** use_ipvlan's interface (see the header). */
async function setUpIpvlan(
  rtnl: Rtnetlink,
  host: HostState,
  plan: VmacPlan & { ipvlan: NonNullable<VmacPlan['ipvlan']> },
  onAddressFailure: () => void,
): Promise<VmacResult> {
  const { name, base } = plan;
  let created = false;
  if (host.link(name) === undefined) {
    await rtnl.createIpvlan({ name, parent: base, flags: plan.ipvlan.flags });
    created = true;
  } else await rtnl.setLinkUp(name, true);
  const undo = plan.family === 4 ? await applyInterfaceSettings(ipv6Off(name)) : [];
  const address = plan.ipvlan.address;
  if (address !== undefined) {
    const cidr = address.includes('/') ? address : `${address}/${plan.family === 4 ? 32 : 128}`;
    await rtnl.addAddress({ dev: name, address: cidr }).catch((e: unknown) => {
      if (!(e instanceof RtnetlinkError && e.code === 'EEXIST')) onAddressFailure();
    });
  }
  return { created, undo };
}

function ipv6Off(ifname: string): InterfaceSetting[] {
  return [{ family: 'ipv6', ifname, key: 'disable_ipv6', value: 1 }];
}

/** Creates (or adopts) a VMAC, configures it as keepalived does, and brings it up. */
export async function setUpVmac(
  rtnl: Rtnetlink,
  host: HostState,
  plan: VmacPlan,
  /** use_ipvlan: its address could not be added (keepalived logs it and goes on). */
  onAddressFailure: () => void = () => undefined,
): Promise<VmacResult> {
  if (plan.ipvlan !== undefined)
    return setUpIpvlan(rtnl, host, { ...plan, ipvlan: plan.ipvlan }, onAddressFailure);
  const { name, base } = plan;
  let created = false;
  if (host.link(name) === undefined) {
    await rtnl.createMacvlan({ name, parent: base, mac: plan.mac, mode: 'private', noIpv6AddrGen: true });
    created = true;
  }
  if (plan.family === 6 && !plan.xmitBase) {
    const linkLocal = vmacLinkLocal(base, host, plan.sourceAddress);
    if (linkLocal !== undefined) {
      try {
        await rtnl.addAddress({ dev: name, address: `${linkLocal}/64`, flags: IFA_F_NODAD, preferredLft: 0 });
      } catch (e) {
        if (!(e instanceof RtnetlinkError && e.code === 'EEXIST')) throw e;
      }
    }
  }
  await rtnl.setLinkUp(name, true);
  const undo = plan.family === 4 ? await applyInterfaceSettings(vmacSettings(name, base)) : [];
  return { created, undo };
}
