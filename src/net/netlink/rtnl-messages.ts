// rtnetlink messages in one place: typed requests out, typed kernel messages (replies and events) in.
// Each object kind lives in its own file; this one dispatches on nlmsg_type.

import { type DecodeResult, type NetlinkMessage } from './codec.js';
import { type AddressInfo, decodeAddress } from './rtnl-addr.js';
import {
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_DELRULE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTM_NEWRULE,
} from './rtnl-constants.js';
import { type LinkInfo, decodeLink } from './rtnl-link.js';
import { type RouteInfo, decodeRoute } from './rtnl-route.js';
import { type RuleInfo, decodeRule } from './rtnl-rule.js';

export * from './rtnl-constants.js';
export * from './rtnl-link.js';
export * from './rtnl-addr.js';
export * from './rtnl-route.js';
export * from './rtnl-rule.js';

/** A kernel object from a dump reply or a multicast notification; `removed` for RTM_DEL*. */
export type RtnlObject =
  | { kind: 'link'; removed: boolean; link: LinkInfo }
  /** `origin`: the netlink port of the socket whose request made the change (0: the kernel itself). */
  | { kind: 'address'; removed: boolean; address: AddressInfo; origin?: number }
  | { kind: 'route'; removed: boolean; route: RouteInfo }
  | { kind: 'rule'; removed: boolean; rule: RuleInfo };

/**
 * Decode one rtnetlink message. Types this module does not model give `{ ok: true, value: undefined }`;
 * malformed ones an error result. Never throws.
 */
export function decodeRtnlMessage(msg: NetlinkMessage): DecodeResult<RtnlObject | undefined> {
  switch (msg.type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      const r = decodeLink(msg.payload);
      return r.ok
        ? { ok: true, value: { kind: 'link', removed: msg.type === RTM_DELLINK, link: r.value } }
        : r;
    }
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      const r = decodeAddress(msg.payload);
      return r.ok
        ? {
            ok: true,
            value: { kind: 'address', removed: msg.type === RTM_DELADDR, address: r.value, origin: msg.pid },
          }
        : r;
    }
    case RTM_NEWROUTE:
    case RTM_DELROUTE: {
      const r = decodeRoute(msg.payload);
      return r.ok
        ? { ok: true, value: { kind: 'route', removed: msg.type === RTM_DELROUTE, route: r.value } }
        : r;
    }
    case RTM_NEWRULE:
    case RTM_DELRULE: {
      const r = decodeRule(msg.payload);
      return r.ok
        ? { ok: true, value: { kind: 'rule', removed: msg.type === RTM_DELRULE, rule: r.value } }
        : r;
    }
    default:
      return { ok: true, value: undefined };
  }
}
