// The hostile traffic of the hostile-input kernel test, pure: every category of malformed or forged VRRP
// packet the sender agent (hostile-sender.agent.ts) puts on the LAN, with the verdict each of our two
// routers must count it under (their daemons' keepalived_vrrp_packets_received_total{family,verdict}). The
// routers run the instances of HOSTILE_INSTANCES: `a` (priority 200, MASTER) and `b` (100, BACKUP).
// IPv4 packets are whole (the agent sends them with IP_HDRINCL, any source); IPv6 ones are VRRP payloads,
// sent with the given source (IPV6_FREEBIND) and hop limit, their checksum computed here over the real
// pseudo-header unless the category is about a bad one. Expected verdicts are written out by hand from
// keepalived's rules (RFC 3768/5798 and vrrp_check_packet); `kernel` means the receiving kernel drops the
// packet at the socket before the daemon reads it (IPv6 raw sockets with IPV6_CHECKSUM verify the
// checksum; the socket's drop count shows it); `martian` that its IP layer drops it before any socket (a
// source address that is one of its own: the wire side would call it `own_packet`).
import type { AdvertDropReason, Advert } from '../../src/vrrp/advert.js';
import { addressToBytes } from '../../src/common/inet.js';
import { buildIpv4Packet, encodeAdvert } from '../../src/vrrp/wire/packet.js';
import {
  finishChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  sumWords,
} from '../../src/vrrp/wire/checksum.js';
import { newHmacSendState, type HmacConfig } from '../../src/vrrp/wire/auth-hmac.js';
import { assembleAdvert, defaultWireSettings } from '../../src/vrrp/wire/datagram.js';

export const HOSTILE_PASS = 'hostile1';
export const HOSTILE_AH_KEY = 'hostile2';
export const HOSTILE_HMAC_KEY = 'kts-hostile-hmac-key-0123456789abcdef';

export interface HostileInstance {
  name: string;
  vrid: number;
  version: 2 | 3;
  family: 4 | 6;
  auth: 'pass' | 'ah' | 'hmac' | 'none';
  vip: string;
}

export const HOSTILE_INSTANCES: readonly HostileInstance[] = [
  { name: 'H_PASS', vrid: 21, version: 2, family: 4, auth: 'pass', vip: '10.8.0.121/24' },
  { name: 'H_AH', vrid: 22, version: 2, family: 4, auth: 'ah', vip: '10.8.0.122/24' },
  { name: 'H_HMAC', vrid: 23, version: 3, family: 4, auth: 'hmac', vip: '10.8.0.123/24' },
  { name: 'H_V6', vrid: 24, version: 3, family: 6, auth: 'none', vip: '2001:db8:8::124/64' },
  { name: 'H_HMAC6', vrid: 25, version: 3, family: 6, auth: 'hmac', vip: '2001:db8:8::125/64' },
];

export const ROUTER_A4 = '10.8.0.1';
export const ROUTER_B4 = '10.8.0.2';
export const SENDER4 = '10.8.0.3';
export const ROUTER_A6 = '2001:db8:8::1';
export const ROUTER_B6 = '2001:db8:8::2';
export const SENDER6 = '2001:db8:8::3';
export const GROUP4 = '224.0.0.18';
export const GROUP6 = 'ff02::12';

export type Verdict = AdvertDropReason | 'accepted' | 'kernel' | 'martian';

export interface Shot {
  family: 4 | 6;
  bytes: Uint8Array;
  /** IPv6: the source to send from, and the hop limit. */
  source?: string;
  hopLimit?: number;
}

export interface Category {
  name: string;
  family: 4 | 6;
  /** What each router counts every packet of it as. */
  expect: { a: Verdict; b: Verdict };
  /** The instance (by VRID and family) that keepalived's own per-instance counters charge, if any. */
  chargedVrid?: number;
  shots: Shot[];
}

/** Adverts captured from router a (for the replay categories). */
export interface Captured {
  /** An IPv4 IPSEC-AH advert of H_AH, whole. */
  ah?: Uint8Array;
  /** An IPv4 auth_hmac advert of H_HMAC, whole. */
  hmac4?: Uint8Array;
}

const same = (v: Verdict): { a: Verdict; b: Verdict } => ({ a: v, b: v });

/** 200 forged IPv4 sources on the LAN's subnet, none of them a router's, the sender's or a VIP (a source
 * that is one of a router's own addresses is its own packet, looped back, to that router), and 200 IPv6
 * link-local ones fe80::c:1 .. fe80::c:200. */
const SOURCES4 = Array.from({ length: 254 }, (_, i) => i + 1)
  .filter((x) => x > 3 && (x < 120 || x > 130))
  .slice(0, 200)
  .map((x) => `10.8.0.${x}`);
const source4 = (i: number): string => SOURCES4[i % SOURCES4.length]!;
const source6 = (i: number): string => `fe80::c:${(i % 200) + 1}`;

function advert(
  vrid: number,
  version: 2 | 3,
  family: 4 | 6,
  priority = 255,
  auth: Advert['authType'] = 'none',
): Advert {
  const inst = HOSTILE_INSTANCES.find((x) => x.vrid === vrid && x.family === family);
  const vip = (inst?.vip ?? (family === 4 ? '10.8.0.199/24' : '2001:db8:8::199/64')).split('/')[0]!;
  return { version, vrid, priority, intervalCs: 100, addresses: [vip], authType: auth };
}

function ipv4(
  a: Advert,
  i: number,
  extra: { ttl?: number; authPass?: string; hmac?: HmacConfig; nowMs?: number; ahSequence?: number } = {},
): Uint8Array {
  return buildIpv4Packet(a, {
    source: source4(i),
    destination: GROUP4,
    id: (i % 65535) + 1,
    ...(extra.ttl !== undefined ? { ttl: extra.ttl } : {}),
    ...(extra.authPass !== undefined ? { authPass: extra.authPass } : {}),
    ...(extra.ahSequence !== undefined ? { ah: { sequence: extra.ahSequence, unicast: false } } : {}),
    ...(extra.hmac
      ? { hmac: { config: extra.hmac, state: newHmacSendState(), nowRealtimeMs: extra.nowMs ?? Date.now() } }
      : {}),
  });
}

/** Recomputes the VRRP checksum of an IPv4 packet (v2: over the VRRP packet; v3: with the pseudo-header). */
function fixChecksum4(packet: Uint8Array, pduLength: number): Uint8Array {
  const ihl = (packet[0]! & 0x0f) * 4;
  packet[ihl + 6] = 0;
  packet[ihl + 7] = 0;
  const version = packet[ihl]! >> 4;
  const body = sumWords(packet, ihl, ihl + pduLength);
  const sum = version === 3 ? body + ipv4PseudoHeaderSum(packet, 12, packet, 16, 112, pduLength) : body;
  const c = finishChecksum(sum);
  packet[ihl + 6] = c >> 8;
  packet[ihl + 7] = c & 0xff;
  return packet;
}

/** The IPv6 checksum sum of a payload as the receiving kernel computes it (0 when it verifies). */
function sum6(payload: Uint8Array, source: string): number {
  const src = addressToBytes(source, 6)!;
  const dst = addressToBytes(GROUP6, 6)!;
  return finishChecksum(
    sumWords(payload, 0, payload.length, ipv6PseudoHeaderSum(src, 0, dst, 0, 112, payload.length)),
  );
}

/** Writes the checksum into `at` (a 16-bit word the caller lets us choose) so that the kernel accepts it. */
function fixChecksum6(payload: Uint8Array, source: string, at = 6): Uint8Array {
  if (payload.length < at + 2) return payload;
  payload[at] = 0;
  payload[at + 1] = 0;
  const c = sum6(payload, source);
  payload[at] = c >> 8;
  payload[at + 1] = c & 0xff;
  return payload;
}

function v6(
  a: Advert,
  i: number,
  hmac?: HmacConfig,
  nowMs = Date.now(),
): { payload: Uint8Array; source: string } {
  const source = source6(i);
  if (hmac) {
    const d = assembleAdvert(a, {
      family: 6,
      source,
      destination: GROUP6,
      unicast: false,
      settings: defaultWireSettings(6),
      ipId: 0,
      hmac: { config: hmac, state: newHmacSendState(), nowRealtimeMs: nowMs },
    });
    return { payload: fixChecksum6(Uint8Array.from(d.bytes), source), source };
  }
  return {
    payload: fixChecksum6(encodeAdvert(a, { family: 6, source, destination: GROUP6 }), source),
    source,
  };
}

const shot6 = (p: { payload: Uint8Array; source: string }, hopLimit = 255): Shot => ({
  family: 6,
  bytes: p.payload,
  source: p.source,
  hopLimit,
});

function repeat(n: number, make: (i: number) => Shot): Shot[] {
  const out: Shot[] = [];
  for (let i = 0; i < n; i++) out.push(make(i));
  return out;
}

const WRONG_KEY: HmacConfig = {
  keys: [{ id: 1, key: new TextEncoder().encode('kts-not-the-key-of-this-lan-0123456789') }],
  activeKeyId: 1,
  antiReplay: 'time',
  timeWindowS: 300,
  mode: 'enforce',
};
const UNKNOWN_KEY_ID: HmacConfig = { ...WRONG_KEY, keys: [{ ...WRONG_KEY.keys[0]!, id: 9 }], activeKeyId: 9 };

/** Lengths: the IPv4 link-padding allowance (2 modulo 4 up to a 46-byte frame) is not malformed. */
function padding(expected: number, received: number): boolean {
  return expected < 46 && expected < received && received <= 46 && (received - expected) % 4 === 2;
}

/**
 * Every category, `scale` times its base count (the length sweeps are always one packet per length).
 * `nowMs` is the wall clock the auth_hmac trailers carry.
 */
