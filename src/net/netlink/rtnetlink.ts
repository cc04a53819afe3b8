// An async rtnetlink client (request bookkeeping in requester.ts): kernel errors as errno-named
// exceptions, dumps decoded into links/addresses/routes/rules, and a separate socket for notifications.

import {
  type NetlinkMessage,
  decodeMessages,
  errnoName,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
} from './codec.js';
import { NetlinkRequester } from './requester.js';
import { type AddressFamily } from './ip-text.js';
import {
  type AddressInfo,
  type AddressSpec,
  type LinkInfo,
  type MacvlanMode,
  type RouteInfo,
  type RouteSpec,
  type RtnlObject,
  type RtnlRequest,
  type RuleInfo,
  type RuleSpec,
  addAddressRequest,
  addRouteRequest,
  addRuleRequest,
  createIpvlanRequest,
  createMacvlanRequest,
  decodeRtnlMessage,
  type IpvlanFlags,
  deleteAddressRequest,
  deleteLinkRequest,
  deleteRouteRequest,
  deleteRuleRequest,
  encodeIfinfomsg,
  getAddressesRequest,
  getLinksRequest,
  getRoutesRequest,
  getRulesRequest,
  setIpv6AddrGenModeRequest,
  setLinkUpRequest,
  IFLA_IFNAME,
  RTM_GETLINK,
  RTNLGRP_IPV4_IFADDR,
  RTNLGRP_IPV6_IFADDR,
  RTNLGRP_LINK,
} from './rtnl-messages.js';
import { attr, encodeAttrs } from './codec.js';
import { type NetlinkTransport, type ReceiveBuffer, openNetlinkSocket } from './transport.js';

/** A request the kernel refused: `code` is the errno name (EEXIST, EADDRNOTAVAIL, ENODEV, ...). */
export class RtnetlinkError extends Error {
  constructor(
    readonly code: string,
    readonly errno: number,
    /** What was asked, for logs: "RTM_NEWADDR" style number. */
    readonly requestType: number,
    /** The kernel's extended-ack text when it gave one. */
    readonly kernelMessage?: string,
  ) {
    super(
      `rtnetlink request type ${requestType} failed: ${code}${kernelMessage ? ` (${kernelMessage})` : ''}`,
    );
    this.name = 'RtnetlinkError';
  }
}

/** Interface by name or index. */
export type Dev = string | number;

export type ClientAddressSpec = Omit<AddressSpec, 'ifindex'> & { dev: Dev };
export type ClientRouteSpec = Omit<RouteSpec, 'oif'> & { dev?: Dev };

export interface ClientMacvlanSpec {
  name: string;
  parent: Dev;
  mac?: string;
  /** keepalived's VMACs are 'private' unless vmac_xmit_base/bridge options say otherwise. */
  mode?: MacvlanMode;
  /** No kernel-generated IPv6 link-local on the VMAC (set right after creation, in a second request). */
  noIpv6AddrGen?: boolean;
}

export interface RtnetlinkOptions {
  /** Reject a request the kernel has not answered within this time (default 5000 ms). */
  timeoutMs?: number;
}

export class Rtnetlink {
  private readonly link: NetlinkRequester;
  /** This socket's netlink port, as the kernel's answers to it say (known after the first dump): the
   * origin of the notifications of the changes it asked for. */
  portId: number | undefined;

  constructor(
    private readonly transport: NetlinkTransport,
    options: RtnetlinkOptions = {},
  ) {
    this.link = new NetlinkRequester(transport, {
      timeoutMs: options.timeoutMs,
      name: 'rtnetlink',
      makeError: (errno, request, kernelMessage) =>
        new RtnetlinkError(errnoName(errno), errno, request.type, kernelMessage),
    });
  }

  /** A client on its own NETLINK_ROUTE socket from the native addon. */
  static open(options: RtnetlinkOptions = {}): Rtnetlink {
    return new Rtnetlink(openNetlinkSocket(), options);
  }

