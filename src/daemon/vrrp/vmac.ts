// keepalived's use_vmac: a macvlan (private mode) named vrrp.VRID by default, with the virtual router MAC
// 00-00-5e-00-01-VRID (IPv4) or 00-00-5e-00-02-VRID (IPv6, RFC 5798 7.3), that holds the VIPs and sends
// the adverts. As keepalived's vrrp_vmac.c sets one up:
// - no kernel-generated IPv6 link-local (IFLA_INET6_ADDR_GEN_MODE none): every router would derive the same
//   fe80::200:5eff:fe00:2xx from the shared MAC (RFC 5798 7.4);
// - IPv6 instances get a link-local address of their own on the VMAC, so adverts leave it from a non-VIP
//   address with the virtual MAC: the configured source address if IPv6, else the base interface's
//   link-local, else one derived (EUI-64) from the base interface's MAC. It is an address this host already
//   owns on that link, so it is added without DAD. Not with vmac_xmit_base: adverts then leave the base
//   interface, and keepalived 2.2.7 leaves the VMAC without any link-local;
// - IPv4 instances get the ARP sysctls that make the macvlan answer for the VIPs (see net/sysctl.ts).
import { IFA_F_NODAD } from '../../net/netlink/rtnl-addr.js';
import { RtnetlinkError, type Rtnetlink } from '../../net/netlink/rtnetlink.js';
import { applyInterfaceSettings, vmacSettings, type InterfaceSetting } from '../../net/sysctl.js';
import { formatIpv6 } from '../../common/inet.js';
import type { InstanceSetup } from '../../vrrp/from-model.js';
import type { InstanceSpec } from '../../vrrp/engine/spec.js';
import type { HostState } from './host-state.js';

/** 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6. */
export function virtualRouterMac(family: 4 | 6, vrid: number): string {
  return `00:00:5e:00:0${family === 6 ? 2 : 1}:${(vrid & 0xff).toString(16).padStart(2, '0')}`;
}

/** fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291 appendix A). */
export function eui64LinkLocal(mac: string): string | undefined {
  const m = mac.split(/[:-]/).map((p) => parseInt(p, 16));
  if (m.length !== 6 || m.some((b) => !(b >= 0 && b <= 255))) return undefined;
  const bytes = new Uint8Array(16);
  bytes.set([0xfe, 0x80]);
  bytes.set([m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]], 8);
  return formatIpv6(bytes);
}

/** The link-local address an IPv6 instance's VMAC gets (see the header), or undefined when none is known. */
export function vmacLinkLocal(inst: InstanceSpec, host: HostState): string | undefined {
  if (inst.sourceAddress !== undefined && inst.sourceAddress.includes(':')) return inst.sourceAddress;
  const base = host.primaryAddress(inst.interface, 6);
  if (base !== undefined) return base;
  const mac = host.link(inst.interface)?.mac;
  return mac === undefined ? undefined : eui64LinkLocal(mac);
}

export interface VmacResult {
  /** True when we created the link (and so delete it at stop). */
  created: boolean;
  /** Settings that restore the sysctls we changed. */
  undo: InterfaceSetting[];
}

/** Creates (or adopts) the instance's VMAC, configures it as keepalived does, and brings it up. */
export async function setUpVmac(rtnl: Rtnetlink, host: HostState, setup: InstanceSetup): Promise<VmacResult> {
  const { spec: inst, vmacName: name } = setup;
  if (name === undefined) return { created: false, undo: [] };
  let created = false;
  if (host.link(name) === undefined) {
    await rtnl.createMacvlan({
      name,
      parent: inst.interface,
      mac: virtualRouterMac(inst.family, inst.vrid),
      mode: 'private',
      noIpv6AddrGen: true,
    });
    created = true;
  }
  if (inst.family === 6 && !setup.vmacXmitBase) {
    const linkLocal = vmacLinkLocal(inst, host);
    if (linkLocal !== undefined) {
      try {
        await rtnl.addAddress({ dev: name, address: `${linkLocal}/64`, flags: IFA_F_NODAD });
      } catch (e) {
        if (!(e instanceof RtnetlinkError && e.code === 'EEXIST')) throw e;
      }
    }
  }
  await rtnl.setLinkUp(name, true);
  const undo = inst.family === 4 ? await applyInterfaceSettings(vmacSettings(name, inst.interface)) : [];
  return { created, undo };
}
