// The addresses this host holds, kept current from rtnetlink (for ha_suspend: a virtual server's checkers
// run only while its address is here, as keepalived's checker process follows its netlink address events).
// One entry per interface holding an address: the same VIP on two interfaces counts twice.
// lvs_netlink_{cmd,monitor}_rcv_bufs[_force] size its two sockets: the command socket lists the addresses
// (kept open for the re-listing an overrun asks), the monitor follows their changes.
import { Rtnetlink, subscribe, type Subscription } from '../../net/netlink/rtnetlink.js';
import type { AddressInfo } from '../../net/netlink/rtnl-addr.js';
import type { Logger } from '../process/log.js';
import { applyNetlinkBuffers, type NetlinkReceiveBuffers } from '../process/netlink-buffers.js';

export class LocalAddresses {
  private readonly held = new Map<string, string>();
  private subscription: Subscription | undefined;
  private command: Rtnetlink | undefined;

  private constructor(
    private readonly onChange: (addresses: string[]) => void,
    private readonly report?: (address: string, added: boolean) => void,
  ) {}

  /** Lists the addresses now, then calls `onChange` with the whole list after every change; `report`
   * hears of each address listed at start and of each one added or removed after (keepalived's -a). */
  static async watch(
    onChange: (addresses: string[]) => void,
    log: Logger,
    buffers: NetlinkReceiveBuffers,
    report?: (address: string, added: boolean) => void,
  ): Promise<LocalAddresses> {
    const watcher = new LocalAddresses(onChange, report);
    watcher.subscription = subscribe(
      (event) => {
        if (event.kind === 'overrun') void watcher.reread(log);
        else if (event.kind === 'address') {
          watcher.report?.(event.address.address, !event.removed);
          const key = entryKey(event.address);
          if (event.removed) watcher.held.delete(key);
          else watcher.held.set(key, event.address.address);
          watcher.onChange(watcher.current());
        }
      },
      { keepAlive: false, onError: (e) => log.warn(`address monitor: ${e.message}`) },
    );
    try {
      watcher.command = Rtnetlink.open();
    } catch (e) {
      log.warn(`cannot open a netlink socket to list this host's addresses: ${(e as Error).message}`);
    }
    applyNetlinkBuffers({ command: watcher.command, monitor: watcher.subscription }, buffers, log);
    await watcher.reread(log, false);
    for (const address of watcher.current()) report?.(address, true);
    return watcher;
  }

  current(): string[] {
    return [...this.held.values()];
  }

  close(): void {
    this.subscription?.close();
    this.subscription = undefined;
    this.command?.close();
    this.command = undefined;
  }

  private async reread(log: Logger, notify = true): Promise<void> {
    if (this.command === undefined) return;
    try {
      const all = await this.command.listAddresses();
      this.held.clear();
      for (const a of all) this.held.set(entryKey(a), a.address);
      if (notify) this.onChange(this.current());
    } catch (e) {
      log.warn(`cannot list this host's addresses: ${(e as Error).message}`);
    }
  }
}

function entryKey(a: AddressInfo): string {
  return `${a.ifindex} ${a.address}`;
}
