// Service and destination counters in dumps: IPVS_*_ATTR_STATS (u32 counters, u64 byte counts) and
// IPVS_*_ATTR_STATS64 (every counter u64). Both decode into one shape of bigints.

import {
  type Attr,
  type AttrSpec,
  type DecodeResult,
  attr,
  decodeAttrs,
  findAttr,
} from '../../net/netlink/codec.js';
import {
  IPVS_STATS_ATTR_CONNS,
  IPVS_STATS_ATTR_CPS,
  IPVS_STATS_ATTR_INBPS,
  IPVS_STATS_ATTR_INBYTES,
  IPVS_STATS_ATTR_INPKTS,
  IPVS_STATS_ATTR_INPPS,
  IPVS_STATS_ATTR_OUTBPS,
  IPVS_STATS_ATTR_OUTBYTES,
  IPVS_STATS_ATTR_OUTPKTS,
  IPVS_STATS_ATTR_OUTPPS,
} from './constants.js';
import { attrCounter, u64Attr } from './wire-common.js';
import type { IpvsCounters } from '../table/counters.js';

/** The kernel's counters of a service or destination: one shape with the table's sums (lb/table/counters.ts). */
export type IpvsStats = IpvsCounters;

const FIELDS: ReadonlyArray<[keyof IpvsStats, number]> = [
  ['conns', IPVS_STATS_ATTR_CONNS],
  ['inpkts', IPVS_STATS_ATTR_INPKTS],
  ['outpkts', IPVS_STATS_ATTR_OUTPKTS],
  ['inbytes', IPVS_STATS_ATTR_INBYTES],
  ['outbytes', IPVS_STATS_ATTR_OUTBYTES],
  ['cps', IPVS_STATS_ATTR_CPS],
  ['inpps', IPVS_STATS_ATTR_INPPS],
  ['outpps', IPVS_STATS_ATTR_OUTPPS],
  ['inbps', IPVS_STATS_ATTR_INBPS],
  ['outbps', IPVS_STATS_ATTR_OUTBPS],
];

/** The nest's content in the kernel's order: `wide` for STATS64, else u32 counters and u64 byte counts. */
export function encodeStats(stats: IpvsStats, wide: boolean): AttrSpec[] {
  return FIELDS.map(([field, type]) =>
    wide || field === 'inbytes' || field === 'outbytes'
      ? u64Attr(type, stats[field])
      : attr.u32(type, Number(BigInt.asUintN(32, stats[field]))),
  );
}

/** Every counter must be there (libipvs refuses a partial set too); PAD attributes are skipped. */
export function decodeStats(nest: Attr): DecodeResult<IpvsStats> {
  const attrs = decodeAttrs(nest.data);
  if (!attrs.ok) return attrs;
  const out: Partial<IpvsStats> = {};
  for (const [field, type] of FIELDS) {
    const v = attrCounter(findAttr(attrs.value, type));
    if (v === undefined) return { ok: false, error: `stats counter ${field} missing` };
    out[field] = v;
  }
  return { ok: true, value: out as IpvsStats };
}
