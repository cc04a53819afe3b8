// Per-instance counters under keepalived's names (vrrp_stats: the `keepalived --signum=STATS` file, SNMP,
// JSON), plus the SNMP RFC ones (vers_err, vrid_err, chk_err) and the auth_hmac ones (auth_ext_*).

import type { AdvertDropReason } from '../advert.js';

export interface VrrpStats {
  advert_rcvd: number;
  advert_sent: number;
  become_master: number;
  release_master: number;
  packet_len_err: number;
  advert_interval_err: number;
  ip_ttl_err: number;
  invalid_type_rcvd: number;
  addr_list_err: number;
  invalid_authtype: number;
  authtype_mismatch: number;
  auth_failure: number;
  pri_zero_rcvd: number;
  pri_zero_sent: number;
  /** RFC 6527 (VRRPv3 MIB) protocol error counters keepalived keeps for SNMP. */
  vers_err: number;
  vrid_err: number;
  chk_err: number;
  /** auth_hmac (keepalived 2.4). */
  auth_ext_missing: number;
  auth_ext_malformed: number;
  auth_ext_unknown_key: number;
  auth_ext_invalid_hmac: number;
  auth_ext_stale: number;
  auth_ext_replay: number;
}

export function newStats(): VrrpStats {
  return {
    advert_rcvd: 0,
    advert_sent: 0,
    become_master: 0,
    release_master: 0,
    packet_len_err: 0,
    advert_interval_err: 0,
    ip_ttl_err: 0,
    invalid_type_rcvd: 0,
    addr_list_err: 0,
    invalid_authtype: 0,
    authtype_mismatch: 0,
    auth_failure: 0,
    pri_zero_rcvd: 0,
    pri_zero_sent: 0,
    vers_err: 0,
    vrid_err: 0,
    chk_err: 0,
    auth_ext_missing: 0,
    auth_ext_malformed: 0,
    auth_ext_unknown_key: 0,
    auth_ext_invalid_hmac: 0,
    auth_ext_stale: 0,
    auth_ext_replay: 0,
  };
}

/** The counter a drop reason increments, or undefined when keepalived counts nothing for it
 * (unknown unicast source, own packets, foreign protocols). */
export const DROP_COUNTER: Readonly<Record<AdvertDropReason, keyof VrrpStats | undefined>> = {
  packet_len_err: 'packet_len_err',
  ip_ttl_err: 'ip_ttl_err',
  invalid_type_rcvd: 'invalid_type_rcvd',
  version_err: 'vers_err',
  checksum_err: 'chk_err',
  vrid_mismatch: 'vrid_err',
  addr_list_err: 'addr_list_err',
  // keepalived drops a v2 interval mismatch without counting it; we count it where the name says.
  advert_interval_err: 'advert_interval_err',
  invalid_authtype: 'invalid_authtype',
  authtype_mismatch: 'authtype_mismatch',
  auth_failure: 'auth_failure',
  hmac_missing: 'auth_ext_missing',
  hmac_malformed: 'auth_ext_malformed',
  hmac_key_unknown: 'auth_ext_unknown_key',
  hmac_digest_err: 'auth_ext_invalid_hmac',
  hmac_replay: 'auth_ext_replay',
  hmac_time_window: 'auth_ext_stale',
  unicast_peer_unknown: undefined,
  own_packet: undefined,
  not_vrrp: undefined,
};

/** Counts a dropped packet. */
export function countDrop(stats: VrrpStats, reason: AdvertDropReason): void {
  const counter = DROP_COUNTER[reason];
  if (counter) stats[counter]++;
}

/** Counts an accepted advert: advert_rcvd, any accepted-but-noted problems, and priority 0. */
export function countAccepted(
  stats: VrrpStats,
  priority: number,
  notes: readonly AdvertDropReason[] = [],
): void {
  stats.advert_rcvd++;
  for (const note of notes) countDrop(stats, note);
  if (priority === 0) stats.pri_zero_rcvd++;
}

/** Counts an advert we sent. */
export function countSent(stats: VrrpStats, priority: number): void {
  stats.advert_sent++;
  if (priority === 0) stats.pri_zero_sent++;
}
