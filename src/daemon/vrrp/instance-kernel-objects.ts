// What the engine's actions change in the kernel for an instance: its VIPs and excluded addresses (and the
// firewall's drop sets that go with them), routes, rules and gratuitous ARP / NA, plus static_* objects.
// Everything goes through the kernel queue, in the order the engine asked. A reload keeps the previous
// configuration's instances ("retired"): what it removes is described only there.
import type { Model } from '../../config/index.js';
import { formatAddressLine, type IpAddressSpec } from '../../config/model/static/addresses.js';
import { formatRouteLine, type RouteSpec } from '../../config/model/static/routes.js';
import type { RuleSpec } from '../../config/model/static/rules.js';
import type { Announcer } from '../../net/announce.js';
import type { Rtnetlink } from '../../net/netlink/rtnetlink.js';
import { dropsVipTraffic, firewallAddresses } from '../../vrrp/firewall/settings.js';
import type { InstanceSetup, VrrpSetup } from '../../vrrp/from-model.js';
import type { Logger } from '../process/log.js';
import type { FailoverReporter } from './failover-reporter.js';
import type { VrrpFirewall } from './firewall.js';
import type { HostState } from './host-state.js';
import { addressRequest, routeRequest, ruleRequest } from './kernel-objects.js';
import type { KernelQueue } from './kernel-queue.js';

/** The daemon's parts these changes use; the configuration ones are read at each call (reloads). */
export interface KernelObjectDeps {
  readonly kernel: KernelQueue;
  model(): Model;
  setup(): VrrpSetup;
  firewall(): VrrpFirewall | undefined;
  readonly rtnl: Rtnetlink;
  readonly host: HostState;
  readonly announcer: Announcer;
  readonly failover: FailoverReporter;
  readonly log: Logger;
}

export class InstanceKernelObjects {
  constructor(private readonly deps: KernelObjectDeps) {}

  /** A reload: the configuration's instances before it, for what it removes. */
  retire(previous: ReadonlyMap<string, InstanceSetup>): void {
    this.retired = previous;
  }

  /** The instances of the configuration before the last reload: what a reload removes (a VIP, a route,
   * a whole instance) is described there only. */
  private retired: ReadonlyMap<string, InstanceSetup> = new Map();

  instance(name: string): InstanceSetup | undefined {
    return this.deps.setup().instances.get(name);
  }

  /** Where an instance's VIPs live, as from-model placed them (its dev, the instance's VMAC or interface, or
   * an address VMAC); a line a reload changed may be known only by its own dev. */
  vipDevice(inst: InstanceSetup, vip: IpAddressSpec): string {
    return inst.vipDevices.get(vip.address) ?? vip.dev ?? inst.vmacName ?? inst.spec.interface;
  }

  changeAddresses(instance: string, addresses: string[], add: boolean): void {
    if (add) this.announceLag.set(instance, 'measure');
    else this.announceLag.delete(instance);
    // A reload that drops a VIP (or a whole instance) removes what only the old configuration describes.
    const places = [this.instance(instance), add ? undefined : this.retired.get(instance)];
    const left = new Set(addresses);
    for (const inst of places) {
      if (inst === undefined) continue;
      const vips = [...inst.vips, ...inst.excluded].filter((v) => left.has(v.address));
      for (const vip of vips) {
        const req = addressRequest(vip, this.vipDevice(inst, vip));
        this.deps.kernel.address(add, req, `(${instance}) ${add ? 'adding' : 'removing'} ${req.address}`);
      }
      for (const vip of vips) left.delete(vip.address);
    }
  }

  /** Adds or removes an instance's VIPs in the firewall's drop sets (none for an owner or accept mode). */
  changeFirewall(instance: string, vips: readonly { address: string }[], add: boolean): void {
    const firewall = this.deps.firewall();
    const modelInstance = this.deps.model().instances.find((i) => i.name === instance);
    if (firewall === undefined || modelInstance === undefined || !dropsVipTraffic(modelInstance)) return;
    const wanted = new Set(vips.map((v) => v.address));
    const addresses = firewallAddresses(
      modelInstance,
      firewall.settings,
      this.instance(instance)?.vmacName,
    ).filter((f) => wanted.has(f.address));
    this.deps.log.debug(`(${instance}) ${add ? 'setting' : 'removing'} firewall drop rule`);
    this.deps.kernel.enqueue(`(${instance}) nftables`, () =>
      add
        ? firewall.add(instance, addresses, (dev) => this.deps.host.link(dev)?.index)
        : firewall.remove(instance, addresses),
    );
  }

  changeRoutes(instance: string, routes: readonly RouteSpec[], add: boolean): void {
    const inst = this.instance(instance) ?? (add ? undefined : this.retired.get(instance));
    if (inst === undefined) return;
    for (const r of routes) {
      const req = routeRequest(r, inst.vmacName ?? (inst.spec.interface || undefined));
      this.deps.kernel.route(add, req, `(${instance}) ${add ? 'adding' : 'removing'} route ${req.dst}`);
    }
  }

  changeRules(instance: string, rules: readonly RuleSpec[], add: boolean): void {
    for (const r of rules) {
      this.deps.kernel.rule(add, ruleRequest(r), `(${instance}) ${add ? 'adding' : 'removing'} rule`);
    }
  }

  /**
   * Per instance whose addresses went in: how much later than the engine asked its first announcement
   * left ('measure' until then), the installation ahead of it in the queue being the cause. Its later
   * announcements keep that lag, so that they keep the engine's spacing (vrrp_garp_interval, the second
   * burst's delay) from the first, as keepalived's do: its announcements start after its installation,
   * which blocks its one thread. Without it, one late first packet put the next right behind it.
   */
  private readonly announceLag = new Map<string, number | 'measure'>();

  sendGarp(instance: string, family: 4 | 6, addresses: string[]): void {
    const inst = this.instance(instance);
    if (inst === undefined) return;
    const askedAt = performance.now();
    // Announce after the addresses are in place, from the device (and MAC) that holds each of them.
    this.deps.kernel.enqueue(`(${instance}) announcing`, async () => {
      const lag = this.announceLag.get(instance);
      const now = performance.now();
      if (lag === 'measure') this.announceLag.set(instance, now - askedAt);
      const wait = typeof lag === 'number' ? askedAt + lag - now : 0;
      if (wait < 1) {
        this.announce(inst, family, addresses);
        return;
      }
      // the queue goes on meanwhile; an instance that left MASTER by then announces nothing
      setTimeout(() => {
        if (this.announceLag.has(instance)) this.announce(inst, family, addresses);
      }, wait).unref();
    });
  }

  private announce(inst: InstanceSetup, family: 4 | 6, addresses: readonly string[]): void {
    const instance = inst.spec.name;
    for (const address of addresses) {
      // excluded addresses are announced too, from their own device
      const vip = [...inst.vips, ...inst.excluded].find((v) => v.address === address);
      const link = this.deps.host.link(vip ? this.vipDevice(inst, vip) : inst.spec.interface);
      if (link === undefined || link.mac === undefined || !link.up) continue;
      try {
        this.deps.announcer.announce(link.index, link.mac, family, [address]);
        this.deps.failover.announced(instance);
        this.deps.log.debug(
          family === 4
            ? `Sending gratuitous ARP on ${link.name} for ${address}`
            : `Sending unsolicited Neighbour Advert on ${link.name} for ${address}`,
        );
      } catch (e) {
        this.deps.log.warn(
          `(${instance}) gratuitous ${family === 4 ? 'ARP' : 'NA'} for ${address}: ${(e as Error).message}`,
        );
      }
    }
  }

  /** static_ipaddress / static_routes / static_rules: set at start whatever the VRRP state, removed at stop. */
  applyStatic(add: boolean): void {
    const g = this.deps.model().global;
    for (const a of this.deps.model().staticAddresses) {
      const req = addressRequest(a, a.dev ?? g.defaultInterface);
      this.deps.kernel.address(add, req, `static address ${req.address}`);
    }
    for (const r of this.deps.model().staticRoutes) {
      const req = routeRequest(r, g.defaultInterface);
      this.deps.kernel.route(add, req, `static route ${req.dst}`);
    }
    for (const r of this.deps.model().staticRules) this.deps.kernel.rule(add, ruleRequest(r), 'static rule');
  }

  /**
   * An interface came up: its static addresses and routes (not no_track) are put back, as keepalived's
   * interface_up does (static_track_group_reinstate_config): the kernel flushed the routes through the
   * device when it went down. Rules stay in the kernel across a link change.
   */
  reinstateStatic(ifname: string): void {
    const model = this.deps.model();
    const g = model.global;
    for (const a of model.staticAddresses) {
      if (a.noTrack || (a.dev ?? g.defaultInterface) !== ifname) continue;
      this.deps.log.info(`Restoring deleted static address ${formatAddressLine(a)}`);
      const req = addressRequest(a, ifname);
      this.deps.kernel.address(true, req, `static address ${req.address}`);
    }
    for (const r of model.staticRoutes) {
      if (r.noTrack || r.dev !== ifname) continue;
      this.deps.log.info(`Restoring deleted static route ${formatRouteLine(r)}`);
      const req = routeRequest(r, g.defaultInterface);
      this.deps.kernel.route(true, req, `static route ${req.dst}`);
    }
  }

  /** Someone deleted `address` from `ifname`: a static address there (not no_track) is put back at once,
   * as keepalived's netlink reflector does (reinstate_static_address). */
  reinstateDeletedStatic(ifname: string, address: string): void {
    const model = this.deps.model();
    const a = model.staticAddresses.find(
      (s) => !s.noTrack && s.address === address && (s.dev ?? model.global.defaultInterface) === ifname,
    );
    if (a === undefined) return;
    this.deps.log.info(`Restoring deleted static address ${formatAddressLine(a)}`);
    const req = addressRequest(a, ifname);
    this.deps.kernel.address(true, req, `static address ${req.address}`);
  }

  /** A previous run that crashed may have left VIPs behind: remove them before the first election. */
  async removeStaleAddresses(): Promise<void> {
    for (const inst of this.deps.setup().instances.values()) {
      for (const vip of inst.vips) {
        const dev = this.vipDevice(inst, vip);
        if (!this.deps.host.hasAddress(dev, vip.address)) continue;
        this.deps.log.info(`(${inst.spec.name}) removing stale address ${vip.address} from ${dev}`);
        try {
          await this.deps.rtnl.deleteAddress(addressRequest(vip, dev));
        } catch (e) {
          this.deps.log.warn(
            `(${inst.spec.name}) cannot remove stale ${vip.address}: ${(e as Error).message}`,
          );
        }
      }
    }
  }
}
