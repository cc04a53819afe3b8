// An async rtnetlink client: requests matched to replies by sequence number, kernel errors as
// errno-named exceptions, dumps collected until NLMSG_DONE, and a separate socket for notifications.

import {
  type NetlinkMessage,
  decodeAck,
  decodeDoneStatus,
  decodeMessages,
  encodeMessage,
  errnoName,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
} from './codec.js';
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
  createMacvlanRequest,
  decodeRtnlMessage,
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
import { type NetlinkTransport, openNetlinkSocket } from './transport.js';

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

interface Pending {
  type: number;
  expectsAck: boolean;
  replies: NetlinkMessage[];
  interrupted: boolean;
  resolve: (replies: NetlinkMessage[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const DUMP_RETRIES = 3;

export class Rtnetlink {
  private nextSeq = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private dumpQueue: Promise<void> = Promise.resolve();
  private reading = false;
  private readonly timeoutMs: number;

  constructor(
    private readonly transport: NetlinkTransport,
    options: RtnetlinkOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    // An idle client must not hold the process open; a request in flight does, through its timeout timer.
    transport.setKeepAlive?.(false);
  }

  /** Reads only while requests are in flight, so an idle client holds no event-loop handle at all. */
  private startReading(): void {
    if (this.reading) return;
    this.reading = true;
    this.transport.onMessage(
      (d) => this.receive(d),
      (e) => this.failAll(e),
    );
  }

  /** A client on its own NETLINK_ROUTE socket from the native addon. */
  static open(options: RtnetlinkOptions = {}): Rtnetlink {
    return new Rtnetlink(openNetlinkSocket(), options);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('rtnetlink client closed'));
    this.transport.close();
  }

  /** Send one request; resolves with its reply messages (none for a plain ack). */
  request(req: RtnlRequest): Promise<NetlinkMessage[]> {
    if (this.closed) return Promise.reject(new Error('rtnetlink client closed'));
    const seq = this.nextSeq;
    this.nextSeq = this.nextSeq >= 0x7fffffff ? 1 : this.nextSeq + 1;
    return new Promise<NetlinkMessage[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(seq);
        reject(Object.assign(new Error(`rtnetlink request ${req.type} timed out`), { code: 'ETIMEDOUT' }));
      }, this.timeoutMs);
      this.pending.set(seq, {
        type: req.type,
        expectsAck: (req.flags & NLM_F_ACK) !== 0,
        replies: [],
        interrupted: false,
        resolve,
        reject,
        timer,
      });
      this.startReading();
      try {
        this.transport.send(
          encodeMessage({ type: req.type, flags: req.flags, seq, pid: 0, payload: req.payload }),
        );
      } catch (error) {
        this.settle(seq);
        reject(error as Error);
      }
    });
  }

  private settle(seq: number): Pending | undefined {
    const p = this.pending.get(seq);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(seq);
    if (this.pending.size === 0 && this.reading && this.transport.stopReading && !this.closed) {
      this.transport.stopReading();
      this.reading = false;
    }
    return p;
  }

  private failAll(error: Error): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq)?.reject(error);
  }

  private receive(datagram: Buffer): void {
    const decoded = decodeMessages(datagram);
    if (!decoded.ok) {
      this.failAll(
        Object.assign(new Error(`malformed netlink reply: ${decoded.error}`), { code: 'EBADMSG' }),
      );
      return;
    }
    for (const msg of decoded.value) {
      const p = this.pending.get(msg.seq);
      if (!p || msg.type === NLMSG_NOOP || msg.type === NLMSG_OVERRUN) continue;
      if (msg.flags & NLM_F_DUMP_INTR) p.interrupted = true;
      if (msg.type === NLMSG_ERROR) {
        const ack = decodeAck(msg);
        this.settle(msg.seq);
        if (!ack.ok) p.reject(Object.assign(new Error(ack.error), { code: 'EBADMSG' }));
        else if (ack.value.errno === 0) p.resolve(p.replies);
        else
          p.reject(
            new RtnetlinkError(errnoName(ack.value.errno), ack.value.errno, p.type, ack.value.extackMessage),
          );
      } else if (msg.type === NLMSG_DONE) {
        const status = decodeDoneStatus(msg);
        this.settle(msg.seq);
        if (status > 0) p.reject(new RtnetlinkError(errnoName(status), status, p.type));
        else if (p.interrupted) p.reject(Object.assign(new Error('dump interrupted'), { code: 'EINTR' }));
        else p.resolve(p.replies);
      } else {
        p.replies.push(msg);
        // A single (non-multipart) answer completes the request unless an ack is still to come.
        if (!(msg.flags & NLM_F_MULTI) && !p.expectsAck) this.settle(msg.seq)?.resolve(p.replies);
      }
    }
  }

  /**
   * Runs a dump, retrying when the kernel says the table changed under it (NLM_F_DUMP_INTR). Dumps queue
   * behind each other: the kernel allows one in progress per socket (EBUSY otherwise).
   */
  private dump(req: RtnlRequest): Promise<RtnlObject[]> {
    const run = this.dumpQueue.then(() => this.dumpNow(req));
    this.dumpQueue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async dumpNow(req: RtnlRequest): Promise<RtnlObject[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const replies = await this.request(req);
        const out: RtnlObject[] = [];
        for (const m of replies) {
          const r = decodeRtnlMessage(m);
          if (r.ok && r.value) out.push(r.value);
        }
        return out;
      } catch (error) {
        if ((error as { code?: string }).code !== 'EINTR' || attempt >= DUMP_RETRIES) throw error;
      }
    }
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
  return { close: () => transport.close() };
}

// Re-exported so callers need one import for the flags they may pass through `request`.
export { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST };
