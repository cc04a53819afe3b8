// The VRRP advertisement as the engine sees it, independent of wire version and address family.
// The codec (packet.ts) turns bytes into these and back; the state machine only ever sees these.

export type IpFamily = 4 | 6;
export type VrrpVersion = 2 | 3;

/** v2 authentication types (RFC 2338/3768 and keepalived): 0 none, 1 simple text, 2 IPSEC-AH. */
export type AuthType = 'none' | 'pass' | 'ah';

export interface Advert {
  version: VrrpVersion;
  vrid: number;
  priority: number;
  /** Advertisement interval in centiseconds, whatever the version (v2's seconds are multiplied by 100). */
  intervalCs: number;
  /** The virtual addresses, in wire order, as text (dotted quad or RFC 5952 IPv6). */
  addresses: string[];
  /** v2 only. */
  authType: AuthType;
}

/** An advert as received, with what the IP layer told us about it. */
export interface ReceivedAdvert {
  advert: Advert;
  family: IpFamily;
  /** Source address of the IP packet: the sender's primary address, used for tie-breaks. */
  source: string;
  destination: string;
  /** IPv4 TTL or IPv6 hop limit as received. */
  ttl: number;
  /** Interface it arrived on. */
  ifname: string;
  /** When the kernel received it (monotonic ms, the engine's clock), when the socket says. Reported only
   * (a takeover's timing starts there); the protocol runs on the time the advert is handled. */
  arrivedAt?: number;
}

/** Why an incoming packet was dropped. Names follow keepalived's per-instance statistics where one exists. */
export type AdvertDropReason =
  | 'packet_len_err'
  | 'ip_ttl_err'
  | 'invalid_type_rcvd'
  | 'version_err'
  | 'checksum_err'
  | 'vrid_mismatch'
  | 'addr_list_err'
  | 'advert_interval_err'
  | 'invalid_authtype'
  | 'authtype_mismatch'
  | 'auth_failure'
  | 'hmac_missing'
  | 'hmac_malformed'
  | 'hmac_key_unknown'
  | 'hmac_digest_err'
  | 'hmac_replay'
  | 'hmac_time_window'
  | 'unicast_peer_unknown'
  | 'own_packet'
  /** IP protocol is neither VRRP nor AH carrying VRRP (keepalived ignores these without counting). */
  | 'not_vrrp';