  close(): void {
    this.link.close();
  }

  /** The command socket's receive buffer (undefined: as opened); may throw an errno-coded Error. */
  setReceiveBuffer(buffer: ReceiveBuffer | undefined): void {
    this.transport.setReceiveBuffer?.(buffer);
  }

  /** Send one request; resolves with its reply messages (none for a plain ack). */
  request(req: RtnlRequest): Promise<NetlinkMessage[]> {
    return this.link.request(req);
  }

  /** Runs a dump (queued behind others, again if interrupted) and decodes what it returns. */
  private async dump(req: RtnlRequest): Promise<RtnlObject[]> {
    const out: RtnlObject[] = [];
    for (const m of await this.link.dump(req)) {
      this.portId = m.pid;
      const r = decodeRtnlMessage(m);
      if (r.ok && r.value) out.push(r.value);
    }
    return out;
  }

  async listLinks(): Promise<LinkInfo[]> {
    return (await this.dump(getLinksRequest())).flatMap((o) => (o.kind === 'link' ? [o.link] : []));
  }

  /** One link by name or index; rejects with ENODEV when there is none. */
  async getLink(dev: Dev): Promise<LinkInfo> {
    const byName = typeof dev === 'string';
    const payload = Buffer.concat([
      encodeIfinfomsg({ index: byName ? 0 : dev }),
      byName ? encodeAttrs([attr.str(IFLA_IFNAME, dev)]) : Buffer.alloc(0),
    ]);
    const replies = await this.request({ type: RTM_GETLINK, flags: NLM_F_REQUEST, payload });
    for (const m of replies) {
      const r = decodeRtnlMessage(m);
      if (r.ok && r.value?.kind === 'link') return r.value.link;
    }
    throw new RtnetlinkError('ENODEV', 19, RTM_GETLINK);
  }

  async linkIndex(dev: Dev): Promise<number> {
    return typeof dev === 'number' ? dev : (await this.getLink(dev)).index;
  }

  async listAddresses(family?: AddressFamily): Promise<AddressInfo[]> {
    const all = await this.dump(getAddressesRequest(family));
    return all.flatMap((o) => (o.kind === 'address' ? [o.address] : []));
  }

  async listRoutes(family?: AddressFamily): Promise<RouteInfo[]> {
    return (await this.dump(getRoutesRequest(family))).flatMap((o) => (o.kind === 'route' ? [o.route] : []));
  }

  async listRules(family?: AddressFamily): Promise<RuleInfo[]> {
    return (await this.dump(getRulesRequest(family))).flatMap((o) => (o.kind === 'rule' ? [o.rule] : []));
  }

  /** Add an address; EEXIST if present, unless `replace` (then its flags/lifetimes are updated). */
  async addAddress(spec: ClientAddressSpec, options: { replace?: boolean } = {}): Promise<void> {
    const { dev, ...rest } = spec;
    await this.request(addAddressRequest({ ...rest, ifindex: await this.linkIndex(dev) }, options.replace));
  }

  /** Delete an address; EADDRNOTAVAIL when it is not there. */
  async deleteAddress(spec: ClientAddressSpec): Promise<void> {
    const { dev, ...rest } = spec;
    await this.request(deleteAddressRequest({ ...rest, ifindex: await this.linkIndex(dev) }));
  }

  private async resolveRoute(spec: ClientRouteSpec): Promise<RouteSpec> {
    const { dev, ...rest } = spec;
    return dev === undefined ? rest : { ...rest, oif: await this.linkIndex(dev) };
  }

  async addRoute(spec: ClientRouteSpec, options: { replace?: boolean } = {}): Promise<void> {
    await this.request(addRouteRequest(await this.resolveRoute(spec), options.replace));
  }

  /** Delete a route; ESRCH when none matches. */
  async deleteRoute(spec: ClientRouteSpec): Promise<void> {
    await this.request(deleteRouteRequest(await this.resolveRoute(spec)));
  }

