// linkbeat_interfaces / linkbeat_use_polling (keepalived's vrrp_if.c, built with LINKBEAT): the link state
// of these interfaces is polled once a second rather than taken from netlink's link messages, which are
// then ignored for them; a change is logged "Linkbeat reports IF up|down" and goes on as any link change.
// keepalived asks the driver (MII, ETHTOOL link, then the interface flags); here one rtnetlink link dump a
// second gives the same: administratively up and running (carrier).
import type { Model } from '../../config/index.js';
import type { GlobalDefs } from '../../config/model/global/global.js';
import type { LinkbeatInterface } from '../../config/model/global/interface-groups.js';
import type { Rtnetlink } from '../../net/netlink/rtnetlink.js';
import type { EngineSpec } from '../../vrrp/engine/spec.js';
import type { Logger } from '../process/log.js';

/** keepalived's POLLING_DELAY: one second. */
export const LINKBEAT_POLL_MS = 1000;

export interface LinkbeatInputs {
  global: Pick<GlobalDefs, 'linkbeatUsePolling'>;
  linkbeatInterfaces: readonly Pick<LinkbeatInterface, 'name'>[];
  /** Each instance's interface and whether it asked for polling itself (deprecated there). */
  instances: readonly { interface: string; linkbeatUsePolling: boolean }[];
  /** Interfaces some instance tracks (its own, track_interface): the only ones worth polling. */
  tracked: ReadonlySet<string>;
}

/** The interfaces the instances and sync groups track: their own and track_interface's. */
export function trackedInterfaces(spec: EngineSpec): Set<string> {
  const names = new Set<string>();
  for (const i of spec.instances) {
    if (i.interface !== '') names.add(i.interface); // '': none (unicast, keepalived 2.4.3)
    // a VIP's own interface (keepalived's TRACK_ADDR): missing or down, the instance faults
    for (const name of i.addressInterfaces ?? []) names.add(name);
    for (const t of i.trackInterfaces) names.add(t.ifname);
  }
  for (const g of spec.syncGroups) for (const t of g.trackInterfaces) names.add(t.ifname);
  return names;
}

/** The interfaces to poll, and keepalived's lines about those it turns polling off for. */
export function polledInterfaces(x: LinkbeatInputs): { polled: string[]; messages: string[] } {
  const wanted = new Set(x.linkbeatInterfaces.map((l) => l.name));
  for (const i of x.instances)
    if (i.linkbeatUsePolling || x.global.linkbeatUsePolling) wanted.add(i.interface);
  const polled: string[] = [];
  const messages: string[] = [];
  for (const name of wanted) {
    if (x.tracked.has(name)) polled.push(name);
    else messages.push(`Turning off linkbeat for ${name} since not used for tracking`);
  }
  if (polled.length > 0) messages.push('Using MII-BMSR/ETHTOOL NIC polling thread(s)...');
  return { polled, messages };
}

/** polledInterfaces for a configuration and the engine spec made of it. */
export function polledFromModel(model: Model, spec: EngineSpec): { polled: string[]; messages: string[] } {
  return polledInterfaces({
    global: model.global,
    linkbeatInterfaces: model.linkbeatInterfaces,
    instances: model.instances.flatMap((i) =>
      i.interface !== undefined ? [{ interface: i.interface, linkbeatUsePolling: i.linkbeatUsePolling }] : [],
    ),
    tracked: trackedInterfaces(spec),
  });
}

export class LinkbeatPoller {
  private polled = new Set<string>();
  private readonly last = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly rtnl: Rtnetlink,
    private readonly log: Logger,
    /** A polled interface changed state (after the log line). */
    private readonly onChange: (ifname: string, up: boolean) => void,
  ) {}

  /** Whether netlink's link messages are to be ignored for this interface. */
  polls(ifname: string): boolean {
    return this.polled.has(ifname);
  }

  /** Start or re-target polling; `initial`: the state each interface is believed to be in now. */
  configure(names: readonly string[], initial: (name: string) => boolean): void {
    this.polled = new Set(names);
    for (const k of [...this.last.keys()]) if (!this.polled.has(k)) this.last.delete(k);
    for (const n of names) if (!this.last.has(n)) this.last.set(n, initial(n));
    if (names.length === 0) this.stop();
    else this.timer ??= setInterval(() => void this.poll(), LINKBEAT_POLL_MS);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    let links;
    try {
      links = await this.rtnl.listLinks();
    } catch (e) {
      this.log.warn(`linkbeat: ${(e as Error).message}`);
      return;
    }
    if (this.timer === undefined) return;
    for (const name of this.polled) {
      const l = links.find((x) => x.name === name);
      const up = l !== undefined && l.up && l.running;
      if (this.last.get(name) === up) continue;
      this.last.set(name, up);
      this.log.info(`Linkbeat reports ${name} ${up ? 'up' : 'down'}`);
      this.onChange(name, up);
    }
  }
}
