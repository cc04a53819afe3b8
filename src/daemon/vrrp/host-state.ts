// What the kernel says about this host's links and addresses, kept current from rtnetlink events.
// The VRRP daemon reads it for interface indexes, MACs, advert source addresses and link state.
import type { AddressInfo, LinkInfo } from '../../net/netlink/rtnl-messages.js';
import type { Rtnetlink, RtnlEvent } from '../../net/netlink/rtnetlink.js';
import type { IpFamily } from '../../vrrp/advert.js';

export interface LinkState {
  index: number;
  name: string;
  mac?: string;
  /** Usable for VRRP: administratively up and running (carrier). */
  up: boolean;
  mtu?: number;
}

export type HostChange =
  | { kind: 'link'; name: string; up: boolean }
  | { kind: 'address-removed'; ifname: string; address: string; family: IpFamily }
  /** An address new to this host (an instance waiting for one to speak from may come up). */
  | { kind: 'address-added'; ifname: string; address: string; family: IpFamily }
  | { kind: 'resync' };

export class HostState {
  private readonly links = new Map<number, LinkState>();
  private readonly byName = new Map<string, LinkState>();
  /** Addresses per ifindex, in the kernel's order (the first IPv4 one is the primary). */
  private readonly addresses = new Map<number, AddressInfo[]>();

  async load(rtnl: Rtnetlink): Promise<void> {
    const [links, addresses] = await Promise.all([rtnl.listLinks(), rtnl.listAddresses()]);
    this.links.clear();
    this.byName.clear();
    this.addresses.clear();
    for (const l of links) this.setLink(l);
    for (const a of addresses) this.addAddress(a);
  }

  link(name: string): LinkState | undefined {
    return this.byName.get(name);
  }

  linkByIndex(index: number): LinkState | undefined {
    return this.links.get(index);
  }

  allLinks(): LinkState[] {
    return [...this.links.values()];
  }

  /** The address keepalived sends adverts from: the interface's first IPv4 address, or its IPv6
   * link-local one. `exclude` keeps VIPs out of the choice. */
  primaryAddress(
    ifname: string,
    family: IpFamily,
    exclude: ReadonlySet<string> = new Set(),
  ): string | undefined {
    const link = this.byName.get(ifname);
    if (link === undefined) return undefined;
    const list = (this.addresses.get(link.index) ?? []).filter(
      (a) => a.family === family && !exclude.has(a.address),
    );
    if (family === 6) return list.find((a) => a.address.toLowerCase().startsWith('fe80:'))?.address;
    return list[0]?.address;
  }

  hasAddress(ifname: string, address: string): boolean {
    const link = this.byName.get(ifname);
    if (link === undefined) return false;
    return (this.addresses.get(link.index) ?? []).some((a) => a.address === address);
  }

  /** Every address of this host, of one family (to recognise our own adverts). */
  ownAddresses(family: IpFamily): string[] {
    const out: string[] = [];
    for (const list of this.addresses.values())
      for (const a of list) if (a.family === family) out.push(a.address);
    return out;
  }

  /** Applies a netlink event; returns what changed that the daemon must react to. */
  apply(event: RtnlEvent): HostChange[] {
    if (event.kind === 'overrun') return [{ kind: 'resync' }];
    if (event.kind === 'link') {
      const before = this.links.get(event.link.index);
      if (event.removed) {
        this.links.delete(event.link.index);
        this.byName.delete(event.link.name);
        return before?.up ? [{ kind: 'link', name: event.link.name, up: false }] : [];
      }
      const after = this.setLink(event.link);
      if (before === undefined || before.up !== after.up || before.name !== after.name) {
        return [{ kind: 'link', name: after.name, up: after.up }];
      }
      return [];
    }
    if (event.kind === 'address') {
      const a = event.address;
      if (event.removed) {
        const list = this.addresses.get(a.ifindex) ?? [];
        this.addresses.set(
          a.ifindex,
          list.filter((x) => !(x.address === a.address && x.prefixLen === a.prefixLen)),
        );
        const link = this.links.get(a.ifindex);
        return link
          ? [{ kind: 'address-removed', ifname: link.name, address: a.address, family: a.family }]
          : [];
      }
      const link = this.links.get(a.ifindex);
      const known = (this.addresses.get(a.ifindex) ?? []).some(
        (x) => x.address === a.address && x.prefixLen === a.prefixLen,
      );
      this.addAddress(a);
      return link && !known
        ? [{ kind: 'address-added', ifname: link.name, address: a.address, family: a.family }]
        : [];
    }
    return [];
  }

  private setLink(l: LinkInfo): LinkState {
    const old = this.links.get(l.index);
    if (old !== undefined && old.name !== l.name) this.byName.delete(old.name);
    const state: LinkState = {
      index: l.index,
      name: l.name,
      up: l.up && l.running,
      ...(l.mac ? { mac: l.mac } : {}),
      ...(l.mtu !== undefined ? { mtu: l.mtu } : {}),
    };
    this.links.set(l.index, state);
    this.byName.set(l.name, state);
    return state;
  }

  private addAddress(a: AddressInfo): void {
    const list = this.addresses.get(a.ifindex) ?? [];
    if (!list.some((x) => x.address === a.address && x.prefixLen === a.prefixLen)) list.push(a);
    this.addresses.set(a.ifindex, list);
  }
}
