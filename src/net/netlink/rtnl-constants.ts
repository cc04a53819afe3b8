// rtnetlink numbers (linux/rtnetlink.h, linux/netlink.h) shared by the link/address/route/rule codecs.

export const NETLINK_ROUTE = 0;

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;

/** Legacy bind() group bitmask (RTMGRP_*), for sockaddr_nl.nl_groups. */
export const RTMGRP_LINK = 0x1;
export const RTMGRP_IPV4_IFADDR = 0x10;
export const RTMGRP_IPV4_ROUTE = 0x40;
export const RTMGRP_IPV6_IFADDR = 0x100;
export const RTMGRP_IPV6_ROUTE = 0x400;

/** Group numbers (RTNLGRP_*), for setsockopt(NETLINK_ADD_MEMBERSHIP). */
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV4_RULE = 8;
export const RTNLGRP_IPV6_IFADDR = 9;
export const RTNLGRP_IPV6_ROUTE = 11;
export const RTNLGRP_IPV6_RULE = 19;

/** Route scopes (rtm_scope / ifa_scope). */
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_SITE = 200;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;

export type ScopeName = 'global' | 'site' | 'link' | 'host' | 'nowhere';

const SCOPES: Record<ScopeName, number> = {
  global: RT_SCOPE_UNIVERSE,
  site: RT_SCOPE_SITE,
  link: RT_SCOPE_LINK,
  host: RT_SCOPE_HOST,
  nowhere: RT_SCOPE_NOWHERE,
};

export function scopeNumber(scope: ScopeName | number): number {
  return typeof scope === 'number' ? scope : SCOPES[scope];
}

/** Name for a scope number, or the number itself when it has none (as ip(8) prints it). */
export function scopeName(n: number): ScopeName | number {
  for (const [name, num] of Object.entries(SCOPES)) if (num === n) return name as ScopeName;
  return n;
}

/** Routing tables. */
export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

/** Route origin (rtm_protocol). keepalived marks its own routes with 18. */
export const RTPROT_UNSPEC = 0;
export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;
export const RTPROT_STATIC = 4;
export const RTPROT_KEEPALIVED = 18;

/** A request ready to be framed: the client adds sequence number and port id. */
export interface RtnlRequest {
  type: number;
  flags: number;
  payload: Buffer;
}
