// How much receive buffer an instance asks of its VRRP socket, as keepalived 2.4.3 sizes its socket pool
// (vrrp_scheduler.c vrrp_create_sockpool): the instance's kernel_rx_buf_size, else global_defs'
// vrrp_rx_bufs_policy: a fixed size, or vrrp_rx_bufs_multiplier times the instance's advert length
// (ADVERT) or its interface's MTU (MTU, known only at run time). Instances sharing a socket add up; with no
// share at all the socket keeps the kernel's default. Pure.
import { HMAC_TRAILER_LENGTH } from './wire/auth-hmac.js';

/** vrrp_rx_bufs_policy as the parser normalised it: 'MTU', 'ADVERT' or a size in bytes. */
export type RxBufsPolicy = 'MTU' | 'ADVERT' | number;

export type RxBufferShare = { bytes: number } | { mtuTimes: number };

export interface AdvertShape {
  family: 4 | 6;
  version: 2 | 3;
  vipCount: number;
  ah: boolean;
  /** auth_hmac that sends its trailer (not receive-only). */
  hmacTrailer: boolean;
}

const VRRP_HEADER = 8;
const VRRP_V2_AUTH = 8;
const IPV4_HEADER = 20;
const AH_HEADER = 24;

/** keepalived's vrrp_adv_len: the VRRP packet, plus for IPv4 its IP header (and AH), plus an HMAC trailer. */
export function advertLength(a: AdvertShape): number {
  let len = VRRP_HEADER + a.vipCount * (a.family === 4 ? 4 : 16);
  if (a.family === 4) {
    if (a.version === 2) len += VRRP_V2_AUTH;
    len += IPV4_HEADER + (a.ah ? AH_HEADER : 0);
  }
  return len + (a.hmacTrailer ? HMAC_TRAILER_LENGTH : 0);
}

/** One instance's share of its socket's receive buffer, or undefined when it asks for none. */
export function rxBufferShare(
  kernelRxBufSize: number | undefined,
  policy: RxBufsPolicy | undefined,
  multiplier: number,
  advert: AdvertShape,
): RxBufferShare | undefined {
  if (kernelRxBufSize !== undefined && kernelRxBufSize > 0) return { bytes: kernelRxBufSize };
  if (typeof policy === 'number') return { bytes: policy };
  if (policy === 'ADVERT') return { bytes: multiplier * advertLength(advert) };
  if (policy === 'MTU') return { mtuTimes: multiplier };
  return undefined;
}

/** The bytes of one share on an interface of that MTU. */
export function shareBytes(share: RxBufferShare, mtu: number | undefined): number {
  return 'bytes' in share ? share.bytes : share.mtuTimes * (mtu ?? 0);
}
