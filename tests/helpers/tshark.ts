// Captures read back with tshark: one record per packet, keyed by field name, and the VRRP advert fields
// every test reads the same way (vrrp-capture.ts for the interop tests, differential-observe.ts for the
// differential harness).
import { spawnSync } from 'node:child_process';

/** The fields of a VRRP advert and the IP packet around it. */
export const VRRP_FIELDS = [
  'eth.src',
  'ip.src',
  'ipv6.src',
  'ip.dst',
  'ipv6.dst',
  'ip.ttl',
  'ipv6.hlim',
  'vrrp.version',
  'vrrp.type',
  'vrrp.virt_rtr_id',
  'vrrp.prio',
  'vrrp.addr_count',
  'vrrp.adver_int',
  'vrrp.short_adver_int',
  'vrrp.ip_addr',
  'vrrp.ipv6_addr',
  'vrrp.checksum.status',
  'vrrp.auth_type',
  'ah.spi',
] as const;

export type TsharkRecord = Record<string, string>;

/**
 * The packets of `file` that match `filter`, each as its `fields` (multiple values joined by ',').
 * `lenient`: a non-zero exit with output (an unknown preference only warns) is not a failure.
 */
export function tsharkRecords(
  file: string,
  filter: string,
  fields: readonly string[],
  lenient = false,
): TsharkRecord[] {
  const r = spawnSync(
    'tshark',
    [
      '-r',
      file,
      '-Y',
      filter,
      '-T',
      'fields',
      '-E',
      'separator=\t',
      '-E',
      'aggregator=,',
      ...fields.flatMap((f) => ['-e', f]),
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.status !== 0 && !(lenient && r.stdout))
    throw new Error(`tshark -r ${file} failed (${r.status}): ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const values = line.split('\t');
      return Object.fromEntries(fields.map((f, i) => [f, values[i] ?? '']));
    });
}

/** A VRRP advert as tshark decodes it. */
export interface TsharkAdvert {
  src: string;
  dst: string;
  ttl: number;
  version: number;
  type: number;
  vrid: number;
  priority: number;
  addrCount: number;
  /** VRRPv2: seconds; VRRPv3: centiseconds. */
  interval: number;
  authType?: number;
  addresses: string[];
  /** Whether the packet came inside an IPsec AH header. */
  ah: boolean;
  srcMac: string;
  checksum: 'good' | 'bad' | 'unverified' | '?' | string;
}

/** The advert in a record read with VRRP_FIELDS. */
export function tsharkAdvert(r: TsharkRecord): TsharkAdvert {
  const at = (f: string): string => r[f] ?? '';
  const num = (f: string): number => Number(at(f).split(',')[0]);
  const list = (f: string): string[] => (at(f) ? at(f).split(',') : []);
  const version = num('vrrp.version');
  const status = at('vrrp.checksum.status');
  return {
    src: at('ip.src') || at('ipv6.src'),
    dst: at('ip.dst') || at('ipv6.dst'),
    ttl: at('ip.ttl') ? num('ip.ttl') : num('ipv6.hlim'),
    version,
    type: num('vrrp.type'),
    vrid: num('vrrp.virt_rtr_id'),
    priority: num('vrrp.prio'),
    addrCount: num('vrrp.addr_count'),
    interval: version === 3 ? num('vrrp.short_adver_int') : num('vrrp.adver_int'),
    ...(at('vrrp.auth_type') ? { authType: num('vrrp.auth_type') } : {}),
    addresses: [...list('vrrp.ip_addr'), ...list('vrrp.ipv6_addr')],
    ah: at('ah.spi') !== '',
    srcMac: at('eth.src'),
    checksum:
      status === ''
        ? '?'
        : status === '1'
          ? 'good'
          : status === '0'
            ? 'bad'
            : status === '2'
              ? 'unverified'
              : `status${status}`,
  };
}