  async addRule(spec: RuleSpec): Promise<void> {
    await this.request(addRuleRequest(spec));
  }

  /** Delete the first rule matching every given field; ENOENT when none does. */
  async deleteRule(spec: RuleSpec): Promise<void> {
    await this.request(deleteRuleRequest(spec));
  }

  /** Create a macvlan (a VRRP VMAC) on `parent`; resolves with the new link. */
  /** An L2 ipvlan on `parent`, up. */
  async createIpvlan(spec: { name: string; parent: Dev; flags: IpvlanFlags }): Promise<LinkInfo> {
    const parentIndex = await this.linkIndex(spec.parent);
    await this.request(createIpvlanRequest({ name: spec.name, parentIndex, flags: spec.flags }));
    return this.getLink(spec.name);
  }

  async createMacvlan(spec: ClientMacvlanSpec): Promise<LinkInfo> {
    const parentIndex = await this.linkIndex(spec.parent);
    await this.request(
      createMacvlanRequest({
        name: spec.name,
        parentIndex,
        mac: spec.mac,
        mode: spec.mode ?? 'private',
      }),
    );
    const link = await this.getLink(spec.name);
    if (spec.noIpv6AddrGen) await this.request(setIpv6AddrGenModeRequest(link.index, true));
    return link;
  }

  async deleteLink(dev: Dev): Promise<void> {
    await this.request(deleteLinkRequest(typeof dev === 'number' ? { index: dev } : { name: dev }));
  }

  /** Administratively up (default) or down. */
  async setLinkUp(dev: Dev, up = true): Promise<void> {
    await this.request(setLinkUpRequest(await this.linkIndex(dev), up));
  }
}

/** A notification, or `overrun` when the kernel dropped some (ENOBUFS): re-read the state you track. */
export type RtnlEvent = RtnlObject | { kind: 'overrun' };

export interface Subscription {
  close(): void;
  /** The event socket's receive buffer (undefined: as opened); may throw an errno-coded Error. */
  setReceiveBuffer(buffer: ReceiveBuffer | undefined): void;
}

export interface SubscribeOptions {
  /** RTNLGRP_* numbers; default link + IPv4 and IPv6 address changes. */
  groups?: number[];
  /** Use this transport (already joined to its groups) instead of opening a native socket. */
  transport?: NetlinkTransport;
  /** Malformed datagrams and unexpected receive errors. */
  onError?: (error: Error) => void;
  /** Whether the subscription alone keeps the process alive (default true). */
  keepAlive?: boolean;
}

/** Listen for link and address changes (track_interface, FAULT on link loss, reinstating deleted VIPs). */
export function subscribe(onEvent: (event: RtnlEvent) => void, options: SubscribeOptions = {}): Subscription {
  const transport =
    options.transport ??
    openNetlinkSocket({
      groups: options.groups ?? [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR],
      receiveBufferBytes: 1024 * 1024,
    });
  transport.setKeepAlive?.(options.keepAlive ?? true);
  transport.onMessage(
    (datagram) => {
      const decoded = decodeMessages(datagram);
      if (!decoded.ok) {
        options.onError?.(new Error(`malformed netlink notification: ${decoded.error}`));
        return;
      }
      for (const msg of decoded.value) {
        const r = decodeRtnlMessage(msg);
        if (!r.ok) options.onError?.(new Error(`malformed rtnetlink message ${msg.type}: ${r.error}`));
        else if (r.value) onEvent(r.value);
      }
    },
    (error) => {
      if ((error as { code?: string }).code === 'ENOBUFS') onEvent({ kind: 'overrun' });
      else options.onError?.(error);
    },
  );
  return {
    close: () => transport.close(),
    setReceiveBuffer: (buffer) => transport.setReceiveBuffer?.(buffer),
  };
}

// Re-exported so callers need one import for the flags they may pass through `request`.
export { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST };
