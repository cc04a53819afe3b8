// The VRRP child's kernel changes (addresses, routes, rules, and whatever must follow them) go through one
// promise chain, in the order the engine asked for them: an add and the remove after it never race, and a
// failure is logged without stopping the ones behind it.
import {
  RtnetlinkError,
  type ClientAddressSpec,
  type ClientRouteSpec,
  type Rtnetlink,
} from '../../net/netlink/rtnetlink.js';
import type { RuleSpec as NetlinkRule } from '../../net/netlink/rtnl-rule.js';
import type { Logger } from '../process/log.js';

export class KernelQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly rtnl: Rtnetlink,
    private readonly log: Logger,
  ) {}

  /** Runs `op` after everything queued before it; `what` names it in the error line. */
  enqueue(what: string, op: () => Promise<void>): void {
    this.tail = this.tail.then(op).catch((e: unknown) => {
      this.log.error(`${what}: ${(e as Error).message}`);
    });
  }

  /** Resolves when everything queued so far is done. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** Adds or removes one address; "already there" / "already gone" is the state we wanted. */
  address(add: boolean, req: ClientAddressSpec, what: string): void {
    this.enqueue(what, async () => {
      try {
        if (add) await this.rtnl.addAddress(req);
        else await this.rtnl.deleteAddress(req);
      } catch (e) {
        if (e instanceof RtnetlinkError && (e.code === 'EEXIST' || e.code === 'EADDRNOTAVAIL')) return;
        throw e;
      }
    });
  }

  route(add: boolean, req: ClientRouteSpec, what: string): void {
    this.enqueue(what, async () => {
      try {
        if (add) await this.rtnl.addRoute(req, { replace: true });
        else await this.rtnl.deleteRoute(req);
      } catch (e) {
        if (e instanceof RtnetlinkError && (e.code === 'EEXIST' || e.code === 'ESRCH')) return;
        throw e;
      }
    });
  }

  rule(add: boolean, req: NetlinkRule, what: string): void {
    this.enqueue(what, async () => {
      try {
        if (add) await this.rtnl.addRule(req);
        else await this.rtnl.deleteRule(req);
      } catch (e) {
        if (e instanceof RtnetlinkError && (e.code === 'EEXIST' || e.code === 'ENOENT')) return;
        throw e;
      }
    });
  }
}