export function hostileCategories(scale: number, captured: Captured = {}, nowMs = Date.now()): Category[] {
  const n = (base: number): number => Math.max(1, Math.round(base * scale));
  const cats: Category[] = [];
  const add = (c: Category): void => void cats.push(c);

  // ---- IPv4 ----
  const pass = (i: number, p = 255): Uint8Array =>
    ipv4(advert(21, 2, 4, p, 'pass'), i, { authPass: HOSTILE_PASS });
  {
    // Every VRRP length from 0 to the MTU's worth, the valid one (and link padding) left out.
    const good = pass(0, 1);
    const shortShots: Shot[] = [];
    const longShots: Shot[] = [];
    for (let len = 0; len <= 1480; len++) {
      if (len === 20 || padding(40, 20 + len)) continue;
      const p = new Uint8Array(20 + len);
      p.set(good.subarray(0, Math.min(good.length, p.length)));
      (len < 8 ? shortShots : longShots).push({ family: 4, bytes: p });
    }
    add({
      name: 'v4 VRRP shorter than its header (0-7 bytes)',
      family: 4,
      expect: same('packet_len_err'),
      shots: shortShots,
    });
    add({
      name: 'v4 every other length up to 1480 bytes',
      family: 4,
      expect: same('packet_len_err'),
      chargedVrid: 21,
      shots: longShots,
    });
  }
  add({
    name: 'v4 address count says 3, one address sent',
    family: 4,
    expect: same('packet_len_err'),
    chargedVrid: 21,
    shots: repeat(n(3000), (i) => {
      const p = pass(i);
      p[23] = i % 2 === 0 ? 3 : 0; // count lies (3, or 0) about the addresses present
      return { family: 4, bytes: p };
    }),
  });
  add({
    name: 'v4 VRRPv2 bad checksum',
    family: 4,
    expect: same('checksum_err'),
    chargedVrid: 21,
    shots: repeat(n(4000), (i) => {
      const p = pass(i);
      p[26]! ^= 1 + (i % 255);
      return { family: 4, bytes: p };
    }),
  });
  add({
    name: 'v4 VRRPv3 bad checksum (auth_hmac instance)',
    family: 4,
    expect: same('checksum_err'),
    chargedVrid: 23,
    shots: repeat(n(4000), (i) => {
      const p = ipv4(advert(23, 3, 4), i, { hmac: WRONG_KEY, nowMs });
      p[26]! ^= 0x5a;
      p[27]! ^= 0xa5;
      return { family: 4, bytes: p };
    }),
  });
  add({
    name: 'v4 versions 0, 1, 4-15',
    family: 4,
    expect: same('version_err'),
    chargedVrid: 21,
    shots: repeat(n(4200), (i) => {
      const p = pass(i);
      const versions = [0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
      p[20] = (versions[i % versions.length]! << 4) | 1;
      return { family: 4, bytes: fixChecksum4(p, 20) };
    }),
  });
  add({
    name: 'v4 VRRPv3 to a VRRPv2 instance',
    family: 4,
    expect: same('version_err'),
    chargedVrid: 21,
    shots: repeat(n(2000), (i) => ({ family: 4, bytes: ipv4(advert(21, 3, 4), i) })),
  });
  add({
    name: 'v4 types 0, 2-15',
    family: 4,
    expect: same('invalid_type_rcvd'),
    chargedVrid: 21,
    shots: repeat(n(4500), (i) => {
      const p = pass(i);
      const type = i % 15 === 0 ? 0 : (i % 15) + 1;
      p[20] = 0x20 | type;
      return { family: 4, bytes: fixChecksum4(p, 20) };
    }),
  });
  add({
    name: 'v4 TTL 0-254',
    family: 4,
    expect: same('ip_ttl_err'),
    chargedVrid: 21,
    shots: repeat(n(5100), (i) => ({
      family: 4,
      bytes: ipv4(advert(21, 2, 4, 255, 'pass'), i, { authPass: HOSTILE_PASS, ttl: i % 255 }),
    })),
  });
  add({
    name: 'v4 priority 255 with a wrong password',
    family: 4,
    expect: same('auth_failure'),
    chargedVrid: 21,
    shots: repeat(n(5000), (i) => ({
      family: 4,
      bytes: ipv4(advert(21, 2, 4, 255, 'pass'), i, { authPass: `bad${i % 1000}` }),
    })),
  });
  add({
    name: 'v4 auth type 0 to a PASS instance',
    family: 4,
    expect: same('authtype_mismatch'),
    chargedVrid: 21,
    shots: repeat(n(2000), (i) => ({ family: 4, bytes: ipv4(advert(21, 2, 4), i) })),
  });
  add({
    name: 'v4 auth types 3-255',
    family: 4,
    expect: same('invalid_authtype'),
    chargedVrid: 21,
    shots: repeat(n(2530), (i) => {
      const p = pass(i);
      p[24] = 3 + (i % 253);
      return { family: 4, bytes: fixChecksum4(p, 20) };
    }),
  });
  add({
    name: 'v4 IPSEC-AH priority 255 with a wrong key',
    family: 4,
    expect: same('auth_failure'),
    chargedVrid: 22,
    shots: repeat(n(5000), (i) => ({
      family: 4,
      bytes: ipv4(advert(22, 2, 4, 255, 'ah'), i, { authPass: 'wrongkey', ahSequence: 0x7fffffff + i }),
    })),
  });
  add({
    name: 'v4 plain VRRP to an IPSEC-AH instance',
    family: 4,
    expect: same('authtype_mismatch'),
    chargedVrid: 22,
    shots: repeat(n(2000), (i) => ({
      family: 4,
      bytes: ipv4(advert(22, 2, 4, 255, 'pass'), i, { authPass: HOSTILE_AH_KEY }),
    })),
  });
  add({
    name: 'v4 AH carrying something other than VRRP',
    family: 4,
    expect: same('not_vrrp'),
    shots: repeat(n(1000), (i) => {
      const p = ipv4(advert(22, 2, 4, 255, 'ah'), i, { authPass: 'wrongkey', ahSequence: 1 + i });
      p[20] = 6; // next header TCP
      return { family: 4, bytes: p };
    }),
  });
  add({
    name: 'v4 auth_hmac signed with a wrong key, priority 255',
    family: 4,
    expect: same('hmac_digest_err'),
    chargedVrid: 23,
    shots: repeat(n(4000), (i) => ({
      family: 4,
      bytes: ipv4(advert(23, 3, 4), i, { hmac: WRONG_KEY, nowMs }),
    })),
  });
  add({
    name: 'v4 auth_hmac with an unknown key id',
    family: 4,
    expect: same('hmac_key_unknown'),
    chargedVrid: 23,
    shots: repeat(n(3000), (i) => ({
      family: 4,
      bytes: ipv4(advert(23, 3, 4), i, { hmac: UNKNOWN_KEY_ID, nowMs }),
    })),
  });
  add({
    name: 'v4 auth_hmac trailer of another type',
    family: 4,
    expect: same('hmac_malformed'),
    chargedVrid: 23,
    shots: repeat(n(2000), (i) => {
      const p = ipv4(advert(23, 3, 4), i, { hmac: WRONG_KEY, nowMs });
      p[32] = 2 + (i % 200); // ext_type (the IPv4 checksum does not cover the trailer)
      return { family: 4, bytes: p };
    }),
  });
  add({
    name: 'v4 auth_hmac trailer 1000 s old',
    family: 4,
    expect: same('hmac_time_window'),
    chargedVrid: 23,
    shots: repeat(n(2000), (i) => ({
      family: 4,
      bytes: ipv4(advert(23, 3, 4), i, { hmac: WRONG_KEY, nowMs: nowMs - 1_000_000 }),
    })),
  });
  add({
    name: 'v4 no auth_hmac trailer, priority 255',
    family: 4,
    expect: same('hmac_missing'),
    chargedVrid: 23,
    shots: repeat(n(3000), (i) => ({ family: 4, bytes: ipv4(advert(23, 3, 4), i) })),
  });
  add({
    name: 'v4 VRIDs no instance runs',
    family: 4,
    expect: same('vrid_mismatch'),
    shots: repeat(n(4000), (i) => {
      const vrid = 100 + (i % 150);
      return { family: 4, bytes: ipv4(advert(vrid, 2, 4, 255, 'pass'), i, { authPass: HOSTILE_PASS }) };
    }),
  });
  if (captured.ah)
    add({
      name: "v4 router a's IPSEC-AH advert replayed",
      family: 4,
      // a's kernel refuses its own source from outside; b has seen that sequence number already
      expect: { a: 'martian', b: 'auth_failure' },
      chargedVrid: 22,
      shots: repeat(n(3000), () => ({ family: 4, bytes: captured.ah! })),
    });
  if (captured.hmac4)
    add({
      name: "v4 router a's auth_hmac advert replayed",
      family: 4,
      expect: { a: 'martian', b: 'hmac_replay' },
      chargedVrid: 23,
      shots: repeat(n(3000), () => ({ family: 4, bytes: captured.hmac4! })),
    });

  // ---- IPv6 ----
  const good6 = (i: number, p = 255): { payload: Uint8Array; source: string } => v6(advert(24, 3, 6, p), i);
  {
    const shortShots: Shot[] = [];
    const longShots: Shot[] = [];
    const refused: Shot[] = [];
    for (let len = 0; len <= 1460; len++) {
      if (len === 24 || padding(24, len)) continue;
      const base = good6(len, 1);
      const payload = new Uint8Array(len);
      payload.set(base.payload.subarray(0, Math.min(len, base.payload.length)));
      if (len >= 8) fixChecksum6(payload, base.source);
      else if (len >= 2) fixChecksum6(payload, base.source, 0);
      else if (len === 1) {
        // one byte: the kernel takes it only if some value of it makes the sum verify
        for (let b = 0; b < 256; b++) {
          payload[0] = b;
          if (sum6(payload, base.source) === 0) break;
        }
      }
      const s = shot6({ payload, source: base.source });
      if (len < 2 && sum6(payload, base.source) !== 0) refused.push(s);
      else (len < 8 ? shortShots : longShots).push(s);
    }
    add({
      name: 'v6 VRRP shorter than its header (0-7 bytes)',
      family: 6,
      expect: same('packet_len_err'),
      shots: shortShots,
    });
    add({
      name: 'v6 every other length up to 1460 bytes',
      family: 6,
      expect: same('packet_len_err'),
      chargedVrid: 24,
      shots: longShots,
    });
    if (refused.length > 0)
      add({
        name: 'v6 lengths whose checksum cannot verify',
        family: 6,
        expect: same('kernel'),
        shots: refused,
      });
  }
  add({
    name: 'v6 bad checksum',
    family: 6,
    expect: same('kernel'),
    shots: repeat(n(4000), (i) => {
      const p = good6(i);
      p.payload[7]! ^= 1 + (i % 255);
      return shot6(p);
    }),
  });
  add({
    name: 'v6 versions 0, 1, 4-15',
    family: 6,
    expect: same('version_err'),
    chargedVrid: 24,
    shots: repeat(n(4000), (i) => {
      const p = good6(i);
      const versions = [0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
      p.payload[0] = (versions[i % versions.length]! << 4) | 1;
      fixChecksum6(p.payload, p.source);
      return shot6(p);
    }),
  });
  add({
    name: 'v6 types 0, 2-15',
    family: 6,
    expect: same('invalid_type_rcvd'),
    chargedVrid: 24,
    shots: repeat(n(4500), (i) => {
      const p = good6(i);
      p.payload[0] = 0x30 | (i % 15 === 0 ? 0 : (i % 15) + 1);
      fixChecksum6(p.payload, p.source);
      return shot6(p);
    }),
  });
  add({
    name: 'v6 hop limit 0-254',
    family: 6,
    expect: same('ip_ttl_err'),
    chargedVrid: 24,
    shots: repeat(n(5100), (i) => shot6(good6(i), i % 255)),
  });
  add({
    name: 'v6 address count says 2, one address sent',
    family: 6,
    expect: same('packet_len_err'),
    chargedVrid: 24,
    shots: repeat(n(3000), (i) => {
      const p = good6(i);
      p.payload[3] = 2;
      fixChecksum6(p.payload, p.source);
      return shot6(p);
    }),
  });
  add({
    name: 'v6 auth_hmac signed with a wrong key, priority 255',
    family: 6,
    expect: same('hmac_digest_err'),
    chargedVrid: 25,
    shots: repeat(n(4000), (i) => shot6(v6(advert(25, 3, 6), i, WRONG_KEY, nowMs))),
  });
  add({
    name: 'v6 no auth_hmac trailer, priority 255',
    family: 6,
    expect: same('hmac_missing'),
    chargedVrid: 25,
    shots: repeat(n(2000), (i) => shot6(v6(advert(25, 3, 6), i))),
  });
  add({
    name: 'v6 VRIDs no instance runs',
    family: 6,
    expect: same('vrid_mismatch'),
    shots: repeat(n(4000), (i) => shot6(v6(advert(100 + (i % 150), 3, 6), i))),
  });
  return cats;
}

/** The flood: priority-255 adverts with a wrong password from 200 sources, sent as fast as possible. */
export function floodShots(count: number): Shot[] {
  const templates = repeat(200, (i) => ({
    family: 4 as const,
    bytes: ipv4(advert(21, 2, 4, 255, 'pass'), i, { authPass: 'flood' }),
  }));
  return repeat(count, (i) => templates[i % templates.length]!);
}
