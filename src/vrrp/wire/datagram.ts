// One advert as it leaves: the bytes handed to the raw socket for one destination. IPv4: the whole packet
// (our own IP header, AH when configured, the auth_hmac trailer); IPv6: the VRRP payload (the kernel adds
// the header and fills the checksum). The one place an advert datagram is assembled, for the daemon (its
// sends and the timed sender's), and the simulator.
import type { Advert, IpFamily } from '../advert.js';
import { addressToBytes } from '../../common/inet.js';
import { appendHmacTrailer, type HmacConfig, type HmacSendState } from './auth-hmac.js';
import { IPPROTO_AH, IPPROTO_VRRP } from './ipv4.js';
import { buildIpv4Packet, encodeAdvert, type ChecksumMode } from './packet.js';

/** How an instance frames its adverts, beyond the advert itself (keepalived's per-instance settings). */
export interface AdvertWireSettings {
  /** vrrp_mcast_group4 / vrrp_mcast_group6 or mcast_dst_ip: where multicast adverts go. */
  multicastGroup: string;
  /** v3_checksum_as_v2: VRRPv3 over IPv4 without the pseudo-header. */
  v3ChecksumAsV2: boolean;
  /** old_unicast_checksum: `auto` computes unicast v3 checksums over the multicast group. */
  oldUnicastChecksum: 'auto' | 'never' | undefined;
  /** unicast_ttl. IPv4: the TTL of every advert (keepalived writes it into its IP header whatever the
   * destination); IPv6: the hop limit of unicast adverts only. Unset: 255 (IPv6: the socket's 255). */
  ttl?: number;
  /** check_unicast_src (or vrrp_check_unicast_src, or a peer's min_ttl/max_ttl): unicast adverts must come
   * from a unicast_peer, with a TTL/hop limit in that peer's range. */
  checkUnicastSource?: boolean;
  /** unicast_peer lines with min_ttl/max_ttl (peers absent here take 0..255). */
  peerTtls?: { address: string; minTtl?: number; maxTtl?: number }[];
}

/** keepalived's defaults: the RFC groups and checksums. */
export function defaultWireSettings(family: IpFamily): AdvertWireSettings {
  return {
    multicastGroup: family === 4 ? '224.0.0.18' : 'ff02::12',
    v3ChecksumAsV2: false,
    oldUnicastChecksum: undefined,
  };
}

export interface AdvertDatagram {
  destination: string;
  /** IPv6 unicast_ttl: the hop limit this datagram leaves with (else the socket's). */
  hopLimit?: number;
  /** IPPROTO_VRRP, or IPPROTO_AH for a v2 AH advert over IPv4. */
  protocol: number;
  bytes: Uint8Array;
}

export interface AssembleOptions {
  family: IpFamily;
  source: string;
  destination: string;
  /** Sent to a unicast peer (the checksum and AH coverage differ). */
  unicast: boolean;
  settings: AdvertWireSettings;
  /** v2 PASS password and AH key. */
  authPass?: string;
  /** IPv4 identification; 0 leaves it to the kernel. */
  ipId: number;
  /** IPv4 TTL; VRRP's 255 unless given. */
  ttl?: number;
  /** v2 IPSEC-AH: this advert's sequence number. */
  ahSequence?: number;
  /** auth_hmac: sign with a trailer. */
  hmac?: { config: HmacConfig; state: HmacSendState; nowRealtimeMs: number };
}

/** The v3-over-IPv4 checksum an instance's settings ask for when sending to `unicast` or the group. */
export function checksumModeFor(settings: AdvertWireSettings, unicast: boolean): ChecksumMode {
  if (settings.v3ChecksumAsV2) return 'v2-style';
  return unicast && settings.oldUnicastChecksum === 'auto' ? 'old-unicast' : 'rfc';
}

/** The datagram of `advert` to one destination. Throws a RangeError for an address that does not parse. */
export function assembleAdvert(advert: Advert, o: AssembleOptions): AdvertDatagram {
  if (o.family === 4) {
    const ah = o.ahSequence !== undefined ? { sequence: o.ahSequence, unicast: o.unicast } : undefined;
    const bytes = buildIpv4Packet(advert, {
      source: o.source,
      destination: o.destination,
      id: o.ipId,
      ...((o.ttl ?? o.settings.ttl) !== undefined ? { ttl: o.ttl ?? o.settings.ttl } : {}),
      checksumMode: checksumModeFor(o.settings, o.unicast),
      multicastGroup4: o.settings.multicastGroup,
      ...(o.authPass !== undefined ? { authPass: o.authPass } : {}),
      ...(ah ? { ah } : {}),
      ...(o.hmac ? { hmac: o.hmac } : {}),
    });
    return { destination: o.destination, protocol: ah ? IPPROTO_AH : IPPROTO_VRRP, bytes };
  }
  // The HMAC reads the checksum field as zero, so signing before the kernel fills it is exact.
  const pdu = encodeAdvert(advert, { family: 6 });
  const bytes = o.hmac
    ? appendHmacTrailer(pdu, {
        family: 6,
        version: advert.version,
        vrid: advert.vrid,
        source: addressToBytes(o.source, 6) ?? new Uint8Array(16),
        config: o.hmac.config,
        state: o.hmac.state,
        nowRealtimeMs: o.hmac.nowRealtimeMs,
      })
    : pdu;
  const hopLimit = o.unicast ? o.settings.ttl : undefined;
  return {
    destination: o.destination,
    protocol: IPPROTO_VRRP,
    bytes,
    ...(hopLimit !== undefined ? { hopLimit } : {}),
  };
}
